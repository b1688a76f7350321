'use strict';
// The controllers of a fresh cluster that clients notice, run inside kube-sim over the store's
// change feed: the namespace controllers (every namespace gets a "default" ServiceAccount and the
// kube-root-ca.crt ConfigMap; a deleted namespace takes its objects with it) and the deployment
// controller (pods follow spec.replicas and the template; status and conditions follow the pods).
// Simplified: no ReplicaSet objects are served, so pods point at a ReplicaSet by name only.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const write = require('./write');
const common = require('./common');
const { deleteOne } = require('./delete');
const { matchesLabelSelector } = require('./selectors');
const events = require('./events');

const ROOT_CA_DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';
const CONTROLLER = 'kube-controller-manager';
const NAMESPACE_CLEANUP_MS = 300;

function caBundle(sim) {
  try {
    return fs.readFileSync(path.join(sim.stateDir || '', 'ca.crt'), 'utf8');
  } catch {
    return '';
  }
}

function types(sim) {
  return {
    ns: write.typeOf(sim, '', 'namespaces'),
    sa: write.typeOf(sim, '', 'serviceaccounts'),
    cm: write.typeOf(sim, '', 'configmaps'),
    pod: write.typeOf(sim, '', 'pods'),
    deploy: write.typeOf(sim, 'apps', 'deployments'),
  };
}

// ---------------------------------------------------------------------------------------------
// namespaces

function populateNamespace(sim, ns) {
  const t = types(sim);
  const name = ns.metadata.name;
  if (!sim.store.get(t.sa, name, 'default')) {
    write.systemCreate(sim, t.sa, { metadata: { name: 'default', namespace: name } }, 'kube-controller-manager');
  }
  if (!sim.store.get(t.cm, name, 'kube-root-ca.crt')) {
    write.systemCreate(sim, t.cm, { metadata: { name: 'kube-root-ca.crt', namespace: name,
      annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } }, data: { 'ca.crt': caBundle(sim) } }, CONTROLLER);
  }
}

// A terminating namespace: its objects go, then its finalizer, then the namespace itself.
function finishNamespace(sim, name) {
  const t = types(sim);
  const ns = sim.store.get(t.ns, '', name);
  if (!ns || !ns.metadata.deletionTimestamp) return;
  for (const type of sim.registry.types) {
    if (!type.namespaced || type.virtual || type.version !== preferredVersion(sim, type)) continue;
    for (const o of sim.store.list(type, name).items) {
      try {
        sim.store.delete(type, name, o.metadata.name);
      } catch { /* already gone */ }
    }
  }
  const cur = sim.store.get(t.ns, '', name);
  if (!cur) return;
  sim.store.delete(t.ns, '', name);
}

function preferredVersion(sim, type) {
  const same = sim.registry.types.filter((x) => x.group === type.group && x.resource === type.resource);
  return same[0].version;
}

// ---------------------------------------------------------------------------------------------
// deployments

// A stable pod-template-hash, in the alphabet of apimachinery's SafeEncodeString.
function templateHash(template) {
  const digest = crypto.createHash('sha256').update(JSON.stringify(template || {})).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 10; i++) out += alphabet[digest[i] % alphabet.length];
  return out;
}

function rsUID(deployment, hash) {
  const h = crypto.createHash('sha256').update(`${deployment.metadata.uid}/${hash}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// The pods of a deployment: controlled by a ReplicaSet named <deployment>-<pod-template-hash>.
function ownedPods(sim, d) {
  return sim.store.list(types(sim).pod, d.metadata.namespace).items.filter((p) => {
    const hash = (p.metadata.labels || {})['pod-template-hash'];
    return hash && (p.metadata.ownerReferences || []).some((r) => r.kind === 'ReplicaSet' && r.controller &&
      r.name === `${d.metadata.name}-${hash}`);
  });
}

function controllerOf(pod) {
  return (pod.metadata.ownerReferences || []).find((r) => r.controller);
}

// A deployment seen for the first time adopts the orphan pods its selector matches, and their
// pod-template-hash becomes its ReplicaSet's (as the ReplicaSet controller adopts orphans), so
// seeded "deployment pods" stay the deployment's pods.
function adoptOrphans(sim, d, computedHash) {
  const key = `${d.metadata.namespace}/${d.metadata.name}/${computedHash}`;
  sim.adoptedHashes = sim.adoptedHashes || new Map();
  if (sim.adoptedHashes.has(key)) return sim.adoptedHashes.get(key);
  let hash = computedHash;
  if (!(d.status && d.status.observedGeneration)) {
    const orphans = sim.store.list(types(sim).pod, d.metadata.namespace).items.filter((p) => !controllerOf(p) &&
      (p.metadata.labels || {})['pod-template-hash'] && matchesLabelSelector(d.spec.selector, p.metadata.labels));
    if (orphans.length) hash = orphans[0].metadata.labels['pod-template-hash'];
    for (const p of orphans.filter((o) => o.metadata.labels['pod-template-hash'] === hash)) {
      p.metadata.ownerReferences = [...(p.metadata.ownerReferences || []), ownerRef(d, `${d.metadata.name}-${hash}`, hash)];
      try {
        sim.store.update(types(sim).pod, p);
      } catch { /* changed meanwhile; the next pass sees it */ }
    }
  }
  sim.adoptedHashes.set(key, hash);
  return hash;
}

function ownerRef(d, rsName, hash) {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rsUID(d, hash), controller: true, blockOwnerDeletion: true };
}

function newPod(d, rsName, hash) {
  const template = structuredClone(d.spec.template || {});
  const meta = template.metadata || {};
  return {
    metadata: {
      generateName: `${rsName}-`, namespace: d.metadata.namespace,
      labels: { ...(meta.labels || {}), 'pod-template-hash': hash },
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
      ownerReferences: [ownerRef(d, rsName, hash)],
    },
    spec: template.spec,
  };
}

function reconcilePods(sim, d, rsName, hash) {
  const t = types(sim);
  const pods = ownedPods(sim, d).filter((p) => !p.metadata.deletionTimestamp);
  const current = pods.filter((p) => (p.metadata.labels || {})['pod-template-hash'] === hash);
  const old = pods.filter((p) => !current.includes(p));
  const want = d.spec.replicas ?? 1;
  if (current.length !== want) events.scaled(sim, d, rsName, current.length, want);
  for (let i = current.length; i < want; i++) write.systemCreate(sim, t.pod, newPod(d, rsName, hash), CONTROLLER);
  for (const p of current.slice(want).reverse()) deleteOne(sim, t.pod, p, {});
  const oldSets = new Map();
  for (const p of old) {
    const name = `${d.metadata.name}-${p.metadata.labels['pod-template-hash']}`;
    oldSets.set(name, (oldSets.get(name) || 0) + 1);
    deleteOne(sim, t.pod, p, {});
  }
  for (const [name, n] of oldSets) events.scaled(sim, d, name, n, 0);
}

function deploymentStatus(sim, d, rsName, hash, old) {
  const pods = ownedPods(sim, d).filter((p) => !p.metadata.deletionTimestamp);
  const updated = pods.filter((p) => (p.metadata.labels || {})['pod-template-hash'] === hash).length;
  const ready = pods.filter((p) => ((p.status && p.status.conditions) || []).some((c) => c.type === 'Ready' && c.status === 'True')).length;
  const now = common.timestamp();
  const cond = (type, reason, message) => {
    const prev = ((old && old.conditions) || []).find((c) => c.type === type);
    const same = prev && prev.reason === reason && prev.status === 'True';
    return { type, status: 'True', lastUpdateTime: same ? prev.lastUpdateTime : now,
             lastTransitionTime: prev && prev.status === 'True' ? prev.lastTransitionTime : now, reason, message };
  };
  const status = { observedGeneration: d.metadata.generation };
  if (pods.length) status.replicas = pods.length;
  if (updated) status.updatedReplicas = updated;
  if (ready) status.readyReplicas = ready;
  if (ready) status.availableReplicas = ready;
  if (pods.length - ready > 0) status.unavailableReplicas = pods.length - ready;
  status.conditions = [
    cond('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
    cond('Progressing', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`),
  ];
  return status;
}

function reconcileDeployment(sim, namespace, name) {
  const t = types(sim);
  const d = sim.store.get(t.deploy, namespace, name);
  if (!d || d.metadata.deletionTimestamp || !d.spec || !d.spec.template) return;
  if (!matchesLabelSelector(d.spec.selector, (d.spec.template.metadata || {}).labels || {})) return;
  const hash = adoptOrphans(sim, d, templateHash(d.spec.template));
  const rsName = `${name}-${hash}`;
  if (!d.spec.paused) reconcilePods(sim, d, rsName, hash);
  const status = deploymentStatus(sim, d, rsName, hash, d.status);
  if (JSON.stringify(status) === JSON.stringify(d.status)) return;
  const next = { ...d, status };
  const prepared = write.prepareUpdate(sim, t.deploy, next, d, { manager: CONTROLLER, subresource: 'status' });
  try {
    sim.store.update(t.deploy, prepared);
  } catch { /* a newer write will bring us back */ }
}

function deleteOwnedPods(sim, d) {
  const t = types(sim);
  const prefix = `${d.metadata.namespace}/${d.metadata.name}/`;
  for (const k of [...(sim.adoptedHashes || new Map()).keys()]) if (k.startsWith(prefix)) sim.adoptedHashes.delete(k);
  for (const p of ownedPods(sim, d)) {
    if (!p.metadata.deletionTimestamp) deleteOne(sim, t.pod, p, {});
  }
}

// ---------------------------------------------------------------------------------------------

function deploymentOfPod(pod) {
  const ref = controllerOf(pod);
  const hash = (pod.metadata.labels || {})['pod-template-hash'];
  if (!ref || ref.kind !== 'ReplicaSet' || !hash || !ref.name.endsWith(`-${hash}`)) return null;
  return ref.name.slice(0, -(hash.length + 1));
}

// A controller's failure (a template whose pods cannot be admitted, say) is logged, as the
// controller manager logs it, and never takes the API server down.
function safely(fn) {
  try {
    fn();
  } catch (e) {
    console.error('kube-sim: controller:', e.message);
  }
}

// Runs fn once per key on the next turn of the event loop: controllers work from a queue, after
// the write that woke them has been answered.
function queue() {
  const pending = new Map();
  return (key, fn) => {
    if (pending.has(key)) return;
    pending.set(key, setImmediate(() => {
      pending.delete(key);
      safely(fn);
    }));
  };
}

// The kubelet's and scheduler's events for pods starting and stopping.
function podEvents(sim, enqueue, killed, eventType, pod) {
  const uid = pod.metadata.uid;
  if (eventType === 'ADDED' && pod.spec && pod.spec.nodeName && pod.status && pod.status.phase === 'Running') {
    enqueue(`ev/${uid}`, () => events.podStarted(sim, pod));
  } else if (eventType === 'MODIFIED' && pod.metadata.deletionTimestamp && !killed.has(uid)) {
    killed.add(uid);
    enqueue(`kill/${uid}`, () => events.podKilled(sim, pod));
  } else if (eventType === 'DELETED') killed.delete(uid);
}

function startControllers(sim) {
  const enqueue = queue();
  const killed = new Set();
  const terminating = new Set();
  return sim.store.subscribe((type, eventType, obj) => {
    const { namespace, name } = obj.metadata;
    if (type.group === '' && type.resource === 'namespaces') {
      if (eventType === 'ADDED') populateNamespace(sim, obj);
      if (eventType !== 'DELETED' && obj.metadata.deletionTimestamp && !terminating.has(name)) {
        terminating.add(name);
        const finish = () => { terminating.delete(name); safely(() => finishNamespace(sim, name)); };
        const timer = setTimeout(finish, sim.namespaceCleanupMs ?? NAMESPACE_CLEANUP_MS);
        if (timer.unref) timer.unref();
      }
    } else if (type.group === 'apps' && type.resource === 'deployments') {
      if (eventType === 'DELETED') enqueue(`gc/${namespace}/${name}`, () => deleteOwnedPods(sim, obj));
      else enqueue(`d/${namespace}/${name}`, () => reconcileDeployment(sim, namespace, name));
    } else if (type.group === '' && type.resource === 'pods') {
      podEvents(sim, enqueue, killed, eventType, obj);
      const d = deploymentOfPod(obj);
      if (d) enqueue(`d/${namespace}/${d}`, () => reconcileDeployment(sim, namespace, d));
    }
  });
}

module.exports = { startControllers, populateNamespace, finishNamespace, templateHash, reconcileDeployment };
