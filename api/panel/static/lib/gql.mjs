// GraphQL over HTTP (fetch) and over graphql-transport-ws (the vendored graphql-ws client).
import { createClient } from "graphql-ws";

/** A failed call: `code` is the API's (UNAUTHENTICATED, FORBIDDEN, …) or NETWORK. */
export class GqlError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Every refusal the panel asks for carries its rule and parameters, which the panel says in
 * the reader's language (see `errorText`). */
const withRules = (query) => query.replace(/\.\.\.\s*on\s+UserError\s*\{/g,
  "... on UserError { rule params ");

export async function gql(query, variables = {}, token = null) {
  query = withRules(query);
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST", headers, body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new GqlError("NETWORK", error.message);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GqlError(response.status >= 500 ? "NETWORK" : "BAD_RESPONSE",
      `HTTP ${response.status}`);
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    throw new GqlError(first.extensions?.code || "GRAPHQL", first.message);
  }
  return body.data;
}

const CLOSE_FORBIDDEN = 4403;

/** A socket that retries for ever (backing off up to 5 s) unless the server refuses the token. */
export function liveClient({ token, on }) {
  const url = new URL("/graphql", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return createClient({
    url: url.href,
    connectionParams: () => ({ authorization: `Bearer ${token()}` }),
    keepAlive: 10_000,
    retryAttempts: Infinity,
    shouldRetry: (event) => event?.code !== CLOSE_FORBIDDEN,
    retryWait: (retries) => new Promise((resolve) =>
      setTimeout(resolve, Math.min(400 * 2 ** retries, 5000) + Math.random() * 300)),
    on,
  });
}

export const isForbiddenClose = (event) => event?.code === CLOSE_FORBIDDEN;
