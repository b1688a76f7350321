'use strict';
// The deployment controller's helpers (kube-controller-manager pkg/controller/deployment/util):
// the pod-template-hash, template equality, surge and unavailability from the strategy, the
// revision and replica annotations, and the conditions. The controller itself is deployments.js.

const common = require('./common');

const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';
const HASH_LABEL = 'pod-template-hash';
// Deployment annotations never copied to its replica sets (deploymentutil annotationsToSkip).
const NOT_COPIED = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, REVISION_HISTORY, DESIRED, MAX,
  'deprecated.deployment.rollback.to']);
const MAX_REV_HISTORY_CHARS = 2000;
const MAX_INT32 = 2147483647;

// ---------------------------------------------------------------------------------------------
// templates and their hash

// The JSON form with keys sorted and empty values dropped: Go's semantic equality treats nil and
// empty maps and slices alike, and a client's key order means nothing.
function canonicalJSON(v) {
  const norm = (x) => {
    if (Array.isArray(x)) return x.map(norm);
    if (x === null || typeof x !== 'object') return x;
    const out = {};
    for (const k of Object.keys(x).sort()) {
      const n = norm(x[k]);
      if (n === null || n === undefined || (typeof n === 'object' && Object.keys(n).length === 0)) continue;
      out[k] = n;
    }
    return out;
  };
  return JSON.stringify(norm(v) ?? {});
}

// deploymentutil.EqualIgnoreHash.
function sameTemplate(a, b) {
  const strip = (t) => {
    const c = structuredClone(t || {});
    if (c.metadata && c.metadata.labels) delete c.metadata.labels[HASH_LABEL];
    return canonicalJSON(c);
  };
  return strip(a) === strip(b);
}

// controller.ComputeHash: FNV-32a of the template and collisionCount, its decimal digits encoded as
// rand.SafeEncodeString does, so values look like a cluster's ("7d9f8b6c5d"). The numbers differ
// from a real cluster's, which hashes Go's in-memory struct, but are as stable: same template, same
// hash; any change to the template, a new one.
function templateHash(template, collisionCount) {
  let h = 0x811c9dc5;
  const feed = (buf) => { for (const byte of buf) h = Math.imul(h ^ byte, 0x01000193) >>> 0; };
  feed(Buffer.from(canonicalJSON(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(collisionCount >>> 0);
    feed(b);
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...String(h)].map((c) => alphabet[c.charCodeAt(0) % alphabet.length]).join('');
}

// ---------------------------------------------------------------------------------------------
// replica counts (deploymentutil)

function scaledValue(v, total, roundUp) {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v ?? '0'));
  if (!m) return Number(v) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

// ResolveFenceposts, MaxSurge and MaxUnavailable.
function fenceposts(d) {
  const desired = d.spec.replicas ?? 1;
  const strategy = d.spec.strategy || {};
  if (strategy.type && strategy.type !== 'RollingUpdate') return { surge: 0, unavailable: 0 };
  const ru = strategy.rollingUpdate || {};
  const surge = scaledValue(ru.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: desired === 0 ? 0 : Math.min(unavailable, desired) };
}

const revisionOf = (rs) => Number((rs.metadata.annotations || {})[REVISION]) || 0;
const maxRevision = (list) => list.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

// SetReplicasAnnotations; true when something changed.
function setReplicasAnnotations(rs, desired, max) {
  const ann = rs.metadata.annotations || (rs.metadata.annotations = {});
  if (ann[DESIRED] === String(desired) && ann[MAX] === String(max)) return false;
  ann[DESIRED] = String(desired);
  ann[MAX] = String(max);
  return true;
}

// SetNewReplicaSetAnnotations: the deployment's annotations, the revision (a rollback to an old
// template gives its replica set the next revision and remembers the old one), and on creation the
// replica annotations. True when something changed.
function setNewReplicaSetAnnotations(d, rs, newRevision, exists) {
  const ann = rs.metadata.annotations || (rs.metadata.annotations = {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations || {})) {
    if (NOT_COPIED.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  const had = ann[REVISION];
  const oldRevision = had === undefined || had === '' ? 0 : Number(had);
  if (Number.isNaN(oldRevision)) return false;
  if (oldRevision < newRevision) {
    ann[REVISION] = String(newRevision);
    changed = true;
    if (had !== undefined) appendRevisionHistory(ann, had);
  }
  const desired = d.spec.replicas ?? 1;
  if (!exists && setReplicasAnnotations(rs, desired, desired + fenceposts(d).surge)) changed = true;
  return changed;
}

function appendRevisionHistory(ann, oldRevision) {
  const history = ann[REVISION_HISTORY] || '';
  if (!history) { ann[REVISION_HISTORY] = oldRevision; return; }
  const revisions = history.split(',');
  let total = history.length + oldRevision.length + 1;
  while (total > MAX_REV_HISTORY_CHARS && revisions.length) total -= revisions.shift().length + 1;
  if (total <= MAX_REV_HISTORY_CHARS) ann[REVISION_HISTORY] = [...revisions, oldRevision].join(',');
}

// ---------------------------------------------------------------------------------------------
// conditions (deploymentutil.SetDeploymentCondition: a changed condition moves to the end)

function condition(type, status, reason, message) {
  const now = common.timestamp();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

const getCondition = (st, type) => (st.conditions || []).find((c) => c.type === type) || null;

function setCondition(st, cond) {
  const cur = getCondition(st, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  if (cur && cur.status === cond.status) cond.lastTransitionTime = cur.lastTransitionTime;
  st.conditions = [...(st.conditions || []).filter((c) => c.type !== cond.type), cond];
}

function removeCondition(st, type) {
  st.conditions = (st.conditions || []).filter((c) => c.type !== type);
}

const hasProgressDeadline = (d) => typeof d.spec.progressDeadlineSeconds === 'number' && d.spec.progressDeadlineSeconds !== MAX_INT32;

// checkPausedConditions: Progressing Unknown while paused, and once more on resume.
function checkPausedConditions(d) {
  if (!hasProgressDeadline(d)) return;
  const cur = getCondition(d.status, 'Progressing');
  if (cur && cur.reason === 'ProgressDeadlineExceeded') return;
  const paused = Boolean(cur) && cur.reason === 'DeploymentPaused';
  if (d.spec.paused && !paused) setCondition(d.status, condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused'));
  else if (!d.spec.paused && paused) setCondition(d.status, condition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed'));
}

module.exports = {
  REVISION, HASH_LABEL, canonicalJSON, sameTemplate, templateHash, fenceposts, revisionOf, maxRevision,
  setReplicasAnnotations, setNewReplicaSetAnnotations, condition, getCondition, setCondition, removeCondition,
  hasProgressDeadline, checkPausedConditions,
};
