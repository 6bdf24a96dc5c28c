// Quick replies: the shared ones (admins manage them) and your own. In the reply box, typing "/"
// (at the start or after a space) opens a picker filtered as you type; arrow keys move, Enter
// or Tab picks, Escape closes; the picked text replaces "/…" with {client_name},
// {operator_name} and {company} already filled in by the server, for the operator to read,
// edit and send.
import { useRef, useState } from "preact/hooks";
import { html } from "./html.mjs";
import { t } from "./i18n.mjs";
import { api } from "./session.mjs";

const FIELDS = "id shortcut text shared canEdit filledText";
const LIST = `query QuickReplies($search: String!, $dialogId: ID) {
  quickReplies(search: $search, dialogId: $dialogId) { ${FIELDS} } }`;
const RESULT = `__typename ... on QuickReplySuccess { quickReply { ${FIELDS} } }
  ... on UserError { code message field }`;
const CREATE = `mutation CreateQuickReply($shortcut: String!, $text: String!, $shared: Boolean!) {
  createQuickReply(shortcut: $shortcut, text: $text, shared: $shared) { ${RESULT} } }`;
const UPDATE = `mutation UpdateQuickReply($id: ID!, $shortcut: String, $text: String) {
  updateQuickReply(id: $id, shortcut: $shortcut, text: $text) { ${RESULT} } }`;
const DELETE = `mutation DeleteQuickReply($id: ID!) { deleteQuickReply(id: $id) { __typename
  ... on UserError { code message field } } }`;

export const PLACEHOLDERS = ["{client_name}", "{operator_name}", "{company}"];

/** The shared quick replies and yours matching `search`; filled in for the dialog, if given. */
export async function loadQuickReplies(search = "", dialogId = null) {
  return (await api(LIST, { search, dialogId })).quickReplies;
}

async function mutate(query, variables, field) {
  try {
    const result = (await api(query, variables))[field];
    return result.__typename === "UserError" ? result : null;
  } catch (error) {
    return { code: error.code || "NETWORK", message: error.message };
  }
}

/** Each answers null when done, else the refusal {code, message, field}. */
export const createQuickReply = (shortcut, text, shared) =>
  mutate(CREATE, { shortcut, text, shared }, "createQuickReply");
export const updateQuickReply = (id, shortcut, text) =>
  mutate(UPDATE, { id, shortcut, text }, "updateQuickReply");
export const deleteQuickReply = (id) => mutate(DELETE, { id }, "deleteQuickReply");

/** "/word" just before the caret, at the start or after a space: where it starts, and the word. */
export function slashAt(value, caret) {
  const found = value.slice(0, caret).match(/(?:^|\s)\/([\p{L}\p{N}_.-]*)$/u);
  return found ? { start: caret - found[1].length - 1, end: caret, search: found[1] } : null;
}

/**
 * The reply box's picker. `box` is the textarea's ref; `onPick(text, caret)` puts the new text
 * in the box. Call `typed(textarea)` on input and `keyDown(event)` first on keydown (true: the
 * picker took the key). Spread `boxProps` on the textarea and render `picker` below it.
 */
export function useQuickReplyPicker({ dialogId, box, onPick }) {
  const [slash, setSlash] = useState(null);
  const [items, setItems] = useState(null);  // null: not answered yet
  const [active, setActive] = useState(0);
  const asked = useRef(0);
  const listId = `quick-replies-${dialogId}`;

  const close = () => {
    asked.current += 1;
    setSlash(null);
    setItems(null);
  };
  const typed = (element) => {
    const found = slashAt(element.value, element.selectionStart ?? element.value.length);
    if (!found) {
      if (slash) close();
      return;
    }
    setSlash(found);
    const n = ++asked.current;
    loadQuickReplies(found.search, dialogId).then((replies) => {
      if (n !== asked.current) return;  // an answer to an older word
      setItems(replies);
      setActive(0);
    }, () => { if (n === asked.current) setItems([]); });
  };
  const pick = (reply) => {
    const value = box.current?.value ?? "";
    const text = reply.filledText ?? reply.text;
    const next = value.slice(0, slash.start) + text + value.slice(slash.end);
    close();
    onPick(next, slash.start + text.length);
  };
  const keyDown = (event) => {
    if (!slash || event.isComposing) return false;
    if (event.key === "Escape") {
      event.preventDefault();
      close();
      return true;
    }
    if (!items?.length) return false;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      event.preventDefault();
      setActive((active + moves[event.key] + items.length) % items.length);
      return true;
    }
    if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
      event.preventDefault();
      pick(items[Math.min(active, items.length - 1)]);
      return true;
    }
    return false;
  };

  const open = Boolean(slash);
  const boxProps = {
    "aria-autocomplete": "list", "aria-expanded": open ? "true" : "false",
    "aria-controls": open ? listId : undefined,
    "aria-activedescendant": open && items?.length ? `${listId}-${active}` : undefined,
  };
  const picker = open && items && html`
    <div class="quick-picker" data-quick-picker>
      ${items.length ? html`
        <ul id=${listId} role="listbox" aria-label=${t("quick.picker")}>
          ${items.map((reply, i) => html`
            <li id=${`${listId}-${i}`} role="option" aria-selected=${i === active ? "true" : "false"}
              class=${`quick-option${i === active ? " quick-option-active" : ""}`}
              data-shortcut=${reply.shortcut}
              onMouseDown=${(e) => { e.preventDefault(); pick(reply); }}>
              <span class="quick-shortcut">/${reply.shortcut}</span>
              ${reply.shared && html`<span class="quick-badge">${t("quick.shared")}</span>`}
              <span class="quick-preview">${reply.filledText ?? reply.text}</span>
            </li>`)}
        </ul>
        <p class="muted small">${t("quick.pickerHint")}</p>`
      : html`<p class="muted small" data-quick-none>${t("quick.noMatch")}</p>`}
    </div>`;
  return { typed, keyDown, close, boxProps, picker };
}
