// Admin: the access group and the employee queue (in its order), the keyword routing rules (in
// theirs, with buttons to reorder) with a live preview of a sample message, the distribution
// mode, and the what-if report that replays past traffic through the rules as edited.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../lib/html.mjs";
import { formatFull, t } from "../lib/i18n.mjs";
import { inbox } from "../lib/inbox.mjs";
import { presence as myPresence } from "../lib/routing.mjs";
import { api, session } from "../lib/session.mjs";
import { useStore } from "../lib/store.mjs";
import { errorText } from "./common.mjs";

const OPERATOR = `id login displayName role active inAccessGroup inQueue queuePosition presence
  holding capacity capacityOverride`;
const RULE = `id position name keywords match enabled activeTargets updatedAt updatedBy
  targets { id displayName }`;
const LOAD = `query Routing {
  routingOperators { ${OPERATOR} }
  routingRules { ${RULE} }
  distributionSettings { mode idleTimeoutSeconds capacity reopenWindowHours }
}`;
const PREVIEW = `query Preview($text: String!) { routePreview(text: $text) {
  rule { id name } fallback toQueue matchedKeywords mode
  recipients { id displayName } wouldAssign { id displayName } } }`;
const WHAT_IF = `query WhatIf($rules: [RoutingRuleInput!]!, $since: DateTime!, $until: DateTime!) {
  routingWhatIf(rules: $rules, since: $since, until: $until) {
    messages changed truncated
    byOperator { operatorId operator { displayName } live proposed delta }
    byRule { ruleId name live proposed }
    samples { dialogId routedAt text liveRule proposedRule liveRecipients proposedRecipients } } }`;

const MODES = ["EVERYBODY", "EVENLY", "IN_ORDER"];
const MATCHES = ["ANY", "ALL", "PHRASE"];

/** A mutation answering `Type | UserError`; returns the refusal, or null. */
async function mutate(name, params, variables, type) {
  const head = Object.keys(params).map((n) => `$${n}: ${params[n]}`).join(", ");
  const args = Object.keys(params).map((n) => `${n}: $${n}`).join(", ");
  const query = `mutation M(${head}) { ${name}(${args}) { __typename
    ... on ${type} { __typename } ... on UserError { code message field } } }`;
  try {
    const result = (await api(query, variables))[name];
    return result.__typename === "UserError" ? result : null;
  } catch (error) {
    return { code: error.code, message: error.message };
  }
}

function useRouting() {
  const [data, setData] = useState(null);
  const [failure, setFailure] = useState(null);
  const load = async () => {
    try {
      setData(await api(LOAD));
      setFailure(null);
    } catch (error) {
      setFailure(error.code);
    }
  };
  useEffect(() => { load(); }, []);
  return { data, failure, load };
}

function Refusal({ refusal }) {
  if (!refusal) return null;
  return html`<p class="form-error" role="alert" data-code=${refusal.code}>
    ${errorText(refusal)}</p>`;
}

// -- the access group and the queue ---------------------------------------------------------------
/** One's own presence as this page knows it live: online (or away, as chosen) while its
 * socket is connected, whatever the read model said when the page loaded. */
function useOwnPresence() {
  const { live } = useStore(inbox);
  const { chosen } = useStore(myPresence);
  return (o) => (o.id === session.get().operator?.id && live === "online"
    ? (chosen === "AWAY" ? "AWAY" : "ONLINE") : o.presence);
}

function Team({ operators, reload }) {
  const [refusal, setRefusal] = useState(null);
  const presenceOf = useOwnPresence();
  const queue = operators.filter((o) => o.inQueue)
    .sort((a, b) => a.queuePosition - b.queuePosition);
  const others = operators.filter((o) => !o.inQueue);
  const run = async (...call) => {
    setRefusal(null);
    const refused = await mutate(...call);
    if (refused) setRefusal(refused);
    await reload();
  };
  const toggleGroup = (o) => run(o.inAccessGroup ? "removeAccessGroupMember" : "addAccessGroupMember",
    { operatorId: "ID!" }, { operatorId: o.id }, "AccessGroup");
  const toggleQueue = (o) => (o.inQueue
    ? run("removeQueueMember", { operatorId: "ID!" }, { operatorId: o.id }, "EmployeeQueue")
    : run("addQueueMember", { operatorId: "ID!" }, { operatorId: o.id }, "EmployeeQueue"));
  const move = (o, step) => run("moveQueueMember", { operatorId: "ID!", position: "Int!" },
    { operatorId: o.id, position: o.queuePosition + step }, "EmployeeQueue");
  const setCapacity = (o, value) => run("setOperatorCapacity",
    { operatorId: "ID!", capacity: "Int" },
    { operatorId: o.id, capacity: value === "" ? null : Number(value) }, "RoutingOperatorsPayload");
  const row = (o) => html`
    <tr key=${o.id} data-operator=${o.login}>
      <td>${o.inQueue ? o.queuePosition + 1 : ""}</td>
      <th scope="row">${o.displayName} <span class="muted small">${o.login}</span></th>
      <td data-presence=${presenceOf(o)}><span
        class=${`presence-dot presence-${presenceOf(o).toLowerCase()}`} aria-hidden="true">
        </span> ${t(`presence.${presenceOf(o)}`)}</td>
      <td>${o.holding}${o.capacity ? ` / ${o.capacity}` : ""}</td>
      <td><label class="check-label"><input type="checkbox" checked=${o.inAccessGroup}
        disabled=${!o.active} onChange=${() => toggleGroup(o)}/>
        <span class="visually-hidden">${t("routing.inGroup", { name: o.displayName })}</span></label></td>
      <td><label class="check-label"><input type="checkbox" checked=${o.inQueue}
        disabled=${!o.inAccessGroup && !o.inQueue} onChange=${() => toggleQueue(o)}
        title=${o.inAccessGroup ? "" : t("routing.groupFirst")}/>
        <span class="visually-hidden">${t("routing.inQueue", { name: o.displayName })}</span></label></td>
      <td class="order">
        ${o.inQueue && html`
          <button type="button" class="button button-quiet button-icon" disabled=${o.queuePosition === 0}
            aria-label=${t("routing.up", { name: o.displayName })} onClick=${() => move(o, -1)}>↑</button>
          <button type="button" class="button button-quiet button-icon"
            disabled=${o.queuePosition === queue.length - 1}
            aria-label=${t("routing.down", { name: o.displayName })} onClick=${() => move(o, 1)}>↓</button>`}
      </td>
      <td><input class="capacity" type="number" min="0" max="500" placeholder=${t("routing.default")}
        value=${o.capacityOverride ?? ""} aria-label=${t("routing.capacityOf", { name: o.displayName })}
        onChange=${(e) => setCapacity(o, e.currentTarget.value)}/></td>
    </tr>`;
  return html`
    <section class="card routing-card" aria-labelledby="team-title">
      <h3 id="team-title">${t("routing.team")}</h3>
      <p class="muted small">${t("routing.teamAbout")}</p>
      <table class="setup-table routing-team">
        <thead><tr>
          <th scope="col">${t("routing.order")}</th><th scope="col">${t("routing.operator")}</th>
          <th scope="col">${t("routing.presence")}</th><th scope="col">${t("routing.load")}</th>
          <th scope="col">${t("routing.group")}</th><th scope="col">${t("routing.queue")}</th>
          <th scope="col"><span class="visually-hidden">${t("routing.move")}</span></th>
          <th scope="col">${t("routing.capacity")}</th>
        </tr></thead>
        <tbody>${queue.map(row)}${others.map(row)}</tbody>
      </table>
      <${Refusal} refusal=${refusal}/>
    </section>`;
}

// -- rules ----------------------------------------------------------------------------------------
const splitKeywords = (text) => text.split(/[\n,;]+/).map((k) => k.trim()).filter(Boolean);

function RuleForm({ rule, operators, onSave, onCancel, onDraft }) {
  const [name, setName] = useState(rule?.name ?? "");
  const [keywords, setKeywords] = useState((rule?.keywords ?? []).join("\n"));
  const [match, setMatch] = useState(rule?.match ?? "ANY");
  const [targets, setTargets] = useState(new Set((rule?.targets ?? []).map((o) => o.id)));
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [refusal, setRefusal] = useState(null);
  const candidates = operators.filter((o) => o.inQueue && o.inAccessGroup);
  const draft = { name, keywords: splitKeywords(keywords), match, targetIds: [...targets], enabled };
  useEffect(() => { onDraft(draft); }, [name, keywords, match, targets, enabled]);
  useEffect(() => () => onDraft(null), []);
  const toggle = (id) => {
    const next = new Set(targets);
    if (next.has(id)) next.delete(id); else next.add(id);
    setTargets(next);
  };
  const submit = async (event) => {
    event.preventDefault();
    const refused = await onSave(draft);
    setRefusal(refused);
  };
  const invalid = (field) => (refusal?.field === field ? "true" : undefined);
  return html`
    <form class="card rule-form setup-form" onSubmit=${submit} novalidate
      aria-label=${t(rule ? "routing.editRule" : "routing.newRule")}>
      <h4>${t(rule ? "routing.editRule" : "routing.newRule")}</h4>
      <div class="field">
        <label for="rule-name">${t("routing.ruleName")}</label>
        <input id="rule-name" value=${name} aria-invalid=${invalid("name")}
          onInput=${(e) => setName(e.currentTarget.value)}/>
      </div>
      <div class="field">
        <label for="rule-keywords">${t("routing.keywords")}</label>
        <textarea id="rule-keywords" rows="3" value=${keywords} aria-invalid=${invalid("keywords")}
          aria-describedby="rule-keywords-hint" onInput=${(e) => setKeywords(e.currentTarget.value)}>
        </textarea>
        <p class="muted small" id="rule-keywords-hint">${t("routing.keywordsHint")}</p>
      </div>
      <fieldset class="setup-choices">
        <legend>${t("routing.match")}</legend>
        ${MATCHES.map((m) => html`<label class="choice" key=${m}>
          <input type="radio" name="rule-match" value=${m} checked=${match === m}
            onChange=${() => setMatch(m)}/>
          <span><strong>${t(`routing.match.${m}`)}</strong>
            <span class="muted small"> ${t(`routing.match.${m}.about`)}</span></span></label>`)}
      </fieldset>
      <fieldset class="setup-choices" aria-invalid=${invalid("targets")}>
        <legend>${t("routing.targets")}</legend>
        ${candidates.length === 0 && html`<p class="muted small">${t("routing.noCandidates")}</p>`}
        ${candidates.map((o) => html`<label class="choice" key=${o.id}>
          <input type="checkbox" name="rule-target" value=${o.id} checked=${targets.has(o.id)}
            onChange=${() => toggle(o.id)}/><span>${o.displayName}</span></label>`)}
      </fieldset>
      <label class="choice"><input type="checkbox" checked=${enabled}
        onChange=${(e) => setEnabled(e.currentTarget.checked)}/><span>${t("routing.enabled")}</span></label>
      <${Refusal} refusal=${refusal}/>
      <div class="setup-actions">
        <button type="submit" class="button button-primary">${t("routing.save")}</button>
        <button type="button" class="button button-quiet" onClick=${onCancel}>${t("desk.cancel")}</button>
      </div>
    </form>`;
}

function Rules({ rules, operators, reload, onDraft }) {
  const [editing, setEditing] = useState(null); // null | "new" | rule id
  const [refusal, setRefusal] = useState(null);
  const run = async (...call) => {
    setRefusal(null);
    const refused = await mutate(...call);
    if (refused) setRefusal(refused);
    await reload();
    return refused;
  };
  const save = async (draft) => {
    const refused = editing === "new"
      ? await run("addRoutingRule", { rule: "RoutingRuleInput!" }, { rule: draft }, "RoutingRulesPayload")
      : await run("updateRoutingRule", { id: "ID!", rule: "RoutingRuleInput!" },
        { id: editing, rule: draft }, "RoutingRulesPayload");
    if (!refused) setEditing(null);
    setRefusal(null);
    return refused;
  };
  const move = (rule, step) => run("moveRoutingRule", { id: "ID!", position: "Int!" },
    { id: rule.id, position: rule.position + step }, "RoutingRulesPayload");
  const toggle = (rule) => run("switchRoutingRule", { id: "ID!", enabled: "Boolean!" },
    { id: rule.id, enabled: !rule.enabled }, "RoutingRulesPayload");
  const remove = (rule) => {
    if (confirm(t("routing.removeConfirm", { name: rule.name }))) {
      run("removeRoutingRule", { id: "ID!" }, { id: rule.id }, "RoutingRulesPayload");
    }
  };
  return html`
    <section class="card routing-card" aria-labelledby="rules-title">
      <h3 id="rules-title">${t("routing.rules")}</h3>
      <p class="muted small">${t("routing.rulesAbout")}</p>
      ${rules.length === 0 && html`<p class="empty">${t("routing.noRules")}</p>`}
      <ol class="rules">
        ${rules.map((rule) => html`
          <li key=${rule.id} class=${`rule${rule.enabled ? "" : " rule-off"}`}
            data-rule=${rule.name}>
            <span class="rule-n" aria-hidden="true">${rule.position + 1}</span>
            <div class="rule-main">
              <p><strong>${rule.name}</strong>
                ${!rule.enabled && html` <span class="chip">${t("routing.off")}</span>`}
                ${rule.activeTargets === 0 && html` <span class="chip chip-warn">
                  ${t("routing.fallsBack")}</span>`}</p>
              <p class="muted small">${t(`routing.match.${rule.match}`)}:
                ${rule.keywords.map((k) => html` <span class="keyword">${k}</span>`)}</p>
              <p class="small">→ ${rule.targets.map((o) => o.displayName).join(", ")}</p>
            </div>
            <div class="rule-tools">
              <button type="button" class="button button-quiet button-icon" disabled=${rule.position === 0}
                aria-label=${t("routing.up", { name: rule.name })} onClick=${() => move(rule, -1)}>↑</button>
              <button type="button" class="button button-quiet button-icon"
                disabled=${rule.position === rules.length - 1}
                aria-label=${t("routing.down", { name: rule.name })} onClick=${() => move(rule, 1)}>↓</button>
              <button type="button" class="button button-quiet" onClick=${() => toggle(rule)}>
                ${t(rule.enabled ? "routing.switchOff" : "routing.switchOn")}</button>
              <button type="button" class="button button-quiet" onClick=${() => setEditing(rule.id)}>
                ${t("routing.edit")}</button>
              <button type="button" class="button button-quiet" onClick=${() => remove(rule)}>
                ${t("routing.remove")}</button>
            </div>
          </li>`)}
      </ol>
      <${Refusal} refusal=${refusal}/>
      ${editing
        ? html`<${RuleForm} key=${editing} rule=${rules.find((r) => r.id === editing)}
            operators=${operators} onSave=${save} onCancel=${() => setEditing(null)}
            onDraft=${(draft) => onDraft(draft && { ...draft, id: editing === "new" ? null : editing })}/>`
        : html`<div class="setup-actions"><button type="button" class="button button-primary"
            onClick=${() => setEditing("new")}>${t("routing.addRule")}</button></div>`}
    </section>`;
}

function Preview({ stamp }) {
  const [text, setText] = useState("");
  const [result, setResult] = useState(null);
  const timer = useRef(null);
  useEffect(() => {
    clearTimeout(timer.current);
    if (!text.trim()) { setResult(null); return undefined; }
    timer.current = setTimeout(async () => {
      try {
        setResult((await api(PREVIEW, { text })).routePreview);
      } catch (error) {
        setResult({ error: error.code });
      }
    }, 250);
    return () => clearTimeout(timer.current);
  }, [text, stamp]);
  const names = (list) => list.map((o) => o.displayName).join(", ") || "—";
  return html`
    <section class="card routing-card" aria-labelledby="preview-title">
      <h3 id="preview-title">${t("routing.preview")}</h3>
      <label for="preview-text" class="muted small">${t("routing.previewAbout")}</label>
      <textarea id="preview-text" rows="2" value=${text}
        placeholder=${t("routing.previewPlaceholder")} onInput=${(e) => setText(e.currentTarget.value)}>
      </textarea>
      <div class="preview-result" role="status" aria-live="polite" data-preview>
        ${result?.error && html`<p class="form-error">${errorText(result.error)}</p>`}
        ${result && !result.error && html`
          <p data-preview-rule=${result.rule?.name ?? ""}>${result.rule
            ? t(result.fallback ? "routing.preview.fallback" : "routing.preview.rule",
              { name: result.rule.name })
            : t("routing.preview.queue")}</p>
          ${result.matchedKeywords.length > 0 && html`<p class="muted small">
            ${t("routing.preview.keywords")} ${result.matchedKeywords.join(", ")}</p>`}
          <p data-preview-recipients=${names(result.recipients)}>
            ${t("routing.preview.recipients")} <strong>${names(result.recipients)}</strong></p>
          ${result.mode !== "EVERYBODY" && html`<p class="muted small">
            ${result.wouldAssign ? t("routing.preview.assign", { name: result.wouldAssign.displayName })
              : t("routing.preview.wait")}</p>`}`}
      </div>
    </section>`;
}

// -- distribution ---------------------------------------------------------------------------------
function Distribution({ settings, reload }) {
  const [mode, setMode] = useState(settings.mode);
  const [timeout, setTimeoutValue] = useState(settings.idleTimeoutSeconds);
  const [capacity, setCapacity] = useState(settings.capacity);
  const [reopen, setReopen] = useState(settings.reopenWindowHours);
  const [refusal, setRefusal] = useState(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => { // what the server holds now (after a save, or another admin's)
    setMode(settings.mode);
    setTimeoutValue(settings.idleTimeoutSeconds);
    setCapacity(settings.capacity);
    setReopen(settings.reopenWindowHours);
  }, [JSON.stringify(settings)]);
  const submit = async (event) => {
    event.preventDefault();
    setSaved(false);
    const refused = await mutate("updateDistributionSettings",
      { mode: "DistributionMode!", idleTimeoutSeconds: "Int!", capacity: "Int!",
        reopenWindowHours: "Int!" },
      { mode, idleTimeoutSeconds: Number(timeout), capacity: Number(capacity),
        reopenWindowHours: Number(reopen) }, "DistributionSettings");
    setRefusal(refused);
    setSaved(!refused);
    await reload();
  };
  return html`
    <section class="card routing-card" aria-labelledby="distribution-title">
      <h3 id="distribution-title">${t("routing.distribution")}</h3>
      <form class="setup-form" onSubmit=${submit} novalidate>
        <fieldset class="setup-choices">
          <legend>${t("routing.mode")}</legend>
          ${MODES.map((m) => html`<label class="choice" key=${m}>
            <input type="radio" name="mode" value=${m} checked=${mode === m}
              onChange=${() => setMode(m)}/>
            <span><strong>${t(`routing.mode.${m}`)}</strong>
              <span class="muted small"> ${t(`routing.mode.${m}.about`)}</span></span></label>`)}
        </fieldset>
        <div class="setup-row">
          <div class="field"><label for="idle-timeout">${t("routing.idleTimeout")}</label>
            <input id="idle-timeout" type="number" min="10" value=${timeout}
              disabled=${mode !== "IN_ORDER"} onInput=${(e) => setTimeoutValue(e.currentTarget.value)}/></div>
          <div class="field"><label for="capacity">${t("routing.defaultCapacity")}</label>
            <input id="capacity" type="number" min="0" value=${capacity}
              onInput=${(e) => setCapacity(e.currentTarget.value)}/></div>
          <div class="field"><label for="reopen">${t("routing.reopenWindow")}</label>
            <input id="reopen" type="number" min="0" value=${reopen}
              onInput=${(e) => setReopen(e.currentTarget.value)}/></div>
        </div>
        <${Refusal} refusal=${refusal}/>
        <div class="setup-actions">
          <button type="submit" class="button button-primary">${t("routing.save")}</button>
          ${saved && html`<span class="muted" role="status">${t("routing.saved")}</span>`}
        </div>
      </form>
    </section>`;
}

// -- what if --------------------------------------------------------------------------------------
const localInput = (date) => new Date(date.getTime() - date.getTimezoneOffset() * 60000)
  .toISOString().slice(0, 16);

function asInput(rule) {
  return { id: rule.id, name: rule.name, keywords: rule.keywords, match: rule.match,
    targetIds: rule.targets.map((o) => o.id), enabled: rule.enabled };
}

function WhatIf({ rules, draft, operators }) {
  const [since, setSince] = useState(() => localInput(new Date(Date.now() - 7 * 86400000)));
  const [until, setUntil] = useState(() => localInput(new Date(Date.now() + 60000)));
  const [report, setReport] = useState(null);
  const [refusal, setRefusal] = useState(null);
  const [busy, setBusy] = useState(false);
  const proposal = () => {
    const list = rules.map(asInput);
    if (!draft) return list;
    const { id, ...edited } = draft;
    const at = list.findIndex((r) => r.id === id);
    if (at >= 0) list[at] = { ...edited, id };
    else list.push(edited);
    return list;
  };
  const names = Object.fromEntries(operators.map((o) => [o.id, o.displayName]));
  const run = async (event) => {
    event.preventDefault();
    setBusy(true);
    setRefusal(null);
    try {
      const { routingWhatIf } = await api(WHAT_IF, { rules: proposal(),
        since: new Date(since).toISOString(), until: new Date(until).toISOString() });
      setReport(routingWhatIf);
    } catch (error) {
      setRefusal({ code: error.code, message: error.message });
    } finally {
      setBusy(false);
    }
  };
  const delta = (n) => (n > 0 ? `+${n}` : String(n));
  return html`
    <section class="card routing-card" aria-labelledby="whatif-title">
      <h3 id="whatif-title">${t("routing.whatIf")}</h3>
      <p class="muted small">${t(draft ? "routing.whatIfDraft" : "routing.whatIfAbout")}</p>
      <form class="setup-row" onSubmit=${run}>
        <div class="field"><label for="whatif-since">${t("routing.since")}</label>
          <input id="whatif-since" type="datetime-local" value=${since}
            onInput=${(e) => setSince(e.currentTarget.value)}/></div>
        <div class="field"><label for="whatif-until">${t("routing.until")}</label>
          <input id="whatif-until" type="datetime-local" value=${until}
            onInput=${(e) => setUntil(e.currentTarget.value)}/></div>
        <div class="setup-actions"><button type="submit" class="button button-primary"
          disabled=${busy}>${t("routing.replay")}</button></div>
      </form>
      <${Refusal} refusal=${refusal}/>
      ${report && html`
        <div class="whatif-report" data-whatif-messages=${report.messages}
          data-whatif-changed=${report.changed}>
          <p><strong>${t("routing.whatIf.summary", { count: report.messages })}</strong>
            ${" "}${t("routing.whatIf.changed", { count: report.changed })}
            ${report.truncated && html` <span class="chip chip-warn">${t("routing.whatIf.truncated")}</span>`}</p>
          <table class="setup-table">
            <caption class="muted small">${t("routing.whatIf.byOperator")}</caption>
            <thead><tr><th scope="col">${t("routing.operator")}</th><th scope="col">${t("routing.live")}</th>
              <th scope="col">${t("routing.proposed")}</th><th scope="col">${t("routing.delta")}</th></tr></thead>
            <tbody>${report.byOperator.map((row) => html`<tr key=${row.operatorId}>
              <th scope="row">${row.operator?.displayName ?? row.operatorId}</th><td>${row.live}</td>
              <td>${row.proposed}</td><td class=${row.delta ? "delta" : ""}>${delta(row.delta)}</td></tr>`)}
            </tbody>
          </table>
          <table class="setup-table">
            <caption class="muted small">${t("routing.whatIf.byRule")}</caption>
            <thead><tr><th scope="col">${t("routing.rule")}</th><th scope="col">${t("routing.live")}</th>
              <th scope="col">${t("routing.proposed")}</th></tr></thead>
            <tbody>${report.byRule.map((row) => html`<tr key=${row.ruleId ?? "queue"}>
              <th scope="row">${row.ruleId ? row.name : t("routing.queueName")}</th>
              <td>${row.live}</td><td>${row.proposed}</td></tr>`)}</tbody>
          </table>
          ${report.samples.length > 0 && html`
            <details><summary>${t("routing.whatIf.samples")}</summary>
              <ul class="whatif-samples">${report.samples.map((s) => html`<li key=${s.dialogId}>
                <p>«${s.text}» <span class="muted small">${formatFull(s.routedAt)}</span></p>
                <p class="small">${s.liveRule} (${s.liveRecipients.map((i) => names[i] ?? i).join(", ")})
                  → ${s.proposedRule} (${s.proposedRecipients.map((i) => names[i] ?? i).join(", ")})</p>
              </li>`)}</ul></details>`}
        </div>`}
    </section>`;
}

export function RoutingPage() {
  const { data, failure, load } = useRouting();
  const [draft, setDraft] = useState(null);
  const [stamp, setStamp] = useState(0);
  const reload = async () => { await load(); setStamp((n) => n + 1); };
  if (failure && !data) {
    return html`<div class="empty" role="alert">${errorText(failure)}
      <button type="button" class="button button-quiet" onClick=${load}>${t("action.retry")}</button></div>`;
  }
  if (!data) return html`<p class="empty" aria-busy="true">${t("inbox.loading")}</p>`;
  return html`
    <section class="routing" aria-labelledby="section-title">
      <h2 id="section-title">${t("admin.queue")}</h2>
      <p class="muted">${t("admin.queue.about")}</p>
      <${Team} operators=${data.routingOperators} reload=${reload}/>
      <div class="routing-rules-layout">
        <${Rules} rules=${data.routingRules} operators=${data.routingOperators} reload=${reload}
          onDraft=${setDraft}/>
        <${Preview} stamp=${stamp}/>
      </div>
      <${Distribution} settings=${data.distributionSettings} reload=${reload}/>
      <${WhatIf} rules=${data.routingRules} draft=${draft} operators=${data.routingOperators}/>
    </section>`;
}
