'use strict';
// Label selectors (apimachinery pkg/labels/selector.go) and field selectors (pkg/fields), with the
// per-kind selectable fields kube-apiserver registers (pkg/apis/core/v1/conversion.go and each
// registry's GetAttrs). Unsupported field labels fail exactly as the real conversion functions do.

const { badRequest } = require('../status');

// ---------------------------------------------------------------------------------------------
// Label selectors

// labels.binaryOperators, in the order the parser's error lists them.
const OPS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

function labelSelectorError(selector, why) {
  return badRequest(`unable to parse requirement: ${why}`.replace('%s', selector));
}

// Splits on commas that are not inside a parenthesised value set.
function splitRequirements(text) {
  const parts = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

const KEY_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9](\/([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function parseRequirement(raw, whole) {
  const text = raw.trim();
  if (text === '') throw labelSelectorError(whole, `found '', expected: !, identifier, or 'end of string'`);
  let m = /^!\s*([^\s=!<>(),]+)$/.exec(text);
  if (m) return checkKey({ key: m[1], op: '!' }, whole);
  m = /^([^\s=!<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (m) {
    const values = m[3].split(',').map((v) => v.trim());
    return checkValues(checkKey({ key: m[1], op: m[2], values: m[3].trim() === '' ? [] : values }, whole), whole);
  }
  m = /^([^\s=!<>(),]+)\s*(==|!=|=|>|<)\s*([^\s=!<>(),]*)$/.exec(text);
  if (m) {
    const op = m[2] === '==' ? '=' : m[2];
    if ((op === '>' || op === '<') && !/^-?\d+$/.test(m[3])) {
      throw labelSelectorError(whole, `for 'Gt', 'Lt' operators, the value must be an integer`);
    }
    return checkValues(checkKey({ key: m[1], op, values: [m[3]] }, whole), whole);
  }
  m = /^([^\s=!<>(),]+)$/.exec(text);
  if (m) return checkKey({ key: m[1], op: 'exists' }, whole);
  const after = text.replace(/^[^\s=!<>(),]+\s*/, '');
  throw badRequest(`unable to parse requirement: found '${after.split(/\s+/)[0]}', expected: ${OPS.join(', ')}`);
}

function checkKey(req, whole) {
  if (!KEY_RE.test(req.key) || req.key.length > 317) {
    throw labelSelectorError(whole, `<nil>: Invalid value: "${req.key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`);
  }
  return req;
}

function checkValues(req, whole) {
  for (const v of req.values || []) {
    if (!VALUE_RE.test(v) || v.length > 63) {
      throw labelSelectorError(whole, `values[0][${req.key}]: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`);
    }
  }
  return req;
}

// Returns a predicate over a labels map; an empty selector matches everything.
function parseLabelSelector(text) {
  if (!text || text.trim() === '') return () => true;
  const reqs = splitRequirements(text).map((r) => parseRequirement(r, text));
  return (labels) => reqs.every((r) => matchRequirement(r, labels || {}));
}

function matchRequirement(r, labels) {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'exists': return has;
    case '!': return !has;
    case '=': return has && v === r.values[0];
    case '!=': return !has || v !== r.values[0];
    case 'in': return has && r.values.includes(v);
    case 'notin': return !has || !r.values.includes(v);
    case '>': return has && /^-?\d+$/.test(v) && Number(v) > Number(r.values[0]);
    case '<': return has && /^-?\d+$/.test(v) && Number(v) < Number(r.values[0]);
    default: return false;
  }
}

// metav1.LabelSelector (matchLabels + matchExpressions) as the selector string kubectl prints.
function labelSelectorString(sel) {
  if (!sel) return '';
  const parts = [];
  const reqs = [];
  for (const [k, v] of Object.entries(sel.matchLabels || {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions || []) {
    const values = [...(e.values || [])].sort().join(',');
    const text = {
      In: `${e.key} in (${values})`, NotIn: `${e.key} notin (${values})`, Exists: e.key, DoesNotExist: `!${e.key}`,
    }[e.operator];
    if (text) reqs.push({ key: e.key, text });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const r of reqs) parts.push(r.text);
  return parts.join(',');
}

// True when the labels satisfy a metav1.LabelSelector (the deployment controller's view).
function matchesLabelSelector(sel, labels) {
  if (!sel) return false;
  return parseLabelSelector(labelSelectorString(sel))(labels);
}

// ---------------------------------------------------------------------------------------------
// Field selectors

// fields.ParseSelector: terms joined by ",", each key=value, key==value or key!=value; "\" escapes.
function parseFieldSelector(text) {
  if (!text || text.trim() === '') return [];
  const terms = [];
  for (const raw of splitEscaped(text, ',')) {
    const m = /^(.*?)(==|!=|=)(.*)$/s.exec(raw);
    if (!m || m[1] === '') throw badRequest(`invalid selector: '${text}'; can't understand '${raw}'`);
    terms.push({ field: m[1].trim(), op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]) });
  }
  return terms;
}

function splitEscaped(text, sep) {
  const out = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      cur += text[i] + text[i + 1];
      i++;
    } else if (text[i] === sep) {
      out.push(cur);
      cur = '';
    } else cur += text[i];
  }
  out.push(cur);
  return out;
}

function unescape(v) {
  return v.replace(/\\(.)/g, '$1');
}

const str = (v) => (v === undefined || v === null ? '' : String(v));

// Selectable fields by kind: {label: value-of(object)}. The conversion functions of kinds not
// listed accept only metadata.name and metadata.namespace.
const SELECTABLE = {
  Pod: {
    'spec.nodeName': (o) => o.spec && o.spec.nodeName,
    'spec.restartPolicy': (o) => o.spec && o.spec.restartPolicy,
    'spec.schedulerName': (o) => o.spec && o.spec.schedulerName,
    'spec.serviceAccountName': (o) => o.spec && o.spec.serviceAccountName,
    'spec.hostNetwork': (o) => String(Boolean(o.spec && o.spec.hostNetwork)),
    'status.phase': (o) => o.status && o.status.phase,
    'status.podIP': (o) => o.status && o.status.podIP,
    'status.podIPs': (o) => ((o.status && o.status.podIPs) || []).map((p) => p.ip).join(','),
    'status.nominatedNodeName': (o) => o.status && o.status.nominatedNodeName,
  },
  Node: { 'spec.unschedulable': (o) => String(Boolean(o.spec && o.spec.unschedulable)) },
  Event: Object.fromEntries([
    ...['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((k) =>
      [`involvedObject.${k}`, (o) => o.involvedObject && o.involvedObject[k]]),
    ['reason', (o) => o.reason], ['reportingComponent', (o) => o.reportingComponent],
    ['source', (o) => o.source && o.source.component], ['type', (o) => o.type],
  ]),
  Namespace: { 'status.phase': (o) => o.status && o.status.phase },
  Secret: { type: (o) => o.type },
};

// Kinds whose conversion function is custom ("field label not supported: x"), and whether it
// accepts metadata.namespace.
const CUSTOM = { Pod: true, Node: false, Event: true, Namespace: false, Secret: true };
const ALIASES = { Pod: { 'spec.host': 'spec.nodeName' } };

function convertFieldLabel(kind, label) {
  const alias = ALIASES[kind] && ALIASES[kind][label];
  if (alias) return alias;
  if (label === 'metadata.name') return label;
  if (!(kind in CUSTOM)) {
    if (label === 'metadata.namespace') return label;
    throw badRequest(`"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
  }
  if (label === 'metadata.namespace' && CUSTOM[kind]) return label;
  if (SELECTABLE[kind][label]) return label;
  throw badRequest(`field label not supported: ${label}`);
}

// Returns a predicate over objects of the type; throws the real 400 for unsupported labels.
function compileFieldSelector(type, text) {
  const terms = parseFieldSelector(text).map((t) => ({ ...t, field: convertFieldLabel(type.kind, t.field) }));
  if (terms.length === 0) return () => true;
  return (obj) => terms.every((t) => {
    const v = fieldValue(type.kind, t.field, obj);
    return t.op === '=' ? v === t.value : v !== t.value;
  });
}

function fieldValue(kind, label, obj) {
  if (label === 'metadata.name') return str(obj.metadata.name);
  if (label === 'metadata.namespace') return str(obj.metadata.namespace);
  return str(SELECTABLE[kind][label](obj));
}

// The exact name a field selector pins (fields.Selector.RequiresExactMatch("metadata.name")).
function exactName(text) {
  const terms = parseFieldSelector(text);
  const t = terms.find((x) => x.field === 'metadata.name' && x.op === '=');
  return t ? t.value : null;
}

module.exports = {
  parseLabelSelector, labelSelectorString, matchesLabelSelector, parseFieldSelector, compileFieldSelector,
  convertFieldLabel, exactName,
};
