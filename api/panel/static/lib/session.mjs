// The signed-in session: the token lives in localStorage and survives a reload. When the API
// refuses it (expired, signed out elsewhere) the status becomes "expired": the page stays as it
// is, with whatever was typed, and the sign-in form comes back on top of it.
import { gql, GqlError } from "./gql.mjs";
import { createStore } from "./store.mjs";

const STORAGE_KEY = "sb.session";
let expiryTimer = null;

function stored() {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
    if (value?.token && value.operator && Date.parse(value.expiresAt) > Date.now()) return value;
  } catch { /* a damaged entry is no session */ }
  localStorage.removeItem(STORAGE_KEY);
  return null;
}

const initial = stored();
/** status: "signedOut" | "active" | "expired"; epoch grows with every new token. */
export const session = createStore({
  status: initial ? "active" : "signedOut",
  token: initial?.token ?? null,
  operator: initial?.operator ?? null,
  expiresAt: initial?.expiresAt ?? null,
  epoch: 0,
});
scheduleExpiry(initial?.expiresAt);

function scheduleExpiry(expiresAt) {
  clearTimeout(expiryTimer);
  if (!expiresAt) return;
  const delay = Math.min(Date.parse(expiresAt) - Date.now(), 2 ** 31 - 1);
  expiryTimer = setTimeout(expire, Math.max(delay, 0));
}

export const isAdmin = () => session.get().operator?.role === "ADMIN";
export const isAuditor = () => session.get().operator?.role === "AUDITOR";

const LOGIN = `mutation Login($login: String!, $password: String!) {
  login(login: $login, password: $password) {
    __typename
    ... on LoginSuccess { token expiresAt operator { id login displayName role } }
    ... on LoginError { code message retryAfterSeconds }
  }
}`;

/** Returns null when signed in, else the refusal {code, message, retryAfterSeconds}. */
export async function signIn(login, password) {
  let result;
  try {
    result = (await gql(LOGIN, { login, password })).login;
  } catch (error) {
    return { code: error.code || "NETWORK", message: error.message };
  }
  if (result.__typename !== "LoginSuccess") return result;
  adopt(result);
  return null;
}

function adopt({ token, expiresAt, operator }) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify({ token, expiresAt, operator }));
  scheduleExpiry(expiresAt);
  const before = session.get();
  const sameOperator = before.operator?.id === operator.id;
  session.set({
    status: "active", token, expiresAt, operator,
    epoch: before.epoch + 1, switched: !sameOperator,
  });
}

export function expire() {
  if (session.get().status === "active") session.set({ status: "expired" });
}

export async function signOut() {
  const { token } = session.get();
  clearTimeout(expiryTimer);
  localStorage.removeItem(STORAGE_KEY);
  session.set({ status: "signedOut", token: null, operator: null, expiresAt: null });
  if (token) {
    try { await gql("mutation { logout { ok } }", {}, token); } catch { /* gone already */ }
  }
}

/** A call with the session's token; a refused token turns the session "expired". */
export async function api(query, variables = {}) {
  const { token, epoch } = session.get();
  try {
    return await gql(query, variables, token);
  } catch (error) {
    if (error instanceof GqlError && error.code === "UNAUTHENTICATED"
        && session.get().epoch === epoch) expire();
    throw error;
  }
}

// Another tab signed in or out: follow it.
window.addEventListener("storage", (event) => {
  if (event.key !== STORAGE_KEY) return;
  const next = stored();
  if (!next) {
    if (session.get().status !== "signedOut") {
      session.set({ status: "signedOut", token: null, operator: null, expiresAt: null });
    }
  } else if (next.token !== session.get().token) {
    adopt(next);
  }
});
