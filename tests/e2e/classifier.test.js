'use strict';
// The golden classification cases (tests/k8s/classifier-cases.yaml, issue 5) through a live
// gateway in front of kube-sim. Each request goes out as raw bytes on its own TLS connection, so
// the path and query reach the gateway exactly as written (an HTTP client library would normalise
// them). For each case the test proves two things:
//   - classified cases: the gateway's request log line carries the expected classification, and
//     kube-sim's request log shows the request arrived exactly once, same method, path and query;
//   - refused cases: the gateway answered with the expected status and kube-sim saw nothing.
// Cases marked `policy` may also be refused with 403 and not forwarded once a policy that denies
// or holds them is in force; the allow-all test policy forwards them.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');
const YAML = require('../../testing/kube-sim/node_modules/yaml');
const { startGateway } = require('./support/gateway');
const { readRequestLog } = require('../../testing/kube-sim/test/support/harness');

const CASES = YAML.parse(fs.readFileSync(path.join(__dirname, '..', 'k8s', 'classifier-cases.yaml'), 'utf8')).cases;
const LOGGED_FIELDS = ['verb', 'effectiveVerb', 'group', 'version', 'namespace', 'resource', 'subresource', 'name', 'execClass'];

let gw;
let agent;
test.before(async () => {
  gw = await startGateway();
  agent = { cert: fs.readFileSync(gw.pki.client('classifier-agent', ['agents:admin']).crt) };
  agent.key = fs.readFileSync(path.join(gw.pki.dir, 'client-classifier-agent.key'));
  agent.ca = fs.readFileSync(gw.pki.caFile);
});
test.after(() => gw && gw.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, predicate, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function gatewayRequestLines() {
  return gw.log().split('\n').filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l).log);
}

function target(c) {
  return `/clusters/demo${c.path === '/' ? '' : c.path}${c.query !== undefined ? `?${c.query}` : ''}`;
}

function upgradeHeaders(c) {
  if (c.upgrade === 'websocket') {
    const proto = c.path.endsWith('/portforward') ? 'SPDY/3.1+portforward.k8s.io' : 'v5.channel.k8s.io, v4.channel.k8s.io';
    return 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ${proto}\r\n`;
  }
  if (c.upgrade === 'spdy') return 'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n';
  return ['POST', 'PUT', 'PATCH'].includes(c.method) ? 'Content-Type: application/json\r\nContent-Length: 0\r\n' : '';
}

// Sends one request; resolves with the status and the start of the answer once the header block
// is in. The connection is then dropped: watches, log follows and tunnels would not end by themselves.
function send(c) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: gw.port, ALPNProtocols: ['http/1.1'], ...agent }, () => {
      socket.write(`${c.method} ${target(c)} HTTP/1.1\r\nHost: kubegate\r\n${upgradeHeaders(c)}\r\n`);
    });
    let data = '';
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (!m) reject(new Error(`no HTTP answer: ${JSON.stringify(data.slice(0, 200))}`));
      else resolve({ status: Number(m[1]), head: data.slice(0, 2000) });
    };
    const timer = setTimeout(done, 5000);
    socket.on('data', (chunk) => {
      data += chunk;
      // A Status body is small and follows the header at once; keep it for the diagnostics.
      if (data.includes('\r\n\r\n')) setTimeout(done, data.includes('"kind":"Status"') ? 0 : 20);
    });
    socket.on('close', done);
    socket.on('error', (e) => (data ? done() : reject(e)));
  });
}

function expectedLogFields(expect) {
  const want = {};
  for (const f of LOGGED_FIELDS) want[f] = f === 'execClass' ? false : '';
  for (const [k, v] of Object.entries(expect)) if (LOGGED_FIELDS.includes(k)) want[k] = v;
  if (expect.effectiveVerb === undefined) want.effectiveVerb = want.verb;
  return want;
}

const pairs = (query) => [...new URLSearchParams(query || '')];

async function runCase(c) {
  const simBefore = readRequestLog(gw.sim).length;
  const gwBefore = gatewayRequestLines().length;
  const res = await send(c);

  if (c.refused) {
    assert.equal(res.status, c.refused.status, `expected ${c.refused.status} from the ${c.refused.stage} stage:\n${res.head}`);
    await sleep(50);
    assert.deepEqual(readRequestLog(gw.sim).slice(simBefore), [], 'a refused request must never reach the cluster');
    return;
  }

  const reached = await until('kube-sim or a gateway refusal', () => {
    const lines = readRequestLog(gw.sim).slice(simBefore);
    if (lines.length) return lines;
    return res.status === 403 && c.policy ? 'held by policy' : null;
  }, 3000).catch(() => []);
  if (reached === 'held by policy') return; // a policy denies or holds it: not forwarded, as it must be
  assert.equal(reached.length, 1, `expected exactly one request at kube-sim (gateway answered ${res.status}):\n${res.head}`);
  const [line] = reached;
  assert.equal(line.method, c.method);
  assert.equal(line.path, c.path);
  assert.deepEqual(pairs(line.query), pairs(c.query), 'the query reaches the cluster as the gateway read it');

  const [logged] = await until('the gateway log line', () => {
    const lines = gatewayRequestLines().slice(gwBefore);
    return lines.length ? lines : null;
  });
  assert.equal(logged.method, c.method);
  assert.equal(logged.path, c.path);
  const got = {};
  for (const f of LOGGED_FIELDS) got[f] = logged[f];
  assert.deepEqual(got, expectedLogFields(c.expect), 'the classification the gateway logged');
  await sleep(5);
  assert.equal(readRequestLog(gw.sim).length, simBefore + 1, 'forwarded exactly once');
}

for (const c of CASES) {
  test(`${c.id}: ${c.method} ${c.path}${c.query !== undefined ? `?${c.query}` : ''}`, () => runCase(c));
}
