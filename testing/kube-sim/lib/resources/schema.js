'use strict';
// The shape of the served kinds, as far as three consumers need it:
//  * fieldValidation=Strict|Warn: which fields exist (unknown ones are reported by path);
//  * strategic merge patch: which lists merge by which key (Go patchStrategy/patchMergeKey tags);
//  * server-side apply and managedFields: maps vs structs, and list types (+listType/+listMapKey).
// Nested structs that clients rarely get wrong are ANY (accepted as they come), so a field this
// table forgets never fails a valid request; it only goes unchecked.

const S = { scalar: true };
const ANY = { any: true };
const MAP = { map: S }; // map[string]string and friends
const QUANTITIES = { map: S };

const struct = (fields) => ({ struct: fields });
// A list merged by key: SMP patchMergeKey (smpKey) and SSA listMapKeys (keys).
const keyed = (item, keys, smpKey = keys[0], retainKeys = false) => ({ list: item, keys, smpKey, retainKeys });
const atomic = (item) => ({ list: item });
const setOf = (item, smpMerge = false) => ({ list: item, set: true, smpMerge });

const OWNER_REF = struct({ apiVersion: S, kind: S, name: S, uid: S, controller: S, blockOwnerDeletion: S });
const MANAGED_FIELDS = atomic(struct({ manager: S, operation: S, apiVersion: S, time: S, fieldsType: S,
  fieldsV1: ANY, subresource: S }));

const OBJECT_META = struct({
  name: S, generateName: S, namespace: S, selfLink: S, uid: S, resourceVersion: S, generation: S,
  creationTimestamp: S, deletionTimestamp: S, deletionGracePeriodSeconds: S, labels: MAP, annotations: MAP,
  ownerReferences: keyed(OWNER_REF, ['uid']), finalizers: setOf(S, true), managedFields: MANAGED_FIELDS,
});

const ENV_VAR = struct({ name: S, value: S, valueFrom: ANY });
const CONTAINER_PORT = struct({ name: S, hostPort: S, containerPort: S, protocol: S, hostIP: S });
const VOLUME_MOUNT = struct({ name: S, readOnly: S, recursiveReadOnly: S, mountPath: S, subPath: S,
  mountPropagation: S, subPathExpr: S });
const RESOURCES = struct({ limits: QUANTITIES, requests: QUANTITIES, claims: keyed(struct({ name: S, request: S }), ['name']) });

const CONTAINER = struct({
  name: S, image: S, command: atomic(S), args: atomic(S), workingDir: S,
  ports: keyed(CONTAINER_PORT, ['containerPort', 'protocol'], 'containerPort'),
  envFrom: atomic(ANY), env: keyed(ENV_VAR, ['name']), resources: RESOURCES, resizePolicy: atomic(ANY),
  restartPolicy: S, restartPolicyRules: atomic(ANY),
  volumeMounts: keyed(VOLUME_MOUNT, ['mountPath']), volumeDevices: keyed(struct({ name: S, devicePath: S }), ['devicePath']),
  livenessProbe: ANY, readinessProbe: ANY, startupProbe: ANY, lifecycle: ANY,
  terminationMessagePath: S, terminationMessagePolicy: S, imagePullPolicy: S, securityContext: ANY,
  stdin: S, stdinOnce: S, tty: S, targetContainerName: S,
});

const VOLUME_SOURCES = ['hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs',
  'iscsi', 'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI',
  'fc', 'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image'];
const VOLUME = struct({ name: S, ...Object.fromEntries(VOLUME_SOURCES.map((k) => [k, ANY])) });

const POD_SPEC = struct({
  volumes: keyed(VOLUME, ['name'], 'name', true), initContainers: keyed(CONTAINER, ['name']),
  containers: keyed(CONTAINER, ['name']), ephemeralContainers: keyed(CONTAINER, ['name']),
  restartPolicy: S, terminationGracePeriodSeconds: S, activeDeadlineSeconds: S, dnsPolicy: S, nodeSelector: MAP,
  serviceAccountName: S, serviceAccount: S, automountServiceAccountToken: S, nodeName: S, hostNetwork: S, hostPID: S,
  hostIPC: S, shareProcessNamespace: S, securityContext: ANY, imagePullSecrets: keyed(struct({ name: S }), ['name']),
  hostname: S, subdomain: S, affinity: ANY, schedulerName: S, tolerations: atomic(ANY),
  hostAliases: keyed(ANY, ['ip']), priorityClassName: S, priority: S, dnsConfig: ANY, readinessGates: atomic(ANY),
  runtimeClassName: S, enableServiceLinks: S, preemptionPolicy: S, overhead: QUANTITIES,
  topologySpreadConstraints: keyed(ANY, ['topologyKey', 'whenUnsatisfiable'], 'topologyKey'), setHostnameAsFQDN: S,
  os: ANY, hostUsers: S, schedulingGates: keyed(struct({ name: S }), ['name']),
  resourceClaims: keyed(ANY, ['name'], 'name', true), resources: RESOURCES, hostnameOverride: S,
});

const CONDITION = struct({ type: S, status: S, lastProbeTime: S, lastHeartbeatTime: S, lastUpdateTime: S,
  lastTransitionTime: S, reason: S, message: S, observedGeneration: S });

const POD_STATUS = struct({
  observedGeneration: S, phase: S, conditions: keyed(CONDITION, ['type']), message: S, reason: S,
  nominatedNodeName: S, hostIP: S, hostIPs: keyed(struct({ ip: S }), ['ip']), podIP: S,
  podIPs: keyed(struct({ ip: S }), ['ip']), startTime: S, initContainerStatuses: atomic(ANY),
  containerStatuses: atomic(ANY), qosClass: S, ephemeralContainerStatuses: atomic(ANY), resize: S,
  resourceClaimStatuses: atomic(ANY),
});

const TEMPLATE = struct({ metadata: OBJECT_META, spec: POD_SPEC });
// metav1.LabelSelector is +structType=atomic: SSA owns and replaces it whole.
const LABEL_SELECTOR = { ...struct({ matchLabels: MAP, matchExpressions: atomic(struct({ key: S, operator: S, values: atomic(S) })) }),
  atomicStruct: true };

const DEPLOYMENT_SPEC = struct({
  replicas: S, selector: LABEL_SELECTOR, template: TEMPLATE,
  strategy: { ...struct({ type: S, rollingUpdate: struct({ maxUnavailable: S, maxSurge: S }) }), retainKeys: true },
  minReadySeconds: S, revisionHistoryLimit: S, paused: S, progressDeadlineSeconds: S,
});
const DEPLOYMENT_STATUS = struct({
  observedGeneration: S, replicas: S, updatedReplicas: S, readyReplicas: S, availableReplicas: S,
  unavailableReplicas: S, terminatingReplicas: S, conditions: keyed(CONDITION, ['type']), collisionCount: S,
});

const REPLICA_SET_SPEC = struct({ replicas: S, minReadySeconds: S, selector: LABEL_SELECTOR, template: TEMPLATE });
const REPLICA_SET_STATUS = struct({
  replicas: S, fullyLabeledReplicas: S, readyReplicas: S, availableReplicas: S, terminatingReplicas: S,
  observedGeneration: S, conditions: keyed(CONDITION, ['type']),
});

const POLICY_RULE = struct({ verbs: atomic(S), apiGroups: atomic(S), resources: atomic(S), resourceNames: atomic(S),
  nonResourceURLs: atomic(S) });
const SUBJECT = struct({ kind: S, apiGroup: S, name: S, namespace: S });
const ROLE_REF = struct({ apiGroup: S, kind: S, name: S });

const top = (fields) => struct({ kind: S, apiVersion: S, metadata: OBJECT_META, ...fields });

const KINDS = {
  Pod: top({ spec: POD_SPEC, status: POD_STATUS }),
  Deployment: top({ spec: DEPLOYMENT_SPEC, status: DEPLOYMENT_STATUS }),
  ReplicaSet: top({ spec: REPLICA_SET_SPEC, status: REPLICA_SET_STATUS }),
  Secret: top({ immutable: S, data: MAP, stringData: MAP, type: S }),
  ConfigMap: top({ immutable: S, data: MAP, binaryData: MAP }),
  ServiceAccount: top({ secrets: keyed(ANY, ['name']), imagePullSecrets: atomic(struct({ name: S })),
    automountServiceAccountToken: S }),
  Namespace: top({ spec: struct({ finalizers: atomic(S) }),
    status: struct({ phase: S, conditions: keyed(CONDITION, ['type']) }) }),
  Event: top({ involvedObject: struct({ kind: S, namespace: S, name: S, uid: S, apiVersion: S, resourceVersion: S,
    fieldPath: S }), reason: S, message: S, source: struct({ component: S, host: S }), firstTimestamp: S,
  lastTimestamp: S, count: S, type: S, eventTime: S, series: ANY, action: S, related: ANY, reportingComponent: S,
  reportingInstance: S }),
  Node: top({ spec: struct({ podCIDR: S, podCIDRs: setOf(S, true), providerID: S, unschedulable: S,
    taints: atomic(ANY), configSource: ANY, externalID: S }),
  status: struct({ capacity: QUANTITIES, allocatable: QUANTITIES, phase: S, conditions: keyed(CONDITION, ['type']),
    addresses: keyed(struct({ type: S, address: S }), ['type']), daemonEndpoints: ANY, nodeInfo: ANY, images: atomic(ANY),
    volumesInUse: atomic(S), volumesAttached: atomic(ANY), config: ANY, runtimeHandlers: atomic(ANY), features: ANY }) }),
  Role: top({ rules: atomic(POLICY_RULE) }),
  ClusterRole: top({ rules: atomic(POLICY_RULE), aggregationRule: ANY }),
  RoleBinding: top({ subjects: atomic(SUBJECT), roleRef: ROLE_REF }),
  ClusterRoleBinding: top({ subjects: atomic(SUBJECT), roleRef: ROLE_REF }),
  Scale: top({ spec: struct({ replicas: S }), status: struct({ replicas: S, selector: S }) }),
};

function schemaFor(kind) {
  return KINDS[kind] || null;
}

// The schema node at a child of node (field name of a struct, value of a map, item of a list).
function child(node, key) {
  if (!node || node.any) return ANY;
  if (node.struct) return node.struct[key] || null;
  if (node.map) return node.map;
  return ANY;
}

// Unknown fields of obj against the kind's schema. style 'json' names them as strict decoding does
// ("spec.containers[0].foo"); style 'smd' as structured-merge-diff does
// (".spec.containers[name=\"x\"].foo").
function unknownFields(kind, obj, style = 'json') {
  const root = schemaFor(kind);
  if (!root) return [];
  const out = [];
  walkUnknown(root, obj, '', out, style);
  return out;
}

function itemText(node, item, i, style) {
  if (style !== 'smd' || !node.keys) return `[${i}]`;
  const keys = [...node.keys].sort().filter((k) => item && item[k] !== undefined);
  return `[${keys.map((k) => `${k}=${JSON.stringify(item[k])}`).join(',')}]`;
}

function walkUnknown(node, value, path, out, style) {
  if (!node || node.any || node.scalar || value === null || typeof value !== 'object') return;
  if (node.list) {
    if (!Array.isArray(value)) return;
    value.forEach((item, i) => walkUnknown(node.list, item, `${path}${itemText(node, item, i, style)}`, out, style));
    return;
  }
  if (Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const sub = child(node, k);
    let p;
    if (style === 'smd') p = `${path}.${k}`;
    else p = node.map ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    if (node.struct && !sub) out.push(p);
    else walkUnknown(sub, v, p, out, style);
  }
}

module.exports = { schemaFor, child, unknownFields, S, ANY };
