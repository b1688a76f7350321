'use strict';
// The garbage collector (kube-controller-manager pkg/controller/garbagecollector) for what clients
// notice. When an owner goes, its dependents go too (background propagation, the default for
// apps/v1), or just lose the reference while another owner of theirs remains. An owner deleted with
// propagationPolicy Foreground keeps its deletionTimestamp and the foregroundDeletion finalizer
// until its blocking dependents are gone; one deleted with Orphan keeps the orphan finalizer until
// its dependents no longer name it. delete.js puts those finalizers on.

const { deleteOne, FOREGROUND, ORPHAN } = require('./delete');
const { controllerUpdate } = require('./owners');

// Which objects name which owner uid, kept from the change feed (the real collector's graph), so a
// deletion looks up its dependents instead of scanning every object of the namespace.
class OwnerIndex {
  constructor() {
    this.byOwner = new Map(); // owner uid -> Map(object key -> {type, namespace, name})
    this.ownersOf = new Map(); // object key -> [owner uid]
  }

  track(type, eventType, obj) {
    const { namespace = '', name } = obj.metadata;
    const key = `${type.group}/${type.resource}/${namespace}/${name}`;
    for (const uid of this.ownersOf.get(key) || []) {
      const deps = this.byOwner.get(uid);
      if (deps && deps.delete(key) && !deps.size) this.byOwner.delete(uid);
    }
    this.ownersOf.delete(key);
    const uids = eventType === 'DELETED' ? [] : (obj.metadata.ownerReferences || []).map((r) => r.uid);
    if (!uids.length) return;
    this.ownersOf.set(key, uids);
    for (const uid of uids) {
      if (!this.byOwner.has(uid)) this.byOwner.set(uid, new Map());
      this.byOwner.get(uid).set(key, { type, namespace, name });
    }
  }

  // [{type, obj, ref}] of the objects whose ownerReferences name uid, as stored now.
  dependentsOf(sim, uid) {
    const out = [];
    for (const { type, namespace, name } of (this.byOwner.get(uid) || new Map()).values()) {
      const obj = sim.store.get(type, namespace, name);
      const ref = obj && (obj.metadata.ownerReferences || []).find((r) => r.uid === uid);
      if (ref) out.push({ type, obj, ref });
    }
    return out;
  }
}

const indexes = new WeakMap(); // sim -> OwnerIndex

function dependentsOf(sim, uid) {
  return indexes.has(sim) ? indexes.get(sim).dependentsOf(sim, uid) : [];
}

function typeOfRef(sim, ref) {
  const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
  return sim.registry.types.find((t) => t.group === group && t.version === version && t.kind === ref.kind && !t.virtual) ||
    sim.registry.types.find((t) => t.group === group && t.kind === ref.kind && !t.virtual) || null;
}

// The owner a reference names, if it still exists under that uid.
function ownerOf(sim, ref, namespace) {
  const type = typeOfRef(sim, ref);
  if (!type) return { type: null, owner: null };
  const owner = sim.store.get(type, type.namespaced ? namespace : '', ref.name);
  return { type, owner: owner && owner.metadata.uid === ref.uid ? owner : null };
}

function removeReference(sim, type, obj, uid) {
  const next = structuredClone(obj);
  next.metadata.ownerReferences = obj.metadata.ownerReferences.filter((r) => r.uid !== uid);
  if (!next.metadata.ownerReferences.length) delete next.metadata.ownerReferences;
  controllerUpdate(sim, type, next, obj);
}

// The last finalizer gone, the store drops an object that has a deletionTimestamp (write.commitUpdate).
function removeFinalizer(sim, type, obj, finalizer) {
  const next = structuredClone(obj);
  next.metadata.finalizers = (obj.metadata.finalizers || []).filter((f) => f !== finalizer);
  if (!next.metadata.finalizers.length) delete next.metadata.finalizers;
  controllerUpdate(sim, type, next, obj);
}

// attemptToDeleteItem for each dependent of a gone or foreground-deleting owner: a dependent with
// another live owner only loses the reference; otherwise it is deleted, in the foreground itself
// when its owner waits for it and it has dependents of its own.
function deleteDependents(sim, owner, { foreground }) {
  const { uid } = owner.metadata;
  for (const { type, obj } of dependentsOf(sim, uid)) {
    if (obj.metadata.deletionTimestamp) continue;
    const others = obj.metadata.ownerReferences.filter((r) => r.uid !== uid);
    if (others.some((r) => ownerOf(sim, r, obj.metadata.namespace).owner || !typeOfRef(sim, r))) {
      removeReference(sim, type, obj, uid);
      continue;
    }
    const cascade = foreground && dependentsOf(sim, obj.metadata.uid).length ? 'Foreground' : 'Background';
    try {
      deleteOne(sim, type, obj, { propagationPolicy: cascade });
    } catch (e) {
      if (e.code !== 404) throw e;
    }
  }
}

// An owner in foreground deletion goes once no dependent that blocks it is left.
function finishForeground(sim, type, namespace, name) {
  const owner = sim.store.get(type, namespace, name);
  if (!owner || !(owner.metadata.finalizers || []).includes(FOREGROUND)) return;
  deleteDependents(sim, owner, { foreground: true });
  const blocking = dependentsOf(sim, owner.metadata.uid).filter(({ ref }) => ref.blockOwnerDeletion);
  if (!blocking.length) removeFinalizer(sim, type, owner, FOREGROUND);
}

function finishOrphan(sim, type, namespace, name) {
  const owner = sim.store.get(type, namespace, name);
  if (!owner || !(owner.metadata.finalizers || []).includes(ORPHAN)) return;
  for (const { type: t, obj } of dependentsOf(sim, owner.metadata.uid)) removeReference(sim, t, obj, owner.metadata.uid);
  removeFinalizer(sim, type, owner, ORPHAN);
}

// Wiring: `ctl.enqueue(key, fn)` runs fn once per key on a later turn of the event loop.
function route(sim, ctl, type, eventType, obj) {
  if (!indexes.has(sim)) indexes.set(sim, new OwnerIndex());
  indexes.get(sim).track(type, eventType, obj);
  const { uid, namespace = '', name } = obj.metadata;
  if (eventType === 'DELETED') {
    ctl.enqueue(`gc/${uid}`, () => deleteDependents(sim, obj, { foreground: false }));
    // Its owners may be waiting for it in the foreground.
    for (const ref of obj.metadata.ownerReferences || []) {
      const { type: ownerType, owner } = ownerOf(sim, ref, namespace);
      if (owner && owner.metadata.deletionTimestamp) {
        ctl.enqueue(`gc-fg/${ref.uid}`, () => finishForeground(sim, ownerType, owner.metadata.namespace || '', owner.metadata.name));
      }
    }
    return;
  }
  if (!obj.metadata.deletionTimestamp) return;
  const finalizers = obj.metadata.finalizers || [];
  if (finalizers.includes(ORPHAN)) ctl.enqueue(`gc-orphan/${uid}`, () => finishOrphan(sim, type, namespace, name));
  else if (finalizers.includes(FOREGROUND)) ctl.enqueue(`gc-fg/${uid}`, () => finishForeground(sim, type, namespace, name));
}

module.exports = { route, dependentsOf };
