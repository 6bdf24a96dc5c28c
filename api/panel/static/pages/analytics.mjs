// Analytics (admins and auditors): a period of business days, its totals, volumes and response
// times per day drawn with uPlot (vendored, loaded with this page only), and the per-operator
// table — all from `analyticsSummary`, which reads the analytics read models.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { i18n, t } from "../lib/i18n.mjs";
import { api } from "../lib/session.mjs";
import { errorText } from "./common.mjs";

const SUMMARY = `query Analytics($from: Date!, $to: Date!) { analyticsSummary(from: $from, to: $to) {
  from to timezone
  totals { messagesIn messagesOut dialogsOpened dialogsResolved transfers failedMessages }
  days { day messagesIn messagesOut dialogsOpened dialogsResolved
         firstResponse { count medianSeconds p90Seconds } }
  firstResponse { count medianSeconds p90Seconds }
  resolution { count medianSeconds p90Seconds }
  waiting { count medianSeconds p90Seconds }
  operators { operatorId name login dialogsAssigned messagesSent dialogsResolved onlineSeconds
              firstResponse { count medianSeconds p90Seconds } } } }`;
const MAX_DAYS = 366;
const COLORS = { in: "#176b6b", out: "#d97706", opened: "#6366f1", median: "#176b6b",
  p90: "#b42318" };

const pad = (n) => String(n).padStart(2, "0");
/** A date input's value for a Date (the browser's calendar day). */
export const dayValue = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const addDays = (value, n) => {
  const d = new Date(`${value}T12:00:00`);
  d.setDate(d.getDate() + n);
  return dayValue(d);
};
const daysBetween = (from, to) =>
  Math.round((new Date(`${to}T12:00:00`) - new Date(`${from}T12:00:00`)) / 86_400_000) + 1;

let uplot = null;
/** uPlot and its stylesheet, once, when the page first needs them. */
function loadUplot() {
  if (!uplot) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = "/static/vendor/uplot.css";
    document.head.append(link);
    uplot = import("../vendor/uplot.mjs").then((module) => module.default);
  }
  return uplot;
}

/** "45 s", "3 min 20 s", "2 h 5 min"; a dash for nothing measured. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  if (s < 60) return t("analytics.seconds", { n: s });
  if (s < 3600) {
    const rest = s % 60;
    return rest ? t("analytics.minutesSeconds", { m: Math.floor(s / 60), s: rest })
      : t("analytics.minutes", { n: s / 60 });
  }
  const minutes = Math.round(s / 60);
  return t("analytics.hoursMinutes", { h: Math.floor(minutes / 60), m: minutes % 60 });
}

function dayLabel(value, long = false) {
  const date = new Date(`${value}T12:00:00`);
  const options = long ? { dateStyle: "medium" } : { day: "numeric", month: "short" };
  return new Intl.DateTimeFormat(i18n.get().lang, options).format(date);
}

function number(value) {
  return new Intl.NumberFormat(i18n.get().lang).format(value);
}

/** One uPlot chart of per-day series; redrawn when its data or the width change. */
const COUNT_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000,
  10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];

function Chart({ id, title, days, series, unit, legend = unit, counts = false }) {
  const box = useRef(null);
  useEffect(() => {
    let chart = null;
    let observer = null;
    let live = true;
    loadUplot().then((UPlot) => {
      if (!live || !box.current) return;
      const width = Math.max(box.current.clientWidth, 280);
      const xs = days.map((_, i) => i);
      const bars = UPlot.paths.bars({ size: [0.7, 48] });
      chart = new UPlot({
        width, height: 220, legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false, range: [-0.5, Math.max(days.length - 0.5, 0.5)] },
          y: { range: (u, min, max) => [0, Math.max(max > 0 ? max * 1.12 : 0, counts ? 4 : 1)] } },
        axes: [
          { values: (u, ticks) => ticks.map((i) => (Number.isInteger(i) && days[i]
            ? dayLabel(days[i].day) : "")), grid: { show: false } },
          { values: (u, ticks) => ticks.map((v) => unit(v)), size: 64,
            ...(counts ? { incrs: COUNT_STEPS } : {}) },
        ],
        series: [
          { label: t("analytics.day"), value: (u, i) => (i === null || !days[i] ? "—"
            : dayLabel(days[i].day, true)) },
          ...series.map((s) => ({
            label: s.label, stroke: s.color, width: 2,
            fill: s.bars ? `${s.color}cc` : undefined,
            paths: s.bars ? bars : undefined, points: { show: !s.bars },
            value: (u, v) => (v === null || v === undefined ? "—" : legend(v)),
          })),
        ],
      }, [xs, ...series.map((s) => days.map(s.value))], box.current);
      observer = new ResizeObserver(() => {
        if (chart && box.current) chart.setSize({ width: Math.max(box.current.clientWidth, 280),
          height: 220 });
      });
      observer.observe(box.current);
    });
    return () => {
      live = false;
      observer?.disconnect();
      chart?.destroy();
    };
  }, [days, i18n.get().lang]);
  return html`<figure class="card analytics-chart" aria-labelledby=${`${id}-title`}>
    <figcaption id=${`${id}-title`}>${title}</figcaption>
    <div class="analytics-plot" id=${id} ref=${box}></div>
  </figure>`;
}

function Total({ name, label, value, hint }) {
  return html`<div class="card analytics-total" data-total=${name}>
    <span class="analytics-total-label">${label}</span>
    <strong class="analytics-total-value">${value}</strong>
    ${hint && html`<span class="muted small">${hint}</span>`}
  </div>`;
}

function Operators({ operators }) {
  if (!operators.length) return html`<p class="muted">${t("analytics.noOperators")}</p>`;
  return html`<div class="analytics-table-wrap"><table class="setup-table analytics-operators">
    <thead><tr>
      <th scope="col">${t("analytics.operator")}</th>
      <th scope="col" class="num">${t("analytics.dialogsAssigned")}</th>
      <th scope="col" class="num">${t("analytics.messagesSent")}</th>
      <th scope="col" class="num">${t("analytics.dialogsResolved")}</th>
      <th scope="col" class="num">${t("analytics.firstResponseMedian")}</th>
      <th scope="col" class="num">${t("analytics.firstResponseP90")}</th>
      <th scope="col" class="num">${t("analytics.online")}</th>
    </tr></thead>
    <tbody>
      ${operators.map((o) => html`<tr key=${o.operatorId} data-operator=${o.login}>
        <th scope="row">${o.name}</th>
        <td class="num" data-column="assigned">${number(o.dialogsAssigned)}</td>
        <td class="num" data-column="sent">${number(o.messagesSent)}</td>
        <td class="num" data-column="resolved">${number(o.dialogsResolved)}</td>
        <td class="num">${duration(o.firstResponse.medianSeconds)}</td>
        <td class="num">${duration(o.firstResponse.p90Seconds)}</td>
        <td class="num" data-column="online">${duration(o.onlineSeconds)}</td>
      </tr>`)}
    </tbody>
  </table></div>`;
}

function Summary({ data }) {
  const { totals, days } = data;
  const empty = totals.messagesIn + totals.messagesOut + totals.dialogsOpened === 0;
  const inMinutes = (seconds) => (seconds === null ? null : seconds / 60);
  return html`
    <div class="analytics-totals">
      <${Total} name="messagesIn" label=${t("analytics.messagesIn")}
        value=${number(totals.messagesIn)}/>
      <${Total} name="messagesOut" label=${t("analytics.messagesOut")}
        value=${number(totals.messagesOut)}
        hint=${totals.failedMessages ? t("analytics.failed", { count: totals.failedMessages })
          : ""}/>
      <${Total} name="dialogsOpened" label=${t("analytics.dialogsOpened")}
        value=${number(totals.dialogsOpened)}
        hint=${t("analytics.resolvedCount", { count: totals.dialogsResolved })}/>
      <${Total} name="firstResponse" label=${t("analytics.firstResponse")}
        value=${duration(data.firstResponse.medianSeconds)}
        hint=${t("analytics.p90", { value: duration(data.firstResponse.p90Seconds) })}/>
      <${Total} name="resolution" label=${t("analytics.resolution")}
        value=${duration(data.resolution.medianSeconds)}
        hint=${t("analytics.p90", { value: duration(data.resolution.p90Seconds) })}/>
      <${Total} name="waiting" label=${t("analytics.waiting")}
        value=${duration(data.waiting.medianSeconds)}
        hint=${t("analytics.p90", { value: duration(data.waiting.p90Seconds) })}/>
    </div>
    ${empty && html`<p class="empty card" role="status">${t("analytics.empty")}</p>`}
    <div class="analytics-charts">
      <${Chart} id="chart-volumes" title=${t("analytics.volumes")} days=${days} counts=${true}
        unit=${(v) => number(Math.round(v))}
        series=${[
          { label: t("analytics.messagesIn"), color: COLORS.in, bars: true,
            value: (d) => d.messagesIn },
          { label: t("analytics.messagesOut"), color: COLORS.out, value: (d) => d.messagesOut },
          { label: t("analytics.dialogsOpened"), color: COLORS.opened,
            value: (d) => d.dialogsOpened },
        ]}/>
      <${Chart} id="chart-response" title=${t("analytics.responseTimes")} days=${days}
        unit=${(v) => t("analytics.minutes", { n: Math.round(v * 10) / 10 })}
        legend=${(v) => duration(v * 60)}
        series=${[
          { label: t("analytics.median"), color: COLORS.median,
            value: (d) => inMinutes(d.firstResponse.medianSeconds) },
          { label: t("analytics.p90Short"), color: COLORS.p90,
            value: (d) => inMinutes(d.firstResponse.p90Seconds) },
        ]}/>
    </div>
    <section class="analytics-operators-section" aria-labelledby="analytics-operators-title">
      <h3 id="analytics-operators-title">${t("analytics.operators")}</h3>
      <${Operators} operators=${data.operators}/>
    </section>`;
}

export function AnalyticsPage() {
  const today = dayValue(new Date());
  const [period, setPeriod] = useState({ from: addDays(today, -6), to: today });
  const [data, setData] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const invalid = !period.from || !period.to ? "analytics.pickDays"
    : period.from > period.to ? "analytics.reversed"
      : daysBetween(period.from, period.to) > MAX_DAYS ? "analytics.tooLong" : null;

  useEffect(() => {
    if (invalid) return undefined;
    let live = true;
    setBusy(true);
    api(SUMMARY, period)
      .then(({ analyticsSummary }) => {
        if (!live) return;
        setData(analyticsSummary);
        setFailure(null);
      })
      .catch((error) => live && setFailure({ code: error.code, message: error.message }))
      .finally(() => live && setBusy(false));
    return () => { live = false; };
  }, [period.from, period.to, invalid]);

  const preset = (days) => setPeriod({ from: addDays(today, 1 - days), to: today });
  const change = (field) => (event) => setPeriod({ ...period, [field]: event.currentTarget.value });
  return html`
    <section class="analytics" aria-labelledby="section-title" aria-busy=${busy ? "true" : "false"}>
      <header class="audit-head">
        <h2 id="section-title">${t("analytics.title")}</h2>
        <p class="muted">${t("analytics.about")}
          ${data && html` ${t("analytics.timezone", { zone: data.timezone })}`}</p>
      </header>
      <form class="card analytics-period" onSubmit=${(e) => e.preventDefault()}>
        <label>${t("analytics.from")}
          <input type="date" name="from" value=${period.from} max=${period.to || undefined}
            onChange=${change("from")}/></label>
        <label>${t("analytics.to")}
          <input type="date" name="to" value=${period.to} min=${period.from || undefined}
            onChange=${change("to")}/></label>
        <div class="analytics-presets" role="group" aria-label=${t("analytics.presets")}>
          ${[7, 30, 90].map((n) => html`<button type="button" class="button button-quiet small"
            key=${n} onClick=${() => preset(n)}>${t("analytics.lastDays", { count: n })}</button>`)}
        </div>
      </form>
      ${invalid && html`<p role="alert" class="analytics-invalid">${t(invalid, { max: MAX_DAYS })}</p>`}
      ${failure && !invalid && html`<p role="alert">${errorText(failure)}</p>`}
      ${!data && !failure && !invalid
        && html`<p class="muted" aria-busy="true">${t("inbox.loading")}</p>`}
      ${data && !invalid && html`<div class="analytics-body" data-from=${data.from}
        data-to=${data.to}><${Summary} data=${data}/></div>`}
    </section>`;
}
