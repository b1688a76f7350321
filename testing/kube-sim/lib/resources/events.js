'use strict';
// The core/v1 Events a cluster records as pods start and deployments scale, so `kubectl describe`
// and `kubectl get events` show what they would on a real cluster: the scheduler's (written through
// events.k8s.io, hence eventTime and no source), the kubelet's, and the deployment and replica set
// controllers'.

const write = require('./write');
const common = require('./common');

// client-go's recorder names an event <object>.<UnixNano in hex>; names then sort by time, and so
// do lists of them. The counter keeps two events of one millisecond apart.
let lastNano = 0n;
function eventName(objName) {
  let nano = BigInt(Date.now()) * 1000000n;
  if (nano <= lastNano) nano = lastNano + 1n;
  lastNano = nano;
  return `${objName}.${nano.toString(16)}`;
}

function involved(obj, kind, apiVersion, fieldPath) {
  const ref = { kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid, apiVersion,
                resourceVersion: obj.metadata.resourceVersion };
  if (fieldPath) ref.fieldPath = fieldPath;
  return ref;
}

function record(sim, event) {
  const type = write.typeOf(sim, '', 'events');
  try {
    write.systemCreate(sim, type, event, event.reportingComponent || 'kube-sim');
  } catch { /* the namespace is going away; real recorders drop such events too */ }
}

// A legacy (core/v1 recorder) event from a component such as the kubelet.
function legacyEvent(obj, ref, { reason, message, component, host, type = 'Normal' }) {
  const now = common.timestamp();
  const source = host ? { component, host } : { component };
  return {
    metadata: { name: eventName(obj.metadata.name), namespace: obj.metadata.namespace },
    involvedObject: ref, reason, message, source, firstTimestamp: now, lastTimestamp: now, count: 1, type,
    eventTime: null, reportingComponent: component, reportingInstance: host || '',
  };
}

function podStarted(sim, pod) {
  const node = pod.spec.nodeName;
  const ref = involved(pod, 'Pod', 'v1');
  record(sim, {
    metadata: { name: eventName(pod.metadata.name), namespace: pod.metadata.namespace },
    involvedObject: ref, reason: 'Scheduled', message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`,
    source: {}, firstTimestamp: null, lastTimestamp: null, type: 'Normal', eventTime: common.microTimestamp(),
    action: 'Binding', reportingComponent: 'default-scheduler', reportingInstance: 'default-scheduler-kube-sim',
  });
  for (const c of [...(pod.spec.initContainers || []), ...(pod.spec.containers || [])]) {
    const isInit = (pod.spec.initContainers || []).includes(c);
    const cref = involved(pod, 'Pod', 'v1', `spec.${isInit ? 'initContainers' : 'containers'}{${c.name}}`);
    const kubelet = (reason, message) => record(sim, legacyEvent(pod, cref, { reason, message, component: 'kubelet', host: node }));
    if (c.imagePullPolicy === 'Always') {
      kubelet('Pulling', `Pulling image "${c.image}"`);
      kubelet('Pulled', `Successfully pulled image "${c.image}" in 812ms (812ms including waiting). Image size: 7765412 bytes.`);
    } else {
      kubelet('Pulled', `Container image "${c.image}" already present on machine`);
    }
    kubelet('Created', `Created container ${c.name}`);
    kubelet('Started', `Started container ${c.name}`);
  }
}

function podKilled(sim, pod) {
  for (const c of pod.spec.containers || []) {
    const cref = involved(pod, 'Pod', 'v1', `spec.containers{${c.name}}`);
    record(sim, legacyEvent(pod, cref, { reason: 'Killing', message: `Stopping container ${c.name}`, component: 'kubelet',
      host: pod.spec.nodeName }));
  }
}

function scaled(sim, deployment, rsName, from, to) {
  const ref = involved(deployment, 'Deployment', 'apps/v1');
  const verb = to > from ? 'up' : 'down';
  record(sim, legacyEvent(deployment, ref, { reason: 'ScalingReplicaSet',
    message: `Scaled ${verb} replica set ${rsName} from ${from} to ${to}`, component: 'deployment-controller' }));
}

// The replica set controller's pod control (controller_utils.go): SuccessfulCreate,
// SuccessfulDelete, and the Warning FailedCreate with the API's error.
function replicaSetPod(sim, rs, reason, message) {
  const ref = involved(rs, 'ReplicaSet', 'apps/v1');
  record(sim, legacyEvent(rs, ref, { reason, message, component: 'replicaset-controller',
    type: reason.startsWith('Failed') ? 'Warning' : 'Normal' }));
}

module.exports = { podStarted, podKilled, scaled, replicaSetPod };
