'use strict';
// The three classic patch types kube-apiserver accepts: JSON patch (RFC 6902), JSON merge patch
// (RFC 7386) and strategic merge patch (apimachinery pkg/util/strategicpatch) with the built-in
// kinds' merge keys from schema.js. Each takes the current object and returns the patched one;
// failures throw the Status the real patch handler sends.

const { StatusError, badRequest } = require('../status');
const { child } = require('./schema');
const { isObject, deepEqual } = require('./common');

// errors.NewGenericServerResponse(422, ...): what a failed JSON patch operation returns.
function patchRejected() {
  return new StatusError({ code: 422, reason: 'Invalid',
    message: 'the server rejected our request due to an error in our request', details: {} });
}

// ---------------------------------------------------------------------------------------------
// JSON patch

function decodePointer(ptr) {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw patchRejected();
  return ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolveParent(doc, parts) {
  let node = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(p)];
    else if (isObject(node)) node = node[p];
    else node = undefined;
    if (node === undefined || node === null) throw patchRejected();
  }
  return node;
}

function getAt(doc, parts) {
  let node = doc;
  for (const p of parts) {
    if (Array.isArray(node) && /^\d+$/.test(p) && Number(p) < node.length) node = node[Number(p)];
    else if (isObject(node) && Object.prototype.hasOwnProperty.call(node, p)) node = node[p];
    else throw patchRejected();
  }
  return node;
}

function addAt(doc, parts, value) {
  if (parts.length === 0) return value;
  const parent = resolveParent(doc, parts);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!/^\d+$/.test(last) && last !== '-') throw patchRejected();
    if (i > parent.length) throw patchRejected();
    parent.splice(i, 0, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw patchRejected();
  return doc;
}

function removeAt(doc, parts) {
  const parent = resolveParent(doc, parts);
  const last = parts[parts.length - 1];
  getAt(doc, parts);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return doc;
}

function applyJSONPatch(current, ops) {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(current);
  for (const op of ops) {
    if (!isObject(op) || typeof op.op !== 'string') throw badRequest("Unexpected kind: ");
    const path = decodePointer(String(op.path ?? ''));
    switch (op.op) {
      case 'add': doc = addAt(doc, path, structuredClone(op.value)); break;
      case 'remove': doc = removeAt(doc, path); break;
      case 'replace':
        getAt(doc, path);
        doc = path.length === 0 ? structuredClone(op.value) : removeAt(doc, path) && addAt(doc, path, structuredClone(op.value));
        break;
      case 'move': {
        const from = decodePointer(String(op.from ?? ''));
        const v = getAt(doc, from);
        doc = addAt(removeAt(doc, from), path, v);
        break;
      }
      case 'copy': doc = addAt(doc, path, structuredClone(getAt(doc, decodePointer(String(op.from ?? ''))))); break;
      case 'test':
        if (!deepEqual(getAt(doc, path), op.value)) throw patchRejected();
        break;
      default: throw badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// JSON merge patch

function applyMergePatch(current, patch) {
  if (!isObject(patch)) return structuredClone(patch);
  const out = isObject(current) ? structuredClone(current) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

const DIRECTIVE = '$patch';
const ORDER_PREFIX = '$setElementOrder/';
const DELETE_PRIMITIVE_PREFIX = '$deleteFromPrimitiveList/';
const RETAIN_KEYS = '$retainKeys';

function applyStrategicPatch(current, patch, schema) {
  if (!isObject(patch)) throw badRequest('unable to find api field in struct Unstructured for the json field "$patch"');
  return mergeMap(isObject(current) ? structuredClone(current) : {}, patch, schema);
}

function mergeMap(original, patch, node) {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch);
  if (directive !== undefined) throw badRequest(`Unrecognized patch type: ${directive}`);
  const out = original;
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(ORDER_PREFIX)) continue;
    if (k.startsWith(DELETE_PRIMITIVE_PREFIX)) {
      const field = k.slice(DELETE_PRIMITIVE_PREFIX.length);
      if (Array.isArray(out[field])) out[field] = out[field].filter((x) => !(v || []).some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const sub = child(node, k);
    const merged = mergeValue(out[k], v, sub);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  for (const [k, order] of Object.entries(patch)) {
    if (k.startsWith(ORDER_PREFIX)) {
      const field = k.slice(ORDER_PREFIX.length);
      if (Array.isArray(out[field])) out[field] = reorder(out[field], order, child(node, field));
    }
  }
  if (Array.isArray(patch[RETAIN_KEYS])) {
    for (const k of Object.keys(out)) if (!patch[RETAIN_KEYS].includes(k)) delete out[k];
  }
  return out;
}

function mergeValue(original, patch, node) {
  if (isObject(patch)) {
    if (node && (node.scalar || (node.list && !isObject(patch)))) return stripDirectives(patch);
    return mergeMap(isObject(original) ? original : {}, patch, node);
  }
  if (Array.isArray(patch)) return mergeList(Array.isArray(original) ? original : [], patch, node);
  return patch;
}

function stripDirectives(v) {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(ORDER_PREFIX) || k.startsWith(DELETE_PRIMITIVE_PREFIX)) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

// Lists with a patchMergeKey merge item by item; primitive lists tagged merge take the union;
// every other list is replaced, as in apimachinery's mergeSlice.
function mergeList(original, patch, node) {
  const replace = patch.find((x) => isObject(x) && x[DIRECTIVE] === 'replace');
  if (replace) return stripDirectives(patch.filter((x) => x !== replace));
  if (node && node.smpKey) return mergeKeyedList(original, patch, node);
  if (node && node.set && node.smpMerge) {
    const out = [...original];
    for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(v);
    return out;
  }
  return stripDirectives(patch);
}

function mergeKeyedList(original, patch, node) {
  const key = node.smpKey;
  const out = original.map((x) => structuredClone(x));
  for (const item of patch) {
    if (!isObject(item)) continue;
    if (!(key in item)) {
      throw badRequest(`map: ${formatGoMap(item)} does not contain declared merge key: ${key}`);
    }
    const i = out.findIndex((x) => isObject(x) && deepEqual(x[key], item[key]));
    if (item[DIRECTIVE] === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = mergeMap(out[i], item, node.list);
    else out.push(mergeMap({}, item, node.list));
  }
  return out;
}

function formatGoMap(m) {
  return `map[${Object.keys(m).sort().map((k) => `${k}:${typeof m[k] === 'object' ? JSON.stringify(m[k]) : m[k]}`).join(' ')}]`;
}

// $setElementOrder: the listed items first, in the given order, then any others as they were.
function reorder(list, order, node) {
  if (!Array.isArray(order)) return list;
  const key = node && node.smpKey;
  const same = (a, b) => (key && isObject(a) && isObject(b) ? deepEqual(a[key], b[key]) : deepEqual(a, b));
  const out = [];
  for (const o of order) {
    const found = list.find((x) => same(x, o) && !out.includes(x));
    if (found !== undefined) out.push(found);
  }
  for (const x of list) if (!out.includes(x)) out.push(x);
  return out;
}

module.exports = { applyJSONPatch, applyMergePatch, applyStrategicPatch, patchRejected };
