// The operator's routing controls: presence (online / away), the notifications bell, and a
// dialog's status with claim, transfer and resolve.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatWhen, t } from "../lib/i18n.mjs";
import { inbox } from "../lib/inbox.mjs";
import {
  choosePresence, claimDialog, colleagues, markNoticesRead, notices, presence, resolveDialog,
  transferDialog,
} from "../lib/routing.mjs";
import { navigate } from "../lib/router.mjs";
import { session } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { errorText } from "./common.mjs";

export function PresenceSwitch() {
  const state = useStore(presence);
  const { live } = useStore(inbox); // online while the panel's socket is connected
  const shown = live === "online" ? state.chosen : "OFFLINE";
  return html`
    <label class="presence" data-presence=${shown}>
      <span class=${`presence-dot presence-${shown.toLowerCase()}`} aria-hidden="true"></span>
      <span class="visually-hidden">${t("presence.label")}</span>
      <select value=${state.chosen} disabled=${state.busy}
        onChange=${(e) => choosePresence(e.currentTarget.value)}>
        <option value="ONLINE">${t("presence.ONLINE")}</option>
        <option value="AWAY">${t("presence.AWAY")}</option>
      </select>
    </label>`;
}

export function NotificationsBell() {
  const { items, unread, colleagueUnread } = useStore(notices);
  const total = unread + colleagueUnread;
  const [open, setOpen] = useState(false);
  const panel = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    const close = (event) => {
      if (event.key === "Escape" || (event.type === "pointerdown"
        && !panel.current?.contains(event.target))) setOpen(false);
    };
    addEventListener("keydown", close);
    addEventListener("pointerdown", close);
    return () => { removeEventListener("keydown", close); removeEventListener("pointerdown", close); };
  }, [open]);
  const go = (n) => { setOpen(false); navigate(`/dialogs/${n.dialogId}`); };
  const toColleagues = () => { setOpen(false); navigate("/colleagues"); };
  return html`
    <div class="bell" ref=${panel}>
      <button type="button" class="button button-quiet bell-button" aria-expanded=${open}
        aria-controls="notifications" onClick=${() => setOpen(!open)}
        aria-label=${t("notice.button", { count: total })}>
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"/></svg>
        ${total > 0 && html`<span class="badge" data-notices=${total}>${total}</span>`}
      </button>
      ${open && html`
        <div class="bell-panel card" id="notifications" role="dialog"
          aria-label=${t("notice.title")}>
          <div class="bell-head">
            <h2>${t("notice.title")}</h2>
            <button type="button" class="button button-quiet" disabled=${unread === 0}
              onClick=${markNoticesRead}>${t("notice.markRead")}</button>
          </div>
          ${colleagueUnread > 0 && html`
            <button type="button" class="notice notice-unread" data-colleague-notice
              onClick=${toColleagues}>
              <strong>${t("colleagues.unread", { count: colleagueUnread })}</strong>
            </button>`}
          ${items.length === 0 ? colleagueUnread === 0
            && html`<p class="muted">${t("notice.none")}</p>` : html`
            <ul class="bell-list">
              ${items.map((n) => html`<li key=${n.id}>
                <button type="button" class=${`notice${n.read ? "" : " notice-unread"}`}
                  data-kind=${n.kind} onClick=${() => go(n)}>
                  <span class="notice-top"><strong>${t(`notice.${n.kind}`,
                    { name: n.clientName || n.phone })}</strong>
                    <time class="muted small">${formatWhen(n.at)}</time></span>
                  ${n.text && html`<span class="notice-text">${n.text}</span>`}
                  ${n.detail && n.kind === "TRANSFERRED" && html`
                    <span class="muted small">${t("notice.note", { note: n.detail })}</span>`}
                  ${n.count > 1 && html`<span class="muted small">
                    ${t("notice.count", { count: n.count })}</span>`}
                </button></li>`)}
            </ul>`}
        </div>`}
    </div>`;
}

/** "Mine", "Olga", "Resolved", "Offered to you": who holds a dialog, for the list's rows. */
export function HolderChip({ entry }) {
  const me = session.get().operator?.id;
  if (entry.status === "RESOLVED") {
    return html`<span class="chip chip-resolved" data-status="RESOLVED">${t("desk.resolved")}</span>`;
  }
  if (!entry.assignee) return null;
  const mine = entry.assignee.id === me;
  const text = mine ? (entry.offerExpiresAt ? t("desk.offered") : t("desk.mine"))
    : entry.assignee.displayName;
  return html`<span class=${`chip${mine ? " chip-mine" : ""}`} data-holder=${entry.assignee.displayName}>
    ${text}</span>`;
}

function TransferForm({ entry, onDone }) {
  const [people, setPeople] = useState(null);
  const [to, setTo] = useState("");
  const [note, setNote] = useState("");
  const [refusal, setRefusal] = useState(null);
  useEffect(() => {
    colleagues().then((list) => {
      const others = list.filter((p) => p.id !== entry.assignee?.id);
      setPeople(others);
      setTo(others[0]?.id ?? "");
    }).catch((error) => setRefusal({ code: error.code }));
  }, [entry.id]);
  const submit = async (event) => {
    event.preventDefault();
    const refused = await transferDialog(entry.id, to, note.trim());
    if (refused) setRefusal(refused); else onDone();
  };
  return html`
    <form class="transfer card" onSubmit=${submit}>
      <label for="transfer-to">${t("desk.transferTo")}</label>
      <select id="transfer-to" value=${to} onChange=${(e) => setTo(e.currentTarget.value)}>
        ${(people ?? []).map((p) => html`<option value=${p.id} key=${p.id}>
          ${p.displayName} · ${t(`presence.${p.presence}`)}</option>`)}
      </select>
      <label for="transfer-note">${t("desk.note")}</label>
      <input id="transfer-note" value=${note} maxlength="500"
        onInput=${(e) => setNote(e.currentTarget.value)}/>
      ${refusal && html`<p class="form-error" role="alert">${errorText(refusal)}</p>`}
      <div class="setup-actions">
        <button type="submit" class="button button-primary" disabled=${!to}>${t("desk.transfer")}</button>
        <button type="button" class="button button-quiet" onClick=${onDone}>${t("desk.cancel")}</button>
      </div>
    </form>`;
}

export function DialogActions({ entry }) {
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState(null);
  const [transferring, setTransferring] = useState(false);
  useEffect(() => { setRefusal(null); setTransferring(false); }, [entry?.id]);
  if (!entry) return null;
  const me = session.get().operator?.id;
  // admins and supervisors reassign and resolve any dialog (application/oversight.py)
  const admin = ["ADMIN", "SUPERVISOR"].includes(session.get().operator?.role);
  const mine = entry.assignee?.id === me;
  const resolved = entry.status === "RESOLVED";
  const free = !entry.assignee;
  const run = async (action) => {
    setBusy(true);
    setRefusal(null);
    const refused = await action(entry.id);
    setBusy(false);
    if (refused) setRefusal(refused);
  };
  let status;
  if (resolved) status = t("desk.status.resolved");
  else if (free) status = t("desk.status.open");
  else if (mine) status = entry.offerExpiresAt ? t("desk.status.offered") : t("desk.status.mine");
  else status = t("desk.status.taken", { name: entry.assignee.displayName });
  return html`
    <div class="desk" data-dialog-status=${entry.status}>
      <p class="desk-status" role="status" aria-live="polite">${status}</p>
      <div class="desk-actions">
        ${!resolved && (free || (mine && entry.offerExpiresAt)) && html`
          <button type="button" class="button button-primary" disabled=${busy}
            onClick=${() => run(claimDialog)}>${t(free ? "desk.claim" : "desk.accept")}</button>`}
        ${!resolved && (mine || free || admin) && html`
          <button type="button" class="button button-quiet" disabled=${busy}
            aria-expanded=${transferring} onClick=${() => setTransferring(!transferring)}>
            ${t("desk.transfer")}</button>
          <button type="button" class="button button-quiet" disabled=${busy}
            onClick=${() => run(resolveDialog)}>${t("desk.resolve")}</button>`}
      </div>
      ${refusal && html`<p class="form-error" role="alert" data-code=${refusal.code}>
        ${errorText(refusal)}</p>`}
      ${transferring && html`<${TransferForm} entry=${entry}
        onDone=${() => setTransferring(false)}/>`}
    </div>`;
}

/** Outside the access group nothing arrives: say so instead of an empty inbox. */
export function AccessNotice() {
  const { inAccessGroup } = useStore(presence);
  if (inAccessGroup !== false) return null;
  return html`<p class="banner banner-warning" role="note" data-banner="access">
    ${t("desk.noAccess")}</p>`;
}
