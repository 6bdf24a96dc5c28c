// Replying: the reply box (counting toward 4,096 characters; Enter sends, Shift+Enter starts a
// new line; the draft survives reloads), a reply's delivery ticks (queued, sent, delivered,
// read; failed with the reason and Retry), and writing first to a client where allowed.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { loadDraft, saveDraft } from "../lib/drafts.mjs";
import { t } from "../lib/i18n.mjs";
import {
  MAX_TEXT, dialogReadable, keyFor, loadSyncSettings, retryReply, sendReply, startDialog, sync,
} from "../lib/outbox.mjs";
import { useQuickReplyPicker } from "../lib/quick_replies.mjs";
import { navigate } from "../lib/router.mjs";
import { session } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { typingReporter } from "../lib/typing.mjs";
import { whatsapp } from "../lib/whatsapp.mjs";
import { errorText } from "./common.mjs";
import { TemplatePicker, useReplyWindow } from "./templates.mjs";

const TICKS = {
  QUEUED: "🕓", SENDING: "🕓", SENT: "✓", DELIVERED: "✓✓", READ: "✓✓", PLAYED: "✓✓", FAILED: "!",
};

/** The count under the box: how many characters are left, or how many too many. */
function Counter({ length, id }) {
  const left = MAX_TEXT - length;
  const over = left < 0;
  return html`<span id=${id} class=${`reply-count${over ? " reply-count-over" : ""}`}
    data-count=${length} aria-live=${over ? "assertive" : "off"}>
    ${over ? t("reply.tooLong", { count: -left }) : t("reply.count", { count: length,
      max: MAX_TEXT })}</span>`;
}

/** Enter sends, Shift+Enter (or an input method composing) starts a new line. */
export function sendsOnEnter(event, send) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey) {
    event.preventDefault();
    send();
  }
}

/** Reply is off: why the reply would wait (synchronisation is off), for everybody to see. */
function SyncNote() {
  const { settings } = useStore(sync);
  if (!settings || settings.enabled) return null;
  return html`<p class="reply-note reply-note-wait" role="status" data-sync-off>
    ${t("reply.syncOff")}</p>`;
}

export function Composer({ dialogId, onSent }) {
  const { operator } = useStore(session);
  const [text, setText] = useState(() => loadDraft(operator?.id, dialogId));
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const keys = useRef({});
  const box = useRef(null);
  const typing = useMemo(() => typingReporter(dialogId), [dialogId]);  // the client sees it
  useEffect(() => typing.stopped, [typing]);

  useEffect(() => { loadSyncSettings(); }, []);
  const replyWindow = useReplyWindow(dialogId);  // closed (Cloud API, 24 h): templates only
  const quick = useQuickReplyPicker({ dialogId, box, onPick: (value, caret) => {  // "/" picks
    change(value);
    requestAnimationFrame(() => box.current?.setSelectionRange(caret, caret));
  } });

  const change = (value) => {
    setText(value);
    if (value.trim()) typing.typed(); else typing.stopped();
    saveDraft(operator?.id, dialogId, value);
    if (failure) setFailure("");
  };

  const send = async () => {
    if (busy || !text.trim() || text.length > MAX_TEXT) return;
    setBusy(true);
    setFailure("");
    const refused = await sendReply(dialogId, text, keyFor(keys.current, text));
    setBusy(false);
    if (refused) {
      setFailure(errorText(refused));
      return;
    }
    keys.current = {};
    change("");
    onSent?.();
    loadSyncSettings();
    box.current?.focus();
  };

  if (replyWindow?.closed) {
    return html`<${TemplatePicker} dialogId=${dialogId} replyWindow=${replyWindow}
      onSent=${onSent}/>`;
  }
  const tooLong = text.length > MAX_TEXT;
  return html`
    <form class="composer" onSubmit=${(e) => { e.preventDefault(); send(); }} data-composer>
      <label for="reply" class="visually-hidden">${t("dialog.reply.label")}</label>
      <textarea id="reply" ref=${box} rows="2" value=${text}
        onInput=${(e) => { change(e.currentTarget.value); quick.typed(e.currentTarget); }}
        onKeyDown=${(e) => quick.keyDown(e) || sendsOnEnter(e, send)} ...${quick.boxProps}
        aria-invalid=${tooLong ? "true" : "false"}
        placeholder=${t("dialog.reply.placeholder")}
        aria-describedby="reply-note reply-count reply-error"></textarea>
      ${quick.picker}
      <div class="composer-bar">
        <p id="reply-note" class="muted small">${t("reply.hint")}</p>
        <${Counter} length=${text.length} id="reply-count"/>
        <button type="submit" class="button button-primary"
          disabled=${busy || !text.trim() || tooLong}>
          ${busy ? t("reply.sending") : t("dialog.reply.send")}</button>
      </div>
      <${SyncNote}/>
      <p id="reply-error" class="form-error" role="alert">${failure}</p>
    </form>`;
}

/** A reply's ticks: 🕓 queued, ✓ sent, ✓✓ delivered, blue ✓✓ read; failed says why, with Retry. */
export function DeliveryTicks({ message }) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const status = message.status || "QUEUED";
  const label = t(`reply.status.${status}`);
  const retry = async () => {
    setBusy(true);
    setFailure("");
    const refused = await retryReply(message.id);
    setBusy(false);
    if (refused) setFailure(errorText(refused));
  };
  const retrying = status === "QUEUED" && message.failureCode;
  return html`
    <span class=${`ticks ticks-${status.toLowerCase()}`} data-status=${status}
      title=${label} aria-label=${label} role="img">${TICKS[status] ?? ""}</span>
    ${retrying && html`<span class="reply-retrying small" data-retrying>
      ${t("reply.retrying", { reason: reasonText(message) })}</span>`}
    ${status === "FAILED" && html`
      <span class="reply-failed" role="alert" data-failed=${message.failureCode || ""}>
        <span class="reply-reason">${reasonText(message)}</span>
        <button type="button" class="button button-quiet button-small" onClick=${retry}
          disabled=${busy} data-retry>${t("reply.retry")}</button>
        ${failure && html`<span class="form-error">${failure}</span>`}
      </span>`}`;
}

/** A failure's reason: the panel's words for a code it knows, else the gateway's own. */
function reasonText(message) {
  const key = `reply.failure.${message.failureCode}`;
  const known = t(key);
  return known !== key ? known : (message.failureReason || message.failureCode || "");
}

/** "New message": write first to a client, where employees may write first. */
export function StartDialogButton() {
  const { channel } = useStore(whatsapp);
  const [open, setOpen] = useState(false);
  if (!channel?.employeesMayWriteFirst) return null;
  return html`
    <div class="start-dialog">
      <button type="button" class="button button-quiet" aria-expanded=${open ? "true" : "false"}
        aria-controls="start-dialog" onClick=${() => setOpen(!open)} data-start-dialog>
        ${t("reply.start.open")}</button>
      ${open && html`<${StartDialogForm} onDone=${() => setOpen(false)}/>`}
    </div>`;
}

function StartDialogForm({ onDone }) {
  const [phone, setPhone] = useState("");
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const keys = useRef({});
  const first = useRef(null);
  useEffect(() => { first.current?.focus(); }, []);

  const send = async () => {
    if (busy || !phone.trim() || !text.trim() || text.length > MAX_TEXT) return;
    setBusy(true);
    setFailure("");
    const answer = await startDialog(phone.trim(), text, keyFor(keys.current, `${phone}\n${text}`));
    if (answer.dialogId) {
      await dialogReadable(answer.dialogId);  // a new dialog: once the inbox has it
      setBusy(false);
      onDone();
      navigate(`/dialogs/${answer.dialogId}`);
      return;
    }
    setBusy(false);
    setFailure(errorText(answer));
  };

  return html`
    <form id="start-dialog" class="card start-dialog-form" aria-labelledby="start-dialog-title"
      onSubmit=${(e) => { e.preventDefault(); send(); }}>
      <h2 id="start-dialog-title" class="small-title">${t("reply.start.title")}</h2>
      <div class="field">
        <label for="start-phone">${t("reply.start.phone")}</label>
        <input id="start-phone" ref=${first} type="tel" inputmode="tel" autocomplete="off"
          value=${phone} onInput=${(e) => setPhone(e.currentTarget.value)} required/>
      </div>
      <div class="field">
        <label for="start-text">${t("reply.start.text")}</label>
        <textarea id="start-text" rows="3" value=${text} required
          onInput=${(e) => setText(e.currentTarget.value)}
          onKeyDown=${(e) => sendsOnEnter(e, send)}
          aria-describedby="start-count start-error"></textarea>
        <${Counter} length=${text.length} id="start-count"/>
      </div>
      <div class="form-actions">
        <button type="submit" class="button button-primary"
          disabled=${busy || !phone.trim() || !text.trim() || text.length > MAX_TEXT}>
          ${busy ? t("reply.sending") : t("reply.start.send")}</button>
        <button type="button" class="button button-quiet" onClick=${onDone}>
          ${t("reply.start.cancel")}</button>
      </div>
      <p id="start-error" class="form-error" role="alert">${failure}</p>
    </form>`;
}
