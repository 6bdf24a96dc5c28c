// WhatsApp message templates (Cloud API): whether a dialog's 24-hour window has closed, the
// approved templates to offer then, filling a template's {{1}}, {{2}}… and sending it through
// the outbox like any reply (shown at once, with its body filled in).
import { addPending, keyFor } from "./outbox.mjs";
import { api } from "./session.mjs";

const WINDOW = `query Window($dialogId: ID!) { replyWindow(dialogId: $dialogId) {
  closed closesAt templatesAvailable } }`;
const TEMPLATES = `query Templates { messageTemplates { name language category body
  parameterCount } }`;
const SEND = `mutation SendTemplate($dialogId: ID!, $name: String!, $language: String!,
  $parameters: [String!], $key: String) { sendTemplate(dialogId: $dialogId, name: $name,
  language: $language, parameters: $parameters, idempotencyKey: $key) { __typename
    ... on SendTemplateSuccess { duplicate outgoing { id dialogId text status queuedAt } }
    ... on UserError { code message field } } }`;

const SYNC = `mutation { syncMessageTemplates { __typename
  ... on SyncMessageTemplatesSuccess { templates { name language category body parameterCount } }
  ... on UserError { code message } } }`;

/** An admin reads the business account's templates again: {templates} or the refusal. */
export async function syncTemplates() {
  try {
    return (await api(SYNC)).syncMessageTemplates;
  } catch (error) {
    return { code: error.code || "NETWORK", message: error.message };
  }
}

/** The dialog's reply window ({closed, closesAt, templatesAvailable}); null when unknown. */
export async function loadWindow(dialogId) {
  try {
    return (await api(WINDOW, { dialogId })).replyWindow;
  } catch {
    return null;
  }
}

export async function loadTemplates() {
  return (await api(TEMPLATES)).messageTemplates;
}

/** A template's body with its parameters filled in (an empty one stays {{n}}). */
export function fill(body, values) {
  return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n) => values[Number(n) - 1]?.trim()
    ? values[Number(n) - 1] : whole);
}

/** Parameters prefilled where the template makes it obvious: a body that opens by greeting
 * someone with {{1}} ("Hello {{1}},", "Здравствуйте, {{1}}!") gets the client's name. */
export function prefilled(template, clientName) {
  const values = Array.from({ length: template.parameterCount }, () => "");
  const greeting = /^\s*[^{}]{0,40}?\{\{\s*1\s*\}\}\s*[,!.]/u;
  if (values.length && clientName && greeting.test(template.body)) values[0] = clientName;
  return values;
}

/** Queues the template; answers null when queued, else the refusal {code, message, field}. */
export async function sendTemplate(dialogId, template, parameters, keys) {
  const key = keyFor(keys, `${template.name}\n${template.language}\n${parameters.join("\n")}`);
  let result;
  try {
    result = (await api(SEND, { dialogId, name: template.name, language: template.language,
      parameters, key })).sendTemplate;
  } catch (error) {
    return { code: error.code || "NETWORK", message: error.message };
  }
  if (result.__typename !== "SendTemplateSuccess") return result;
  addPending(dialogId, result.outgoing);
  return null;
}
