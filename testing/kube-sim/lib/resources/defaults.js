'use strict';
// The fields kube-apiserver fills in on every write: scheme defaulting (pkg/apis/*/v1/defaults.go)
// plus what the admission plugins of a default cluster add to new pods (ServiceAccount,
// DefaultTolerationSeconds, Priority). Clients see these in -o yaml and describe output.

const crypto = require('node:crypto');

const RAND_CHARS = 'bcdfghjklmnpqrstvwxz2456789'; // apimachinery util/rand: no vowels, no 0/1/3

function randomSuffix(n = 5) {
  const bytes = crypto.randomBytes(n);
  let out = '';
  for (let i = 0; i < n; i++) out += RAND_CHARS[bytes[i] % RAND_CHARS.length];
  return out;
}

function setDefault(obj, key, value) {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

// core/v1 SetDefaults_Container: the pull policy follows the tag.
function defaultContainer(c) {
  if (!c || typeof c !== 'object') return;
  if (c.imagePullPolicy === undefined) {
    const image = String(c.image || '');
    const lastPart = image.split('/').pop();
    const tagged = !image.includes('@') && lastPart.includes(':');
    const tag = tagged ? lastPart.split(':').pop() : '';
    c.imagePullPolicy = image.includes('@') || (tagged && tag !== 'latest') ? 'IfNotPresent' : 'Always';
  }
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  for (const p of c.ports || []) setDefault(p, 'protocol', 'TCP');
  for (const e of c.env || []) {
    if (e.valueFrom && e.valueFrom.fieldRef) setDefault(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
}

function defaultPodSpec(spec) {
  if (!spec || typeof spec !== 'object') return;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of spec.initContainers || []) defaultContainer(c);
  for (const c of spec.containers || []) defaultContainer(c);
  for (const v of spec.volumes || []) {
    if (v.secret) setDefault(v.secret, 'defaultMode', 420);
    if (v.configMap) setDefault(v.configMap, 'defaultMode', 420);
    if (v.projected) setDefault(v.projected, 'defaultMode', 420);
  }
}

// What the ServiceAccount admission plugin, DefaultTolerationSeconds and Priority add to a new pod.
function admitNewPod(pod) {
  const spec = pod.spec || (pod.spec = {});
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.automountServiceAccountToken !== false && !(spec.volumes || []).some((v) => v.name.startsWith('kube-api-access-'))) {
    const name = `kube-api-access-${randomSuffix()}`;
    spec.volumes = [...(spec.volumes || []), serviceAccountVolume(name)];
    for (const c of [...(spec.initContainers || []), ...(spec.containers || [])]) {
      c.volumeMounts = [...(c.volumeMounts || []),
        { name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
    }
  }
  const tolerations = spec.tolerations || [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => t.key === key)) {
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
  }
  spec.tolerations = tolerations;
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
}

function serviceAccountVolume(name) {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    },
  };
}

// The pod's QoS class (pkg/apis/core/helper/qos): Guaranteed, Burstable or BestEffort.
function qosClass(pod) {
  const containers = [...((pod.spec && pod.spec.containers) || []), ...((pod.spec && pod.spec.initContainers) || [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const r = c.resources || {};
    const req = r.requests || {};
    const lim = r.limits || {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const res of ['cpu', 'memory']) {
      if (!lim[res] || (req[res] !== undefined && String(req[res]) !== String(lim[res]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultDeployment(d) {
  const spec = d.spec || (d.spec = {});
  setDefault(spec, 'replicas', 1);
  const strategy = spec.strategy || (spec.strategy = {});
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = strategy.rollingUpdate || (strategy.rollingUpdate = {});
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  if (spec.template) {
    spec.template.metadata = spec.template.metadata || {};
    defaultPodSpec(spec.template.spec || (spec.template.spec = {}));
  }
}

// apps/v1 SetDefaults_ReplicaSet, plus the pod template's own defaults.
function defaultReplicaSet(rs) {
  const spec = rs.spec || (rs.spec = {});
  setDefault(spec, 'replicas', 1);
  if (spec.template) {
    spec.template.metadata = spec.template.metadata || {};
    defaultPodSpec(spec.template.spec || (spec.template.spec = {}));
  }
}

// Scheme defaulting for every write of `kind`. Secrets fold stringData into data here, as the
// v1 -> internal conversion does.
function applyDefaults(kind, obj) {
  switch (kind) {
    case 'Pod': defaultPodSpec(obj.spec || (obj.spec = {})); break;
    case 'Deployment': defaultDeployment(obj); break;
    case 'ReplicaSet': defaultReplicaSet(obj); break;
    case 'Secret':
      setDefault(obj, 'type', 'Opaque');
      if (obj.stringData && typeof obj.stringData === 'object') {
        obj.data = obj.data || {};
        for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v)).toString('base64');
        delete obj.stringData;
      }
      break;
    case 'Namespace':
      obj.metadata.labels = { ...(obj.metadata.labels || {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      obj.spec = obj.spec || {};
      setDefault(obj.spec, 'finalizers', ['kubernetes']);
      obj.status = obj.status || {};
      setDefault(obj.status, 'phase', 'Active');
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      for (const s of obj.subjects || []) {
        if (!s.apiGroup && s.kind !== 'ServiceAccount') s.apiGroup = 'rbac.authorization.k8s.io';
        if (s.apiGroup === '') delete s.apiGroup;
      }
      break;
    default:
  }
  return obj;
}

module.exports = { applyDefaults, admitNewPod, qosClass, randomSuffix, defaultPodSpec };
