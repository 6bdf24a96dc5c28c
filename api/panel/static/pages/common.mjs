// Small pieces shared by the pages: the language switch, the brand, error texts.
import { html } from "../lib/html.mjs";
import { LANGUAGES, i18n, setLanguage, t } from "../lib/i18n.mjs";
import { useStore } from "../lib/store.mjs";

export function LanguageSwitch() {
  const { lang } = useStore(i18n);
  return html`
    <label class="lang">
      <span class="visually-hidden">${t("lang.label")}</span>
      <select value=${lang} onChange=${(e) => setLanguage(e.currentTarget.value)}>
        ${LANGUAGES.map((code) => html`
          <option value=${code} lang=${code}>${t(`lang.${code}`)}</option>`)}
      </select>
    </label>`;
}

export function Brand() {
  return html`
    <span class="brand">
      <svg class="brand-mark" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
        <rect x="2" y="4" width="20" height="14" rx="4" fill="currentColor" opacity=".18"/>
        <path d="M6 9h12M6 13h8" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>
        <path d="M8 18l-2 3v-3" fill="currentColor"/>
      </svg>
      <span>Switchboard</span>
    </span>`;
}

/** An API error code translated; the API's own message when the code is new to us. `code` may
 * be the whole refusal ({code, message, rule, params}): a known rule (`validation.<RULE>`) is
 * said in the reader's language with the rule's parameters. */
export function errorText(code, message = "", params = {}) {
  if (code && typeof code === "object") {
    const refusal = code;
    const rule = refusal.rule && `validation.${refusal.rule}`;
    if (rule) {
      const values = { ...(refusal.params || {}), ...params };
      if (values.part) values.part = t(`validation.part.${values.part}`);  // e.g. a cron field
      const said = t(rule, values);
      if (said !== rule) return said;
    }
    return errorText(refusal.code || "UNKNOWN", refusal.message || "", params);
  }
  const key = `error.${code}`;
  const text = t(key, { message, ...params });
  if (text !== key) return text;
  return message ? t("error.UNKNOWN", { message }) : t("error.UNKNOWN", { message: code });
}

export function initials(name) {
  const words = String(name || "").replace(/[^\p{L}\p{N}\s]/gu, "").trim().split(/\s+/);
  const letters = words.filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
  return letters || "#";
}

export function channelLabel(channel) {
  const key = `channel.${channel}`;
  const text = t(key);
  return text === key ? channel : text;
}
