// The admin area: setup, WhatsApp, Telegram, queue and routing, sync, audit, analytics. Admins;
// auditors see what they may read.
import { html } from "../lib/html.mjs";
import { t } from "../lib/i18n.mjs";
import { Link } from "../lib/router.mjs";
import { isAdmin, isAuditor } from "../lib/session.mjs";
import { AnalyticsPage } from "./analytics.mjs";
import { AuditPage } from "./audit.mjs";
import { LabelsPage } from "./labels.mjs";
import { RoutingPage } from "./routing.mjs";
import { SetupPage } from "./setup.mjs";
import { SyncPage } from "./sync.mjs";
import { TelegramPage } from "./telegram.mjs";
import { WhatsAppPage } from "./whatsapp.mjs";

export const SECTIONS = ["setup", "whatsapp", "telegram", "queue", "sync", "audit",
  "analytics", "labels"];
/** Each section's page; without one, the overview. */
const PAGES = { setup: SetupPage, audit: AuditPage, queue: RoutingPage,
  whatsapp: WhatsAppPage, telegram: TelegramPage, sync: SyncPage, analytics: AnalyticsPage,
  labels: LabelsPage };
/** What an auditor (read-only) may open. */
const AUDITOR_SECTIONS = ["setup", "audit", "analytics", "labels"];

export function AdminPage({ section }) {
  const sections = isAdmin() ? SECTIONS : AUDITOR_SECTIONS;
  if (!isAdmin() && !isAuditor()) {
    return html`<div class="page"><h1>${t("admin.title")}</h1>
      <p role="alert">${t("admin.forbidden")}</p></div>`;
  }
  const current = sections.includes(section) ? section : "";
  const Page = PAGES[current];
  return html`
    <div class="admin-layout">
      <nav class="admin-nav" aria-label=${t("admin.sections")}>
        <h1 class="admin-nav-title">${t("admin.title")}</h1>
        <ul>
          ${sections.map((s) => html`<li><${Link} href=${`/admin/${s}`} class="admin-link"
            aria-current=${s === current ? "page" : undefined}>${t(`admin.${s}`)}<//></li>`)}
        </ul>
      </nav>
      <div class="admin-body">
        ${Page ? html`<${Page}/>` : html`<section aria-labelledby="section-title">
          <h2 id="section-title">${t("admin.overview")}</h2>
          <ul class="admin-cards">
            ${sections.map((s) => html`<li class="card">
              <h3><${Link} href=${`/admin/${s}`}>${t(`admin.${s}`)}<//></h3>
              <p class="muted">${t(`admin.${s}.about`)}</p>
            </li>`)}
          </ul>
        </section>`}
      </div>
    </div>`;
}
