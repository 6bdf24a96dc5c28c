// The phone page's side of WhatsApp: the company's simulated phone (scan the QR code shown in
// the admin area, enter a pairing code, drop and restore its connection) and the replies the
// company sent to this client's number, which the client can mark read.
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatTime, t } from "../lib/i18n.mjs";

const POLL_MS = 1500;

/** POST (a JSON body or a form) or GET to a simulated phone's routes under `base`; answers
 * the body, or {error} with a readable reason — a refusal's code said in the reader's
 * language (phone.refused.<CODE>, with the server's message as {message}). */
export async function simulatorCall(base, path, body = null) {
  const init = body === null ? {} : body instanceof FormData ? { method: "POST", body }
    : { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify(body) };
  let response;
  try {
    response = await fetch(`${base}${path}`, init);
  } catch {
    return { error: t("error.NETWORK") };
  }
  const answer = await response.json().catch(() => ({}));
  if (response.ok) return answer;
  const detail = answer.detail;
  if (detail && typeof detail === "object" && !Array.isArray(detail)) {
    const key = `phone.refused.${detail.code}`;
    const text = t(key, { message: detail.message });
    return { error: text === key ? detail.message : text, code: detail.code };
  }
  if (Array.isArray(detail)) {
    return { error: detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ") };
  }
  return { error: detail || `HTTP ${response.status}` };
}

/** The WhatsApp phone's routes (`/simulator/phone…`). */
export const phoneCall = (path, body = null) => simulatorCall("/simulator/phone", path, body);

function usePoll(load, deps) {
  useEffect(() => {
    let stopped = false;
    let timer = null;
    const tick = async () => {
      await load();
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    tick();
    return () => { stopped = true; clearTimeout(timer); };
  }, deps);
}

export function CompanyWhatsApp() {
  const [state, setState] = useState(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const [note, setNote] = useState("");

  const load = async () => {
    const answer = await phoneCall("");
    if (!answer.error) setState(answer);
    else if (answer.code === undefined && state === null) setState({ absent: true });
  };
  usePoll(load, []);

  const run = async (path, body = {}, done = "") => {
    setBusy(true);
    setFailure("");
    setNote("");
    const answer = await phoneCall(path, body);
    setBusy(false);
    if (answer.error) { setFailure(answer.error); return; }
    setState(answer);
    if (done) setNote(t(done, { count: answer.delivered ?? 0 }));
    setCode("");
  };

  if (state === null) return null;
  if (state.absent) {
    return html`<section class="card phone-link"><h2>${t("phone.link.title")}</h2>
      <p class="muted">${t("phone.link.absent")}</p></section>`;
  }
  const linked = state.linked_as && !state.dropped;
  const label = state.dropped ? t("phone.link.dropped")
    : state.linked_as ? t("phone.link.linked", { phone: state.linked_as })
      : state.qr_shown ? t("phone.link.scanNow") : t("phone.link.notLinked");
  return html`
    <section class="card phone-link" aria-labelledby="link-title" data-company-phone=${state.status}>
      <h2 id="link-title">${t("phone.link.title")}</h2>
      <p class="muted small">${t("phone.link.about", { number: state.number })}</p>
      <p role="status" data-link-state>${label}${state.waiting > 0
        && ` ${t("phone.link.waiting", { count: state.waiting })}`}</p>
      <div class="wa-actions">
        ${!state.linked_as && html`<button type="button" class="button button-primary"
          disabled=${busy || !state.qr_shown} onClick=${() => run("/scan", {})}>
          ${t("phone.link.scan")}</button>`}
        ${linked && html`<button type="button" class="button button-danger" disabled=${busy}
          onClick=${() => run("/drop")}>${t("phone.link.drop")}</button>`}
        ${state.dropped && html`<button type="button" class="button button-primary"
          disabled=${busy} onClick=${() => run("/restore", {}, "phone.link.restored")}>
          ${t("phone.link.restore")}</button>`}
      </div>
      ${!state.linked_as && state.pairing_requested && html`
        <form class="phone-link-row" onSubmit=${(e) => { e.preventDefault(); run("/pair", { code }); }}>
          <div class="field">
            <label for="pair-code">${t("phone.link.pairCode")}</label>
            <input id="pair-code" value=${code} autocomplete="off" placeholder="ABCD-EFGH"
              onInput=${(e) => setCode(e.currentTarget.value)}/>
          </div>
          <button type="submit" class="button button-quiet" disabled=${busy || !code.trim()}>
            ${t("phone.link.pair")}</button>
        </form>`}
      ${!state.linked_as && !state.qr_shown && html`<p class="muted small">
        ${t("phone.link.howTo")}${" "}<a href="/admin/whatsapp" target="_blank" rel="noopener">
        ${t("phone.link.openAdmin")}</a></p>`}
      ${failure && html`<p class="form-error" role="alert">${failure}</p>`}
      ${note && html`<p class="muted small" role="status">${note}</p>`}
    </section>`;
}

/** A file the company sent (`media`: kind, mime_type, file_name, id), as the phone shows it: a
 * picture or a sticker inline, anything else as its file to open. */
export function ReplyMedia({ media }) {
  if (!media?.id) return null;
  const src = `/simulator/phone/files/${encodeURIComponent(media.id)}`;
  if (media.kind === "image" || media.kind === "sticker") {
    return html`<a href=${src} target="_blank" rel="noopener" class="msg-media" data-media=${media.kind}>
      <img src=${src} alt=${media.file_name || media.kind} loading="lazy"/></a>`;
  }
  return html`<a href=${src} target="_blank" rel="noopener" class="msg-media"
    data-media=${media.kind}>${media.file_name || media.kind}</a>`;
}

/** Replies this page has told the company it received (its phone is online while it is open). */
const acknowledged = new Set();

/** What the company wrote to this number, polled; received ones are acknowledged at once. */
export function useReplies(number) {
  const [replies, setReplies] = useState([]);
  const [company, setCompany] = useState({ seen: [], typing: false });
  const [failure, setFailure] = useState("");
  const load = async () => {
    if (!/^\+?\d{7,15}$/.test(number.replace(/[\s()-]/g, ""))) { setReplies([]); return; }
    const path = `/${encodeURIComponent(number.replace(/[\s()-]/g, ""))}`;
    const [answer, shown] = await Promise.all([phoneCall(`${path}/messages`),
      phoneCall(`${path}/company`)]);
    if (Array.isArray(shown?.seen)) setCompany({ seen: shown.seen, typing: !!shown.typing });
    if (!Array.isArray(answer)) return;
    setReplies(answer);
    for (const m of answer) {  // received: the company's ticks move to "delivered"
      if (m.status !== "delivered" || acknowledged.has(m.id)) continue;
      acknowledged.add(m.id);
      phoneCall("/ack", { number, id: m.id, status: "delivered" });
    }
  };
  usePoll(load, [number]);

  const markRead = async (message) => {
    setFailure("");
    const answer = await phoneCall("/ack", { number, id: message.id, status: "read" });
    if (answer.error) setFailure(answer.error);
    else load();
  };
  return { replies, failure, markRead, company };
}

/** The replies with their state, and "Mark read" as the client's phone would report it. */
export function Replies({ replies, failure, markRead }) {
  return html`
    <section class="card replies" aria-labelledby="replies-title">
      <h2 id="replies-title">${t("phone.replies")}</h2>
      ${replies.length === 0
        ? html`<p class="muted">${t("phone.noReplies")}</p>`
        : html`<ol class="replies-list" aria-live="polite" data-replies>
            ${replies.map((m) => html`<li key=${m.id} class="reply" data-reply=${m.status}>
              <${ReplyMedia} media=${m.media}/>
              ${m.text && html`<p>${m.text}</p>`}
              <span class="reply-meta">
                <time datetime=${m.at} title=${formatFull(m.at)}>${formatTime(m.at)}</time>
                <span>${t(`phone.reply.${m.status}`)}</span>
                ${m.status !== "read" && html`<button type="button" class="button button-quiet"
                  onClick=${() => markRead(m)}>${t("phone.reply.markRead")}</button>`}
              </span>
            </li>`)}
          </ol>`}
      <p class="form-error" role="alert">${failure}</p>
    </section>`;
}
