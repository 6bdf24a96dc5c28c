// Text typed but not yet sent, kept per operator and dialog so that neither an expired session
// nor a reload loses it.
const prefix = (operatorId) => `sb.draft.${operatorId}.`;

export function loadDraft(operatorId, dialogId) {
  return localStorage.getItem(prefix(operatorId) + dialogId) ?? "";
}

export function saveDraft(operatorId, dialogId, text) {
  const key = prefix(operatorId) + dialogId;
  if (text) localStorage.setItem(key, text);
  else localStorage.removeItem(key);
}
