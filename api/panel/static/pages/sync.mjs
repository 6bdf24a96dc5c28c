// "Synchronise messages": the sync job's switch and schedule (every N seconds, or a cron
// expression), "Send now", what waits in the outbox, and the health warnings (scheduler not
// running, lock held too long, sync off while messages wait, messages older than allowed).
import { actorText } from "../lib/codes.mjs";
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatWhen, t } from "../lib/i18n.mjs";
import { loadHealth, loadSyncSettings, runSyncNow, sync, updateSync } from "../lib/outbox.mjs";
import { isAdmin } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { errorText } from "./common.mjs";

const REFRESH_MS = 5000;
const PRESETS = [1, 5, 30, 60, 300, 900];

function When({ iso }) {
  if (!iso) return html`<span class="muted">${t("sync.never")}</span>`;
  return html`<time datetime=${iso} title=${formatFull(iso)}>${formatWhen(iso)}</time>`;
}

function Warnings({ health }) {
  if (!health) return null;
  if (health.ok) {
    return html`<p class="sync-ok" role="status" data-health="ok">${t("sync.health.ok")}</p>`;
  }
  return html`<ul class="sync-warnings" aria-label=${t("sync.health.title")} data-health="warn">
    ${health.warnings.map((w) => html`<li class="banner banner-warning" data-warning=${w.code}
      title=${w.message}>
      <strong>${t(`sync.warning.${w.code}`)}</strong>
      ${w.since && html`<span class="small"> · ${t("sync.since")} <${When} iso=${w.since}/></span>`}
    </li>`)}
  </ul>`;
}

function ScheduleForm({ settings, onSaved }) {
  const [enabled, setEnabled] = useState(settings.enabled);
  const [mode, setMode] = useState(settings.mode);
  const [interval, setSeconds] = useState(String(settings.intervalSeconds));
  const [cron, setCron] = useState(settings.cron || "*/5 * * * *");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState({ text: "", field: null });
  const [saved, setSaved] = useState(false);

  const save = async (event) => {
    event.preventDefault();
    setBusy(true);
    setSaved(false);
    setFailure({ text: "", field: null });
    const refused = await updateSync({ enabled, mode, interval: Number(interval) || 0,
      cron: mode === "CRON" ? cron : settings.cron });
    setBusy(false);
    if (refused) {
      setFailure({ text: errorText(refused), field: refused.field });
      return;
    }
    setSaved(true);
    onSaved();
  };

  return html`
    <form class="card sync-form" onSubmit=${save} aria-labelledby="sync-schedule-title">
      <h3 id="sync-schedule-title">${t("sync.schedule")}</h3>
      <div class="switch-row">
        <input id="sync-enabled" type="checkbox" class="switch" role="switch" checked=${enabled}
          data-sync-enabled onChange=${(e) => setEnabled(e.currentTarget.checked)}/>
        <label for="sync-enabled">${t("sync.enabled")}
          <span class="muted small" data-switch-hint>
            ${t(enabled ? "sync.enabledHintOn" : "sync.enabledHint")}</span></label>
      </div>
      <fieldset class="sync-mode">
        <legend>${t("sync.mode")}</legend>
        <label><input type="radio" name="sync-mode" value="INTERVAL" checked=${mode === "INTERVAL"}
          onChange=${() => setMode("INTERVAL")}/> ${t("sync.mode.INTERVAL")}</label>
        <label><input type="radio" name="sync-mode" value="CRON" checked=${mode === "CRON"}
          onChange=${() => setMode("CRON")}/> ${t("sync.mode.CRON")}</label>
      </fieldset>
      ${mode === "INTERVAL"
        ? html`<div class="field" key="interval">
            <label for="sync-interval">${t("sync.interval")}</label>
            <input id="sync-interval" type="number" min="1" max="86400" step="1" value=${interval}
              aria-invalid=${failure.field === "intervalSeconds" ? "true" : "false"}
              onInput=${(e) => setSeconds(e.currentTarget.value)} list="sync-presets"/>
            <datalist id="sync-presets">${PRESETS.map((p) => html`<option value=${p}/>`)}</datalist>
            <p class="muted small">${t("sync.intervalHint")}</p>
          </div>`
        : html`<div class="field" key="cron">
            <label for="sync-cron">${t("sync.cron")}</label>
            <input id="sync-cron" value=${cron} autocomplete="off" spellcheck=${false}
              aria-invalid=${failure.field === "cron" ? "true" : "false"}
              onInput=${(e) => setCron(e.currentTarget.value)} aria-describedby="sync-cron-hint"/>
            <p id="sync-cron-hint" class="muted small">
              ${t("sync.cronHint", { zone: settings.timezone })}</p>
          </div>`}
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled=${busy}>
          ${t("sync.save")}</button>
        ${saved && html`<span class="muted small" role="status">${t("sync.saved")}</span>`}
      </div>
      <p class="form-error" role="alert">${failure.text}</p>
    </form>`;
}

export function SyncPage() {
  const { settings, health, error } = useStore(sync);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState("");

  const refresh = () => { loadSyncSettings({ fresh: true }); loadHealth(); };
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const sendNow = async () => {
    setRunning(true);
    setResult("");
    const answer = await runSyncNow();
    setRunning(false);
    if (answer.__typename === "UserError") {
      setResult(errorText(answer));
    } else if (!answer.finished) {
      setResult(t("sync.now.busy"));
    } else {
      setResult(t("sync.now.done", { count: answer.report.sent }));
    }
    refresh();
  };

  if (!settings) {
    return html`<section aria-labelledby="section-title">
      <h2 id="section-title">${t("admin.sync")}</h2>
      <p class=${error ? "form-error" : "muted"} role=${error ? "alert" : "status"}>
        ${error ? errorText(error) : t("inbox.loading")}</p>
    </section>`;
  }
  const admin = isAdmin();
  return html`
    <section class="sync-page" aria-labelledby="section-title">
      <h2 id="section-title">${t("admin.sync")}</h2>
      <p class="muted">${t("admin.sync.about")}</p>
      <${Warnings} health=${health}/>
      <div class="sync-grid">
        <div class="card sync-state" data-sync-state=${settings.enabled ? "on" : "off"}>
          <h3>${t("sync.now.title")}</h3>
          <dl class="facts">
            <dt>${t("sync.state")}</dt>
            <dd><span class=${`status-pill ${settings.enabled ? "status-ok" : "status-warn"}`}>
              ${settings.enabled ? t("sync.on") : t("sync.off")}</span>
              ${" "}${settings.enabled && (settings.mode === "CRON"
                ? t("sync.everyCron", { cron: settings.cron })
                : t("sync.every", { count: settings.intervalSeconds }))}</dd>
            <dt>${t("sync.next")}</dt><dd><${When} iso=${settings.nextRunAt}/></dd>
            <dt>${t("sync.last")}</dt><dd><${When} iso=${health?.lastRunAt}/>
              ${health?.lastRun && html`<span class="muted small"> · ${t("sync.lastRun",
                { sent: health.lastRun.sent, failed: health.lastRun.failed })}</span>`}</dd>
            <dt>${t("sync.waiting")}</dt><dd data-waiting=${settings.waiting}>${settings.waiting}</dd>
            <dt>${t("sync.failed")}</dt><dd data-failed=${settings.failed}>${settings.failed}</dd>
            ${health && html`<dt>${t("sync.scheduler")}</dt><dd>
              ${health.schedulerRunning ? t("sync.scheduler.running")
                : health.runsHere ? t("sync.scheduler.stopped") : t("sync.scheduler.elsewhere")}
              <span class="muted small"> · ${health.replica}</span></dd>`}
            <dt>${t("sync.changed")}</dt><dd>${settings.isDefault ? t("sync.default")
              : html`<${When} iso=${settings.changedAt}/> · ${actorText(settings.changedBy)}`}</dd>
          </dl>
          ${admin && html`<div class="form-actions">
            <button type="button" class="button button-primary" onClick=${sendNow}
              disabled=${running} data-send-now>
              ${running ? t("sync.now.running") : t("sync.now.send")}</button>
            <span class="muted small" role="status">${result}</span>
          </div>`}
        </div>
        ${admin && html`<${ScheduleForm} settings=${settings} onSaved=${refresh}/>`}
      </div>
    </section>`;
}
