'use strict';
// The pod runtime: what the kubelet and container runtime would be on a real node. It makes created
// pods Running at once (a quick kubelet), and owns each container's simulated file system,
// environment and log. Logs are computed from the pod's start time when someone reads them, so an
// idle pod costs nothing.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { SimFs, userlandEntries } = require('./streams/shell');

const NODE_NAME = 'sim-node-1';
const HOST_IP = '172.18.0.2';
const LOG_LINES_ANNOTATION = 'kube-sim.kubegate.dev/log-lines';
const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ALPINE_DIRS = ['/', '/bin', '/dev', '/etc', '/home', '/lib', '/media', '/mnt', '/opt', '/proc', '/root', '/run', '/sbin',
  '/srv', '/sys', '/tmp', '/usr', '/usr/bin', '/usr/lib', '/usr/local', '/usr/local/bin', '/usr/sbin', '/usr/share', '/var',
  '/var/log', '/var/run', '/var/tmp'];
const REQUEST_PATHS = ['/healthz', '/api/v1/orders', '/api/v1/users', '/metrics', '/api/v1/orders/42'];

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
const timestamp = (d = new Date()) => `${d.toISOString().slice(0, 19)}Z`;

// Docker reference normalisation, as containerd reports status.image.
function fullImage(image) {
  let ref = image;
  const lastSlash = ref.lastIndexOf('/');
  if (!ref.slice(lastSlash + 1).includes(':') && !ref.includes('@')) ref += ':latest';
  const first = ref.split('/')[0];
  if (!ref.includes('/')) return `docker.io/library/${ref}`;
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost') return `docker.io/${ref}`;
  return ref;
}

// kube-apiserver's defaulting (SetDefaults_Container): Always for :latest or no tag, else IfNotPresent.
function defaultPullPolicy(image) {
  if (image.includes('@')) return 'IfNotPresent';
  const tail = image.slice(image.lastIndexOf('/') + 1);
  return !tail.includes(':') || tail.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

function qosClass(containers) {
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = (c.resources && c.resources.requests) || {};
    const lim = (c.resources && c.resources.limits) || {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (!lim[r] || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultContainer(c, defaultMounts) {
  if (c.image) c.imagePullPolicy = c.imagePullPolicy || defaultPullPolicy(c.image);
  c.resources = c.resources || {};
  c.terminationMessagePath = c.terminationMessagePath || '/dev/termination-log';
  c.terminationMessagePolicy = c.terminationMessagePolicy || 'File';
  for (const p of c.ports || []) p.protocol = p.protocol || 'TCP';
  for (const e of c.env || []) if (e.valueFrom && e.valueFrom.fieldRef) e.valueFrom.fieldRef.apiVersion = e.valueFrom.fieldRef.apiVersion || 'v1';
  if (defaultMounts && !(c.volumeMounts || []).some((m) => m.mountPath === SA_MOUNT)) {
    c.volumeMounts = [...(c.volumeMounts || []), ...defaultMounts];
  }
}

// The ServiceAccount admission plugin's projected token volume (kube-api-access-xxxxx).
function serviceAccountVolume() {
  const suffix = crypto.randomBytes(5).toString('hex').replace(/[^a-z0-9]/g, '').slice(0, 5).padEnd(5, 'x');
  return {
    name: `kube-api-access-${suffix}`,
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

function defaultSpec(spec) {
  spec.restartPolicy = spec.restartPolicy || 'Always';
  spec.terminationGracePeriodSeconds = spec.terminationGracePeriodSeconds ?? 30;
  spec.dnsPolicy = spec.dnsPolicy || 'ClusterFirst';
  spec.serviceAccountName = spec.serviceAccountName || spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  spec.nodeName = spec.nodeName || NODE_NAME;
  spec.securityContext = spec.securityContext || {};
  spec.schedulerName = spec.schedulerName || 'default-scheduler';
  spec.tolerations = spec.tolerations || [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!spec.tolerations.some((t) => t.key === key)) {
      spec.tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
  }
  spec.priority = spec.priority ?? 0;
  spec.enableServiceLinks = spec.enableServiceLinks ?? true;
  spec.preemptionPolicy = spec.preemptionPolicy || 'PreemptLowerPriority';
  spec.volumes = spec.volumes || [];
  for (const v of spec.volumes) {
    if (v.secret) v.secret.defaultMode = v.secret.defaultMode ?? 420;
    if (v.configMap) v.configMap.defaultMode = v.configMap.defaultMode ?? 420;
  }
  let mounts = null;
  if (spec.automountServiceAccountToken !== false && !spec.volumes.some((v) => v.name.startsWith('kube-api-access-'))) {
    const vol = serviceAccountVolume();
    spec.volumes.push(vol);
    mounts = [{ name: vol.name, readOnly: true, mountPath: SA_MOUNT }];
  }
  for (const c of spec.containers || []) defaultContainer(c, mounts);
  for (const c of spec.initContainers || []) defaultContainer(c, mounts);
  if (!spec.volumes.length) delete spec.volumes;
}

// RFC3339Nano as Go prints it: nanoseconds with trailing zeros trimmed (the kubelet's log prefix).
function rfc3339Nano(ms, subNs) {
  const d = new Date(ms);
  const frac = `${String(ms % 1000).padStart(3, '0')}${String(subNs).padStart(6, '0')}`.replace(/0+$/, '');
  return `${d.toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

function isQuiet(argv) {
  const base = (argv[0] || '').split('/').pop();
  if (base === 'sleep' || base === 'pause') return true;
  const script = argv.join(' ');
  return /\bsleep\b|tail -f|infinity/.test(script) && !/\becho\b|\bprintf\b|\bdate\b/.test(script);
}

class PodRuntime {
  constructor(store, { emulatedVersion } = {}) {
    this.store = store;
    this.emulatedVersion = emulatedVersion || (store && store.registry && store.registry.emulatedVersion) || '1.33';
    this.usedIPs = new Set();
    this.nextIP = 10;
    this.overlays = new Map(); // `${uid}/${container}` -> written files, kept for the pod's life
    this.goneWatchers = new Map(); // uid -> Set(fn)
    if (store && store.subscribe) store.subscribe((type, eventType, obj) => this.observe(type, eventType, obj));
  }

  observe(type, eventType, obj) {
    if (type.resource !== 'pods' || type.group !== '') return;
    const ip = obj.status && obj.status.podIP;
    if (eventType !== 'DELETED') { if (ip) this.usedIPs.add(ip); return; }
    if (ip) this.usedIPs.delete(ip);
    const uid = obj.metadata.uid;
    for (const key of this.overlays.keys()) if (key.startsWith(`${uid}/`)) this.overlays.delete(key);
    const fns = this.goneWatchers.get(uid);
    this.goneWatchers.delete(uid);
    for (const fn of fns || []) fn();
  }

  allocateIP() {
    for (;;) {
      const n = this.nextIP++;
      const ip = `10.244.${(n >> 8) & 255}.${n & 255}`;
      if ((n & 255) !== 0 && (n & 255) !== 255 && !this.usedIPs.has(ip)) { this.usedIPs.add(ip); return ip; }
    }
  }

  // Defaults and status for a pod about to be created, as kube-apiserver's defaulting and
  // admission plus a kubelet that starts every container at once would leave it.
  prepareNewPod(pod) {
    pod.spec = pod.spec || {};
    defaultSpec(pod.spec);
    const now = timestamp();
    const podIP = this.allocateIP();
    const conditions = [];
    const cond = (t) => conditions.push({ type: t, status: 'True', lastProbeTime: null, lastTransitionTime: now });
    if (this.emulatedVersion !== '1.27') cond('PodReadyToStartContainers');
    for (const t of ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled']) cond(t);
    pod.status = {
      phase: 'Running', conditions, hostIP: HOST_IP, hostIPs: [{ ip: HOST_IP }], podIP, podIPs: [{ ip: podIP }],
      startTime: now,
      containerStatuses: (pod.spec.containers || []).map((c) => ({
        name: c.name, state: { running: { startedAt: now } }, lastState: {}, ready: true, restartCount: 0,
        image: fullImage(c.image || 'busybox'),
        imageID: `${fullImage(c.image || 'busybox').replace(/:[^:/]+$/, '')}@sha256:${sha256(`image:${c.image}`)}`,
        containerID: `containerd://${crypto.randomBytes(32).toString('hex')}`, started: true,
      })),
      qosClass: qosClass(pod.spec.containers || []),
    };
    if (pod.spec.initContainers && pod.spec.initContainers.length) {
      pod.status.initContainerStatuses = pod.spec.initContainers.map((c) => ({
        name: c.name, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now,
                                             containerID: `containerd://${crypto.randomBytes(32).toString('hex')}` } },
        lastState: {}, ready: true, restartCount: 0, image: fullImage(c.image || 'busybox'),
        imageID: `${fullImage(c.image || 'busybox').replace(/:[^:/]+$/, '')}@sha256:${sha256(`image:${c.image}`)}`,
        containerID: `containerd://${crypto.randomBytes(32).toString('hex')}`, started: false,
      }));
    }
    return pod;
  }

  // The container spec named `name` (regular, init or ephemeral), or null.
  containerFor(pod, name) {
    const spec = pod.spec || {};
    for (const list of [spec.containers, spec.initContainers, spec.ephemeralContainers]) {
      const c = (list || []).find((x) => x.name === name);
      if (c) return c;
    }
    return null;
  }

  // Calls fn once when the pod is deleted; returns cancel().
  watchPodGone(pod, fn) {
    const uid = pod.metadata.uid;
    if (!this.goneWatchers.has(uid)) this.goneWatchers.set(uid, new Set());
    this.goneWatchers.get(uid).add(fn);
    return () => { const s = this.goneWatchers.get(uid); if (s) s.delete(fn); };
  }

  // Everything an exec needs to look inside the container: {fs, env, hostname, cwd, spec,
  // mainCommand, user, now}. Volumes are read from the store now, as the kubelet keeps them in sync.
  openContainer(sim, pod, name, { tty = false } = {}) {
    const spec = this.containerFor(pod, name);
    const hostname = ((pod.spec && pod.spec.hostname) || pod.metadata.name).slice(0, 63);
    const key = `${pod.metadata.uid}/${name}`;
    if (!this.overlays.has(key)) this.overlays.set(key, new Map());
    const sc = { ...((pod.spec && pod.spec.securityContext) || {}), ...(spec.securityContext || {}) };
    return {
      spec, hostname, cwd: spec.workingDir || '/',
      env: containerEnv(sim, pod, spec, hostname, tty),
      fs: new SimFs(containerFiles(sim, pod, spec, hostname), this.overlays.get(key), startDate(pod)),
      mainCommand: mainCommand(spec),
      user: { uid: sc.runAsUser ?? 0, gid: sc.runAsGroup ?? 0 },
      now: () => new Date(),
    };
  }

  // ---- logs -------------------------------------------------------------------------------

  // The container's log as a generator: fixed lines at start, then one line a second unless the
  // container's command is one that prints nothing (sleep and friends).
  logPlan(pod, containerName) {
    const spec = this.containerFor(pod, containerName) || { name: containerName };
    const startMs = startDate(pod).getTime();
    const fixed = [];
    const argv = mainCommand(spec);
    const quiet = isQuiet(argv);
    const appTime = (ms) => new Date(ms).toISOString();
    if (!quiet) fixed.push(`${appTime(startMs)} INFO ${spec.name} starting image=${spec.image || 'unknown'} pid=1`);
    let planted = [];
    try {
      planted = JSON.parse(((pod.metadata.annotations || {})[LOG_LINES_ANNOTATION]) || '[]');
    } catch { planted = []; }
    if (Array.isArray(planted)) for (const l of planted) fixed.push(String(l));
    const seed = parseInt(sha256(`${pod.metadata.uid}/${containerName}`).slice(0, 6), 16);
    return { startMs, fixed, periodic: !quiet, seed, appTime };
  }

  // Line `index` of the plan: {index, ms, stamp (kubelet RFC3339Nano), text}.
  logLine(plan, index) {
    if (index < plan.fixed.length) { // due at startTime, which is already second-truncated
      const ms = plan.startMs;
      return { index, ms, stamp: rfc3339Nano(ms, 104000 + index * 1311), text: plan.fixed[index] };
    }
    const j = index - plan.fixed.length + 1;
    const ms = plan.startMs + j * 1000 + ((j * 37 + plan.seed) % 900) + 50;
    const path = REQUEST_PATHS[(j + plan.seed) % REQUEST_PATHS.length];
    const status = path.endsWith('42') ? 404 : 200;
    const text = `${plan.appTime(ms)} INFO handled request id=${j} method=GET path=${path} status=${status} ` +
      `duration_ms=${((j * 7 + plan.seed) % 40) + 1}`;
    return { index, ms, stamp: rfc3339Nano(ms, (j * 7919 + plan.seed) % 1000000), text };
  }

  // How many lines are due by `now`.
  dueCount(plan, now) {
    if (now < plan.startMs) return 0;
    if (!plan.periodic) return plan.fixed.length;
    let j = Math.floor((now - plan.startMs) / 1000) + 1;
    while (j > 0 && this.logLine(plan, plan.fixed.length + j - 1).ms > now) j -= 1;
    return plan.fixed.length + j;
  }

  // The lines written so far, oldest first; {tail, sinceMs, now} narrow it without building the rest.
  logLines(pod, container, { tail, sinceMs, now = Date.now() } = {}) {
    const plan = this.logPlan(pod, container);
    const due = this.dueCount(plan, now);
    let from = tail === undefined ? 0 : Math.max(0, due - tail);
    if (sinceMs !== undefined) while (from < due && this.logLine(plan, from).ms < sinceMs) from += 1;
    const lines = [];
    for (let i = from; i < due; i += 1) lines.push(this.logLine(plan, i));
    return lines;
  }

  // Streams lines as they come due: from `from` (an index) or from now. Ends (onEnd) when the pod
  // is deleted. Returns cancel().
  followLogs(pod, container, onLine, { from, fromNow = from === undefined, onEnd = () => {} } = {}) {
    const plan = this.logPlan(pod, container);
    let next = fromNow ? this.dueCount(plan, Date.now()) : from;
    let timer = null;
    let done = false;
    const finish = () => { if (!done) { done = true; clearTimeout(timer); cancelGone(); onEnd(); } };
    const tick = () => {
      const now = Date.now();
      for (; next < this.dueCount(plan, now); next += 1) onLine(this.logLine(plan, next));
      if (!plan.periodic || done) return;
      timer = setTimeout(tick, Math.max(5, this.logLine(plan, next).ms - Date.now() + 2));
    };
    const cancelGone = this.watchPodGone(pod, finish);
    tick();
    return () => { done = true; clearTimeout(timer); cancelGone(); };
  }
}

function startDate(pod) {
  const t = (pod.status && pod.status.startTime) || pod.metadata.creationTimestamp;
  const d = t ? new Date(t) : new Date();
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

// The image's entrypoint when the pod gives no command: enough for ps and for telling quiet
// containers from chatty ones.
function mainCommand(spec) {
  const image = (spec.image || 'busybox').split('/').pop().split(/[:@]/)[0];
  const entry = spec.command || ({ busybox: ['sh'], alpine: ['/bin/sh'], ubuntu: ['/bin/bash'], debian: ['bash'],
                                   nginx: ['nginx', '-g', 'daemon off;'], pause: ['/pause'] }[image] || [`/usr/local/bin/${image}`]);
  return [...entry, ...(spec.args || [])];
}

// ---- environment ------------------------------------------------------------------------------

function lookup(sim, resource, namespace, name) {
  const type = sim.registry.lookup('', 'v1', resource);
  return type ? sim.store.get(type, namespace, name) : null;
}

function secretValue(sim, ns, ref) {
  const s = lookup(sim, 'secrets', ns, ref.name);
  const v = s && s.data && s.data[ref.key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

function configMapValue(sim, ns, ref) {
  const cm = lookup(sim, 'configmaps', ns, ref.name);
  if (!cm) return undefined;
  if (cm.data && ref.key in cm.data) return cm.data[ref.key];
  return cm.binaryData && ref.key in cm.binaryData ? Buffer.from(cm.binaryData[ref.key], 'base64').toString('utf8') : undefined;
}

// The downward API (fieldRef) as the kubelet resolves it.
function fieldValue(pod, fieldPath) {
  const meta = pod.metadata;
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (meta[m[1]] || {})[m[2]] ?? '';
  const status = pod.status || {};
  const table = {
    'metadata.name': meta.name, 'metadata.namespace': meta.namespace, 'metadata.uid': meta.uid,
    'spec.nodeName': pod.spec.nodeName, 'spec.serviceAccountName': pod.spec.serviceAccountName,
    'status.hostIP': status.hostIP, 'status.podIP': status.podIP,
    'status.podIPs': (status.podIPs || []).map((p) => p.ip).join(','),
    'status.hostIPs': (status.hostIPs || []).map((p) => p.ip).join(','),
  };
  if (fieldPath === 'metadata.labels' || fieldPath === 'metadata.annotations') {
    return Object.entries(meta[fieldPath.split('.')[1]] || {}).map(([k, v]) => `${k}="${v}"`).join('\n');
  }
  return table[fieldPath] ?? '';
}

function resourceValue(spec, ref) {
  const [kind, res] = ref.resource.split('.');
  const raw = ((spec.resources || {})[kind] || {})[res] ?? (kind === 'limits' ? { cpu: '4', memory: '16Gi' }[res] : '0');
  if (res === 'cpu') {
    const milli = String(raw).endsWith('m') ? Number(String(raw).slice(0, -1)) : Number(raw) * 1000;
    return String(Math.max(kind === 'requests' && !milli ? 0 : 1, Math.ceil(milli / 1000)));
  }
  const units = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9 };
  const mm = /^(\d+)([A-Za-z]*)$/.exec(String(raw));
  return mm ? String(Number(mm[1]) * (units[mm[2]] || 1)) : String(raw);
}

// $(VAR) references in env values, as the kubelet expands them ($$ escapes).
function expandRefs(value, env) {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name) => {
    if (all === '$$') return '$';
    return name in env ? env[name] : all;
  });
}

function containerEnv(sim, pod, spec, hostname, tty) {
  const ns = pod.metadata.namespace;
  const env = { PATH: PATH_ENV, HOSTNAME: hostname };
  if (tty) env.TERM = 'xterm';
  const svc = {
    KUBERNETES_SERVICE_PORT_HTTPS: '443', KUBERNETES_PORT: 'tcp://10.96.0.1:443', KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp', KUBERNETES_PORT_443_TCP_PORT: '443', KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  for (const from of spec.envFrom || []) {
    const prefix = from.prefix || '';
    let data = {};
    if (from.secretRef) {
      const s = lookup(sim, 'secrets', ns, from.secretRef.name);
      for (const [k, v] of Object.entries((s && s.data) || {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
    } else if (from.configMapRef) {
      const cm = lookup(sim, 'configmaps', ns, from.configMapRef.name);
      data = { ...((cm && cm.data) || {}) };
    }
    for (const k of Object.keys(data).sort()) env[prefix + k] = data[k];
  }
  for (const e of spec.env || []) {
    let v;
    if (e.valueFrom) {
      const f = e.valueFrom;
      if (f.secretKeyRef) v = secretValue(sim, ns, f.secretKeyRef);
      else if (f.configMapKeyRef) v = configMapValue(sim, ns, f.configMapKeyRef);
      else if (f.fieldRef) v = fieldValue(pod, f.fieldRef.fieldPath);
      else if (f.resourceFieldRef) v = resourceValue(spec, f.resourceFieldRef);
    } else v = expandRefs(e.value || '', { ...svc, ...env });
    if (v !== undefined) env[e.name] = v;
  }
  return { ...env, ...svc, ...Object.fromEntries(Object.entries(env).filter(([k]) => k in svc)), HOME: env.HOME || '/root' };
}

// ---- file system ------------------------------------------------------------------------------

function file(data, extra = {}) {
  return { type: 'file', data: Buffer.from(data), mode: 0o644, ...extra };
}

function addFile(entries, p, entry) {
  const parts = p.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i += 1) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    if (!entries.has(dir)) entries.set(dir, { type: 'dir', mode: 0o755, readOnly: entry.readOnly });
  }
  entries.set(p, entry);
}

function clusterCA(sim, ns) {
  const cm = lookup(sim, 'configmaps', ns, 'kube-root-ca.crt');
  if (cm && cm.data && cm.data['ca.crt']) return cm.data['ca.crt'];
  try {
    return fs.readFileSync(path.join(sim.stateDir || '', 'ca.crt'), 'utf8');
  } catch {
    return '';
  }
}

// A bound service-account token's shape (header.claims.signature). kube-sim's authenticator does
// not know it; it is there to be read, as agents read it.
function serviceAccountToken(pod) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(startDate(pod).getTime() / 1000);
  const ns = pod.metadata.namespace;
  const sa = pod.spec.serviceAccountName || 'default';
  const claims = {
    aud: ['https://kubernetes.default.svc.cluster.local'], exp: iat + 3607, iat, iss: 'https://kubernetes.default.svc.cluster.local',
    jti: sha256(`jti/${pod.metadata.uid}`).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5'),
    'kubernetes.io': { namespace: ns, node: { name: pod.spec.nodeName, uid: sha256('node').slice(0, 36) },
                       pod: { name: pod.metadata.name, uid: pod.metadata.uid }, serviceaccount: { name: sa, uid: sha256(`sa/${ns}/${sa}`).slice(0, 36) } },
    nbf: iat, sub: `system:serviceaccount:${ns}:${sa}` };
  return `${b64({ alg: 'RS256', kid: sha256('kube-sim').slice(0, 43) })}.${b64(claims)}.${Buffer.from(sha256(`sig/${pod.metadata.uid}`), 'hex').toString('base64url')}`;
}

// The files a volume shows: [[relative path, Buffer]].
function volumeFiles(sim, pod, vol) {
  const ns = pod.metadata.namespace;
  const pick = (data, items) => {
    const all = Object.entries(data);
    if (!items) return all;
    return items.filter((it) => it.key in data).map((it) => [it.path, data[it.key]]);
  };
  const secretData = (name) => {
    const s = lookup(sim, 'secrets', ns, name);
    return Object.fromEntries(Object.entries((s && s.data) || {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  };
  const cmData = (name) => {
    const cm = lookup(sim, 'configmaps', ns, name);
    if (!cm && name === 'kube-root-ca.crt') return { 'ca.crt': Buffer.from(clusterCA(sim, ns)) };
    return { ...Object.fromEntries(Object.entries((cm && cm.data) || {}).map(([k, v]) => [k, Buffer.from(v)])),
             ...Object.fromEntries(Object.entries((cm && cm.binaryData) || {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])) };
  };
  const downward = (items) => (items || []).map((it) => [it.path, Buffer.from(it.fieldRef ? fieldValue(pod, it.fieldRef.fieldPath) : '')]);
  if (vol.secret) return pick(secretData(vol.secret.secretName), vol.secret.items);
  if (vol.configMap) return pick(cmData(vol.configMap.name), vol.configMap.items);
  if (vol.downwardAPI) return downward(vol.downwardAPI.items);
  if (vol.projected) {
    const out = [];
    for (const src of vol.projected.sources || []) {
      if (src.secret) out.push(...pick(secretData(src.secret.name), src.secret.items));
      else if (src.configMap) out.push(...pick(cmData(src.configMap.name), src.configMap.items));
      else if (src.downwardAPI) out.push(...downward(src.downwardAPI.items));
      else if (src.serviceAccountToken) out.push([src.serviceAccountToken.path, Buffer.from(serviceAccountToken(pod))]);
    }
    return out;
  }
  return null; // emptyDir, hostPath, PVCs: an empty writable directory
}

function mountVolume(entries, sim, pod, vol, mount) {
  const files = volumeFiles(sim, pod, vol);
  const readOnly = files !== null || !!mount.readOnly; // API-data volumes are always read-only
  const mode = (vol.secret || vol.configMap || vol.projected || vol.downwardAPI || {}).defaultMode ?? 420;
  if (mount.subPath) {
    const hit = (files || []).find(([p]) => p === mount.subPath);
    addFile(entries, mount.mountPath, hit ? file(hit[1], { mode, readOnly }) : { type: 'dir', mode: 0o755 });
    return;
  }
  addFile(entries, mount.mountPath, { type: 'dir', mode: readOnly ? 0o755 : 0o777, readOnly });
  for (const [rel, data] of files || []) addFile(entries, `${mount.mountPath.replace(/\/$/, '')}/${rel}`, file(data, { mode, readOnly }));
}

function containerFiles(sim, pod, spec, hostname) {
  const entries = new Map();
  for (const d of ALPINE_DIRS) entries.set(d, { type: 'dir', mode: d === '/tmp' ? 0o1777 : 0o755 });
  for (const [p, e] of userlandEntries()) entries.set(p, e);
  const ns = pod.metadata.namespace;
  const podIP = (pod.status && pod.status.podIP) || '';
  const etc = {
    '/etc/hostname': `${hostname}\n`,
    '/etc/hosts': `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n` +
      `fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n${podIP}\t${hostname}\n`,
    '/etc/resolv.conf': `search ${ns}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n`,
    '/etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n' +
      'HOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n',
    '/etc/alpine-release': '3.20.3\n',
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n',
    '/etc/group': 'root:x:0:root\nbin:x:1:root,bin,daemon\nnobody:x:65534:\n',
    '/dev/termination-log': '',
    '/dev/null': '',
  };
  for (const [p, data] of Object.entries(etc)) entries.set(p, file(data));
  const volumes = new Map(((pod.spec && pod.spec.volumes) || []).map((v) => [v.name, v]));
  const mounts = [...(spec.volumeMounts || [])];
  if (pod.spec.automountServiceAccountToken !== false && !mounts.some((m) => m.mountPath === SA_MOUNT)) {
    const vol = serviceAccountVolume();
    volumes.set(vol.name, vol);
    mounts.push({ name: vol.name, mountPath: SA_MOUNT, readOnly: true });
  }
  for (const m of mounts) if (volumes.has(m.name)) mountVolume(entries, sim, pod, volumes.get(m.name), m);
  return entries;
}

module.exports = { PodRuntime, fullImage, defaultPullPolicy, rfc3339Nano, NODE_NAME, LOG_LINES_ANNOTATION, SA_MOUNT };
