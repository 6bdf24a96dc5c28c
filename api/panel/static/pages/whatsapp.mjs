// WhatsApp: the admin screen (status, the QR code with its countdown and "Refresh code", the
// pairing-code alternative, unlink, the messenger switches, what was kept while out of service,
// the status history) and the banner every operator sees while the channel is down.
import { actorText, reasonText } from "../lib/codes.mjs";
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatWhen, t } from "../lib/i18n.mjs";
import { Link } from "../lib/router.mjs";
import { isAdmin } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { act, condition, loadWhatsApp, whatsapp } from "../lib/whatsapp.mjs";
import { errorText } from "./common.mjs";
import { RefusedItemsCard } from "./refusals.mjs";

/** Seconds left until `iso`, ticking once a second. */
function useSecondsLeft(iso) {
  const left = () => (iso ? Math.max(0, Math.ceil((Date.parse(iso) - Date.now()) / 1000)) : 0);
  const [seconds, setSeconds] = useState(left);
  useEffect(() => {
    setSeconds(left());
    if (!iso) return undefined;
    const timer = setInterval(() => setSeconds(left()), 1000);
    return () => clearInterval(timer);
  }, [iso]);
  return seconds;
}

export function WhatsAppBanner() {
  const { channel } = useStore(whatsapp);
  const state = condition(channel);
  const retry = useSecondsLeft(channel?.reconnecting ? channel.retryAt : null);
  if (state === "ok" || state === "unknown") return null;
  const settings = isAdmin() && html` <${Link} href="/admin/whatsapp" class="banner-link">
    ${t("wa.banner.open")}<//>`;
  if (state === "off") {
    return html`<div class="banner banner-warning" data-banner="whatsapp" data-state="off">
      ${t("wa.banner.off")}${channel.heldCount > 0
        && ` ${t("wa.banner.kept", { count: channel.heldCount })}`}${settings}</div>`;
  }
  if (state === "reconnecting") {
    return html`<div class="banner banner-danger" data-banner="whatsapp" data-state="reconnecting">
      <span class="spinner" aria-hidden="true"></span>
      ${t("wa.banner.reconnecting", { attempt: channel.reconnectAttempt + 1 })}
      ${retry > 0 && ` ${t("wa.banner.retryIn", { count: retry })}`}${settings}</div>`;
  }
  return html`<div class="banner banner-danger" data-banner="whatsapp" data-state="down">
    ${t("wa.banner.down", { status: t(`wa.status.${channel.status}`) })}${settings}</div>`;
}

function StatusBadge({ channel }) {
  const state = condition(channel);
  const tone = state === "ok" ? "ok" : state === "off" ? "warn" : "bad";
  const label = channel.reconnecting ? t("wa.reconnecting") : t(`wa.status.${channel.status}`);
  return html`<span class=${`status-pill status-${tone}`} data-status=${channel.status}>
    ${label}</span>`;
}

function QrCode({ qr, busy, onRefresh, simulator }) {
  const left = useSecondsLeft(qr.expiresAt);
  return html`
    <div class="qr-card card" aria-labelledby="qr-title">
      <h3 id="qr-title">${t("wa.qr.title")}</h3>
      <div class="qr-body">
        <div class="qr-image" role="img" aria-label=${t("wa.qr.alt")} data-qr=${qr.sequence}
          dangerouslySetInnerHTML=${{ __html: qr.svg }}></div>
        <div class="qr-side">
          <ol class="qr-steps">
            <li>${t("wa.qr.step1")}</li>
            <li>${t("wa.qr.step2")}</li>
            <li>${t("wa.qr.step3")}</li>
          </ol>
          <p class="qr-countdown" aria-live="off" data-countdown=${left}>
            ${left > 0 ? t("wa.qr.expiresIn", { count: left }) : t("wa.qr.expired")}</p>
          <p class="muted small">${t("wa.qr.sequence", { n: qr.sequence, of: qr.of })}</p>
          <button type="button" class="button button-quiet" disabled=${busy}
            onClick=${onRefresh}>${t("wa.refresh")}</button>
          ${simulator && html`<p class="muted small">${t("wa.qr.simulator")}${" "}<a
            href="/phone" target="_blank" rel="noopener">${t("wa.qr.openPhone")}</a></p>`}
        </div>
      </div>
    </div>`;
}

function PairingCode({ channel, busy, run }) {
  const [number, setNumber] = useState(channel.pairingCode?.phone ?? "");
  const submit = (event) => {
    event.preventDefault();
    if (number.trim()) run("pair", { phone: number.trim() });
  };
  return html`
    <form class="card pairing" onSubmit=${submit} aria-labelledby="pairing-title">
      <h3 id="pairing-title">${t("wa.pairing.title")}</h3>
      <p class="muted small">${t("wa.pairing.about")}</p>
      ${channel.pairingCode
        ? html`<p class="pairing-code" data-pairing-code>${channel.pairingCode.code}</p>
            <p class="muted small">${t("wa.pairing.enter", { phone: channel.pairingCode.phone })}</p>`
        : html`<div class="field">
            <label for="pairing-number">${t("wa.pairing.number")}</label>
            <input id="pairing-number" type="tel" inputmode="tel" value=${number}
              placeholder="+79161234567" onInput=${(e) => setNumber(e.currentTarget.value)}/>
          </div>
          <button type="submit" class="button button-quiet" disabled=${busy || !number.trim()}>
            ${t("wa.pairing.get")}</button>`}
    </form>`;
}

function Switch({ id, checked, disabled, onChange, label, hint }) {
  return html`
    <div class="switch-row">
      <input id=${id} type="checkbox" role="switch" class="switch" checked=${checked}
        disabled=${disabled} onChange=${(e) => onChange(e.currentTarget.checked)}
        aria-describedby=${`${id}-hint`}/>
      <div><label for=${id}>${label}</label>
        <p id=${`${id}-hint`} class="muted small" data-switch-hint>${hint}</p></div>
    </div>`;
}

function History({ history }) {
  if (!history.length) return html`<p class="muted">${t("wa.history.empty")}</p>`;
  return html`
    <table class="table history-table" data-history>
      <thead><tr><th scope="col">${t("wa.history.when")}</th>
        <th scope="col">${t("wa.history.status")}</th>
        <th scope="col">${t("wa.history.reason")}</th>
        <th scope="col">${t("wa.history.who")}</th></tr></thead>
      <tbody>
        ${history.map((h) => html`<tr key=${h.at + h.event}>
          <td><time datetime=${h.at} title=${formatFull(h.at)}>${formatWhen(h.at)}</time></td>
          <td>${t(`wa.status.${h.status}`)}</td>
          <td>${reasonText("wa.reason", h.reasonCode, h.reasonParams)}</td>
          <td class="muted">${actorText(h.actor)}</td></tr>`)}
      </tbody>
    </table>`;
}

export function WhatsAppPage() {
  const { channel, loaded, error } = useStore(whatsapp);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  useEffect(() => { if (!loaded) loadWhatsApp(); }, []);

  const run = async (name, variables) => {
    if (name === "unlink" && !confirm(t("wa.unlink.confirm"))) return;
    setBusy(true);
    setFailure("");
    const refused = await act(name, variables);
    setBusy(false);
    if (refused) setFailure(errorText(refused));
  };

  if (!channel) {
    return html`<section aria-labelledby="section-title"><h2 id="section-title">
      ${t("admin.whatsapp")}</h2>
      <p class="muted">${error ? errorText(error) : t("wa.loading")}</p></section>`;
  }
  const linking = ["STARTING", "SCAN_QR_CODE"].includes(channel.status) && !channel.reconnecting;
  const linked = channel.status === "WORKING" || channel.reconnecting;
  return html`
    <section class="whatsapp" aria-labelledby="section-title" data-whatsapp>
      <h2 id="section-title">${t("admin.whatsapp")}</h2>
      <div class="card wa-status">
        <div class="wa-status-head">
          <${StatusBadge} channel=${channel}/>
          <span class="muted small">${t(`wa.gateway.${channel.gateway}`)}</span>
        </div>
        ${!linking && !(channel.phone && channel.reason.includes(channel.phone)) && html`
          <p class="wa-reason" data-reason>${reasonText("wa.reason", channel.reasonCode,
            channel.reasonParams)}</p>`}
        ${channel.phone && html`<p>${t("wa.linkedAs", { phone: channel.phone,
          device: channel.device })}${channel.linkedAt && html` <span class="muted small">
          (${formatWhen(channel.linkedAt)})</span>`}</p>`}
        <div class="wa-actions">
          ${!linked && !linking && html`<button type="button" class="button button-primary"
            disabled=${busy} onClick=${() => run("link")}>
            ${channel.linksDevices ? t("wa.link") : t("wa.connect")}</button>`}
          ${channel.linksDevices && !channel.qrCode && (linking || channel.status === "FAILED")
            && html`
            <button type="button" class="button button-quiet" disabled=${busy}
              onClick=${() => run("refresh")}>${t("wa.refresh")}</button>`}
          ${channel.status !== "STOPPED" && html`<button type="button"
            class="button button-danger" disabled=${busy} onClick=${() => run("unlink")}>
            ${linking ? t("wa.cancel") : t("wa.unlink")}</button>`}
        </div>
        <p class="form-error" role="alert">${failure}</p>
      </div>
      ${linking && channel.linksDevices && html`<div class="wa-linking">
        ${channel.qrCode
          ? html`<${QrCode} qr=${channel.qrCode} busy=${busy} onRefresh=${() => run("refresh")}
              simulator=${channel.gateway === "simulator"}/>`
          : html`<div class="card qr-card"><span class="spinner" aria-hidden="true"></span>
              ${t("wa.qr.waiting")}</div>`}
        <${PairingCode} channel=${channel} busy=${busy} run=${run}/>
      </div>`}
      <div class="card" aria-labelledby="settings-title">
        <h3 id="settings-title">${t("wa.settings.title")}</h3>
        <${Switch} id="wa-in-service" checked=${channel.inService} disabled=${busy}
          label=${t("wa.settings.inService")}
          hint=${t(channel.inService ? "wa.settings.inServiceHintOn" : "wa.settings.inServiceHint")}
          onChange=${(on) => run("settings", { inService: on,
            mayWrite: channel.employeesMayWriteFirst })}/>
        <${Switch} id="wa-write-first" checked=${channel.employeesMayWriteFirst} disabled=${busy}
          label=${t("wa.settings.writeFirst")} hint=${t(channel.employeesMayWriteFirst
            ? "wa.settings.writeFirstHintOn" : "wa.settings.writeFirstHint")}
          onChange=${(on) => run("settings", { inService: channel.inService, mayWrite: on })}/>
        ${channel.heldCount > 0 && html`<div class="held" data-held=${channel.heldCount}>
          <p><strong>${t("wa.held.count", { count: channel.heldCount })}</strong>
            ${" "}${t("wa.held.about")}</p>
          <ul class="held-list">${channel.heldMessages.map((m) => html`<li key=${m.id}>
            <span class="muted small">${formatWhen(m.sentAt)} · ${m.name || m.phone}</span>
            <span>${m.text}</span></li>`)}</ul>
        </div>`}
      </div>
      <div class="card" aria-labelledby="history-title">
        <h3 id="history-title">${t("wa.history.title")}</h3>
        <${History} history=${channel.history}/>
      </div>
      <${RefusedItemsCard} channel=${channel.gateway}/>
    </section>`;
}
