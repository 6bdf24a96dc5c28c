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
  return html`
    <a class="skip-link" href="#main">${t("nav.skip")}</a>
    <header class="topbar">
      <${Link} href="/" class="brand-link" aria-label=${t("nav.home")}><${Brand}/><//>
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
          ${(admin || isAuditor()) && html`<${NavItem} href="/admin" current=${where === "admin"}>
            ${t("nav.admin")}<//>`}
          <li><a class="nav-link" href="/phone" target="_blank" rel="noopener">
            ${t("nav.phone")}<span class="visually-hidden"> (${t("nav.newTab")})</span></a></li>
        </ul>
      </nav>
      <${SearchBox}/>
      <div class="topbar-tools">
        ${permission === "default" && html`
          <button type="button" class="button button-quiet"
            onClick=${askNotificationPermission}>${t("notify.enable")}</button>`}
        <${PresenceSwitch}/>
        <${NotificationsBell}/>
        <${LanguageSwitch}/>
        <span class="who">
          <span class="who-name">${operator?.displayName}</span>
          <span class="who-role">${t(`role.${operator?.role ?? "OPERATOR"}`)}</span>
        </span>
        <button type="button" class="button button-quiet" onClick=${signOut}>
          ${t("user.signOut")}</button>
      </div>
    </header>
    <${ConnectionBanner}/>
    <div class="banner-slot" role="status" aria-live="polite"><${WhatsAppBanner}/></div>
    <main id="main" tabindex="-1">${children}</main>
    <${LiveRegion}/>`;
}
