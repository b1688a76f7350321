'use strict';
// exec/attach: the session against a fake context (fast), the WebSocket wire protocol against a
// running kube-sim (v5 translated by "kube-apiserver", v4/base64/legacy "from the kubelet", a 1.27
// server turning v5 away), and the real clients: kubectl 1.30/1.33 (exec, exit codes, exec -it under
// a pseudo-terminal) and Debian's python3-kubernetes over v4.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = require('ws');
const { startSimFor, kubectl, kubectlPath, run, tempDir, readRequestLog, request } = require('./support/harness');
const { ptyDriver } = require('./support/pty');
const { Registry } = require('../lib/registry');
const { Store } = require('../lib/store');
const { PodRuntime } = require('../lib/pods');
const { startSession } = require('../lib/streams/exec');

const PYTHON = '/usr/bin/python3';
const POD = 'web-7d9f8b6c5d-x2k4p';
const BASE = `/api/v1/namespaces/production/pods/${POD}`;

// ---- the session, with a fake request context ---------------------------------------------------

function fakeSim() {
  const registry = new Registry('1.33');
  const store = new Store(registry);
  const pods = new PodRuntime(store);
  const T = (r) => registry.lookup('', 'v1', r);
  store.create(T('secrets'), { metadata: { name: 'db', namespace: 'default' }, data: { password: Buffer.from('hunter2').toString('base64') } });
  store.create(T('configmaps'), { metadata: { name: 'cfg', namespace: 'default' }, data: { MODE: 'fast', 'app.conf': 'x=1\n' } });
  const pod = pods.prepareNewPod({ metadata: { name: 'web', namespace: 'default', uid: 'u-1', creationTimestamp: new Date().toISOString() },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27',
      env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'URL', value: 'http://$(POD_NAME):80' }],
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
      volumeMounts: [{ name: 's', mountPath: '/etc/secret' }, { name: 'c', mountPath: '/etc/app' }] }],
    volumes: [{ name: 's', secret: { secretName: 'db' } }, { name: 'c', configMap: { name: 'cfg' } }] } });
  const stored = store.create(T('pods'), pod);
  return { sim: { registry, store, pods, stateDir: '/nonexistent' }, pod: stored, T };
}

async function session(fake, command, { input = [], ...opts } = {}) {
  const s = startSession({ ctx: { sim: fake.sim }, pod: fake.pod, container: 'app', command, stdout: true, stderr: true, ...opts });
  let out = '';
  let err = '';
  s.stdout.on('data', (d) => { out += d; });
  s.stderr.on('data', (d) => { err += d; });
  for (const chunk of input) {
    s.stdin.write(chunk);
    await new Promise((r) => setTimeout(r, 15));
  }
  if (opts.stdin && !opts.tty) s.stdin.end();
  return { result: await s.exit, out, err, s };
}

test('session: the environment a container gets', async () => {
  const fake = fakeSim();
  const { result, out } = await session(fake, ['env']);
  assert.deepEqual(result, { code: 0 });
  const env = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(env.DB_PASSWORD, 'hunter2');
  assert.equal(env.POD_NAME, 'web');
  assert.equal(env.URL, 'http://web:80', '$(VAR) references expand');
  assert.equal(env.CFG_MODE, 'fast');
  assert.equal(env.HOSTNAME, 'web');
  assert.equal(env.KUBERNETES_SERVICE_HOST, '10.96.0.1');
  assert.equal(env.HOME, '/root');
  assert.equal(env.TERM, undefined);
  assert.match((await session(fake, ['env'], { tty: true, stderr: false })).out, /\r\nTERM=xterm\r\n/);
});

test('session: mounted Secret, ConfigMap and service account files', async () => {
  const fake = fakeSim();
  assert.equal((await session(fake, ['cat', '/etc/secret/password'])).out, 'hunter2');
  assert.equal((await session(fake, ['cat', '/etc/app/app.conf'])).out, 'x=1\n');
  const sa = await session(fake, ['ls', '/var/run/secrets/kubernetes.io/serviceaccount']);
  assert.equal(sa.out, 'ca.crt\nnamespace\ntoken\n');
  assert.equal((await session(fake, ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/namespace'])).out, 'default');
  const token = (await session(fake, ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'])).out;
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, 'system:serviceaccount:default:default');
  assert.equal((await session(fake, ['cat', '/etc/hostname'])).out, 'web\n');
});

test('session: exit codes, runtime errors, kill and pod deletion', async () => {
  const fake = fakeSim();
  assert.deepEqual((await session(fake, ['sh', '-c', 'echo o; echo e >&2; exit 3'])).result, { code: 3 });
  const both = await session(fake, ['sh', '-c', 'echo o; echo e >&2']);
  assert.deepEqual([both.out, both.err], ['o\n', 'e\n']);
  const missing = await session(fake, ['nosuch', '--flag']);
  assert.match(missing.result.error, /^error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in \$PATH: unknown$/);
  assert.match((await session(fake, ['/opt/app'])).result.error, /exec: "\/opt\/app": stat \/opt\/app: no such file or directory: unknown$/);
  assert.match((await session(fake, ['exit', '1'])).result.error, /"exit": executable file not found/, 'shell builtins are no executables');

  const sleeper = startSession({ ctx: { sim: fake.sim }, pod: fake.pod, container: 'app', command: ['sleep', '60'], stdout: true });
  sleeper.stdout.resume();
  setTimeout(() => sleeper.kill(), 30);
  assert.deepEqual(await sleeper.exit, { code: 137 });

  const doomed = startSession({ ctx: { sim: fake.sim }, pod: fake.pod, container: 'app', command: ['sleep', '60'], stdout: true });
  doomed.stdout.resume();
  setTimeout(() => fake.sim.store.delete(fake.T('pods'), 'default', 'web'), 30);
  assert.deepEqual(await doomed.exit, { code: 137 }, 'deleting the pod kills its processes');
});

test('session: tty line discipline, resize and ^C', async () => {
  const fake = fakeSim();
  const s = startSession({ ctx: { sim: fake.sim }, pod: fake.pod, container: 'app', command: ['sh'], tty: true, stdin: true, stdout: true });
  let out = '';
  s.stdout.on('data', (d) => { out += d; });
  const type = async (text) => { s.stdin.write(text); await new Promise((r) => setTimeout(r, 30)); };
  s.resize({ Width: 132, Height: 43 });
  await type('echo hi\r');
  await type('stty size\r');
  await type('sleep 30\r');
  await type('\x03');
  await type('echo $?\r');
  await type('exit 4\r');
  assert.deepEqual(await s.exit, { code: 4 });
  assert.equal(out, '/ # echo hi\r\nhi\r\n/ # stty size\r\n43 132\r\n/ # sleep 30\r\n^C\r\n/ # echo $?\r\n130\r\n/ # exit 4\r\n');
});

test('session: attach shows the container output from now on', async () => {
  const fake = fakeSim();
  const s = startSession({ ctx: { sim: fake.sim }, pod: fake.pod, container: 'app', command: null, stdout: true, stderr: false });
  let out = '';
  s.stdout.on('data', (d) => { out += d; });
  await new Promise((r) => setTimeout(r, 2300));
  s.kill();
  await s.exit;
  assert.match(out, /^(\S+ INFO handled request id=\d+ method=GET path=\S+ status=\d+ duration_ms=\d+\n){1,3}$/);
});

// ---- the wire, against a running kube-sim ----------------------------------------------------------

function tlsOptions(sim) {
  const certs = path.join(sim.stateDir, 'certs');
  return { ca: fs.readFileSync(sim.caFile), cert: fs.readFileSync(path.join(certs, 'admin.crt')),
           key: fs.readFileSync(path.join(certs, 'admin.key')) };
}

// Opens one WebSocket exec; resolves {status, body} for a refusal, or {protocol, frames, closeCode}.
// `script(ws)` runs once open, to send stdin/resize frames.
function wsExec(sim, query, protocols, script = () => {}) {
  return new Promise((resolve, reject) => {
    const url = `${sim.url.replace('https', 'wss')}${BASE}/exec?${query}`;
    const ws = new WebSocket(url, protocols, tlsOptions(sim));
    const frames = [];
    ws.on('unexpected-response', (req, res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    ws.on('open', () => script(ws));
    ws.on('message', (data, isBinary) => frames.push({ binary: isBinary, data: Buffer.from(data) }));
    ws.on('close', (code) => resolve({ protocol: ws.protocol, frames, closeCode: code }));
    ws.on('error', (e) => { if (!String(e.message).includes('Unexpected server response')) reject(e); });
  });
}

const channelText = (frames, ch) => frames.filter((f) => f.data[0] === ch).map((f) => f.data.subarray(1).toString()).join('');
const q = (command, extra = 'stdout=true&stderr=true') => `${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&${extra}`;

test('WebSocket v5 (kubectl ≥1.30): empty first frame, output, translated exit Status, close 1000', async (t) => {
  const sim = await startSimFor(t);
  const r = await wsExec(sim, q(['sh', '-c', 'echo out; echo err >&2; exit 3']), ['v5.channel.k8s.io']);
  assert.equal(r.protocol, 'v5.channel.k8s.io');
  assert.deepEqual([...r.frames[0].data], [1], 'an empty stdout message announces the stream');
  assert.ok(r.frames.every((f) => f.binary));
  assert.equal(channelText(r.frames, 1), 'out\n');
  assert.equal(channelText(r.frames, 2), 'err\n');
  assert.deepEqual(JSON.parse(channelText(r.frames, 3)), {
    metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: command terminated with exit code 3',
    reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
  assert.equal(r.frames[r.frames.length - 1].data[0], 3, 'the Status comes last');
  assert.equal(r.closeCode, 1000);
  const log = readRequestLog(sim).filter((e) => e.subresource === 'exec');
  assert.deepEqual(log.map((e) => [e.verb, e.code]), [['get', 101]]);
});

test('WebSocket v5: stdin, the CLOSE signal and resize', async (t) => {
  const sim = await startSimFor(t);
  const cat = await wsExec(sim, q(['cat'], 'stdin=true&stdout=true&stderr=true'), ['v5.channel.k8s.io'], (ws) => {
    ws.send(Buffer.from('\x00piped '));
    ws.send(Buffer.from('\x00input'));
    ws.send(Buffer.from([255, 0]));
  });
  assert.equal(channelText(cat.frames, 1), 'piped input');
  assert.deepEqual(JSON.parse(channelText(cat.frames, 3)), { metadata: {}, status: 'Success' });
  const tty = await wsExec(sim, q(['sh'], 'stdin=true&stdout=true&tty=true'), ['v5.channel.k8s.io'], (ws) => {
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":99,"Height":33}\n')]));
    setTimeout(() => ws.send(Buffer.from('\x00stty size\r')), 50);
    setTimeout(() => ws.send(Buffer.from('\x00exit\r')), 150);
  });
  assert.match(channelText(tty.frames, 1), /\/ # stty size\r\n33 99\r\n\/ # exit\r\n$/);
});

test('WebSocket kubelet protocols: v4, base64 text frames and the bare legacy protocol', async (t) => {
  const sim = await startSimFor(t);
  const cmd = q(['sh', '-c', 'echo hi; exit 2']);
  const v4 = await wsExec(sim, cmd, ['v4.channel.k8s.io']);
  assert.equal(v4.protocol, 'v4.channel.k8s.io');
  assert.deepEqual([...v4.frames[0].data], [1]);
  assert.equal(channelText(v4.frames, 1), 'hi\n');
  assert.equal(JSON.parse(channelText(v4.frames, 3)).message,
    'command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 2], exit code 2');

  const b64 = await wsExec(sim, cmd, ['v4.base64.channel.k8s.io']);
  assert.equal(b64.protocol, 'v4.base64.channel.k8s.io');
  assert.ok(b64.frames.every((f) => !f.binary), 'base64 protocols use text frames');
  assert.equal(b64.frames[0].data.toString(), '1');
  const decoded = (ch) => b64.frames.map((f) => f.data.toString()).filter((s) => s[0] === String(ch))
    .map((s) => Buffer.from(s.slice(1), 'base64').toString()).join('');
  assert.equal(decoded(1), 'hi\n');
  assert.equal(JSON.parse(decoded(3)).details.causes[0].message, '2');

  const legacy = await wsExec(sim, cmd, ['channel.k8s.io']);
  assert.equal(channelText(legacy.frames, 3),
    'command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 2], exit code 2',
    'before v4 the error channel carries the message only');
  const none = await wsExec(sim, q(['true']), []);
  assert.equal(none.protocol, '');
  assert.equal(channelText(none.frames, 3), '', 'success is silent before v4');
  const v5first = await wsExec(sim, cmd, ['v4.channel.k8s.io', 'v5.channel.k8s.io']);
  assert.equal(v5first.protocol, 'v5.channel.k8s.io', 'kube-apiserver translates whenever v5 is offered');
});

test('WebSocket on a 1.27 server: v5 is turned away (kubectl falls back to SPDY), v4 is served', async (t) => {
  const sim = await startSimFor(t, '1.27');
  const v5 = await wsExec(sim, q(['true']), ['v5.channel.k8s.io']);
  assert.equal(v5.status, 403);
  const v4 = await wsExec(sim, q(['echo', 'old']), ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
  assert.equal(v4.protocol, 'v4.channel.k8s.io');
  assert.equal(channelText(v4.frames, 1), 'old\n');
  const bin = kubectlPath('1.33');
  if (!bin) return;
  const r = await kubectl('1.33', sim, ['-n', 'production', 'exec', POD, '--', 'echo', 'fell back']);
  assert.equal(r.stdout, 'fell back\n', r.stderr);
  const log = readRequestLog(sim).filter((e) => e.subresource === 'exec').map((e) => [e.method, e.code]);
  assert.deepEqual(log.slice(-2), [['GET', 403], ['POST', 101]]);
});

test('exec refusals before and at the upgrade', async (t) => {
  const sim = await startSimFor(t);
  const { store, registry, pods } = sim.sim;
  const T = (r) => registry.lookup('', 'v1', r);
  store.create(T('pods'), pods.prepareNewPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'multi', namespace: 'production' },
    spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] } }));
  const status = async (p, protocols = ['v5.channel.k8s.io']) => {
    const r = await new Promise((resolve) => {
      const ws = new WebSocket(`${sim.url.replace('https', 'wss')}${p}`, protocols, tlsOptions(sim));
      ws.on('unexpected-response', (req, res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve({ code: res.statusCode, type: res.headers['content-type'], body }));
      });
      ws.on('error', () => {});
      ws.on('open', () => resolve({ code: 101 }));
    });
    return r;
  };
  const multi = '/api/v1/namespaces/production/pods/multi/exec?command=ls&stdout=true';
  const noContainer = await status(multi);
  assert.equal(noContainer.code, 400);
  assert.equal(JSON.parse(noContainer.body).message, 'a container name must be specified for pod multi, choose one of: [init a b]');
  assert.equal(JSON.parse((await status(`${multi}&container=zz`)).body).message, 'container zz is not valid for pod multi');
  const gone = await status('/api/v1/namespaces/production/pods/nope/exec?command=ls&stdout=true');
  assert.deepEqual([gone.code, JSON.parse(gone.body).message], [404, 'pods "nope" not found']);
  const noStreams = await status(`${BASE}/exec?command=ls`, ['v4.channel.k8s.io']);
  assert.deepEqual([noStreams.code, noStreams.body], [400, 'you must specify at least 1 of stdin, stdout, stderr']);
  assert.match(noStreams.type, /^text\/plain/);
  const plain = await request(sim, { path: `${BASE}/exec?command=ls&stdout=true`, cert: 'admin' });
  assert.equal(plain.status, 400);
  assert.equal(JSON.parse(plain.body).message, 'Upgrade request required');
  const translated = await wsExec(sim, 'command=ls', ['v5.channel.k8s.io']);
  assert.equal(JSON.parse(channelText(translated.frames, 3)).message,
    'Internal error occurred: unable to upgrade connection: you must specify at least 1 of stdin, stdout, stderr');
});

// ---- real clients -------------------------------------------------------------------------------

for (const version of ['1.30', '1.33']) {
  test(`kubectl ${version} exec: env, a mounted secret, exit codes, a missing executable`, { timeout: 90000 }, async (t) => {
    if (!kubectlPath(version)) return t.skip(`kubectl.${version} is not installed`);
    const sim = await startSimFor(t);
    const secret = sim.sim.store.get(sim.sim.registry.lookup('', 'v1', 'secrets'), 'production', 'db-credentials');
    const password = Buffer.from(secret.data.password, 'base64').toString();
    const k = (args, opts) => kubectl(version, sim, ['-n', 'production', ...args], opts);
    const env = await k(['exec', POD, '--', 'env']);
    assert.equal(env.code, 0, env.stderr);
    assert.ok(env.stdout.split('\n').includes(`DB_PASSWORD=${password}`));
    assert.ok(env.stdout.split('\n').includes(`HOSTNAME=${POD}`));
    const cat = await k(['exec', POD, '--', 'cat', '/etc/db/password']);
    assert.deepEqual([cat.code, cat.stdout], [0, password]);
    const three = await k(['exec', POD, '--', 'sh', '-c', 'exit 3']);
    assert.equal(three.code, 3);
    assert.equal(three.stderr, 'command terminated with exit code 3\n');
    const piped = await k(['exec', '-i', POD, '--', 'sh', '-c', 'cat; echo done'], { input: 'from stdin\n' });
    assert.equal(piped.stdout, 'from stdin\ndone\n');
    const missing = await k(['exec', POD, '--', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: Internal error occurred: Internal error occurred: error executing command in container: .*exec: "nosuch": executable file not found in \$PATH: unknown\n$/);
  });
}

// Drives `kubectl exec -it` through a real pseudo-terminal: prompt, echo, resize, ^C, exit code.
const PTY_DRIVER = ptyDriver(String.raw`
wait_for('/ # ')
os.write(fd, b'echo hi\r'); wait_for('hi\r\n')
os.write(fd, b'stty size\r'); wait_for('30 100')
size(40, 120); os.kill(pid, signal.SIGWINCH); time.sleep(0.5)
os.write(fd, b'stty size\r'); wait_for('40 120')
os.write(fd, b'sleep 30\r'); pump(0.5); os.write(fd, b'\x03'); wait_for('^C')
os.write(fd, b'exit 5\r'); pump(3)
`);

test('kubectl exec -it under a pseudo-terminal', { timeout: 90000 }, async (t) => {
  if (!fs.existsSync(PYTHON)) return t.skip(`${PYTHON} is missing (needed for its pty module)`);
  if (!kubectlPath('1.33')) return t.skip('kubectl.1.33 is not installed');
  const sim = await startSimFor(t);
  const home = tempDir('home');
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  const args = ['-c', PTY_DRIVER, kubectlPath('1.33'), '--kubeconfig', sim.adminKubeconfig, '--cache-dir', path.join(home, 'cache'),
    '-n', 'production', 'exec', '-it', POD, '--', 'sh'];
  const r = await run(PYTHON, args, { timeoutMs: 60000, env: { HOME: home, PATH: process.env.PATH } });
  const { transcript, code } = JSON.parse(r.stdout);
  assert.equal(transcript, '/ # echo hi\r\nhi\r\n/ # stty size\r\n30 100\r\n/ # stty size\r\n40 120\r\n/ # sleep 30\r\n^C\r\n' +
    '/ # exit 5\r\ncommand terminated with exit code 5\r\n');
  assert.equal(code, 5);
});

const PYTHON_EXEC = String.raw`
import json, sys
from kubernetes import client, config
from kubernetes.stream import stream
config.load_kube_config(sys.argv[1])
core = client.CoreV1Api()
pod, ns = 'web-7d9f8b6c5d-x2k4p', 'production'
res = {}
res['cat'] = stream(core.connect_get_namespaced_pod_exec, pod, ns, command=['cat', '/etc/db/username'],
                    stderr=True, stdin=False, stdout=True, tty=False)
r = stream(core.connect_get_namespaced_pod_exec, pod, ns, command=['sh', '-c', 'echo out; echo err >&2; exit 7'],
           stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
r.run_forever(timeout=10)
res['split'] = [r.read_stdout(), r.read_stderr(), r.returncode]
r = stream(core.connect_get_namespaced_pod_exec, pod, ns, command=['sh'], stderr=True, stdin=True, stdout=True,
           tty=False, _preload_content=False)
r.write_stdin('echo from-stdin\n')
r.write_stdin('exit 2\n')
r.run_forever(timeout=10)
res['stdin'] = [r.read_stdout(), r.returncode]
print(json.dumps(res))
`;

test('python3-kubernetes exec over v4: output, stderr, exit codes, stdin', { timeout: 60000 }, async (t) => {
  if (!fs.existsSync(PYTHON) || !fs.existsSync('/usr/lib/python3/dist-packages/kubernetes')) {
    return t.skip('Debian python3-kubernetes is not installed (apt-get install python3-kubernetes)');
  }
  const sim = await startSimFor(t, '1.30');
  const r = await run(PYTHON, ['-c', PYTHON_EXEC, sim.adminKubeconfig], { timeoutMs: 45000, env: { PATH: process.env.PATH, HOME: sim.stateDir } });
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.cat, 'app_user');
  assert.deepEqual(res.split, ['out\n', 'err\n', 7]);
  assert.deepEqual(res.stdin, ['from-stdin\n', 2]);
  const log = readRequestLog(sim).filter((e) => e.subresource === 'exec');
  assert.ok(log.length >= 3 && log.every((e) => e.code === 101 && e.method === 'GET'));
});
