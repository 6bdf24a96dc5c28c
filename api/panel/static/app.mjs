// Switchboard's panel: boots the language and the session, then renders the page for the path.
import { render } from "preact";
import { useEffect } from "preact/hooks";
import { html } from "./lib/html.mjs";
import { i18n, preferredLanguage, setLanguage, t } from "./lib/i18n.mjs";
import { inbox, loadFirst, resetInbox, startLive } from "./lib/inbox.mjs";
import { unlockAudio } from "./lib/notify.mjs";
import { match, route } from "./lib/router.mjs";
import { session } from "./lib/session.mjs";
import { useStore } from "./lib/store.mjs";
import { AdminPage } from "./pages/admin.mjs";
import { AllDialogsPage } from "./pages/all_dialogs.mjs";
import { ColleaguesPage } from "./pages/colleagues.mjs";
import { InboxPage } from "./pages/inbox.mjs";
import { MyPasswordPage, PeoplePage } from "./pages/people.mjs";
import { PhonePage } from "./pages/phone.mjs";
import { QuickRepliesPage } from "./pages/quick_replies.mjs";
import { Shell } from "./pages/shell.mjs";
import { SignInDialog, SignInPage } from "./pages/signin.mjs";

function usePageTitle(unread) {
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Switchboard` : "Switchboard";
  }, [unread]);
}

function Panel({ where }) {
  const { unread } = useStore(inbox);
  usePageTitle(unread);
  let page;
  if (where.name === "inbox") page = html`<${InboxPage} dialogId=${where.dialogId}/>`;
  else if (where.name === "colleagues") page = html`<${ColleaguesPage} chatId=${where.chatId}/>`;
  else if (where.name === "admin") page = html`<${AdminPage} section=${where.section}/>`;
  else if (where.name === "quickReplies") page = html`<${QuickRepliesPage}/>`;
  else if (where.name === "people") page = html`<${PeoplePage}/>`;
  else if (where.name === "password") page = html`<${MyPasswordPage}/>`;
  else if (where.name === "allDialogs") page = html`<${AllDialogsPage} dialogId=${where.dialogId}/>`;
  else page = html`<div class="page"><h1>${t("notFound.title")}</h1><p>${t("notFound.text")}</p></div>`;
  return html`<${Shell} where=${where.name}>${page}<//>`;
}

function App() {
  useStore(i18n);
  const { status } = useStore(session);
  const { path } = useStore(route);
  const where = match(path);
  if (where.name === "phone") return html`<${PhonePage}/>`;
  if (status === "signedOut") return html`<${SignInPage}/>`;
  const expired = status === "expired";
  return html`
    <div class="app" inert=${expired}><${Panel} where=${where}/></div>
    ${expired && html`<${SignInDialog}/>`}`;
}

// The live inbox follows the session: a new token (re)connects, signing out disconnects.
let lastEpoch = null;
function followSession(state) {
  if (state.status === "signedOut") {
    if (lastEpoch !== null) resetInbox();
    lastEpoch = null;
    document.title = "Switchboard";
    return;
  }
  if (state.status !== "active" || state.epoch === lastEpoch) return;
  const first = lastEpoch === null;
  lastEpoch = state.epoch;
  if (state.switched) resetInbox();
  startLive();
  if (!first && !state.switched) loadFirst(inbox.get().filter);
}

async function boot() {
  const language = setLanguage(preferredLanguage(), { remember: false });
  if (match(location.pathname).name !== "phone") {
    session.subscribe(followSession);
    followSession(session.get());
    if (session.get().status === "active") loadFirst("ALL"); // alongside the catalogue
  }
  await language;
  addEventListener("pointerdown", unlockAudio, { once: true });
  addEventListener("keydown", unlockAudio, { once: true });
  const root = document.getElementById("app");
  root.textContent = "";
  render(html`<${App}/>`, root);
}

boot().catch((error) => {
  document.getElementById("app").textContent = `Switchboard could not start: ${error.message}`;
});
