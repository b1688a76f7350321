'use strict';
// Response shapes chosen by the Accept header (apiserver handlers/negotiation and response.go):
// plain objects, meta.k8s.io Tables (kubectl get), and PartialObjectMetadata(List).

const { StatusError, badRequest } = require('../status');
const { printerFor } = require('./printers');

const META_VERSIONS = new Set(['v1', 'v1beta1']);

function parseAccept(header) {
  return String(header || '').split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const p = {};
    for (const kv of params) {
      const i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim();
    }
    return { type: type.toLowerCase(), params: p };
  }).filter((m) => m.type);
}

const PLAIN = new Set(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', '*/*', 'application/*',
  'application/json;stream=watch']);

// What the client asked for: {as: null|'Table'|'PartialObjectMetadata'|'PartialObjectMetadataList', version}.
// `list` says whether the response is a list. The first acceptable media type wins; none is 406.
function negotiate(ctx, { list }) {
  const accepts = parseAccept(ctx.req.headers.accept);
  if (accepts.length === 0) return { as: null };
  for (const m of accepts) {
    const as = m.params.as;
    if (!as) {
      if (PLAIN.has(m.type)) return { as: null };
      continue;
    }
    if (m.params.g !== 'meta.k8s.io' || !META_VERSIONS.has(m.params.v)) continue;
    if (as === 'Table') return { as, version: m.params.v };
    if (as === 'PartialObjectMetadata' && !list) return { as, version: m.params.v };
    if (as === 'PartialObjectMetadataList' && list) return { as, version: m.params.v };
  }
  throw new StatusError({ code: 406, reason: 'NotAcceptable',
    message: 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf' });
}

function includeObject(ctx) {
  const v = ctx.query.get('includeObject');
  if (v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw badRequest(`unrecognized includeObject value: "${v}"`);
}

function partial(obj, version) {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function row(type, obj, printer, include, version) {
  const r = { cells: printer.cells(obj) };
  const conditions = printer.conditions && printer.conditions(obj);
  if (conditions) r.conditions = conditions;
  if (include === 'Object') r.object = { kind: type.kind, apiVersion: type.groupVersion, ...obj };
  else if (include === 'Metadata') r.object = partial(obj, version);
  return r;
}

// A Table of objects. listMeta is the list's metadata (or {resourceVersion} of the one object);
// noHeaders leaves columnDefinitions null, as watch events after the first do.
function toTable(ctx, type, objects, listMeta, { version = 'v1', noHeaders = false } = {}) {
  const printer = printerFor(type.kind);
  const include = includeObject(ctx);
  return {
    kind: 'Table', apiVersion: `meta.k8s.io/${version}`, metadata: listMeta,
    columnDefinitions: noHeaders ? null : printer.columns,
    rows: objects.map((o) => row(type, o, printer, include, version)),
  };
}

// The object in the negotiated form (get, create, update, patch, delete responses).
function shapeObject(ctx, type, obj, neg) {
  if (!neg || !neg.as) return obj;
  if (neg.as === 'Table') return toTable(ctx, type, [obj], { resourceVersion: obj.metadata.resourceVersion }, neg);
  return partial(obj, neg.version);
}

function shapeList(ctx, type, list, neg) {
  if (!neg || !neg.as) return list;
  if (neg.as === 'Table') return toTable(ctx, type, list.items, list.metadata, neg);
  return { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${neg.version}`, metadata: list.metadata,
           items: list.items.map((o) => partial(o, neg.version)) };
}

module.exports = { negotiate, toTable, shapeObject, shapeList, includeObject, parseAccept };
