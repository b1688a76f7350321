'use strict';
// The replica set controller (kube-controller-manager pkg/controller/replicaset) for what clients
// notice: a ReplicaSet claims the pods its selector matches (adopting orphans, releasing pods that
// stopped matching), creates or deletes pods until spec.replicas are active, and reports replicas,
// fullyLabeledReplicas, readyReplicas, availableReplicas and observedGeneration. Pods are Running
// and Ready as soon as they exist (lib/pods.js), so a scale settles within a few event-loop turns.

const write = require('./write');
const events = require('./events');
const { deleteOne } = require('./delete');
const { matchesLabelSelector } = require('./selectors');
const { CONTROLLER, controllerRef, controllerOf, isControlledBy, controllerUpdate } = require('./owners');

// Backoff for a replica set whose pods cannot be created (the real queue rate-limits the same way).
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60000;

function types(sim) {
  return { rs: write.typeOf(sim, 'apps', 'replicasets'), pod: write.typeOf(sim, '', 'pods') };
}

const podReady = (p) => ((p.status && p.status.conditions) || []).some((c) => c.type === 'Ready' && c.status === 'True');
const terminating = (p) => Boolean(p.metadata.deletionTimestamp);
const finished = (p) => ['Succeeded', 'Failed'].includes(p.status && p.status.phase);

// controller.IsPodActive: counted against spec.replicas.
const isActive = (p) => !terminating(p) && !finished(p);

// podutil.IsPodAvailable: Ready for at least minReadySeconds.
function isAvailable(pod, minReadySeconds, now) {
  if (!podReady(pod)) return false;
  if (!minReadySeconds) return true;
  const ready = pod.status.conditions.find((c) => c.type === 'Ready');
  return Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 <= now;
}

// PodControllerRefManager.ClaimPods: the pods this replica set controls after adopting matching
// orphans and releasing controlled pods its selector no longer matches.
function claimPods(sim, rs) {
  const t = types(sim);
  const claimed = [];
  for (const pod of sim.store.list(t.pod, rs.metadata.namespace).items) {
    const labels = pod.metadata.labels || {};
    const matches = matchesLabelSelector(rs.spec.selector, labels);
    const ref = controllerOf(pod);
    if (ref && ref.uid !== rs.metadata.uid) continue;
    if (ref && (matches || rs.metadata.deletionTimestamp)) claimed.push(pod);
    else if (ref) release(sim, t.pod, pod, rs);
    else if (matches && !terminating(pod) && !rs.metadata.deletionTimestamp) {
      const adopted = adopt(sim, t.pod, pod, rs);
      if (adopted) claimed.push(adopted);
    }
  }
  return claimed;
}

function adopt(sim, podType, pod, rs) {
  const next = structuredClone(pod);
  next.metadata.ownerReferences = [...(pod.metadata.ownerReferences || []), controllerRef(rs, 'ReplicaSet')];
  return controllerUpdate(sim, podType, next, pod);
}

function release(sim, podType, pod, rs) {
  const next = structuredClone(pod);
  next.metadata.ownerReferences = pod.metadata.ownerReferences.filter((r) => r.uid !== rs.metadata.uid);
  if (!next.metadata.ownerReferences.length) delete next.metadata.ownerReferences;
  controllerUpdate(sim, podType, next, pod);
}

// controller.GetPodFromTemplate.
function podFromTemplate(rs) {
  const template = structuredClone(rs.spec.template || {});
  const meta = template.metadata || {};
  const metadata = { generateName: `${rs.metadata.name}-`, namespace: rs.metadata.namespace, labels: { ...(meta.labels || {}) } };
  if (meta.annotations) metadata.annotations = meta.annotations;
  if (meta.finalizers) metadata.finalizers = meta.finalizers;
  metadata.ownerReferences = [controllerRef(rs, 'ReplicaSet')];
  return { metadata, spec: template.spec };
}

// Which pods go first on a scale-down (controller.ActivePodsWithRanks, all on one node here): not
// ready before ready, lower pod-deletion-cost first, then the newest.
function deletionOrder(a, b) {
  if (podReady(a) !== podReady(b)) return podReady(a) ? 1 : -1;
  const cost = (p) => Number((p.metadata.annotations || {})['controller.kubernetes.io/pod-deletion-cost'] || 0);
  if (cost(a) !== cost(b)) return cost(a) - cost(b);
  if (a.metadata.creationTimestamp !== b.metadata.creationTimestamp) {
    return a.metadata.creationTimestamp < b.metadata.creationTimestamp ? 1 : -1;
  }
  return a.metadata.name < b.metadata.name ? 1 : -1;
}

// Creates or deletes pods until spec.replicas are active; returns the error that stopped it, if any.
function manageReplicas(sim, rs, active) {
  const t = types(sim);
  const want = rs.spec.replicas ?? 1;
  for (let n = active.length; n < want; n++) {
    try {
      const pod = write.systemCreate(sim, t.pod, podFromTemplate(rs), CONTROLLER);
      events.replicaSetPod(sim, rs, 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
    } catch (e) {
      events.replicaSetPod(sim, rs, 'FailedCreate', `Error creating: ${e.message}`);
      return { reason: 'FailedCreate', message: e.message };
    }
  }
  for (const pod of [...active].sort(deletionOrder).slice(0, Math.max(0, active.length - want))) {
    try {
      deleteOne(sim, t.pod, pod, {});
      events.replicaSetPod(sim, rs, 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (e) {
      if (e.code === 404) continue;
      events.replicaSetPod(sim, rs, 'FailedDelete', `Error deleting: ${e.message}`);
      return { reason: 'FailedDelete', message: e.message };
    }
  }
  return null;
}

// calculateStatus: counts of the active pods (fields in ReplicaSetStatus order, zero ones omitted
// but replicas), and the ReplicaFailure condition while creating or deleting pods fails.
function replicaSetStatus(rs, pods, failure, now = Date.now()) {
  const active = pods.filter(isActive);
  const templateLabels = (rs.spec.template && rs.spec.template.metadata && rs.spec.template.metadata.labels) || {};
  const fullyLabeled = active.filter((p) => Object.entries(templateLabels).every(([k, v]) => (p.metadata.labels || {})[k] === v));
  const status = { replicas: active.length };
  const counts = { fullyLabeledReplicas: fullyLabeled.length, readyReplicas: active.filter(podReady).length,
                   availableReplicas: active.filter((p) => isAvailable(p, rs.spec.minReadySeconds, now)).length };
  for (const [k, v] of Object.entries(counts)) if (v) status[k] = v;
  status.observedGeneration = rs.metadata.generation;
  const others = ((rs.status && rs.status.conditions) || []).filter((c) => c.type !== 'ReplicaFailure');
  const previous = ((rs.status && rs.status.conditions) || []).find((c) => c.type === 'ReplicaFailure');
  const conditions = failure
    ? [...others, previous || { type: 'ReplicaFailure', status: 'True', lastTransitionTime: new Date(now).toISOString().slice(0, 19) + 'Z',
      reason: failure.reason, message: failure.message }]
    : others;
  if (conditions.length) status.conditions = conditions;
  return status;
}

// Syncs one replica set; returns how long until it wants another sync (a failed pod create or
// delete, or pods not yet ready for minReadySeconds), or null.
function reconcileReplicaSet(sim, namespace, name) {
  const t = types(sim);
  const rs = sim.store.get(t.rs, namespace, name);
  if (!rs || !rs.spec) return null;
  const claimed = claimPods(sim, rs);
  const failure = rs.metadata.deletionTimestamp ? null : manageReplicas(sim, rs, claimed.filter(isActive));
  const pods = sim.store.list(t.pod, namespace).items.filter((p) => isControlledBy(p, rs));
  const status = replicaSetStatus(rs, pods, failure);
  if (JSON.stringify(status) !== JSON.stringify(rs.status)) controllerUpdate(sim, t.rs, { ...rs, status }, rs, 'status');
  if (failure) return { failed: true };
  const want = rs.spec.replicas ?? 1;
  if (status.readyReplicas === want && status.availableReplicas !== want) return { afterMs: rs.spec.minReadySeconds * 1000 };
  return null;
}

// Wiring: the replica sets a change concerns. `ctl.enqueue(key, fn)` runs fn once per key on a
// later turn, `ctl.later(key, ms, fn)` after a delay; failures back off as the real work queue does.
function route(sim, ctl, type, eventType, obj) {
  const { namespace } = obj.metadata;
  if (type.group === 'apps' && type.resource === 'replicasets') {
    if (eventType !== 'DELETED') sync(sim, ctl, namespace, obj.metadata.name);
    return;
  }
  if (type.group !== '' || type.resource !== 'pods') return;
  const ref = controllerOf(obj);
  if (ref && ref.kind === 'ReplicaSet') sync(sim, ctl, namespace, ref.name);
  else if (!ref && eventType !== 'DELETED') {
    // An orphan: every replica set whose selector matches it may adopt it.
    for (const rs of sim.store.list(types(sim).rs, namespace).items) {
      if (matchesLabelSelector(rs.spec && rs.spec.selector, obj.metadata.labels || {})) sync(sim, ctl, namespace, rs.metadata.name);
    }
  }
}

const backoffs = new WeakMap(); // sim -> Map(key -> ms)

function sync(sim, ctl, namespace, name) {
  const key = `rs/${namespace}/${name}`;
  ctl.enqueue(key, () => {
    if (!backoffs.has(sim)) backoffs.set(sim, new Map());
    const delays = backoffs.get(sim);
    const again = reconcileReplicaSet(sim, namespace, name);
    if (!again || !again.failed) delays.delete(key);
    if (!again) return;
    const ms = again.failed ? delays.get(key) || RETRY_MIN_MS : again.afterMs;
    if (again.failed) delays.set(key, Math.min(ms * 2, RETRY_MAX_MS));
    ctl.later(key, ms, () => sync(sim, ctl, namespace, name));
  });
}

module.exports = { route, reconcileReplicaSet, replicaSetStatus, podReady, isActive };
