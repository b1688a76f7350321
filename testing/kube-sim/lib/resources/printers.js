'use strict';
// Table columns and cells as kube-apiserver's printers make them (kubernetes
// pkg/printers/internalversion/printers.go, always with Wide=true, so priority-1 columns are
// present and kubectl shows them with -o wide). Kinds without a printer get the default
// convertor's Name + Created At (apiserver pkg/registry/rest/table.go).

const { labelSelectorString } = require('./selectors');

const DOC_NAME = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const DOC_CREATED = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const col = (name, description, { type = 'string', format = '', priority = 0 } = {}) =>
  ({ name, type, format, description, priority });
const NAME = col('Name', DOC_NAME, { format: 'name' });
const AGE = col('Age', DOC_CREATED);
const CONTAINERS = col('Containers', 'Names of each container in the template.', { priority: 1 });
const IMAGES = col('Images', 'Images referenced by each container in the template.', { priority: 1 });

// duration.HumanDuration.
function humanDuration(ms) {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24 | 0}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

// translateTimestampSince: "<unknown>" for a zero time.
function since(ts, now = Date.now()) {
  if (!ts) return '<unknown>';
  return humanDuration(now - Date.parse(ts));
}

function podCells(pod) {
  const spec = pod.spec || {};
  const status = pod.status || {};
  let reason = status.reason || status.phase || '';
  if ((status.conditions || []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';
  let restarts = 0;
  let ready = 0;
  let lastRestart = 0;
  let initializing = false;
  (status.initContainerStatuses || []).forEach((c, i) => {
    restarts += c.restartCount || 0;
    const st = c.state || {};
    if (st.terminated && st.terminated.exitCode === 0) return;
    if (c.started && (spec.initContainers || [])[i] && spec.initContainers[i].restartPolicy === 'Always') return;
    initializing = true;
    if (st.terminated) reason = `Init:${st.terminated.reason || `ExitCode:${st.terminated.exitCode}`}`;
    else if (st.waiting && st.waiting.reason && st.waiting.reason !== 'PodInitializing') reason = `Init:${st.waiting.reason}`;
    else reason = `Init:${i}/${(spec.initContainers || []).length}`;
  });
  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    for (const c of [...(status.containerStatuses || [])].reverse()) {
      restarts += c.restartCount || 0;
      const last = c.lastState && c.lastState.terminated;
      if (last && last.finishedAt) lastRestart = Math.max(lastRestart, Date.parse(last.finishedAt));
      const st = c.state || {};
      if (st.waiting && st.waiting.reason) reason = st.waiting.reason;
      else if (st.terminated && st.terminated.reason) reason = st.terminated.reason;
      else if (st.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode}`;
      else if (c.ready && st.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(status.phase)) reason = 'Terminating';
  const restartText = restarts !== 0 && lastRestart ? `${restarts} (${since(new Date(lastRestart).toISOString())} ago)` : String(restarts);
  const ip = (status.podIPs && status.podIPs[0] && status.podIPs[0].ip) || '<none>';
  let gates = '<none>';
  if ((spec.readinessGates || []).length) {
    const ok = spec.readinessGates.filter((g) => (status.conditions || []).some((c) => c.type === g.conditionType && c.status === 'True'));
    gates = `${ok.length}/${spec.readinessGates.length}`;
  }
  return [pod.metadata.name, `${ready}/${(spec.containers || []).length}`, reason, restartText, since(pod.metadata.creationTimestamp),
    ip, spec.nodeName || '<none>', status.nominatedNodeName || '<none>', gates];
}

function podConditions(pod) {
  const phase = pod.status && pod.status.phase;
  if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
  if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
  return undefined;
}

function containerCells(podSpec) {
  const cs = (podSpec && podSpec.containers) || [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

function nodeCells(n) {
  const st = n.status || {};
  const ready = (st.conditions || []).find((c) => c.type === 'Ready');
  const statuses = [!ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (n.spec && n.spec.unschedulable) statuses.push('SchedulingDisabled');
  const roles = Object.keys(n.metadata.labels || {}).flatMap((k) => {
    if (k.startsWith('node-role.kubernetes.io/')) return [k.slice('node-role.kubernetes.io/'.length)];
    if (k === 'kubernetes.io/role') return [n.metadata.labels[k]];
    return [];
  }).filter(Boolean).sort();
  const addr = (type) => ((st.addresses || []).find((a) => a.type === type) || {}).address || '<none>';
  const info = st.nodeInfo || {};
  return [n.metadata.name, statuses.join(','), roles.length ? roles.join(',') : '<none>', since(n.metadata.creationTimestamp),
    info.kubeletVersion || '', addr('InternalIP'), addr('ExternalIP'), info.osImage || '<unknown>',
    info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>'];
}

function eventCells(e) {
  const first = e.firstTimestamp ? since(e.firstTimestamp) : since(e.eventTime);
  let last = e.lastTimestamp ? since(e.lastTimestamp) : first;
  let count = e.count || 0;
  if (e.series) {
    last = since(e.series.lastObservedTime);
    count = e.series.count;
  } else if (count === 0) count = 1;
  const io = e.involvedObject || {};
  const target = io.name ? `${String(io.kind || '').toLowerCase()}/${io.name}` : String(io.kind || '').toLowerCase();
  const src = e.source || {};
  let source = src.component || e.reportingController || '';
  if (src.component) { if (src.host) source += `, ${src.host}`; } else if (e.reportingInstance) source += `, ${e.reportingInstance}`;
  return [last, e.type || '', e.reason || '', target, io.fieldPath || '', source, String(e.message || '').trim(), first, count,
    e.metadata.name];
}

function bindingCells(b) {
  const subjects = b.subjects || [];
  const of = (kind) => subjects.filter((s) => s.kind === kind);
  return [b.metadata.name, `${b.roleRef.kind}/${b.roleRef.name}`, since(b.metadata.creationTimestamp),
    of('User').map((s) => s.name).join(', '), of('Group').map((s) => s.name).join(', '),
    of('ServiceAccount').map((s) => `${s.namespace || ''}/${s.name}`).join(', ')];
}

const bindingColumns = (what) => [NAME, col('Role', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.'), AGE,
  col('Users', `Users in the ${what}`, { priority: 1 }), col('Groups', `Groups in the ${what}`, { priority: 1 }),
  col('ServiceAccounts', `ServiceAccounts in the ${what}`, { priority: 1 })];

const PRINTERS = {
  Pod: {
    columns: [NAME, col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE, col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', { priority: 1 }),
      col('Node', 'NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the scheduler simply schedules this pod onto that node, assuming that it fits resource requirements.', { priority: 1 }),
      col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.', { priority: 1 }),
      col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', { priority: 1 })],
    cells: podCells,
    conditions: podConditions,
  },
  Deployment: {
    columns: [NAME, col('Ready', 'Number of the pod with ready state'),
      col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE, CONTAINERS, IMAGES, col('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', { priority: 1 })],
    cells: (d) => {
      const st = d.status || {};
      return [d.metadata.name, `${st.readyReplicas || 0}/${(d.spec && d.spec.replicas) ?? 0}`, st.updatedReplicas || 0,
        st.availableReplicas || 0, since(d.metadata.creationTimestamp), ...containerCells(d.spec && d.spec.template && d.spec.template.spec),
        labelSelectorString(d.spec && d.spec.selector)];
    },
  },
  // printReplicaSet; the descriptions are extensions/v1beta1's, as the printer still cites them.
  ReplicaSet: {
    columns: [NAME,
      col('Desired', 'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset', { type: 'integer' }),
      col('Current', 'Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset', { type: 'integer' }),
      col('Ready', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.', { type: 'integer' }),
      AGE, CONTAINERS, IMAGES,
      col('Selector', 'Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', { priority: 1 })],
    cells: (rs) => {
      const spec = rs.spec || {};
      const st = rs.status || {};
      return [rs.metadata.name, spec.replicas ?? 0, st.replicas || 0, st.readyReplicas || 0, since(rs.metadata.creationTimestamp),
        ...containerCells(spec.template && spec.template.spec), labelSelectorString(spec.selector)];
    },
  },
  Secret: {
    columns: [NAME, col('Type', 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
      col('Data', "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"), AGE],
    cells: (s) => [s.metadata.name, s.type || '', Object.keys(s.data || {}).length, since(s.metadata.creationTimestamp)],
  },
  ConfigMap: {
    columns: [NAME, col('Data', "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."), AGE],
    cells: (c) => [c.metadata.name, Object.keys(c.data || {}).length + Object.keys(c.binaryData || {}).length, since(c.metadata.creationTimestamp)],
  },
  Namespace: {
    columns: [NAME, col('Status', 'The status of the namespace'), AGE],
    cells: (n) => [n.metadata.name, (n.status && n.status.phase) || '', since(n.metadata.creationTimestamp)],
  },
  ServiceAccount: {
    columns: [NAME, col('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE],
    cells: (s) => [s.metadata.name, (s.secrets || []).length, since(s.metadata.creationTimestamp)],
  },
  Node: {
    columns: [NAME, col('Status', 'The status of the node'), col('Roles', 'The roles of the node'), AGE,
      col('Version', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'List of addresses reachable to the node.', { priority: 1 }),
      col('External-IP', 'List of addresses reachable to the node.', { priority: 1 }),
      col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', { priority: 1 }),
      col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", { priority: 1 }),
      col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', { priority: 1 })],
    cells: nodeCells,
  },
  Event: {
    columns: [col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
      col('Reason', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
      col('Object', 'The object that this event is about.'),
      col('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', { priority: 1 }),
      col('Source', 'The component reporting this event. Should be a short machine understandable string.', { priority: 1 }),
      col('Message', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', { priority: 1 }),
      col('Count', 'The number of times this event has occurred.', { priority: 1 }),
      col('Name', DOC_NAME, { format: 'name', priority: 1 })],
    cells: eventCells,
  },
  RoleBinding: { columns: bindingColumns('roleBinding'), cells: bindingCells },
  ClusterRoleBinding: { columns: bindingColumns('clusterRoleBinding'), cells: bindingCells },
};

// Roles, cluster roles and every kind without its own printer.
const DEFAULT_PRINTER = {
  columns: [NAME, col('Created At', DOC_CREATED, { type: 'date' })],
  cells: (o) => [o.metadata.name, o.metadata.creationTimestamp || ''],
};

function printerFor(kind) {
  return PRINTERS[kind] || DEFAULT_PRINTER;
}

module.exports = { printerFor, humanDuration, since };
