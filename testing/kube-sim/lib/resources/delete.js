'use strict';
// DELETE and DELETE-collection (apiserver handlers/delete.go over registry/generic/registry/store.go):
// preconditions, graceful deletion of pods (deletionTimestamp now, gone once the simulated kubelet
// has stopped them), finalizers (including the garbage collector's for Orphan and Foreground
// propagation), namespaces that go Terminating, and the answer the real registry gives: the object
// for pods, service accounts and anything not yet gone, else a Status.

const { notFound, forbidden, badRequest, conflict } = require('../status');
const common = require('./common');
const write = require('./write');
const { listObjects } = require('./list');

// Registries built with ReturnDeletedObject: true.
const RETURNS_OBJECT = new Set(['Pod', 'ServiceAccount']);
// How long the simulated kubelet takes to stop a pod's containers, at most.
const KUBELET_STOP_MS = 1000;
// The garbage collector's finalizers (gc.js): the owner stays until its dependents are gone, or
// until they no longer name it.
const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

// DeleteOptions from the body (JSON or protobuf-decoded) or the query.
function deleteOptions(ctx) {
  let opts = {};
  if (ctx.body && ctx.body.length) {
    opts = ctx.requestObject() || {};
    if (typeof opts !== 'object' || Array.isArray(opts)) throw badRequest('decoded object cannot be converted to DeleteOptions');
  } else {
    const q = ctx.query;
    if (q.has('gracePeriodSeconds')) opts.gracePeriodSeconds = Number(q.get('gracePeriodSeconds'));
    if (q.has('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy');
    if (q.has('orphanDependents')) opts.orphanDependents = common.isTrue(q, 'orphanDependents');
  }
  const errs = [];
  const dry = [...ctx.query.getAll('dryRun'), ...(opts.dryRun || [])];
  if (dry.some((v) => v !== 'All')) errs.push(common.notSupported('dryRun', dry, ['All']));
  const policy = opts.propagationPolicy;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    errs.push(common.notSupported('propagationPolicy', policy, ['Background', 'Foreground', 'Orphan', 'nil']));
  }
  if (errs.length) throw common.invalid('DeleteOptions', 'meta.k8s.io', '', errs);
  return { ...opts, dryRun: dry.length > 0 };
}

function checkPreconditions(type, obj, pre) {
  if (!pre) return;
  if (pre.uid && pre.uid !== obj.metadata.uid) {
    throw conflict(type.resource, obj.metadata.name, type.group,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
  }
  if (pre.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
    throw conflict(type.resource, obj.metadata.name, type.group,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${obj.metadata.resourceVersion}`);
  }
}

// finalizeDelete's Status: details name, group, kind (the resource, as the real server does), uid.
function successStatus(type, obj) {
  const details = { name: obj.metadata.name };
  if (type.group) details.group = type.group;
  details.kind = type.resource;
  details.uid = obj.metadata.uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

function markDeleting(sim, type, obj, grace, dryRun) {
  const next = structuredClone(obj);
  const when = new Date(Date.now() + grace * 1000);
  next.metadata.deletionTimestamp = common.timestamp(when);
  next.metadata.deletionGracePeriodSeconds = grace;
  if (type.kind === 'Namespace') next.status = { ...(next.status || {}), phase: 'Terminating' };
  if (dryRun) return next;
  return sim.store.update(type, next);
}

function removeNow(sim, type, obj, dryRun) {
  if (dryRun) return obj;
  try {
    return sim.store.delete(type, obj.metadata.namespace, obj.metadata.name);
  } catch (e) {
    throw common.fromStoreError(e, type, obj.metadata.name);
  }
}

// The simulated kubelet stops the pod's containers, then the pod goes (a grace-0 delete).
function scheduleKubeletDelete(sim, type, pod, grace) {
  const { namespace, name, uid } = pod.metadata;
  const timer = setTimeout(() => {
    const cur = sim.store.get(type, namespace, name);
    try {
      if (cur && cur.metadata.uid === uid) sim.store.delete(type, namespace, name);
    } catch { /* deleted meanwhile */ }
  }, Math.min(grace * 1000, sim.podStopMs ?? KUBELET_STOP_MS));
  if (timer.unref) timer.unref();
}

function podGrace(pod, opts) {
  if (typeof opts.gracePeriodSeconds === 'number' && opts.gracePeriodSeconds >= 0) return opts.gracePeriodSeconds;
  const spec = pod.spec || {};
  const phase = pod.status && pod.status.phase;
  // Unscheduled or finished pods have nothing to stop (pod strategy CheckGracefulDelete).
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  return spec.terminationGracePeriodSeconds ?? 30;
}

// The finalizer the propagation policy asks for: Orphan (or the older orphanDependents=true) and
// Foreground; Background, the default of every kind served here, needs none. Pods and namespaces
// keep their own deletion flows.
function propagationFinalizer(type, opts) {
  if (type.kind === 'Pod' || type.kind === 'Namespace') return null;
  const policy = opts.propagationPolicy || (opts.orphanDependents === true ? 'Orphan' : null);
  if (policy === 'Orphan') return ORPHAN;
  return policy === 'Foreground' ? FOREGROUND : null;
}

// Deletes one object; returns {code, body}.
function deleteOne(sim, type, obj, opts) {
  checkPreconditions(type, obj, opts.preconditions);
  const { dryRun } = opts;
  if (type.kind === 'Namespace') {
    if (write.IMMORTAL_NAMESPACES.has(obj.metadata.name)) {
      throw forbidden(type.resource, obj.metadata.name, type.group, 'this namespace may not be deleted');
    }
    if (obj.metadata.deletionTimestamp) return { code: 200, body: obj };
    return { code: 200, body: markDeleting(sim, type, obj, 0, dryRun) };
  }
  if (type.kind === 'Pod') {
    const grace = podGrace(obj, opts);
    if (grace > 0) {
      const cur = obj.metadata.deletionGracePeriodSeconds;
      if (cur !== undefined && cur <= grace) return { code: 200, body: obj };
      const marked = markDeleting(sim, type, obj, grace, dryRun);
      if (!dryRun) scheduleKubeletDelete(sim, type, marked, grace);
      return { code: 200, body: marked };
    }
  }
  const gcFinalizer = propagationFinalizer(type, opts);
  if (gcFinalizer && !obj.metadata.deletionTimestamp && !(obj.metadata.finalizers || []).includes(gcFinalizer)) {
    const withFinalizer = { ...obj, metadata: { ...obj.metadata, finalizers: [...(obj.metadata.finalizers || []), gcFinalizer] } };
    return { code: 200, body: markDeleting(sim, type, withFinalizer, 0, dryRun) };
  }
  if ((obj.metadata.finalizers || []).length) {
    if (obj.metadata.deletionTimestamp) return { code: 200, body: obj };
    return { code: 200, body: markDeleting(sim, type, obj, 0, dryRun) };
  }
  const gone = removeNow(sim, type, obj, dryRun);
  return { code: 200, body: type.deleteReturnsObject || RETURNS_OBJECT.has(type.kind) ? gone : successStatus(type, gone) };
}

function handleDelete(ctx, type) {
  const opts = deleteOptions(ctx);
  const obj = ctx.sim.store.get(type, ctx.info.namespace, ctx.info.name);
  if (!obj) throw notFound(type.resource, ctx.info.name, type.group);
  const { code, body } = deleteOne(ctx.sim, type, obj, opts);
  ctx.sendObject(code, body);
}

// Deletes what a list with the request's selectors returns; answers with the list of what was deleted.
function handleDeleteCollection(ctx, type) {
  const opts = deleteOptions(ctx);
  const list = listObjects(ctx, type);
  const items = [];
  for (const item of list.items) {
    const cur = ctx.sim.store.get(type, item.metadata.namespace, item.metadata.name);
    if (!cur) continue;
    const { body } = deleteOne(ctx.sim, type, cur, opts);
    const gone = body.kind === 'Status' ? cur : body;
    items.push(common.withoutTypeMeta(gone));
  }
  ctx.sendObject(200, { kind: type.listKind, apiVersion: type.groupVersion, metadata: {}, items });
}

module.exports = { handleDelete, handleDeleteCollection, deleteOne, deleteOptions, successStatus, FOREGROUND, ORPHAN };
