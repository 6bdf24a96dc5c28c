// History-API routing for the single-page shell; the server serves index.html at each path.
import { html } from "./html.mjs";
import { createStore } from "./store.mjs";

export const route = createStore({ path: location.pathname });

export function navigate(path, { replace = false } = {}) {
  if (path !== location.pathname) history[replace ? "replaceState" : "pushState"]({}, "", path);
  route.set({ path });
}

window.addEventListener("popstate", () => route.set({ path: location.pathname }));

export function match(path) {
  let m;
  if (path === "/" || path === "") return { name: "inbox" };
  if ((m = path.match(/^\/dialogs\/([^/]+)\/?$/))) {
    return { name: "inbox", dialogId: decodeURIComponent(m[1]) };
  }
  if ((m = path.match(/^\/all-dialogs(?:\/([^/]+))?\/?$/))) {
    return { name: "allDialogs", dialogId: m[1] ? decodeURIComponent(m[1]) : null };
  }
  if (path === "/phone" || path === "/phone/") return { name: "phone" };
  if (path === "/quick-replies" || path === "/quick-replies/") return { name: "quickReplies" };
  if (path === "/people" || path === "/people/") return { name: "people" };
  if (path === "/password" || path === "/password/") return { name: "password" };
  if ((m = path.match(/^\/colleagues(?:\/([^/]+))?\/?$/))) {
    return { name: "colleagues", chatId: m[1] ? decodeURIComponent(m[1]) : null };
  }
  if ((m = path.match(/^\/admin(?:\/([^/]*))?\/?$/))) return { name: "admin", section: m[1] || "" };
  return { name: "notFound" };
}

/** An <a> that navigates in-page on a plain click and behaves normally otherwise. */
export function Link({ href, children, onNavigate, ...rest }) {
  const onClick = (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
        || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
    onNavigate?.();
  };
  return html`<a href=${href} ...${rest} onClick=${onClick}>${children}</a>`;
}
