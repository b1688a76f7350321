'use strict';
// Helpers every resource handler shares: request options as kube-apiserver decodes them, the
// Status errors it answers with, and small JSON utilities.

const { StatusError, notFound, alreadyExists, conflict, qualified } = require('../status');
const { parseBool } = require('../requestinfo');

// schema.GroupKind.String(): "Pod", "Deployment.apps".
function qualifiedKind(kind, group) {
  return group ? `${kind}.${group}` : kind;
}

// apimachinery errors.NewInvalid: the message names the group-qualified kind; details carry the
// bare kind and the group apart.
function invalid(kind, group, name, errs) {
  const causes = errs.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field }));
  const texts = errs.map((e) => `${e.field}: ${errorBody(e)}`);
  const list = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const qk = qualifiedKind(kind, group);
  const message = errs.length ? `${qk} "${name}" is invalid: ${list}` : `${qk} "${name}" is invalid`;
  const details = {};
  if (name) details.name = name;
  if (group) details.group = group;
  if (kind) details.kind = kind;
  details.causes = causes;
  return new StatusError({ code: 422, reason: 'Invalid', message, details });
}

// field.Error constructors (apimachinery pkg/util/validation/field/errors.go).
const TYPE_TEXT = {
  FieldValueRequired: 'Required value', FieldValueInvalid: 'Invalid value', FieldValueForbidden: 'Forbidden',
  FieldValueNotSupported: 'Unsupported value', FieldValueDuplicate: 'Duplicate value', FieldValueTooLong: 'Too long',
};

function fieldError(type, field, value, detail) {
  return { type, field, value, detail };
}
const required = (field, detail) => fieldError('FieldValueRequired', field, undefined, detail);
const invalidValue = (field, value, detail) => fieldError('FieldValueInvalid', field, value, detail);
const forbiddenField = (field, detail) => fieldError('FieldValueForbidden', field, undefined, detail);
const notSupported = (field, value, valid) =>
  fieldError('FieldValueNotSupported', field, value, `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`);

// field.Error.ErrorBody(): the type, the bad value (%q for strings, %v for numbers and booleans),
// then the detail.
function errorBody(e) {
  let s = TYPE_TEXT[e.type] || e.type;
  if (!['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong'].includes(e.type)) {
    const v = e.value;
    if (e.rawValue !== undefined) s += `: ${e.rawValue}`;
    else if (v === null || v === undefined) s += ': "null"';
    else if (typeof v === 'string') s += `: ${goQuote(v)}`;
    else if (typeof v === 'number' || typeof v === 'boolean') s += `: ${v}`;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) s += `: []string{${v.map(goQuote).join(', ')}}`;
    else s += `: ${goFormat(v)}`;
  }
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

// Go's %q for a string.
function goQuote(s) {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

// Go's %v of the decoded JSON value (map[k:v] with sorted keys, [a b] for slices).
function goFormat(v) {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (typeof v === 'object') {
    return `map[${Object.keys(v).sort().map((k) => `${k}:${goFormat(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

// Maps a store failure to the Status the real registry returns.
function fromStoreError(err, type, name) {
  if (!err || !err.reason) return err;
  const group = type.group;
  switch (err.reason) {
    case 'NotFound': return notFound(type.resource, name, group);
    case 'AlreadyExists': return alreadyExists(type.resource, name, group);
    case 'Conflict': return conflict(type.resource, name, group, err.message);
    case 'Expired': return new StatusError({ code: 410, reason: 'Expired', message: err.message });
    default: return err;
  }
}

function isTrue(query, name) {
  return parseBool(query.getAll(name));
}

// The write options of a request (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions), validated
// as apimachinery's Validate*Options do: one 422 naming every bad option.
function writeOptions(ctx, optionsKind, { apply = false } = {}) {
  const q = ctx.query;
  const errs = [];
  const dry = q.getAll('dryRun');
  if (dry.some((v) => v !== 'All')) errs.push(notSupported('dryRun', dry, ['All']));
  const manager = q.get('fieldManager') || '';
  if (apply && !manager) errs.push(required('fieldManager', 'is required for apply patch'));
  if (manager.length > 128) errs.push(fieldError('FieldValueTooLong', 'fieldManager', manager, 'may not be more than 128 bytes'));
  const validation = q.get('fieldValidation') || '';
  if (!['', 'Ignore', 'Strict', 'Warn'].includes(validation)) {
    errs.push(notSupported('fieldValidation', validation, ['', 'Ignore', 'Strict', 'Warn']));
  }
  if (optionsKind === 'PatchOptions' && !apply && q.has('force')) {
    errs.push(forbiddenField('force', 'may not be specified for non-apply patch'));
  }
  if (errs.length) throw invalid(optionsKind, 'meta.k8s.io', '', errs);
  return {
    dryRun: dry.length > 0,
    fieldManager: manager || defaultManager(ctx),
    fieldValidation: validation || 'Warn',
    force: isTrue(q, 'force'),
  };
}

// kube-apiserver's default field manager: the User-Agent up to the first "/" (managerOrUserAgent).
function defaultManager(ctx) {
  const ua = ctx.req.headers['user-agent'] || '';
  return ua.split('/')[0].slice(0, 128);
}

// A `Warning: 299 - "text"` header value for each text (apiserver pkg/warning).
function warningHeaders(warnings) {
  if (!warnings || warnings.length === 0) return {};
  return { Warning: warnings.map((w) => `299 - ${goQuote(w)}`) };
}

function deepEqual(a, b) {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// RFC 3339 with seconds, as metav1.Time; MicroTime has microseconds.
function timestamp(date = new Date()) {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function microTimestamp(date = new Date()) {
  return `${date.toISOString().slice(0, 23)}000Z`;
}

// go-restful's answer to a method no route of the path takes (NewGenericServerResponse(405)).
function methodNotAllowed() {
  return new StatusError({ code: 405, reason: 'MethodNotAllowed',
    message: 'the server does not allow this method on the requested resource', details: {} });
}

// A list item as JSON lists of built-in kinds carry it: without kind and apiVersion.
function withoutTypeMeta(obj) {
  const out = { ...obj };
  delete out.kind;
  delete out.apiVersion;
  return out;
}

// The kind's "group/version" for managedFields and TypeMeta.
function apiVersionOf(type) {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

module.exports = {
  qualified, qualifiedKind, invalid, fieldError, required, invalidValue, forbiddenField, notSupported, errorBody,
  goQuote, goFormat, fromStoreError, isTrue, writeOptions, defaultManager, warningHeaders, deepEqual,
  sortKeys, isObject, timestamp, microTimestamp, apiVersionOf, withoutTypeMeta, methodNotAllowed,
};
