// The top bar fits its window whatever the language, the role and the badges: all of it on one
// row ("full"); the less used items as icons with their names kept for screen readers
// ("compact"); the navigation on a row of its own ("rows"); and on a phone everything behind a
// menu button ("menu"). The mode is measured, not guessed from breakpoints: the first that
// fits wins (layout.css dresses each).
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { t } from "../lib/i18n.mjs";
import { route } from "../lib/router.mjs";
import { useStore } from "../lib/store.mjs";

const MODES = ["full", "compact", "rows", "menu"];

/** Whether the boxes share one line (their vertical spans overlap). */
function oneLine(elements) {
  const boxes = elements.map((el) => el.getBoundingClientRect())
    .filter((box) => box.width > 0 && box.height > 0);
  if (boxes.length < 2) return true;
  return Math.max(...boxes.map((b) => b.top)) < Math.min(...boxes.map((b) => b.bottom));
}

function fits(bar, mode) {
  if (bar.scrollWidth > bar.clientWidth + 1) return false;
  const nav = bar.querySelector("nav");
  const list = nav?.querySelector("ul");
  if (list && list.scrollWidth > list.clientWidth + 1) return false;
  const items = [...bar.children].flatMap((el) => (el.classList.contains("topbar-menu")
    ? [...el.children] : [el]));
  return oneLine(mode === "rows" ? items.filter((el) => el !== nav) : items);
}

/** Tries each mode in turn on the bar and keeps the first that fits. */
export function fitTopbar(bar) {
  for (const mode of MODES) {
    bar.dataset.fit = mode;
    if (mode === "menu" || fits(bar, mode)) return mode;
  }
  return "menu";
}

/** The bar's ref, and the menu's state (open or not) for MenuButton. Refits after every render
 * of the shell (a language, a role, a badge) and whenever the bar or its items change size. */
export function useTopbarFit() {
  const bar = useRef(null);
  const button = useRef(null);
  const [open, setOpen] = useState(false);
  const { path } = useStore(route);
  const refit = () => {
    if (bar.current && fitTopbar(bar.current) !== "menu") setOpen(false);
  };
  useLayoutEffect(refit);
  useEffect(() => {
    let frame = 0;
    // A frame later: refitting inside the observer's own callback would resize what it observes.
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(refit);
    });
    const el = bar.current;
    observer.observe(el);
    for (const item of el.querySelectorAll(".nav, .topbar-tools, .search")) observer.observe(item);
    return () => { cancelAnimationFrame(frame); observer.disconnect(); };
  }, []);
  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return undefined;
    const onKey = (event) => {
      if (event.key !== "Escape") return;
      // a popup inside the menu (the bell, the search results) closes first
      if (bar.current?.querySelector(".bell-panel, .search-panel")) return;
      setOpen(false);
      button.current?.focus();
    };
    const onPointer = (event) => { if (!bar.current?.contains(event.target)) setOpen(false); };
    addEventListener("keydown", onKey);
    addEventListener("pointerdown", onPointer);
    return () => { removeEventListener("keydown", onKey); removeEventListener("pointerdown", onPointer); };
  }, [open]);
  return { bar, button, open, setOpen };
}

/** The button that opens the menu on a phone (hidden in the other modes). */
export function MenuButton({ fit, badge = 0 }) {
  return html`
    <button type="button" class="button button-quiet menu-button" ref=${fit.button}
      aria-expanded=${fit.open ? "true" : "false"} aria-controls="topbar-menu"
      aria-label=${t("nav.menu")} onClick=${() => fit.setOpen(!fit.open)}>
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path
        d=${fit.open ? "M6 6l12 12M18 6L6 18" : "M4 7h16M4 12h16M4 17h16"} stroke="currentColor"
        stroke-width="2" stroke-linecap="round"/></svg>
      ${badge > 0 && html`<span class="badge" aria-hidden="true">${badge}</span>`}
    </button>`;
}
