// Letting the operator know: a short sound (WebAudio), a desktop notification when allowed,
// screen-reader announcements, and the page title.
import { createStore } from "./store.mjs";

let audio = null;

/** Browsers let audio start only after a gesture: the first click or key press unlocks it. */
export function unlockAudio() {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  } catch { /* no WebAudio: silence */ }
}

export function chime() {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.type = "sine";
    tone.frequency.setValueAtTime(880, now);
    tone.frequency.exponentialRampToValueAtTime(660, now + 0.18);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.12, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
    tone.connect(gain).connect(audio.destination);
    tone.start(now);
    tone.stop(now + 0.32);
  } catch { /* no sound is fine */ }
}

export const notifications = createStore({
  permission: "Notification" in window ? Notification.permission : "unsupported",
});

export async function askNotificationPermission() {
  unlockAudio();
  if (!("Notification" in window)) return;
  const permission = await Notification.requestPermission();
  notifications.set({ permission });
}

/** Shows a desktop notification when the page is not in front and permission was given. */
export function desktopNotify(title, body, onClick) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  try {
    const note = new Notification(title, { body, tag: title, lang: document.documentElement.lang });
    note.onclick = () => { window.focus(); onClick?.(); note.close(); };
  } catch { /* some browsers only notify from a service worker */ }
}

/** Polite screen-reader announcements, rendered by the shell's live region. */
export const announcements = createStore({ text: "", n: 0 });
export function announce(text) {
  announcements.set((s) => ({ text, n: s.n + 1 }));
}
