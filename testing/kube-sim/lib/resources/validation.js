'use strict';
// Object validation with kube-apiserver's messages: ObjectMeta (apimachinery pkg/api/validation),
// name formats (pkg/util/validation), and the few kind rules clients commonly run into. The
// result is a list of field errors for common.invalid().

const { required, invalidValue, forbiddenField, goQuote } = require('./common');

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE = `(${QUALIFIED_NAME})?`;
const CONFIG_KEY = '[-._a-zA-Z0-9]+';

function regexError(msg, fmt, ...examples) {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const full = (re) => new RegExp(`^${re}$`);

function isDNS1123Subdomain(v) {
  const errs = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!full(DNS1123_SUBDOMAIN).test(v)) {
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN, 'example.com'));
  }
  return errs;
}

function isDNS1123Label(v) {
  const errs = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!full(DNS1123_LABEL).test(v)) {
    if (full(DNS1123_SUBDOMAIN).test(v)) errs.push('must not contain dots');
    else errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", DNS1123_LABEL, 'my-name', '123-abc'));
  }
  return errs;
}

function isPathSegmentName(v, prefix) {
  if (!prefix && (v === '.' || v === '..')) return [`may not be '${v}'`];
  return ['/', '%'].filter((c) => v.includes(c)).map((c) => `may not contain '${c}'`);
}

// A generateName prefix may end in "-" (maskTrailingDash).
function maskTrailingDash(v) {
  return v.length > 1 && v.endsWith('-') ? `${v.slice(0, -1)}a` : v;
}

// The name rule of each kind: namespaces are DNS labels, RBAC objects path segments, the rest
// DNS subdomains.
function nameErrors(kind, name, prefix) {
  if (kind === 'Namespace') return isDNS1123Label(prefix ? maskTrailingDash(name) : name);
  if (['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(kind)) return isPathSegmentName(name, prefix);
  return isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
}

function isQualifiedName(v) {
  const errs = [];
  const parts = v.split('/');
  let name;
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [`a qualified name ${regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!full(QUALIFIED_NAME).test(name)) {
    errs.push(`name part ${regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

function labelValueErrors(v) {
  const errs = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!full(LABEL_VALUE).test(v)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", LABEL_VALUE, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

function metaErrors(type, meta) {
  const errs = [];
  if (meta.generateName) {
    for (const m of nameErrors(type.kind, meta.generateName, true)) errs.push(invalidValue('metadata.generateName', meta.generateName, m));
  }
  if (!meta.name) errs.push(required('metadata.name', 'name or generateName is required'));
  else for (const m of nameErrors(type.kind, meta.name, false)) errs.push(invalidValue('metadata.name', meta.name, m));
  if (!type.namespaced && meta.namespace) errs.push(forbiddenField('metadata.namespace', 'not allowed on this type'));
  for (const [k, v] of Object.entries(meta.labels || {})) {
    for (const m of isQualifiedName(k)) errs.push(invalidValue('metadata.labels', k, m));
    for (const m of labelValueErrors(String(v))) errs.push(invalidValue('metadata.labels', String(v), m));
  }
  for (const k of Object.keys(meta.annotations || {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalidValue('metadata.annotations', k, m));
  }
  return errs;
}

function containerErrors(list, path) {
  const errs = [];
  (list || []).forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!c || !c.name) errs.push(required(`${p}.name`));
    else for (const m of isDNS1123Label(c.name)) errs.push(invalidValue(`${p}.name`, c.name, m));
    if (!c || !c.image) errs.push(required(`${p}.image`));
  });
  return errs;
}

function podSpecErrors(spec, path) {
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) return [required(`${path}.containers`)];
  return [...containerErrors(spec.initContainers, `${path}.initContainers`), ...containerErrors(spec.containers, `${path}.containers`)];
}

// Go's %#v of a map[string]string, as the deployment validator prints template labels.
function goStringMap(m) {
  return `map[string]string{${Object.keys(m || {}).sort().map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`).join(', ')}}`;
}

// ValidateDeploymentSpec and ValidateReplicaSetSpec share these rules and messages (the replica
// set's says "deployment" too), as does apps/v1's immutable selector.
function deploymentErrors(d, old, selectorMatches) {
  const spec = d.spec || {};
  const errs = [];
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    errs.push(invalidValue('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  }
  const sel = spec.selector;
  const empty = !sel || (!Object.keys(sel.matchLabels || {}).length && !(sel.matchExpressions || []).length);
  if (!sel) errs.push(required('spec.selector'));
  else if (empty) errs.push(invalidValue('spec.selector', sel, 'empty selector is invalid for deployment'));
  const labels = (spec.template && spec.template.metadata && spec.template.metadata.labels) || {};
  if (!empty && !selectorMatches(sel, labels)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', rawValue: goStringMap(labels),
                detail: '`selector` does not match template `labels`' });
  }
  errs.push(...podSpecErrors(spec.template && spec.template.spec, 'spec.template.spec'));
  if (old && JSON.stringify(old.spec && old.spec.selector) !== JSON.stringify(sel)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.selector', rawValue: goLabelSelector(sel), detail: 'field is immutable' });
  }
  return errs;
}

function goLabelSelector(sel) {
  const ml = sel && sel.matchLabels ? goStringMap(sel.matchLabels) : 'map[string]string(nil)';
  return `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`;
}

function dataKeyErrors(obj, field) {
  const errs = [];
  for (const k of Object.keys(obj[field] || {})) {
    if (k.length > 253 || !full(CONFIG_KEY).test(k)) {
      errs.push(invalidValue(`${field}[${k}]`, k, regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_KEY, 'key.name', 'KEY_NAME', 'key-name')));
    }
  }
  return errs;
}

// All field errors of obj as a `type` object; `old` is the stored object on update.
function validate(type, obj, { old = null, selectorMatches = () => true } = {}) {
  const errs = metaErrors(type, obj.metadata || {});
  switch (type.kind) {
    case 'Pod': errs.push(...podSpecErrors(obj.spec, 'spec')); break;
    case 'Deployment':
    case 'ReplicaSet': errs.push(...deploymentErrors(obj, old, selectorMatches)); break;
    case 'ConfigMap': errs.push(...dataKeyErrors(obj, 'data'), ...dataKeyErrors(obj, 'binaryData')); break;
    case 'Secret': errs.push(...dataKeyErrors(obj, 'data')); break;
    default:
  }
  if (old && (old.immutable === true) && ['ConfigMap', 'Secret'].includes(type.kind)) {
    if (JSON.stringify(old.data) !== JSON.stringify(obj.data)) {
      errs.push(forbiddenField('data', 'field is immutable when `immutable` is set'));
    }
  }
  return errs;
}

module.exports = { validate, nameErrors, isDNS1123Subdomain, isDNS1123Label, regexError };
