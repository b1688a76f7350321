'use strict';
// Entry for every resource request the server does not stream itself: routes by verb and
// subresource the way kube-apiserver's installer registers handlers. Authorization has already
// happened. bootstrap() gives a new simulator the state of a fresh cluster.

const { pathNotFound } = require('../status');
const { handleGet, handleCreate, handleUpdate, handlePatch } = require('./crud');
const { handleList } = require('./list');
const { handleWatch } = require('./watch');
const { handleDelete, handleDeleteCollection } = require('./delete');
const { handleSubresource } = require('./subresources');
const { methodNotAllowed } = require('./common');
const { handleReview } = require('./reviews');
const { startControllers } = require('./controllers');
const write = require('./write');

const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

// A verb the resource does not serve: go-restful has no route for it.
function checkVerb(type, verb) {
  if (!type.verbs.includes(verb)) throw methodNotAllowed();
}

function handleMain(ctx, type) {
  const { verb, name } = ctx.info;
  switch (verb) {
    case 'get': return handleGet(ctx, type);
    case 'list': checkVerb(type, 'list'); return handleList(ctx, type);
    case 'watch': checkVerb(type, 'watch'); return handleWatch(ctx, type);
    case 'create':
      if (name) throw methodNotAllowed();
      checkVerb(type, 'create');
      return handleCreate(ctx, type);
    case 'update': checkVerb(type, 'update'); return handleUpdate(ctx, type);
    case 'patch': checkVerb(type, 'patch'); return handlePatch(ctx, type);
    case 'delete': checkVerb(type, 'delete'); return handleDelete(ctx, type);
    case 'deletecollection': checkVerb(type, 'deletecollection'); return handleDeleteCollection(ctx, type);
    default: throw methodNotAllowed();
  }
}

async function handleResource(ctx) {
  const sim = ctx.sim;
  if (!sim.resourcesBootstrapped) bootstrap(sim);
  const { apiGroup, apiVersion, resource, subresource, namespace, verb } = ctx.info;
  const type = sim.registry.lookup(apiGroup, apiVersion, resource);
  if (!type) throw pathNotFound();
  // A namespaced resource has no cluster-scoped create/update/delete routes, and a cluster-scoped
  // one no namespaced routes at all.
  if (!type.namespaced && namespace && resource !== 'namespaces') throw pathNotFound();
  if (type.namespaced && !namespace && !['list', 'watch'].includes(verb)) {
    // /api/v1/pods exists (for GET), so other methods there are 405; /api/v1/pods/x does not.
    throw ctx.info.name || ctx.info.subresource ? pathNotFound() : methodNotAllowed();
  }
  if (type.virtual) return handleReview(ctx, type);
  if (subresource) return handleSubresource(ctx, type);
  return handleMain(ctx, type);
}

// The objects a fresh cluster has before anyone talks to it, and the controllers that keep
// reacting. Idempotent; the server calls it once at start.
function bootstrap(sim) {
  if (sim.resourcesBootstrapped) return;
  sim.resourcesBootstrapped = true;
  sim.stopControllers = startControllers(sim);
  const nsType = write.typeOf(sim, '', 'namespaces');
  for (const name of SYSTEM_NAMESPACES) {
    if (!sim.store.get(nsType, '', name)) write.systemCreate(sim, nsType, { metadata: { name } });
  }
  const nodeType = write.typeOf(sim, '', 'nodes');
  const nodeName = safeNodeName();
  if (nodeType && !sim.store.get(nodeType, '', nodeName)) write.systemCreate(sim, nodeType, simNode(sim, nodeName), 'kubelet');
}

function safeNodeName() {
  try {
    return require('../pods').NODE_NAME || 'sim-node-1';
  } catch {
    return 'sim-node-1';
  }
}

// The node the pod runtime schedules every pod on, Ready, as a kubelet registers it.
function simNode(sim, name) {
  const now = new Date().toISOString().slice(0, 19) + 'Z';
  const v = `v${sim.emulatedVersion || '1.33'}.0`;
  const cond = (type, status, reason, message) => ({ type, status, lastHeartbeatTime: now, lastTransitionTime: now, reason, message });
  return {
    metadata: { name, labels: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux',
      'node-role.kubernetes.io/control-plane': '', 'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux' } },
    spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] },
    status: {
      capacity: { cpu: '8', 'ephemeral-storage': '102399992Ki', memory: '16384000Ki', pods: '110' },
      allocatable: { cpu: '8', 'ephemeral-storage': '102399992Ki', memory: '16384000Ki', pods: '110' },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { machineID: 'kube-sim', systemUUID: 'kube-sim', bootID: 'kube-sim', kernelVersion: '6.1.0-kube-sim',
        osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.18', kubeletVersion: v,
        kubeProxyVersion: v, operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

// Stores a seed object as if a client had created it (defaults, managedFields, pod runtime).
function seedObject(sim, obj) {
  if (!sim.resourcesBootstrapped) bootstrap(sim);
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const type = sim.registry.types.find((t) => t.group === group && t.version === version && t.kind === obj.kind);
  if (!type) throw new Error(`seed object of unserved kind ${obj.apiVersion} ${obj.kind}`);
  const existing = sim.store.get(type, (obj.metadata && obj.metadata.namespace) || '', obj.metadata && obj.metadata.name);
  if (existing) return existing;
  return write.systemCreate(sim, type, obj, 'kube-sim');
}

module.exports = { handleResource, bootstrap, seedObject };
