// The inbox: filter tabs, the dialog list (50 at a time, more as you scroll), and the open dialog.
import { useEffect, useMemo, useRef } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatWhen, t } from "../lib/i18n.mjs";
import {
  contactOf, inbox, loadFirst, loadMore, setChannel, setFilter, unreadForMe, visibleEntries,
} from "../lib/inbox.mjs";
import { Link } from "../lib/router.mjs";
import { session } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { ClientMark, shownName } from "../lib/client_card.mjs";
import { errorText, initials } from "./common.mjs";
import { AccessNotice, HolderChip } from "./desk.mjs";
import { ChannelBadge, DialogView } from "./dialog.mjs";
import { LabelChips, LabelFilter } from "./labels.mjs";
import { StartDialogButton } from "./reply.mjs";

const TABS = [
  { id: "ALL", label: "inbox.filter.all" },
  { id: "UNREAD", label: "inbox.filter.unread" },
  { id: "MINE", label: "inbox.filter.mine" },
  { id: "UNASSIGNED", label: "inbox.filter.unassigned" },
  { id: "UNANSWERED", label: "inbox.filter.unanswered" },
  { id: "RESOLVED", label: "inbox.filter.resolved" },
];

function FilterTabs({ filter }) {
  const enabled = TABS.map((tab) => tab.id);
  const onKeyDown = (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const next = enabled[(enabled.indexOf(filter) + step + enabled.length) % enabled.length];
    setFilter(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return html`
    <div class="tabs" role="tablist" aria-label=${t("inbox.filters")} onKeyDown=${onKeyDown}>
      ${TABS.map((tab) => html`<button type="button" role="tab" id=${`tab-${tab.id}`}
        class="tab" aria-selected=${filter === tab.id ? "true" : "false"}
        aria-controls="inbox-panel" tabindex=${filter === tab.id ? 0 : -1}
        onClick=${() => setFilter(tab.id)}>${t(tab.label)}</button>`)}
    </div>`;
}

const MESSENGER_CHOICES = [
  { id: "ALL", label: "inbox.channel.all" },
  { id: "WHATSAPP", label: "messenger.whatsapp" },
  { id: "TELEGRAM", label: "messenger.telegram" },
];

/** Narrows every tab to the dialogs of one messenger. */
function ChannelFilter({ channel }) {
  return html`
    <label class="channel-filter">
      <span>${t("messenger.label")}</span>
      <select value=${channel} onChange=${(e) => setChannel(e.currentTarget.value)}>
        ${MESSENGER_CHOICES.map((choice) => html`
          <option value=${choice.id}>${t(choice.label)}</option>`)}
      </select>
    </label>`;
}

/** Who wrote the last reply: "You:" or the colleague's name (nothing for a reply typed on the
 * company's phone). */
function ReplyAuthor({ message }) {
  const author = message?.direction === "OUT" ? message.author : null;
  if (!author) return null;
  const text = author.id === session.get().operator?.id ? t("inbox.you")
    : t("inbox.byColleague", { name: author.displayName });
  return html`<span class="muted" data-reply-author=${author.id}>${text} </span>`;
}

function Row({ entry, active }) {
  const { client, lastMessage } = entry;
  const unreadCount = unreadForMe(entry);
  const name = shownName(entry, client.name || contactOf(client.phone));
  return html`
    <li class="row-item">
      <${Link} href=${`/dialogs/${entry.id}`} data-dialog-id=${entry.id}
        class=${`row${unreadCount > 0 ? " row-unread" : ""}${active ? " row-active" : ""}`}
        aria-current=${active ? "true" : undefined}>
        <span class="avatar" aria-hidden="true">${initials(name)}</span>
        <span class="row-main">
          <span class="row-top">
            <span class="row-name">${name}</span>
            ${client.name && html`<span class="row-phone">${contactOf(client.phone)}</span>`}
            <${ClientMark} mark=${entry.clientMark}/>
            <${ChannelBadge} channel=${entry.channel}/>
            ${lastMessage && html`<time class="row-time" datetime=${lastMessage.at}
              title=${formatFull(lastMessage.at)}>${formatWhen(lastMessage.at)}</time>`}
          </span>
          <span class="row-bottom">
            <span class="row-preview">
              <${ReplyAuthor} message=${lastMessage}/>
              ${lastMessage ? lastMessage.text : t("inbox.noMessages")}
            </span>
            <${LabelChips} labels=${entry.labels}/>
            <${HolderChip} entry=${entry}/>
            ${unreadCount > 0 && html`
              <span class="badge" data-unread=${unreadCount}
                aria-label=${t("inbox.unreadBadge", { count: unreadCount })}>${unreadCount}</span>`}
          </span>
        </span>
      <//>
    </li>`;
}

function MoreLoader({ list, filter, rootRef }) {
  const sentinel = useRef(null);
  useEffect(() => {
    if (!list.hasNext || !sentinel.current || !("IntersectionObserver" in window)) return undefined;
    const observer = new IntersectionObserver(
      (seen) => { if (seen.some((s) => s.isIntersecting)) loadMore(filter); },
      { root: rootRef.current, rootMargin: "400px 0px" },
    );
    observer.observe(sentinel.current);
    return () => observer.disconnect();
  }, [list.hasNext, list.ids.length, filter]);
  if (!list.loaded) return null;
  if (!list.hasNext) return null;
  return html`
    <div class="more" ref=${sentinel}>
      <button type="button" class="button button-quiet" onClick=${() => loadMore(filter)}
        disabled=${list.loading}>
        ${list.loading ? t("inbox.loading") : t("inbox.loadMore")}
      </button>
    </div>`;
}

/** Up/Down (and Home/End) move between dialogs; Enter opens one. */
function moveFocus(event) {
  const step = { ArrowDown: 1, ArrowUp: -1, Home: -Infinity, End: Infinity }[event.key];
  if (!step || !event.target.matches("a.row")) return;
  event.preventDefault();
  const rows = [...event.currentTarget.querySelectorAll("a.row")];
  const at = rows.indexOf(event.target);
  const next = Math.max(0, Math.min(rows.length - 1, Number.isFinite(step) ? at + step
    : step < 0 ? 0 : rows.length - 1));
  rows[next]?.focus();
}

export function InboxPage({ dialogId }) {
  const state = useStore(inbox);
  const { filter, unread, channel } = state;
  const list = state.lists[filter];
  const scroller = useRef(null);

  useEffect(() => {
    if (!list.loaded && !list.loading) loadFirst(filter);
  }, [filter, list.loaded]);

  const rows = useMemo(() => visibleEntries(state, filter, dialogId),
    [state.entries, list.ids, filter, channel, dialogId]);

  let body;
  if (!list.loaded && list.error) {
    body = html`<div class="empty" role="alert">${errorText(list.error)}
      <button type="button" class="button button-quiet" onClick=${() => loadFirst(filter)}>
        ${t("action.retry")}</button></div>`;
  } else if (!list.loaded) {
    body = html`<div class="empty" aria-busy="true">${t("inbox.loading")}</div>`;
  } else if (rows.length === 0 && channel !== "ALL") {
    const name = t(MESSENGER_CHOICES.find((c) => c.id === channel)?.label ?? "inbox.channel.all");
    body = html`<div class="empty">${t("inbox.empty.messenger", { name })}</div>`;
  } else if (rows.length === 0) {
    body = html`<div class="empty">${t(`inbox.empty.${filter.toLowerCase()}`)}</div>`;
  } else {
    body = html`<ul class="dialog-list" aria-label=${t("inbox.listLabel")} onKeyDown=${moveFocus}>
      ${rows.map((entry) => html`<${Row} key=${entry.id} entry=${entry}
        active=${entry.id === dialogId}/>`)}
    </ul>`;
  }

  return html`
    <div class=${`inbox-layout${dialogId ? " has-dialog" : ""}`}>
      <section class="inbox" aria-labelledby="inbox-title">
        <header class="inbox-head">
          <h1 id="inbox-title">${t("inbox.title")}</h1>
          <p class="inbox-count" data-unread-dialogs=${unread}>
            ${unread > 0 ? t("inbox.unreadDialogs", { count: unread }) : t("inbox.allRead")}
          </p>
          <${StartDialogButton}/>
        </header>
        <${AccessNotice}/>
        <div class="inbox-filters">
          <${FilterTabs} filter=${filter}/>
          <${ChannelFilter} channel=${channel}/>
          <${LabelFilter}/>
        </div>
        <div class="inbox-scroll" id="inbox-panel" role="tabpanel" ref=${scroller}
          aria-labelledby=${`tab-${filter}`} aria-busy=${list.loading ? "true" : "false"}>
          ${body}
          <${MoreLoader} list=${list} filter=${filter} rootRef=${scroller}/>
          ${list.loaded && list.error && html`<p class="form-error" role="alert">
            ${errorText(list.error)}</p>`}
        </div>
      </section>
      <section class="dialog-pane" aria-label=${t("dialog.pane")}>
        ${dialogId
          ? html`<${DialogView} key=${dialogId} id=${dialogId}/>`
          : html`<div class="placeholder"><p>${t("dialog.choose")}</p></div>`}
      </section>
    </div>`;
}
