'use strict';
// The virtual, create-only review resources: SelfSubjectAccessReview (kubectl auth can-i),
// SelfSubjectRulesReview (can-i --list) and SelfSubjectReview (auth whoami). Nothing is stored; the
// answer echoes the request with a status, as kube-apiserver's registries do.

const common = require('./common');
const write = require('./write');

function decode(ctx, type) {
  const opts = common.writeOptions(ctx, 'CreateOptions');
  const body = ctx.requestObject() || {};
  write.decodeChecks(type, body, 'Ignore');
  return { body, opts };
}

function reviewObject(type, body, status) {
  const metadata = { ...(body.metadata || {}) };
  metadata.creationTimestamp = null;
  const out = { kind: type.kind, apiVersion: type.groupVersion, metadata };
  if (body.spec !== undefined) out.spec = body.spec;
  out.status = status;
  return out;
}

function accessReview(ctx, type) {
  const { body } = decode(ctx, type);
  const spec = body.spec || {};
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  // ValidateSelfSubjectAccessReviewSpec.
  if (ra && nra) {
    throw common.invalid(type.kind, type.group, '', [{ ...common.invalidValue('spec.nonResourceAttributes', null,
      'cannot be specified in combination with resourceAttributes'), rawValue: `&authorization.NonResourceAttributes{Path:${common.goQuote(nra.path || '')}, Verb:${common.goQuote(nra.verb || '')}}` }]);
  }
  if (!ra && !nra) {
    throw common.invalid(type.kind, type.group, '', [common.invalidValue('spec.resourceAttributes', null,
      'exactly one of nonResourceAttributes or resourceAttributes must be specified')]);
  }
  const attrs = ra
    ? { isResourceRequest: true, verb: ra.verb || '', apiGroup: ra.group || '', resource: ra.resource || '',
        subresource: ra.subresource || '', namespace: ra.namespace || '', name: ra.name || '', path: '' }
    : { isResourceRequest: false, verb: nra.verb || '', path: nra.path || '', apiGroup: '', resource: '', subresource: '',
        namespace: '', name: '' };
  const decision = ctx.sim.authorizer.authorize(ctx.user, attrs);
  const status = { allowed: Boolean(decision.allowed) };
  if (decision.denied) status.denied = true;
  if (decision.reason) status.reason = decision.reason;
  ctx.sendObject(201, reviewObject(type, body, status));
}

function rulesReview(ctx, type) {
  const { body } = decode(ctx, type);
  const namespace = (body.spec && body.spec.namespace) || '';
  const { resourceRules, nonResourceRules } = ctx.sim.authorizer.rulesFor(ctx.user, namespace);
  ctx.sendObject(201, reviewObject(type, { ...body, spec: body.spec || {} },
    { resourceRules, nonResourceRules, incomplete: false }));
}

// status.userInfo of the caller after impersonation; empty uid and extra are omitted.
function selfReview(ctx, type) {
  const { body } = decode(ctx, type);
  const u = ctx.user || {};
  const userInfo = { username: u.username || '' };
  if (u.uid) userInfo.uid = u.uid;
  if ((u.groups || []).length) userInfo.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) userInfo.extra = u.extra;
  const out = reviewObject(type, { metadata: body.metadata }, { userInfo });
  ctx.sendObject(201, out);
}

function handleReview(ctx, type) {
  if (ctx.info.verb !== 'create' || ctx.info.name) {
    throw common.methodNotAllowed();
  }
  switch (type.kind) {
    case 'SelfSubjectAccessReview': return accessReview(ctx, type);
    case 'SelfSubjectRulesReview': return rulesReview(ctx, type);
    case 'SelfSubjectReview': return selfReview(ctx, type);
    default: throw common.methodNotAllowed();
  }
}

module.exports = { handleReview };
