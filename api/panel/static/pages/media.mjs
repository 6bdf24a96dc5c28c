// A message's media: images inline with a viewer, documents as downloads, voice notes and videos
// with a player, locations as coordinates with a map link, shared contacts; and a button that
// sends an image or a document to the client.
import { useEffect, useRef, useState } from "preact/hooks";
import { uploadToClient, watchMedia } from "../lib/colleagues.mjs";
import { html } from "../lib/html.mjs";
import { t } from "../lib/i18n.mjs";
import { errorText } from "./common.mjs";

export const MEDIA_FIELDS = `media { id kind mimeType size fileName caption durationSeconds
  latitude longitude place contactName contactPhones state noteCode note url mapUrl }`;

const ICONS = {
  lock: "M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z",
  clip: "M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7",
  pin: "M12 21s7-6.2 7-11a7 7 0 0 0-14 0c0 4.8 7 11 7 11zM12 12.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z",
  person: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0",
  doc: "M6 2h9l5 5v15H6zM14 2v6h6",
  group: "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2 20a7 7 0 0 1 14 0M16 4.5a3.5 3.5 0 0 1 0 6.5M18 14a6 6 0 0 1 4 6",
};

/** A small line icon (no emoji: not every system has a font for them). */
export function Icon({ name, size: px = 16 }) {
  return html`<svg class="icon" viewBox="0 0 24 24" width=${px} height=${px} aria-hidden="true"
    fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"
    stroke-linejoin="round"><path d=${ICONS[name]}/></svg>`;
}

function size(bytes) {
  if (bytes == null) return "";
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

function seconds(total) {
  if (total == null) return "";
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

function Viewer({ media, onClose }) {
  const ref = useRef(null);
  const open = (el) => {
    ref.current = el;
    if (el && !el.open) el.showModal();
  };
  return html`
    <dialog class="media-viewer" ref=${open} aria-label=${t("media.viewer")}
      onClose=${onClose} onClick=${(e) => { if (e.target === ref.current) ref.current.close(); }}>
      <img src=${media.url} alt=${media.caption || media.fileName || t("media.kind.IMAGE")}/>
      <div class="media-viewer-bar">
        <span>${media.caption || media.fileName}</span>
        <a class="button button-quiet" href=${media.url} download=${media.fileName || "image"}
          >${t("media.download")}</a>
        <button type="button" class="button" onClick=${() => ref.current?.close()}
          autofocus>${t("media.close")}</button>
      </div>
    </dialog>`;
}

function Note({ media }) {
  if (media.state === "PENDING") {
    return html`<p class="media-note" data-media-state="PENDING">${t("media.pending")}</p>`;
  }
  const code = media.noteCode || "DOWNLOAD_FAILED";
  const key = `media.note.${code}`;
  const text = t(key) === key ? (media.note || t("media.note.DOWNLOAD_FAILED")) : t(key);
  return html`<p class="media-note media-note-bad" data-media-state=${media.state}
    role="note">${t(`media.state.${media.state}`)}: ${text}</p>`;
}

export function MediaView({ media, text }) {
  const [viewing, setViewing] = useState(false);
  const caption = media.caption;
  const label = t(`media.kind.${media.kind}`);
  let body;
  if (media.kind === "LOCATION") {
    body = html`
      <p class="media-location" data-media="LOCATION">
        <${Icon} name="pin"/> ${media.place && html`<strong>${media.place}</strong> `}
        <span class="media-coords">${media.latitude?.toFixed(5)}, ${media.longitude?.toFixed(5)}</span>
        ${media.mapUrl && html` <a href=${media.mapUrl} target="_blank" rel="noopener noreferrer"
          >${t("media.map")}</a>`}
      </p>`;
  } else if (media.kind === "CONTACT") {
    body = html`
      <div class="media-contact" data-media="CONTACT">
        <${Icon} name="person"/> <strong>${media.contactName || label}</strong>
        <ul>${media.contactPhones.map((p) => html`<li><a href=${`tel:${p.replace(/[^+\d]/g, "")}`}
          >${p}</a></li>`)}</ul>
      </div>`;
  } else if (media.state !== "STORED" || !media.url) {
    body = html`<div class="media-missing" data-media=${media.kind}>
      <span class="media-kind">${label}${media.fileName ? ` · ${media.fileName}` : ""}</span>
      <${Note} media=${media}/></div>`;
  } else if (media.kind === "IMAGE" || media.kind === "STICKER") {
    body = html`
      <button type="button" class="media-thumb" data-media=${media.kind}
        onClick=${() => setViewing(true)} aria-label=${t("media.open", { what: label })}>
        <img src=${media.url} alt=${caption || media.fileName || label} loading="lazy"
          class=${media.kind === "STICKER" ? "media-sticker" : "media-image"}/>
      </button>
      ${viewing && html`<${Viewer} media=${media} onClose=${() => setViewing(false)}/>`}`;
  } else if (media.kind === "VOICE") {
    body = html`<div class="media-audio" data-media="VOICE">
      <audio controls preload="metadata" src=${media.url}
        aria-label=${t("media.kind.VOICE")}></audio>
      ${media.durationSeconds != null && html`<span class="muted small">
        ${seconds(media.durationSeconds)}</span>`}</div>`;
  } else if (media.kind === "VIDEO") {
    body = html`<video class="media-video" data-media="VIDEO" controls preload="metadata"
      src=${media.url}></video>`;
  } else {
    body = html`
      <a class="media-document" data-media="DOCUMENT" href=${media.url}
        download=${media.fileName || "document"}>
        <span class="media-document-icon"><${Icon} name="doc" size=${28}/></span>
        <span class="media-document-name">${media.fileName || label}</span>
        <span class="muted small">${size(media.size)} · ${t("media.download")}</span>
      </a>`;
  }
  const shown = caption;
  return html`<div class="media">${body}
    ${shown && html`<p class="msg-text media-caption">${shown}</p>`}
    ${!shown && text && !text.startsWith("[") && html`<p class="msg-text">${text}</p>`}
  </div>`;
}

/** Sends an image or a document to the client; limits and types are checked by the server.
 * `onSent` also runs when a file of the dialog changes (a client's download done). */
export function AttachButton({ dialogId, onSent }) {
  const latest = useRef(onSent);
  latest.current = onSent;
  useEffect(() => watchMedia(dialogId, () => latest.current?.()), [dialogId]);
  const input = useRef(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const [file, setFile] = useState(null);
  const [caption, setCaption] = useState("");
  const send = async (event) => {
    event.preventDefault();
    if (!file || busy) return;
    setBusy(true);
    setFailure("");
    const result = await uploadToClient(dialogId, file, caption.trim());
    setBusy(false);
    if (result.code) {
      setFailure(errorText(result));
      return;
    }
    setFile(null);
    setCaption("");
    if (input.current) input.current.value = "";
    onSent?.();
  };
  return html`
    <form class="attach" onSubmit=${send} aria-label=${t("media.attach")}>
      <label class="button button-quiet attach-pick">
        <${Icon} name="clip"/> ${t("media.attach")}
        <input ref=${input} type="file" class="visually-hidden" data-attach-file
          accept="image/jpeg,image/png,image/webp,image/gif,application/pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.txt,.csv,.zip"
          onChange=${(e) => { setFile(e.currentTarget.files?.[0] ?? null); setFailure(""); }}/>
      </label>
      ${file && html`
        <span class="attach-name">${file.name} · ${size(file.size)}</span>
        <label class="visually-hidden" for=${`caption-${dialogId}`}>${t("media.caption")}</label>
        <input id=${`caption-${dialogId}`} class="attach-caption" value=${caption}
          placeholder=${t("media.caption")} onInput=${(e) => setCaption(e.currentTarget.value)}/>
        <button type="submit" class="button button-primary" disabled=${busy}>
          ${busy ? t("media.sending") : t("media.send")}</button>
        <button type="button" class="button button-quiet" onClick=${() => {
          setFile(null); if (input.current) input.current.value = ""; }}>${t("media.cancel")}</button>`}
      <p class="form-error" role="alert">${failure}</p>
    </form>`;
}
