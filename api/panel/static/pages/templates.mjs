// The reply box once WhatsApp's 24-hour window has closed (Cloud API): instead of a text box
// that would only fail, the approved templates — pick one, fill its parameters (the client's
// name where the template greets them), see the message as the client will, send.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, t } from "../lib/i18n.mjs";
import { inbox } from "../lib/inbox.mjs";
import { useStore } from "../lib/store.mjs";
import { isAdmin } from "../lib/session.mjs";
import {
  fill, loadTemplates, loadWindow, prefilled, sendTemplate, syncTemplates,
} from "../lib/templates.mjs";
import { errorText } from "./common.mjs";

const MAX_DELAY = 2 ** 31 - 1;

/** The dialog's reply window, asked again when the client writes and when it closes. */
export function useReplyWindow(dialogId) {
  const entry = useStore(inbox).entries[dialogId];
  const lastIn = entry?.lastMessage?.direction === "IN" ? entry.lastMessage.at : null;
  const [replyWindow, setReplyWindow] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    loadWindow(dialogId).then((found) => { if (live) setReplyWindow(found); });
    return () => { live = false; };
  }, [dialogId, lastIn, tick]);
  useEffect(() => {
    if (!replyWindow || replyWindow.closed || !replyWindow.closesAt) return undefined;
    const wait = Math.min(Date.parse(replyWindow.closesAt) - Date.now() + 1000, MAX_DELAY);
    const timer = setTimeout(() => setTick((n) => n + 1), Math.max(wait, 1000));
    return () => clearTimeout(timer);
  }, [replyWindow]);
  return replyWindow;
}

export function TemplatePicker({ dialogId, replyWindow, onSent }) {
  const entry = useStore(inbox).entries[dialogId];
  const clientName = entry?.client?.name ?? "";
  const [templates, setTemplates] = useState(null);
  const [chosen, setChosen] = useState("");
  const [values, setValues] = useState([]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const keys = useRef({});

  useEffect(() => {
    if (!replyWindow.templatesAvailable) return;
    loadTemplates().then(setTemplates, (error) => {
      setTemplates([]);
      setFailure(errorText(error));
    });
  }, [replyWindow.templatesAvailable]);

  const template = templates?.find((tpl) => `${tpl.name}|${tpl.language}` === chosen);
  const choose = (key) => {
    setChosen(key);
    setFailure("");
    const found = templates.find((tpl) => `${tpl.name}|${tpl.language}` === key);
    setValues(found ? prefilled(found, clientName) : []);
  };
  const complete = template && values.every((v) => v.trim());

  const send = async () => {
    if (busy || !complete) return;
    setBusy(true);
    setFailure("");
    const refused = await sendTemplate(dialogId, template, values, keys.current);
    setBusy(false);
    if (refused) {
      setFailure(errorText(refused));
      return;
    }
    keys.current = {};
    choose("");
    onSent?.();
  };

  const synchronise = async () => {
    setBusy(true);
    setFailure("");
    const answer = await syncTemplates();
    setBusy(false);
    if (answer.templates) setTemplates(answer.templates);
    else setFailure(errorText(answer));
  };

  const since = replyWindow.closesAt ? formatFull(replyWindow.closesAt) : "";
  return html`
    <section class="composer template-picker" aria-labelledby="template-title"
      data-template-picker>
      <h3 id="template-title" class="small-title">${t("templates.closed.title")}</h3>
      <p class="reply-note reply-note-wait" data-window-closed>
        ${since ? t("templates.closed.since", { when: since }) : t("templates.closed.never")}</p>
      ${!replyWindow.templatesAvailable
        ? html`<p class="muted" data-templates-unavailable>${t("templates.unavailable")}</p>`
        : templates === null ? html`<p class="muted">${t("inbox.loading")}</p>`
        : templates.length === 0
          ? html`<p class="muted" data-no-templates>${t("templates.none")}</p>`
          : html`
      <form class="template-form" onSubmit=${(e) => { e.preventDefault(); send(); }}>
        <div class="field">
          <label for="template-choice">${t("templates.choose")}</label>
          <select id="template-choice" value=${chosen}
            onChange=${(e) => choose(e.currentTarget.value)}>
            <option value="">${t("templates.choosePrompt")}</option>
            ${templates.map((tpl) => html`<option value=${`${tpl.name}|${tpl.language}`}>
              ${tpl.name} · ${tpl.language}</option>`)}
          </select>
        </div>
        ${template && values.length > 0 && html`
          <fieldset class="template-parameters">
            <legend>${t("templates.parameters")}</legend>
            ${values.map((value, i) => html`<div class="field">
              <label for=${`template-parameter-${i + 1}`}>
                ${t("templates.parameter", { n: i + 1 })}</label>
              <input id=${`template-parameter-${i + 1}`} value=${value} maxlength="1024"
                required autocomplete="off"
                onInput=${(e) => setValues(values.map((v, j) => (j === i
                  ? e.currentTarget.value : v)))}/>
            </div>`)}
          </fieldset>`}
        ${template && html`
          <div class="template-preview">
            <span class="small muted">${t("templates.preview")}</span>
            <p class="template-bubble" aria-live="polite" data-template-preview>
              ${fill(template.body, values)}</p>
          </div>`}
        <div class="composer-bar">
          <button type="submit" class="button button-primary" disabled=${busy || !complete}
            data-send-template>
            ${busy ? t("reply.sending") : t("templates.send")}</button>
        </div>
      </form>`}
      ${replyWindow.templatesAvailable && isAdmin() && html`
        <button type="button" class="button button-quiet button-small" disabled=${busy}
          onClick=${synchronise} data-sync-templates>${t("templates.sync")}</button>`}
      <p class="form-error" role="alert">${failure}</p>
    </section>`;
}
