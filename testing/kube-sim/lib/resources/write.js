'use strict';
// The steps every write of a whole object takes, in kube-apiserver's order: decode (kind check,
// strict field validation), admission (namespace lifecycle, service account), the registry
// strategy (PrepareForCreate/Update, defaulting, validation), field ownership, then the store.
// Create, update, patch, apply, scale, status and the controllers all funnel through here.

const { badRequest, forbidden, notFound, internalError } = require('../status');
const common = require('./common');
const { unknownFields, schemaFor, child } = require('./schema');
const { applyDefaults, admitNewPod, qosClass, randomSuffix } = require('./defaults');
const { validate } = require('./validation');
const { matchesLabelSelector } = require('./selectors');
const managed = require('./managed');
const { versionAtMost } = require('../registry');

// Kinds whose PUT creates a missing object (their strategies' AllowCreateOnUpdate).
const CREATE_ON_UPDATE = new Set(['Event', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'Node']);
// Kinds whose registry keeps status on main-resource updates; all but nodes also reset it on create.
const STATUS_KINDS = new Set(['Pod', 'Deployment', 'ReplicaSet', 'Namespace', 'Node']);
const STATUS_RESET_ON_CREATE = new Set(['Pod', 'Deployment', 'ReplicaSet', 'Namespace']);
// Kinds whose metadata.generation counts spec changes; pods since 1.33 (KEP-5067).
function countsGeneration(sim, kind) {
  if (kind === 'Deployment' || kind === 'ReplicaSet') return true;
  return kind === 'Pod' && !versionAtMost(sim.emulatedVersion || '1.33', '1.32');
}

// The deployment strategy bumps generation on annotation changes too (the controller copies them
// to the new ReplicaSet), and its status strategy resets only spec and labels, so the controller
// records its revision annotation through deployments/status.
const ANNOTATIONS_COUNT_GENERATION = new Set(['Deployment']);
const STATUS_WRITES_ANNOTATIONS = new Set(['Deployment']);

function generationChanged(kind, obj, old) {
  if (JSON.stringify(obj.spec) !== JSON.stringify(old.spec)) return true;
  if (!ANNOTATIONS_COUNT_GENERATION.has(kind)) return false;
  const [a, b] = [obj.metadata.annotations || {}, old.metadata.annotations || {}];
  return Object.keys(a).length !== Object.keys(b).length || Object.keys(a).some((k) => a[k] !== b[k]);
}

// A new object's status as its strategy's PrepareForCreate leaves it (JSON form: ReplicaSetStatus
// has no omitempty on replicas).
function resetStatus(kind) {
  if (kind === 'Pod') return { phase: 'Pending' };
  return kind === 'ReplicaSet' ? { replicas: 0 } : {};
}
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function typeOf(sim, group, resource) {
  return sim.registry.types.find((t) => t.group === group && t.resource === resource);
}

// Checks the body's kind and apiVersion against the endpoint, and applies fieldValidation to
// unknown fields (dropping them, as decoding into the Go type does). Returns warnings.
function decodeChecks(type, obj, validation, kindOfBody = type.kind) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(obj)}'`);
  }
  const gv = type.groupVersion;
  if (obj.apiVersion && obj.apiVersion !== gv) {
    throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${gv})`);
  }
  if (obj.kind && obj.kind !== kindOfBody) {
    throw badRequest(`${obj.kind} in version "${type.version}" cannot be handled as a ${kindOfBody}: converting (${gv}.${obj.kind}) to (${kindOfBody}): unknown conversion`);
  }
  const unknown = validation === 'Ignore' ? [] : unknownFields(kindOfBody, obj);
  dropUnknown(schemaFor(kindOfBody), obj);
  if (unknown.length === 0) return [];
  const texts = unknown.map((p) => `unknown field "${p}"`);
  if (validation === 'Strict') {
    throw badRequest(`${kindOfBody} in version "${type.version}" cannot be handled as a ${kindOfBody}: strict decoding error: ${texts.join(', ')}`);
  }
  return texts;
}

function dropUnknown(node, value) {
  if (!node || node.any || node.scalar || value === null || typeof value !== 'object') return;
  if (node.list) {
    if (Array.isArray(value)) for (const v of value) dropUnknown(node.list, v);
    return;
  }
  if (Array.isArray(value)) return;
  for (const k of Object.keys(value)) {
    const sub = child(node, k);
    if (node.struct && !sub) delete value[k];
    else dropUnknown(sub, value[k]);
  }
}

// apimachinery names.SimpleNameGenerator: the prefix cut to 58 characters plus 5 random ones.
function generateName(base) {
  return `${base.slice(0, 58)}${randomSuffix(5)}`;
}

// NamespaceLifecycle admission: the namespace must exist and not be terminating.
function admitNamespace(sim, type, namespace, name) {
  if (!type.namespaced) return;
  const ns = sim.store.get(typeOf(sim, '', 'namespaces'), '', namespace);
  if (!ns) throw notFound('namespaces', namespace);
  if (ns.metadata.deletionTimestamp || (ns.status && ns.status.phase === 'Terminating')) {
    throw forbidden(type.resource, name, type.group,
      `unable to create new content in namespace ${namespace} because it is being terminated`);
  }
}

// The ServiceAccount admission plugin: a new pod's service account must exist.
function admitPod(sim, type, pod) {
  admitNewPod(pod);
  const saType = typeOf(sim, '', 'serviceaccounts');
  const sa = pod.spec.serviceAccountName;
  if (!sim.store.get(saType, pod.metadata.namespace, sa)) {
    throw forbidden(type.resource, pod.metadata.name, type.group,
      `error looking up service account ${pod.metadata.namespace}/${sa}: serviceaccount "${sa}" not found`);
  }
}

function throwIfInvalid(type, obj, old) {
  const errs = validate(type, obj, { old, selectorMatches: matchesLabelSelector });
  if (errs.length) throw common.invalid(type.kind, type.group, obj.metadata.name || '', errs);
}

// Server-owned metadata a client may not set on create.
function resetForCreate(sim, type, obj) {
  const meta = obj.metadata;
  delete meta.uid;
  delete meta.creationTimestamp;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  delete meta.managedFields;
  if (countsGeneration(sim, type.kind)) meta.generation = 1;
  else delete meta.generation;
  if (STATUS_RESET_ON_CREATE.has(type.kind)) obj.status = resetStatus(type.kind);
}

// Everything create does before the store: returns the object ready to persist.
function prepareCreate(sim, type, obj, { namespace, manager, now = new Date() }) {
  obj.metadata = obj.metadata || {};
  const meta = obj.metadata;
  admitNamespace(sim, type, namespace, meta.name || '');
  if (type.namespaced) {
    if (meta.namespace && meta.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = namespace;
  } else delete meta.namespace;
  if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
  const clientRV = meta.resourceVersion;
  delete meta.resourceVersion;
  resetForCreate(sim, type, obj);
  applyDefaults(type.kind, obj);
  if (type.kind === 'Pod') {
    admitPod(sim, type, obj);
    obj.status.qosClass = qosClass(obj);
  }
  throwIfInvalid(type, obj, null);
  // etcd3's store refuses it, after validation; kube-apiserver reports it as an internal error.
  if (clientRV) throw internalError('resourceVersion should not be set on objects to be created');
  const schema = schemaFor(type.kind);
  if (schema) {
    const mf = managed.recordUpdate({ schema, oldObj: null, newObj: obj, manager, apiVersion: type.groupVersion, now });
    if (mf) meta.managedFields = mf;
  }
  return obj;
}

// Everything an update does before the store. `old` is the stored object; subresource '' or 'status'.
function prepareUpdate(sim, type, obj, old, { manager, subresource = '', now = new Date(), managerSubresource }) {
  let meta = obj.metadata = obj.metadata || {};
  for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) {
    if (old.metadata[k] !== undefined) meta[k] = old.metadata[k];
    else delete meta[k];
  }
  if (type.namespaced) meta.namespace = old.metadata.namespace;
  if (subresource === 'status') {
    const status = obj.status;
    const annotations = meta.annotations;
    Object.assign(obj, structuredClone(old), { status });
    obj.metadata = { ...structuredClone(old.metadata), resourceVersion: meta.resourceVersion };
    meta = obj.metadata;
    if (STATUS_WRITES_ANNOTATIONS.has(type.kind)) {
      if (annotations && Object.keys(annotations).length) meta.annotations = annotations;
      else delete meta.annotations;
    }
  } else if (STATUS_KINDS.has(type.kind)) {
    if (old.status !== undefined) obj.status = structuredClone(old.status);
    else delete obj.status;
    if (type.kind === 'Namespace') obj.spec = structuredClone(old.spec);
  }
  applyDefaults(type.kind, obj);
  if (countsGeneration(sim, type.kind) && subresource !== 'status' && generationChanged(type.kind, obj, old)) {
    meta.generation = (old.metadata.generation || 1) + 1;
  }
  throwIfInvalid(type, obj, old);
  const schema = schemaFor(type.kind);
  const base = ownershipBase(old, meta.managedFields);
  delete meta.managedFields;
  if (schema) {
    const mf = managed.recordUpdate({ schema, oldObj: base, newObj: obj, manager, apiVersion: type.groupVersion,
      subresource: managerSubresource ?? subresource, now });
    if (mf && mf.length) meta.managedFields = mf;
  } else if (old.metadata.managedFields) meta.managedFields = old.metadata.managedFields;
  return obj;
}

// A write may replace managedFields (kubectl's client-side to server-side apply migration does);
// [{}] resets them, and an absent or empty list keeps the stored ones.
function ownershipBase(old, incoming) {
  if (!Array.isArray(incoming) || incoming.length === 0) return old;
  if (JSON.stringify(incoming) === JSON.stringify(old.metadata.managedFields)) return old;
  const reset = incoming.length === 1 && Object.keys(incoming[0] || {}).length === 0;
  return { ...old, metadata: { ...old.metadata, managedFields: reset ? [] : incoming } };
}

// Stores a prepared new object (or, for dry runs, returns what would have been stored).
function commitCreate(sim, type, obj, { dryRun }) {
  if (type.kind === 'Pod' && sim.pods && !dryRun) sim.pods.prepareNewPod(obj);
  if (dryRun) {
    if (sim.store.get(type, obj.metadata.namespace, obj.metadata.name)) {
      throw common.fromStoreError({ reason: 'AlreadyExists' }, type, obj.metadata.name);
    }
    obj.metadata.uid = require('node:crypto').randomUUID();
    obj.metadata.creationTimestamp = common.timestamp();
    return canonicalCopy(type, obj);
  }
  try {
    return sim.store.create(type, obj);
  } catch (e) {
    throw common.fromStoreError(e, type, obj.metadata.name);
  }
}

function canonicalCopy(type, obj) {
  return { kind: type.kind, apiVersion: type.groupVersion, ...common.withoutTypeMeta(obj) };
}

// Stores a prepared update; an object with a deletionTimestamp and no finalizers left is deleted,
// as the generic registry does once the last finalizer goes.
function commitUpdate(sim, type, obj, { dryRun }) {
  const meta = obj.metadata;
  if (dryRun) {
    const cur = sim.store.get(type, meta.namespace, meta.name);
    if (cur && meta.resourceVersion && meta.resourceVersion !== cur.metadata.resourceVersion) {
      throw common.fromStoreError({ reason: 'Conflict', message: 'the object has been modified; please apply your changes to the latest version and try again' }, type, meta.name);
    }
    return canonicalCopy(type, { ...obj, metadata: { ...meta, resourceVersion: cur ? cur.metadata.resourceVersion : meta.resourceVersion } });
  }
  try {
    const stored = sim.store.update(type, obj);
    if (stored.metadata.deletionTimestamp && !(stored.metadata.finalizers || []).length && type.kind !== 'Pod' &&
        type.kind !== 'Namespace') {
      return sim.store.delete(type, meta.namespace, meta.name);
    }
    return stored;
  } catch (e) {
    throw common.fromStoreError(e, type, meta.name);
  }
}

// Creates an object on behalf of the system (bootstrap, seeds, controllers): the same defaulting,
// no admission of the caller.
function systemCreate(sim, type, obj, manager = 'kube-sim') {
  const copy = structuredClone(obj);
  const ns = copy.metadata && copy.metadata.namespace;
  const prepared = prepareCreate(sim, type, copy, { namespace: ns || '', manager });
  return commitCreate(sim, type, prepared, { dryRun: false });
}

module.exports = {
  typeOf, decodeChecks, prepareCreate, prepareUpdate, commitCreate, commitUpdate, systemCreate, generateName,
  CREATE_ON_UPDATE, STATUS_KINDS, IMMORTAL_NAMESPACES,
};
