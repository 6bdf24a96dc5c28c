// The audit: a timeline of every setup and settings change (who, when, before → after), and a
// date-time picker that shows the whole configuration as it stood at that moment and what has
// changed since. Admins and auditors.
import { useEffect, useMemo, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { i18n, parseTime, t } from "../lib/i18n.mjs";
import { actorText } from "../lib/codes.mjs";
import { labelText, saidText } from "../lib/said.mjs";
import { api } from "../lib/session.mjs";
import { errorText } from "./common.mjs";

const HISTORY = `query History { setupHistory(first: 500) {
  position at actor section event summary summaryCode summaryParams
  changes { label before after fieldCode fieldParams beforeData afterData } } }`;
const CONFIG = `query At($instant: DateTime) { configurationAt(instant: $instant) {
  asOf position lastChangeAt
  sections { name title entries { label value fieldCode fieldParams valueData } }
  wizard { currentStep completed } } }`;

/** A section's title in the reader's language (its name is the code). */
function sectionTitle(name, fallback) {
  return labelText(`audit.section.${name}`, {}, fallback);
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** Date and time to the second: an audit is read second by second. */
function formatSeconds(value) {
  const date = value instanceof Date ? value : parseTime(value);
  if (!date) return "";
  return new Intl.DateTimeFormat(i18n.get().lang, { dateStyle: "medium", timeStyle: "medium" })
    .format(date);
}

/** The value of a datetime-local input (local time, to the second) for a Date. */
export function localValue(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T`
    + `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function entriesOf(config) {
  const values = new Map();
  for (const section of config?.sections ?? []) {
    for (const entry of section.entries) {
      values.set(`${section.name}\u0000${entry.label}`,
        { value: entry.value, text: saidText(entry.valueData, entry.value) });
    }
  }
  return values;
}

function Configuration({ config, now }) {
  const current = useMemo(() => entriesOf(now), [now]);
  const sections = config.sections.filter((s) => s.entries.length);
  return html`
    <div class="audit-config" data-position=${config.position}>
      ${sections.map((section) => html`
        <section key=${section.name} class="card audit-section" data-section=${section.name}
          aria-labelledby=${`audit-${section.name}`}>
          <h3 id=${`audit-${section.name}`}>${sectionTitle(section.name, section.title)}</h3>
          <dl>
            ${section.entries.map((entry) => {
              const later = current.get(`${section.name}\u0000${entry.label}`);
              const changed = now && later !== undefined && later.value !== entry.value;
              return html`<div key=${entry.label} class=${changed ? "changed" : ""}
                data-label=${entry.label}>
                <dt>${labelText(entry.fieldCode, entry.fieldParams, entry.label)}</dt>
                <dd><span class="value">${saidText(entry.valueData, entry.value)}</span>
                  ${changed && html`<span class="since small">${t("audit.nowValue", { value: later.text })}</span>`}
                </dd></div>`;
            })}
          </dl>
        </section>`)}
    </div>`;
}

function Timeline({ history, instant, onPick }) {
  return html`
    <ol class="timeline" aria-label=${t("audit.timeline")}>
      ${history.map((entry) => {
        const after = instant && parseTime(entry.at) > instant;
        return html`<li key=${entry.position} class=${`timeline-entry${after ? " after" : ""}`}
          data-position=${entry.position} data-after=${after ? "true" : "false"}>
          <p class="timeline-head">
            <time datetime=${entry.at}>${formatSeconds(entry.at)}</time>
            <span class="actor" data-actor=${entry.actor}>${actorText(entry.actor)}</span>
            ${after && html`<span class="soon">${t("audit.afterThis")}</span>`}
          </p>
          <p class="timeline-summary">${entry.summaryCode
            ? saidText({ code: entry.summaryCode, params: entry.summaryParams }, entry.summary)
            : entry.summary}</p>
          ${entry.changes.length > 0 && html`<ul class="timeline-changes">
            ${entry.changes.map((c) => html`<li key=${c.label} data-label=${c.label}>
              ${labelText(c.fieldCode, c.fieldParams, c.label)}:${" "}
              <del>${saidText(c.beforeData, c.before)}</del> → <ins>${saidText(c.afterData, c.after)}</ins></li>`)}</ul>`}
          <button type="button" class="button button-quiet small"
            onClick=${() => onPick(parseTime(entry.at))}>${t("audit.showThen")}</button>
        </li>`;
      })}
    </ol>`;
}

export function AuditPage() {
  const [history, setHistory] = useState(null);
  const [now, setNow] = useState(null);
  const [instant, setInstant] = useState(null); // null: now
  const [config, setConfig] = useState(null);
  const [failure, setFailure] = useState(null);

  const loadNow = async () => {
    try {
      const [{ setupHistory }, { configurationAt }] = await Promise.all([
        api(HISTORY), api(CONFIG, { instant: null })]);
      setHistory(setupHistory);
      setNow(configurationAt);
      setFailure(null);
    } catch (error) {
      setFailure(error.code);
    }
  };
  useEffect(() => { loadNow(); }, []);
  useEffect(() => {
    if (!instant) { setConfig(null); return undefined; }
    let live = true;
    api(CONFIG, { instant: instant.toISOString() })
      .then(({ configurationAt }) => live && setConfig(configurationAt))
      .catch((error) => live && setFailure(error.code));
    return () => { live = false; };
  }, [instant?.getTime()]);

  if (failure && !history) {
    return html`<section><p role="alert">${errorText(failure)}</p></section>`;
  }
  if (!history || !now) {
    return html`<section aria-busy="true"><p class="muted">${t("inbox.loading")}</p></section>`;
  }
  const shown = instant ? config : now;
  const since = instant ? history.filter((e) => parseTime(e.at) > instant).length : 0;
  const oldest = history.length ? parseTime(history.at(-1).at) : new Date();
  const ordered = [...history].reverse();
  const sliderValue = instant
    ? ordered.filter((e) => parseTime(e.at) <= instant).length
    : ordered.length;
  const onPicker = (event) => {
    const value = event.currentTarget.value;
    if (!value) return;
    const picked = new Date(value);
    if (!Number.isNaN(picked.getTime())) setInstant(picked);
  };
  const onSlider = (event) => {
    const k = Number(event.currentTarget.value);
    if (k >= ordered.length) setInstant(null);
    else if (k <= 0) setInstant(new Date(oldest.getTime() - 1000));
    else setInstant(parseTime(ordered[k - 1].at));
  };
  return html`
    <section class="audit" aria-labelledby="section-title">
      <header class="audit-head">
        <h2 id="section-title">${t("audit.title")}</h2>
        <p class="muted">${t("audit.about")}</p>
      </header>
      <div class="card audit-picker">
        <label for="audit-at">${t("audit.at")}</label>
        <input id="audit-at" type="datetime-local" step="1"
          value=${localValue(instant ?? new Date())} onChange=${onPicker}/>
        <button type="button" class="button button-quiet" onClick=${() => setInstant(null)}
          disabled=${!instant}>${t("audit.now")}</button>
        <label for="audit-slider" class="visually-hidden">${t("audit.slider")}</label>
        <input id="audit-slider" type="range" min="0" max=${ordered.length} step="1"
          value=${sliderValue} onInput=${onSlider}/>
        <p class="muted small" role="status" aria-live="polite" data-since=${since}>
          ${instant
            ? t("audit.asOf", { when: formatSeconds(instant), count: since })
            : t("audit.asOfNow", { count: history.length })}</p>
      </div>
      <div class="audit-layout">
        <div>
          <h3 class="audit-subtitle">${t("audit.configuration")}</h3>
          ${shown ? html`<${Configuration} config=${shown} now=${instant ? now : null}/>`
            : html`<p class="muted">${t("inbox.loading")}</p>`}
        </div>
        <div>
          <h3 class="audit-subtitle">${t("audit.history")}</h3>
          <${Timeline} history=${history} instant=${instant} onPick=${setInstant}/>
        </div>
      </div>
    </section>`;
}
