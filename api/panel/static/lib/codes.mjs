// What the server says as codes with parameters, said in the reader's language: reasons
// (`<prefix>.<CODE>`, a wrapped reason under params.inner) and who did something (actors).
import { t } from "./i18n.mjs";

/** A reason's sentence: t(`${prefix}.${code}`) with its parameters; a wrapped reason
 * ({code, params} under `inner`) is said first and takes the {inner} place. */
export function reasonText(prefix, code, params = {}) {
  const values = { ...(params || {}) };
  if (values.inner && typeof values.inner === "object") {
    values.inner = reasonText(prefix, values.inner.code, values.inner.params);
  }
  const key = `${prefix}.${code}`;
  const text = t(key, values);
  return text === key ? String(values.text ?? code) : text;
}

/** Who did it: an operator by login, a client by number, the system's parts by name. */
export function actorText(actor) {
  const [kind, ...rest] = String(actor || "").split(":");
  const who = rest.join(":");
  if ((kind === "operator" || kind === "client") && who) return who;
  if (kind === "channel" && who) {
    const key = `channel.${who}`;
    return t(key) === key ? who : t(key);
  }
  if (kind === "system" && who) {
    const key = `actor.system.${who}`;
    return t(key) === key ? t("actor.system") : t(key);
  }
  if (kind === "system" || kind === "cli") return t(`actor.${kind}`);
  return String(actor || "");
}
