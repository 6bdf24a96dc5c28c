// The simulator's phone: act as a client writing to the company's number. Open to anyone, no
// sign-in; the server signs each message for the simulator webhook.
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

/** A photo, a document, a voice note or a video from the client's phone. */
async function sendFile(from, name, file, caption) {
  const form = new FormData();
  form.append("from", from);
  form.append("name", name);
  form.append("caption", caption);
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

  const attach = async (event) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = "";
    if (!file || busy) return;
    setBusy(true);
    setFailure("");
    const caption = text.trim();
    const result = await sendFile(phone.trim(), name.trim(), file, caption);
    setBusy(false);
    if (result.error) {
      setFailure(t("phone.failed", { reason: result.error }));
      return;
    }
    setSent((list) => [...list, { id: result.message_id, from: phone.trim(),
      text: `${file.name}${caption ? ` — ${caption}` : ""}`, file: true,
      at: new Date().toISOString(), status: result.status, name: name.trim() }]);
    setText("");
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
