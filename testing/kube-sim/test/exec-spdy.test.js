'use strict';
// exec/attach over SPDY/3.1 (lib/streams/spdy-exec.js): protocol negotiation and refusals as the
// kubelet writes them, the streams it waits for, the exit Status per protocol version, the end of
// a session, then real kubectl binaries against kube-sim (1.27 speaks SPDY only; 1.33 falls back to
// SPDY against an emulated 1.27 server).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { PassThrough } = require('node:stream');
const { once } = require('node:events');
const { handleSpdyExec } = require('../lib/streams/spdy-exec');
const spdy = require('../lib/streams/spdy');
const { runningPod, fakeSim, startFront, spdyUpgrade, collect, frameLog, withTimeout, waitUntil } = require('./support/spdy-fixtures');

const ALL = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
const EXEC = '/api/v1/namespaces/default/pods/box/exec';

// Scripted sessions standing in for exec.js: the command names the behaviour.
function fakeRuntime() {
  const sessions = [];
  const start = (args) => {
    const s = { args, stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), resizes: [], killed: false };
    let resolveExit;
    s.exit = new Promise((r) => { resolveExit = r; });
    const finish = (result) => {
      s.stdout.end();
      s.stderr.end();
      resolveExit(result);
    };
    s.resize = (size) => s.resizes.push(size);
    s.kill = () => { s.killed = true; finish({ code: 137 }); };
    const cmd = args.command || [];
    if (cmd[0] === 'env') {
      s.stdout.write('HOME=/root\n');
      finish({ code: 0 });
    } else if (cmd[0] === 'cat') {
      s.stdin.pipe(s.stdout, { end: false });
      s.stdin.on('end', () => finish({ code: 0 }));
    } else if (cmd[0] === 'sh') {
      s.stdout.write('out\n');
      s.stderr.write('oops\n');
      finish({ code: 3 });
    } else if (cmd[0] === 'nope') {
      finish({ error: 'error executing command in container: failed to exec in container: exec: "nope": executable file not found in $PATH' });
    }
    sessions.push(s);
    return s;
  };
  return { start, sessions };
}

async function front(t, runtime, options = {}) {
  const f = await startFront({ sim: fakeSim([runningPod('box')]), handler: (ctx) => handleSpdyExec(ctx, runtime.start, options) });
  t.after(() => f.close());
  return f;
}

// Opens the streams client-go opens, in its order: error, stdin, stdout, stderr, then resize.
function openStreams(conn, kinds) {
  const streams = {};
  for (const kind of kinds) {
    streams[kind] = conn.createStream({ streamtype: kind });
    if (kind === 'error' || kind === 'stdout' || kind === 'stderr') streams[kind].output = collect(streams[kind]);
  }
  return streams;
}

test('negotiates v4 from the client\'s list and answers 101 with the chosen protocol', async (t) => {
  const runtime = fakeRuntime();
  const f = await front(t, runtime);
  const res = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=env&stdout=true&stderr=true`, protocols: ALL });
  t.after(() => res.socket.destroy());
  assert.equal(res.status, 101);
  assert.deepEqual(res.headers['x-stream-protocol-version'], ['v4.channel.k8s.io']);
  assert.deepEqual(res.headers.upgrade, ['SPDY/3.1']);
  assert.deepEqual(res.headers.connection, ['Upgrade']);
  assert.deepEqual(f.codes, [101]);
});

test('exec env over v4: stdout, Success status, FIN on every stream, then GOAWAY', async (t) => {
  const runtime = fakeRuntime();
  const f = await front(t, runtime);
  const res = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=env&container=main&stdout=true&stderr=true`, protocols: ALL });
  t.after(() => res.socket.destroy());
  const log = frameLog(res.conn);
  const s = openStreams(res.conn, ['error', 'stdout', 'stderr']);
  assert.equal((await withTimeout(s.stdout.output, 5000, 'stdout')).toString(), 'HOME=/root\n');
  assert.equal((await s.error.output).toString(), '{"metadata":{},"status":"Success"}');
  assert.equal((await s.stderr.output).toString(), '');
  const goaway = await log.waitFor((fr) => fr.type === 'GOAWAY');
  assert.equal(goaway.lastGoodStreamId, 5);
  const fins = log.frames.filter((fr) => fr.type === 'DATA' && fr.flags & spdy.FLAG_FIN).map((fr) => fr.streamId);
  assert.deepEqual(fins, [3, 5, 1], 'stdout and stderr are closed before the error stream');
  const statusAt = log.frames.findIndex((fr) => fr.type === 'DATA' && fr.streamId === 1 && fr.data.length);
  const outAt = log.frames.findIndex((fr) => fr.type === 'DATA' && fr.streamId === 3 && fr.data.length);
  assert.ok(outAt < statusAt, 'output precedes the status');
  assert.deepEqual(runtime.sessions[0].args.command, ['env']);
  assert.equal(runtime.sessions[0].args.container, 'main');
  assert.deepEqual([runtime.sessions[0].args.stdin, runtime.sessions[0].args.tty], [false, false]);
});

test('exec -i cat: stdin flows in, its FIN is stdin EOF, and the client closing first skips our GOAWAY', async (t) => {
  const runtime = fakeRuntime();
  const f = await front(t, runtime);
  const res = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=cat&stdin=true&stdout=true&stderr=true`, protocols: ALL });
  t.after(() => res.socket.destroy());
  const log = frameLog(res.conn);
  const s = openStreams(res.conn, ['error', 'stdin', 'stdout', 'stderr']);
  s.stdin.write('line one\n');
  s.stdin.end('line two\n');
  assert.equal((await withTimeout(s.stdout.output, 5000, 'stdout')).toString(), 'line one\nline two\n');
  assert.equal((await s.error.output).toString(), '{"metadata":{},"status":"Success"}');
  // client-go closes its connection as soon as it has everything: RST its streams, GOAWAY.
  const closed = once(res.conn, 'close');
  await res.conn.close();
  await withTimeout(closed, 5000, 'connection closed');
  assert.equal(log.frames.filter((fr) => fr.type === 'GOAWAY').length, 0);
});

test('non-zero exit: the v4 Failure Status with reason NonZeroExitCode and the exit code cause', async (t) => {
  const runtime = fakeRuntime();
  const f = await front(t, runtime);
  const q = 'command=sh&command=-c&command=echo+oops+%3E%262+%26%26+exit+3&stdout=true&stderr=true';
  const res = await spdyUpgrade({ port: f.port, path: `${EXEC}?${q}`, protocols: ALL });
  t.after(() => res.socket.destroy());
  const s = openStreams(res.conn, ['error', 'stdout', 'stderr']);
  assert.equal((await withTimeout(s.stderr.output, 5000, 'stderr')).toString(), 'oops\n');
  // Go's encoding/json escapes <, > and & inside strings.
  assert.equal((await s.error.output).toString(),
    '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command ' +
    '[sh -c echo oops \\u003e\\u00262 \\u0026\\u0026 exit 3], exit code 3","reason":"NonZeroExitCode",' +
    '"details":{"causes":[{"reason":"ExitCode","message":"3"}]}}');
});

test('a runtime error becomes an InternalError Status; v3 writes plain text and nothing on success', async (t) => {
  const runtime = fakeRuntime();
  const f = await front(t, runtime);
  const a = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=nope&stdout=true`, protocols: ['v4.channel.k8s.io'] });
  t.after(() => a.socket.destroy());
  const sa = openStreams(a.conn, ['error', 'stdout']);
  const status = JSON.parse((await withTimeout(sa.error.output, 5000, 'status')).toString());
  assert.equal(status.reason, 'InternalError');
  assert.equal(status.code, 500);
  assert.match(status.message, /^Internal error occurred: error executing command in container: failed to exec in container/);

  const b = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=sh&stdout=true&stderr=true`, protocols: ['v3.channel.k8s.io'] });
  t.after(() => b.socket.destroy());
  assert.deepEqual(b.headers['x-stream-protocol-version'], ['v3.channel.k8s.io']);
  const sb = openStreams(b.conn, ['error', 'stdout', 'stderr']);
  assert.equal((await withTimeout(sb.error.output, 5000, 'v3 error')).toString(),
    'command terminated with non-zero exit code: error executing command [sh], exit code 3');

  const c = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=env&stdout=true`, protocols: ['v2.channel.k8s.io'] });
  t.after(() => c.socket.destroy());
  const sc = openStreams(c.conn, ['error', 'stdout']);
  assert.equal((await withTimeout(sc.stdout.output, 5000, 'v2 stdout')).toString(), 'HOME=/root\n');
  assert.equal((await sc.error.output).toString(), '');
});

test('v1 resets the error stream as soon as the streams are in, as 1.0 kubelets did', async (t) => {
  const runtime = fakeRuntime();
  const f = await front(t, runtime);
  const res = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=env&stdout=true`, protocols: ['channel.k8s.io'] });
  t.after(() => res.socket.destroy());
  const log = frameLog(res.conn);
  const s = openStreams(res.conn, ['error', 'stdout']);
  const rst = await withTimeout(log.waitFor((fr) => fr.type === 'RST_STREAM'), 5000, 'rst');
  assert.deepEqual([rst.streamId, rst.status], [1, spdy.RST.CANCEL]);
  assert.equal((await withTimeout(s.stdout.output, 5000, 'stdout')).toString(), 'HOME=/root\n');
});

test('tty: waits for the resize stream and passes every size on; stderr is dropped', async (t) => {
  const runtime = fakeRuntime();
  const f = await front(t, runtime);
  const res = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=cat&stdin=true&stdout=true&stderr=true&tty=true`, protocols: ALL });
  t.after(() => res.socket.destroy());
  const s = openStreams(res.conn, ['error', 'stdin', 'stdout', 'resize']);
  s.resize.write('{"Width":80,"Height":24}\n{"Width":1');
  s.resize.write('20,"Height":40}\n');
  s.stdin.write('x');
  await withTimeout(new Promise((r) => s.stdout.once('data', r)), 5000, 'echo');
  assert.deepEqual(runtime.sessions[0].resizes, [{ Width: 80, Height: 24 }, { Width: 120, Height: 40 }]);
  assert.deepEqual([runtime.sessions[0].args.tty, runtime.sessions[0].args.stderr], [true, false]);
  s.stdin.end();
  assert.equal((await withTimeout(s.error.output, 5000, 'status')).toString(), '{"metadata":{},"status":"Success"}');
});

test('refusals: no common protocol (403, body written twice), none offered, nothing requested, not SPDY', async (t) => {
  const runtime = fakeRuntime();
  const f = await front(t, runtime);
  const miss = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=env&stdout=true`, protocols: ['v5.channel.k8s.io'] });
  assert.equal(miss.status, 403);
  assert.deepEqual(miss.headers['x-accepted-stream-protocol-versions'],
    ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']);
  const line = 'unable to upgrade: unable to negotiate protocol: client supports [v5.channel.k8s.io], ' +
    'server accepts [v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]\n';
  assert.equal(miss.body, line + line);
  assert.deepEqual(miss.headers['content-type'], ['text/plain; charset=utf-8']);

  const none = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=env&stdout=true` });
  assert.equal(none.status, 400);
  assert.equal(none.body, 'unable to upgrade: X-Stream-Protocol-Version is required\n');

  const nothing = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=env&stdout=0&stderr=False`, protocols: ALL });
  assert.equal(nothing.status, 400);
  assert.equal(nothing.body, 'you must specify at least 1 of stdin, stdout, stderr');

  const other = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=env&stdout=1`, protocols: ALL, upgrade: 'h2c' });
  assert.equal(other.status, 400);
  assert.match(other.body, /^unable to upgrade: missing upgrade headers in request: http\.Header\{"Connection":\[\]string\{"Upgrade"\}, /);
  assert.deepEqual(f.codes, [403, 400, 400, 400]);
  assert.equal(runtime.sessions.length, 0);
});

test('the session is killed when the client vanishes, and a client that never opens its streams is let go', async (t) => {
  const runtime = fakeRuntime();
  const f = await front(t, runtime, { streamCreationTimeoutMs: 300 });
  const res = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=sleep&stdin=true&stdout=true`, protocols: ALL });
  openStreams(res.conn, ['error', 'stdin', 'stdout']);
  await waitUntil(() => runtime.sessions.length > 0, 5000, 'session');
  res.socket.destroy();
  await waitUntil(() => runtime.sessions[0].killed, 5000, 'kill');

  const idle = await spdyUpgrade({ port: f.port, path: `${EXEC}?command=env&stdout=true&stderr=true`, protocols: ALL });
  const log = frameLog(idle.conn);
  idle.conn.createStream({ streamtype: 'error' }); // stdout and stderr never come
  await withTimeout(log.waitFor((fr) => fr.type === 'GOAWAY', 5000), 5000, 'goaway after the creation timeout');
  await withTimeout(once(idle.conn, 'close'), 5000, 'closed');
  assert.equal(runtime.sessions.length, 1);
});

// ---- real kubectl against kube-sim ----

const KUBECTL_DIR = process.env.KUBECTL_DIR || '/usr/lib/google-cloud-sdk/bin';

function simReady() {
  const need = ['../lib/resources/index.js', '../lib/streams/index.js', '../lib/streams/exec.js', '../lib/pods.js'];
  const missing = need.filter((p) => !fs.existsSync(path.join(__dirname, p)));
  return missing.length ? `kube-sim is not complete yet (missing ${missing.join(', ')})` : '';
}

function kubectlMissing(version) {
  return fs.existsSync(path.join(KUBECTL_DIR, `kubectl.${version}`)) ? '' : `kubectl.${version} not found in ${KUBECTL_DIR}`;
}

async function simFor(t, version, emulatedVersion) {
  const why = simReady() || kubectlMissing(version);
  if (why) {
    t.skip(why);
    return null;
  }
  const { startSim } = require('./support/harness');
  const sim = await startSim({ emulatedVersion });
  t.after(() => sim.close());
  return sim;
}

const POD = ['-n', 'default', 'toolbox'];

test('kubectl 1.27 exec over SPDY: env, stdin through cat, and the exit code', { timeout: 90000 }, async (t) => {
  const sim = await simFor(t, '1.27', '1.27');
  if (!sim) return;
  const { kubectl, readRequestLog } = require('./support/harness');
  const env = await kubectl('1.27', sim, ['exec', ...POD, '--', 'env'], { timeoutMs: 30000 });
  assert.equal(env.code, 0, env.stderr);
  assert.match(env.stdout, /^PATH=/m);
  assert.match(env.stdout, /^HOSTNAME=toolbox$/m);
  const cat = await kubectl('1.27', sim, ['exec', '-i', ...POD, '--', 'cat'], { input: 'through spdy\nsecond line\n', timeoutMs: 30000 });
  assert.equal(cat.code, 0, cat.stderr);
  assert.equal(cat.stdout, 'through spdy\nsecond line\n');
  const fail = await kubectl('1.27', sim, ['exec', ...POD, '--', 'sh', '-c', 'exit 3'], { timeoutMs: 30000 });
  assert.equal(fail.code, 3, fail.stderr);
  assert.match(fail.stderr, /command terminated with exit code 3/);
  const execs = readRequestLog(sim).filter((l) => l.subresource === 'exec');
  assert.deepEqual(execs.map((l) => [l.method, l.code]), [['POST', 101], ['POST', 101], ['POST', 101]]);
});

test('kubectl 1.33 against an emulated 1.27 server falls back from WebSocket to SPDY', { timeout: 90000 }, async (t) => {
  const sim = await simFor(t, '1.33', '1.27');
  if (!sim) return;
  const { kubectl, readRequestLog } = require('./support/harness');
  const cat = await kubectl('1.33', sim, ['exec', '-i', ...POD, '--', 'cat'], { input: 'fell back\n', timeoutMs: 30000 });
  assert.equal(cat.code, 0, cat.stderr);
  assert.equal(cat.stdout, 'fell back\n');
  const execs = readRequestLog(sim).filter((l) => l.subresource === 'exec');
  assert.equal(execs.length, 2, JSON.stringify(execs));
  assert.equal(execs[0].method, 'GET');
  assert.notEqual(execs[0].code, 101, 'the WebSocket GET is refused by a 1.27 server');
  assert.deepEqual([execs[1].method, execs[1].code], ['POST', 101]);
});
