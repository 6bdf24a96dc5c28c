// The client card (issue 17): in the dialog header, who the client is — the phonebook entry for
// their number (name, organisation, position, comment, 1C reference) —, a form to name a client
// the phonebook does not know and to keep a note, and the client's earlier dialogs, each read
// back in the card. Beside the inbox row, a compact mark: the organisation.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.mjs";
import { formatDay, formatFull, parseTime, t } from "./i18n.mjs";
import { inbox, remember } from "./inbox.mjs";
import { api, session } from "./session.mjs";
import { useStore } from "./store.mjs";

const EPISODE_FIELDS = `id channel openedAt resolvedAt status messageCount
  lastMessage { text direction at }`;
const CARD_FIELDS = `dialogId clientId phone displayName messengerName
  phonebookEntry { name organisation position comment reference source }
  givenName namedBy namedAt note notedBy notedAt`;
const CARD = `query ClientCard($dialogId: ID!, $before: DateTime) {
  clientCard(dialogId: $dialogId) { ${CARD_FIELDS}
    earlierDialogs(first: 10, before: $before) { hasMore nodes { ${EPISODE_FIELDS} } } } }`;
const NAME = `mutation NameClient($dialogId: ID!, $name: String!) {
  nameClient(dialogId: $dialogId, name: $name) { __typename
    ... on NameClientSuccess { changed card { ${CARD_FIELDS} } }
    ... on UserError { code message field } } }`;
const NOTE = `mutation NoteClient($dialogId: ID!, $note: String!) {
  noteClient(dialogId: $dialogId, note: $note) { __typename
    ... on NoteClientSuccess { changed card { ${CARD_FIELDS} } }
    ... on UserError { code message field } } }`;
const EPISODE = `query Episode($dialogId: ID!, $id: ID!, $before: Int) {
  clientCard(dialogId: $dialogId) { earlierDialog(id: $id) { ${EPISODE_FIELDS}
    messages(last: 30, before: $before) { hasEarlier messages { id seq direction text sentAt
      recordedAt status failureCode failureReason attempts nextAttemptAt editedAt fromPhone
      revokedAt reactions { emoji sender } } } } } }`;

/** The name a row or the header shows: the phonebook's, else an operator's, else the
 * messenger's (`fallback`). */
export function shownName(entry, fallback) {
  return entry?.clientMark?.displayName || fallback;
}

/** Beside the inbox row: the client's organisation, from the phonebook. */
export function ClientMark({ mark }) {
  if (!mark?.organisation) return null;
  return html`<span class="client-mark" data-client-mark=${mark.organisation}
    title=${`${t("card.organisation")}: ${mark.organisation}`}>
    <span class="visually-hidden">${t("card.organisation")}: </span>${mark.organisation}</span>`;
}

function rememberMark(card) {
  const entry = inbox.get().entries[card.dialogId];
  if (!entry) return;
  remember({ ...entry, clientMark: { displayName: card.displayName,
    organisation: card.phonebookEntry?.organisation ?? "",
    inPhonebook: !!card.phonebookEntry, hasNote: !!card.note } });
}

function Entry({ entry }) {
  const rows = [
    ["card.name", entry.name, "name"], ["card.organisation", entry.organisation, "organisation"],
    ["card.position", entry.position, "position"], ["card.comment", entry.comment, "comment"],
    ["card.reference", entry.reference, "reference"],
  ].filter(([, value]) => value);
  return html`<div class="client-card-entry" data-phonebook>
    <dl class="client-card-facts">
      ${rows.map(([label, value, key]) => html`<div key=${key} data-fact=${key}>
        <dt>${t(label)}</dt><dd>${value}</dd></div>`)}
    </dl>
    <p class="muted client-card-source">${entry.source
      ? t("card.fromSource", { source: entry.source.toUpperCase() }) : t("card.fromPhonebook")}</p>
  </div>`;
}

/** Naming (when no phonebook entry matches) and the note, for those who write to clients. */
function EditForm({ card, onSaved }) {
  const [name, setName] = useState(card.givenName ?? "");
  const [note, setNote] = useState(card.note ?? "");
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const askName = !card.phonebookEntry;

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setSaved(false);
    const found = {};
    let latest = null;
    const steps = [];
    if (askName && name !== (card.givenName ?? "")) steps.push(["name", NAME, "nameClient", { name }]);
    if (note !== (card.note ?? "")) steps.push(["note", NOTE, "noteClient", { note }]);
    for (const [field, query, root, values] of steps) {
      try {
        const answer = (await api(query, { dialogId: card.dialogId, ...values }))[root];
        if (answer.__typename === "UserError") found[answer.field || field] = answer;
        else latest = answer.card;
      } catch (error) {
        found[field] = { code: error.code || "NETWORK", message: error.message };
      }
    }
    setBusy(false);
    setErrors(found);
    if (latest) { onSaved(latest); rememberMark(latest); }
    if (steps.length && !Object.keys(found).length) setSaved(true);
  };

  const problem = (field) => {
    const error = errors[field];
    if (!error) return "";
    if (error.code === "INVALID_VALUE") return t(`card.error.${field}`);
    return t(`error.${error.code}`) === `error.${error.code}` ? error.message
      : t(`error.${error.code}`);
  };
  return html`<form class="client-card-form" onSubmit=${submit} novalidate>
    ${askName && html`<label class="field"><span>${t("card.giveName")}</span>
      <input name="name" value=${name} maxlength="120" autocomplete="off"
        aria-invalid=${errors.name ? "true" : undefined}
        onInput=${(e) => setName(e.currentTarget.value)}/></label>
      <p class="form-error" role="alert" data-error="name">${problem("name")}</p>`}
    <label class="field"><span>${t("card.note")}</span>
      <textarea name="note" rows="3" maxlength="2000" value=${note}
        aria-invalid=${errors.note ? "true" : undefined}
        onInput=${(e) => setNote(e.currentTarget.value)}></textarea></label>
    <p class="form-error" role="alert" data-error="note">${problem("note")
      || problem("dialogId")}</p>
    <div class="client-card-actions">
      <button type="submit" class="button button-primary" disabled=${busy}>
        ${t("card.save")}</button>
      ${saved && html`<span class="muted" role="status" data-saved>${t("card.saved")}</span>`}
    </div>
  </form>`;
}

function Episodes({ card, episodes, hasMore, onOpen, onMore }) {
  if (!episodes.length) return html`<p class="muted" data-no-earlier>${t("card.noEarlier")}</p>`;
  return html`<ol class="client-card-episodes">
      ${episodes.map((e) => html`<li key=${e.id}>
        <button type="button" class="client-card-episode" data-episode=${e.id}
          onClick=${() => onOpen(e)}>
          <span class="episode-top">
            <time datetime=${e.openedAt} title=${formatFull(e.openedAt)}>
              ${formatDay(parseTime(e.openedAt))}</time>
            <span class="muted">${t(`card.status.${e.status}`)}</span>
            <span class="muted">${t("dialog.messages", { count: e.messageCount })}</span>
          </span>
          <span class="episode-preview">${e.lastMessage?.text || t("inbox.noMessages")}</span>
        </button></li>`)}
    </ol>
    ${hasMore && html`<button type="button" class="button button-quiet" onClick=${onMore}>
      ${t("card.moreEarlier")}</button>`}`;
}

/** One earlier dialog, read only, scrolling back a page at a time. */
function EpisodeView({ dialogId, episode, Messages, onBack }) {
  const [view, setView] = useState({ status: "loading", messages: [], hasEarlier: false });
  const load = async (before) => {
    try {
      const found = (await api(EPISODE, { dialogId, id: episode.id, before }))
        .clientCard?.earlierDialog;
      if (!found) { setView((v) => ({ ...v, status: "gone" })); return; }
      const page = found.messages;
      setView((v) => ({ status: "ready", hasEarlier: page.hasEarlier,
        messages: before ? [...page.messages, ...v.messages] : page.messages }));
    } catch (error) {
      setView((v) => ({ ...v, status: "error", error: error.code }));
    }
  };
  useEffect(() => { load(null); }, [episode.id]);
  return html`<section class="client-card-episode-view" data-episode-view=${episode.id}
      aria-label=${t("card.episodeOf", { when: formatFull(episode.openedAt) })}>
    <div class="client-card-episode-head">
      <button type="button" class="button button-quiet" onClick=${onBack}>
        ← ${t("card.backToCard")}</button>
      <span class="muted">${t("card.readOnly")} · ${formatFull(episode.openedAt)}</span>
    </div>
    ${view.hasEarlier && html`<div class="more"><button type="button"
      class="button button-quiet" onClick=${() => load(view.messages[0]?.seq)}>
      ${t("dialog.loadEarlier")}</button></div>`}
    ${view.status === "loading" ? html`<p class="muted">${t("inbox.loading")}</p>`
      : view.status === "gone" ? html`<p role="alert">${t("dialog.notFound")}</p>`
      : view.status === "error" ? html`<p role="alert">${t(`error.${view.error}`)}</p>`
      : html`<div class="client-card-messages"><${Messages} messages=${view.messages}/></div>`}
  </section>`;
}

/** The card: a button in the dialog header that opens it below the header. `Messages` renders
 * an earlier dialog's messages as the dialog view does. */
export function ClientCard({ dialogId, Messages }) {
  const { operator } = useStore(session);
  const [open, setOpen] = useState(false);
  const [state, setState] = useState({ status: "idle" });
  const [episode, setEpisode] = useState(null);
  const panel = useRef(null);
  const toggle = useRef(null);
  const writes = operator?.role !== "AUDITOR";

  const load = async (before = null) => {
    try {
      const card = (await api(CARD, { dialogId, before })).clientCard;
      if (!card) { setState({ status: "gone" }); return; }
      setState((s) => ({ status: "ready", card,
        episodes: before ? [...(s.episodes || []), ...card.earlierDialogs.nodes]
          : card.earlierDialogs.nodes,
        hasMore: card.earlierDialogs.hasMore }));
    } catch (error) {
      setState({ status: "error", error: error.code });
    }
  };
  useEffect(() => { setOpen(false); setEpisode(null); setState({ status: "idle" }); },
    [dialogId]);
  useEffect(() => { if (open) { load(); panel.current?.focus(); } }, [open]);

  const close = () => { setOpen(false); setEpisode(null); toggle.current?.focus(); };
  const onKeyDown = (event) => {
    if (event.key === "Escape") { event.stopPropagation(); close(); }
  };
  const card = state.card;
  return html`<div class="client-card-anchor">
    <button type="button" class="button button-quiet client-card-toggle" ref=${toggle}
      aria-expanded=${open ? "true" : "false"} aria-controls="client-card"
      onClick=${() => (open ? close() : setOpen(true))}>${t("card.open")}</button>
    ${open && html`<section id="client-card" class="client-card" role="dialog"
        aria-labelledby="client-card-title" tabindex="-1" ref=${panel} onKeyDown=${onKeyDown}>
      <header class="client-card-head">
        <h3 id="client-card-title">${t("card.title")}</h3>
        <button type="button" class="button button-quiet" onClick=${close}
          aria-label=${t("card.close")}>×</button>
      </header>
      ${state.status === "idle" && html`<p class="muted">${t("inbox.loading")}</p>`}
      ${state.status === "gone" && html`<p role="alert">${t("dialog.notFound")}</p>`}
      ${state.status === "error" && html`<p role="alert">${t(`error.${state.error}`)}</p>`}
      ${state.status === "ready" && (episode
        ? html`<${EpisodeView} dialogId=${dialogId} episode=${episode} Messages=${Messages}
            onBack=${() => { setEpisode(null); panel.current?.focus(); }}/>`
        : html`
          <p class="client-card-who"><strong data-card-name>${card.displayName || card.phone}</strong>
            <span class="muted"> · ${card.phone}</span></p>
          ${card.phonebookEntry ? html`<${Entry} entry=${card.phonebookEntry}/>`
            : html`<p class="muted" data-not-in-phonebook>${t("card.notInPhonebook")}</p>`}
          ${card.phonebookEntry && card.givenName && html`<p class="client-card-given">
            ${t("card.givenName")}: ${card.givenName}</p>`}
          ${writes ? html`<${EditForm} key=${card.dialogId} card=${card}
              onSaved=${(c) => setState((s) => ({ ...s, card: { ...s.card, ...c } }))}/>`
            : card.note && html`<div class="client-card-note" data-note>
              <h4>${t("card.note")}</h4><p>${card.note}</p></div>`}
          <h4>${t("card.earlier")}</h4>
          <${Episodes} card=${card} episodes=${state.episodes} hasMore=${state.hasMore}
            onOpen=${setEpisode}
            onMore=${() => load(state.episodes.at(-1)?.openedAt)}/>`)}
    </section>`}
  </div>`;
}
