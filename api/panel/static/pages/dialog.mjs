// One dialog: who the client is, the messages with their times (newest at the bottom, earlier
// ones on demand), marked read while the page is in view, and a reply draft that is never lost.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatDay, formatFull, formatTime, parseTime, t } from "../lib/i18n.mjs";
import { ENTRY, contactOf, inbox, markRead, remember } from "../lib/inbox.mjs";
import { forgetPending, pending, watchReplies, withPending } from "../lib/outbox.mjs";
import { Link } from "../lib/router.mjs";
import { api, session } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { CALL_FIELDS, CallBackButton, CallEntry } from "../lib/call_back.mjs";
import { ClientCard, shownName } from "../lib/client_card.mjs";
import { errorText, initials } from "./common.mjs";
import { DialogActions } from "./desk.mjs";
import { Discussion } from "./colleagues.mjs";
import { AttachButton, MEDIA_FIELDS, MediaView } from "./media.mjs";
import { DialogLabels } from "./labels.mjs";
import { Composer, DeliveryTicks } from "./reply.mjs";

const PAGE = 50;
const DIALOG = `query Dialog($id: ID!, $last: Int!, $before: Int) {
  dialog(id: $id, last: $last, before: $before) {
    id hasEarlier
    entry { ...Entry }
    messages { id seq direction text sentAt recordedAt ${MEDIA_FIELDS}
      status failureCode failureReason attempts nextAttemptAt editedAt
      fromPhone revokedAt reactions { emoji sender } ${CALL_FIELDS} }
  }
}
${ENTRY}`;

const MESSENGERS = {
  WHATSAPP: "messenger.whatsapp", TELEGRAM: "messenger.telegram", OTHER: "messenger.other",
};

/** Which messenger the client writes through: a coloured word, read out as "Messenger: …". */
export function ChannelBadge({ channel }) {
  const known = channel in MESSENGERS ? channel : "OTHER";
  const name = t(MESSENGERS[known]);
  const label = t("messenger.label");
  return html`<span class=${`channel-badge channel-${known.toLowerCase()}`} data-channel=${known}
    title=${`${label}: ${name}`}><span class="visually-hidden">${label}: </span>${name}</span>`;
}

function merge(older, newer) {
  const bySeq = new Map(older.map((m) => [m.seq, m]));
  for (const m of newer) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** A message the client deleted for everyone: the mark; its text only for those who audit
 * (the server sends it to them alone). */
function Revoked({ message }) {
  return html`<p class="msg-text msg-revoked" data-revoked title=${formatFull(message.revokedAt)}>
      ${t("dialog.revoked")}</p>
    ${message.text && html`<p class="msg-original"><span class="visually-hidden">
      ${t("dialog.revokedOriginal")}: </span><del title=${t("dialog.revokedOriginal")}>
      ${message.text}</del></p>`}`;
}

/** The emoji reactions on a message, one per sender. */
function Reactions({ reactions }) {
  return html`<p class="msg-reactions" data-reactions aria-label=${t("dialog.reactions")}>
    ${reactions.map((r) => html`<span class="reaction" key=${r.sender} title=${r.sender}
      data-reaction=${r.emoji}>${r.emoji}</span>`)}</p>`;
}

function Messages({ messages }) {
  let day = "";
  const items = [];
  for (const m of messages) {
    const when = parseTime(m.sentAt);
    const key = when ? when.toDateString() : "";
    if (key !== day) {
      day = key;
      items.push(html`<li key=${`day-${key}`} class="day" aria-hidden="true">
        <span>${formatDay(when)}</span></li>`);
    }
    const incoming = m.direction === "IN";
    items.push(html`
      <li key=${m.id} class=${`msg ${incoming ? "msg-in" : "msg-out"}${m.pending ? " msg-pending" : ""}`}
        data-seq=${m.seq} data-message-id=${m.id} data-status=${m.status || undefined}>
        <span class="visually-hidden">${t(incoming ? "dialog.from.client" : "dialog.from.us")}: </span>
        ${m.call ? html`<${CallEntry} call=${m.call}/>`
          : m.revokedAt ? html`<${Revoked} message=${m}/>`
          : m.media ? html`<${MediaView} media=${m.media} text=${m.text}/>`
          : html`<p class="msg-text">${m.text}</p>`}
        ${m.reactions?.length > 0 && html`<${Reactions} reactions=${m.reactions}/>`}
        <span class="msg-time">
          <time datetime=${m.sentAt} title=${formatFull(m.sentAt)}>${formatTime(m.sentAt)}</time>
          ${m.editedAt && html`<span class="msg-edited" data-edited
            title=${formatFull(m.editedAt)}> · ${t("dialog.edited")}</span>`}
          ${m.fromPhone && html`<span class="msg-from-phone" data-from-phone>
            · ${t("dialog.fromPhone")}</span>`}
          ${!incoming && !m.call && html`<${DeliveryTicks} message=${m}/>`}
        </span>
      </li>`);
  }
  return html`<ol class="messages">${items}</ol>`;
}

export function DialogView({ id }) {
  const { entries } = useStore(inbox);
  const { epoch, status } = useStore(session);
  const waiting = useStore(pending).byDialog[id];
  const entry = entries[id];
  const [view, setView] = useState({ status: "loading", messages: [], hasEarlier: false });
  const scroller = useRef(null);
  const heading = useRef(null);
  const stick = useRef(true);
  const keepOffset = useRef(null);
  const seenCount = useRef(0);
  const seenPreview = useRef(null);
  const busy = useRef(false);
  const again = useRef(false);

  const fetchLatest = async () => {
    if (busy.current) { again.current = true; return; }
    busy.current = true;
    try {
      const { dialog } = await api(DIALOG, { id, last: PAGE });
      if (!dialog) {
        setView((v) => ({ ...v, status: "notFound" }));
      } else {
        seenCount.current = dialog.entry.messageCount;
        seenPreview.current = dialog.entry.lastMessage?.text ?? null;
        if (!inbox.get().entries[id]) remember(dialog.entry);
        forgetPending(id, dialog.messages);
        setView((v) => {
          const newest = v.messages.at(-1)?.seq ?? 0;
          const gap = v.status !== "ready" || (dialog.messages[0]?.seq ?? 0) > newest + 1;
          return gap
            ? { status: "ready", messages: dialog.messages, hasEarlier: dialog.hasEarlier }
            : { ...v, status: "ready", messages: merge(v.messages, dialog.messages) };
        });
      }
    } catch (error) {
      setView((v) => (v.status === "ready" ? v : { ...v, status: "error", error: error.code }));
    } finally {
      busy.current = false;
      if (again.current) { again.current = false; fetchLatest(); }
    }
  };

  const fetchEarlier = async () => {
    const first = view.messages[0];
    if (!first) return;
    try {
      const { dialog } = await api(DIALOG, { id, last: PAGE, before: first.seq });
      if (!dialog) return;
      const el = scroller.current;
      keepOffset.current = el ? el.scrollHeight - el.scrollTop : null;
      setView((v) => ({ ...v, messages: merge(dialog.messages, v.messages),
        hasEarlier: dialog.hasEarlier }));
    } catch { /* the banner or sign-in tells why */ }
  };

  useEffect(() => { fetchLatest(); }, [id, epoch]);
  // A reply queued, sent, delivered, read or failed: fetch the messages again.
  useEffect(() => watchReplies(id, fetchLatest), [id]);
  // Ready: the heading takes the focus, unless the operator is already typing in a field here.
  useEffect(() => {
    const typing = document.activeElement?.closest?.("input, textarea, select");
    if (!typing) heading.current?.focus({ preventScroll: true });
  }, [view.status === "ready"]);

  // A new message in this dialog, or the client edited the last one: fetch it.
  useEffect(() => {
    if (view.status !== "ready" || !entry) return;
    const edited = entry.messageCount === seenCount.current && entry.lastMessage?.direction === "IN"
      && (entry.lastMessage.text ?? null) !== seenPreview.current;
    if (entry.messageCount > seenCount.current || edited) fetchLatest();
  }, [entry?.messageCount, entry?.lastMessage?.text, view.status]);

  // Seen: the dialog is open and the page is in front.
  useEffect(() => {
    if (view.status !== "ready" || !entry || entry.unreadCount === 0 || status !== "active") {
      return undefined;
    }
    const mark = () => { if (document.visibilityState === "visible") markRead(id); };
    mark();
    document.addEventListener("visibilitychange", mark);
    return () => document.removeEventListener("visibilitychange", mark);
  }, [view.status, entry?.unreadCount, status]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (keepOffset.current !== null) {
      el.scrollTop = el.scrollHeight - keepOffset.current;
      keepOffset.current = null;
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [view.messages, waiting]);

  const onScroll = () => {
    const el = scroller.current;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };

  const onKeyDown = (event) => {
    if (event.key !== "Escape") return;
    document.querySelector(`[data-dialog-id="${CSS.escape(id)}"]`)?.focus();
  };

  if (view.status === "notFound") {
    return html`<div class="placeholder" role="alert"><p>${t("dialog.notFound")}</p>
      <${Link} href="/">${t("dialog.back")}<//></div>`;
  }
  if (view.status === "error") {
    return html`<div class="placeholder" role="alert"><p>${errorText(view.error)}</p>
      <button type="button" class="button button-quiet" onClick=${fetchLatest}>
        ${t("action.retry")}</button></div>`;
  }
  const client = entry?.client;
  const name = client ? shownName(entry, client.name || contactOf(client.phone)) : "";
  const telegram = client ? contactOf(client.phone) !== client.phone : false;
  const count = entry ? entry.messageCount + (entry.replyCount ?? 0) : view.messages.length;
  return html`
    <article class="dialog" aria-labelledby="dialog-title" onKeyDown=${onKeyDown}>
      <header class="dialog-head">
        <${Link} href="/" class="back-link">← ${t("dialog.back")}<//>
        <span class="avatar avatar-lg" aria-hidden="true">${initials(name)}</span>
        <div class="dialog-who">
          <h2 id="dialog-title" ref=${heading} tabindex="-1">${name || t("inbox.loading")}</h2>
          ${client && html`<p class="muted">
            <${ChannelBadge} channel=${entry.channel}/>
            ${client.name && (telegram
              ? html`<span class="client-phone">${contactOf(client.phone)}</span>`
              : html`<a href=${`tel:${client.phone}`} class="client-phone">${client.phone}</a>`)}
            ${client.name && html`<span aria-hidden="true"> · </span>`}
            <span data-message-count=${count}>${t("dialog.messages", { count })}</span>
          </p>`}
          <${DialogLabels} entry=${entry}/>
          ${client && html`<${ClientCard} dialogId=${id} Messages=${Messages}/>`}
        </div>
        <${CallBackButton} dialogId=${id}/>
        <${DialogActions} entry=${entry}/>
      </header>
      <div class="dialog-scroll" ref=${scroller} onScroll=${onScroll}
        role="log" aria-live="polite" aria-relevant="additions" aria-label=${t("dialog.messagesLabel")}
        aria-busy=${view.status === "loading" ? "true" : "false"} tabindex="0">
        ${view.hasEarlier && html`<div class="more">
          <button type="button" class="button button-quiet" onClick=${fetchEarlier}>
            ${t("dialog.loadEarlier")}</button></div>`}
        ${view.status === "loading"
          ? html`<p class="empty">${t("inbox.loading")}</p>`
          : html`<${Messages} messages=${withPending(view.messages, waiting)}/>`}
      </div>
      <${Discussion} dialogId=${id}/>
      <${AttachButton} dialogId=${id} onSent=${() => fetchLatest()}/>
      <${Composer} dialogId=${id} onSent=${() => { stick.current = true; fetchLatest(); }}/>
    </article>`;
}
