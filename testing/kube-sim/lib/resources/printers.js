'use strict';
// Table columns and cells as kube-apiserver's printers make them (kubernetes
// pkg/printers/internalversion/printers.go, always with Wide=true, so priority-1 columns are
// present and kubectl shows them with -o wide). Kinds without a printer get the default
// convertor's Name + Created At (apiserver pkg/registry/rest/table.go). Column names, types,
// formats and priorities are the server's; the descriptions (which no client shows) are kube-sim's
// own short wording, not the API types' documentation.

const { labelSelectorString } = require('./selectors');

const DOC_NAME = 'The object\'s name, unique within its namespace.';
const DOC_CREATED = 'When the server created the object (RFC 3339, UTC).';

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

const bindingColumns = (what) => [NAME, col('Role', 'The role or cluster role the binding grants.'), AGE,
  col('Users', `Users in the ${what}`, { priority: 1 }), col('Groups', `Groups in the ${what}`, { priority: 1 }),
  col('ServiceAccounts', `ServiceAccounts in the ${what}`, { priority: 1 })];

const PRINTERS = {
  Pod: {
    columns: [NAME, col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'How often the pod\'s containers restarted, and when last.'),
      AGE, col('IP', 'The pod\'s IP address; empty until one is allocated.', { priority: 1 }),
      col('Node', 'The node the pod is scheduled on.', { priority: 1 }),
      col('Nominated Node', 'The node the scheduler nominated while the pod waits for preemption.', { priority: 1 }),
      col('Readiness Gates', 'How many of the pod\'s readiness gates are met.', { priority: 1 })],
    cells: podCells,
    conditions: podConditions,
  },
  Deployment: {
    columns: [NAME, col('Ready', 'Ready pods out of the desired replicas.'),
      col('Up-to-date', 'Pods running the current template.'),
      col('Available', 'Pods ready for at least minReadySeconds.'),
      AGE, CONTAINERS, IMAGES, col('Selector', 'The label selector of the deployment\'s pods.', { priority: 1 })],
    cells: (d) => {
      const st = d.status || {};
      return [d.metadata.name, `${st.readyReplicas || 0}/${(d.spec && d.spec.replicas) ?? 0}`, st.updatedReplicas || 0,
        st.availableReplicas || 0, since(d.metadata.creationTimestamp), ...containerCells(d.spec && d.spec.template && d.spec.template.spec),
        labelSelectorString(d.spec && d.spec.selector)];
    },
  },
  // printReplicaSet.
  ReplicaSet: {
    columns: [NAME,
      col('Desired', 'Pods the replica set should run.', { type: 'integer' }),
      col('Current', 'Pods it runs now.', { type: 'integer' }),
      col('Ready', 'Pods that are ready.', { type: 'integer' }),
      AGE, CONTAINERS, IMAGES,
      col('Selector', 'The label selector of the replica set\'s pods.', { priority: 1 })],
    cells: (rs) => {
      const spec = rs.spec || {};
      const st = rs.status || {};
      return [rs.metadata.name, spec.replicas ?? 0, st.replicas || 0, st.readyReplicas || 0, since(rs.metadata.creationTimestamp),
        ...containerCells(spec.template && spec.template.spec), labelSelectorString(spec.selector)];
    },
  },
  Secret: {
    columns: [NAME, col('Type', 'The secret\'s type.'),
      col('Data', 'How many keys the secret holds.'), AGE],
    cells: (s) => [s.metadata.name, s.type || '', Object.keys(s.data || {}).length, since(s.metadata.creationTimestamp)],
  },
  ConfigMap: {
    columns: [NAME, col('Data', 'How many keys the config map holds.'), AGE],
    cells: (c) => [c.metadata.name, Object.keys(c.data || {}).length + Object.keys(c.binaryData || {}).length, since(c.metadata.creationTimestamp)],
  },
  Namespace: {
    columns: [NAME, col('Status', 'The status of the namespace'), AGE],
    cells: (n) => [n.metadata.name, (n.status && n.status.phase) || '', since(n.metadata.creationTimestamp)],
  },
  ServiceAccount: {
    columns: [NAME, col('Secrets', 'How many secrets the service account lists.'), AGE],
    cells: (s) => [s.metadata.name, (s.secrets || []).length, since(s.metadata.creationTimestamp)],
  },
  Node: {
    columns: [NAME, col('Status', 'The status of the node'), col('Roles', 'The roles of the node'), AGE,
      col('Version', 'The kubelet version the node reports.'),
      col('Internal-IP', 'The node\'s internal address.', { priority: 1 }),
      col('External-IP', 'The node\'s external address.', { priority: 1 }),
      col('OS-Image', 'The operating system image the node reports.', { priority: 1 }),
      col('Kernel-Version', 'The kernel version the node reports.', { priority: 1 }),
      col('Container-Runtime', 'The container runtime and version the node reports.', { priority: 1 })],
    cells: nodeCells,
  },
  Event: {
    columns: [col('Last Seen', 'When the event last happened.'),
      col('Type', 'Normal or Warning.'),
      col('Reason', 'A short machine-readable reason.'),
      col('Object', 'The object the event is about.'),
      col('Subobject', 'The part of the object the event is about, as a field path.', { priority: 1 }),
      col('Source', 'The component that reported the event.', { priority: 1 }),
      col('Message', 'What happened, for people.'),
      col('First Seen', 'When the event first happened.', { priority: 1 }),
      col('Count', 'How many times the event happened.', { priority: 1 }),
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
