'use strict';
// Subresources other than the pod streams: */status, deployments/scale and replicasets/scale
// (autoscaling/v1 Scale), pods/eviction, namespaces/finalize and serviceaccounts/token.

const crypto = require('node:crypto');
const { badRequest, pathNotFound } = require('../status');
const common = require('./common');
const write = require('./write');
const crud = require('./crud');
const { deleteOne } = require('./delete');
const { labelSelectorString } = require('./selectors');
const { negotiate } = require('./table');
const { merge } = require('./apply');
const { schemaFor } = require('./schema');

const { methodNotAllowed } = common;

// ---------------------------------------------------------------------------------------------
// status

function handleStatus(ctx, type) {
  const verb = ctx.info.verb;
  if (verb === 'get') return crud.handleGet(ctx, type);
  if (verb === 'update') return crud.handleUpdate(ctx, type, 'status');
  if (verb === 'patch') return patchStatus(ctx, type);
  throw methodNotAllowed();
}

function patchStatus(ctx, type) {
  const kind = crud.patchType(ctx);
  const apply = kind === 'application/apply-patch+yaml';
  const opts = common.writeOptions(ctx, 'PatchOptions', { apply });
  const patch = crud.parsePatchBody(ctx, kind);
  const current = crud.getObject(ctx, type);
  let obj;
  let warnings = [];
  if (apply) obj = merge(schemaFor(type.kind), current, patch);
  else ({ obj, warnings } = crud.classicPatch(type, type.kind, current, kind, patch, opts.fieldValidation));
  write.decodeChecks(type, obj, 'Ignore');
  crud.checkName(ctx, obj);
  obj.metadata.resourceVersion = obj.metadata.resourceVersion || current.metadata.resourceVersion;
  const { stored } = crud.updateWith(ctx, type, obj, opts, { subresource: 'status' });
  crud.respond(ctx, type, 200, stored, warnings, null);
}


// ---------------------------------------------------------------------------------------------
// scale

function toScale(d) {
  const m = d.metadata;
  const metadata = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion,
                     creationTimestamp: m.creationTimestamp };
  const status = { replicas: (d.status && d.status.replicas) || 0 };
  const selector = labelSelectorString(d.spec && d.spec.selector);
  if (selector) status.selector = selector;
  return { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata, spec: { replicas: (d.spec && d.spec.replicas) ?? 0 }, status };
}

const SCALE_TYPE = { kind: 'Scale', group: 'autoscaling', version: 'v1', groupVersion: 'autoscaling/v1', resource: 'deployments' };

function handleScale(ctx, type) {
  const verb = ctx.info.verb;
  negotiate(ctx, { list: false });
  const d = crud.getObject(ctx, type);
  if (verb === 'get') return ctx.sendObject(200, toScale(d));
  if (verb !== 'update' && verb !== 'patch') throw methodNotAllowed();
  const isPatch = verb === 'patch';
  const kind = isPatch ? crud.patchType(ctx) : null;
  const apply = kind === 'application/apply-patch+yaml';
  const opts = common.writeOptions(ctx, isPatch ? 'PatchOptions' : 'UpdateOptions', { apply });
  let scale;
  let warnings = [];
  if (!isPatch) {
    scale = ctx.requestObject();
    warnings = write.decodeChecks({ ...SCALE_TYPE, version: 'v1' }, scale, opts.fieldValidation, 'Scale');
  } else {
    const patch = crud.parsePatchBody(ctx, kind);
    if (apply) scale = merge(schemaFor('Scale'), toScale(d), patch);
    else ({ obj: scale, warnings } = crud.classicPatch(SCALE_TYPE, 'Scale', toScale(d), kind, patch, opts.fieldValidation));
  }
  crud.checkName(ctx, scale);
  const replicas = scale.spec && scale.spec.replicas;
  if (typeof replicas !== 'number' || replicas < 0) {
    throw common.invalid('Scale', 'autoscaling', ctx.info.name, [common.invalidValue('spec.replicas', replicas ?? 0, 'must be greater than or equal to 0')]);
  }
  const rv = scale.metadata && scale.metadata.resourceVersion;
  const next = { ...d, spec: { ...d.spec, replicas } };
  next.metadata = { ...d.metadata, resourceVersion: rv || d.metadata.resourceVersion };
  const { stored } = crud.updateWith(ctx, type, next, opts, { managerSubresource: 'scale' });
  ctx.sendObject(200, toScale(stored), common.warningHeaders(warnings));
}

// ---------------------------------------------------------------------------------------------
// pods/eviction: 201 Status Success, then the pod is deleted as the Eviction's DeleteOptions say.

function handleEviction(ctx, type) {
  if (ctx.info.verb !== 'create') throw methodNotAllowed();
  const body = ctx.requestObject() || {};
  const name = body.metadata && body.metadata.name;
  if (name && name !== ctx.info.name) {
    throw badRequest(`name in URL does not match name in Eviction object`);
  }
  const pod = crud.getObject(ctx, type);
  const opts = { ...(body.deleteOptions || {}), dryRun: common.writeOptions(ctx, 'CreateOptions').dryRun };
  deleteOne(ctx.sim, type, pod, opts);
  ctx.sendObject(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

// ---------------------------------------------------------------------------------------------
// namespaces/finalize: only spec.finalizers change; a terminating namespace left with none goes.

function handleFinalize(ctx, type) {
  if (ctx.info.verb !== 'update') throw methodNotAllowed();
  const opts = common.writeOptions(ctx, 'UpdateOptions');
  const body = ctx.requestObject();
  write.decodeChecks(type, body, opts.fieldValidation);
  crud.checkName(ctx, body);
  const ns = crud.getObject(ctx, type);
  const next = structuredClone(ns);
  next.spec = { ...(ns.spec || {}), finalizers: (body.spec && body.spec.finalizers) || [] };
  if (body.metadata && body.metadata.resourceVersion) next.metadata.resourceVersion = body.metadata.resourceVersion;
  if (opts.dryRun) return ctx.sendObject(200, next);
  let stored;
  try {
    stored = ctx.sim.store.update(type, next);
  } catch (e) {
    throw common.fromStoreError(e, type, ctx.info.name);
  }
  if (stored.metadata.deletionTimestamp && !stored.spec.finalizers.length && !(stored.metadata.finalizers || []).length) {
    ctx.sim.store.delete(type, '', ctx.info.name);
  }
  return ctx.sendObject(200, stored);
}

// ---------------------------------------------------------------------------------------------
// serviceaccounts/token: a TokenRequest answered with a JWT-shaped token signed by kube-sim's own
// key (HMAC), registered in sim.serviceAccountTokens so an authenticator can honour it.

const DEFAULT_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

function signingKey(sim) {
  if (!sim.tokenSigningKey) sim.tokenSigningKey = crypto.randomBytes(32);
  return sim.tokenSigningKey;
}

function b64url(v) {
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
}

function issueToken(sim, sa, audiences, expirationSeconds, boundObjectRef) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: audiences, exp: now + expirationSeconds, iat: now, iss: DEFAULT_AUDIENCE, jti: crypto.randomUUID(),
    'kubernetes.io': { namespace: sa.metadata.namespace, serviceaccount: { name: sa.metadata.name, uid: sa.metadata.uid } },
    nbf: now, sub: `system:serviceaccount:${sa.metadata.namespace}:${sa.metadata.name}`,
  };
  if (boundObjectRef && boundObjectRef.kind) {
    claims['kubernetes.io'][String(boundObjectRef.kind).toLowerCase()] = { name: boundObjectRef.name, uid: boundObjectRef.uid };
  }
  const head = b64url({ alg: 'HS256', kid: 'kube-sim' });
  const body = b64url(claims);
  const sig = crypto.createHmac('sha256', signingKey(sim)).update(`${head}.${body}`).digest('base64url');
  const token = `${head}.${body}.${sig}`;
  if (!sim.serviceAccountTokens) sim.serviceAccountTokens = new Map();
  sim.serviceAccountTokens.set(token, {
    username: claims.sub, uid: sa.metadata.uid, expires: claims.exp * 1000,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.metadata.namespace}`, 'system:authenticated'],
  });
  return { token, expirationTimestamp: common.timestamp(new Date(claims.exp * 1000)) };
}

function handleToken(ctx, type) {
  if (ctx.info.verb !== 'create') throw methodNotAllowed();
  const opts = common.writeOptions(ctx, 'CreateOptions');
  const body = ctx.requestObject() || {};
  const trType = { ...SCALE_TYPE, kind: 'TokenRequest', group: 'authentication.k8s.io', groupVersion: 'authentication.k8s.io/v1' };
  write.decodeChecks(trType, body, 'Ignore', 'TokenRequest');
  const sa = crud.getObject(ctx, type);
  const spec = { ...(body.spec || {}) };
  const errs = [];
  const reqName = body.metadata && body.metadata.name;
  if (reqName && reqName !== ctx.info.name) errs.push(common.invalidValue('metadata.name', reqName, 'must match the service account name if specified'));
  if (spec.expirationSeconds === undefined || spec.expirationSeconds === null) spec.expirationSeconds = 3600;
  if (spec.expirationSeconds < 600) errs.push(common.invalidValue('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 10 minutes'));
  if (spec.expirationSeconds > 2 ** 32) errs.push(common.invalidValue('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
  if (errs.length) throw common.invalid('TokenRequest', 'authentication.k8s.io', ctx.info.name, errs);
  if (!spec.audiences || spec.audiences.length === 0) spec.audiences = [DEFAULT_AUDIENCE];
  if (!spec.boundObjectRef) spec.boundObjectRef = null;
  const status = opts.dryRun ? { token: '', expirationTimestamp: null }
    : issueToken(ctx.sim, sa, spec.audiences, spec.expirationSeconds, spec.boundObjectRef);
  ctx.sendObject(201, {
    kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: sa.metadata.name, namespace: sa.metadata.namespace, creationTimestamp: null },
    spec, status,
  });
}

function handleSubresource(ctx, type) {
  const sub = ctx.info.subresource;
  if (!type.subresources[sub]) throw pathNotFound();
  switch (`${type.resource}/${sub}`) {
    case 'deployments/scale':
    case 'replicasets/scale': return handleScale(ctx, type);
    case 'pods/eviction': return handleEviction(ctx, type);
    case 'namespaces/finalize': return handleFinalize(ctx, type);
    case 'serviceaccounts/token': return handleToken(ctx, type);
    default:
      if (sub === 'status') return handleStatus(ctx, type);
      throw methodNotAllowed();
  }
}

module.exports = { handleSubresource, toScale, issueToken };
