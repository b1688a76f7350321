'use strict';
// Agents authenticated by a real OpenID Connect IdP (panva's oidc-provider): tokens verify against
// its JWKS, every bad token gets 401 and reaches nothing, keys rotate and survive an outage, and a
// stream ends when its token does (issue 4).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const https = require('node:https');
const { startGateway } = require('./support/gateway');
const { readRequestLog } = require('../../testing/kube-sim/test/support/harness');
const { startIdp } = require('../../testing/idp/lib/idp');

let idp;
let gw;
const CLOCK_SKEW_S = 1;
// No request in this file may hang the run: each is cut after this long.
const REQUEST_TIMEOUT_MS = 15000;

function oidcConfig(issuer) {
  return `authentication:
  sessionExpiryGrace: 0s
  oidc:
    - issuer: ${issuer.issuer}
      caFile: ${issuer.caFile}
      audiences: [kubegate]
      groupsClaim: groups
      algorithms: [RS256, ES256]
      acceptedTypes: [at+jwt]
      jwksMinRefreshInterval: 1s
      clockSkew: ${CLOCK_SKEW_S}s
`;
}

function request(path, token, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(`${gw.url}${path}`, {
      method, ca: fs.readFileSync(gw.pki.caFile), agent: false,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function adminGet(path) {
  return new Promise((resolve, reject) => {
    const req = require('node:http').get({ host: '127.0.0.1', port: gw.adminPort, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`admin ${path}: no answer`)));
    req.on('error', reject);
  });
}

// kubegate_authentication_failures_total by "authenticator/reason".
async function authFailures() {
  const { body } = await adminGet('/metrics');
  const out = {};
  for (const m of body.matchAll(/^kubegate_authentication_failures_total\{authenticator="([^"]*)",reason="([^"]*)"\} (\d+)$/gm)) {
    out[`${m[1]}/${m[2]}`] = Number(m[3]);
  }
  return out;
}

function delta(before, after) {
  const out = {};
  for (const [k, v] of Object.entries(after)) if (v !== (before[k] || 0)) out[k] = v - (before[k] || 0);
  return out;
}

async function waitReady() {
  const end = Date.now() + 15000;
  while (Date.now() < end) {
    const { status } = await adminGet('/readyz').catch(() => ({ status: 0 }));
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('the gateway never became ready (OIDC keys not fetched)');
}

const reached = (marker) => readRequestLog(gw.sim).filter((l) => l.query.includes(marker));

test.before(async () => {
  idp = await startIdp({ tokenTtl: 300 });
  gw = await startGateway({ extraAuth: oidcConfig(idp) });
  await waitReady();
});
test.after(async () => { await gw.stop(); await idp.close(); });

test('a client-credentials token from the IdP is the agent identity upstream', async () => {
  const { accessToken } = await idp.mintToken('demo-agent');
  const res = await request('/api/v1/namespaces/staging/pods?m=oidc-ok', accessToken);
  assert.equal(res.status, 200, res.body);
  const [line] = reached('m=oidc-ok');
  assert.equal(line.user, 'demo-agent');
  assert.deepEqual(line.groups, ['agents', 'system:authenticated']);
  assert.equal(line.impersonatedBy, 'kubegate');
  const denied = await request('/api/v1/namespaces/production/secrets?m=oidc-rbac', accessToken);
  assert.equal(denied.status, 403, 'the cluster RBAC of the agent applies');
});

test('the session purpose comes from the URL or the Kubegate-Purpose header', async () => {
  const { accessToken } = await idp.mintToken('demo-agent');
  assert.equal((await request('/purpose/rollout-fix/api/v1/namespaces/staging/pods?m=purpose-path', accessToken)).status, 200);
  assert.equal(reached('m=purpose-path')[0].path, '/api/v1/namespaces/staging/pods');
  const bad = await request('/purpose/Not%20Valid/api?m=purpose-bad', accessToken);
  assert.equal(bad.status, 400);
  const clash = await request('/purpose/a/api/v1/namespaces/staging/pods?m=purpose-clash', accessToken, { headers: { 'Kubegate-Purpose': 'b' } });
  assert.equal(clash.status, 400);
  assert.deepEqual(reached('m=purpose-clash'), []);
});

function forge(token, { header, payload, signature }) {
  const [h, p, s] = token.split('.');
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const dec = (x) => JSON.parse(Buffer.from(x, 'base64url').toString());
  return [header ? enc(header(dec(h))) : h, payload ? enc(payload(dec(p))) : p, signature !== undefined ? signature : s].join('.');
}

test('every forged or foreign token gets 401, reaches nothing, and is counted by reason', async () => {
  const { accessToken } = await idp.mintToken('demo-agent');
  const other = await idp.mintToken('demo-agent', { resource: 'urn:other-api' });
  const before = await authFailures();
  // name: [token, the reason kubegate_authentication_failures_total counts it under]
  const cases = {
    'alg none': [forge(accessToken, { header: (h) => ({ ...h, alg: 'none' }), signature: '' }), 'bad_algorithm'],
    'HS256 with the public key': [forge(accessToken, { header: (h) => ({ ...h, alg: 'HS256' }) }), 'bad_algorithm'],
    'payload changed after signing': [forge(accessToken, { payload: (p) => ({ ...p, groups: ['system:masters'] }) }), 'bad_signature'],
    'signature from another token': [`${accessToken.split('.').slice(0, 2).join('.')}.${other.accessToken.split('.')[2]}`, 'bad_signature'],
    'wrong audience': [other.accessToken, 'bad_audience'],
    'unknown kid': [forge(accessToken, { header: (h) => ({ ...h, kid: '../../etc/passwd' }) }), 'unknown_key'],
    'jku header': [forge(accessToken, { header: (h) => ({ ...h, jku: 'https://attacker.example/jwks' }) }), 'key_in_header'],
    'crit header': [forge(accessToken, { header: (h) => ({ ...h, crit: ['exp'] }) }), 'crit'],
    'issuer not trusted': [forge(accessToken, { payload: (p) => ({ ...p, iss: 'https://attacker.example' }) }), 'untrusted_issuer'],
    'oversized': [`${accessToken}${'A'.repeat(20000)}`, 'too_large'],
    'not a JWT': ['hello', 'malformed'],
  };
  const expected = {};
  for (const [name, [token, reason]] of Object.entries(cases)) {
    const marker = `m=forged-${name.replace(/\W+/g, '-')}`;
    const res = await request(`/api/v1/namespaces/staging/pods?${marker}`, token);
    assert.equal(res.status, 401, `${name}: ${res.body}`);
    const status = JSON.parse(res.body);
    assert.equal(status.reason, 'Unauthorized');
    assert.ok(!status.message.includes(token.slice(0, 20)), `${name}: the message does not echo the token`);
    assert.deepEqual(reached(marker), [], `${name} reached the cluster`);
    expected[`oidc/${reason}`] = (expected[`oidc/${reason}`] || 0) + 1;
  }
  const masters = await idp.mintToken('demo-agent', { groups: ['agents', 'system:masters'] });
  assert.equal((await request('/api/v1/namespaces/staging/pods?m=reserved-group', masters.accessToken)).status, 401,
    'a genuine token naming a system: group is refused');
  assert.deepEqual(reached('m=reserved-group'), []);
  expected['oidc/reserved_name'] = 1;
  const basic = await request('/api/v1/namespaces/staging/pods?m=basic-auth', null, { headers: { Authorization: 'Basic YTpi' } });
  assert.equal(basic.status, 401);
  expected['none/bad_authorization_header'] = 1;
  const anonymous = await request('/api/v1/namespaces/staging/pods?m=anonymous', null);
  assert.equal(anonymous.status, 401);
  assert.deepEqual(reached('m=anonymous'), []);
  expected['none/no_credentials'] = 1;
  assert.deepEqual(delta(before, await authFailures()), expected, 'each refusal counted once, under its reason');
});

test('a token from a key rotated at the IdP verifies on its first request; an outage keeps cached keys and fails unknown ones closed', async () => {
  // Early refreshes are at most one a second (jwksMinRefreshInterval): keep this test's from
  // depending on the unknown-kid refresh the previous test caused.
  await new Promise((r) => setTimeout(r, 1100));
  await idp.rotateKeys();
  const fresh = await idp.mintToken('demo-agent');
  // The request that meets the new kid waits for the JWKS refresh it triggers, then verifies.
  const first = await request('/api/v1/namespaces/staging/pods?m=rotated-first', fresh.accessToken);
  assert.equal(first.status, 200, `the first request with the rotated key: ${first.body}`);
  assert.equal(reached('m=rotated-first').length, 1);

  await new Promise((r) => setTimeout(r, 1100));
  await idp.rotateKeys();
  const unseen = await idp.mintToken('demo-agent');
  await idp.stop();
  try {
    // Cached keys keep working through the outage…
    const known = await idp.mintToken('demo-agent').catch(() => null);
    assert.equal(known, null, 'the IdP is down');
    assert.equal((await request('/api/v1/namespaces/staging/pods?m=outage-known', fresh.accessToken)).status, 200);
    // …and a key the gateway never saw fails closed.
    const unknown = await request('/api/v1/namespaces/staging/pods?m=outage-unknown', unseen.accessToken);
    assert.equal(unknown.status, 401);
    assert.match(JSON.parse(unknown.body).message, /key/);
    assert.deepEqual(reached('m=outage-unknown'), []);
  } finally {
    await idp.start();
  }
  // Back from the outage, the key the gateway missed verifies on the first request (one refresh,
  // once the rate limit allows it).
  const back = await request('/api/v1/namespaces/staging/pods?m=after-outage', unseen.accessToken);
  assert.equal(back.status, 200, back.body);
});

// Opens a watch; resolves once the response header is in, with `ended`, a promise of when the
// stream ended. The request is destroyed if it outlives `limitMs`, so the run can never hang on it.
function openWatch(path, token, limitMs) {
  return new Promise((resolve, reject) => {
    const req = https.get(`${gw.url}${path}`, {
      ca: fs.readFileSync(gw.pki.caFile), agent: false, headers: { Authorization: `Bearer ${token}` },
    }, (res) => {
      const ended = new Promise((done) => {
        res.on('data', () => {});
        res.on('close', () => done(Date.now()));  // after end, abort or error alike
        res.on('error', () => {});
      });
      resolve({ status: res.statusCode, ended });
    });
    req.on('error', reject);
    const limit = setTimeout(() => req.destroy(new Error(`the watch outlived ${limitMs} ms`)), limitMs);
    req.on('close', () => clearTimeout(limit));
  });
}

// Runs last, after the rotation and outage test, so it also proves that test leaves nothing behind.
test('a watch opened with a token is closed when the token expires; the stale token then gets 401', async () => {
  const short = await idp.mintToken('demo-agent', { ttl: 3 });
  // The gateway accepts the token until exp plus its clock skew; the session ends then.
  const acceptedUntil = (short.payload.exp + CLOCK_SKEW_S) * 1000;
  const watch = await openWatch('/api/v1/namespaces/staging/configmaps?watch=1&m=expiring', short.accessToken, 15000);
  assert.equal(watch.status, 200);
  const ended = await watch.ended;
  assert.ok(ended >= acceptedUntil - 50 && ended < acceptedUntil + 2000,
    `the watch ended ${ended - acceptedUntil} ms after the token stopped being accepted`);
  const again = await request('/api/v1/namespaces/staging/pods?m=stale', short.accessToken);
  assert.equal(again.status, 401, again.body);
  assert.match(JSON.parse(again.body).message, /expired/i);
  assert.deepEqual(reached('m=stale'), [], 'the stale token reached nothing');
});
