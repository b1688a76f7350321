'use strict';
// The deployment controller (kube-controller-manager pkg/controller/deployment) for what clients
// notice. A Deployment owns ReplicaSets named <deployment>-<pod-template-hash>: the new one, whose
// template is the deployment's, and old ones, kept for `rollout history` and `rollout undo`.
// Rollouts are instantaneous: the new replica set gets spec.replicas at once and the old ones go
// to 0; the replica set controller (replicasets.js) then moves the pods. Revision and replica
// annotations, conditions and status follow the real controller (helpers in deployment-util.js),
// so `kubectl describe deployment` and `kubectl rollout status|history|undo|restart` read what
// they would on a cluster.

const write = require('./write');
const events = require('./events');
const { deleteOne } = require('./delete');
const { matchesLabelSelector } = require('./selectors');
const { CONTROLLER, controllerRef, controllerOf, isControlledBy, controllerUpdate } = require('./owners');
const util = require('./deployment-util');

const { REVISION, HASH_LABEL } = util;
const MAX_COLLISIONS = 10;

function types(sim) {
  return { deploy: write.typeOf(sim, 'apps', 'deployments'), rs: write.typeOf(sim, 'apps', 'replicasets'),
           pod: write.typeOf(sim, '', 'pods') };
}

const selectorEmpty = (sel) => !sel || (!Object.keys(sel.matchLabels || {}).length && !(sel.matchExpressions || []).length);

// ReplicaSetControllerRefManager.ClaimReplicaSets: the deployment's replica sets, after adopting
// orphans its selector matches and releasing its own that stopped matching.
function claimReplicaSets(sim, d) {
  const t = types(sim);
  const out = [];
  for (const rs of sim.store.list(t.rs, d.metadata.namespace).items) {
    const matches = matchesLabelSelector(d.spec.selector, rs.metadata.labels || {});
    const ref = controllerOf(rs);
    if (ref && ref.uid !== d.metadata.uid) continue;
    const next = structuredClone(rs);
    if (ref && (matches || d.metadata.deletionTimestamp)) out.push(rs);
    else if (ref) {
      next.metadata.ownerReferences = rs.metadata.ownerReferences.filter((r) => r.uid !== d.metadata.uid);
      controllerUpdate(sim, t.rs, next, rs);
    } else if (matches && !d.metadata.deletionTimestamp && !rs.metadata.deletionTimestamp) {
      next.metadata.ownerReferences = [...(rs.metadata.ownerReferences || []), controllerRef(d, 'Deployment')];
      const adopted = controllerUpdate(sim, t.rs, next, rs);
      if (adopted) out.push(adopted);
    }
  }
  return out;
}

// FindNewReplicaSet: the oldest replica set whose template is the deployment's.
function findNewReplicaSet(d, rsList) {
  const byAge = [...rsList].sort((a, b) => (a.metadata.creationTimestamp === b.metadata.creationTimestamp
    ? (a.metadata.name < b.metadata.name ? -1 : 1) : a.metadata.creationTimestamp < b.metadata.creationTimestamp ? -1 : 1));
  return byAge.find((rs) => util.sameTemplate(rs.spec.template, d.spec.template)) || null;
}

// The pod-template-hash of the orphan pods the selector matches, most common first: a deployment
// with no replica set yet takes over pods that were there before it (the demo seed's), as the real
// replica set controller adopts orphans its selector matches.
function orphanPodHash(sim, d) {
  const counts = new Map();
  for (const p of sim.store.list(types(sim).pod, d.metadata.namespace).items) {
    const hash = (p.metadata.labels || {})[HASH_LABEL];
    if (!hash || controllerOf(p) || p.metadata.deletionTimestamp || !matchesLabelSelector(d.spec.selector, p.metadata.labels)) continue;
    counts.set(hash, (counts.get(hash) || 0) + 1);
  }
  let best = null;
  for (const [hash, n] of counts) if (!best || n > counts.get(best)) best = hash;
  return best;
}

function newReplicaSetObject(d, hash) {
  const template = structuredClone(d.spec.template);
  template.metadata = template.metadata || {};
  template.metadata.labels = { ...(template.metadata.labels || {}), [HASH_LABEL]: hash };
  const selector = structuredClone(d.spec.selector);
  selector.matchLabels = { ...(selector.matchLabels || {}), [HASH_LABEL]: hash };
  const spec = { replicas: d.spec.replicas ?? 1 };
  if (d.spec.minReadySeconds) spec.minReadySeconds = d.spec.minReadySeconds;
  Object.assign(spec, { selector, template });
  return {
    metadata: { name: `${d.metadata.name}-${hash}`, namespace: d.metadata.namespace, labels: template.metadata.labels,
                ownerReferences: [controllerRef(d, 'Deployment')] },
    spec,
  };
}

// getNewReplicaSet for a template no replica set has yet: named after its hash (collisionCount
// goes up while that name is taken by another template), revision one above the old ones.
function createNewReplicaSet(sim, d, oldRSs) {
  const t = types(sim);
  const adoptHash = oldRSs.length ? null : orphanPodHash(sim, d);
  for (let attempt = 0; attempt < MAX_COLLISIONS; attempt++) {
    const hash = (attempt === 0 && adoptHash) || util.templateHash(d.spec.template, d.status.collisionCount);
    const rs = newReplicaSetObject(d, hash);
    const existing = sim.store.get(t.rs, d.metadata.namespace, rs.metadata.name);
    if (existing && isControlledBy(existing, d) && util.sameTemplate(existing.spec.template, d.spec.template)) return existing;
    if (existing) {
      if (!(attempt === 0 && adoptHash)) d.status.collisionCount = (d.status.collisionCount || 0) + 1;
      continue;
    }
    const revision = util.maxRevision(oldRSs) + 1;
    util.setNewReplicaSetAnnotations(d, rs, revision, false);
    const created = write.systemCreate(sim, t.rs, rs, CONTROLLER);
    if (created.spec.replicas > 0) events.scaled(sim, d, created.metadata.name, 0, created.spec.replicas);
    (d.metadata.annotations || (d.metadata.annotations = {}))[REVISION] = String(revision);
    if (util.hasProgressDeadline(d)) {
      util.setCondition(d.status, util.condition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`));
    }
    return created;
  }
  return null;
}

// getNewReplicaSet for the existing new replica set: annotations and minReadySeconds follow the
// deployment, and the deployment's revision follows the replica set's.
function syncNewReplicaSet(sim, d, newRS, oldRSs) {
  const next = structuredClone(newRS);
  let changed = util.setNewReplicaSetAnnotations(d, next, util.maxRevision(oldRSs) + 1, true);
  if ((newRS.spec.minReadySeconds || 0) !== (d.spec.minReadySeconds || 0)) {
    if (d.spec.minReadySeconds) next.spec.minReadySeconds = d.spec.minReadySeconds;
    else delete next.spec.minReadySeconds;
    changed = true;
  }
  const stored = changed ? controllerUpdate(sim, types(sim).rs, next, newRS) || newRS : newRS;
  (d.metadata.annotations || (d.metadata.annotations = {}))[REVISION] = stored.metadata.annotations[REVISION];
  if (util.hasProgressDeadline(d) && !util.getCondition(d.status, 'Progressing')) {
    util.setCondition(d.status, util.condition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${stored.metadata.name}"`));
  }
  return stored;
}

// scaleReplicaSetAndRecordEvent.
function scaleReplicaSet(sim, d, rs, replicas) {
  if (rs.spec.replicas === replicas) return rs;
  const next = structuredClone(rs);
  next.spec.replicas = replicas;
  const desired = d.spec.replicas ?? 1;
  util.setReplicasAnnotations(next, desired, desired + util.fenceposts(d).surge);
  const stored = controllerUpdate(sim, types(sim).rs, next, rs);
  if (!stored) return rs;
  events.scaled(sim, d, rs.metadata.name, rs.spec.replicas, replicas);
  return stored;
}

// The replica sets' sizes: the new one gets every replica and the old ones none (an instantaneous
// rollout). A paused deployment rolls nothing out; it only scales its one active (or newest)
// replica set, as FindActiveOrLatest picks it.
function scaleAll(sim, d, newRS, oldRSs) {
  const desired = d.spec.replicas ?? 1;
  if (!d.spec.paused) {
    return { newRS: newRS && scaleReplicaSet(sim, d, newRS, desired), oldRSs: oldRSs.map((rs) => scaleReplicaSet(sim, d, rs, 0)) };
  }
  const all = [newRS, ...oldRSs].filter(Boolean);
  const active = all.filter((rs) => rs.spec.replicas > 0);
  const newest = [...all].sort((a, b) => (a.metadata.creationTimestamp < b.metadata.creationTimestamp ? 1 : -1))[0];
  const target = active.length === 1 ? active[0] : active.length === 0 ? (newRS || newest) : null;
  const scaled = all.map((rs) => (rs === target ? scaleReplicaSet(sim, d, rs, desired) : rs));
  return { newRS: newRS && scaled[0], oldRSs: newRS ? scaled.slice(1) : scaled };
}

// cleanupDeployment: old replica sets beyond revisionHistoryLimit go, oldest revision first, once
// they are scaled down and settled.
function cleanupOldReplicaSets(sim, d, oldRSs) {
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  let excess = alive.length - (d.spec.revisionHistoryLimit ?? 10);
  if (excess <= 0) return;
  const byRevision = [...alive].sort((a, b) => util.revisionOf(a) - util.revisionOf(b));
  for (const rs of byRevision) {
    if (excess <= 0) break;
    const st = rs.status || {};
    if (st.replicas || rs.spec.replicas || rs.metadata.generation > (st.observedGeneration || 0)) continue;
    try {
      deleteOne(sim, types(sim).rs, rs, {});
    } catch { /* gone meanwhile */ }
    excess--;
  }
}

// calculateStatus: counts summed over the replica sets, and the Available condition.
function calculateStatus(d, allRSs, newRS) {
  const sum = (f) => allRSs.reduce((n, rs) => n + (f(rs) || 0), 0);
  const available = sum((rs) => rs.status && rs.status.availableReplicas);
  const counts = {
    replicas: sum((rs) => rs.status && rs.status.replicas),
    updatedReplicas: newRS ? (newRS.status && newRS.status.replicas) || 0 : 0,
    readyReplicas: sum((rs) => rs.status && rs.status.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sum((rs) => rs.spec.replicas) - available),
  };
  const status = { observedGeneration: d.metadata.generation };
  for (const [k, v] of Object.entries(counts)) if (v) status[k] = v;
  status.conditions = structuredClone(d.status.conditions || []);
  const desired = d.spec.replicas ?? 1;
  if (available >= desired - util.fenceposts(d).unavailable) {
    util.setCondition(status, util.condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'));
  } else {
    util.setCondition(status, util.condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'));
  }
  if (d.status.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  return status;
}

const complete = (d, st) => {
  const desired = d.spec.replicas ?? 1;
  return (st.updatedReplicas || 0) === desired && (st.replicas || 0) === desired && (st.availableReplicas || 0) === desired &&
    (st.observedGeneration || 0) >= d.metadata.generation;
};

// DeploymentProgressing: more updated, ready or available pods, or fewer old ones, than last time.
const progressing = (old, st) => (st.updatedReplicas || 0) > (old.updatedReplicas || 0) ||
  (st.replicas || 0) - (st.updatedReplicas || 0) < (old.replicas || 0) - (old.updatedReplicas || 0) ||
  (st.readyReplicas || 0) > (old.readyReplicas || 0) || (st.availableReplicas || 0) > (old.availableReplicas || 0);

// syncRolloutStatus: the Progressing condition estimated from the new status (skipped once the
// rollout has completed), and the replica sets' ReplicaFailure carried over.
function rolloutStatus(d, allRSs, newRS) {
  const status = calculateStatus(d, allRSs, newRS);
  if (!util.hasProgressDeadline(d)) util.removeCondition(status, 'Progressing');
  const cur = util.getCondition(d.status, 'Progressing');
  const done = (status.replicas || 0) === (status.updatedReplicas || 0) && cur && cur.reason === 'NewReplicaSetAvailable';
  const what = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (util.hasProgressDeadline(d) && !done && !d.spec.paused && !d.metadata.deletionTimestamp) {
    if (complete(d, status)) {
      util.setCondition(status, util.condition('Progressing', 'True', 'NewReplicaSetAvailable', `${what} has successfully progressed.`));
    } else if (progressing(d.status, status)) {
      const cond = util.condition('Progressing', 'True', 'ReplicaSetUpdated', `${what} is progressing.`);
      if (cur && cur.status === 'True') cond.lastTransitionTime = cur.lastTransitionTime;
      util.removeCondition(status, 'Progressing');
      util.setCondition(status, cond);
    }
  }
  const failing = [newRS, ...allRSs].filter(Boolean).map((rs) => ((rs.status && rs.status.conditions) || [])
    .find((c) => c.type === 'ReplicaFailure')).find(Boolean);
  if (failing) {
    util.setCondition(status, { type: 'ReplicaFailure', status: failing.status, lastUpdateTime: failing.lastTransitionTime,
      lastTransitionTime: failing.lastTransitionTime, reason: failing.reason, message: failing.message });
  } else util.removeCondition(status, 'ReplicaFailure');
  if (!status.conditions.length) delete status.conditions;
  return status;
}

// One sync of one deployment. `d` is worked on in place (revision annotation, conditions on the
// way), then what changed is written through deployments/status, as the real controller does.
function reconcileDeployment(sim, namespace, name) {
  const t = types(sim);
  const stored = sim.store.get(t.deploy, namespace, name);
  if (!stored || !stored.spec || !stored.spec.template || selectorEmpty(stored.spec.selector)) return;
  const d = structuredClone(stored);
  d.status = d.status || {};
  const rsList = claimReplicaSets(sim, d);
  let newRS = findNewReplicaSet(d, rsList);
  let oldRSs = rsList.filter((rs) => rs !== newRS);
  if (!d.metadata.deletionTimestamp) {
    util.checkPausedConditions(d);
    if (newRS) newRS = syncNewReplicaSet(sim, d, newRS, oldRSs);
    else if (!d.spec.paused) newRS = createNewReplicaSet(sim, d, oldRSs);
    ({ newRS, oldRSs } = scaleAll(sim, d, newRS, oldRSs));
    if (complete(d, d.status) && !d.spec.paused) cleanupOldReplicaSets(sim, d, oldRSs);
  }
  const status = rolloutStatus(d, [newRS, ...oldRSs].filter(Boolean), newRS);
  const sameAnnotations = JSON.stringify(d.metadata.annotations || {}) === JSON.stringify(stored.metadata.annotations || {});
  if (sameAnnotations && JSON.stringify(status) === JSON.stringify(stored.status)) return;
  controllerUpdate(sim, t.deploy, { ...d, status }, stored, 'status');
}

// Wiring: the deployments a change concerns (their own changes, their replica sets' changes, and
// orphan replica sets they might adopt). `ctl.enqueue(key, fn)` runs fn once per key on a later turn.
function route(sim, ctl, type, eventType, obj) {
  if (type.group !== 'apps') return;
  const { namespace } = obj.metadata;
  const sync = (name) => ctl.enqueue(`d/${namespace}/${name}`, () => reconcileDeployment(sim, namespace, name));
  if (type.resource === 'deployments') {
    if (eventType !== 'DELETED') sync(obj.metadata.name);
    return;
  }
  if (type.resource !== 'replicasets') return;
  const ref = controllerOf(obj);
  if (ref && ref.kind === 'Deployment') sync(ref.name);
  else if (!ref && eventType !== 'DELETED') {
    for (const d of sim.store.list(types(sim).deploy, namespace).items) {
      if (!selectorEmpty(d.spec && d.spec.selector) && matchesLabelSelector(d.spec.selector, obj.metadata.labels || {})) sync(d.metadata.name);
    }
  }
}

module.exports = { route, reconcileDeployment, templateHash: util.templateHash };
