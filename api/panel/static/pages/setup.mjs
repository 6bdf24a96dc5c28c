// The setup wizard, step by step as the vendor's wizard goes: resumable (it opens at the first
// unfinished step), every step can be revisited, each shows its state and what is missing; the
// PBX check and the phonebook import show their progress; the mailed code's step shows the
// development outbox. Auditors see it read-only.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, t } from "../lib/i18n.mjs";
import { Link } from "../lib/router.mjs";
import { saidText } from "../lib/said.mjs";
import { api, isAdmin } from "../lib/session.mjs";
import { errorText } from "./common.mjs";

export const STEPS = ["MODE", "PUBLICATION", "REGISTRATION", "PBX", "CONNECTION", "EMPLOYEES",
  "MESSENGERS", "FINISH"];
const PBX_TYPES = ["MIKOPBX", "ASTERISK", "FREEPBX", "OTHER"];
const SCHEMES = ["BOTH_LAN", "PBX_CLOUD", "ONEC_CLOUD", "BOTH_CLOUD"];
const CLOUD = new Set(["ONEC_CLOUD", "BOTH_CLOUD"]);
const DEFAULT_SERVER = "wss://1cdialog.com:443";
const POLL_MS = 500;

const WIZARD = `fragment Wizard on SetupWizard {
  currentStep completed connectionMode mode
  steps { step state missing }
  publication { serverUrl publicationName }
  registration { status email server codeExpiresAt attemptsLeft }
  pbx { type connectionSetup addresses passwordSet scheme webServer publicationName
        check { status startedAt addresses address reason reasonCode reasonParams
          tried { address ok reason at
          rest { code detail ok } nats { code detail ok } } } }
  employees { operatorId login displayName extension mobile }
  whatsappLinked whatsappStatus
  phonebookImport { status format rows done created updated refused { row reason code params } }
  phonebookSize
}`;
const QUERY = `query Wizard { setupWizard { ...Wizard } } ${WIZARD}`;
const OUTBOX = "query Outbox { devOutbox(first: 3) { id to subject body sentAt } }";

function mutation(name, params = {}) {
  const names = Object.keys(params);
  const head = names.length ? `(${names.map((n) => `$${n}: ${params[n]}`).join(", ")})` : "";
  const args = names.length ? `(${names.map((n) => `${n}: $${n}`).join(", ")})` : "";
  return `mutation Step${head} { ${name}${args} { __typename
    ... on SetupWizard { ...Wizard } ... on UserError { code message field } } } ${WIZARD}`;
}

function useWizard() {
  const [wizard, setWizard] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState(null);

  const load = async () => {
    try {
      const { setupWizard } = await api(QUERY);
      setWizard(setupWizard);
      setFailure(null);
      return setupWizard;
    } catch (error) {
      setFailure(error.code);
      return null;
    }
  };

  /** Runs a step; returns the new wizard, or null when refused (the refusal is kept). */
  const run = async (name, params = {}, variables = {}) => {
    setBusy(true);
    setRefusal(null);
    try {
      const result = (await api(mutation(name, params), variables))[name];
      if (result.__typename === "UserError") {
        setRefusal(result);
        return null;
      }
      setWizard(result);
      return result;
    } catch (error) {
      setRefusal({ code: error.code || "NETWORK", message: error.message, field: null });
      return null;
    } finally {
      setBusy(false);
    }
  };

  return { wizard, failure, busy, refusal, setRefusal, load, run };
}

function Field({ id, label, refusal, hint, children }) {
  const error = refusal && refusal.field === id;
  return html`
    <div class="field">
      <label for=${`setup-${id}`}>${label}</label>
      ${children}
      ${hint && html`<p class="muted small" id=${`setup-${id}-hint`}>${hint}</p>`}
      ${error && html`<p class="form-error" role="alert" id=${`setup-${id}-error`}
        data-field=${id}>${errorText(refusal)}</p>`}
    </div>`;
}

function Refusal({ refusal, fields }) {
  if (!refusal || (refusal.field && fields.includes(refusal.field))) return null;
  return html`<p class="form-error" role="alert" data-code=${refusal.code}>
    ${errorText(refusal)}</p>`;
}

const invalid = (refusal, id) => (refusal?.field === id ? "true" : undefined);

function Missing({ step }) {
  if (!step.missing.length) return null;
  return html`<p class="setup-missing muted small" data-missing=${step.missing.join(" ")}>
    ${t("setup.missing")} ${step.missing.map((m) => t(`setup.need.${m}`)).join(", ")}</p>`;
}

// -- steps ---------------------------------------------------------------------------------
function ModeStep({ w, run, busy, next }) {
  return html`
    <fieldset class="setup-choices">
      <legend>${t("setup.mode.legend")}</legend>
      <label class="choice"><input type="radio" name="mode" checked/>
        <span><strong>${t("setup.mode.full")}</strong>
          <span class="muted small">${t("setup.mode.fullAbout")}</span></span></label>
    </fieldset>
    <div class="setup-actions">
      <button type="button" class="button button-primary" disabled=${busy}
        onClick=${async () => (await run("chooseSetupMode")) && next()}>${t("setup.next")}</button>
    </div>`;
}

function PublicationStep({ w, run, busy, refusal, next }) {
  const [url, setUrl] = useState(w.publication?.serverUrl ?? "");
  const [name, setName] = useState(w.publication?.publicationName ?? "");
  const submit = async (event) => {
    event.preventDefault();
    if (await run("setPublication", { serverUrl: "String!", publicationName: "String!" },
      { serverUrl: url, publicationName: name })) next();
  };
  const web = w.connectionMode === "WEB_SERVICE";
  return html`
    <form onSubmit=${submit} novalidate>
      <p class=${`setup-mode ${web ? "ok" : "warn"}`} data-connection-mode=${w.connectionMode}>
        ${t(web ? "setup.publication.web" : "setup.publication.longPolling")}</p>
      <${Field} id="serverUrl" label=${t("setup.publication.server")} refusal=${refusal}
        hint=${t("setup.publication.serverHint")}>
        <input id="setup-serverUrl" type="url" value=${url} placeholder="https://1c.example.com"
          aria-invalid=${invalid(refusal, "serverUrl")} onInput=${(e) => setUrl(e.currentTarget.value)}/>
      <//>
      <${Field} id="publicationName" label=${t("setup.publication.name")} refusal=${refusal}
        hint=${t("setup.publication.nameHint")}>
        <input id="setup-publicationName" value=${name} placeholder="trade"
          aria-invalid=${invalid(refusal, "publicationName")}
          onInput=${(e) => setName(e.currentTarget.value)}/>
      <//>
      <${Refusal} refusal=${refusal} fields=${["serverUrl", "publicationName"]}/>
      <div class="setup-actions">
        <button type="submit" class="button button-primary" disabled=${busy}>${t("setup.next")}</button>
      </div>
    </form>`;
}

function Outbox({ stamp }) {
  const [mails, setMails] = useState([]);
  useEffect(() => {
    let live = true;
    api(OUTBOX).then(({ devOutbox }) => live && setMails(devOutbox)).catch(() => {});
    return () => { live = false; };
  }, [stamp]);
  if (!mails.length) return null;
  return html`
    <details class="card outbox" open data-outbox>
      <summary>${t("setup.outbox.title")}</summary>
      <p class="muted small">${t("setup.outbox.about")}</p>
      <ul>
        ${mails.map((m) => html`<li key=${m.id} class="outbox-mail">
          <p><strong>${m.subject}</strong> <span class="muted small">→ ${m.to},
            ${formatFull(m.sentAt)}</span></p>
          <pre>${m.body}</pre></li>`)}
      </ul>
    </details>`;
}

function RegistrationStep({ w, run, busy, refusal, next, reload }) {
  const r = w.registration;
  const [email, setEmail] = useState(r.email);
  const [server, setServer] = useState(r.server || DEFAULT_SERVER);
  const [code, setCode] = useState("");
  const [stamp, setStamp] = useState(0);
  const request = async (event) => {
    event.preventDefault();
    await run("requestRegistrationCode", { email: "String!", server: "String!" },
      { email, server });
    setStamp((n) => n + 1);
  };
  const confirm = async (event) => {
    event.preventDefault();
    if (await run("confirmRegistration", { code: "String!" }, { code: code.trim() })) next();
    else reload(); // a wrong code is counted: show the attempts now left
  };
  return html`
    <p class="muted" data-registration=${r.status}>${t(`setup.registration.${r.status}`,
      { email: r.email })}</p>
    <form onSubmit=${request} novalidate>
      <${Field} id="email" label=${t("setup.registration.email")} refusal=${refusal}>
        <input id="setup-email" type="email" value=${email} autocomplete="email"
          aria-invalid=${invalid(refusal, "email")} onInput=${(e) => setEmail(e.currentTarget.value)}/>
      <//>
      <${Field} id="server" label=${t("setup.registration.server")} refusal=${refusal}
        hint=${t("setup.registration.serverHint")}>
        <input id="setup-server" value=${server} aria-invalid=${invalid(refusal, "server")}
          onInput=${(e) => setServer(e.currentTarget.value)}/>
      <//>
      <div class="setup-actions">
        <button type="submit" class=${`button ${r.status === "NONE" ? "button-primary" : "button-quiet"}`}
          disabled=${busy}>${t(r.status === "NONE" ? "setup.registration.register"
            : "setup.registration.again")}</button>
      </div>
    </form>
    ${r.status === "CODE_SENT" && html`
      <form onSubmit=${confirm} novalidate class="setup-code">
        <${Field} id="code" label=${t("setup.registration.code")} refusal=${refusal}
          hint=${t("setup.registration.codeHint", { count: r.attemptsLeft })}>
          <input id="setup-code" inputmode="numeric" autocomplete="one-time-code" value=${code}
            aria-invalid=${invalid(refusal, "code")} onInput=${(e) => setCode(e.currentTarget.value)}/>
        <//>
        <div class="setup-actions">
          <button type="submit" class="button button-primary" disabled=${busy || !code.trim()}>
            ${t("setup.registration.confirm")}</button>
        </div>
      </form>`}
    <${Refusal} refusal=${refusal} fields=${["email", "server", "code"]}/>
    ${r.status === "CONFIRMED" && html`<div class="setup-actions">
      <button type="button" class="button button-primary" onClick=${next}>${t("setup.next")}</button></div>`}
    <${Outbox} stamp=${stamp}/>`;
}

function PbxStep({ w, run, busy, refusal, next }) {
  const [type, setType] = useState(w.pbx.type || "MIKOPBX");
  const [setup, setSetup] = useState(w.pbx.connectionSetup || "AUTOMATIC");
  const automatic = type === "MIKOPBX" && setup === "AUTOMATIC";
  const submit = async (event) => {
    event.preventDefault();
    if (await run("choosePbx", { pbxType: "PbxType!", connectionSetup: "ConnectionSetup!" },
      { pbxType: type, connectionSetup: type === "MIKOPBX" ? setup : "MANUAL" })) next();
  };
  return html`
    <form onSubmit=${submit}>
      <fieldset class="setup-choices">
        <legend>${t("setup.pbx.type")}</legend>
        ${PBX_TYPES.map((value) => html`<label class="choice" key=${value}>
          <input type="radio" name="pbxType" value=${value} checked=${type === value}
            onChange=${() => setType(value)}/><span>${t(`setup.pbx.${value}`)}</span></label>`)}
      </fieldset>
      <fieldset class="setup-choices">
        <legend>${t("setup.pbx.setup")}</legend>
        <label class="choice"><input type="radio" name="connectionSetup" value="AUTOMATIC"
          checked=${automatic} disabled=${type !== "MIKOPBX"} onChange=${() => setSetup("AUTOMATIC")}/>
          <span>${t("setup.pbx.automatic")}</span></label>
        <label class="choice"><input type="radio" name="connectionSetup" value="MANUAL"
          checked=${!automatic} onChange=${() => setSetup("MANUAL")}/>
          <span>${t("setup.pbx.manual")}</span></label>
      </fieldset>
      <${Refusal} refusal=${refusal} fields=${[]}/>
      <div class="setup-actions">
        <button type="submit" class="button button-primary" disabled=${busy}>${t("setup.next")}</button>
      </div>
    </form>`;
}

function CheckProgress({ check }) {
  if (!check) return null;
  const total = check.addresses.length || 1;
  const tried = check.tried.length;
  return html`
    <div class="card check" role="status" aria-live="polite" data-check=${check.status}>
      <p><strong>${t(`setup.check.${check.status}`, { address: check.address ?? "" })}</strong></p>
      ${check.status === "RUNNING" && html`
        <progress max=${total} value=${tried} aria-label=${t("setup.check.progress")}></progress>`}
      <ol class="check-tried">
        ${check.tried.map((a) => html`<li key=${a.at} class=${a.ok ? "ok" : "failed"}
            data-address=${a.address}>
          <span aria-hidden="true">${a.ok ? "✓" : "✗"}</span> ${a.address} — ${a.ok
            ? t("setup.check.answered") : a.rest.code ? t("setup.check.notAnswered") : a.reason}
          ${a.rest.code && html`<ul class="check-parts">
            ${[["rest", a.rest], ["nats", a.nats]].map(([part, p]) => html`
              <li key=${part} data-part=${part} data-code=${p.code} class=${p.ok ? "ok" : "failed"}>
                ${t(`setup.check.part.${part}`)}: ${t(`setup.check.code.${p.code}`)}
                <small class="check-detail">${p.detail}</small></li>`)}
          </ul>`}</li>`)}
      </ol>
      ${check.status === "FAILED" && html`<p class="form-error">${check.reasonCode
        ? saidText({ code: check.reasonCode, params: check.reasonParams }, check.reason)
        : check.reason}</p>`}
    </div>`;
}

function ConnectionStep({ w, run, busy, refusal, next, reload }) {
  const pbx = w.pbx;
  const automatic = pbx.connectionSetup === "AUTOMATIC";
  const [code, setCode] = useState("");
  const [addresses, setAddresses] = useState(pbx.addresses.join("\n"));
  const [scheme, setScheme] = useState(pbx.scheme || "BOTH_LAN");
  const [webServer, setWebServer] = useState(pbx.webServer || w.publication?.serverUrl || "");
  const [publicationName, setPublicationName] = useState(
    pbx.publicationName || w.publication?.publicationName || "");
  const running = pbx.check?.status === "RUNNING";
  useEffect(() => {
    if (!running) return undefined;
    const timer = setTimeout(reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [running, pbx.check?.tried.length, w]);
  if (!pbx.type) {
    return html`<p class="muted">${t("setup.connection.choosePbx")}</p>`;
  }
  const cloud = CLOUD.has(scheme);
  const save = async (event) => {
    event.preventDefault();
    const common = { scheme, webServer: cloud ? webServer : "",
      publicationName: cloud ? publicationName : "" };
    const types = { scheme: "ConnectionScheme!", webServer: "String!", publicationName: "String!" };
    const done = automatic
      ? await run("applyAutoconfigCode", { code: "String!", ...types }, { code, ...common })
      : await run("setManualPbxConnection", { addresses: "[String!]!", ...types },
        { addresses: addresses.split(/[\s,;]+/).filter(Boolean), ...common });
    if (done) setCode("");
    return done;
  };
  const checkable = pbx.type === "MIKOPBX" && pbx.addresses.length && pbx.scheme;
  // What the form holds that is not saved yet: "Configure" saves it first, then checks.
  const entered = automatic ? code.trim() !== ""
    : addresses.split(/[\s,;]+/).filter(Boolean).join("\n") !== pbx.addresses.join("\n");
  const unsaved = entered || scheme !== (pbx.scheme || "BOTH_LAN") || (cloud
    && (webServer !== pbx.webServer || publicationName !== pbx.publicationName));
  const configure = async (event) => {
    if (unsaved || !checkable) {
      if (!(await save(event))) return;
    }
    await run("configurePbx");
  };
  const step = w.steps.find((s) => s.step === "CONNECTION");
  return html`
    <form onSubmit=${save} novalidate>
      ${automatic ? html`
        <${Field} id="code" label=${t("setup.connection.code")} refusal=${refusal}
          hint=${html`${pbx.passwordSet ? t("setup.connection.codeKept",
            { count: pbx.addresses.length }) : t("setup.connection.codeHint")}
            <span class="setup-code-looks" data-code-looks>${t("setup.connection.codeLooks")}</span>`}>
          <textarea id="setup-code" rows="3" value=${code} spellcheck="false"
            placeholder="eyJuYXRzX3Bhc3N3b3JkIjogIuKApiIsICJpcHNldCI6IFsi4oCmIl19"
            aria-invalid=${invalid(refusal, "code")} onInput=${(e) => setCode(e.currentTarget.value)}></textarea>
        <//>` : html`
        <${Field} id="addresses" label=${t("setup.connection.addresses")} refusal=${refusal}>
          <textarea id="setup-addresses" rows="2" value=${addresses}
            aria-invalid=${invalid(refusal, "addresses")}
            onInput=${(e) => setAddresses(e.currentTarget.value)}></textarea>
        <//>`}
      ${pbx.addresses.length > 0 && html`<p class="muted small" data-addresses>
        ${t("setup.connection.addressesNow")} ${pbx.addresses.join(", ")}</p>`}
      <${Field} id="scheme" label=${t("setup.connection.scheme")} refusal=${refusal}>
        <select id="setup-scheme" value=${scheme} onChange=${(e) => setScheme(e.currentTarget.value)}>
          ${SCHEMES.map((s) => html`<option value=${s} key=${s}>${t(`setup.scheme.${s}`)}</option>`)}
        </select>
      <//>
      ${cloud && html`
        <${Field} id="webServer" label=${t("setup.connection.webServer")} refusal=${refusal}>
          <input id="setup-webServer" type="url" value=${webServer}
            aria-invalid=${invalid(refusal, "webServer")}
            onInput=${(e) => setWebServer(e.currentTarget.value)}/>
        <//>
        <${Field} id="publicationName" label=${t("setup.publication.name")} refusal=${refusal}>
          <input id="setup-publicationName" value=${publicationName}
            aria-invalid=${invalid(refusal, "publicationName")}
            onInput=${(e) => setPublicationName(e.currentTarget.value)}/>
        <//>`}
      <${Refusal} refusal=${refusal} fields=${["code", "addresses", "scheme", "webServer",
        "publicationName"]}/>
      <div class="setup-actions">
        <button type="submit" class="button button-quiet" disabled=${busy}>${t("setup.save")}</button>
        ${pbx.type === "MIKOPBX" && html`
          <button type="button" class="button button-primary" data-configure
            disabled=${busy || running || !(checkable || entered)} onClick=${configure}>
            ${running ? t("setup.connection.configuring") : t("setup.connection.configure")}</button>`}
        ${step && !step.missing.length && html`
          <button type="button" class="button button-primary" onClick=${next}>${t("setup.next")}</button>`}
      </div>
      <p class="muted small">${t("setup.connection.about")}</p>
    </form>
    <${CheckProgress} check=${pbx.check}/>`;
}

function EmployeeRow({ e, run, busy, refusal, editing, setEditing }) {
  const [extension, setExtension] = useState(e.extension);
  const [mobile, setMobile] = useState(e.mobile);
  const mine = editing === e.operatorId;
  const save = async (event) => {
    event.preventDefault();
    setEditing(e.operatorId);
    await run("setEmployeePhones", { operatorId: "ID!", extension: "String!", mobile: "String!" },
      { operatorId: e.operatorId, extension, mobile });
  };
  const error = mine && refusal && ["extension", "mobile", "operatorId"].includes(refusal.field);
  return html`
    <tr data-employee=${e.login}>
      <th scope="row">${e.displayName} <span class="muted small">${e.login}</span></th>
      <td><input aria-label=${t("setup.employees.extensionOf", { name: e.login })} value=${extension}
        size="6" inputmode="numeric" aria-invalid=${mine ? invalid(refusal, "extension") : undefined}
        onInput=${(ev) => setExtension(ev.currentTarget.value)}/></td>
      <td><input aria-label=${t("setup.employees.mobileOf", { name: e.login })} value=${mobile}
        type="tel" aria-invalid=${mine ? invalid(refusal, "mobile") : undefined}
        onInput=${(ev) => setMobile(ev.currentTarget.value)}/></td>
      <td><button type="button" class="button button-quiet" disabled=${busy} onClick=${save}>
        ${t("setup.save")}</button>
        ${error && html`<p class="form-error" role="alert" data-field=${refusal.field}>
          ${errorText(refusal)}</p>`}</td>
    </tr>`;
}

function EmployeesStep({ w, run, busy, refusal, next }) {
  const [editing, setEditing] = useState(null);
  return html`
    <p class="muted">${t("setup.employees.about")}</p>
    <table class="setup-table">
      <thead><tr><th scope="col">${t("setup.employees.employee")}</th>
        <th scope="col">${t("setup.employees.extension")}</th>
        <th scope="col">${t("setup.employees.mobile")}</th><th></th></tr></thead>
      <tbody>${w.employees.map((e) => html`<${EmployeeRow} key=${e.operatorId} e=${e} run=${run}
        busy=${busy} refusal=${refusal} editing=${editing} setEditing=${setEditing}/>`)}</tbody>
    </table>
    <div class="setup-actions">
      <button type="button" class="button button-primary" disabled=${busy}
        onClick=${async () => { setEditing(null); if (await run("confirmEmployees")) next(); }}>
        ${t("setup.next")}</button>
    </div>`;
}

function MessengersStep({ w, run, busy, next }) {
  const passed = !w.steps.find((s) => s.step === "MESSENGERS").missing.length;
  const linked = w.whatsappStatus === "WORKING";
  return html`
    <div class="card">
      <p data-whatsapp=${w.whatsappStatus}><strong>WhatsApp</strong>${" — "}
        ${t(`setup.whatsapp.${w.whatsappStatus}`)}</p>
      <p class="muted small">${t("setup.messengers.about")}</p>
      <p><${Link} href="/admin/whatsapp">${t("setup.messengers.link")}<//></p>
    </div>
    <div class="setup-actions">
      <button type="button" class="button button-primary" disabled=${busy}
        onClick=${async () => (passed || await run("passMessengers")) && next()}>
        ${t(passed || linked ? "setup.next" : "setup.messengers.skip")}</button>
    </div>`;
}

function ImportProgress({ job }) {
  if (!job) return null;
  return html`
    <div class="card" role="status" aria-live="polite" data-import=${job.status}>
      ${job.status === "RUNNING" ? html`
        <p>${t("setup.finish.importing", { done: job.done, count: job.rows })}</p>
        <progress max=${job.rows || 1} value=${job.done}></progress>` : html`
        <p><strong>${t("setup.finish.imported", { created: job.created, updated: job.updated,
          count: job.refused.length })}</strong></p>`}
      ${job.refused.length > 0 && html`
        <details open><summary>${t("setup.finish.refusedRows", { count: job.refused.length })}</summary>
          <ul class="refused">${job.refused.map((r) => html`<li key=${r.row}>
            ${t("setup.finish.row", { row: r.row })}: ${r.code
              ? saidText({ code: r.code, params: r.params }, r.reason) : r.reason}</li>`)}</ul></details>`}
    </div>`;
}

function FinishStep({ w, run, busy, refusal, reload }) {
  const [format, setFormat] = useState("CSV");
  const [content, setContent] = useState("");
  const job = w.phonebookImport;
  const running = job?.status === "RUNNING";
  useEffect(() => {
    if (!running) return undefined;
    const timer = setTimeout(reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [running, job?.done, w]);
  const pick = async (event) => {
    const file = event.currentTarget.files?.[0];
    if (!file) return;
    if (/\.json$/i.test(file.name)) setFormat("JSON");
    setContent(await file.text());
  };
  const submit = async (event) => {
    event.preventDefault();
    await run("importPhonebook", { format: "PhonebookFormat!", content: "String!" },
      { format, content });
  };
  if (w.completed) {
    return html`<div class="card setup-done" role="status" data-completed>
      <p><strong>${t("setup.finish.completed")}</strong></p>
      <p class="muted">${t("setup.finish.completedAbout", { count: w.phonebookSize })}</p></div>`;
  }
  return html`
    <form onSubmit=${submit} novalidate>
      <p class="muted">${t("setup.finish.about")}</p>
      <div class="setup-row">
        <${Field} id="format" label=${t("setup.finish.format")} refusal=${refusal}>
          <select id="setup-format" value=${format} onChange=${(e) => setFormat(e.currentTarget.value)}>
            <option value="CSV">CSV</option><option value="JSON">JSON</option></select>
        <//>
        <${Field} id="file" label=${t("setup.finish.file")} refusal=${null}>
          <input id="setup-file" type="file" accept=".csv,.json,text/csv,application/json"
            onChange=${pick}/>
        <//>
      </div>
      <${Field} id="content" label=${t("setup.finish.content")} refusal=${refusal}
        hint=${t("setup.finish.contentHint")}>
        <textarea id="setup-content" rows="5" value=${content} spellcheck="false"
          aria-invalid=${invalid(refusal, "content")}
          onInput=${(e) => setContent(e.currentTarget.value)}></textarea>
      <//>
      <div class="setup-actions">
        <button type="submit" class="button button-quiet" disabled=${busy || running || !content.trim()}>
          ${t("setup.finish.import")}</button>
        <button type="button" class="button button-primary" disabled=${busy || running}
          onClick=${() => run("finishSetup")}>${t("setup.finish.finish")}</button>
      </div>
      <${Refusal} refusal=${refusal} fields=${["content"]}/>
    </form>
    <${ImportProgress} job=${job}/>`;
}

const FORMS = {
  MODE: ModeStep, PUBLICATION: PublicationStep, REGISTRATION: RegistrationStep, PBX: PbxStep,
  CONNECTION: ConnectionStep, EMPLOYEES: EmployeesStep, MESSENGERS: MessengersStep,
  FINISH: FinishStep,
};

function Stepper({ w, open, setOpen }) {
  return html`
    <ol class="wizard-steps" aria-label=${t("setup.steps")}>
      ${w.steps.map((s, index) => html`<li key=${s.step}>
        <button type="button" class=${`wizard-step state-${s.state.toLowerCase()}`}
          data-step=${s.step} data-state=${s.state} onClick=${() => setOpen(s.step)}
          aria-current=${open === s.step ? "step" : undefined}>
          <span class="wizard-step-n" aria-hidden="true">${s.state === "DONE" ? "✓" : index + 1}</span>
          <span class="wizard-step-text">${t(`setup.step.${s.step}`)}
            <span class="muted small">${t(`setup.state.${s.state}`)}
              ${w.currentStep === s.step && !w.completed ? ` · ${t("setup.current")}` : ""}</span>
          </span>
        </button></li>`)}
    </ol>`;
}

export function SetupPage() {
  const { wizard: w, failure, busy, refusal, setRefusal, load, run } = useWizard();
  const [open, setOpen] = useState(null);
  const heading = useRef(null);
  const readOnly = !isAdmin();

  useEffect(() => { load().then((loaded) => loaded && setOpen(loaded.currentStep)); }, []);

  const choose = (step) => {
    setRefusal(null);
    setOpen(step);
    requestAnimationFrame(() => heading.current?.focus());
  };
  const next = () => load().then((loaded) => loaded && choose(loaded.currentStep));

  if (failure && !w) {
    return html`<section><p role="alert">${errorText(failure)}</p>
      <button type="button" class="button button-quiet" onClick=${load}>${t("action.retry")}</button>
    </section>`;
  }
  if (!w || !open) return html`<section aria-busy="true"><p class="muted">${t("inbox.loading")}</p></section>`;
  const step = w.steps.find((s) => s.step === open);
  const Form = FORMS[open];
  return html`
    <section class="setup" aria-labelledby="section-title" data-current-step=${w.currentStep}>
      <header class="setup-head">
        <h2 id="section-title">${t("setup.title")}</h2>
        <p class="muted">${w.completed ? t("setup.completed") : t("setup.resume", {
          step: t(`setup.step.${w.currentStep}`) })}</p>
      </header>
      <div class="setup-layout">
        <${Stepper} w=${w} open=${open} setOpen=${choose}/>
        <div class="card setup-step" data-open-step=${open}>
          <h3 ref=${heading} tabindex="-1">${t(`setup.step.${open}`)}
            <span class=${`step-state state-${step.state.toLowerCase()}`}>
              ${t(`setup.state.${step.state}`)}</span></h3>
          <p class="muted small">${t(`setup.about.${open}`)}</p>
          <${Missing} step=${step}/>
          <fieldset class="setup-form" disabled=${readOnly}>
            ${readOnly && html`<p class="muted small">${t("setup.readOnly")}</p>`}
            <${Form} key=${open} w=${w} run=${run} busy=${busy} refusal=${refusal} next=${next}
              reload=${load}/>
          </fieldset>
        </div>
      </div>
    </section>`;
}
