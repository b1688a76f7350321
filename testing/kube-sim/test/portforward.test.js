'use strict';
// pods/portforward (lib/streams/portforward.js, echo-service.js): raw SPDY stream pairs, the
// containerd refusal for an undeclared port, refusals as kube-apiserver or the kubelet write them,
// SPDY tunnelled in WebSocket (1.31+ only), the kubelet's ?ports= WebSocket protocol, then real
// clients: kubectl 1.27 and 1.30 (raw SPDY), 1.33 (tunnelled; SPDY fallback on a 1.30 server) and
// python3-kubernetes.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const { handlePortForward, refusedMessage, parseV4Ports } = require('../lib/streams/portforward');
const spdy = require('../lib/streams/spdy');
const { runningPod, fakeSim, startFront, spdyUpgrade, wsConnect, collect, frameLog, withTimeout, waitUntil } = require('./support/spdy-fixtures');

const PF = '/api/v1/namespaces/default/pods/web/portforward';
const PODS = [runningPod('web', { ports: [80, 8080] }), runningPod('pending', { phase: 'Pending' }),
  { ...runningPod('unscheduled'), spec: { containers: [] }, status: { phase: 'Pending' } }];

async function front(t, emulatedVersion = '1.33', options = {}) {
  const f = await startFront({ sim: fakeSim(PODS, emulatedVersion), handler: (ctx) => handlePortForward(ctx, options) });
  t.after(() => f.close());
  return f;
}

async function spdyConn(t, f) {
  const res = await spdyUpgrade({ port: f.port, path: PF, protocols: ['portforward.k8s.io'] });
  t.after(() => res.socket.destroy());
  assert.equal(res.status, 101);
  return res.conn;
}

// What client-go does per local connection: error stream (half-closed at once), then data stream.
function openPair(conn, port, requestId) {
  const error = conn.createStream({ streamtype: 'error', port: String(port), requestid: String(requestId) });
  error.end();
  const data = conn.createStream({ streamtype: 'data', port: String(port), requestid: String(requestId) });
  return { error, data, errorText: collect(error), reply: collect(data) };
}

test('raw SPDY: HTTP and raw bytes through two concurrent pairs; data FIN, then error FIN with no text', async (t) => {
  const f = await front(t);
  const conn = await spdyConn(t, f);
  const log = frameLog(conn);
  const a = openPair(conn, 80, 0);
  const b = openPair(conn, 8080, 1);
  a.data.write('GET /index.html?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  b.data.end('raw bytes, not HTTP\n');
  const answer = (await withTimeout(a.reply, 5000, 'http answer')).toString();
  assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(answer, /\r\nContent-Length: 38\r\n/);
  assert.ok(answer.endsWith('\r\n\r\nhello from web:80\nGET /index.html?x=1\n'), answer);
  assert.equal((await withTimeout(b.reply, 5000, 'echo')).toString(), 'raw bytes, not HTTP\n');
  assert.equal((await a.errorText).toString(), '');
  assert.equal((await b.errorText).toString(), '');
  const replies = log.frames.filter((fr) => fr.type === 'SYN_REPLY').map((fr) => fr.streamId);
  assert.deepEqual(replies, [1, 3, 5, 7]);
  const fins = log.frames.filter((fr) => fr.type === 'DATA' && fr.flags & spdy.FLAG_FIN).map((fr) => fr.streamId);
  assert.ok(fins.indexOf(3) < fins.indexOf(1), 'data stream closes before its error stream');
  assert.deepEqual(f.codes, [101]);
});

test('a port the pod does not declare: containerd\'s refusal on the error stream', async (t) => {
  const f = await front(t);
  const conn = await spdyConn(t, f);
  const log = frameLog(conn);
  const p = openPair(conn, 81, 0);
  const text = (await withTimeout(p.errorText, 5000, 'error text')).toString();
  assert.equal(text, refusedMessage(PODS[0], 81));
  assert.match(text, /^error forwarding port 81 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace "\/var\/run\/netns\/cni-[0-9a-f-]{36}": failed to connect to localhost:81 inside namespace "[0-9a-f]{64}", IPv4: dial tcp4 127\.0\.0\.1:81: connect: connection refused IPv6 dial tcp6 \[::1\]:81: connect: connection refused $/);
  assert.equal((await p.reply).length, 0);
  const order = log.frames.filter((fr) => fr.type === 'DATA').map((fr) => `${fr.streamId}${fr.flags & spdy.FLAG_FIN ? '+FIN' : ''}`);
  assert.deepEqual(order, ['3+FIN', '1', '1+FIN'], 'containerd 1.7 closes the data stream before the kubelet prints the error');
});

test('streams the kubelet rejects are reset; a second stream of one kind gets an error line', async (t) => {
  const f = await front(t);
  const conn = await spdyConn(t, f);
  const log = frameLog(conn);
  conn.createStream({ streamtype: 'data', requestid: '0' }); // no port
  conn.createStream({ streamtype: 'bogus', port: '80', requestid: '1' });
  conn.createStream({ streamtype: 'data', port: '0', requestid: '2' });
  const resets = [];
  for (const id of [1, 3, 5]) resets.push(await withTimeout(log.waitFor((fr) => fr.type === 'RST_STREAM' && fr.streamId === id), 5000, `rst ${id}`));
  assert.ok(resets.every((r) => r.status === spdy.RST.CANCEL));
  const error = conn.createStream({ streamtype: 'error', port: '80', requestid: '9' });
  conn.createStream({ streamtype: 'error', port: '80', requestid: '9' });
  const line = await withTimeout(new Promise((r) => error.once('data', r)), 5000, 'error line');
  assert.equal(line.toString(), 'error processing stream for request 9: error stream already assigned');
  assert.equal(log.frames.find((fr) => fr.type === 'DATA').streamId, 7, 'written on the first error stream of the pair');
});

test('a pair that never completes gets the kubelet\'s timeout line', async (t) => {
  const f = await front(t, '1.33', { streamCreationTimeoutMs: 200 });
  const conn = await spdyConn(t, f);
  const error = conn.createStream({ streamtype: 'error', port: '80', requestid: '4' });
  const line = await withTimeout(new Promise((r) => error.once('data', r)), 5000, 'timeout line');
  assert.match(line.toString(), /^\(conn=&\{0x[0-9a-f]+\}, request=4\) timed out waiting for streams$/);
});

test('refusals: Status from kube-apiserver, raw text from the kubelet', async (t) => {
  const f = await front(t);
  const missing = await spdyUpgrade({ port: f.port, path: '/api/v1/namespaces/default/pods/nope/portforward', protocols: ['portforward.k8s.io'] });
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404 });
  assert.ok(missing.headers['audit-id'], 'kube-apiserver headers on its own refusals');

  const unscheduled = await spdyUpgrade({ port: f.port, path: '/api/v1/namespaces/default/pods/unscheduled/portforward', protocols: ['portforward.k8s.io'] });
  assert.equal(unscheduled.status, 400);
  assert.equal(JSON.parse(unscheduled.body).message, 'pod unscheduled does not have a host assigned');

  const pending = await spdyUpgrade({ port: f.port, path: '/api/v1/namespaces/default/pods/pending/portforward', protocols: ['portforward.k8s.io'] });
  assert.equal(pending.status, 500);
  assert.equal(pending.body, 'pod not found ("pending_default")');
  assert.equal(pending.headers['audit-id'], undefined, 'the kubelet\'s answer is passed through raw');

  const wrong = await spdyUpgrade({ port: f.port, path: PF, protocols: ['v4.channel.k8s.io'] });
  assert.equal(wrong.status, 403);
  assert.deepEqual(wrong.headers['x-accepted-stream-protocol-versions'], ['portforward.k8s.io']);
  assert.equal(wrong.body, 'unable to upgrade: unable to negotiate protocol: client supports [v4.channel.k8s.io], server accepts [portforward.k8s.io]\n');

  const none = await spdyUpgrade({ port: f.port, path: PF });
  assert.deepEqual([none.status, none.body], [200, ''], 'Handshake\'s error is only logged, so Go answers an empty 200');

  const plain = await new Promise((resolve) => {
    const req = require('node:http').request({ port: f.port, host: '127.0.0.1', path: PF, method: 'POST' }, (res) => {
      resolve(collect(res).then((b) => ({ status: res.statusCode, body: JSON.parse(b) })));
    });
    req.end();
  });
  assert.deepEqual([plain.status, plain.body.message], [400, 'Upgrade request required']);
  assert.deepEqual(f.codes, [404, 400, 500, 403, 200, 400]);
});

test('SPDY in WebSocket on a 1.31+ server: subprotocol answered, frames carried in binary messages', async (t) => {
  const f = await front(t, '1.33');
  const res = await wsConnect({ port: f.port, path: PF, protocols: ['SPDY/3.1+portforward.k8s.io'] });
  t.after(() => res.socket.destroy());
  assert.equal(res.status, 101);
  assert.deepEqual(res.headers['sec-websocket-protocol'], ['SPDY/3.1+portforward.k8s.io']);
  const conn = new spdy.SpdyClientConnection(res.ws.transport());
  const p = openPair(conn, 80, 0);
  p.data.write('GET /tunnelled HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.match((await withTimeout(p.reply, 5000, 'reply')).toString(), /hello from web:80\nGET \/tunnelled\n$/);
  assert.equal((await p.errorText).toString(), '');
  const closed = new Promise((r) => res.ws.once('close', r));
  await conn.close();
  assert.equal(await withTimeout(closed, 5000, 'ws close'), 1000);

  const other = await wsConnect({ port: f.port, path: PF, protocols: ['SPDY/3.1+other.k8s.io'] });
  assert.equal(other.status, 403);
  assert.deepEqual(other.headers['x-accepted-stream-protocol-versions'], ['portforward.k8s.io']);
  assert.deepEqual(f.codes, [101, 403]);
});

test('before 1.31 the tunnelling GET reaches the kubelet, which wants ?ports=, so kubectl falls back', async (t) => {
  for (const version of ['1.27', '1.30']) {
    const f = await front(t, version);
    const res = await wsConnect({ port: f.port, path: PF, protocols: ['SPDY/3.1+portforward.k8s.io'] });
    assert.deepEqual([res.status, res.body], [400, 'query parameter "port" is required'], version);
    const withPorts = await wsConnect({ port: f.port, path: `${PF}?ports=80`, protocols: ['SPDY/3.1+portforward.k8s.io'] });
    assert.deepEqual([withPorts.status, withPorts.body], [403, ''], 'x/net/websocket refuses an unknown subprotocol bare');
  }
});

test('kubelet WebSocket (?ports=): port preambles, HTTP on the data channel, refusal on the error channel', async (t) => {
  const f = await front(t, '1.27');
  const res = await wsConnect({ port: f.port, path: `${PF}?ports=80,81`, protocols: ['v4.channel.k8s.io'] });
  t.after(() => res.socket.destroy());
  assert.deepEqual(res.headers['sec-websocket-protocol'], ['v4.channel.k8s.io']);
  const messages = [];
  res.ws.on('message', (m, binary) => messages.push({ m, binary }));
  const closed = new Promise((r) => res.ws.once('close', r));
  await waitUntil(() => messages.length >= 5, 5000, 'preambles');
  assert.deepEqual(messages.slice(0, 4).map(({ m }) => [...m]), [[0, 80, 0], [1, 80, 0], [2, 81, 0], [3, 81, 0]]);
  assert.equal(messages[4].m[0], 3);
  assert.equal(messages[4].m.subarray(1).toString(), refusedMessage(PODS[0], 81));
  res.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET /py HTTP/1.1\r\nConnection: close\r\n\r\n')]));
  // Every port done (the app closed, then containerd's grace second): the kubelet closes with 1000.
  assert.equal(await withTimeout(closed, 5000, 'close'), 1000);
  const reply = Buffer.concat(messages.slice(5).filter(({ m }) => m[0] === 0).map(({ m }) => m.subarray(1))).toString();
  assert.match(reply, /hello from web:80\nGET \/py\n$/);
  assert.ok(messages.every(({ binary }) => binary));
});

test('kubelet WebSocket base64 variant and ?ports= errors', async (t) => {
  const f = await front(t, '1.33');
  const res = await wsConnect({ port: f.port, path: `${PF}?ports=8080`, protocols: ['v4.base64.channel.k8s.io'] });
  t.after(() => res.socket.destroy());
  const messages = [];
  res.ws.on('message', (m, binary) => messages.push({ text: m.toString(), binary }));
  await waitUntil(() => messages.length >= 2, 5000, 'preambles');
  assert.deepEqual(messages.slice(0, 2), [{ text: '0kB8=', binary: false }, { text: '1kB8=', binary: false }]);
  res.ws.send(`0${Buffer.from('ping').toString('base64')}`, { binary: false });
  await waitUntil(() => messages.length >= 3, 5000, 'echo');
  assert.equal(Buffer.from(messages[2].text.slice(1), 'base64').toString(), 'ping');
  res.ws.close();

  const q = (s) => new URLSearchParams(s);
  assert.deepEqual(parseV4Ports(q('')), { error: 'query parameter "port" is required' });
  assert.deepEqual(parseV4Ports(q('ports=')), { error: 'query parameter "port" cannot be empty' });
  assert.deepEqual(parseV4Ports(q('ports=0')), { error: 'port "0" must be > 0' });
  assert.deepEqual(parseV4Ports(q('ports=80,x')), { error: 'unable to parse "80,x" as a port: strconv.ParseUint: parsing "x": invalid syntax' });
  assert.deepEqual(parseV4Ports(q('ports=80&ports=443,8080')), { ports: [80, 443, 8080] });
});

// ---- real clients against kube-sim ----

const KUBECTL_DIR = process.env.KUBECTL_DIR || '/usr/lib/google-cloud-sdk/bin';
const WEB_POD = ['-n', 'production', 'pod/web-7d9f8b6c5d-x2k4p'];

function simReady() {
  const need = ['../lib/resources/index.js', '../lib/streams/index.js', '../lib/pods.js'];
  const missing = need.filter((p) => !fs.existsSync(path.join(__dirname, p)));
  return missing.length ? `kube-sim is not complete yet (missing ${missing.join(', ')})` : '';
}

async function simFor(t, emulatedVersion, needs) {
  const why = simReady() || needs();
  if (why) {
    t.skip(why);
    return null;
  }
  const { startSim } = require('./support/harness');
  const sim = await startSim({ emulatedVersion });
  t.after(() => sim.close());
  return sim;
}

const needKubectl = (version) => () => (fs.existsSync(path.join(KUBECTL_DIR, `kubectl.${version}`)) ? '' : `kubectl.${version} not found in ${KUBECTL_DIR}`);

// `kubectl port-forward ... :REMOTE` on a random loopback port; resolves {localPort, stop()}.
async function portForward(t, version, sim, target, remote) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sim-pf-'));
  const child = spawn(path.join(KUBECTL_DIR, `kubectl.${version}`), ['--kubeconfig', sim.adminKubeconfig, '--cache-dir',
    path.join(home, 'cache'), 'port-forward', ...target, `:${remote}`, '--address', '127.0.0.1'], { env: { HOME: home, PATH: process.env.PATH } });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { output.stdout += d; });
  child.stderr.on('data', (d) => { output.stderr += d; });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(home, { recursive: true, force: true });
  };
  t.after(stop);
  const localPort = await withTimeout(new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(output.stdout);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`kubectl exited: ${output.stderr}`)));
  }), 30000, 'kubectl port-forward listening');
  return { localPort, stop, output, child };
}

function httpThrough(localPort, urlPath) {
  return withTimeout(new Promise((resolve, reject) => {
    const s = net.connect(localPort, '127.0.0.1');
    const chunks = [];
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', reject);
    s.write(`GET ${urlPath} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  }), 15000, 'HTTP through the forwarded port');
}

for (const [version, emulated, expect] of [
  ['1.27', '1.27', [['POST', 101]]],
  ['1.30', '1.30', [['POST', 101]]],
  ['1.33', '1.33', [['GET', 101]]],
  ['1.33', '1.30', [['GET', 400], ['POST', 101]]],
]) {
  test(`kubectl ${version} port-forward against a ${emulated} server reaches the echo service`, { timeout: 90000 }, async (t) => {
    const sim = await simFor(t, emulated, needKubectl(version));
    if (!sim) return;
    const { readRequestLog } = require('./support/harness');
    const pf = await portForward(t, version, sim, WEB_POD, 80);
    const first = await httpThrough(pf.localPort, '/first');
    assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello from web-7d9f8b6c5d-x2k4p:80\nGET \/first\n$/);
    const second = await httpThrough(pf.localPort, '/second');
    assert.match(second, /GET \/second\n$/, 'one SPDY connection carries several forwarded connections');
    await pf.stop();
    const calls = readRequestLog(sim).filter((l) => l.subresource === 'portforward').map((l) => [l.method, l.code]);
    assert.deepEqual(calls, expect);
  });
}

test('python3-kubernetes portforward() over the kubelet WebSocket protocol', { timeout: 90000 }, async (t) => {
  const python = '/usr/bin/python3';
  const sim = await simFor(t, '1.33', () => (fs.existsSync(python) && fs.existsSync('/usr/lib/python3/dist-packages/kubernetes') ? ''
    : 'Debian python3-kubernetes is not installed (apt-get install python3-kubernetes)'));
  if (!sim) return;
  const { run } = require('./support/harness');
  const script = [
    'import sys, json',
    'from kubernetes import client, config',
    'from kubernetes.stream import portforward',
    'config.load_kube_config(sys.argv[1])',
    "pf = portforward(client.CoreV1Api().connect_get_namespaced_pod_portforward, 'web-7d9f8b6c5d-x2k4p', 'production', ports='80,81')",
    's = pf.socket(80)',
    "s.sendall(b'GET /from-python HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')",
    "data = b''",
    'while True:',
    '    chunk = s.recv(4096)',
    '    if not chunk: break',
    '    data += chunk',
    'print(json.dumps({"reply": data.decode(), "error80": pf.error(80), "error81": pf.error(81)}))',
  ].join('\n');
  const res = await run(python, ['-c', script, sim.adminKubeconfig], { timeoutMs: 30000, env: { PATH: process.env.PATH, HOME: sim.stateDir } });
  assert.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout);
  assert.match(out.reply, /hello from web-7d9f8b6c5d-x2k4p:80\nGET \/from-python\n$/);
  assert.equal(out.error80, null);
  assert.match(out.error81, /^error forwarding port 81 to pod [0-9a-f]{64}, uid : .*connect: connection refused $/);
});
