// The quick replies page (/quick-replies): the shared ones (admins add, change and delete them;
// others read them) and your own (operators and admins). In a dialog, type "/" in the reply box
// to use them.
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { t } from "../lib/i18n.mjs";
import {
  PLACEHOLDERS, createQuickReply, deleteQuickReply, loadQuickReplies, updateQuickReply,
} from "../lib/quick_replies.mjs";
import { isAdmin, isAuditor } from "../lib/session.mjs";
import { errorText } from "./common.mjs";

/** The form for a new quick reply, or for changing one (`reply`). */
function QuickReplyForm({ idPrefix, reply = null, shared, onDone, onCancel }) {
  const [shortcut, setShortcut] = useState(reply?.shortcut ?? "");
  const [text, setText] = useState(reply?.text ?? "");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);

  const save = async () => {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    const refused = reply ? await updateQuickReply(reply.id, shortcut, text)
      : await createQuickReply(shortcut, text, shared);
    setBusy(false);
    if (refused) {
      setFailure(refused);
      return;
    }
    if (!reply) {
      setShortcut("");
      setText("");
    }
    onDone();
  };
  const invalid = (field) => (failure?.field === field ? "true" : "false");
  return html`
    <form class="quick-form" data-quick-form=${reply ? "edit" : shared ? "shared" : "personal"}
      onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <div class="field">
        <label for=${`${idPrefix}-shortcut`}>${t("quick.shortcut")}</label>
        <div class="quick-shortcut-input"><span aria-hidden="true">/</span>
          <input id=${`${idPrefix}-shortcut`} value=${shortcut} maxlength="33" autocomplete="off"
            required aria-invalid=${invalid("shortcut")}
            aria-describedby=${`${idPrefix}-shortcut-hint`}
            onInput=${(e) => setShortcut(e.currentTarget.value)}/></div>
        <p id=${`${idPrefix}-shortcut-hint`} class="muted small">${t("quick.shortcutHint")}</p>
      </div>
      <div class="field">
        <label for=${`${idPrefix}-text`}>${t("quick.text")}</label>
        <textarea id=${`${idPrefix}-text`} rows="3" value=${text} required
          aria-invalid=${invalid("text")} aria-describedby=${`${idPrefix}-text-hint`}
          onInput=${(e) => setText(e.currentTarget.value)}></textarea>
        <p id=${`${idPrefix}-text-hint`} class="muted small">
          ${t("quick.placeholders", { list: PLACEHOLDERS.join(", ") })}</p>
      </div>
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled=${busy}>
          ${reply ? t("quick.save") : t("quick.add")}</button>
        ${onCancel && html`<button type="button" class="button button-quiet"
          onClick=${onCancel}>${t("quick.cancel")}</button>`}
      </div>
      <p class="form-error" role="alert">
        ${failure ? errorText(failure) : ""}</p>
    </form>`;
}

function QuickReplyRow({ reply, onChanged }) {
  const [editing, setEditing] = useState(false);
  const [failure, setFailure] = useState("");
  const remove = async () => {
    if (!confirm(t("quick.confirmDelete", { shortcut: reply.shortcut }))) return;
    const refused = await deleteQuickReply(reply.id);
    if (refused) setFailure(errorText(refused));
    else onChanged();
  };
  if (editing) {
    return html`<li class="quick-row card">
      <${QuickReplyForm} idPrefix=${`quick-${reply.id}`} reply=${reply}
        onDone=${() => { setEditing(false); onChanged(); }}
        onCancel=${() => setEditing(false)}/></li>`;
  }
  return html`
    <li class="quick-row card" data-quick-reply=${reply.shortcut}>
      <div class="quick-row-head">
        <strong class="quick-shortcut">/${reply.shortcut}</strong>
        ${reply.canEdit && html`<span class="quick-row-actions">
          <button type="button" class="button button-quiet button-small"
            onClick=${() => setEditing(true)}
            aria-label=${t("quick.editOne", { shortcut: reply.shortcut })}>${t("quick.edit")}</button>
          <button type="button" class="button button-quiet button-small" onClick=${remove}
            aria-label=${t("quick.deleteOne", { shortcut: reply.shortcut })}>
            ${t("quick.delete")}</button></span>`}
      </div>
      <p class="quick-text">${reply.text}</p>
      ${failure && html`<p class="form-error" role="alert">${failure}</p>`}
    </li>`;
}

function Section({ id, title, about, replies, canAdd, shared, onChanged }) {
  return html`
    <section class="quick-section" aria-labelledby=${`${id}-title`} data-quick-section=${id}>
      <h2 id=${`${id}-title`}>${title}</h2>
      <p class="muted">${about}</p>
      ${replies === null ? html`<p class="muted">${t("inbox.loading")}</p>`
        : replies.length === 0 ? html`<p class="muted">${t("quick.none")}</p>`
        : html`<ul class="quick-list">${replies.map((reply) => html`
            <${QuickReplyRow} key=${reply.id} reply=${reply} onChanged=${onChanged}/>`)}</ul>`}
      ${canAdd && html`<details class="quick-add">
        <summary>${shared ? t("quick.addShared") : t("quick.addPersonal")}</summary>
        <${QuickReplyForm} idPrefix=${`${id}-new`} shared=${shared} onDone=${onChanged}/>
      </details>`}
    </section>`;
}

export function QuickRepliesPage() {
  const [replies, setReplies] = useState(null);
  const [search, setSearch] = useState("");
  const [failure, setFailure] = useState("");
  const load = () => loadQuickReplies(search).then((found) => {
    setReplies(found);
    setFailure("");
  }, (error) => setFailure(errorText(error)));
  useEffect(() => { load(); }, [search]);

  const shared = replies && replies.filter((r) => r.shared);
  const mine = replies && replies.filter((r) => !r.shared);
  return html`
    <div class="page quick-page">
      <h1>${t("quick.title")}</h1>
      <p class="muted">${t("quick.about")}</p>
      <div class="field quick-search">
        <label for="quick-search">${t("quick.search")}</label>
        <input id="quick-search" type="search" value=${search} autocomplete="off"
          onInput=${(e) => setSearch(e.currentTarget.value)}/>
      </div>
      ${failure && html`<p class="form-error" role="alert">${failure}</p>`}
      <${Section} id="quick-shared" title=${t("quick.shared.title")}
        about=${isAdmin() ? t("quick.shared.aboutAdmin") : t("quick.shared.about")}
        replies=${shared} canAdd=${isAdmin()} shared=${true} onChanged=${load}/>
      ${!isAuditor() && html`<${Section} id="quick-mine" title=${t("quick.mine.title")}
        about=${t("quick.mine.about")} replies=${mine} canAdd=${true} shared=${false}
        onChanged=${load}/>`}
    </div>`;
}
