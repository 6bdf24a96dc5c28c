// The simulator's phone: act as a client writing to the company's number — text, files, a
// location, a contact or a sticker. Open to anyone, no sign-in; the server signs each message for
// the simulator webhook. Where the server plays Telegram too (GET /simulator/telegram), a switch
// at the top turns the phone into a Telegram user's app writing to the company's bot.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatTime, t } from "../lib/i18n.mjs";
import { Brand, LanguageSwitch } from "./common.mjs";
import {
  CompanyWhatsApp, Replies, ReplyMedia, phoneCall, simulatorCall, useReplies,
} from "./phone_link.mjs";

const KEYS = { phone: "sb.phone.number", name: "sb.phone.name", sent: "sb.phone.sent",
  messenger: "sb.phone.messenger" };
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

/** A location the client shares: `share(location)` sends it through `deliver(call, label)`,
 * which adds it to the conversation and answers whether it was taken. `prefix` keeps the
 * fields' ids apart on a page with two phones. */
function LocationForm({ prefix, busy, deliver, share }) {
  const [latitude, setLatitude] = useState("");
  const [longitude, setLongitude] = useState("");
  const [place, setPlace] = useState("");
  const submit = async (event) => {
    event.preventDefault();
    const location = { latitude: Number(latitude), longitude: Number(longitude),
      name: place.trim() };
    const where = location.name || `${location.latitude}, ${location.longitude}`;
    if (await deliver(() => share(location), t("phone.shared.location", { where }))) setPlace("");
  };
  return html`
    <form onSubmit=${submit} data-share="location">
      <fieldset>
        <legend>${t("phone.share.location")}</legend>
        <div class="phone-share-row">
          <div class="field">
            <label for="${prefix}-latitude">${t("phone.share.latitude")}</label>
            <input id="${prefix}-latitude" type="number" step="any" min="-90" max="90" required
              placeholder="55.7558" value=${latitude}
              onInput=${(e) => setLatitude(e.currentTarget.value)}/>
          </div>
          <div class="field">
            <label for="${prefix}-longitude">${t("phone.share.longitude")}</label>
            <input id="${prefix}-longitude" type="number" step="any" min="-180" max="180"
              required placeholder="37.6173" value=${longitude}
              onInput=${(e) => setLongitude(e.currentTarget.value)}/>
          </div>
        </div>
        <div class="field">
          <label for="${prefix}-place">${t("phone.share.place")}</label>
          <input id="${prefix}-place" maxlength="200" value=${place}
            onInput=${(e) => setPlace(e.currentTarget.value)}/>
        </div>
        <button type="submit" class="button" disabled=${busy}>
          ${t("phone.share.sendLocation")}</button>
      </fieldset>
    </form>`;
}

/** A contact the client shares: a name and phone numbers (`phonesLabel`: one, or several
 * separated by commas); `share(name, phones)` sends it. */
function ContactForm({ prefix, busy, deliver, share, phonesLabel, placeholder = "" }) {
  const [contact, setContact] = useState("");
  const [numbers, setNumbers] = useState("");
  const submit = async (event) => {
    event.preventDefault();
    const phones = numbers.split(",").map((p) => p.trim()).filter(Boolean);
    const who = contact.trim() || phones.join(", ");
    if (await deliver(() => share(contact.trim(), phones),
      t("phone.shared.contact", { name: who }))) { setContact(""); setNumbers(""); }
  };
  return html`
    <form onSubmit=${submit} data-share="contact">
      <fieldset>
        <legend>${t("phone.share.contact")}</legend>
        <div class="field">
          <label for="${prefix}-contact">${t("phone.share.contactName")}</label>
          <input id="${prefix}-contact" maxlength="120" value=${contact}
            onInput=${(e) => setContact(e.currentTarget.value)}/>
        </div>
        <div class="field">
          <label for="${prefix}-numbers">${phonesLabel}</label>
          <input id="${prefix}-numbers" type="tel" required value=${numbers}
            placeholder=${placeholder} onInput=${(e) => setNumbers(e.currentTarget.value)}/>
        </div>
        <button type="submit" class="button" disabled=${busy}>
          ${t("phone.share.sendContact")}</button>
      </fieldset>
    </form>`;
}

/** What a phone shares besides text and files: a location, a contact, a sticker. */
function ShareCard({ from, name, busy, deliver }) {
  const sendSticker = async (event) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = "";
    if (file) await deliver(() => sendFile(from, name, file, "", true),
      t("phone.shared.sticker", { name: file.name }));
  };

  return html`
    <section class="card phone-share" aria-labelledby="share-title">
      <h2 id="share-title">${t("phone.share.title")}</h2>
      <${LocationForm} prefix="share" busy=${busy} deliver=${deliver}
        share=${(location) => share({ from, name, location })}/>
      <${ContactForm} prefix="share" busy=${busy} deliver=${deliver}
        phonesLabel=${t("phone.share.contactPhones")}
        share=${(contactName, phones) => share({ from, name,
          contact: { name: contactName, phones } })}/>
      <label class="button button-quiet phone-share-sticker">
        ${t("phone.share.sticker")}
        <input type="file" class="visually-hidden" data-phone-sticker accept="image/webp,image/png"
          onChange=${sendSticker} disabled=${busy}/>
      </label>
    </section>`;
}

/** The WhatsApp client's phone; `switcher` (the messenger switch, or nothing) tops the page. */
function WhatsAppPhone({ switcher = null }) {
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
  const seen = new Set(replies.company.seen);  // the client's messages the company has read
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
      <${PhoneTopbar}/>
      <main id="main" class="phone-layout">
        <section class="phone-intro" aria-labelledby="phone-title">
          ${switcher}
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
              <p class="small" aria-live="polite">${replies.company.typing
                ? html`<span data-typing>${t("phone.typing")}</span>`
                : t("phone.writingAs", { name: name.trim() || phone.trim() })}</p>
            </div>
          </header>
          <div class="phone-thread" ref=${thread}>
            <h3 class="visually-hidden">${t("phone.sent")}</h3>
            ${conversation.length === 0
              ? html`<p class="empty">${t("phone.noneSent")}</p>`
              : html`<ol class="messages" aria-live="polite" data-thread>
                  ${conversation.map((m) => !m.out ? html`
                    <li key=${m.id} class="msg msg-in" data-company>
                      <${ReplyMedia} media=${m.media}/>
                      ${m.text && html`<p class="msg-text">${m.text}</p>`}
                      <span class="msg-time">
                        <time datetime=${m.at} title=${formatFull(m.at)}>${formatTime(m.at)}</time>
                      </span>
                    </li>` : html`
                    <li key=${m.id} class="msg msg-out" data-sent
                      data-seen=${seen.has(m.id) ? "" : undefined}>
                      <p class="msg-text">${m.text}</p>
                      <span class="msg-time">
                        <time datetime=${m.at} title=${formatFull(m.at)}>${formatTime(m.at)}</time>
                        ${seen.has(m.id)
                          ? html`<span class="tick tick-read" title=${t("phone.status.seen")}
                              aria-label=${t("phone.status.seen")}>✓✓</span>`
                          : html`<span class="tick" title=${t(`phone.status.${m.status}`)}
                              aria-label=${t(`phone.status.${m.status}`)}>✓</span>`}
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

function PhoneTopbar() {
  return html`
    <header class="topbar">
      <a href="/" class="brand-link"><${Brand}/></a>
      <nav aria-label=${t("nav.main")}><ul class="nav">
        <li><a class="nav-link" href="/">${t("phone.openPanel")}</a></li>
        <li><a class="nav-link" href="/phone" aria-current="page">${t("nav.phone")}</a></li>
      </ul></nav>
      <div class="topbar-tools"><${LanguageSwitch}/></div>
    </header>`;
}

const MESSENGERS = [
  { id: "whatsapp", label: "messenger.whatsapp" },
  { id: "telegram", label: "messenger.telegram" },
];

/** WhatsApp or Telegram: which client this phone plays (arrows move between them). */
function MessengerSwitch({ mode, setMode }) {
  const onKeyDown = (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const ids = MESSENGERS.map((m) => m.id);
    const next = ids[(ids.indexOf(mode) + step + ids.length) % ids.length];
    setMode(next);
    document.getElementById(`messenger-${next}`)?.focus();
  };
  return html`
    <div class="messenger-switch" role="radiogroup" aria-label=${t("messenger.label")}
      onKeyDown=${onKeyDown} data-messenger-switch>
      ${MESSENGERS.map((m) => html`<button type="button" role="radio" id=${`messenger-${m.id}`}
        class=${`messenger-option messenger-${m.id}`} aria-checked=${mode === m.id ? "true" : "false"}
        tabindex=${mode === m.id ? 0 : -1} onClick=${() => setMode(m.id)}>
        ${t(m.label)}</button>`)}
    </div>`;
}

/** Whether the server plays Telegram here: {active, bot, webhook_set}; null until it answers.
 * Asked again while the bot is still setting its webhook. */
function useTelegramHere() {
  const [state, setState] = useState(null);
  useEffect(() => {
    let stopped = false;
    let timer = null;
    const ask = async () => {
      let answer = { active: false };
      try {
        const response = await fetch("/simulator/telegram");
        if (response.ok) answer = await response.json();
      } catch { /* the server is away: WhatsApp only */ }
      if (stopped) return;
      setState(answer);
      if (answer.active && !answer.webhook_set) timer = setTimeout(ask, 1500);
    };
    ask();
    return () => { stopped = true; clearTimeout(timer); };
  }, []);
  return state;
}

export function PhonePage() {
  const telegram = useTelegramHere();
  const [mode, setMode] = useState(() =>
    localStorage.getItem(KEYS.messenger) === "telegram" ? "telegram" : "whatsapp");
  useEffect(() => { localStorage.setItem(KEYS.messenger, mode); }, [mode]);

  if (mode === "telegram" && telegram === null) return null;  // a moment: is Telegram here?
  const switcher = telegram?.active
    ? html`<${MessengerSwitch} mode=${mode} setMode=${setMode}/>` : null;
  if (mode === "telegram" && telegram.active) {
    return html`<${TelegramPhone} bot=${telegram} switcher=${switcher}/>`;
  }
  return html`<${WhatsAppPhone} switcher=${switcher}/>`;
}

// -- Telegram: a user writing to the company's bot ------------------------------------------------
const TG = { user: "sb.tg.user", name: "sb.tg.name", username: "sb.tg.username",
  sent: "sb.tg.sent" };
const TG_USER = /^[1-9]\d{0,15}$/;
const TG_POLL_MS = 1500;

function loadTelegramSent() {
  try { return JSON.parse(localStorage.getItem(TG.sent) || "[]"); } catch { return []; }
}

/** POST/GET to the simulated Telegram (a FormData body goes as multipart); answers the body, or
 * {error} with a readable reason. */
const telegramCall = (path, body = null) => simulatorCall("/simulator/telegram", path, body);

/** What the bot sent to this user's chat, polled. */
function useBotReplies(user) {
  const [replies, setReplies] = useState([]);
  useEffect(() => {
    let stopped = false;
    let timer = null;
    const tick = async () => {
      if (!TG_USER.test(user)) { setReplies([]); return; }
      const answer = await telegramCall(`/${user}/messages`);
      if (stopped) return;
      if (Array.isArray(answer)) setReplies(answer);
      timer = setTimeout(tick, TG_POLL_MS);
    };
    tick();
    return () => { stopped = true; clearTimeout(timer); };
  }, [user]);
  return replies;
}

/** A location or a contact from the user's Telegram. */
function TelegramShareCard({ busy, deliver, sender }) {
  return html`
    <section class="card phone-share" aria-labelledby="tg-share-title">
      <h2 id="tg-share-title">${t("phone.share.title")}</h2>
      <${LocationForm} prefix="tg-share" busy=${busy} deliver=${deliver}
        share=${(location) => telegramCall("/share", { ...sender, location })}/>
      <${ContactForm} prefix="tg-share" busy=${busy} deliver=${deliver}
        phonesLabel=${t("phone.tg.contactPhone")} placeholder="+79161234567"
        share=${(contactName, phones) => telegramCall("/share", { ...sender,
          contact: { name: contactName, phone: phones[0] ?? "" } })}/>
    </section>`;
}

const CLIP = html`<svg class="tg-clip" viewBox="0 0 24 24" width="15" height="15"
  aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path
  d="M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"/></svg>`;

/** One message of the chat: the user's own (`out`, with its tick and Edit), or the bot's (a text,
 * a photo shown, a file to open). */
function TelegramBubble({ message, onEdit, editing }) {
  const time = html`<time datetime=${message.at} title=${formatFull(message.at)}>
    ${formatTime(message.at)}</time>`;
  if (!message.out) {
    const file = message.kind !== "text" && message.file_url;
    return html`
      <li class="msg msg-in tg-msg" data-bot>
        ${file && message.kind === "photo" && html`<a href=${message.file_url} target="_blank"
          rel="noopener"><img class="tg-photo" src=${message.file_url}
          alt=${message.file_name || t("phone.tg.photo")}/></a>`}
        ${file && message.kind !== "photo" && html`<a class="tg-file" href=${message.file_url}
          target="_blank" rel="noopener" data-bot-file>${CLIP}${message.file_name
          || t("phone.tg.file")}</a>`}
        ${message.text && html`<p class="msg-text">${message.text}</p>`}
        <span class="msg-time">${time}</span>
      </li>`;
  }
  return html`
    <li class=${`msg msg-out tg-msg${editing ? " tg-editing" : ""}`} data-sent>
      <p class="msg-text">${message.attachment && CLIP}${message.text}</p>
      <span class="msg-time">
        ${message.edited && html`<span class="tg-edited">${t("phone.tg.edited")}</span>`}
        ${time}
        <span class="tick" title=${t(`phone.status.${message.status}`)}
          aria-label=${t(`phone.status.${message.status}`)}>✓</span>
        ${!message.file && html`<button type="button" class="msg-again"
          onClick=${() => onEdit(message)}>${t("phone.tg.edit")}</button>`}
      </span>
    </li>`;
}

/** The Telegram app of a user writing to the company's bot. */
function TelegramPhone({ bot, switcher }) {
  const [user, setUser] = useState(() => localStorage.getItem(TG.user) ?? "42");
  const [name, setName] = useState(() => localStorage.getItem(TG.name) ?? "");
  const [username, setUsername] = useState(() => localStorage.getItem(TG.username) ?? "");
  const [text, setText] = useState("");
  const [sent, setSent] = useState(loadTelegramSent);
  const [editing, setEditing] = useState(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const thread = useRef(null);
  const box = useRef(null);

  const id = user.trim();
  const valid = TG_USER.test(id);
  const replies = useBotReplies(valid ? id : "");
  const sender = { from: id, name: name.trim(), username: username.trim().replace(/^@/, "") };

  useEffect(() => { document.title = `${t("phone.tg.title")} — Switchboard`; });
  useEffect(() => { localStorage.setItem(TG.user, user); }, [user]);
  useEffect(() => { localStorage.setItem(TG.name, name); }, [name]);
  useEffect(() => { localStorage.setItem(TG.username, username); }, [username]);
  useEffect(() => { localStorage.setItem(TG.sent, JSON.stringify(sent.slice(-KEEP))); }, [sent]);

  // The chat as the app shows it: the user's messages and the bot's, in the chat's own order
  // (one message_id sequence per chat), else by time.
  const mine = sent.filter((m) => m.from === id).map((m) => ({ ...m, out: true }));
  const theirs = replies.map((m) => ({ ...m, id: m.message_id, out: false }));
  const chat = [...mine, ...theirs].sort((a, b) =>
    (a.id && b.id ? a.id - b.id : 0) || Date.parse(a.at) - Date.parse(b.at));
  const lastSeen = chat.length ? `${chat.length}:${chat[chat.length - 1].id}` : "";
  useEffect(() => {
    if (thread.current) thread.current.scrollTop = thread.current.scrollHeight;
  }, [lastSeen]);

  /** Sends (`call`), and on success adds `shown` to the chat; answers whether it was taken. */
  const deliver = async (call, label, extra = {}) => {
    if (busy) return false;
    if (!valid) { setFailure(t("phone.tg.badUser")); return false; }
    setBusy(true);
    setFailure("");
    const result = await call();
    setBusy(false);
    if (result.error) {
      setFailure(t("phone.failed", { reason: result.error }));
      return false;
    }
    setSent((list) => [...list, { id: result.telegram_message_id, from: id, text: label,
      at: new Date().toISOString(), status: result.status, ...extra }]);
    return true;
  };

  const submit = async (event) => {
    event.preventDefault();
    const message = text.trim();
    if (!message || busy) return;
    if (editing) {
      if (!valid) { setFailure(t("phone.tg.badUser")); return; }
      setBusy(true);
      setFailure("");
      const result = await telegramCall("/edit", { ...sender, message_id: editing.id,
        text: message });
      setBusy(false);
      if (result.error) { setFailure(t("phone.failed", { reason: result.error })); return; }
      setSent((list) => list.map((m) => (m.id === editing.id && m.from === id
        ? { ...m, text: message, edited: true } : m)));
      setEditing(null);
      setText("");
      return;
    }
    if (await deliver(() => telegramCall("/send", { ...sender, text: message }), message)) {
      setText("");
      box.current?.focus();
    }
  };

  const startEdit = (message) => {
    setEditing(message);
    setText(message.text);
    box.current?.focus();
  };
  const cancelEdit = () => { setEditing(null); setText(""); };

  const onKeyDown = (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
    if (event.key === "Escape" && editing) cancelEdit();
  };

  const attach = async (event) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = "";
    if (!file) return;
    const caption = text.trim();
    const form = new FormData();
    for (const [key, value] of Object.entries(sender)) form.append(key, value);
    form.append("caption", caption);
    form.append("file", file);
    if (await deliver(() => telegramCall("/send-media", form),
      `${file.name}${caption ? ` — ${caption}` : ""}`, { file: true, attachment: true })) {
      setText("");
    }
  };
  const share = (call, label) => deliver(call, label, { file: true });

  const who = name.trim() || (sender.username ? `@${sender.username}` : id);
  return html`
    <div class="phone-page phone-telegram">
      <${PhoneTopbar}/>
      <main id="main" class="phone-layout">
        <section class="phone-intro" aria-labelledby="phone-title">
          ${switcher}
          <h1 id="phone-title">${t("phone.tg.title")}</h1>
          <p class="muted">${t("phone.tg.intro")}</p>
          <section class="card tg-bot" aria-labelledby="tg-bot-title" data-telegram-bot>
            <h2 id="tg-bot-title">${t("phone.tg.bot.title")}</h2>
            <p class="muted small">${t("phone.tg.bot.about", { bot: bot.bot })}</p>
            <p role="status">${bot.webhook_set ? t("phone.tg.bot.ready")
              : t("phone.tg.bot.connecting")}</p>
          </section>
          <div class="card">
            <div class="field">
              <label for="tg-user">${t("phone.tg.user")}</label>
              <input id="tg-user" inputmode="numeric" autocomplete="off" value=${user}
                aria-invalid=${valid ? "false" : "true"} aria-describedby="tg-user-hint"
                onInput=${(e) => { setUser(e.currentTarget.value); setEditing(null); }}/>
              <p id="tg-user-hint" class="muted small">${valid ? t("phone.tg.userHint")
                : t("phone.tg.badUser")}</p>
            </div>
            <div class="field">
              <label for="tg-name">${t("phone.name")}</label>
              <input id="tg-name" autocomplete="name" maxlength="120" value=${name}
                onInput=${(e) => setName(e.currentTarget.value)}/>
            </div>
            <div class="field">
              <label for="tg-username">${t("phone.tg.username")}</label>
              <input id="tg-username" autocomplete="off" maxlength="33" value=${username}
                aria-describedby="tg-username-hint"
                onInput=${(e) => setUsername(e.currentTarget.value)}/>
              <p id="tg-username-hint" class="muted small">${t("phone.tg.usernameHint")}</p>
            </div>
          </div>
          <${TelegramShareCard} busy=${busy} deliver=${share} sender=${sender}/>
        </section>
        <section class="phone" aria-labelledby="thread-title">
          <header class="phone-head">
            <span class="avatar" aria-hidden="true">SB</span>
            <div>
              <h2 id="thread-title">${bot.bot}</h2>
              <p class="small">${t("phone.writingAs", { name: who })}</p>
            </div>
          </header>
          <div class="phone-thread" ref=${thread}>
            <h3 class="visually-hidden">${t("phone.tg.chat")}</h3>
            ${chat.length === 0
              ? html`<p class="empty">${t("phone.tg.noneSent")}</p>`
              : html`<ol class="messages" aria-live="polite" data-thread>
                  ${chat.map((m) => html`<${TelegramBubble} key=${`${m.out}-${m.id}-${m.at}`}
                    message=${m} onEdit=${startEdit}
                    editing=${editing && m.out && m.id === editing.id}/>`)}
                </ol>`}
          </div>
          ${editing && html`<p class="tg-edit-bar" role="status">
            <span>${t("phone.tg.editing")}</span>
            <button type="button" class="msg-again" onClick=${cancelEdit}>
              ${t("phone.tg.cancelEdit")}</button></p>`}
          <form class="phone-compose" onSubmit=${submit}>
            <label for="tg-text" class="visually-hidden">${t("phone.message")}</label>
            <textarea id="tg-text" ref=${box} rows="2" value=${text} required
              placeholder=${t("phone.tg.placeholder")} aria-describedby="tg-compose-hint tg-error"
              onInput=${(e) => setText(e.currentTarget.value)} onKeyDown=${onKeyDown}></textarea>
            ${!editing && html`<label class="button button-quiet phone-attach"
              title=${t("phone.tg.attachHint")}>
              <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none"
                stroke="currentColor" stroke-width="2" stroke-linecap="round"><path
                d="M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"/></svg>
              <span class="visually-hidden">${t("phone.tg.attach")}</span>
              <input type="file" class="visually-hidden" data-phone-file
                accept="image/*,application/pdf,audio/*,video/*,.doc,.docx,.xls,.xlsx,.txt"
                onChange=${attach} disabled=${busy}/>
            </label>`}
            <button type="submit" class="button button-primary" disabled=${busy || !text.trim()}>
              ${busy ? t("phone.sending") : editing ? t("phone.tg.save") : t("phone.send")}</button>
          </form>
          <p id="tg-compose-hint" class="muted small phone-hint">${t("phone.hint")}</p>
          <p id="tg-error" class="form-error" role="alert">${failure}</p>
        </section>
      </main>
    </div>`;
}
