// People (/people, admins): everyone who signs in, with role, access group and queue membership,
// presence and last sign-in; add a person, change their name, role and e-mail, give them a
// one-time password (shown once, or mailed), deactivate (signed out everywhere at once) and
// reactivate. My password (/password, everyone): change your own.
import { useEffect, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatWhen, t } from "../lib/i18n.mjs";
import { api, isAdmin, session } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { errorText } from "./common.mjs";

const PERSON = `id login displayName role email active inAccessGroup inQueue presence
  lastSignInAt createdAt`;
const LIST = `query People { operators { ${PERSON} }
  roles: __type(name: "OperatorRole") { enumValues { name } } }`;
const REFUSAL = "... on UserError { code message field }";
const GIVEN = `__typename ... on OneTimePasswordPayload { oneTimePassword mailedTo
  operator { ${PERSON} } } ${REFUSAL}`;
const CHANGED = `__typename ... on PersonPayload { operator { ${PERSON} } } ${REFUSAL}`;
const CREATE = `mutation CreateOperator($login: String!, $displayName: String!,
  $role: OperatorRole!, $email: String!) {
  createOperator(login: $login, displayName: $displayName, role: $role, email: $email) {
    ${GIVEN} } }`;
const UPDATE = `mutation UpdateOperator($id: ID!, $displayName: String, $role: OperatorRole,
  $email: String) {
  updateOperator(id: $id, displayName: $displayName, role: $role, email: $email) {
    ${CHANGED} } }`;
const RESET = `mutation ResetOperatorPassword($id: ID!) {
  resetOperatorPassword(id: $id) { ${GIVEN} } }`;
const DEACTIVATE = `mutation DeactivateOperator($id: ID!) {
  deactivateOperator(id: $id) { ${CHANGED} } }`;
const REACTIVATE = `mutation ReactivateOperator($id: ID!) {
  reactivateOperator(id: $id) { ${CHANGED} } }`;
const CHANGE_MINE = `mutation ChangeMyPassword($current: String!, $next: String!) {
  changeMyPassword(currentPassword: $current, newPassword: $next) { __typename ${REFUSAL} } }`;

/** Runs a mutation: its answer, or a refusal {code, message, field} (also for network errors). */
async function mutate(query, variables, field) {
  try {
    return (await api(query, variables))[field];
  } catch (error) {
    return { __typename: "UserError", code: error.code || "NETWORK", message: error.message };
  }
}

/** A refusal in the reader's language: a wrong field's own words, else the code's. */
function refusalText(refusal) {
  if (refusal.code === "INVALID_VALUE" && refusal.field) {
    const key = `people.invalid.${refusal.field}`;
    const said = t(key);
    if (said !== key) return said;
  }
  if (refusal.code === "NOT_ALLOWED") return t("people.notAllowed");
  return errorText(refusal);
}

function OneTimePassword({ given, onClose }) {
  const person = given.operator;
  return html`
    <div class="card people-secret" role="status" data-one-time-password>
      ${given.mailedTo
        ? html`<p>${t("people.mailed", { name: person.displayName, email: given.mailedTo })}</p>`
        : html`
          <p>${t("people.shownOnce", { name: person.displayName, login: person.login })}</p>
          <p><code class="people-password" data-password>${given.oneTimePassword}</code></p>
          <p class="muted small">${t("people.shownOnceHint")}</p>`}
      <button type="button" class="button button-quiet" onClick=${onClose}>
        ${t("people.done")}</button>
    </div>`;
}

function RoleSelect({ id, roles, value, onChange }) {
  return html`
    <select id=${id} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${roles.map((role) => html`<option value=${role} selected=${role === value}>
        ${t(`role.${role}`)}</option>`)}
    </select>`;
}

function NewPersonForm({ roles, onGiven }) {
  const [login, setLogin] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState("OPERATOR");
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const save = async () => {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    const answer = await mutate(CREATE, { login, displayName: name, role, email },
      "createOperator");
    setBusy(false);
    if (answer.__typename === "UserError") {
      setFailure(answer);
      return;
    }
    setLogin("");
    setName("");
    setEmail("");
    onGiven(answer);
  };
  const invalid = (field) => (failure?.field === field ? "true" : "false");
  return html`
    <form class="people-form" data-people-form="new"
      onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <div class="field">
        <label for="people-login">${t("people.login")}</label>
        <input id="people-login" value=${login} autocomplete="off" maxlength="64"
          aria-invalid=${invalid("login")} aria-describedby="people-login-hint"
          onInput=${(e) => setLogin(e.currentTarget.value)}/>
        <p id="people-login-hint" class="muted small">${t("people.loginHint")}</p>
      </div>
      <div class="field">
        <label for="people-name">${t("people.name")}</label>
        <input id="people-name" value=${name} autocomplete="off" maxlength="120"
          aria-invalid=${invalid("displayName")}
          onInput=${(e) => setName(e.currentTarget.value)}/>
      </div>
      <div class="field">
        <label for="people-role">${t("people.role")}</label>
        <${RoleSelect} id="people-role" roles=${roles} value=${role} onChange=${setRole}/>
      </div>
      <div class="field">
        <label for="people-email">${t("people.email")}</label>
        <input id="people-email" type="email" value=${email} autocomplete="off"
          aria-invalid=${invalid("email")} aria-describedby="people-email-hint"
          onInput=${(e) => setEmail(e.currentTarget.value)}/>
        <p id="people-email-hint" class="muted small">${t("people.emailHint")}</p>
      </div>
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled=${busy}>
          ${t("people.add")}</button>
      </div>
      <p class="form-error" role="alert">${failure ? refusalText(failure) : ""}</p>
    </form>`;
}

function EditPersonForm({ person, roles, onDone, onCancel }) {
  const [name, setName] = useState(person.displayName);
  const [role, setRole] = useState(person.role);
  const [email, setEmail] = useState(person.email);
  const [failure, setFailure] = useState(null);
  const prefix = `people-${person.login}`;
  const save = async () => {
    const answer = await mutate(UPDATE, { id: person.id, displayName: name, role, email },
      "updateOperator");
    if (answer.__typename === "UserError") setFailure(answer);
    else onDone();
  };
  return html`
    <form class="people-form" data-people-form="edit"
      onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <div class="field">
        <label for=${`${prefix}-name`}>${t("people.name")}</label>
        <input id=${`${prefix}-name`} value=${name} maxlength="120"
          onInput=${(e) => setName(e.currentTarget.value)}/>
      </div>
      <div class="field">
        <label for=${`${prefix}-role`}>${t("people.role")}</label>
        <${RoleSelect} id=${`${prefix}-role`} roles=${roles} value=${role} onChange=${setRole}/>
      </div>
      <div class="field">
        <label for=${`${prefix}-email`}>${t("people.email")}</label>
        <input id=${`${prefix}-email`} type="email" value=${email}
          onInput=${(e) => setEmail(e.currentTarget.value)}/>
      </div>
      <div class="form-actions">
        <button type="submit" class="button button-primary">${t("people.save")}</button>
        <button type="button" class="button button-quiet" onClick=${onCancel}>
          ${t("people.cancel")}</button>
      </div>
      <p class="form-error" role="alert">${failure ? refusalText(failure) : ""}</p>
    </form>`;
}

function PersonRow({ person, roles, me, onChanged, onGiven }) {
  const [editing, setEditing] = useState(false);
  const [failure, setFailure] = useState("");
  const act = async (query, field, confirmKey) => {
    if (confirmKey && !confirm(t(confirmKey, { name: person.displayName }))) return;
    setFailure("");
    const answer = await mutate(query, { id: person.id }, field);
    if (answer.__typename === "UserError") {
      setFailure(refusalText(answer));
      return;
    }
    if (answer.__typename === "OneTimePasswordPayload") onGiven(answer);
    onChanged();
  };
  const memberships = [
    person.inAccessGroup && t("people.inAccessGroup"), person.inQueue && t("people.inQueue"),
  ].filter(Boolean);
  return html`
    <li class=${`people-row card${person.active ? "" : " people-inactive"}`}
      data-person=${person.login} data-active=${String(person.active)}>
      <div class="people-row-head">
        <span class="people-who">
          <strong>${person.displayName}</strong>
          <span class="muted"> ${person.login}</span>
          ${person.login === me && html`<span class="muted"> · ${t("people.you")}</span>`}
        </span>
        <span class="people-role" data-role=${person.role}>${t(`role.${person.role}`)}</span>
      </div>
      <p class="people-facts muted small">
        ${person.active
          ? html`<span data-presence=${person.presence}>${t(`presence.${person.presence}`)}</span>`
          : html`<span class="people-deactivated">${t("people.deactivated")}</span>`}
        <span> · ${memberships.length ? memberships.join(", ") : t("people.noMembership")}</span>
        <span> · ${person.lastSignInAt
          ? t("people.lastSignIn", { when: formatWhen(person.lastSignInAt) })
          : t("people.neverSignedIn")}</span>
        ${person.email && html`<span> · ${person.email}</span>`}
      </p>
      ${editing
        ? html`<${EditPersonForm} person=${person} roles=${roles}
            onDone=${() => { setEditing(false); onChanged(); }}
            onCancel=${() => setEditing(false)}/>`
        : html`<div class="people-actions">
            ${person.active && html`
              <button type="button" class="button button-quiet button-small"
                aria-label=${t("people.editOne", { name: person.displayName })}
                onClick=${() => setEditing(true)}>${t("people.edit")}</button>
              <button type="button" class="button button-quiet button-small"
                aria-label=${t("people.resetOne", { name: person.displayName })}
                onClick=${() => act(RESET, "resetOperatorPassword", "people.confirmReset")}>
                ${t("people.reset")}</button>`}
            ${person.active && person.login !== me && html`
              <button type="button" class="button button-quiet button-small"
                aria-label=${t("people.deactivateOne", { name: person.displayName })}
                onClick=${() => act(DEACTIVATE, "deactivateOperator",
                                    "people.confirmDeactivate")}>
                ${t("people.deactivate")}</button>`}
            ${!person.active && html`
              <button type="button" class="button button-quiet button-small"
                aria-label=${t("people.reactivateOne", { name: person.displayName })}
                onClick=${() => act(REACTIVATE, "reactivateOperator")}>
                ${t("people.reactivate")}</button>`}
          </div>`}
      ${failure && html`<p class="form-error" role="alert">${failure}</p>`}
    </li>`;
}

export function PeoplePage() {
  const { operator } = useStore(session);
  const [people, setPeople] = useState(null);
  const [roles, setRoles] = useState(["ADMIN", "OPERATOR", "AUDITOR"]);
  const [given, setGiven] = useState(null);
  const [failure, setFailure] = useState("");
  const load = () => api(LIST).then((data) => {
    setPeople(data.operators);
    if (data.roles?.enumValues?.length) setRoles(data.roles.enumValues.map((v) => v.name));
    setFailure("");
  }, (error) => setFailure(errorText(error.code || "NETWORK", error.message)));
  useEffect(() => { if (isAdmin()) load(); }, []);
  if (!isAdmin()) {
    return html`<div class="page"><h1>${t("notFound.title")}</h1>
      <p>${t("notFound.text")}</p></div>`;
  }
  return html`
    <div class="page people-page">
      <h1>${t("people.title")}</h1>
      <p class="muted">${t("people.about")}</p>
      ${failure && html`<p class="form-error" role="alert">${failure}</p>`}
      ${given && html`<${OneTimePassword} given=${given} onClose=${() => setGiven(null)}/>`}
      <details class="people-add">
        <summary>${t("people.addPerson")}</summary>
        <${NewPersonForm} roles=${roles} onGiven=${(answer) => { setGiven(answer); load(); }}/>
      </details>
      ${people === null ? html`<p class="muted">${t("inbox.loading")}</p>`
        : html`<ul class="people-list">${people.map((person) => html`
            <${PersonRow} key=${person.id} person=${person} roles=${roles}
              me=${operator?.login} onChanged=${load} onGiven=${setGiven}/>`)}</ul>`}
    </div>`;
}

export function MyPasswordPage() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const [done, setDone] = useState(false);
  const save = async () => {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    setDone(false);
    const answer = await mutate(CHANGE_MINE, { current, next }, "changeMyPassword");
    setBusy(false);
    if (answer.__typename === "UserError") {
      setFailure(answer);
      return;
    }
    setCurrent("");
    setNext("");
    setDone(true);
  };
  return html`
    <div class="page people-page">
      <h1>${t("password.title")}</h1>
      <form class="people-form" data-people-form="password"
        onSubmit=${(e) => { e.preventDefault(); save(); }}>
        <div class="field">
          <label for="password-current">${t("password.current")}</label>
          <input id="password-current" type="password" autocomplete="current-password"
            value=${current} aria-invalid=${failure?.field === "currentPassword" ? "true" : "false"}
            onInput=${(e) => setCurrent(e.currentTarget.value)}/>
        </div>
        <div class="field">
          <label for="password-new">${t("password.new")}</label>
          <input id="password-new" type="password" autocomplete="new-password" value=${next}
            aria-invalid=${failure?.field === "password" ? "true" : "false"}
            aria-describedby="password-new-hint"
            onInput=${(e) => setNext(e.currentTarget.value)}/>
          <p id="password-new-hint" class="muted small">${t("password.hint")}</p>
        </div>
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled=${busy}>
            ${t("password.change")}</button>
        </div>
        <p class="form-error" role="alert">${failure ? refusalText(failure) : ""}</p>
        <p role="status">${done ? t("password.changed") : ""}</p>
      </form>
    </div>`;
}
