// Labels in the panel: chips on inbox rows and in the dialog's header, the picker in the dialog
// (for whoever may write there), the inbox's label filter, and the admins' labels section.
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { t } from "../lib/i18n.mjs";
import { inbox, setLabel } from "../lib/inbox.mjs";
import {
  PALETTE, chipClass, chipStyle, createLabel, deleteLabel, labels, loadLabels, renameLabel,
  setDialogLabels,
} from "../lib/labels.mjs";
import { isAdmin, isAuditor } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { errorText } from "./common.mjs";

/** The labels loaded once for the page (and again after each admin's change). */
function useLabels() {
  const state = useStore(labels);
  useEffect(() => { if (state.list === null && !state.error) loadLabels(); }, []);
  return state;
}

export function LabelChips({ labels: shown }) {
  if (!shown?.length) return null;
  return html`<span class="label-chips" aria-label=${t("labels.title")}>
    ${shown.map((label) => html`<span key=${label.id} class=${chipClass(label.color)}
      style=${chipStyle(label.color)} data-label=${label.name}>${label.name}</span>`)}</span>`;
}

/** Narrows every tab of the inbox to the dialogs with one label. */
export function LabelFilter() {
  const { list } = useLabels();
  const { label } = useStore(inbox);
  // The label chosen was deleted: every dialog again.
  useEffect(() => {
    if (list && label !== "ALL" && !list.some((l) => l.id === label)) setLabel("ALL");
  }, [list, label]);
  if (!list?.length && label === "ALL") return null;
  return html`
    <label class="channel-filter label-filter">
      <span>${t("labels.filter")}</span>
      <select value=${label} onChange=${(e) => setLabel(e.currentTarget.value)}
        data-label-filter>
        <option value="ALL">${t("labels.filter.all")}</option>
        ${(list ?? []).map((l) => html`<option value=${l.id}>${l.name}</option>`)}
      </select>
    </label>`;
}

/** The dialog's labels and, for whoever may write in it, the picker: each box sets them. */
export function DialogLabels({ entry }) {
  const { list } = useLabels();
  const [asked, setAsked] = useState(null); // the boxes as ticked while the server answers
  const [failure, setFailure] = useState("");
  useEffect(() => { setFailure(""); setAsked(null); }, [entry?.id]);
  if (!entry) return null;
  const chosen = asked ?? (entry.labels ?? []).map((l) => l.id);
  const toggle = async (id, on) => {
    setFailure("");
    const next = on ? [...chosen, id] : chosen.filter((c) => c !== id);
    setAsked(next);
    const refused = await setDialogLabels(entry.id, next);
    setAsked(null);
    if (refused) setFailure(errorText(refused));
  };
  const busy = asked !== null;
  const mayWrite = !isAuditor();
  return html`
    <div class="dialog-labels" data-dialog-labels>
      <${LabelChips} labels=${entry.labels}/>
      ${mayWrite && html`<details class="label-picker">
        <summary class="button button-quiet button-small">${t("labels.choose")}</summary>
        <fieldset class="label-choices" disabled=${busy}>
          <legend class="visually-hidden">${t("labels.choose")}</legend>
          ${list === null ? html`<p class="muted">${t("inbox.loading")}</p>`
            : list.length === 0 ? html`<p class="muted">${t("labels.none")}</p>`
            : list.map((l) => html`<label class="label-choice" key=${l.id}>
                <input type="checkbox" checked=${chosen.includes(l.id)}
                  onChange=${(e) => toggle(l.id, e.currentTarget.checked)}/>
                <span class=${chipClass(l.color)} style=${chipStyle(l.color)}>${l.name}</span>
              </label>`)}
        </fieldset>
      </details>`}
      <p class="form-error" role="alert">${failure}</p>
    </div>`;
}

function ColorSelect({ id, value, onChange }) {
  const custom = !PALETTE.includes(value);
  return html`<select id=${id} value=${custom ? "" : value}
    onChange=${(e) => onChange(e.currentTarget.value)}>
    ${custom && html`<option value="">${value}</option>`}
    ${PALETTE.map((c) => html`<option value=${c}>${t(`labels.color.${c}`)}</option>`)}
  </select>`;
}

function LabelRow({ label, editable }) {
  const [name, setName] = useState(label.name);
  const [color, setColor] = useState(label.color);
  const [failure, setFailure] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => { setName(label.name); setColor(label.color); }, [label.name, label.color]);
  const run = async (action) => {
    setBusy(true);
    setFailure("");
    const refused = await action();
    setBusy(false);
    if (refused) setFailure(errorText(refused));
  };
  const save = (e) => {
    e.preventDefault();
    run(() => renameLabel(label.id, name, color || null));
  };
  const remove = () => {
    if (confirm(t("labels.deleteConfirm", { name: label.name }))) {
      run(() => deleteLabel(label.id));
    }
  };
  if (!editable) {
    return html`<li class="label-row"><span class=${chipClass(label.color)}
      style=${chipStyle(label.color)}>${label.name}</span></li>`;
  }
  return html`
    <li class="label-row" data-label-row=${label.name}>
      <form class="label-form" onSubmit=${save}>
        <span class=${chipClass(label.color)} style=${chipStyle(label.color)}
          aria-hidden="true">${label.name}</span>
        <label class="visually-hidden" for=${`label-name-${label.id}`}>${t("labels.name")}</label>
        <input id=${`label-name-${label.id}`} value=${name} maxlength="40" required
          onInput=${(e) => setName(e.currentTarget.value)}/>
        <label class="visually-hidden" for=${`label-color-${label.id}`}>
          ${t("labels.color")}</label>
        <${ColorSelect} id=${`label-color-${label.id}`} value=${color} onChange=${setColor}/>
        <button type="submit" class="button button-quiet button-small" disabled=${busy}>
          ${t("labels.save")}</button>
        <button type="button" class="button button-quiet button-small" disabled=${busy}
          onClick=${remove}>${t("labels.delete")}</button>
      </form>
      <p class="form-error" role="alert">${failure}</p>
    </li>`;
}

/** The admin area's labels section: admins create, rename, recolour, delete; auditors read. */
export function LabelsPage() {
  const { list, error } = useLabels();
  const [name, setName] = useState("");
  const [color, setColor] = useState("blue");
  const [failure, setFailure] = useState("");
  const [busy, setBusy] = useState(false);
  const editable = isAdmin();
  const add = async (e) => {
    e.preventDefault();
    setBusy(true);
    setFailure("");
    const refused = await createLabel(name, color);
    setBusy(false);
    if (refused) setFailure(errorText(refused));
    else setName("");
  };
  return html`
    <section class="labels-admin" aria-labelledby="labels-title">
      <h2 id="labels-title">${t("admin.labels")}</h2>
      <p class="muted">${t("admin.labels.about")}</p>
      ${error && html`<p class="form-error" role="alert">${errorText(error)}</p>`}
      ${list === null ? html`<p class="muted">${t("inbox.loading")}</p>`
        : list.length === 0 ? html`<p class="muted">${t("labels.none")}</p>`
        : html`<ul class="label-list">${list.map((l) => html`<${LabelRow} key=${l.id}
            label=${l} editable=${editable}/>`)}</ul>`}
      ${editable && html`<form class="label-form label-new" onSubmit=${add}>
        <div class="field">
          <label for="new-label-name">${t("labels.newName")}</label>
          <input id="new-label-name" value=${name} maxlength="40" required
            onInput=${(e) => setName(e.currentTarget.value)}/>
        </div>
        <div class="field">
          <label for="new-label-color">${t("labels.color")}</label>
          <${ColorSelect} id="new-label-color" value=${color} onChange=${setColor}/>
        </div>
        <button type="submit" class="button button-primary" disabled=${busy}>
          ${t("labels.create")}</button>
        <p class="form-error" role="alert">${failure}</p>
      </form>`}
    </section>`;
}
