// Outgoing messages: sending a reply (with an idempotency key, so a double click or a repeated
// request is one message), writing first, retrying a failed one; the replies still on their way
// (shown at once, before the read model has them); live changes of a dialog's replies on the
// inbox's own socket; and the sync job's schedule, health and "send now".
import { liveHooks } from "./inbox.mjs";
import { api, session } from "./session.mjs";
import { createStore } from "./store.mjs";

export const MAX_TEXT = 4096;

const OUTGOING = "outgoing { id dialogId text status queuedAt }";
const SEND = `mutation Send($dialogId: ID!, $text: String!, $key: String) {
  sendMessage(dialogId: $dialogId, text: $text, idempotencyKey: $key) { __typename
    ... on SendMessageSuccess { duplicate ${OUTGOING} }
    ... on UserError { code message field } } }`;
const START = `mutation Start($phone: String, $text: String!, $key: String) {
  startDialog(phone: $phone, text: $text, idempotencyKey: $key) { __typename
    ... on StartDialogSuccess { dialogId newDialog ${OUTGOING} }
    ... on UserError { code message field } } }`;
const RETRY = `mutation Retry($id: ID!) { retryMessage(messageId: $id) { __typename
  ... on RetryMessageSuccess { outgoing { id status } }
  ... on UserError { code message field } } }`;
const CHANGED = `subscription Outgoing($dialogId: ID!) {
  outgoingChanged(dialogId: $dialogId) { dialogId messageIds } }`;
const SETTINGS_FIELDS = `enabled mode intervalSeconds cron timezone isDefault changedAt changedBy
  nextRunAt waiting failed`;
const SETTINGS = `query Sync { syncSettings { ${SETTINGS_FIELDS} } }`;
const HEALTH = `query Health { health { ok replica checkedAt schedulerRunning runsHere syncEnabled
  nextRunAt lastRunAt lastRun { claimed sent retrying failed uncertain } queued sending failed
  oldestDueAt lockHeldSince warnings { code message since } } }`;
const UPDATE = `mutation Update($enabled: Boolean!, $mode: SyncMode!, $interval: Int!,
  $cron: String!) { updateSyncSettings(enabled: $enabled, mode: $mode,
  intervalSeconds: $interval, cron: $cron) { __typename
    ... on UpdateSyncSettingsSuccess { settings { ${SETTINGS_FIELDS} } }
    ... on UserError { code message field } } }`;
const RUN_NOW = `mutation { runSyncNow { __typename
  ... on RunSyncNowSuccess { finished report { claimed sent retrying failed uncertain } }
  ... on UserError { code message field } } }`;

const newKey = () => (crypto.randomUUID ? crypto.randomUUID()
  : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

/** A key per text being sent: the same text sent again after a failed request keeps its key. */
export function keyFor(state, text) {
  if (state.current?.text === text) return state.current.key;
  state.current = { text, key: newKey() };
  return state.current.key;
}

async function call(query, variables) {
  let data;
  try {
    data = await api(query, variables);
  } catch (error) {
    return { __typename: "UserError", code: error.code || "NETWORK", message: error.message };
  }
  return Object.values(data)[0];
}

// -- replies on their way: shown at once, until the dialog's messages include them ------------
export const pending = createStore({ byDialog: {} });

export function addPending(dialogId, outgoing) {
  pending.set((s) => ({ byDialog: { ...s.byDialog,
    [dialogId]: [...(s.byDialog[dialogId] ?? []).filter((m) => m.id !== outgoing.id), {
      id: outgoing.id, seq: Infinity, direction: "OUT", text: outgoing.text,
      sentAt: outgoing.queuedAt ?? new Date().toISOString(), status: "QUEUED", pending: true,
    }] } }));
}

/** The dialog's messages followed by the replies not in them yet. */
export function withPending(messages, waiting = []) {
  if (!waiting.length) return messages;
  const known = new Set(messages.map((m) => m.id));
  return [...messages, ...waiting.filter((m) => !known.has(m.id))];
}

export function forgetPending(dialogId, messages) {
  const waiting = pending.get().byDialog[dialogId];
  if (!waiting?.length) return;
  const known = new Set(messages.map((m) => m.id));
  if (!waiting.some((m) => known.has(m.id))) return;
  pending.set((s) => ({ byDialog: { ...s.byDialog,
    [dialogId]: waiting.filter((m) => !known.has(m.id)) } }));
}

/** Queues a reply; answers null when queued, else the refusal {code, message, field}. */
export async function sendReply(dialogId, text, key) {
  const result = await call(SEND, { dialogId, text, key });
  if (result.__typename !== "SendMessageSuccess") return result;
  addPending(dialogId, result.outgoing);
  return null;
}

/** Writes first; answers {dialogId} when queued, else the refusal. */
export async function startDialog(phone, text, key) {
  const result = await call(START, { phone, text, key });
  if (result.__typename !== "StartDialogSuccess") return result;
  addPending(result.dialogId, result.outgoing);
  return { dialogId: result.dialogId };
}

const VISIBLE = `query Visible($id: ID!) { dialog(id: $id, last: 1) { id } }`;

/** Waits (a few seconds at most) until a dialog just started can be read. */
export async function dialogReadable(dialogId) {
  for (let i = 0; i < 50; i += 1) {
    try {
      if ((await api(VISIBLE, { id: dialogId })).dialog) return true;
    } catch { return false; }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

export async function retryReply(messageId) {
  const result = await call(RETRY, { id: messageId });
  return result.__typename === "RetryMessageSuccess" ? null : result;
}

// -- live changes of one dialog's replies, on the inbox's socket ----------------------------
let live = null;
const watchers = new Map(); // dialogId -> { listeners: Set, stop }

function subscribe(dialogId, watcher) {
  watcher.stop?.();
  watcher.stop = live ? live.subscribe({ query: CHANGED, variables: { dialogId } }, {
    next: () => { for (const listener of watcher.listeners) listener(); },
    error: () => {},
    complete: () => {},
  }) : null;
}

liveHooks.add((client) => {
  live = client;
  for (const [dialogId, watcher] of watchers) subscribe(dialogId, watcher);
});

/** Calls `listener` whenever a reply in the dialog changes; answers the function that stops. */
export function watchReplies(dialogId, listener) {
  let watcher = watchers.get(dialogId);
  if (!watcher) {
    watcher = { listeners: new Set(), stop: null };
    watchers.set(dialogId, watcher);
    subscribe(dialogId, watcher);
  }
  watcher.listeners.add(listener);
  return () => {
    watcher.listeners.delete(listener);
    if (watcher.listeners.size === 0) {
      watcher.stop?.();
      watchers.delete(dialogId);
    }
  };
}

// -- the schedule ----------------------------------------------------------------------------
export const sync = createStore({ settings: null, loadedAt: 0, health: null, error: null });

export async function loadSyncSettings({ fresh = false } = {}) {
  if (!fresh && Date.now() - sync.get().loadedAt < 15_000) return;
  try {
    const { syncSettings } = await api(SETTINGS);
    sync.set({ settings: syncSettings, loadedAt: Date.now(), error: null });
  } catch (error) {
    sync.set({ error: error.code || "UNKNOWN" });
  }
}

export async function loadHealth() {
  try {
    const { health } = await api(HEALTH);
    sync.set({ health, error: null });
  } catch (error) {
    sync.set({ error: error.code || "UNKNOWN" });
  }
}

export async function updateSync({ enabled, mode, interval, cron }) {
  const result = await call(UPDATE, { enabled, mode, interval, cron });
  if (result.__typename !== "UpdateSyncSettingsSuccess") return result;
  sync.set({ settings: result.settings, loadedAt: Date.now() });
  return null;
}

/** "Send now": answers {finished, report} or the refusal. */
export async function runSyncNow() {
  return call(RUN_NOW, {});
}

session.subscribe((state) => {
  if (state.status === "signedOut") {
    pending.set({ byDialog: {} });
    sync.set({ settings: null, loadedAt: 0, health: null, error: null });
  }
});
