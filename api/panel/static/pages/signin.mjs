// Sign-in: a page of its own, or a dialog on top of the page when the session ran out (so that
// nothing typed underneath is lost). A throttled attempt shows its reason and counts down.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { t } from "../lib/i18n.mjs";
import { session, signIn, signOut } from "../lib/session.mjs";
import { Brand, LanguageSwitch, errorText } from "./common.mjs";

/** Seconds left until `until` (a Date.now() value), re-rendering as they pass. */
function useCountdown(until) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (!until) return undefined;
    const timer = setInterval(() => tick((n) => n + 1), 500);
    return () => clearInterval(timer);
  }, [until]);
  return until ? Math.max(0, Math.ceil((until - Date.now()) / 1000)) : 0;
}

function SignInForm({ expired }) {
  const [login, setLogin] = useState(session.get().operator?.login ?? "");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState(null);
  const passwordRef = useRef(null);
  const loginRef = useRef(null);
  const wait = useCountdown(refusal?.until);

  useEffect(() => { (login ? passwordRef : loginRef).current?.focus(); }, []);

  const submit = async (event) => {
    event.preventDefault();
    if (busy || wait > 0) return;
    setBusy(true);
    const refused = await signIn(login.trim(), password);
    setBusy(false);
    if (!refused) return;
    const seconds = refused.retryAfterSeconds;
    setRefusal({ ...refused, until: seconds ? Date.now() + seconds * 1000 : null });
    passwordRef.current?.select();
  };

  let reason = null;
  if (refusal) {
    reason = refusal.code === "TOO_MANY_ATTEMPTS"
      ? (wait > 0 ? errorText(refusal.code, refusal.message, { count: wait }) : t("signin.tryAgain"))
      : errorText(refusal);
  }

  return html`
    <form class="signin-form" onSubmit=${submit} aria-describedby=${reason ? "signin-error" : undefined}
      novalidate>
      <h1 id="signin-title">${expired ? t("signin.expiredTitle") : t("signin.title")}</h1>
      <p class="muted">${expired ? t("signin.expired") : t("signin.subtitle")}</p>
      <div class="field">
        <label for="signin-login">${t("signin.login")}</label>
        <input id="signin-login" ref=${loginRef} name="username" autocomplete="username"
          autocapitalize="none" spellcheck="false" required value=${login}
          onInput=${(e) => setLogin(e.currentTarget.value)}/>
      </div>
      <div class="field">
        <label for="signin-password">${t("signin.password")}</label>
        <input id="signin-password" ref=${passwordRef} type="password" name="password"
          autocomplete="current-password" required value=${password}
          aria-invalid=${refusal?.code === "INVALID_CREDENTIALS" ? "true" : undefined}
          onInput=${(e) => setPassword(e.currentTarget.value)}/>
      </div>
      <div id="signin-error" class="form-error" role="alert">
        ${reason && html`<span data-code=${refusal.code}>${reason}</span>`}
      </div>
      <button class="button button-primary button-wide" type="submit"
        disabled=${busy || wait > 0 || !login.trim() || !password}>
        ${busy ? t("signin.busy") : t("signin.submit")}
      </button>
      ${expired && html`
        <button type="button" class="button button-quiet button-wide" onClick=${signOut}>
          ${t("signin.other")}</button>`}
    </form>`;
}

export function SignInPage() {
  return html`
    <div class="signin-page">
      <header class="signin-top"><${Brand}/><${LanguageSwitch}/></header>
      <main id="main" class="signin-card">
        <${SignInForm}/>
        <p class="signin-hint">
          ${t("signin.phoneHint")} <a href="/phone">${t("nav.phone")}</a>
        </p>
      </main>
    </div>`;
}

export function SignInDialog() {
  return html`
    <div class="overlay">
      <div class="signin-card" role="dialog" aria-modal="true" aria-labelledby="signin-title">
        <${SignInForm} expired/>
      </div>
    </div>`;
}
