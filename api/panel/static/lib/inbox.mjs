// The operator's inbox: pages of dialogs fetched on demand, kept live by the inboxChanged
// subscription, and caught up by a refetch whenever the socket comes back.
import { isForbiddenClose, liveClient } from "./gql.mjs";
import { t } from "./i18n.mjs";
import { announce, chime, desktopNotify } from "./notify.mjs";
import { navigate } from "./router.mjs";
import { api, expire, session } from "./session.mjs";
import { createStore } from "./store.mjs";

export const PAGE_SIZE = 50;
export const FILTERS = ["ALL", "UNREAD", "MINE", "UNASSIGNED", "UNANSWERED", "RESOLVED"];
/** The messengers the inbox can be narrowed to (the API's `Messenger`); ALL: every one. */
export const CHANNELS = ["ALL", "WHATSAPP", "TELEGRAM"];

export const ENTRY = `fragment Entry on InboxEntry {
  id cursor channel openedAt messageCount replyCount unreadCount
  client { id name phone }
  lastMessage { text direction at author { id displayName } }
  status assignee { id displayName } offerExpiresAt
  labels { id name color }
  clientMark { displayName organisation inPhonebook hasNote }
}`;

/** Whether an entry belongs under a filter, as the server decides it (routing: mine,
 * unassigned, unanswered — the client wrote last —, resolved). */
export function matches(filter, entry) {
  const resolved = entry.status === "RESOLVED";
  switch (filter) {
    case "UNREAD": return unreadForMe(entry) > 0;
    case "MINE": return !!entry.assignee && entry.assignee.id === session.get().operator?.id;
    case "UNASSIGNED": return !entry.assignee && !resolved;
    case "UNANSWERED": return entry.lastMessage?.direction === "IN" && !resolved;
    case "RESOLVED": return resolved;
    default: return true;
  }
}

/** The unread count that concerns me: none in a dialog a colleague holds (theirs to answer; the
 * server counts unread dialogs the same way). */
export function unreadForMe(entry) {
  const holder = entry.assignee?.id;
  return holder && holder !== session.get().operator?.id ? 0 : entry.unreadCount;
}

/** Whether an entry came through the messenger chosen (ALL: any). */
export function matchesChannel(channel, entry) {
  return channel === "ALL" || entry.channel === channel;
}

/** Whether an entry has the label chosen (ALL: any entry). */
export function matchesLabel(label, entry) {
  return label === "ALL" || (entry.labels ?? []).some((l) => l.id === label);
}

/** The client's phone as the operator reads it: a Telegram user (`tg:123`) has no number, nor
 * has a WhatsApp user known only by a business-scoped user id (`bsuid:US.1349…`, a user with a
 * username) or a linked id (`lid:…`) until their number is known. */
export function contactOf(phone) {
  const telegram = /^tg:(\d+)$/.exec(phone || "");
  if (telegram) return t("client.telegramId", { id: telegram[1] });
  const whatsapp = /^(?:bsuid|lid):(.+)$/.exec(phone || "");
  return whatsapp ? t("client.whatsappUserId", { id: whatsapp[1] }) : phone;
}

/** Called with each new live client, to subscribe to more than the inbox on the same socket. */
export const liveHooks = new Set();

const PAGE = `query Inbox($first: Int!, $after: String, $filter: InboxFilter!,
    $channel: Messenger, $label: ID) {
  me { id login displayName role }
  inbox(first: $first, after: $after, filter: $filter, channel: $channel, label: $label) {
    unreadDialogs
    edges { node { ...Entry } }
    pageInfo { hasNextPage endCursor }
  }
}
${ENTRY}`;

const CHANGES = `subscription { inboxChanged { unreadDialogs dialog { ...Entry } } }
${ENTRY}`;

const MARK_READ = `mutation MarkRead($id: ID!) {
  markRead(dialogId: $id) {
    __typename
    ... on MarkReadSuccess { dialog { ...Entry } }
    ... on UserError { code message }
  }
}
${ENTRY}`;

const emptyList = () => ({ ids: [], endCursor: null, hasNext: true, loading: false, loaded: false,
  error: null });

const initial = () => ({
  entries: {},
  lists: Object.fromEntries(FILTERS.map((f) => [f, emptyList()])),
  unread: 0,
  filter: "ALL",
  channel: "ALL", // the lists hold this messenger's dialogs only
  label: "ALL", // … and only the dialogs with this label (its id)
  live: "idle", // idle | connecting | online | lost
});

export const inbox = createStore(initial());

/** Newest activity first: the cursor is "p<position in the inbox's history>". */
export const position = (entry) => Number(entry.cursor.slice(1)) || 0;

function upsert(state, entry) {
  return { ...state.entries, [entry.id]: entry };
}

function setList(filter, patch) {
  inbox.set((s) => ({ lists: { ...s.lists, [filter]: { ...s.lists[filter], ...patch } } }));
}

async function fetchPage(filter, after, channel) {
  const { label } = inbox.get();
  const data = await api(PAGE, { first: PAGE_SIZE, after, filter,
    channel: channel === "ALL" ? null : channel, label: label === "ALL" ? null : label });
  const fresh = data.inbox.edges.map((edge) => edge.node);
  const me = data.me;
  const current = session.get().operator;
  if (current && (current.role !== me.role || current.displayName !== me.displayName)) {
    session.set({ operator: { ...current, ...me } });
  }
  return { fresh, connection: data.inbox };
}

export async function loadFirst(filter = inbox.get().filter) {
  const { channel, label } = inbox.get();
  setList(filter, { loading: true, error: null });
  try {
    const { fresh, connection } = await fetchPage(filter, null, channel);
    // another messenger or label was chosen meanwhile
    if (inbox.get().channel !== channel || inbox.get().label !== label) return;
    inbox.set((s) => {
      const entries = { ...s.entries };
      for (const entry of fresh) entries[entry.id] = entry;
      const list = s.lists[filter];
      // Keep what was loaded further down; the first page goes on top.
      const ids = [...new Set([...fresh.map((e) => e.id), ...(list.loaded ? list.ids : [])])];
      return {
        entries, unread: connection.unreadDialogs,
        lists: { ...s.lists, [filter]: {
          ...list, ids, loading: false, loaded: true, error: null,
          endCursor: list.loaded && list.ids.length > fresh.length
            ? list.endCursor : connection.pageInfo.endCursor,
          hasNext: list.loaded && list.ids.length > fresh.length
            ? list.hasNext : connection.pageInfo.hasNextPage,
        } },
      };
    });
    if (filter === inbox.get().filter) performance.mark("sb:inbox-ready");
  } catch (error) {
    if (inbox.get().channel === channel) {
      setList(filter, { loading: false, error: error.code || "UNKNOWN" });
    }
  }
}

export async function loadMore(filter = inbox.get().filter) {
  const list = inbox.get().lists[filter];
  if (list.loading || !list.hasNext) return;
  if (!list.loaded) return loadFirst(filter);
  const { channel, label } = inbox.get();
  setList(filter, { loading: true, error: null });
  try {
    const { fresh, connection } = await fetchPage(filter, list.endCursor, channel);
    if (inbox.get().channel !== channel || inbox.get().label !== label) return;
    inbox.set((s) => {
      const entries = { ...s.entries };
      for (const entry of fresh) if (!entries[entry.id]) entries[entry.id] = entry;
      const current = s.lists[filter];
      return {
        entries, unread: connection.unreadDialogs,
        lists: { ...s.lists, [filter]: {
          ...current, loading: false,
          ids: [...new Set([...current.ids, ...fresh.map((e) => e.id)])],
          endCursor: connection.pageInfo.endCursor ?? current.endCursor,
          hasNext: connection.pageInfo.hasNextPage,
        } },
      };
    });
  } catch (error) {
    if (inbox.get().channel === channel) {
      setList(filter, { loading: false, error: error.code || "UNKNOWN" });
    }
  }
}

export function setFilter(filter) {
  inbox.set({ filter });
  loadFirst(filter);
}

/** Narrows the inbox to one messenger: every list starts again with its dialogs. */
export function setChannel(channel) {
  if (channel === inbox.get().channel) return;
  inbox.set({ channel, lists: Object.fromEntries(FILTERS.map((f) => [f, emptyList()])) });
  loadFirst(inbox.get().filter);
}

/** The dialogs one may see changed as a whole (taken out of the access group, or put back):
 * what was shown goes at once and every list starts again. */
export function refetchInbox() {
  inbox.set({ entries: {}, unread: 0,
    lists: Object.fromEntries(FILTERS.map((f) => [f, emptyList()])) });
  loadFirst(inbox.get().filter);
}

/** Narrows the inbox to the dialogs with one label (its id; ALL: any). */
export function setLabel(label) {
  if (label === inbox.get().label) return;
  inbox.set({ label, lists: Object.fromEntries(FILTERS.map((f) => [f, emptyList()])) });
  loadFirst(inbox.get().filter);
}

/** The dialogs to show for a filter, newest first; the open one stays even once read. */
export function visibleEntries(state, filter, openId) {
  const rows = [];
  for (const id of state.lists[filter].ids) {
    const entry = state.entries[id];
    if (!entry) continue;
    if (id !== openId && !(matches(filter, entry) && matchesChannel(state.channel, entry)
      && matchesLabel(state.label, entry))) {
      continue;
    }
    rows.push(entry);
  }
  return rows.sort((a, b) => position(b) - position(a));
}

function applyChange({ dialog, unreadDialogs }) {
  const before = inbox.get().entries[dialog.id];
  inbox.set((s) => {
    const lists = { ...s.lists };
    for (const filter of FILTERS) {
      const list = lists[filter];
      const belongs = matches(filter, dialog) && matchesChannel(s.channel, dialog)
        && matchesLabel(s.label, dialog);
      if (list.loaded && belongs && !list.ids.includes(dialog.id)) {
        lists[filter] = { ...list, ids: [dialog.id, ...list.ids] };
      }
    }
    return { entries: upsert(s, dialog), unread: unreadDialogs, lists };
  });
  const mine = !dialog.assignee || dialog.assignee.id === session.get().operator?.id;
  const arrived = dialog.lastMessage?.direction === "IN" && dialog.unreadCount > 0
    && dialog.messageCount > (before?.messageCount ?? 0) && mine;
  if (arrived) tellOperator(dialog);
}

function tellOperator(dialog) {
  const name = dialog.client.name || contactOf(dialog.client.phone);
  const text = dialog.lastMessage?.text ?? "";
  chime();
  announce(t("inbox.newMessageFrom", { name }) + ": " + text);
  desktopNotify(t("notify.title", { name }), text, () => navigate(`/dialogs/${dialog.id}`));
}

const inFlight = new Map();

/** Marks a dialog read for me; the badge goes at once, the subscription confirms. */
export function markRead(dialogId) {
  if (inFlight.has(dialogId)) return inFlight.get(dialogId);
  const entry = inbox.get().entries[dialogId];
  const counted = entry ? unreadForMe(entry) > 0 : false; // among the unread dialogs
  if (entry?.unreadCount > 0) {
    inbox.set((s) => ({
      entries: upsert(s, { ...entry, unreadCount: 0 }),
      unread: counted ? Math.max(0, s.unread - 1) : s.unread,
    }));
  }
  const call = api(MARK_READ, { id: dialogId })
    .then(({ markRead: result }) => {
      if (result.__typename === "MarkReadSuccess") {
        inbox.set((s) => ({ entries: upsert(s, result.dialog) }));
      }
    })
    .catch(() => {
      if (entry) {
        inbox.set((s) => ({ entries: upsert(s, entry), unread: s.unread + (counted ? 1 : 0) }));
      }
    })
    .finally(() => inFlight.delete(dialogId));
  inFlight.set(dialogId, call);
  return call;
}

/** Puts an entry fetched elsewhere (the dialog view) into the inbox. */
export function remember(entry) {
  inbox.set((s) => ({ entries: upsert(s, entry) }));
}

// The live connection.
let client = null;
let unsubscribe = null;
let everConnected = false;

export function startLive() {
  stopLive();
  everConnected = false;
  inbox.set({ live: "connecting" });
  const current = liveClient({
    token: () => session.get().token,
    on: {
      connected: () => {
        if (client !== current) return;
        const recovering = everConnected || inbox.get().live === "lost";
        everConnected = true;
        inbox.set({ live: "online" });
        if (recovering) catchUp();
      },
      closed: (event) => {
        if (client !== current) return;
        if (isForbiddenClose(event)) {
          expire();
          return;
        }
        inbox.set({ live: "lost" });
      },
    },
  });
  client = current;
  unsubscribe = current.subscribe({ query: CHANGES }, {
    next: ({ data }) => data && applyChange(data.inboxChanged),
    error: (error) => { if (isForbiddenClose(error)) expire(); },
    complete: () => {},
  });
  for (const hook of liveHooks) hook(current);
}

export function stopLive() {
  const old = client;
  client = null;
  unsubscribe?.();
  unsubscribe = null;
  old?.dispose();
}

/** After the socket was down: fetch the first page again, so what was missed shows. */
export function catchUp() {
  const { lists, filter } = inbox.get();
  for (const f of FILTERS) if (lists[f].loaded || f === filter) loadFirst(f);
  inbox.set((s) => ({ caughtUp: (s.caughtUp ?? 0) + 1 }));
}

export function resetInbox() {
  stopLive();
  inFlight.clear();
  inbox.set(initial());
}
