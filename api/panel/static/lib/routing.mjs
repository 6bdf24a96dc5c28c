// Routing for operators: presence (online while the panel is connected; away by choice), the
// dialog actions (claim, transfer, resolve), and notifications with their unread count, kept
// live by notificationsChanged on the inbox's own socket.
import { ENTRY, inbox, liveHooks, refetchInbox } from "./inbox.mjs";
import { t } from "./i18n.mjs";
import { announce, chime } from "./notify.mjs";
import { api, session } from "./session.mjs";
import { createStore } from "./store.mjs";

const NOTIFICATION = "id kind dialogId clientName phone text detail count seq at read";
const NOTIFICATIONS = `query Notifications { notifications(first: 30) {
  unreadCount colleagueUnread latestSeq items { ${NOTIFICATION} } } }`;
const NOTIFICATIONS_CHANGED = `subscription { notificationsChanged {
  unreadCount colleagueUnread notifications { ${NOTIFICATION} } } }`;
const MARK_SEEN = `mutation Seen($upTo: Int) { markNotificationsRead(upTo: $upTo) { __typename
  ... on NotificationList { unreadCount colleagueUnread latestSeq items { ${NOTIFICATION} } }
  ... on UserError { code message } } }`;
const ACCESS_CHANGED = "subscription { inboxAccessChanged { inAccessGroup } }";
const PRESENCE = `query Presence { myPresence { status chosen inAccessGroup inQueue holding capacity } }`;
const SET_PRESENCE = `mutation SetPresence($status: ChosenPresence!) { setPresence(status: $status) {
  __typename ... on MyPresence { status chosen inAccessGroup inQueue holding capacity }
  ... on UserError { code message } } }`;
const COLLEAGUES = `query Colleagues { transferTargets { id displayName presence holding } }`;

const actionQuery = (name, params) => `mutation Act(${params}) { ${name}(${
  params.split(",").map((p) => p.trim().split(":")[0].slice(1)).map((n) => `${n}: $${n}`).join(", ")
}) { __typename ... on DialogActionSuccess { dialog { ...Entry } }
  ... on UserError { code message field } } } ${ENTRY}`;
const CLAIM = actionQuery("claimDialog", "$dialogId: ID!");
const RESOLVE = actionQuery("resolveDialog", "$dialogId: ID!");
const TRANSFER = actionQuery("transferDialog", "$dialogId: ID!, $operatorId: ID!, $note: String!");

// -- presence -------------------------------------------------------------------------------------
export const presence = createStore({ status: null, chosen: "ONLINE", inAccessGroup: true,
  inQueue: false, holding: 0, capacity: 0, busy: false });

export async function loadPresence() {
  try {
    const { myPresence } = await api(PRESENCE);
    presence.set(myPresence);
  } catch { /* the banner or sign-in tells why */ }
}

export async function choosePresence(status) {
  presence.set({ busy: true, chosen: status });
  try {
    const { setPresence } = await api(SET_PRESENCE, { status });
    if (setPresence.__typename === "MyPresence") presence.set(setPresence);
  } finally {
    presence.set({ busy: false });
  }
}

// -- dialog actions -------------------------------------------------------------------------------
/** Runs claim / resolve / transfer; the entry in the inbox is updated at once from the answer.
 * Returns null on success, else the refusal ({code, message}). */
async function act(query, variables, name) {
  try {
    const result = (await api(query, variables))[name];
    if (result.__typename === "UserError") return result;
    if (result.dialog) {
      inbox.set((s) => ({ entries: { ...s.entries, [result.dialog.id]: result.dialog } }));
    }
    loadPresence();
    return null;
  } catch (error) {
    return { code: error.code, message: error.message };
  }
}

export const claimDialog = (dialogId) => act(CLAIM, { dialogId }, "claimDialog");
export const resolveDialog = (dialogId) => act(RESOLVE, { dialogId }, "resolveDialog");
export const transferDialog = (dialogId, operatorId, note = "") =>
  act(TRANSFER, { dialogId, operatorId, note }, "transferDialog");

export async function colleagues() {
  const { transferTargets } = await api(COLLEAGUES);
  return transferTargets;
}

// -- notifications --------------------------------------------------------------------------------
// `unread`: the dialogs' unread notifications; `colleagueUnread`: unread colleague messages
// (counted apart: reading the notifications does not read the chats).
export const notices = createStore({ items: [], unread: 0, colleagueUnread: 0, latestSeq: 0,
  loaded: false });

function mergeNotices(items) {
  notices.set((s) => {
    const byId = new Map(s.items.map((n) => [n.id, n]));
    for (const item of items) byId.set(item.id, item);
    const all = [...byId.values()].sort((a, b) => b.seq - a.seq).slice(0, 50);
    return { items: all, latestSeq: Math.max(s.latestSeq, ...all.map((n) => n.seq), 0) };
  });
}

export async function loadNotices() {
  try {
    const { notifications } = await api(NOTIFICATIONS);
    notices.set({ items: notifications.items, unread: notifications.unreadCount,
      colleagueUnread: notifications.colleagueUnread, latestSeq: notifications.latestSeq,
      loaded: true });
  } catch { /* the banner or sign-in tells why */ }
}

export async function markNoticesRead() {
  const upTo = notices.get().latestSeq;
  notices.set((s) => ({ unread: 0, items: s.items.map((n) => ({ ...n, read: true })) }));
  try {
    const { markNotificationsRead: result } = await api(MARK_SEEN, { upTo });
    if (result.__typename === "NotificationList") {
      notices.set({ items: result.items, unread: result.unreadCount,
        colleagueUnread: result.colleagueUnread, latestSeq: result.latestSeq });
    }
  } catch { loadNotices(); }
}

function tell(change) {
  const before = new Map(notices.get().items.map((n) => [n.id, n]));
  mergeNotices(change.notifications);
  notices.set({ unread: change.unreadCount, colleagueUnread: change.colleagueUnread });
  for (const n of change.notifications) {
    const old = before.get(n.id);
    const fresh = !n.read && (!old || old.read || old.kind !== n.kind);
    if (fresh && (n.kind === "ASSIGNED" || n.kind === "TRANSFERRED")) {
      chime();
      announce(t(`notice.${n.kind}`, { name: n.clientName || n.phone }));
    }
  }
}

// Every new live socket also carries notificationsChanged; it (re)loads what it missed.
liveHooks.add((client) => {
  loadNotices();
  loadPresence();
  // Taken out of the access group (or put back): the inbox empties (or fills) at once.
  client.subscribe({ query: ACCESS_CHANGED }, {
    next: ({ data }) => {
      if (!data) return;
      presence.set({ inAccessGroup: data.inboxAccessChanged.inAccessGroup });
      refetchInbox();
    },
    error: () => {},
    complete: () => {},
  });
  client.subscribe({ query: NOTIFICATIONS_CHANGED }, {
    next: ({ data }) => data && tell(data.notificationsChanged),
    error: () => {},
    complete: () => {},
  });
  let first = true; // after a reconnection, catch up on what was missed
  client.on("connected", () => {
    if (!first) { loadNotices(); loadPresence(); }
    first = false;
  });
});

session.subscribe((state) => {
  if (state.status === "signedOut") {
    notices.set({ items: [], unread: 0, colleagueUnread: 0, latestSeq: 0, loaded: false });
    presence.set({ status: null, chosen: "ONLINE" });
  }
});
