'use strict';
// GET, POST (create), PUT (update) and PATCH of whole objects, as apiserver pkg/endpoints/handlers
// get.go, create.go, update.go and patch.go run them over the generic registry.

const { StatusError, badRequest, notFound } = require('../status');
const YAML = require('yaml');
const common = require('./common');
const write = require('./write');
const { schemaFor, unknownFields } = require('./schema');
const { applyJSONPatch, applyMergePatch, applyStrategicPatch } = require('./patch');
const { serverSideApply } = require('./apply');
const { applyDefaults } = require('./defaults');
const { negotiate, shapeObject } = require('./table');

function getObject(ctx, type, name = ctx.info.name) {
  const obj = ctx.sim.store.get(type, ctx.info.namespace, name);
  if (!obj) throw notFound(type.resource, name, type.group);
  return obj;
}

function handleGet(ctx, type) {
  const neg = negotiate(ctx, { list: false });
  ctx.sendObject(200, shapeObject(ctx, type, getObject(ctx, type), neg));
}

function respond(ctx, type, code, obj, warnings, neg) {
  ctx.sendObject(code, shapeObject(ctx, type, obj, neg), common.warningHeaders(warnings));
}

function handleCreate(ctx, type) {
  const opts = common.writeOptions(ctx, 'CreateOptions');
  const neg = negotiate(ctx, { list: false });
  const body = ctx.requestObject();
  const warnings = write.decodeChecks(type, body, opts.fieldValidation);
  const obj = write.prepareCreate(ctx.sim, type, body, { namespace: ctx.info.namespace, manager: opts.fieldManager });
  const stored = write.commitCreate(ctx.sim, type, obj, opts);
  respond(ctx, type, 201, stored, warnings, neg);
}

// update.go checkName: the object must name what the URL names.
function checkName(ctx, obj) {
  const meta = obj.metadata || {};
  if ((meta.name || '') !== ctx.info.name) {
    throw badRequest(`the name of the object (${meta.name || ''}) does not match the name on the URL (${ctx.info.name})`);
  }
  if (ctx.info.namespace && meta.namespace && meta.namespace !== ctx.info.namespace) {
    throw badRequest(`the namespace of the object (${meta.namespace}) does not match the namespace on the URL (${ctx.info.namespace})`);
  }
}

// Writes `obj` over the stored object (or creates it for kinds that allow create-on-update).
// Returns {code, stored}.
function updateWith(ctx, type, obj, opts, { subresource = '', managerSubresource } = {}) {
  const old = ctx.sim.store.get(type, ctx.info.namespace, ctx.info.name);
  if (!old) {
    if (!write.CREATE_ON_UPDATE.has(type.kind) || subresource) throw notFound(type.resource, ctx.info.name, type.group);
    const created = write.prepareCreate(ctx.sim, type, obj, { namespace: ctx.info.namespace, manager: opts.fieldManager });
    return { code: 201, stored: write.commitCreate(ctx.sim, type, created, opts) };
  }
  const prepared = write.prepareUpdate(ctx.sim, type, obj, old, { manager: opts.fieldManager, subresource, managerSubresource });
  return { code: 200, stored: write.commitUpdate(ctx.sim, type, prepared, opts) };
}

function handleUpdate(ctx, type, subresource = '') {
  const opts = common.writeOptions(ctx, 'UpdateOptions');
  const neg = negotiate(ctx, { list: false });
  const body = ctx.requestObject();
  const warnings = write.decodeChecks(type, body, opts.fieldValidation);
  checkName(ctx, body);
  const { code, stored } = updateWith(ctx, type, body, opts, { subresource });
  respond(ctx, type, code, stored, warnings, neg);
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
  'application/apply-patch+yaml'];

function patchType(ctx) {
  const t = String(ctx.req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  // go-restful refuses a Content-Type the route does not consume before any handler runs;
  // kube-apiserver turns its ServiceError into this Status (NewGenericServerResponse).
  if (!PATCH_TYPES.includes(t)) {
    throw new StatusError({ code: 415, reason: 'UnsupportedMediaType', message: '415: Unsupported Media Type', details: {} });
  }
  return t;
}

function parsePatchBody(ctx, kind) {
  const text = ctx.body.toString('utf8');
  if (kind === 'application/apply-patch+yaml') {
    try {
      return YAML.parse(text, { uniqueKeys: true });
    } catch (e) {
      throw badRequest(`error decoding YAML: ${e.message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding patch: ${e.message}`);
  }
}

// Strict field validation of a patched object: patch.go reports it as 422 on the "patch" field.
function patchedUnknownFields(type, kindOfBody, patched, patchRepr, validation) {
  if (validation === 'Ignore') return [];
  const texts = unknownFields(kindOfBody, patched).map((p) => `unknown field "${p}"`);
  if (texts.length === 0) return [];
  if (validation === 'Strict') {
    throw common.invalid('', '', '', [common.invalidValue('patch', patchRepr, `strict decoding error: ${texts.join(', ')}`)]);
  }
  return texts;
}

// Applies a classic (non-apply) patch to `current`; returns {obj, warnings}.
function classicPatch(type, kindOfBody, current, kind, patch, validation) {
  const schema = schemaFor(kindOfBody);
  let patched;
  let repr;
  if (kind === 'application/json-patch+json') {
    patched = applyJSONPatch(current, patch);
    repr = JSON.stringify(patched);
  } else if (kind === 'application/merge-patch+json') {
    patched = applyMergePatch(current, patch);
    repr = JSON.stringify(patched);
  } else {
    patched = applyStrategicPatch(current, patch, schema);
    repr = common.goFormat(patch);
  }
  const warnings = patchedUnknownFields(type, kindOfBody, patched, repr, validation);
  return { obj: patched, warnings };
}

function handlePatch(ctx, type) {
  const kind = patchType(ctx);
  const apply = kind === 'application/apply-patch+yaml';
  const opts = common.writeOptions(ctx, 'PatchOptions', { apply });
  const neg = negotiate(ctx, { list: false });
  const patch = parsePatchBody(ctx, kind);
  if (apply) return handleApply(ctx, type, patch, opts, neg);
  const current = getObject(ctx, type);
  const { obj, warnings } = classicPatch(type, type.kind, current, kind, patch, opts.fieldValidation);
  write.decodeChecks(type, obj, 'Ignore');
  checkName(ctx, obj);
  if (!obj.metadata.resourceVersion) obj.metadata.resourceVersion = current.metadata.resourceVersion;
  const { stored } = updateWith(ctx, type, obj, opts);
  return respond(ctx, type, 200, stored, warnings, neg);
}

// Server-side apply to the main resource: creates the object when it is missing (201).
function handleApply(ctx, type, applied, opts, neg) {
  if (applied === null || typeof applied !== 'object' || Array.isArray(applied)) {
    throw badRequest(`error decoding YAML: object must be a map, got ${common.goQuote(typeof applied)}`);
  }
  const warnings = applyUnknownFields(type, applied);
  const live = ctx.sim.store.get(type, ctx.info.namespace, ctx.info.name);
  const appliedName = applied.metadata && applied.metadata.name;
  if (appliedName !== ctx.info.name) {
    throw badRequest(`the name of the object (${appliedName || ''}) does not match the name on the URL (${ctx.info.name})`);
  }
  const schema = schemaFor(type.kind);
  const appliedRV = applied.metadata.resourceVersion;
  if (live && appliedRV && appliedRV !== live.metadata.resourceVersion) {
    throw common.fromStoreError({ reason: 'Conflict', message: 'the object has been modified; please apply your changes to the latest version and try again' }, type, ctx.info.name);
  }
  const merged = serverSideApply({ schema, live, applied, manager: opts.fieldManager, apiVersion: type.groupVersion,
    force: opts.force, finish: (o) => applyDefaults(type.kind, o) });
  const managedFields = merged.metadata.managedFields;
  if (!live) {
    merged.metadata.resourceVersion = undefined;
    const created = write.prepareCreate(ctx.sim, type, merged, { namespace: ctx.info.namespace, manager: opts.fieldManager });
    created.metadata.managedFields = managedFields;
    const stored = write.commitCreate(ctx.sim, type, created, opts);
    return respond(ctx, type, 201, stored, warnings, neg);
  }
  merged.metadata.resourceVersion = live.metadata.resourceVersion;
  const prepared = write.prepareUpdate(ctx.sim, type, merged, live, { manager: opts.fieldManager });
  prepared.metadata.managedFields = managedFields;
  const stored = write.commitUpdate(ctx.sim, type, prepared, opts);
  return respond(ctx, type, 200, stored, warnings, neg);
}

// Unknown fields in an apply configuration: structured-merge-diff refuses them whatever
// fieldValidation says (".spec.foo: field not declared in schema").
function applyUnknownFields(type, applied) {
  const paths = unknownFields(type.kind, applied, 'smd');
  if (paths.length === 0) return [];
  const meta = applied.metadata || {};
  const gvk = `${type.group}/${type.version}, Kind=${type.kind}`;
  const errs = paths.map((p) => `${p}: field not declared in schema`);
  const text = errs.length === 1 ? errs[0] : ['errors:', ...errs.map((e) => `  ${e}`)].join('\n');
  // A plain error from the field manager: kube-apiserver answers 500 with no reason.
  throw new StatusError({ code: 500, message: `failed to create typed patch object (${meta.namespace || ''}/${meta.name || ''}; ${gvk}): ${text}` });
}

module.exports = { handleGet, handleCreate, handleUpdate, handlePatch, getObject, updateWith, classicPatch, patchType,
  parsePatchBody, checkName, respond };
