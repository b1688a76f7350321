'use strict';
// The pod runtime (defaults and status of created pods, the lazily computed container log) and
// pods/log over HTTP: options parsed and validated as kube-apiserver does, the kubelet's output
// (RFC3339Nano timestamps, tail, limitBytes, follow until the pod goes), and real kubectl logs.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const https = require('node:https');
const { spawn } = require('node:child_process');
const { startSimFor, kubectl, kubectlPath, tempDir, readRequestLog, request } = require('./support/harness');
const { Registry } = require('../lib/registry');
const { Store } = require('../lib/store');
const { PodRuntime, rfc3339Nano, LOG_LINES_ANNOTATION } = require('../lib/pods');

const POD = 'web-7d9f8b6c5d-x2k4p';
const LOG = `/api/v1/namespaces/production/pods/${POD}/log`;
const NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/;
const APP_LINE = /^\S+ INFO handled request id=\d+ method=GET path=\S+ status=\d+ duration_ms=\d+$/;

function runtime(version = '1.33') {
  const registry = new Registry(version);
  const store = new Store(registry);
  return { pods: new PodRuntime(store), store, T: (r) => registry.lookup('', 'v1', r) };
}

function podAt(startTime, spec = {}, annotations = undefined) {
  return { metadata: { name: 'p', namespace: 'default', uid: 'uid-1', annotations },
           spec: { containers: [{ name: 'c', image: 'nginx', ...spec }] }, status: { startTime } };
}

test('prepareNewPod: Running with the status and defaults kubectl shows', () => {
  const { pods } = runtime('1.33');
  const pod = pods.prepareNewPod({ metadata: { name: 'p', namespace: 'ns' },
    spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'ghcr.io/x/api:2.4.1', resources: { requests: { cpu: '100m' } } }] } });
  const s = pod.status;
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.conditions.map((c) => [c.type, c.status]),
    [['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True']]);
  assert.match(s.podIP, /^10\.244\.\d+\.\d+$/);
  assert.deepEqual(s.podIPs, [{ ip: s.podIP }]);
  assert.equal(s.qosClass, 'Burstable');
  assert.deepEqual(s.containerStatuses.map((c) => [c.name, c.ready, c.started, c.restartCount, c.image]),
    [['a', true, true, 0, 'docker.io/library/nginx:latest'], ['b', true, true, 0, 'ghcr.io/x/api:2.4.1']]);
  assert.match(s.containerStatuses[0].containerID, /^containerd:\/\/[0-9a-f]{64}$/);
  assert.match(s.containerStatuses[0].imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
  assert.ok(s.containerStatuses[0].state.running.startedAt);
  const spec = pod.spec;
  assert.deepEqual([spec.nodeName, spec.restartPolicy, spec.dnsPolicy, spec.schedulerName, spec.serviceAccountName,
                    spec.terminationGracePeriodSeconds, spec.enableServiceLinks, spec.priority, spec.preemptionPolicy],
  ['sim-node-1', 'Always', 'ClusterFirst', 'default-scheduler', 'default', 30, true, 0, 'PreemptLowerPriority']);
  assert.deepEqual(spec.tolerations.map((t) => [t.key, t.tolerationSeconds]),
    [['node.kubernetes.io/not-ready', 300], ['node.kubernetes.io/unreachable', 300]]);
  assert.deepEqual(spec.containers.map((c) => c.imagePullPolicy), ['Always', 'IfNotPresent']);
  assert.equal(spec.containers[0].terminationMessagePath, '/dev/termination-log');
  assert.match(spec.volumes[0].name, /^kube-api-access-[a-z0-9]{5}$/);
  assert.deepEqual(spec.containers[1].volumeMounts, [{ name: spec.volumes[0].name, readOnly: true,
                                                      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  const other = pods.prepareNewPod({ metadata: { name: 'q', namespace: 'ns' }, spec: { containers: [{ name: 'a', image: 'busybox:1.36' }] } });
  assert.notEqual(other.status.podIP, s.podIP, 'pod IPs are unique');
  assert.equal(runtime('1.27').pods.prepareNewPod({ metadata: { name: 'r' }, spec: { containers: [] } }).status.conditions[0].type,
    'Initialized', '1.27 has no PodReadyToStartContainers condition');
});

test('rfc3339Nano prints Go RFC3339Nano (trailing zeros trimmed)', () => {
  const ms = Date.parse('2026-01-02T03:04:05.120Z');
  assert.equal(rfc3339Nano(ms, 0), '2026-01-02T03:04:05.12Z');
  assert.equal(rfc3339Nano(ms, 345600), '2026-01-02T03:04:05.1203456Z');
  assert.equal(rfc3339Nano(Date.parse('2026-01-02T03:04:05Z'), 0), '2026-01-02T03:04:05Z');
});

test('the log: start line, planted lines, one line a second, deterministic and lazy', () => {
  const { pods } = runtime();
  const start = Date.parse('2026-01-02T03:00:00Z');
  const pod = podAt('2026-01-02T03:00:00Z', {}, { [LOG_LINES_ANNOTATION]: JSON.stringify(['api_key=sk-live-123', 'ready']) });
  const lines = pods.logLines(pod, 'c', { now: start + 10500 });
  assert.match(lines[0].text, /^2026-01-02T03:00:00\.000Z INFO c starting image=nginx pid=1$/);
  assert.deepEqual(lines.slice(1, 3).map((l) => l.text), ['api_key=sk-live-123', 'ready']);
  assert.ok(lines.slice(3).every((l) => APP_LINE.test(l.text)));
  assert.ok(lines.length >= 12 && lines.length <= 13, `one line a second (${lines.length})`);
  assert.ok(lines.every((l) => NANO.test(l.stamp)));
  assert.deepEqual(pods.logLines(pod, 'c', { now: start + 10500 }), lines, 'the same pod gives the same log');
  assert.deepEqual(pods.logLines(pod, 'c', { now: start + 10500, tail: 2 }), lines.slice(-2));
  const since = pods.logLines(pod, 'c', { now: start + 10500, sinceMs: start + 5000 });
  assert.ok(since.length >= 5 && since.length <= 6 && since.every((l) => l.ms >= start + 5000));
  const huge = pods.logLines(podAt('2020-01-01T00:00:00Z'), 'c', { tail: 3 });
  assert.equal(huge.length, 3, 'a years-old pod is cheap to tail');
  const quiet = pods.logLines(podAt('2026-01-02T03:00:00Z', { command: ['sleep', 'infinity'] }, { [LOG_LINES_ANNOTATION]: '["only this"]' }), 'c',
    { now: start + 60000 });
  assert.deepEqual(quiet.map((l) => l.text), ['only this'], 'sleep prints nothing of its own');
});

test('followLogs streams lines as they come due and ends with the pod', async () => {
  const { pods, store, T } = runtime();
  const stored = store.create(T('pods'), pods.prepareNewPod({ metadata: { name: 'f', namespace: 'default' },
                                                              spec: { containers: [{ name: 'c', image: 'nginx' }] } }));
  const got = [];
  let ended = false;
  pods.followLogs(stored, 'c', (l) => got.push(l), { fromNow: true, onEnd: () => { ended = true; } });
  await new Promise((r) => setTimeout(r, 2300));
  assert.ok(got.length >= 1 && got.length <= 3, `${got.length} lines in 2.3 s`);
  assert.ok(got.every((l, i) => i === 0 || l.index === got[i - 1].index + 1), 'no gaps, no repeats');
  store.delete(T('pods'), 'default', 'f');
  assert.equal(ended, true);
});

// ---- pods/log over HTTP -----------------------------------------------------------------------

const get = (sim, p) => request(sim, { path: p, cert: 'admin' });

test('pods/log: text/plain, chunked, tail, timestamps, limitBytes and kube-apiserver booleans', async (t) => {
  const sim = await startSimFor(t);
  // The seeded pod just started: its first periodic line is due 1,050-1,949 ms after its start time
  // (lib/pods.js logLine), which is truncated to the second, so two seconds always bring it.
  await new Promise((r) => setTimeout(r, 2000));
  const all = await get(sim, LOG);
  assert.equal(all.status, 200);
  assert.equal(all.headers['content-type'], 'text/plain');
  assert.equal(all.headers['transfer-encoding'], 'chunked');
  assert.equal(all.headers['cache-control'], 'no-cache, private');
  assert.ok(all.headers['audit-id']);
  assert.match(all.body, /^\S+ INFO web starting image=nginx:1\.27 pid=1\n/);
  const tail = await get(sim, `${LOG}?tailLines=2&timestamps=true`);
  const lines = tail.body.split('\n').filter(Boolean);
  assert.equal(lines.length, 2);
  for (const l of lines) assert.ok(NANO.test(l.slice(0, l.indexOf(' '))), l);
  for (const value of ['True', '', '1']) {
    assert.match((await get(sim, `${LOG}?tailLines=1&timestamps=${value}`)).body, /^\d{4}-\S+Z \d{4}-/, `timestamps=${value} is true`);
  }
  for (const value of ['0', 'FALSE', 'false']) {
    assert.doesNotMatch((await get(sim, `${LOG}?tailLines=1&timestamps=${value}`)).body, /^\S+Z \d{4}-/, `timestamps=${value} is false`);
  }
  assert.equal((await get(sim, `${LOG}?limitBytes=10`)).body, all.body.slice(0, 10));
  assert.equal((await get(sim, `${LOG}?tailLines=0`)).body, '');
  const entry = readRequestLog(sim).find((e) => e.subresource === 'log');
  assert.deepEqual([entry.verb, entry.code], ['get', 200]);
});

test('pods/log: refusals word for word', async (t) => {
  const sim = await startSimFor(t);
  const { store, registry, pods } = sim.sim;
  store.create(registry.lookup('', 'v1', 'pods'), pods.prepareNewPod({ apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'multi', namespace: 'production', annotations: { 'kubectl.kubernetes.io/default-container': 'b' } },
    spec: { containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] } }));
  const status = async (p) => { const r = await get(sim, p); return [r.status, JSON.parse(r.body).message]; };
  const multi = '/api/v1/namespaces/production/pods/multi/log';
  assert.deepEqual(await status(multi), [400, 'a container name must be specified for pod multi, choose one of: [a b]'],
    'the default-container annotation is kubectl\'s business, not the server\'s');
  assert.deepEqual(await status(`${multi}?container=zz`), [400, 'container zz is not valid for pod multi']);
  assert.deepEqual(await status(`${LOG}?previous=true`), [400, `previous terminated container "web" in pod "${POD}" not found`]);
  assert.deepEqual(await status('/api/v1/namespaces/production/pods/nope/log'), [404, 'pods "nope" not found']);
  const invalid = await get(sim, `${LOG}?tailLines=-1&sinceSeconds=0`);
  assert.equal(invalid.status, 422);
  assert.deepEqual(JSON.parse(invalid.body).details.causes, [
    { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'tailLines' },
    { reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be greater than 0', field: 'sinceSeconds' }]);
});

test('pods/log?follow streams new lines and ends when the pod is deleted', { timeout: 30000 }, async (t) => {
  const sim = await startSimFor(t);
  const certs = path.join(sim.stateDir, 'certs');
  const opts = { ca: fs.readFileSync(sim.caFile), cert: fs.readFileSync(path.join(certs, 'admin.crt')),
                 key: fs.readFileSync(path.join(certs, 'admin.key')) };
  const body = await new Promise((resolve, reject) => {
    https.get(new URL(`${LOG}?follow=true&tailLines=1`, sim.url), opts, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
        if (text.split('\n').length === 4) sim.sim.store.delete(sim.sim.registry.lookup('', 'v1', 'pods'), 'production', POD);
      });
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
  const lines = body.split('\n').filter(Boolean);
  assert.equal(lines.length, 3, 'one old line, two new ones, then the end');
  assert.ok(lines.slice(1).every((l) => APP_LINE.test(l)));
});

// ---- kubectl logs -------------------------------------------------------------------------------

// Runs `kubectl logs -f` until it printed `want` lines, then stops it.
function followLines(version, sim, args, want) {
  const home = tempDir('home');
  return new Promise((resolve) => {
    const child = spawn(kubectlPath(version), ['--kubeconfig', sim.adminKubeconfig, '--cache-dir', path.join(home, 'cache'), ...args],
      { env: { HOME: home, PATH: process.env.PATH } });
    let out = '';
    const timer = setTimeout(() => child.kill(), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.split('\n').filter(Boolean).length >= want) child.kill();
    });
    child.on('close', () => { clearTimeout(timer); fs.rmSync(home, { recursive: true, force: true }); resolve(out.split('\n').filter(Boolean)); });
  });
}

for (const version of ['1.27', '1.30', '1.33']) {
  test(`kubectl ${version} logs, logs --tail=2 --timestamps, logs -f`, { timeout: 60000 }, async (t) => {
    if (!kubectlPath(version)) return t.skip(`kubectl.${version} is not installed`);
    const sim = await startSimFor(t);
    const { store, registry, pods } = sim.sim;
    store.create(registry.lookup('', 'v1', 'pods'), pods.prepareNewPod({ apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'leaky', namespace: 'production', annotations: { [LOG_LINES_ANNOTATION]: '["DATABASE_URL=postgres://app:pw@db/app"]' } },
      spec: { containers: [{ name: 'app', image: 'ghcr.io/example/api:2.4.1' }] } }));
    const plain = await kubectl(version, sim, ['-n', 'production', 'logs', 'leaky']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^\S+ INFO app starting image=ghcr\.io\/example\/api:2\.4\.1 pid=1\nDATABASE_URL=postgres:\/\/app:pw@db\/app\n/);
    await new Promise((r) => setTimeout(r, 1300));
    const tail = await kubectl(version, sim, ['-n', 'production', 'logs', 'leaky', '--tail=2', '--timestamps']);
    const lines = tail.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 2, tail.stdout);
    for (const l of lines) assert.ok(NANO.test(l.split(' ')[0]), l);
    const followed = await followLines(version, sim, ['-n', 'production', 'logs', '-f', '--tail=1', 'leaky'], 3);
    assert.equal(followed.length, 3);
    assert.ok(followed.slice(1).every((l) => APP_LINE.test(l)), followed.join('\n'));
  });
}
