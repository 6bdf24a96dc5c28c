// Russian and English: one JSON catalogue per language, plurals by Intl.PluralRules, dates by
// Intl.DateTimeFormat. The language comes from the browser, can be switched, and is remembered.
import { createStore } from "./store.mjs";

export const LANGUAGES = ["en", "ru"];
const STORAGE_KEY = "sb.lang";
const catalogues = {};
let plurals = new Intl.PluralRules("en");
let formats = {};

export const i18n = createStore({ lang: "en", catalogue: {} });

export function preferredLanguage() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.includes(saved)) return saved;
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

function fetchCatalogue(lang) {
  catalogues[lang] ??= fetch(`/static/i18n/${lang}.json`).then((response) => {
    if (!response.ok) throw new Error(`catalogue ${lang}: HTTP ${response.status}`);
    return response.json();
  });
  return catalogues[lang];
}

/** Loads and applies a language; `remember` keeps the choice in localStorage. */
export async function setLanguage(lang, { remember = true } = {}) {
  if (!LANGUAGES.includes(lang)) lang = "en";
  const catalogue = await fetchCatalogue(lang);
  if (remember) localStorage.setItem(STORAGE_KEY, lang);
  plurals = new Intl.PluralRules(lang);
  formats = {};
  document.documentElement.lang = lang;
  i18n.set({ lang, catalogue });
}

/** The text for `key`; `{name}` takes params.name; a plural entry picks its form by params.count. */
export function t(key, params = {}) {
  let text = i18n.get().catalogue[key];
  if (text === undefined) return key;
  if (typeof text === "object") text = text[plurals.select(params.count ?? 0)] ?? text.other;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? formatValue(params[name]) : whole);
}

function formatValue(value) {
  return typeof value === "number" ? formatter("number", {}).format(value) : String(value);
}

function formatter(kind, options) {
  const key = kind + JSON.stringify(options);
  const lang = i18n.get().lang;
  formats[key] ??= kind === "number"
    ? new Intl.NumberFormat(lang, options)
    : new Intl.DateTimeFormat(lang, options);
  return formats[key];
}

/** The server's times are ISO strings, UTC when they carry no offset. */
export function parseTime(value) {
  if (!value) return null;
  let text = String(value).replace(/(\.\d{3})\d+/, "$1");
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(text)) text += "Z";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth()
    && a.getDate() === b.getDate();
}

/** "14:05" today, "24 Nov" this year, "24.11.2025" before. */
export function formatWhen(value) {
  const date = parseTime(value);
  if (!date) return "";
  const now = new Date();
  if (sameDay(date, now)) return formatTime(date);
  if (date.getFullYear() === now.getFullYear()) {
    return formatter("date", { day: "numeric", month: "short" }).format(date);
  }
  return formatter("date", { dateStyle: "short" }).format(date);
}

export function formatTime(value) {
  const date = value instanceof Date ? value : parseTime(value);
  return date ? formatter("date", { hour: "numeric", minute: "2-digit" }).format(date) : "";
}

export function formatDay(value) {
  const date = value instanceof Date ? value : parseTime(value);
  if (!date) return "";
  if (sameDay(date, new Date())) return t("time.today");
  return formatter("date", { day: "numeric", month: "long", year: "numeric" }).format(date);
}

export function formatFull(value) {
  const date = value instanceof Date ? value : parseTime(value);
  return date ? formatter("date", { dateStyle: "medium", timeStyle: "short" }).format(date) : "";
}
