// Chats with colleagues beside the client dialogs, and the "ask a colleague" thread inside a
// dialog — kept apart from the reply box: nothing written here goes to the client.
import { useEffect, useRef, useState } from "preact/hooks";
import {
  ask, colleagues, loadChat, loadChats, loadDiscussion, loadPeople, markChatRead, post,
  startDirect, startGroup, watchChats,
} from "../lib/colleagues.mjs";
import { html } from "../lib/html.mjs";
import { formatFull, formatTime, formatWhen, t } from "../lib/i18n.mjs";
import { Link, navigate } from "../lib/router.mjs";
import { useStore } from "../lib/store.mjs";
import { errorText, initials } from "./common.mjs";
import { Icon } from "./media.mjs";

function Thread({ messages, label }) {
  const box = useRef(null);
  useEffect(() => { if (box.current) box.current.scrollTop = box.current.scrollHeight; },
    [messages.length]);
  return html`
    <div class="chat-scroll" ref=${box} role="log" aria-live="polite" aria-label=${label}
      tabindex="0">
      ${messages.length === 0
        ? html`<p class="empty">${t("colleagues.noMessages")}</p>`
        : html`<ol class="messages chat-messages">${messages.map((m) => html`
            <li key=${m.id} class=${`msg ${m.mine ? "msg-out" : "msg-in"} chat-msg`}
              data-chat-message=${m.seq}>
              ${!m.mine && html`<span class="chat-author">${m.author.displayName}</span>`}
              <p class="msg-text">${m.text}</p>
              <span class="msg-time"><time datetime=${m.sentAt} title=${formatFull(m.sentAt)}
                >${formatTime(m.sentAt)}</time>${m.editedAt && html` · ${t("colleagues.edited")}`}
              </span>
            </li>`)}</ol>`}
    </div>`;
}

function Composer({ id, label, placeholder, button, onSend, extra = null }) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const submit = async (event) => {
    event.preventDefault();
    const value = text.trim();
    if (!value || busy) return;
    setBusy(true);
    setFailure("");
    try {
      await onSend(value);
      setText("");
    } catch (error) {
      setFailure(errorText(error.code || "UNKNOWN", error.message));
    } finally {
      setBusy(false);
    }
  };
  const onKeyDown = (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  };
  return html`
    <form class="chat-compose" onSubmit=${submit}>
      ${extra}
      <label for=${id} class="visually-hidden">${label}</label>
      <textarea id=${id} rows="2" value=${text} placeholder=${placeholder}
        onInput=${(e) => setText(e.currentTarget.value)} onKeyDown=${onKeyDown}></textarea>
      <button type="submit" class="button button-primary" disabled=${busy || !text.trim()}>
        ${button}</button>
      <p class="form-error" role="alert">${failure}</p>
    </form>`;
}

function usePeople(wanted = true) {
  const { people } = useStore(colleagues);
  useEffect(() => { if (wanted && people === null) loadPeople().catch(() => {}); },
    [wanted, people === null]);
  return people ?? [];
}

/** The colleagues' discussion about this dialog: visible to operators only. It costs no call
 * until it is opened (the chats list already tells whether it has unread messages). */
export function Discussion({ dialogId }) {
  const [view, setView] = useState(null);
  const [open, setOpen] = useState(false);
  const [asked, setAsked] = useState([]);
  const { chats } = useStore(colleagues);
  const known = chats.find((c) => c.dialogId === dialogId);
  const people = usePeople(open);
  const refresh = async () => {
    try {
      const found = await loadDiscussion(dialogId);
      setView(found);
      if (found && found.chat.unreadCount > 0 && document.visibilityState === "visible") {
        markChatRead(found.chat.id).catch(() => {});
      }
    } catch { /* the banner or sign-in tells why */ }
  };
  useEffect(() => { setView(null); setAsked([]); setOpen(false); }, [dialogId]);
  useEffect(() => { if (open) refresh(); }, [open, dialogId]);
  useEffect(() => watchChats((chatId, chat) => {
    if (open && (chat?.dialogId === dialogId || chatId === view?.chat.id)) refresh();
  }), [dialogId, open, view?.chat.id]);
  const count = view?.messages.length ?? known?.messageCount ?? 0;
  const unread = open ? view?.chat.unreadCount ?? 0 : known?.unreadCount ?? 0;
  const toggle = (id) => setAsked((list) => list.includes(id) ? list.filter((x) => x !== id)
    : [...list, id]);
  const members = new Set(view?.chat.members.map((m) => m.id) ?? []);
  const picker = html`
    <fieldset class="ask-who">
      <legend>${t("colleagues.askWho")}</legend>
      ${people.length === 0 && html`<p class="muted small">${t("colleagues.nobody")}</p>`}
      ${people.map((p) => html`
        <label class="ask-person"><input type="checkbox" data-ask-colleague=${p.login}
          checked=${asked.includes(p.id) || members.has(p.id)} disabled=${members.has(p.id)}
          onChange=${() => toggle(p.id)}/> ${p.displayName}</label>`)}
    </fieldset>`;
  return html`
    <section class=${`discussion${open ? " discussion-open" : ""}`} data-discussion
      aria-labelledby=${`discussion-${dialogId}`}>
      <button type="button" class="discussion-toggle" aria-expanded=${open ? "true" : "false"}
        aria-controls=${`discussion-body-${dialogId}`} onClick=${() => setOpen(!open)}>
        <span id=${`discussion-${dialogId}`}><${Icon} name="lock"/> ${t("colleagues.discussion")}</span>
        <span class="muted small">${count > 0 ? t("colleagues.messages", { count })
          : t("colleagues.askHint")}</span>
        ${unread > 0 && html`<span class="badge" data-discussion-unread=${unread}>${unread}</span>`}
      </button>
      ${open && html`
        <div id=${`discussion-body-${dialogId}`} class="discussion-body">
          <p class="discussion-private muted small">${t("colleagues.private")}</p>
          <${Thread} messages=${view?.messages ?? []} label=${t("colleagues.discussion")}/>
          <${Composer} id=${`ask-${dialogId}`} label=${t("colleagues.askLabel")}
            placeholder=${t("colleagues.askPlaceholder")} button=${t("colleagues.ask")}
            extra=${picker}
            onSend=${async (text) => {
              const result = await ask(dialogId, asked, text);
              setAsked([]);
              await refresh();
              return result;
            }}/>
        </div>`}
    </section>`;
}

function ChatRow({ chat, active }) {
  const kind = chat.kind === "DISCUSSION" ? t("colleagues.kind.DISCUSSION") : "";
  return html`
    <li class="row-item">
      <${Link} href=${`/colleagues/${chat.id}`} data-chat-id=${chat.id}
        class=${`row${chat.unreadCount > 0 ? " row-unread" : ""}${active ? " row-active" : ""}`}
        aria-current=${active ? "true" : undefined}>
        <span class="avatar" aria-hidden="true">${chat.kind === "GROUP" ? html`<${Icon} name="group"/>`
          : chat.kind === "DISCUSSION" ? html`<${Icon} name="lock"/>` : initials(chat.title)}</span>
        <span class="row-main">
          <span class="row-top">
            <span class="row-name">${chat.title}</span>
            ${kind && html`<span class="row-phone">${kind}</span>`}
            ${chat.lastMessage && html`<time class="row-time" datetime=${chat.lastMessage.at}
              >${formatWhen(chat.lastMessage.at)}</time>`}
          </span>
          <span class="row-bottom">
            <span class="row-preview">${chat.lastMessage?.text ?? t("colleagues.noMessages")}</span>
            ${chat.unreadCount > 0 && html`<span class="badge" data-chat-unread=${chat.unreadCount}
              >${chat.unreadCount}</span>`}
          </span>
        </span>
      <//>
    </li>`;
}

function NewChat() {
  const people = usePeople();
  const [picked, setPicked] = useState([]);
  const [title, setTitle] = useState("");
  const [failure, setFailure] = useState("");
  const start = async (event) => {
    event.preventDefault();
    setFailure("");
    try {
      const chat = picked.length === 1 && !title.trim() ? await startDirect(picked[0])
        : await startGroup(title.trim() || t("colleagues.groupDefault"), picked);
      await loadChats();
      setPicked([]);
      setTitle("");
      navigate(`/colleagues/${chat.id}`);
    } catch (error) {
      setFailure(errorText(error.code || "UNKNOWN", error.message));
    }
  };
  return html`
    <details class="new-chat">
      <summary>${t("colleagues.new")}</summary>
      <form onSubmit=${start}>
        <fieldset><legend>${t("colleagues.with")}</legend>
          ${people.map((p) => html`<label class="ask-person"><input type="checkbox"
            data-new-chat=${p.login} checked=${picked.includes(p.id)}
            onChange=${() => setPicked((l) => l.includes(p.id) ? l.filter((x) => x !== p.id)
              : [...l, p.id])}/> ${p.displayName}</label>`)}
        </fieldset>
        ${picked.length > 1 && html`<label>${t("colleagues.title")}
          <input value=${title} onInput=${(e) => setTitle(e.currentTarget.value)}/></label>`}
        <button type="submit" class="button button-primary" disabled=${picked.length === 0}>
          ${t("colleagues.start")}</button>
        <p class="form-error" role="alert">${failure}</p>
      </form>
    </details>`;
}

function ChatView({ chatId }) {
  const [view, setView] = useState({ status: "loading" });
  const refresh = async () => {
    try {
      const found = await loadChat(chatId);
      setView(found ? { status: "ready", ...found } : { status: "notFound" });
      if (found && found.chat.unreadCount > 0 && document.visibilityState === "visible") {
        markChatRead(chatId).catch(() => {});
      }
    } catch (error) {
      setView({ status: "error", error: error.code });
    }
  };
  useEffect(() => { setView({ status: "loading" }); refresh(); }, [chatId]);
  useEffect(() => watchChats((id) => { if (id === chatId) refresh(); }), [chatId]);
  if (view.status === "loading") return html`<p class="empty">${t("inbox.loading")}</p>`;
  if (view.status !== "ready") {
    return html`<div class="placeholder" role="alert"><p>${t("colleagues.notFound")}</p></div>`;
  }
  const { chat } = view;
  return html`
    <article class="dialog chat" aria-labelledby="chat-title" data-open-chat=${chat.id}>
      <header class="dialog-head">
        <${Link} href="/colleagues" class="back-link">← ${t("colleagues.back")}<//>
        <div class="dialog-who">
          <h2 id="chat-title">${chat.title}</h2>
          <p class="muted">${chat.members.map((m) => m.displayName).join(", ")}
            ${chat.dialogId && html` · <${Link} href=${`/dialogs/${chat.dialogId}`}
              >${t("colleagues.openDialog")}<//>`}</p>
        </div>
      </header>
      <${Thread} messages=${view.messages} label=${chat.title}/>
      <${Composer} id=${`chat-${chat.id}`} label=${t("colleagues.write")}
        placeholder=${t("colleagues.placeholder")} button=${t("colleagues.send")}
        onSend=${async (text) => { await post(chat.id, text); await refresh(); }}/>
    </article>`;
}

export function ColleaguesPage({ chatId }) {
  const { chats, loaded } = useStore(colleagues);
  useEffect(() => { if (!loaded) loadChats().catch(() => {}); }, [loaded]);
  return html`
    <div class=${`inbox-layout colleagues-layout${chatId ? " has-dialog" : ""}`}>
      <section class="inbox" aria-labelledby="colleagues-title">
        <header class="inbox-head">
          <h1 id="colleagues-title">${t("colleagues.pageTitle")}</h1>
          <${NewChat}/>
        </header>
        <div class="inbox-scroll">
          ${chats.length === 0
            ? html`<p class="empty">${t("colleagues.none")}</p>`
            : html`<ul class="dialog-list" data-chats aria-label=${t("colleagues.pageTitle")}>
                ${chats.map((chat) => html`
                  <${ChatRow} key=${chat.id} chat=${chat} active=${chat.id === chatId}/>`)}
              </ul>`}
        </div>
      </section>
      <section class="dialog-pane" aria-label=${t("colleagues.pane")}>
        ${chatId ? html`<${ChatView} key=${chatId} chatId=${chatId}/>`
          : html`<div class="placeholder"><p>${t("colleagues.pick")}</p></div>`}
      </section>
    </div>`;
}
