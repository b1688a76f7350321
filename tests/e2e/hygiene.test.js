'use strict';
// HTTP hygiene through the gateway (issue 3; shared/notes/security.md catalogue B, C, E, F): every
// ambiguous or non-canonical input is refused with its status, and never reaches the cluster;
// identity headers from the client never reach it either.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const tls = require('node:tls');
const { startGateway } = require('./support/gateway');
const { readRequestLog } = require('../../testing/kube-sim/test/support/harness');

let gw;
let agent;
test.before(async () => {
  gw = await startGateway();
  agent = gw.pki.client('agent-raw', ['agents:admin']);
});
test.after(() => gw.stop());

// Sends raw bytes on one TLS connection; resolves with everything received until the gateway
// closes it or `idleMs` passes without data.
function raw(bytes, { cert = agent, idleMs = 1500 } = {}) {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port: gw.port, ca: fs.readFileSync(gw.pki.caFile), ALPNProtocols: ['http/1.1'] };
    if (cert) Object.assign(opts, { cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key) });
    const socket = tls.connect(opts, () => socket.write(bytes));
    let data = '';
    let timer;
    const done = (closed) => { clearTimeout(timer); socket.destroy(); resolve({ data, closed }); };
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => done(false), idleMs); };
    socket.on('data', (c) => { data += c; arm(); });
    socket.on('end', () => done(true));
    socket.on('close', () => done(true));
    socket.on('error', (e) => (data ? done(true) : reject(e)));
    arm();
  });
}

function statusOf(response) {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(response);
  return m ? Number(m[1]) : 0;
}

function reachedCluster(marker) {
  return readRequestLog(gw.sim).filter((l) => `${l.path}?${l.query}`.includes(marker));
}

const P = '/clusters/demo/api/v1/namespaces/production';

const REFUSED = [
  ['duplicate Content-Length', `POST ${P}/configmaps?m=dupcl HTTP/1.1\r\nHost: g\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}`, 400],
  ['Content-Length with Transfer-Encoding', `POST ${P}/configmaps?m=clte HTTP/1.1\r\nHost: g\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['obs-fold', `GET ${P}/pods?m=fold HTTP/1.1\r\nHost: g\r\nX-A: a\r\n b\r\n\r\n`, 400],
  ['folded Content-Length', `POST ${P}/configmaps?m=foldcl HTTP/1.1\r\nHost: g\r\nContent-Length:\r\n 2\r\n\r\n{}`, 400],
  ['bad chunk size', `POST ${P}/configmaps?m=chunk HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400],
  ['transfer coding other than chunked', `POST ${P}/configmaps?m=gzipte HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 400],
  ['duplicate Host', `GET ${P}/pods?m=duphost HTTP/1.1\r\nHost: g\r\nHost: h\r\n\r\n`, 400],
  ['missing Host', `GET ${P}/pods?m=nohost HTTP/1.1\r\n\r\n`, 400],
  ['double slash', `GET /clusters/demo//api/v1/namespaces/production/secrets?m=dslash HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['dot segment', `GET /clusters/demo/api/v1/./namespaces/production/secrets?m=dot HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['dot-dot segment', `GET ${P}/pods/../secrets/db-credentials?m=dotdot HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['encoded slash', `GET ${P}/secrets%2Fdb-credentials?m=encslash HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['encoded dot', `GET ${P}/pods/%2e%2e/secrets?m=encdot HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['backslash', `GET ${P}/pods\\..\\secrets?m=backslash HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['overlong UTF-8', `GET ${P}/%c0%afsecrets?m=overlong HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['trailing slash', `GET ${P}/secrets/?m=trailing HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['fragment', `GET ${P}/pods?m=frag#x HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['absolute-form target', `GET https://other.example${P}/secrets?m=absolute HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['semicolon path parameter', `GET ${P}/secrets;x=y?m=semi HTTP/1.1\r\nHost: g\r\n\r\n`, 400],
  ['TRACE method', `TRACE ${P}/pods?m=trace HTTP/1.1\r\nHost: g\r\n\r\n`, 405],
  ['HTTP/1.0', `GET ${P}/pods?m=http10 HTTP/1.0\r\nHost: g\r\n\r\n`, 400],
  ['h2c upgrade', `GET ${P}/pods?m=h2c HTTP/1.1\r\nHost: g\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`, 400],
  ['WebSocket upgrade on a secret', `GET ${P}/secrets/db-credentials?m=wssecret HTTP/1.1\r\nHost: g\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`, 400],
  ['bearer token in a WebSocket subprotocol', `GET ${P}/pods/web-7d9f8b6c5d-x2k4p/exec?command=env&stdout=true&m=wsbearer HTTP/1.1\r\nHost: g\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.ZGVtby1hZG1pbi10b2tlbg, v5.channel.k8s.io\r\n\r\n`, 400],
  ['header block over the limit', `GET ${P}/pods?m=bighdr HTTP/1.1\r\nHost: g\r\nX-Big: ${'a'.repeat(40000)}\r\n\r\n`, 431],
  ['URL over the limit', `GET ${P}/pods?m=bigurl&x=${'a'.repeat(9000)} HTTP/1.1\r\nHost: g\r\n\r\n`, 414],
  ['body over the limit', `POST ${P}/configmaps?m=bigbody HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n${'a'.repeat(64 * 1024)}`, 413],
];

for (const [name, request, code] of REFUSED) {
  test(`refused: ${name} -> ${code}, and never reaches the cluster`, async () => {
    const marker = /m=([a-z0-9]+)/.exec(request)[1];
    const res = await raw(request);
    assert.equal(statusOf(res.data), code, res.data.slice(0, 300));
    assert.match(res.data, /"kind":"Status"/);
    if (code === 400 || code === 405 || code === 413 || code === 414 || code === 431) assert.equal(res.closed, true, 'connection closed');
    assert.deepEqual(reachedCluster(`m=${marker}`), []);
  });
}

test('a client without a certificate is refused with 401 and nothing is forwarded', async () => {
  const res = await raw(`GET ${P}/pods?m=nocert HTTP/1.1\r\nHost: g\r\n\r\n`, { cert: null });
  assert.equal(statusOf(res.data), 401);
  assert.deepEqual(reachedCluster('m=nocert'), []);
});

test('an unknown cluster prefix is a 404 Status naming the problem', async () => {
  const res = await raw('GET /clusters/nope/api HTTP/1.1\r\nHost: g\r\n\r\n');
  assert.equal(statusOf(res.data), 404);
  assert.match(res.data, /no cluster named \\"nope\\"/);
});

test('client identity headers never reach the cluster, even when named in Connection', async () => {
  const req = `GET ${P}/secrets?m=identity HTTP/1.1\r\nHost: g\r\n` +
    'Authorization: Bearer demo-admin-token\r\nImpersonate-User: kube-admin\r\nimpersonate-group: system:masters\r\n' +
    'Impersonate-Uid: 0\r\nImpersonate-Extra-Scopes: all\r\nX-Remote-User: root\r\nX-Forwarded-For: 10.0.0.1\r\n' +
    'Connection: Impersonate-User, Impersonate-Group, Authorization\r\n\r\n';
  const res = await raw(req);
  assert.equal(statusOf(res.data), 200, res.data.slice(0, 300));
  const [line] = reachedCluster('m=identity');
  assert.equal(line.user, 'agent-raw');
  assert.deepEqual(line.groups, ['agents:admin', 'system:authenticated']);
  assert.equal(line.impersonatedBy, 'kubegate');
  assert.equal(line.authScheme, 'Bearer');
});

test('CVE-2018-1002105: a refused upgrade ends the connection; a pipelined request is never served', async () => {
  const upgrade = `GET ${P}/pods/no-such-pod/exec?command=sh&stdin=true&stdout=true&m=cveup HTTP/1.1\r\nHost: g\r\n` +
    'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
    'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n';
  const smuggled = `GET ${P}/secrets/db-credentials?m=cvesecond HTTP/1.1\r\nHost: g\r\n\r\n`;
  const res = await raw(upgrade + smuggled);
  assert.equal(statusOf(res.data), 404, res.data.slice(0, 300));
  assert.equal((res.data.match(/HTTP\/1\.1 /g) || []).length, 1, 'exactly one response');
  assert.equal(res.closed, true);
  assert.deepEqual(reachedCluster('m=cvesecond'), []);
});

test('pipelined requests are each read, forwarded and answered in order', async () => {
  const one = `GET ${P}/pods?m=pipe1 HTTP/1.1\r\nHost: g\r\n\r\n`;
  const two = `GET ${P}/configmaps?m=pipe2 HTTP/1.1\r\nHost: g\r\n\r\n`;
  const res = await raw(one + two);
  assert.equal((res.data.match(/HTTP\/1\.1 200/g) || []).length, 2, res.data.slice(0, 300));
  assert.equal(reachedCluster('m=pipe1').length, 1);
  assert.equal(reachedCluster('m=pipe2').length, 1);
});
