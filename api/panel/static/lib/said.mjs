// What the server says as `{code, params}` (a catalogue key; a parameter may itself be a
// `{code, params}` or a `{value}`) or `{value}` (data, formatted here: "—" for nothing, yes/no,
// numbers and dates with Intl, lists joined), said in the reader's language. A code the
// catalogue does not know falls back to the server's English text.
import { i18n, parseTime, t } from "./i18n.mjs";

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A raw value in the reader's format. */
export function valueText(value) {
  if (value === null || value === undefined || value === "") return t("audit.value.nothing");
  if (Array.isArray(value)) {
    return value.length ? value.map(valueText).join(", ") : t("audit.value.nothing");
  }
  if (typeof value === "boolean") return t(value ? "audit.value.yes" : "audit.value.no");
  if (typeof value === "number") return new Intl.NumberFormat(i18n.get().lang).format(value);
  if (typeof value === "object") return saidText(value);
  if (ISO_TIME.test(value)) {
    const date = parseTime(value);
    if (date) {
      return new Intl.DateTimeFormat(i18n.get().lang, { dateStyle: "medium", timeStyle: "medium" })
        .format(date);
    }
  }
  return String(value);
}

function paramOf(value) {
  if (value && typeof value === "object" && !Array.isArray(value)) return saidText(value);
  if (Array.isArray(value) || typeof value === "boolean") return valueText(value);
  return value; // strings as they are; numbers stay numbers, for plurals and Intl
}

/** The text of a wording; `fallback` (the server's English) when there is none or the
 * catalogue lacks its code. */
export function saidText(said, fallback) {
  if (said === null || said === undefined) return fallback ?? t("audit.value.nothing");
  if (typeof said !== "object" || Array.isArray(said)) return valueText(said);
  if ("code" in said) {
    const params = {};
    for (const [name, value] of Object.entries(said.params || {})) params[name] = paramOf(value);
    const text = t(said.code, params);
    return text === said.code ? (fallback ?? said.code) : text;
  }
  if ("value" in said) return valueText(said.value);
  return fallback ?? "";
}

/** A label: its catalogue key with parameters, or the server's English label. */
export function labelText(code, params, fallback) {
  return code ? saidText({ code, params }, fallback) : fallback;
}
