'use strict';
// Server-side apply (application/apply-patch+yaml) after structured-merge-diff, simplified: the
// applied configuration is merged into the live object by the schema's list keys, fields the
// manager applied before and dropped now are pruned, and changes to fields other managers own are
// conflicts (409 with one cause per field, as NewConflictError writes them) unless force=true.

const { StatusError } = require('../status');
const { child } = require('./schema');
const { isObject, deepEqual, timestamp } = require('./common');
const managed = require('./managed');

// The merged value of the applied configuration over the live one.
function merge(node, live, applied) {
  if (applied === undefined) return structuredClone(live);
  if (!node || node.scalar || node.atomicStruct || !isObject(applied) && !Array.isArray(applied)) {
    return structuredClone(applied);
  }
  if (node.list) return mergeList(node, live, applied);
  if (!isObject(applied)) return structuredClone(applied);
  const out = isObject(live) ? structuredClone(live) : {};
  for (const [k, v] of Object.entries(applied)) {
    if (v === null) delete out[k];
    else out[k] = merge(child(node, k), out[k], v);
  }
  return out;
}

function mergeList(node, live, applied) {
  if (!Array.isArray(applied) || !(node.keys || node.set) || !Array.isArray(live)) return structuredClone(applied);
  const out = live.map((x) => structuredClone(x));
  applied.forEach((item, i) => {
    const el = JSON.stringify(managed.itemElement(node, item, i));
    const at = out.findIndex((x, j) => JSON.stringify(managed.itemElement(node, x, j)) === el);
    if (at < 0) out.push(structuredClone(item));
    else if (!node.set) out[at] = merge(node.list, out[at], item);
  });
  return out;
}

// Removes the field at path from obj (a list item for a key/value element).
function removePath(obj, path) {
  let node = obj;
  for (let i = 0; i < path.length; i++) {
    const e = path[i];
    const last = i === path.length - 1;
    if ('f' in e) {
      if (!isObject(node) || !(e.f in node)) return;
      if (last) delete node[e.f];
      else node = node[e.f];
    } else if (Array.isArray(node)) {
      const at = node.findIndex((x, j) => ('k' in e ? Object.entries(e.k).every(([k, v]) => x && (x[k] ?? (k === 'protocol' ? 'TCP' : undefined)) === v)
        : 'v' in e ? deepEqual(x, e.v) : j === e.i));
      if (at < 0) return;
      if (last) node.splice(at, 1);
      else node = node[at];
    } else return;
  }
}

function isPrefix(prefix, path) {
  return prefix.length <= path.length && prefix.every((e, i) => JSON.stringify(e) === JSON.stringify(path[i]));
}

// Fields this manager applied last time and no longer does, that nobody else owns, leave the object.
function prune(obj, managers, myId, lastPaths, newPaths) {
  const others = [...managers].filter(([id]) => id !== myId).flatMap(([, e]) => [...e.paths.values()]);
  const dropped = [...lastPaths.values()].filter((p) => !newPaths.has(managed.pathKey(p)))
    .sort((a, b) => a.length - b.length); // whole list items first, before their fields
  const kept = [...others, ...newPaths.values()];
  for (const p of dropped) {
    // A node still applied below (a map whose marker only the old set had) or owned by someone
    // else stays.
    if (!kept.some((o) => isPrefix(p, o))) removePath(obj, p);
  }
  // Go's omitempty maps: a map left empty is not serialised at all.
  const meta = obj.metadata || {};
  for (const k of ['labels', 'annotations']) if (isObject(meta[k]) && Object.keys(meta[k]).length === 0) delete meta[k];
  for (const k of ['data', 'stringData', 'binaryData']) if (isObject(obj[k]) && Object.keys(obj[k]).length === 0) delete obj[k];
}

function printManager(e) {
  const name = JSON.stringify(e.manager);
  const withSub = e.subresource ? `${name} with subresource ${JSON.stringify(e.subresource)}` : name;
  return e.operation === 'Update' ? `${withSub} using ${e.apiVersion}` : withSub;
}

// apimachinery managedfields internal/conflict.go NewConflictError.
function conflictError(conflicts) {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.entry)}`,
                                          field: managed.pathString(c.path) }));
  let message;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].entry)}: ${causes[0].field}`;
  } else {
    const byManager = new Map();
    for (const c of conflicts) {
      const m = printManager(c.entry);
      if (!byManager.has(c.entry.manager)) byManager.set(c.entry.manager, { m, paths: [] });
      byManager.get(c.entry.manager).paths.push(managed.pathString(c.path));
    }
    const lines = [];
    for (const name of [...byManager.keys()].sort()) {
      const { m, paths } = byManager.get(name);
      lines.push(`conflicts with ${m}:`, ...paths.map((p) => `- ${p}`));
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError({ code: 409, reason: 'Conflict', message, details: { causes } });
}

// Applies `applied` for `manager` over `live` (null when the object does not exist yet).
// `finish(obj)` runs defaulting on the merged object before ownership is compared. Returns the new
// object with its managedFields; throws a 409 Status on conflicts unless force.
function serverSideApply({ schema, live, applied, manager, apiVersion, force, subresource = '', finish = (o) => o,
                           now = new Date() }) {
  const managers = managed.decodeManaged(live && live.metadata && live.metadata.managedFields);
  const myId = managed.managerId({ manager, operation: 'Apply', subresource });
  const mine = managers.get(myId);
  const lastPaths = mine ? mine.paths : new Map();
  const appliedFields = managed.trackedFields(schema, applied, { subresource });
  const newPaths = new Map([...appliedFields].map(([k, v]) => [k, v.path]));

  let obj = merge(schema, live || {}, stripMeta(applied));
  prune(obj, managers, myId, lastPaths, newPaths);
  obj = finish(obj);

  const before = managed.trackedFields(schema, live, { subresource });
  const after = managed.trackedFields(schema, obj, { subresource });
  const { changed, removed } = managed.diff(before, after);
  const conflicts = [];
  for (const [id, e] of managers) {
    if (id === myId) continue;
    for (const [k, p] of changed) {
      if (e.paths.has(k) && newPaths.has(k)) conflicts.push({ entry: e, path: p, key: k });
    }
  }
  if (conflicts.length && !force) throw conflictError(conflicts);
  for (const c of conflicts) c.entry.paths.delete(c.key);
  for (const [id, e] of managers) {
    if (id !== myId) for (const k of removed.keys()) e.paths.delete(k);
  }
  const sameAsBefore = mine && changed.size === 0 && removed.size === 0 && lastPaths.size === newPaths.size;
  managers.set(myId, { manager, operation: 'Apply', apiVersion, subresource, paths: newPaths,
                       time: sameAsBefore ? mine.time : timestamp(now) });
  obj.metadata = obj.metadata || {};
  obj.metadata.managedFields = managed.encodeManaged(managers);
  return obj;
}

// The metadata an apply configuration may set; the rest (uid, resourceVersion, ...) is the server's.
function stripMeta(applied) {
  const out = structuredClone(applied);
  if (isObject(out.metadata)) {
    delete out.metadata.managedFields;
    delete out.metadata.creationTimestamp;
  }
  return out;
}

module.exports = { serverSideApply, merge, conflictError };
