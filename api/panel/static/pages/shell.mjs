// The signed-in frame: header with navigation by role, the connection banner, the live region.
import { html } from "../lib/html.mjs";
import { t } from "../lib/i18n.mjs";
import { colleagues } from "../lib/colleagues.mjs";
import { inbox } from "../lib/inbox.mjs";
import { announcements, askNotificationPermission, notifications } from "../lib/notify.mjs";
import { Link } from "../lib/router.mjs";
import { isAdmin, isAuditor, session, signOut } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { Brand, LanguageSwitch } from "./common.mjs";
import { WhatsAppBanner } from "./whatsapp.mjs";
import { NotificationsBell, PresenceSwitch } from "./desk.mjs";
import { SearchBox } from "./search.mjs";
import { MenuButton, useTopbarFit } from "./topbar.mjs";
import { seesAllDialogs } from "./all_dialogs.mjs";

function NavItem({ href, current, children }) {
  return html`
    <li><${Link} href=${href} class="nav-link" aria-current=${current ? "page" : undefined}>
      ${children}
    <//></li>`;
}

function ConnectionBanner() {
  const { live } = useStore(inbox);
  return html`
    <div class="banner-slot" role="status" aria-live="assertive">
      ${live === "lost" && html`
        <div class="banner banner-warning" data-banner="connection">
          <span class="spinner" aria-hidden="true"></span>${t("conn.lost")}
        </div>`}
    </div>`;
}

function LiveRegion() {
  const { text, n } = useStore(announcements);
  return html`<div class="visually-hidden" aria-live="polite" aria-atomic="true">
    <span key=${n}>${text}</span></div>`;
}

export function Shell({ where, children }) {
  const { operator } = useStore(session);
  const { unread } = useStore(inbox);
  const { permission } = useStore(notifications);
  const { unread: colleagueUnread } = useStore(colleagues);
  const admin = isAdmin();
  const fit = useTopbarFit();
  return html`
    <a class="skip-link" href="#main">${t("nav.skip")}</a>
    <header class="topbar" ref=${fit.bar}>
      <${Link} href="/" class="brand-link" aria-label=${t("nav.home")}><${Brand}/><//>
      <${MenuButton} fit=${fit} badge=${unread + colleagueUnread}/>
      <div class=${`topbar-menu${fit.open ? " open" : ""}`} id="topbar-menu">
      <nav aria-label=${t("nav.main")}>
        <ul class="nav">
          <${NavItem} href="/" current=${where === "inbox"}>
            ${t("nav.inbox")}
            ${unread > 0 && html`<span class="badge badge-nav" data-unread-total=${unread}
              aria-label=${t("inbox.unreadDialogs", { count: unread })}>${unread}</span>`}
          <//>
          <${NavItem} href="/colleagues" current=${where === "colleagues"}>
            ${t("nav.colleagues")}
            ${colleagueUnread > 0 && html`<span class="badge badge-nav"
              data-colleague-unread=${colleagueUnread}
              aria-label=${t("colleagues.unread", { count: colleagueUnread })}
              >${colleagueUnread}</span>`}
          <//>
          <${NavItem} href="/quick-replies" current=${where === "quickReplies"}>
            ${t("nav.quickReplies")}<//>
          ${seesAllDialogs() && html`<${NavItem} href="/all-dialogs"
            current=${where === "allDialogs"}>${t("nav.allDialogs")}<//>`}
          ${admin && html`<${NavItem} href="/people" current=${where === "people"}>
            ${t("nav.people")}<//>`}
          ${(admin || isAuditor()) && html`<${NavItem} href="/admin" current=${where === "admin"}>
            ${t("nav.admin")}<//>`}
          <li><a class="nav-link nav-phone" href="/phone" target="_blank" rel="noopener"
            title=${t("nav.phone")}><svg class="nav-icon" viewBox="0 0 24 24" width="18"
            height="18" aria-hidden="true"><rect x="6" y="2.5" width="12" height="19" rx="2.5"
            fill="none" stroke="currentColor" stroke-width="2"/><path d="M10.5 18h3"
            stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg><span
            class="nav-text">${t("nav.phone")}</span><span class="visually-hidden"> (${
            t("nav.newTab")})</span></a></li>
        </ul>
      </nav>
      <${SearchBox}/>
      <div class="topbar-tools">
        ${permission === "default" && html`
          <button type="button" class="button button-quiet notify-enable" title=${t("notify.enable")}
            onClick=${askNotificationPermission}><svg class="nav-icon" viewBox="0 0 24 24"
            width="18" height="18" aria-hidden="true"><path fill="none" stroke="currentColor"
            stroke-width="2" stroke-linejoin="round" d="M6 16V11a6 6 0 0 1 9-5.2M18 11v5l1.5 2h-15L6
            16M10 21h4"/><path d="M19 3v6M16 6h6" stroke="currentColor" stroke-width="2"
            stroke-linecap="round"/></svg><span class="nav-text">${t("notify.enable")}</span>
          </button>`}
        <${PresenceSwitch}/>
        <${NotificationsBell}/>
        <${LanguageSwitch}/>
        <span class="who">
          <span class="who-name">${operator?.displayName}</span>
          <span class="who-role">${t(`role.${operator?.role ?? "OPERATOR"}`)}</span>
        </span>
        <${Link} href="/password" class="button button-quiet my-password-link"
          title=${t("password.title")} aria-current=${where === "password" ? "page" : undefined}>
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none"
            stroke="currentColor" stroke-width="2" stroke-linecap="round">
            <circle cx="8" cy="15" r="4"/><path d="M11 12l9-9M17 6l3 3M15 8l2 2"/></svg>
          <span class="visually-hidden">${t("password.title")}</span><//>
        <button type="button" class="button button-quiet" onClick=${signOut}>
          ${t("user.signOut")}</button>
      </div>
      </div>
    </header>
    <${ConnectionBanner}/>
    <div class="banner-slot" role="status" aria-live="polite"><${WhatsAppBanner}/></div>
    <main id="main" tabindex="-1">${children}</main>
    <${LiveRegion}/>`;
}
