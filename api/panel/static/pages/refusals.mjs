// Refused webhook items: what a channel trusted (signed, or with its secret) but could not read,
// newest first — why (the server's words), where in the request, the item's id, and the raw item
// folded away for replaying by hand. On the admin area's WhatsApp and Telegram pages, one card per
// channel; admins and auditors may read it (the server says who).
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, formatWhen, t } from "../lib/i18n.mjs";
import { api } from "../lib/session.mjs";
import { errorText } from "./common.mjs";

const PAGE = 20;
const QUERY = `query RefusedWebhookItems($channel: String, $first: Int!, $after: String) {
  refusedWebhookItems(channel: $channel, first: $first, after: $after) {
    totalCount hasNextPage endCursor
    items { id channel where itemId reason excerpt at } } }`;
const RAW_STYLE = "white-space: pre-wrap; word-break: break-all; max-height: 16rem; "
  + "overflow: auto; font-size: 0.85em;";

function Item({ item }) {
  return html`
    <li class="refused-item" data-refused-item=${item.itemId || item.id}>
      <p data-reason><strong>${item.reason}</strong></p>
      <p class="muted small">
        <time datetime=${item.at} title=${formatFull(item.at)}>${formatWhen(item.at)}</time>
        ${" · "}${t("refusals.where")} <code data-where>${item.where}</code>
        ${item.itemId && html`${" · "}${t("refusals.itemId")} <code data-item-id>
          ${item.itemId}</code>`}
      </p>
      <details>
        <summary>${t("refusals.raw")}</summary>
        <pre data-excerpt style=${RAW_STYLE}>${item.excerpt}</pre>
      </details>
    </li>`;
}

/** The card of one channel's refused items (`channel`: cloud, waha, telegram, …). */
export function RefusedItemsCard({ channel }) {
  const [state, setState] = useState({ loaded: false, items: [], total: 0, next: null,
    error: "" });
  const [busy, setBusy] = useState(false);

  const load = async (after = null) => {
    setBusy(true);
    try {
      const { refusedWebhookItems: page } = await api(QUERY, { channel, first: PAGE, after });
      setState((s) => ({
        loaded: true, error: "", total: page.totalCount,
        items: after ? [...s.items, ...page.items] : page.items,
        next: page.hasNextPage ? page.endCursor : null,
      }));
    } catch (error) {
      setState((s) => ({ ...s, loaded: true, error: error.code || "UNKNOWN" }));
    }
    setBusy(false);
  };

  useEffect(() => { load(); }, [channel]);

  const { loaded, items, total, next, error } = state;
  return html`
    <div class="card" data-refused-items=${channel} aria-labelledby="refused-title">
      <h3 id="refused-title">${t("refusals.title")}</h3>
      <p class="muted small">${t("refusals.about")}</p>
      ${error && html`<p class="form-error" role="alert">${errorText(error)}</p>`}
      ${!loaded ? html`<p class="muted">${t("refusals.loading")}</p>`
        : items.length === 0
          ? html`<p class="muted" data-refused-none>${t("refusals.none")}</p>`
          : html`<p data-refused-count>${t("refusals.count", { count: total })}</p>
            <ul class="refused-items">${items.map((item) => html`<${Item} key=${item.id}
              item=${item}/>`)}</ul>`}
      <div class="wa-actions">
        ${next && html`<button type="button" class="button button-quiet" disabled=${busy}
          onClick=${() => load(next)}>${t("refusals.more")}</button>`}
        <button type="button" class="button button-quiet" disabled=${busy}
          onClick=${() => load()}>${t("refusals.refresh")}</button>
      </div>
    </div>`;
}
