// The admin area: the sections later issues fill in. Admins only.
import { html } from "../lib/html.mjs";
import { t } from "../lib/i18n.mjs";
import { Link } from "../lib/router.mjs";
import { isAdmin } from "../lib/session.mjs";

export const SECTIONS = ["setup", "whatsapp", "queue", "sync", "audit", "analytics"];

export function AdminPage({ section }) {
  if (!isAdmin()) {
    return html`<div class="page"><h1>${t("admin.title")}</h1>
      <p role="alert">${t("admin.forbidden")}</p></div>`;
  }
  const current = SECTIONS.includes(section) ? section : "";
  return html`
    <div class="admin-layout">
      <nav class="admin-nav" aria-label=${t("admin.sections")}>
        <h1 class="admin-nav-title">${t("admin.title")}</h1>
        <ul>
          ${SECTIONS.map((s) => html`<li><${Link} href=${`/admin/${s}`} class="admin-link"
            aria-current=${s === current ? "page" : undefined}>${t(`admin.${s}`)}<//></li>`)}
        </ul>
      </nav>
      <div class="admin-body">
        ${current
          ? html`<section aria-labelledby="section-title">
              <h2 id="section-title">${t(`admin.${current}`)}
                <span class="soon">${t("admin.soon")}</span></h2>
              <p class="muted">${t(`admin.${current}.about`)}</p>
              <div class="empty card">${t("admin.comingSoon")}</div>
            </section>`
          : html`<section aria-labelledby="section-title">
              <h2 id="section-title">${t("admin.overview")}</h2>
              <ul class="admin-cards">
                ${SECTIONS.map((s) => html`<li class="card">
                  <h3><${Link} href=${`/admin/${s}`}>${t(`admin.${s}`)}<//></h3>
                  <p class="muted">${t(`admin.${s}.about`)}</p>
                  <span class="soon">${t("admin.soon")}</span>
                </li>`)}
              </ul>
            </section>`}
      </div>
    </div>`;
}
