'use strict';
// The controllers of a fresh cluster that clients notice, run inside kube-sim over the store's
// change feed: the namespace controllers (every namespace gets a "default" ServiceAccount and the
// kube-root-ca.crt ConfigMap; a deleted namespace takes its objects with it), the deployment and
// replica set controllers (deployments.js, replicasets.js), the garbage collector (gc.js), and the
// kubelet's pod events.

const fs = require('node:fs');
const path = require('node:path');
const write = require('./write');
const events = require('./events');
const deployments = require('./deployments');
const replicasets = require('./replicasets');
const gc = require('./gc');

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
// the write that woke them has been answered. `later` runs fn once per key after a delay (a retry,
// or a replica set waiting out minReadySeconds); timers never keep the process alive.
function queue() {
  const pending = new Map();
  const timers = new Map();
  const enqueue = (key, fn) => {
    if (pending.has(key)) return;
    pending.set(key, setImmediate(() => {
      pending.delete(key);
      safely(fn);
    }));
  };
  const later = (key, ms, fn) => {
    if (timers.has(key)) return;
    const timer = setTimeout(() => { timers.delete(key); safely(fn); }, ms);
    if (timer.unref) timer.unref();
    timers.set(key, timer);
  };
  return { enqueue, later };
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

function watchNamespaces(sim, terminating, eventType, ns) {
  const name = ns.metadata.name;
  if (eventType === 'ADDED') populateNamespace(sim, ns);
  if (eventType !== 'DELETED' && ns.metadata.deletionTimestamp && !terminating.has(name)) {
    terminating.add(name);
    const finish = () => { terminating.delete(name); safely(() => finishNamespace(sim, name)); };
    const timer = setTimeout(finish, sim.namespaceCleanupMs ?? NAMESPACE_CLEANUP_MS);
    if (timer.unref) timer.unref();
  }
}

function startControllers(sim) {
  const ctl = queue();
  const killed = new Set();
  const terminating = new Set();
  return sim.store.subscribe((type, eventType, obj) => {
    if (type.group === '' && type.resource === 'namespaces') watchNamespaces(sim, terminating, eventType, obj);
    if (type.group === '' && type.resource === 'pods') podEvents(sim, ctl.enqueue, killed, eventType, obj);
    deployments.route(sim, ctl, type, eventType, obj);
    replicasets.route(sim, ctl, type, eventType, obj);
    gc.route(sim, ctl, type, eventType, obj);
  });
}

module.exports = { startControllers, populateNamespace, finishNamespace, templateHash: deployments.templateHash,
                   reconcileDeployment: deployments.reconcileDeployment };
