// Call back (issue 17): a button in the dialog header asks the PBX to ring the operator's own
// extension and then the client's number; disabled, with the reason beside it, when the operator
// has no extension or no PBX is connected. The call shows in the dialog's timeline as an entry
// with its outcome (`CallEntry`), fetched again as it changes like a reply.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.mjs";
import { formatFull, t } from "./i18n.mjs";
import { api, session } from "./session.mjs";

export const CALL_FIELDS = "call { status extension number reason detail finishedAt }";
const AVAILABILITY = "query CallBackAvailability { callBackAvailability { available refusal extension } }";
const CALL_BACK = `mutation CallBack($dialogId: ID!) { callBack(dialogId: $dialogId) { __typename
  ... on CallBackSuccess { callId extension status }
  ... on UserError { code message } } }`;

function refusalText(code, message) {
  const key = `error.${code}`;
  const text = t(key);
  return text !== key ? text : t("error.UNKNOWN", { message: message || code });
}

/** The header's "Call back" button (operators and admins; auditors only read). */
export function CallBackButton({ dialogId }) {
  const role = session.get().operator?.role;
  const [availability, setAvailability] = useState(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState(null);
  useEffect(() => {
    setNote(null);
    if (role === "AUDITOR") return undefined;
    let live = true;
    api(AVAILABILITY).then(({ callBackAvailability }) => {
      if (live) setAvailability(callBackAvailability);
    }).catch(() => { if (live) setAvailability(null); });
    return () => { live = false; };
  }, [dialogId, role]);
  if (role === "AUDITOR" || !availability) return null;
  const refusal = availability.available ? null : availability.refusal;
  const call = async () => {
    setBusy(true);
    setNote(null);
    try {
      const { callBack } = await api(CALL_BACK, { dialogId });
      setNote(callBack.__typename === "CallBackSuccess"
        ? { ok: true, text: t("callBack.started", { extension: callBack.extension }) }
        : { ok: false, text: refusalText(callBack.code, callBack.message) });
    } catch (error) {
      setNote({ ok: false, text: refusalText(error.code || "UNKNOWN", error.message) });
    } finally {
      setBusy(false);
    }
  };
  const hint = refusal ? t(`callBack.unavailable.${refusal}`) : t("callBack.label");
  return html`
    <div class="call-back" data-call-back>
      <button type="button" class="button button-quiet call-back-button" data-call-back-button
        disabled=${busy || Boolean(refusal)} title=${hint}
        aria-describedby=${refusal ? "call-back-why" : undefined} onClick=${call}>
        <span aria-hidden="true">☎ </span>${t("callBack.button")}</button>
      ${refusal && html`<p id="call-back-why" class="call-back-why muted" data-call-back-refusal=${refusal}>
        ${t(`callBack.unavailable.${refusal}`)}</p>`}
      ${note && html`<p class=${`call-back-note${note.ok ? "" : " call-back-refused"}`}
        role=${note.ok ? "status" : "alert"} data-call-back-note>${note.text}</p>`}
    </div>`;
}

/** A call's entry in the timeline: to whom, from which extension, and how it ended. */
export function CallEntry({ call }) {
  const status = t(`callBack.status.${call.status}`);
  const reason = call.reason ? t(`callBack.reason.${call.reason}`) : "";
  const why = reason && reason !== `callBack.reason.${call.reason}` ? reason : call.detail || "";
  return html`<p class="msg-text msg-call" data-call-status=${call.status}
      title=${call.finishedAt ? formatFull(call.finishedAt) : undefined}>
    <span aria-hidden="true">☎ </span>${t("callBack.entry", { number: call.number,
      extension: call.extension })}
    <span class=${`call-status call-${call.status.toLowerCase()}`}> · ${status}${why
      ? html`<span class="call-reason" data-call-reason=${call.reason || undefined}> (${why})</span>` : ""}</span>
  </p>`;
}
