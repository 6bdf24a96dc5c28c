// The search box in the top bar: "/" focuses it, Enter searches, ↑/↓ move through the matches,
// Enter opens the dialog at the message (when it is among those the dialog shows), Esc closes.
// The server marks what matched; the page shows it with <mark>, in the reader's language.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatWhen, t } from "../lib/i18n.mjs";
import { navigate } from "../lib/router.mjs";
import { api } from "../lib/session.mjs";
import { errorText } from "./common.mjs";

const SEARCH = `query Search($text: String!, $first: Int!, $after: String) {
  search(text: $text, first: $first, after: $after) {
    __typename
    ... on SearchConnection {
      pageInfo { hasNextPage endCursor }
      edges { node { dialogId clientName phone channel matchCount
        matches { messageId seq direction at revoked fragments { field parts { text marked } } }
      } }
    }
    ... on UserError { code message }
  }
}`;
const PAGE = 20;
const CLOSED = { status: "closed", text: "", results: [], cursor: null, hasNext: false };

/** Whether a key press belongs to something that takes text. */
function typing(target) {
  const tag = target?.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target?.isContentEditable;
}

/** Scrolls the open dialog to the message once it shows, and marks it for a moment. */
function reveal(messageId) {
  const until = performance.now() + 5000;
  const look = () => {
    const found = document.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`);
    if (found) {
      found.scrollIntoView({ block: "center" });
      found.setAttribute("data-found", "");
      setTimeout(() => found.removeAttribute("data-found"), 3000);
    } else if (performance.now() < until) {
      requestAnimationFrame(look);
    }
  };
  requestAnimationFrame(look);
}

function Fragment({ parts }) {
  return parts.map((part) => (part.marked ? html`<mark>${part.text}</mark>` : part.text));
}

function MatchLine({ match, id, active, onOpen }) {
  const client = match.messageId === null;
  const who = client ? t("search.client")
    : t(match.direction === "IN" ? "dialog.from.client" : "dialog.from.us");
  return html`
    <li id=${id} role="option" class="search-match" aria-selected=${active ? "true" : "false"}
      data-search-match=${match.messageId || "client"} onMouseDown=${(e) => e.preventDefault()}
      onClick=${onOpen}>
      <span class="search-who">${who}${match.revoked && html`
        <span class="search-deleted"> · ${t("search.deleted")}</span>`}</span>
      ${!client && html`<time class="search-when" datetime=${match.at}
        title=${formatFull(match.at)}>${formatWhen(match.at)}</time>`}
      ${match.fragments.map((f) => html`<span class="search-fragment" data-field=${f.field}>
        <${Fragment} parts=${f.parts}/></span>`)}
    </li>`;
}

export function SearchBox() {
  const [state, setState] = useState(CLOSED);
  const [active, setActive] = useState(0);
  const input = useRef(null);
  const box = useRef(null);

  useEffect(() => {
    const onKey = (event) => {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typing(event.target)) return;
      event.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    const onPointer = (event) => {
      if (box.current && !box.current.contains(event.target)) setState(CLOSED);
    };
    addEventListener("keydown", onKey);
    addEventListener("pointerdown", onPointer);
    return () => {
      removeEventListener("keydown", onKey);
      removeEventListener("pointerdown", onPointer);
    };
  }, []);

  const run = async (text, after = null) => {
    setState((s) => ({ ...(after ? s : CLOSED), status: "loading", text }));
    if (!after) setActive(0);
    try {
      const { search } = await api(SEARCH, { text, first: PAGE, after });
      if (search.__typename === "UserError") {
        setState({ ...CLOSED, status: "error", text, error: errorText(search) });
        return;
      }
      const results = search.edges.map((e) => e.node);
      setState((s) => ({
        status: "done", text, results: after ? [...s.results, ...results] : results,
        cursor: search.pageInfo.endCursor, hasNext: search.pageInfo.hasNextPage,
      }));
    } catch (error) {
      setState({ ...CLOSED, status: "error", text, error: errorText(error) });
    }
  };

  const options = state.results.flatMap((r) => r.matches.map((m) => ({ dialog: r, match: m })));
  const open = (option) => {
    setState(CLOSED);
    navigate(`/dialogs/${encodeURIComponent(option.dialog.dialogId)}`);
    if (option.match.messageId) reveal(option.match.messageId);
  };
  const onKeyDown = (event) => {
    if (event.key === "Escape") {
      if (state.status !== "closed") { event.preventDefault(); setState(CLOSED); }
      return;
    }
    if (state.status !== "done" || options.length === 0) return;
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (step) {
      event.preventDefault();
      const next = (active + step + options.length) % options.length;
      setActive(next);
      document.getElementById(`search-option-${next}`)?.scrollIntoView({ block: "nearest" });
    } else if (event.key === "Enter" && event.currentTarget.value.trim() === state.text.trim()) {
      event.preventDefault();
      open(options[active]);
    }
  };
  const onSubmit = (event) => {
    event.preventDefault();
    run(input.current.value);
  };

  const expanded = state.status !== "closed";
  let index = -1;
  return html`
    <div class="search" ref=${box}>
      <form role="search" class="search-form" onSubmit=${onSubmit}>
        <input ref=${input} type="search" id="search-input" class="search-input"
          role="combobox" aria-label=${t("search.label")} placeholder=${t("search.placeholder")}
          aria-expanded=${expanded ? "true" : "false"} aria-controls="search-results"
          aria-autocomplete="list" autocomplete="off" aria-describedby="search-hint"
          aria-activedescendant=${state.status === "done" && options.length
            ? `search-option-${active}` : undefined}
          onKeyDown=${onKeyDown}/>
        <kbd class="search-hint" id="search-hint" title=${t("search.hint")}>/</kbd>
      </form>
      ${expanded && html`
        <div class="search-panel" id="search-results" data-search-state=${state.status}>
          <p class="visually-hidden" role="status">${state.status === "done"
            ? t("search.matches", { count: options.length }) : ""}</p>
          ${state.status === "loading" && state.results.length === 0 && html`
            <p class="search-note">${t("search.searching")}</p>`}
          ${state.status === "error" && html`
            <p class="search-note search-error" role="alert" data-search-error>${state.error}</p>`}
          ${state.status === "done" && options.length === 0 && html`
            <p class="search-note" data-search-none>${t("search.none", { text: state.text })}</p>`}
          ${state.results.length > 0 && html`
            <ul class="search-results" role="listbox" aria-label=${t("search.results")}>
              ${state.results.map((r) => html`
                <li role="presentation" class="search-dialog" data-search-dialog=${r.dialogId}>
                  <p class="search-client" aria-hidden="true">
                    <span class="search-name">${r.clientName || r.phone}</span>
                    ${r.clientName && r.phone && html`<span class="search-phone">${r.phone}</span>`}
                    <span class="search-count">${t("search.matches", { count: r.matchCount })}</span>
                  </p>
                  <ul role="group" aria-label=${r.clientName || r.phone}>
                    ${r.matches.map((m) => {
                      index += 1;
                      const i = index;
                      return html`<${MatchLine} key=${`${r.dialogId}-${m.messageId}`} match=${m}
                        id=${`search-option-${i}`} active=${i === active}
                        onOpen=${() => open({ dialog: r, match: m })}/>`;
                    })}
                  </ul>
                </li>`)}
            </ul>
            <p class="search-keys">${t("search.keys")}</p>`}
          ${state.hasNext && html`
            <button type="button" class="button button-quiet search-more"
              disabled=${state.status === "loading"}
              onClick=${() => run(state.text, state.cursor)}>${t("search.more")}</button>`}
        </div>`}
    </div>`;
}
