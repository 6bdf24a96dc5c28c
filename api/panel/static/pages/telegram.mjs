// Telegram: the admin screen — the company's bot, whether its webhook points here, the updates
// Telegram still holds, the last error, and "Check" (asks Telegram now); without a bot token, the
// settings that connect one. The standing is read again every few seconds: at start-up the
// server registers the webhook in the background.
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatWhen, t } from "../lib/i18n.mjs";
import { api, isAdmin } from "../lib/session.mjs";
import { errorText } from "./common.mjs";
import { RefusedItemsCard } from "./refusals.mjs";

const FIELDS = `name messenger ok error errorCode bot webhookUrl webhookSet pendingUpdates
  lastError checkedAt simulated`;
const QUERY = `query Channels { channels { ${FIELDS} } }`;
const CHECK = `mutation CheckTelegram { checkTelegram { __typename
  ... on ChannelStatePayload { channel { ${FIELDS} } } ... on UserError { code message } } }`;
const REFRESH_MS = 5000;
const NOT_ACTIVE = "TELEGRAM_NOT_ACTIVE";

function NotConfigured() {
  return html`
    <div class="card wa-status" data-telegram="off">
      <p><strong>${t("tg.off.title")}</strong></p>
      <p>${t("tg.off.about")}</p>
      <dl class="facts" data-settings>
        <dt><code>SWITCHBOARD_TELEGRAM_BOT_TOKEN</code></dt><dd>${t("tg.off.token")}</dd>
        <dt><code>SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET</code></dt><dd>${t("tg.off.secret")}</dd>
        <dt><code>SWITCHBOARD_PUBLIC_URL</code></dt><dd>${t("tg.off.publicUrl")}</dd>
      </dl>
      <p class="muted small">${t("tg.off.restart")}</p>
    </div>`;
}

function Bot({ bot }) {
  if (!bot) return html`<span class="muted">${t("tg.bot.unknown")}</span>`;
  return html`<a href=${`https://t.me/${bot.replace(/^@/, "")}`} target="_blank"
    rel="noopener">${bot}</a>`;
}

/** What is wrong, in the reader's language: the channel's code, with the server's English
 * (Telegram's own words, for a refusal) as the detail. */
function problem(channel) {
  if (!channel.errorCode) return "";
  const key = `tg.problem.${channel.errorCode}`;
  const text = t(key, { url: location.origin + "/webhooks/telegram", message: channel.error });
  return text === key ? errorText(channel.errorCode, channel.error) : text;
}

function BotCard({ channel, busy, onCheck, failure }) {
  const reason = problem(channel);
  return html`
    <div class="card wa-status" data-telegram=${channel.ok ? "ok" : "bad"}>
      <div class="wa-status-head">
        <span class=${`status-pill status-${channel.ok ? "ok" : "bad"}`}>
          ${t(channel.ok ? "tg.status.ok" : "tg.status.bad")}</span>
      </div>
      ${reason && html`<p class="wa-reason" data-reason>${reason}</p>`}
      ${channel.simulated && html`<p class="muted" data-simulated>${t("tg.simulated")}${" "}
        <a href="/phone">${t("tg.simulated.phone")}</a></p>`}
      <dl class="facts">
        <dt>${t("tg.bot")}</dt>
        <dd data-bot>${channel.simulated ? channel.bot : html`<${Bot} bot=${channel.bot}/>`}</dd>
        <dt>${t("tg.webhook")}</dt>
        <dd data-webhook=${channel.webhookSet ? "set" : "unset"}>
          ${t(channel.webhookSet ? "tg.webhook.set" : "tg.webhook.notSet")}
          ${channel.webhookUrl && html` <code>${channel.webhookUrl}</code>`}</dd>
        <dt>${t("tg.pending")}</dt>
        <dd data-pending>${channel.pendingUpdates ?? t("tg.unknown")}</dd>
        <dt>${t("tg.lastError")}</dt>
        <dd data-last-error>${channel.lastError || html`<span class="muted">${t("tg.none")}</span>`}</dd>
        <dt>${t("tg.checkedAt")}</dt>
        <dd>${channel.checkedAt
          ? html`<time datetime=${channel.checkedAt} title=${formatFull(channel.checkedAt)}>
              ${formatWhen(channel.checkedAt)}</time>`
          : html`<span class="muted">${t("tg.never")}</span>`}</dd>
      </dl>
      ${isAdmin() && html`<div class="wa-actions">
        <button type="button" class="button button-quiet" disabled=${busy} onClick=${onCheck}>
          ${busy ? t("tg.checking") : t("tg.check")}</button></div>`}
      <p class="form-error" role="alert">${failure}</p>
    </div>`;
}

export function TelegramPage() {
  const [state, setState] = useState({ loaded: false, channel: null, error: "" });
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");

  const load = async () => {
    try {
      const data = await api(QUERY);
      const channel = data.channels.find((c) => c.messenger === "TELEGRAM") ?? null;
      setState({ loaded: true, channel, error: "" });
    } catch (error) {
      setState((s) => ({ ...s, loaded: true, error: error.code || "UNKNOWN" }));
    }
  };

  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const check = async () => {
    setBusy(true);
    setFailure("");
    try {
      const { checkTelegram: result } = await api(CHECK);
      if (result.__typename === "UserError") {
        if (result.code === NOT_ACTIVE) setState({ loaded: true, channel: null, error: "" });
        else setFailure(errorText(result));
      } else {
        setState({ loaded: true, channel: result.channel, error: "" });
      }
    } catch (error) {
      setFailure(errorText(error.code || "UNKNOWN", error.message));
    }
    setBusy(false);
  };

  const { loaded, channel, error } = state;
  let body;
  if (!loaded || (error && !channel)) {
    body = html`<p class="muted">${error ? errorText(error) : t("tg.loading")}</p>`;
  } else if (!channel) {
    body = html`<${NotConfigured}/>`;
  } else {
    body = html`<${BotCard} channel=${channel} busy=${busy} onCheck=${check}
      failure=${failure}/>`;
  }
  return html`
    <section class="whatsapp" aria-labelledby="section-title" data-telegram-page>
      <h2 id="section-title">${t("admin.telegram")}</h2>
      ${body}
      ${channel && html`<${RefusedItemsCard} channel="telegram"/>`}
    </section>`;
}
