'use strict';
// Field ownership (metadata.managedFields), after sigs.k8s.io/structured-merge-diff as kube-apiserver
// uses it. A field set is a Map from a path key to its path; a path is a list of elements
// {f: field} | {k: {key: value}} | {v: value} | {i: index}. Simplified: ownership is tracked per
// leaf and list item, atomic lists and LabelSelectors are leaves, and status is never tracked on the
// main resource (it is a "reset field" there, as in the real registries).

const { child } = require('./schema');
const { isObject, timestamp } = require('./common');

const pathKey = (path) => JSON.stringify(path);

function sortedKeyObject(keys, item) {
  const out = {};
  for (const k of [...keys].sort()) if (item && k in item) out[k] = item[k];
  return out;
}

// Path element of a list item: by key for keyed lists, by value for sets, by index otherwise.
function itemElement(node, item, index) {
  if (node.keys) return { k: sortedKeyObject(node.keys, withKeyDefaults(node, item)) };
  if (node.set) return { v: item };
  return { i: index };
}

// SSA's list map keys include protocol, which defaults to TCP before the keys are read.
function withKeyDefaults(node, item) {
  if (node.keys.includes('protocol') && isObject(item) && item.protocol === undefined) return { ...item, protocol: 'TCP' };
  return item;
}

// Leaves and markers of obj below node. Leaves carry the JSON of their value, so two objects can be
// compared; markers (list items, and maps when markMaps) stand for the node itself.
function walk(node, value, path, out, opts) {
  const leaf = () => out.set(pathKey(path), { path, value: JSON.stringify(value), leaf: true });
  // A null decodes to Go's zero value, which is not a set field.
  if (value === undefined || value === null) return;
  if (!node || node.any || node.scalar || value === null || typeof value !== 'object' || node.atomicStruct) return leaf();
  if (node.list) {
    if (!Array.isArray(value) || !(node.keys || node.set)) return leaf();
    value.forEach((item, i) => {
      const p = [...path, itemElement(node, item, i)];
      if (node.set) out.set(pathKey(p), { path: p, value: '', leaf: true });
      else {
        out.set(pathKey(p), { path: p, value: '', leaf: false });
        walkChildren(node.list, item, p, out, opts);
      }
    });
    return undefined;
  }
  if (Array.isArray(value) || Object.keys(value).length === 0) return leaf();
  if (node.map && opts.markMaps && path.length) out.set(pathKey(path), { path, value: '', leaf: false });
  return walkChildren(node, value, path, out, opts);
}

function walkChildren(node, value, path, out, opts) {
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const p = [...path, { f: k }];
    walk(child(node, k), v, p, out, opts);
  }
}

// The fields of obj that managedFields tracks: spec-like content and metadata labels,
// annotations, finalizers and ownerReferences.
function trackedFields(schema, obj, { subresource = '', markMaps = false } = {}) {
  const out = new Map();
  if (!obj || !schema) return out;
  const opts = { markMaps };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'kind' || k === 'apiVersion') continue;
    if (subresource === 'status' ? k !== 'status' : k === 'status' && hasStatus(schema)) continue;
    if (k === 'metadata') {
      for (const mk of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
        if (v && v[mk] !== undefined) walk(child(child(schema, 'metadata'), mk), v[mk], [{ f: 'metadata' }, { f: mk }], out, opts);
      }
      continue;
    }
    walk(child(schema, k), v, [{ f: k }], out, opts);
  }
  return out;
}

function hasStatus(schema) {
  return Boolean(schema.struct && schema.struct.status);
}

// fieldpath.Path.String(): .spec.containers[name="x"].image
function pathString(path) {
  return path.map((e) => {
    if ('f' in e) return `.${e.f}`;
    if ('k' in e) return `[${Object.entries(e.k).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    if ('v' in e) return `[=${JSON.stringify(e.v)}]`;
    return `[${e.i}]`;
  }).join('');
}

function elementText(e) {
  if ('f' in e) return `f:${e.f}`;
  if ('k' in e) return `k:${JSON.stringify(e.k)}`;
  if ('v' in e) return `v:${JSON.stringify(e.v)}`;
  return `i:${e.i}`;
}

function parseElement(text) {
  const tag = text.slice(0, 2);
  const rest = text.slice(2);
  if (tag === 'f:') return { f: rest };
  if (tag === 'k:') return { k: JSON.parse(rest) };
  if (tag === 'v:') return { v: JSON.parse(rest) };
  return { i: Number(rest) };
}

// A set of paths as the fieldsV1 tree: {"f:spec":{"f:replicas":{}}}, "." for a member node that
// also has members below it.
function toFieldsV1(paths) {
  const root = {};
  const members = new Set();
  for (const path of paths) {
    let node = root;
    for (const e of path) {
      const t = elementText(e);
      node[t] = node[t] || {};
      node = node[t];
    }
    members.add(node);
  }
  const finish = (node) => {
    const keys = Object.keys(node).sort();
    const out = {};
    if (members.has(node) && keys.length) out['.'] = {};
    for (const k of keys) out[k] = finish(node[k]);
    return out;
  };
  return finish(root);
}

function fromFieldsV1(tree, prefix = [], out = []) {
  for (const [k, v] of Object.entries(tree || {})) {
    if (k === '.') continue;
    const p = [...prefix, parseElement(k)];
    const keys = Object.keys(v || {});
    if (keys.length === 0 || keys.includes('.')) out.push(p);
    fromFieldsV1(v, p, out);
  }
  return out;
}

// managedFields as {id -> entry with a Set of path keys}; ids follow BuildManagerIdentifier.
function decodeManaged(list) {
  const out = new Map();
  for (const e of list || []) {
    const paths = fromFieldsV1(e.fieldsV1 || {});
    const entry = { ...e, paths: new Map(paths.map((p) => [pathKey(p), p])) };
    out.set(managerId(e), entry);
  }
  return out;
}

function managerId(e) {
  return JSON.stringify([e.manager, e.operation, e.operation === 'Apply' ? '' : e.apiVersion, e.subresource || '']);
}

// The managedFields list in kube-apiserver's order: by operation, time, manager.
function encodeManaged(managers) {
  const list = [];
  for (const e of managers.values()) {
    if (e.paths.size === 0) continue;
    const entry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time,
                    fieldsType: 'FieldsV1', fieldsV1: toFieldsV1([...e.paths.values()]) };
    if (e.subresource) entry.subresource = e.subresource;
    list.push(entry);
  }
  list.sort((a, b) => cmp(a.operation, b.operation) || cmp(a.time, b.time) || cmp(a.manager, b.manager) ||
    cmp(a.apiVersion, b.apiVersion) || cmp(a.subresource || '', b.subresource || ''));
  return list;
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// Differences between two tracked-field maps: added or changed paths, and removed ones.
function diff(oldFields, newFields) {
  const changed = new Map();
  const removed = new Map();
  for (const [k, v] of newFields) {
    const o = oldFields.get(k);
    if (!o || o.value !== v.value) changed.set(k, v.path);
  }
  for (const [k, v] of oldFields) if (!newFields.has(k)) removed.set(k, v.path);
  return { changed, removed };
}

// Records an Update operation by `manager`: it takes the fields it changed from everyone else, and
// fields that disappeared leave every manager. Returns the new managedFields list.
function recordUpdate({ schema, oldObj, newObj, manager, apiVersion, subresource = '', now = new Date() }) {
  const managers = decodeManaged(oldObj && oldObj.metadata && oldObj.metadata.managedFields);
  const { changed, removed } = diff(trackedFields(schema, oldObj, { subresource, markMaps: true }),
    trackedFields(schema, newObj, { subresource, markMaps: true }));
  if (changed.size === 0 && removed.size === 0) return (oldObj && oldObj.metadata.managedFields) || undefined;
  const id = managerId({ manager, operation: 'Update', apiVersion, subresource });
  for (const [mid, e] of managers) {
    for (const k of removed.keys()) e.paths.delete(k);
    if (mid !== id) for (const k of changed.keys()) e.paths.delete(k);
  }
  const mine = managers.get(id) || { manager, operation: 'Update', apiVersion, subresource, paths: new Map() };
  for (const [k, p] of changed) mine.paths.set(k, p);
  mine.time = timestamp(now);
  mine.apiVersion = apiVersion;
  managers.set(id, mine);
  return encodeManaged(managers);
}

module.exports = {
  trackedFields, pathKey, pathString, toFieldsV1, fromFieldsV1, decodeManaged, encodeManaged, managerId, diff,
  recordUpdate, itemElement,
};
