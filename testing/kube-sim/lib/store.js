'use strict';
// The in-memory object store: etcd plus the watch cache, as far as clients can tell. One global,
// monotonically increasing resourceVersion (etcd's revision) stamps every write; a bounded history
// of recent changes serves watch resumption and consistent paginated lists, and anything older is
// "compacted" (410 Gone), as etcd compaction makes it on a real cluster.
//
// Objects go in and come out as deep copies of their JSON form, so no caller can change stored state
// behind the store's back (and watchers never see each other's edits).

const crypto = require('node:crypto');

const DEFAULT_HISTORY = 1000;

// Errors the store raises; lib/resources turns them into the Status kube-apiserver would send.
class StoreError extends Error {
  constructor(reason, message, extra = {}) {
    super(message);
    this.reason = reason; // 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired'
    Object.assign(this, extra);
  }
}

const META_ORDER = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations',
  'ownerReferences', 'finalizers', 'managedFields'];

// kind, apiVersion, metadata (Go ObjectMeta order), the rest as given, status last: how Go would
// serialise the typed object.
function canonical(type, obj) {
  const out = { kind: type.kind, apiVersion: type.groupVersion };
  const meta = {};
  for (const k of META_ORDER) if (obj.metadata && k in obj.metadata) meta[k] = obj.metadata[k];
  for (const k of Object.keys(obj.metadata || {})) if (!(k in meta)) meta[k] = obj.metadata[k];
  out.metadata = meta;
  for (const k of Object.keys(obj)) {
    if (!(k in out) && k !== 'status') out[k] = obj[k];
  }
  if ('status' in obj) out.status = obj.status;
  return out;
}

// RFC 3339 at second precision, as metav1.Time marshals.
function nowTimestamp(now = new Date()) {
  return `${now.toISOString().slice(0, 19)}Z`;
}

function typeKey(type) {
  return `${type.group}/${type.resource}`;
}

function objectKey(type, namespace, name) {
  return type.namespaced ? `${namespace}/${name}` : name;
}

function sameContent(a, b) {
  const strip = (o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

// One watcher's failure (a client gone mid-write) must not stop the others from hearing of it.
function deliver(fn, ev) {
  try {
    fn(ev.eventType, structuredClone(ev.object), ev.prev ? structuredClone(ev.prev) : null);
  } catch (e) {
    console.error('kube-sim: watcher failed:', e);
  }
}

class Store {
  constructor(registry = null, { historySize = DEFAULT_HISTORY } = {}) {
    this.registry = registry;
    this.historySize = historySize;
    this._rv = 1;
    this._tables = new Map(); // typeKey -> Map(objectKey -> object)
    this._types = new Map(); // typeKey -> type, for subscribers
    this._history = []; // {rv, tkey, namespace, eventType, object, prev}, oldest first
    this._compactedRV = 0; // states at resourceVersion >= this can still be reconstructed
    this._watchers = new Set();
    this._subscribers = new Set();
  }

  _table(type) {
    const k = typeKey(type);
    if (!this._tables.has(k)) {
      this._tables.set(k, new Map());
      this._types.set(k, type);
    }
    return this._tables.get(k);
  }

  resourceVersion() {
    return String(this._rv);
  }

  // The oldest resourceVersion a watch may resume from or a paginated list may continue at.
  compactedResourceVersion() {
    return this._compactedRV;
  }

  get(type, namespace, name) {
    const obj = this._table(type).get(objectKey(type, namespace, name));
    return obj ? structuredClone(obj) : null;
  }

  // Current objects in key order (etcd's order): by namespace, then name.
  list(type, namespace) {
    const items = this._select(type, namespace, this._table(type).values());
    return { items: items.map((o) => structuredClone(o)), resourceVersion: this.resourceVersion() };
  }

  // The objects as they were at resourceVersion rv, rebuilt by undoing later history. Throws
  // StoreError Expired once rv has been compacted away.
  listAt(type, namespace, rv) {
    const at = Number(rv);
    if (at >= this._rv) return this.list(type, namespace);
    if (at < this._compactedRV) {
      throw new StoreError('Expired', `too old resource version: ${at} (${this._compactedRV})`, { compacted: true });
    }
    const tkey = typeKey(type);
    const state = new Map(this._table(type));
    for (let i = this._history.length - 1; i >= 0 && this._history[i].rv > at; i--) {
      const ev = this._history[i];
      if (ev.tkey !== tkey) continue;
      const key = objectKey(type, ev.object.metadata.namespace, ev.object.metadata.name);
      if (ev.prev) state.set(key, ev.prev);
      else state.delete(key);
    }
    const items = this._select(type, namespace, state.values());
    return { items: items.map((o) => structuredClone(o)), resourceVersion: String(at) };
  }

  _select(type, namespace, values) {
    const items = [];
    for (const o of values) {
      if (!type.namespaced || !namespace || o.metadata.namespace === namespace) items.push(o);
    }
    const key = (o) => objectKey(type, o.metadata.namespace, o.metadata.name);
    return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  // Stores a new object: uid, resourceVersion and creationTimestamp are the store's to set.
  create(type, obj) {
    const table = this._table(type);
    const meta = obj.metadata || {};
    const key = objectKey(type, meta.namespace, meta.name);
    if (!meta.name) throw new StoreError('Invalid', 'name is required');
    if (table.has(key)) throw new StoreError('AlreadyExists', `${type.resource} "${meta.name}" already exists`);
    const stored = canonical(type, structuredClone(obj));
    if (!type.namespaced) delete stored.metadata.namespace;
    stored.metadata.uid = stored.metadata.uid || crypto.randomUUID();
    stored.metadata.creationTimestamp = stored.metadata.creationTimestamp || nowTimestamp();
    stored.metadata.resourceVersion = String(++this._rv);
    const ordered = canonical(type, stored);
    table.set(key, ordered);
    this._record(type, 'ADDED', ordered, null);
    return structuredClone(ordered);
  }

  // Replaces an object. A set metadata.resourceVersion is a precondition (409 Conflict when stale);
  // uid and creationTimestamp cannot change. A write that changes nothing keeps the old
  // resourceVersion and sends no event, as kube-apiserver's GuaranteedUpdate does.
  update(type, obj) {
    const table = this._table(type);
    const meta = obj.metadata || {};
    const key = objectKey(type, meta.namespace, meta.name);
    const current = table.get(key);
    if (!current) throw new StoreError('NotFound', `${type.resource} "${meta.name}" not found`);
    if (meta.resourceVersion && meta.resourceVersion !== current.metadata.resourceVersion) {
      throw new StoreError('Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const next = canonical(type, structuredClone(obj));
    if (!type.namespaced) delete next.metadata.namespace;
    next.metadata.uid = current.metadata.uid;
    next.metadata.creationTimestamp = current.metadata.creationTimestamp;
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    const ordered = canonical(type, next);
    if (sameContent(ordered, current)) return structuredClone(current);
    ordered.metadata.resourceVersion = String(++this._rv);
    table.set(key, ordered);
    this._record(type, 'MODIFIED', ordered, current);
    return structuredClone(ordered);
  }

  // Removes an object; the returned copy carries the deletion's resourceVersion, as etcd3's
  // delete does (and as the DELETED watch event shows it).
  delete(type, namespace, name) {
    const table = this._table(type);
    const key = objectKey(type, namespace, name);
    const current = table.get(key);
    if (!current) throw new StoreError('NotFound', `${type.resource} "${name}" not found`);
    table.delete(key);
    const gone = structuredClone(current);
    gone.metadata.resourceVersion = String(++this._rv);
    this._record(type, 'DELETED', gone, current);
    return structuredClone(gone);
  }

  _record(type, eventType, object, prev) {
    const ev = { rv: this._rv, tkey: typeKey(type), namespace: object.metadata.namespace || '', eventType, object, prev };
    this._history.push(ev);
    while (this._history.length > this.historySize) this._compactedRV = this._history.shift().rv;
    for (const w of [...this._watchers]) {
      if (this._watchers.has(w) && this._matches(w, ev)) deliver(w.fn, ev);
    }
    for (const fn of [...this._subscribers]) {
      try {
        fn(type, eventType, structuredClone(object));
      } catch (e) {
        console.error('kube-sim: store subscriber failed:', e);
      }
    }
  }

  _matches(w, ev) {
    return w.tkey === ev.tkey && (!w.namespace || w.namespace === ev.namespace) && ev.rv > w.sinceRV;
  }

  // Calls fn(eventType, object, previousObject) for each change to this type (in the namespace, '' = all) after
  // sinceRV. Events still in history are replayed synchronously before watch() returns; a
  // sinceRV that is unset starts at the present. Throws StoreError Expired for a compacted sinceRV.
  watch(type, namespace, sinceRV, fn) {
    const tkey = typeKey(type);
    this._table(type);
    const start = sinceRV === undefined || sinceRV === null || sinceRV === '' ? this._rv : Number(sinceRV);
    if (start < this._compactedRV) {
      throw new StoreError('Expired', `too old resource version: ${start} (${this._compactedRV})`, { compacted: true });
    }
    const w = { tkey, namespace: namespace || '', sinceRV: start, fn };
    for (const ev of this._history) {
      if (this._matches(w, ev)) deliver(fn, ev);
    }
    this._watchers.add(w);
    return () => this._watchers.delete(w);
  }

  // fn(type, eventType, object) for every change to every type: the controllers' informer.
  subscribe(fn) {
    this._subscribers.add(fn);
    return () => this._subscribers.delete(fn);
  }

  // Drops all history, as an etcd compaction would: older watches and continue tokens expire.
  compact() {
    if (this._history.length) this._compactedRV = this._history[this._history.length - 1].rv;
    this._history = [];
  }

  watcherCount() {
    return this._watchers.size;
  }
}

module.exports = { Store, StoreError, nowTimestamp, typeKey };
