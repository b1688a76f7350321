'use strict';
// LIST: selectors, resourceVersion semantics and limit/continue pagination as the etcd3 store
// serves them (apiserver pkg/storage/etcd3, pkg/storage/continue.go), in JSON, Table or
// PartialObjectMetadataList form.

const { StatusError, badRequest } = require('../status');
const common = require('./common');
const { parseLabelSelector, compileFieldSelector } = require('./selectors');
const { negotiate, shapeList } = require('./table');

const CONTINUE_EXPIRED = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

function invalidListOptions(errs) {
  return common.invalid('ListOptions', 'meta.k8s.io', '', errs);
}

// metainternalversion/validation ValidateListOptions for a list request.
function validateListOptions(q) {
  const errs = [];
  const match = q.get('resourceVersionMatch') || '';
  const rv = q.get('resourceVersion') || '';
  if (match) {
    if (!rv) errs.push(common.forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (q.get('continue')) errs.push(common.forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(common.notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && rv === '0') errs.push(common.forbiddenField('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (q.has('sendInitialEvents')) errs.push(common.forbiddenField('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  if (errs.length) throw invalidListOptions(errs);
}

function parseRV(text) {
  if (!/^\d+$/.test(text)) throw badRequest(`invalid resource version: strconv.ParseUint: parsing ${common.goQuote(text)}: invalid syntax`);
  return Number(text);
}

function encodeContinue(rv, start) {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token) {
  let c;
  try {
    c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (e) {
    throw badRequest(`continue key is not valid: ${e.message}`);
  }
  if (!c || c.v !== 'meta.k8s.io/v1') {
    throw badRequest(`continue key is not valid: server does not recognize this encoded version ${c && c.v}`);
  }
  if (!c.rv) throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (!c.start) throw badRequest('continue key is not valid: encoded start key empty (version meta.k8s.io/v1)');
  return c;
}

// The key an item sorts by within the list's scope (etcd key minus the list's prefix).
function scopeKey(type, namespace, obj) {
  return type.namespaced && !namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

function tooLargeRV(rv, current) {
  return new StatusError({ code: 504, reason: 'Timeout', message: `Timeout: Too large resource version: ${rv}, current: ${current}`,
    details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 } });
}

// The snapshot a list reads: {items, rv}, per resourceVersion/continue semantics.
function snapshot(store, type, namespace, q, cont) {
  const current = Number(store.resourceVersion());
  if (cont) {
    if (cont.rv === -1) return store.list(type, namespace);
    try {
      return store.listAt(type, namespace, cont.rv);
    } catch (e) {
      if (e.reason !== 'Expired') throw e;
      const err = new StatusError({ code: 410, reason: 'Expired', message: CONTINUE_EXPIRED });
      const token = encodeContinue(-1, cont.start);
      err.toStatus = function toStatus() {
        return { ...StatusError.prototype.toStatus.call(this), metadata: { continue: token } };
      };
      throw err;
    }
  }
  const rvText = q.get('resourceVersion') || '';
  if (rvText === '' || rvText === '0') return store.list(type, namespace);
  const rv = parseRV(rvText);
  if (rv > current) throw tooLargeRV(rv, current);
  if (q.get('resourceVersionMatch') === 'Exact') {
    try {
      return store.listAt(type, namespace, rv);
    } catch (e) {
      if (e.reason !== 'Expired') throw e;
      throw new StatusError({ code: 410, reason: 'Expired', message: 'The resourceVersion for the provided list is too old.' });
    }
  }
  return store.list(type, namespace);
}

// Compiles the request's selectors (400 on bad ones) into one predicate.
function selectorPredicate(ctx, type) {
  const labels = parseLabelSelector(ctx.query.get('labelSelector') || '');
  const fields = compileFieldSelector(type, ctx.query.get('fieldSelector') || '');
  const name = ctx.info.name;
  return {
    match: (o) => labels(o.metadata.labels) && fields(o) && (!name || o.metadata.name === name),
    empty: !ctx.query.get('labelSelector') && !ctx.query.get('fieldSelector') && !name,
  };
}

// The list body: {kind: XList, apiVersion, metadata, items} with items stripped of TypeMeta.
function listObjects(ctx, type) {
  const q = ctx.query;
  validateListOptions(q);
  const pred = selectorPredicate(ctx, type);
  const namespace = ctx.info.namespace;
  const cont = q.get('continue') ? decodeContinue(q.get('continue')) : null;
  if (cont && q.get('resourceVersion') && q.get('resourceVersion') !== '0') {
    throw badRequest('specifying resource version is not allowed when using continue');
  }
  const snap = snapshot(ctx.sim.store, type, namespace, q, cont);
  let items = snap.items;
  if (cont) items = items.filter((o) => scopeKey(type, namespace, o) >= cont.start);
  const limitText = q.get('limit');
  const limit = limitText && /^\d+$/.test(limitText) ? Number(limitText) : 0;
  // The watch cache serves resourceVersion=0 and ignores limit there.
  const paginate = limit > 0 && q.get('resourceVersion') !== '0';
  const selected = [];
  let more = 0;
  for (const o of items) {
    if (!pred.match(o)) continue;
    if (paginate && selected.length >= limit) more++;
    else selected.push(o);
  }
  const rv = cont && cont.rv !== -1 ? String(cont.rv) : snap.resourceVersion;
  const metadata = { resourceVersion: rv };
  if (more > 0) {
    metadata.continue = encodeContinue(Number(rv), `${scopeKey(type, namespace, selected[selected.length - 1])}\u0000`);
    if (pred.empty) metadata.remainingItemCount = more;
  }
  return {
    kind: type.listKind, apiVersion: type.groupVersion, metadata,
    items: selected.map(common.withoutTypeMeta),
  };
}

function handleList(ctx, type) {
  const neg = negotiate(ctx, { list: true });
  const list = listObjects(ctx, type);
  ctx.sendObject(200, shapeList(ctx, type, list, neg));
}

module.exports = { handleList, listObjects, selectorPredicate, validateListOptions, encodeContinue, decodeContinue };
