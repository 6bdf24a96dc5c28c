// All dialogs (admins and supervisors; auditors read it): every dialog with who holds it,
// filtered by operator, state and messenger; open one to read it, and (admins, supervisors)
// reassign or resolve it from the dialog's header. Operators keep their own inbox only.
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatWhen, t } from "../lib/i18n.mjs";
import { ENTRY, contactOf, inbox } from "../lib/inbox.mjs";
import { Link } from "../lib/router.mjs";
import { api, session } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { errorText, initials } from "./common.mjs";
import { ChannelBadge, DialogView } from "./dialog.mjs";

const PAGE_SIZE = 50;
const STATES = ["ALL", "OPEN", "ASSIGNED", "RESOLVED"];
const MESSENGERS = [
  { id: "ALL", label: "inbox.channel.all" },
  { id: "WHATSAPP", label: "messenger.whatsapp" },
  { id: "TELEGRAM", label: "messenger.telegram" },
];

const ALL_DIALOGS = `query AllDialogs($first: Int!, $after: String, $operator: ID,
    $state: DialogStatus, $channel: Messenger) {
  inbox(scope: ALL, first: $first, after: $after, operator: $operator, state: $state,
        channel: $channel) {
    edges { node { ...Entry } }
    pageInfo { hasNextPage endCursor }
  }
}
${ENTRY}`;
const PEOPLE = `query { routingOperators { id displayName active } }`;

/** Who reads every dialog here: admins and supervisors (who also reassign), auditors. */
export function seesAllDialogs() {
  return ["ADMIN", "SUPERVISOR", "AUDITOR"].includes(session.get().operator?.role);
}

function Holder({ entry }) {
  const name = entry.assignee?.displayName;
  return html`<span class=${`chip${name ? "" : " chip-resolved"}`} data-all-holder=${name ?? ""}>
    ${name ? t("all.heldBy", { name }) : t("all.nobody")}</span>`;
}

function Row({ entry, active }) {
  const { client, lastMessage } = entry;
  const name = client.name || contactOf(client.phone);
  return html`
    <li class="row-item">
      <${Link} href=${`/all-dialogs/${entry.id}`} data-all-dialog-id=${entry.id}
        class=${`row${active ? " row-active" : ""}`} aria-current=${active ? "true" : undefined}>
        <span class="avatar" aria-hidden="true">${initials(name)}</span>
        <span class="row-main">
          <span class="row-top">
            <span class="row-name">${name}</span>
            <${ChannelBadge} channel=${entry.channel}/>
            ${lastMessage && html`<time class="row-time" datetime=${lastMessage.at}
              title=${formatFull(lastMessage.at)}>${formatWhen(lastMessage.at)}</time>`}
          </span>
          <span class="row-bottom">
            <span class="row-preview">${lastMessage ? lastMessage.text : t("inbox.noMessages")}</span>
            <span class="chip" data-all-state=${entry.status}>${t(`all.state.${entry.status}`)}</span>
            <${Holder} entry=${entry}/>
          </span>
        </span>
      <//>
    </li>`;
}

function Filters({ people, filters, onChange }) {
  const set = (key) => (event) => onChange({ ...filters, [key]: event.currentTarget.value });
  return html`
    <div class="inbox-filters all-filters">
      <label class="channel-filter"><span>${t("all.operator")}</span>
        <select id="all-operator" value=${filters.operator} onChange=${set("operator")}>
          <option value="ALL">${t("all.anyone")}</option>
          ${people.map((p) => html`<option value=${p.id} key=${p.id}>${p.displayName}</option>`)}
        </select></label>
      <label class="channel-filter"><span>${t("all.stateLabel")}</span>
        <select id="all-state" value=${filters.state} onChange=${set("state")}>
          ${STATES.map((s) => html`<option value=${s}>${t(`all.state.${s}`)}</option>`)}
        </select></label>
      <label class="channel-filter"><span>${t("messenger.label")}</span>
        <select id="all-channel" value=${filters.channel} onChange=${set("channel")}>
          ${MESSENGERS.map((m) => html`<option value=${m.id}>${t(m.label)}</option>`)}
        </select></label>
    </div>`;
}

export function AllDialogsPage({ dialogId }) {
  const [filters, setFilters] = useState({ operator: "ALL", state: "ALL", channel: "ALL" });
  const [people, setPeople] = useState([]);
  const [list, setList] = useState({ status: "loading", rows: [], next: null });
  const { entries } = useStore(inbox);
  const opened = dialogId ? entries[dialogId] : null;
  const permitted = seesAllDialogs();

  const variables = (after) => ({
    first: PAGE_SIZE, after,
    operator: filters.operator === "ALL" ? null : filters.operator,
    state: filters.state === "ALL" ? null : filters.state,
    channel: filters.channel === "ALL" ? null : filters.channel,
  });
  const load = async (after = null) => {
    try {
      const { inbox: page } = await api(ALL_DIALOGS, variables(after));
      const rows = page.edges.map((e) => e.node);
      setList((l) => ({ status: "ready", rows: after ? [...l.rows, ...rows] : rows,
        next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null }));
    } catch (error) {
      setList((l) => ({ ...l, status: "error", error: error.code }));
    }
  };

  useEffect(() => {
    if (!permitted || session.get().operator?.role === "AUDITOR") return;
    api(PEOPLE).then(({ routingOperators }) => setPeople(routingOperators
      .filter((p) => p.active !== false)
      .sort((a, b) => a.displayName.localeCompare(b.displayName)))).catch(() => setPeople([]));
  }, [permitted]);
  // Filters changed, or the open dialog was reassigned or resolved: read the list again.
  useEffect(() => { if (permitted) load(); },
    [permitted, filters.operator, filters.state, filters.channel,
      opened?.assignee?.id, opened?.status]);

  if (!permitted) {
    return html`<div class="page"><p role="alert">${t("all.forbidden")}</p></div>`;
  }
  let body;
  if (list.status === "error") {
    body = html`<div class="empty" role="alert">${errorText(list.error)}
      <button type="button" class="button button-quiet" onClick=${() => load()}>
        ${t("action.retry")}</button></div>`;
  } else if (list.status === "loading") {
    body = html`<div class="empty" aria-busy="true">${t("inbox.loading")}</div>`;
  } else if (list.rows.length === 0) {
    body = html`<div class="empty" data-all-empty>${t("all.empty")}</div>`;
  } else {
    body = html`<ul class="dialog-list" aria-label=${t("all.listLabel")}>
      ${list.rows.map((entry) => html`<${Row} key=${entry.id} entry=${entry}
        active=${entry.id === dialogId}/>`)}
    </ul>`;
  }
  return html`
    <div class=${`inbox-layout${dialogId ? " has-dialog" : ""}`}>
      <section class="inbox" aria-labelledby="all-title">
        <header class="inbox-head">
          <h1 id="all-title">${t("all.title")}</h1>
          <p class="inbox-count muted">${t("all.hint")}</p>
        </header>
        <${Filters} people=${people} filters=${filters} onChange=${setFilters}/>
        <div class="inbox-scroll">
          ${body}
          ${list.next && html`<div class="more"><button type="button" class="button button-quiet"
            onClick=${() => load(list.next)}>${t("inbox.loadMore")}</button></div>`}
        </div>
      </section>
      <section class="dialog-pane" aria-label=${t("dialog.pane")}>
        ${dialogId
          ? html`<${DialogView} key=${dialogId} id=${dialogId}/>`
          : html`<div class="placeholder"><p>${t("dialog.choose")}</p></div>`}
      </section>
    </div>`;
}
