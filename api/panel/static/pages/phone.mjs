// The simulator's phone: act as a client writing to the company's number — text, files, a
// location, a contact or a sticker. Open to anyone, no sign-in; the server signs each message for
// the simulator webhook.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatTime, t } from "../lib/i18n.mjs";
import { Brand, LanguageSwitch } from "./common.mjs";
import { CompanyWhatsApp, Replies, phoneCall, useReplies } from "./phone_link.mjs";

const KEYS = { phone: "sb.phone.number", name: "sb.phone.name", sent: "sb.phone.sent" };
const KEEP = 100;

function loadSent() {
  try { return JSON.parse(localStorage.getItem(KEYS.sent) || "[]"); } catch { return []; }
}

async function send(from, name, text, id = undefined) {
  return phoneCall("/send", { from, name, text, id });
}

/** A photo, a document, a voice note or a video from the client's phone (`sticker`: an image
 * sent as a sticker). */
async function sendFile(from, name, file, caption, sticker = false) {
  const form = new FormData();
  form.append("from", from);
  form.append("name", name);
  form.append("caption", caption);
  if (sticker) form.append("sticker", "true");
  form.append("file", file);
  try {
    const response = await fetch("/simulator/phone/send-media", { method: "POST", body: form });
    const body = await response.json();
    if (response.ok) return body;
    const detail = body.detail;
    return { error: typeof detail === "object" ? detail.message : detail || response.status };
  } catch (error) {
    return { error: error.message };
  }
}

/** A location or a contact from the client's phone. */
const share = (body) => phoneCall("/share", body);

/** What a phone shares besides text and files: a location, a contact, a sticker. `deliver(call,
 * label)` sends and adds it to the conversation; answers whether it was taken. */
function ShareCard({ from, name, busy, deliver }) {
  const [latitude, setLatitude] = useState("");
  const [longitude, setLongitude] = useState("");
  const [place, setPlace] = useState("");
  const [contact, setContact] = useState("");
  const [numbers, setNumbers] = useState("");

  const sendLocation = async (event) => {
    event.preventDefault();
    const location = { latitude: Number(latitude), longitude: Number(longitude),
      name: place.trim() };
    const where = location.name || `${location.latitude}, ${location.longitude}`;
    if (await deliver(() => share({ from, name, location }),
      t("phone.shared.location", { where }))) setPlace("");
  };
  const sendContact = async (event) => {
    event.preventDefault();
    const phones = numbers.split(",").map((p) => p.trim()).filter(Boolean);
    const who = contact.trim() || phones.join(", ");
    if (await deliver(() => share({ from, name, contact: { name: contact.trim(), phones } }),
      t("phone.shared.contact", { name: who }))) { setContact(""); setNumbers(""); }
  };
  const sendSticker = async (event) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = "";
    if (file) await deliver(() => sendFile(from, name, file, "", true),
      t("phone.shared.sticker", { name: file.name }));
  };

  return html`
    <section class="card phone-share" aria-labelledby="share-title">
      <h2 id="share-title">${t("phone.share.title")}</h2>
      <form onSubmit=${sendLocation} data-share="location">
        <fieldset>
          <legend>${t("phone.share.location")}</legend>
          <div class="phone-share-row">
            <div class="field">
              <label for="share-latitude">${t("phone.share.latitude")}</label>
              <input id="share-latitude" type="number" step="any" min="-90" max="90" required
                placeholder="55.7558" value=${latitude}
                onInput=${(e) => setLatitude(e.currentTarget.value)}/>
            </div>
            <div class="field">
              <label for="share-longitude">${t("phone.share.longitude")}</label>
              <input id="share-longitude" type="number" step="any" min="-180" max="180" required
                placeholder="37.6173" value=${longitude}
                onInput=${(e) => setLongitude(e.currentTarget.value)}/>
            </div>
          </div>
          <div class="field">
            <label for="share-place">${t("phone.share.place")}</label>
            <input id="share-place" maxlength="200" value=${place}
              onInput=${(e) => setPlace(e.currentTarget.value)}/>
          </div>
          <button type="submit" class="button" disabled=${busy}>
            ${t("phone.share.sendLocation")}</button>
        </fieldset>
      </form>
      <form onSubmit=${sendContact} data-share="contact">
        <fieldset>
          <legend>${t("phone.share.contact")}</legend>
          <div class="field">
            <label for="share-contact">${t("phone.share.contactName")}</label>
            <input id="share-contact" maxlength="200" value=${contact}
              onInput=${(e) => setContact(e.currentTarget.value)}/>
          </div>
          <div class="field">
            <label for="share-numbers">${t("phone.share.contactPhones")}</label>
            <input id="share-numbers" type="tel" required value=${numbers}
              onInput=${(e) => setNumbers(e.currentTarget.value)}/>
          </div>
          <button type="submit" class="button" disabled=${busy}>
            ${t("phone.share.sendContact")}</button>
        </fieldset>
      </form>
      <label class="button button-quiet phone-share-sticker">
        ${t("phone.share.sticker")}
        <input type="file" class="visually-hidden" data-phone-sticker accept="image/webp,image/png"
          onChange=${sendSticker} disabled=${busy}/>
      </label>
    </section>`;
}

export function PhonePage() {
  const [phone, setPhone] = useState(() => localStorage.getItem(KEYS.phone) ?? "+79161234567");
  const [name, setName] = useState(() => localStorage.getItem(KEYS.name) ?? "");
  const [text, setText] = useState("");
  const [sent, setSent] = useState(loadSent);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const thread = useRef(null);
  const box = useRef(null);

  useEffect(() => { document.title = `${t("phone.title")} — Switchboard`; });
  useEffect(() => { localStorage.setItem(KEYS.phone, phone); }, [phone]);
  useEffect(() => { localStorage.setItem(KEYS.name, name); }, [name]);
  useEffect(() => {
    localStorage.setItem(KEYS.sent, JSON.stringify(sent.slice(-KEEP)));
    if (thread.current) thread.current.scrollTop = thread.current.scrollHeight;
  }, [sent]);

  const replies = useReplies(phone.trim());
  // The conversation as the phone shows it: what this number wrote and what the company
  // answered, in time order.
  const mine = sent.filter((m) => m.from === phone.trim());
  const conversation = [...mine.map((m) => ({ ...m, out: true })), ...replies.replies]
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));

  const submit = async (event) => {
    event.preventDefault();
    const message = text.trim();
    if (!message || busy) return;
    setBusy(true);
    setFailure("");
    const result = await send(phone.trim(), name.trim(), message);
    setBusy(false);
    if (result.error) {
      setFailure(t("phone.failed", { reason: result.error }));
      return;
    }
    setSent((list) => [...list, { id: result.message_id, from: phone.trim(), text: message,
      at: new Date().toISOString(), status: result.status, name: name.trim() }]);
    setText("");
    box.current?.focus();
  };

  /** The same message delivered again: WhatsApp repeats itself; Switchboard changes nothing. */
  const again = async (message) => {
    setFailure("");
    const result = await send(message.from, message.name ?? "", message.text, message.id);
    if (result.error) { setFailure(t("phone.failed", { reason: result.error })); return; }
    setSent((list) => list.map((m) => (m.id === message.id ? { ...m, status: result.status } : m)));
  };

  const onKeyDown = (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  };

  /** Sends what is not plain text (a file, a location, a contact) and shows it as `label`. */
  const deliver = async (call, label) => {
    if (busy) return false;
    setBusy(true);
    setFailure("");
    const result = await call();
    setBusy(false);
    if (result.error) {
      setFailure(t("phone.failed", { reason: result.error }));
      return false;
    }
    setSent((list) => [...list, { id: result.message_id, from: phone.trim(), text: label,
      file: true, at: new Date().toISOString(), status: result.status, name: name.trim() }]);
    return true;
  };

  const attach = async (event) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = "";
    if (!file) return;
    const caption = text.trim();
    if (await deliver(() => sendFile(phone.trim(), name.trim(), file, caption),
      `${file.name}${caption ? ` — ${caption}` : ""}`)) setText("");
  };

  return html`
    <div class="phone-page">
      <header class="topbar">
        <a href="/" class="brand-link"><${Brand}/></a>
        <nav aria-label=${t("nav.main")}><ul class="nav">
          <li><a class="nav-link" href="/">${t("phone.openPanel")}</a></li>
          <li><a class="nav-link" href="/phone" aria-current="page">${t("nav.phone")}</a></li>
        </ul></nav>
        <div class="topbar-tools"><${LanguageSwitch}/></div>
      </header>
      <main id="main" class="phone-layout">
        <section class="phone-intro" aria-labelledby="phone-title">
          <h1 id="phone-title">${t("phone.title")}</h1>
          <p class="muted">${t("phone.intro")}</p>
          <${CompanyWhatsApp}/>
          <div class="card">
            <div class="field">
              <label for="phone-number">${t("phone.number")}</label>
              <input id="phone-number" type="tel" autocomplete="tel" inputmode="tel" value=${phone}
                onInput=${(e) => setPhone(e.currentTarget.value)} aria-describedby="phone-number-hint"/>
              <p id="phone-number-hint" class="muted small">${t("phone.numberHint")}</p>
            </div>
            <div class="field">
              <label for="phone-name">${t("phone.name")}</label>
              <input id="phone-name" autocomplete="name" value=${name}
                onInput=${(e) => setName(e.currentTarget.value)}/>
            </div>
          </div>
          <${ShareCard} from=${phone.trim()} name=${name.trim()} busy=${busy} deliver=${deliver}/>
          <${Replies} ...${replies}/>
        </section>
        <section class="phone" aria-labelledby="thread-title">
          <header class="phone-head">
            <span class="avatar" aria-hidden="true">SB</span>
            <div>
              <h2 id="thread-title">${t("phone.company")}</h2>
              <p class="small">${t("phone.writingAs", { name: name.trim() || phone.trim() })}</p>
            </div>
          </header>
          <div class="phone-thread" ref=${thread}>
            <h3 class="visually-hidden">${t("phone.sent")}</h3>
            ${conversation.length === 0
              ? html`<p class="empty">${t("phone.noneSent")}</p>`
              : html`<ol class="messages" aria-live="polite" data-thread>
                  ${conversation.map((m) => !m.out ? html`
                    <li key=${m.id} class="msg msg-in" data-company>
                      <p class="msg-text">${m.text}</p>
                      <span class="msg-time">
                        <time datetime=${m.at} title=${formatFull(m.at)}>${formatTime(m.at)}</time>
                      </span>
                    </li>` : html`
                    <li key=${m.id} class="msg msg-out" data-sent>
                      <p class="msg-text">${m.text}</p>
                      <span class="msg-time">
                        <time datetime=${m.at} title=${formatFull(m.at)}>${formatTime(m.at)}</time>
                        <span class="tick" title=${t(`phone.status.${m.status}`)}
                          aria-label=${t(`phone.status.${m.status}`)}>✓</span>
                        ${m.id && !m.file && html`<button type="button" class="msg-again"
                          onClick=${() => again(m)}>${t("phone.again")}</button>`}
                      </span>
                    </li>`)}
                </ol>`}
          </div>
          <form class="phone-compose" onSubmit=${submit}>
            <label for="phone-text" class="visually-hidden">${t("phone.message")}</label>
            <textarea id="phone-text" ref=${box} rows="2" value=${text} required
              placeholder=${t("phone.placeholder")} aria-describedby="phone-compose-hint phone-error"
              onInput=${(e) => setText(e.currentTarget.value)} onKeyDown=${onKeyDown}></textarea>
            <label class="button button-quiet phone-attach" title=${t("phone.attachHint")}>
              <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none"
                stroke="currentColor" stroke-width="2" stroke-linecap="round"><path
                d="M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"/></svg>
              <span class="visually-hidden">${t("phone.attach")}</span>
              <input type="file" class="visually-hidden" data-phone-file
                accept="image/*,application/pdf,audio/*,video/*,.doc,.docx,.xls,.xlsx,.txt"
                onChange=${attach} disabled=${busy}/>
            </label>
            <button type="submit" class="button button-primary" disabled=${busy || !text.trim()}>
              ${busy ? t("phone.sending") : t("phone.send")}</button>
          </form>
          <p id="phone-compose-hint" class="muted small phone-hint">${t("phone.hint")}</p>
          <p id="phone-error" class="form-error" role="alert">${failure}</p>
        </section>
      </main>
    </div>`;
}
