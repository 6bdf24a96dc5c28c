// Labels on dialogs: the company's labels (admins manage them; everyone reads them), a dialog's
// labels chosen by whoever may write in it (the inbox entry shows them at once, the live inbox
// confirms), and the colours of the palette.
import { inbox, remember } from "./inbox.mjs";
import { api } from "./session.mjs";
import { createStore } from "./store.mjs";

/** The palette's colours (the server also takes #rrggbb). */
export const PALETTE = ["gray", "red", "orange", "yellow", "green", "teal", "blue", "purple",
  "pink"];

const LABELS = `query Labels { labels { id name color } }`;
const RESULT = `__typename ... on LabelSuccess { label { id name color } }
  ... on UserError { code message field }`;
const CREATE = `mutation CreateLabel($name: String!, $color: String!) {
  createLabel(name: $name, color: $color) { ${RESULT} } }`;
const RENAME = `mutation RenameLabel($id: ID!, $name: String!, $color: String) {
  renameLabel(id: $id, name: $name, color: $color) { ${RESULT} } }`;
const DELETE = `mutation DeleteLabel($id: ID!) { deleteLabel(id: $id) { __typename
  ... on DeleteLabelSuccess { id } ... on UserError { code message field } } }`;
const SET = `mutation SetDialogLabels($dialogId: ID!, $labelIds: [ID!]!) {
  setDialogLabels(dialogId: $dialogId, labelIds: $labelIds) { __typename
    ... on SetDialogLabelsSuccess { dialogId labels { id name color } }
    ... on UserError { code message field } } }`;

/** `list`: every label by name (null until loaded). */
export const labels = createStore({ list: null, error: null });

export async function loadLabels() {
  try {
    labels.set({ list: (await api(LABELS)).labels, error: null });
  } catch (error) {
    labels.set({ error: error.code || "NETWORK" });
  }
}

/** The inline style of a chip: a palette colour is a class, #rrggbb its own background. */
export function chipClass(color) {
  return PALETTE.includes(color) ? `label-chip label-${color}` : "label-chip label-custom";
}

export function chipStyle(color) {
  return PALETTE.includes(color) ? undefined : `--label-color: ${color}`;
}

async function call(query, variables, field) {
  try {
    return (await api(query, variables))[field];
  } catch (error) {
    return { __typename: "UserError", code: error.code || "NETWORK", message: error.message };
  }
}

/** Each answers null when done, else the refusal {code, message, field}. */
export async function createLabel(name, color) {
  const answer = await call(CREATE, { name, color }, "createLabel");
  if (answer.__typename !== "LabelSuccess") return answer;
  await loadLabels();
  return null;
}

export async function renameLabel(id, name, color) {
  const answer = await call(RENAME, { id, name, color }, "renameLabel");
  if (answer.__typename !== "LabelSuccess") return answer;
  await loadLabels();
  return null;
}

export async function deleteLabel(id) {
  const answer = await call(DELETE, { id }, "deleteLabel");
  if (answer.__typename !== "DeleteLabelSuccess") return answer;
  await loadLabels();
  return null;
}

export async function setDialogLabels(dialogId, labelIds) {
  const answer = await call(SET, { dialogId, labelIds }, "setDialogLabels");
  if (answer.__typename !== "SetDialogLabelsSuccess") return answer;
  const entry = inbox.get().entries[dialogId];
  if (entry) remember({ ...entry, labels: answer.labels });
  return null;
}

// Another admin renamed, recoloured, created or deleted a label: the live inbox brings entries
// whose labels the list does not know as they are; then the list is read again.
let reading = false;
let seen = null;
inbox.subscribe((state) => {
  const { list } = labels.get();
  if (list === null || reading || state.entries === seen) return;
  seen = state.entries;
  const known = new Map(list.map((l) => [l.id, l]));
  const stale = Object.values(state.entries).some((entry) => (entry.labels ?? []).some((l) => {
    const k = known.get(l.id);
    return !k || k.name !== l.name || k.color !== l.color;
  }));
  if (!stale) return;
  reading = true;
  loadLabels().finally(() => { reading = false; });
});
