// Colleague chats: the list with unread counts (live over the inbox's socket), one chat's
// messages, the discussion about a client's dialog ("ask a colleague"), and uploads to clients.
import { liveHooks } from "./inbox.mjs";
import { api, session } from "./session.mjs";
import { createStore } from "./store.mjs";

const CHAT = `id kind title dialogId clientName clientPhone unreadCount messageCount
  lastMessage { text at authorId } members { id displayName }`;
const MESSAGES = "messages { id seq text sentAt editedAt mine author { id displayName } }";
const LIST = `query { colleagueChats { unreadMessages chats { ${CHAT} } } }`;
const ONE = `query($id: ID!) { colleagueChat(id: $id) { hasEarlier chat { ${CHAT} } ${MESSAGES} } }`;
const DISCUSSION = `query($d: ID!) { dialogDiscussion(dialogId: $d) { hasEarlier chat { ${CHAT} }
  ${MESSAGES} } }`;
const CHANGED = `subscription { colleagueChatsChanged { chatId unreadMessages chat { ${CHAT} } } }`;
const RESULT = `__typename ... on UserError { code message }`;

export const colleagues = createStore({ chats: [], unread: 0, loaded: false, people: null });
const watchers = new Set(); // (chatId) => void: a chat changed

export async function loadChats() {
  const { colleagueChats } = await api(LIST);
  colleagues.set({ chats: colleagueChats.chats, unread: colleagueChats.unreadMessages,
    loaded: true });
}

export async function loadPeople() {
  const { colleagues: people } = await api("query { colleagues { id login displayName } }");
  colleagues.set({ people });
  return people;
}

export const loadChat = async (id) => (await api(ONE, { id })).colleagueChat;
export const loadDiscussion = async (dialogId) =>
  (await api(DISCUSSION, { d: dialogId })).dialogDiscussion;

function checked(result) {
  if (result.__typename === "UserError") {
    const error = new Error(result.message);
    error.code = result.code;
    throw error;
  }
  return result;
}

const key = () => crypto.randomUUID?.() ?? `${Date.now()}-${Math.random()}`;

export async function post(chatId, text) {
  const data = await api(`mutation($c: ID!, $t: String!, $k: String) {
    postColleagueMessage(chatId: $c, text: $t, idempotencyKey: $k) { ${RESULT}
      ... on PostColleagueMessageSuccess { chat { ${CHAT} } } } }`, { c: chatId, t: text, k: key() });
  return checked(data.postColleagueMessage);
}

export async function ask(dialogId, colleagueIds, text) {
  const data = await api(`mutation($d: ID!, $c: [ID!], $t: String!, $k: String) {
    askColleague(dialogId: $d, colleagueIds: $c, text: $t, idempotencyKey: $k) { ${RESULT}
      ... on PostColleagueMessageSuccess { chat { ${CHAT} } } } }`,
  { d: dialogId, c: colleagueIds, t: text, k: key() });
  return checked(data.askColleague);
}

export async function startDirect(colleagueId) {
  const data = await api(`mutation($c: ID!) { startDirectChat(colleagueId: $c) { ${RESULT}
    ... on ColleagueChatSuccess { chat { ${CHAT} } } } }`, { c: colleagueId });
  return checked(data.startDirectChat).chat;
}

export async function startGroup(title, memberIds) {
  const data = await api(`mutation($t: String!, $m: [ID!]!, $k: ID) {
    startGroupChat(title: $t, memberIds: $m, clientId: $k) { ${RESULT}
      ... on ColleagueChatSuccess { chat { ${CHAT} } } } }`,
  { t: title, m: memberIds, k: crypto.randomUUID?.() ?? null });
  return checked(data.startGroupChat).chat;
}

export async function markChatRead(chatId) {
  const data = await api(`mutation($c: ID!) { markColleagueChatRead(chatId: $c) { ${RESULT}
    ... on ColleagueChatSuccess { chat { ${CHAT} } } } }`, { c: chatId });
  const result = data.markColleagueChatRead;
  if (result.__typename !== "UserError") {
    const before = colleagues.get().chats.find((c) => c.id === chatId)?.unreadCount ?? 0;
    replace(result.chat);
    colleagues.set((s) => ({ unread: Math.max(s.unread - before, 0) }));
  }
}

function replace(chat) {
  colleagues.set((s) => {
    const others = s.chats.filter((c) => c.id !== chat.id);
    return { chats: [chat, ...others].sort((a, b) =>
      (b.lastMessage?.at ?? "").localeCompare(a.lastMessage?.at ?? "")) };
  });
}

/** Calls `listener(chatId)` whenever one of your chats changes; answers how to stop. */
export function watchChats(listener) {
  watchers.add(listener);
  return () => watchers.delete(listener);
}

function changed(change) {
  if (change.chat) replace(change.chat);
  else colleagues.set((s) => ({ chats: s.chats.filter((c) => c.id !== change.chatId) }));
  colleagues.set({ unread: change.unreadMessages });
  for (const listener of [...watchers]) listener(change.chatId, change.chat);
}

// Files of open dialogs: a download done, failed or refused re-reads the dialog.
let live = null;
const mediaWatchers = new Map(); // dialogId -> {listeners, stop}
const MEDIA_CHANGED = `subscription($d: ID!) { mediaChanged(dialogId: $d) { dialogId } }`;

function subscribeMedia(dialogId, watcher) {
  watcher.stop?.();
  watcher.stop = live ? live.subscribe({ query: MEDIA_CHANGED, variables: { d: dialogId } }, {
    next: () => { for (const listener of [...watcher.listeners]) listener(); },
    error: () => {},
    complete: () => {},
  }) : null;
}

/** Calls `listener()` whenever a file of the dialog changes; answers how to stop. */
export function watchMedia(dialogId, listener) {
  let watcher = mediaWatchers.get(dialogId);
  if (!watcher) {
    watcher = { listeners: new Set(), stop: null };
    mediaWatchers.set(dialogId, watcher);
    subscribeMedia(dialogId, watcher);
  }
  watcher.listeners.add(listener);
  return () => {
    watcher.listeners.delete(listener);
    if (watcher.listeners.size === 0) {
      watcher.stop?.();
      mediaWatchers.delete(dialogId);
    }
  };
}

liveHooks.add((client) => {
  live = client;
  for (const [dialogId, watcher] of mediaWatchers) subscribeMedia(dialogId, watcher);
  loadChats().catch(() => {});
  client.subscribe({ query: CHANGED }, {
    next: ({ data }) => data && changed(data.colleagueChatsChanged),
    error: () => {},
    complete: () => {},
  });
});

session.subscribe((state) => {
  if (state.status === "signedOut") {
    colleagues.set({ chats: [], unread: 0, loaded: false, people: null });
  }
});

/** An image or a document to a client, through the outbox: `{messageId}` or `{code, message}`. */
export async function uploadToClient(dialogId, file, caption) {
  const form = new FormData();
  form.append("dialogId", dialogId);
  form.append("key", key());
  form.append("caption", caption || "");
  form.append("file", file);
  let response;
  try {
    response = await fetch("/media/upload", { method: "POST", body: form,
      headers: { authorization: `Bearer ${session.get().token}` } });
  } catch {
    return { code: "NETWORK" };
  }
  try {
    const body = await response.json();
    return response.ok ? body : { code: body.code || `HTTP_${response.status}`,
      message: body.message || body.detail };
  } catch {
    return { code: `HTTP_${response.status}` };
  }
}
