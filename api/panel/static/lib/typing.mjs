// "Typing…" for the client: while the operator types a reply the server hears so at most every
// REPEAT_MS (it throttles again, per dialog, before the messenger hears it), and hears that they
// stopped after a pause of PAUSE_MS, on sending, or on leaving the dialog. A courtesy: a failed
// call is not shown.
import { api } from "./session.mjs";

const TYPING = `mutation Typing($id: ID!, $on: Boolean!) {
  typing(dialogId: $id, typing: $on) { __typename } }`;
export const REPEAT_MS = 4000;
export const PAUSE_MS = 3000;

export function typingReporter(dialogId, send = (on) => api(TYPING, { id: dialogId, on })) {
  let told = 0;  // when "typing" was last told; 0: not typing
  let pause = null;
  const tell = (on) => { Promise.resolve().then(() => send(on)).catch(() => {}); };
  const stopped = () => {
    clearTimeout(pause);
    pause = null;
    if (told) {
      told = 0;
      tell(false);
    }
  };
  const typed = () => {
    const now = Date.now();
    if (!told || now - told >= REPEAT_MS) {
      told = now;
      tell(true);
    }
    clearTimeout(pause);
    pause = setTimeout(stopped, PAUSE_MS);
  };
  return { typed, stopped };
}
