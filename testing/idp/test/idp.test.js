'use strict';
// The test IdP against an independent verifier: jose (verification only) and node:crypto. Every
// wait is bounded; everything listens on 127.0.0.1; state goes to temp folders.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const jose = require('jose');
const { startIdp } = require('../lib/idp');

const BIN = path.join(__dirname, '..', 'bin', 'idp.js');
const T = { timeout: 60000 };

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kubegate-idp-test-${prefix}-`));
}

function request(url, { method = 'GET', headers = {}, body, ca } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('request timed out')));
    req.end(body);
  });
}

async function getJson(idp, url) {
  const res = await request(url, { ca: fs.readFileSync(idp.caFile) });
  assert.equal(res.status, 200, `${url}: ${res.body}`);
  return { json: JSON.parse(res.body), headers: res.headers };
}

async function fetchJwks(idp) {
  return (await getJson(idp, idp.jwksUri)).json;
}

// Verifies like a resource server would: the published JWKS, exact iss, aud, typ at+jwt.
// `at` checks the time claims as of that moment (a Date) instead of now.
async function verify(idp, token, { jwks, audience = 'kubegate', algorithms = ['RS256'], at } = {}) {
  const set = jose.createLocalJWKSet(jwks || await fetchJwks(idp));
  return jose.jwtVerify(token, set, { issuer: idp.issuer, audience, typ: 'at+jwt', algorithms, currentDate: at });
}

function maxAge(headers) {
  const m = /(?:^|,)\s*max-age=(\d+)/.exec(headers['cache-control'] || '');
  return m ? Number(m[1]) : undefined;
}

async function sleepUntil(predicate, limitMs, what) {
  const deadline = Date.now() + limitMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let idp;
test.before(async () => { idp = await startIdp({ algs: ['ES256', 'EdDSA'] }); });
test.after(async () => { if (idp) await idp.close(); });

test('discovery and JWKS are served over HTTPS that verifies with the IdP CA', T, async () => {
  assert.match(idp.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
  const { json: disc, headers } = await getJson(idp, `${idp.issuer}/.well-known/openid-configuration`);
  assert.equal(disc.issuer, idp.issuer);
  assert.equal(disc.jwks_uri, idp.jwksUri);
  assert.equal(disc.token_endpoint, idp.tokenEndpoint);
  assert.ok(disc.grant_types_supported.includes('client_credentials'));
  for (const m of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
    assert.ok(disc.token_endpoint_auth_methods_supported.includes(m), m);
  }
  assert.ok(maxAge(headers) > 0, `discovery Cache-Control: ${headers['cache-control']}`);

  const jwksRes = await getJson(idp, disc.jwks_uri);
  assert.match(jwksRes.headers['content-type'], /^application\/jwk-set\+json/);
  assert.equal(maxAge(jwksRes.headers), 300);
  const { keys } = jwksRes.json;
  assert.deepEqual(keys.map((k) => k.alg).sort(), ['ES256', 'EdDSA', 'RS256']);
  for (const k of keys) {
    assert.equal(k.use, 'sig');
    assert.ok(k.kid);
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[secret], undefined, `${k.kid} publishes ${secret}`);
  }
  assert.equal(keys[0].kid, idp.currentKid(), 'the primary signing key is listed first');
  const rsa = crypto.createPublicKey({ key: keys.find((k) => k.kty === 'RSA'), format: 'jwk' });
  assert.equal(rsa.asymmetricKeyDetails.modulusLength, 2048);

  // Without the CA the certificate does not verify; with it, the name 127.0.0.1 matches.
  await assert.rejects(request(idp.jwksUri), (err) => /self[- ]signed|unable to verify|SELF_SIGNED|UNABLE_TO/i.test(`${err.code} ${err.message}`));
  const cert = new crypto.X509Certificate(fs.readFileSync(path.join(idp.stateDir, 'server.crt')));
  assert.ok(cert.verify(new crypto.X509Certificate(fs.readFileSync(idp.caFile)).publicKey));
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
});

test('client-credentials tokens verify against the JWKS with groups, aud, typ at+jwt', T, async () => {
  const jwks = await fetchJwks(idp);
  for (const [clientId, groups] of [['demo-agent', ['agents']], ['trusted-agent', ['trusted']], ['jwt-agent', ['agents']]]) {
    const minted = await idp.mintToken(clientId);
    assert.equal(minted.tokenType, 'Bearer');
    assert.equal(minted.expiresIn, 300);
    const { payload, protectedHeader } = await verify(idp, minted.accessToken, { jwks });
    assert.deepEqual(protectedHeader, { alg: 'RS256', typ: 'at+jwt', kid: idp.currentKid() });
    assert.equal(payload.iss, idp.issuer);
    assert.equal(payload.aud, 'kubegate', 'aud is a single string');
    assert.equal(payload.sub, clientId);
    assert.equal(payload.client_id, clientId);
    assert.deepEqual(payload.groups, groups);
    assert.equal(payload.exp - payload.iat, 300);
    assert.match(payload.jti, /^[\w-]{10,}$/);
    assert.equal(payload.nbf, undefined);
    assert.equal(payload.azp, undefined);
  }
  // The signature also checks with plain node:crypto (RSASSA-PKCS1-v1_5 SHA-256).
  const { accessToken } = await idp.mintToken('demo-agent');
  const [h, p, s] = accessToken.split('.');
  const key = crypto.createPublicKey({ key: jwks.keys.find((k) => k.kid === idp.currentKid()), format: 'jwk' });
  assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')));
});

test('client authentication: basic and post secrets, wrong secret refused, secrets on disk 0600', T, async () => {
  const secretFile = path.join(idp.stateDir, 'clients', 'demo-agent.secret');
  assert.equal(fs.readFileSync(secretFile, 'utf8'), idp.clientSecret('demo-agent'));
  assert.equal(fs.statSync(secretFile).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(idp.stateDir, 'signing-keys.json')).mode & 0o777, 0o600);
  assert.equal(fs.statSync(idp.privateKeyJwtKeyFile).mode & 0o777, 0o600);

  const post = await idp.mintToken('trusted-agent', { authMethod: 'client_secret_post' });
  assert.deepEqual((await verify(idp, post.accessToken)).payload.groups, ['trusted']);
  await assert.rejects(idp.mintToken('demo-agent', { clientSecret: 'not-the-secret' }),
    (err) => err.status === 401 && err.body.error === 'invalid_client');
  await assert.rejects(idp.mintToken('jwt-agent', { authMethod: 'client_secret_basic', clientSecret: 'x' }),
    (err) => err.status === 401);
});

test('private_key_jwt: an assertion signed with the key file on disk gets a token, and only once', T, async () => {
  assert.equal(idp.privateKeyJwtClientId, 'jwt-agent');
  const key = crypto.createPrivateKey(fs.readFileSync(idp.privateKeyJwtKeyFile));
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', kid: idp.privateKeyJwtKid, typ: 'JWT' })}.${b64({
    iss: 'jwt-agent', sub: 'jwt-agent', aud: idp.tokenEndpoint, jti: crypto.randomUUID(), iat: now, exp: now + 60 })}`;
  const assertion = `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  }).toString();
  const opts = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, ca: fs.readFileSync(idp.caFile) };
  const res = await request(idp.tokenEndpoint, opts);
  assert.equal(res.status, 200, res.body);
  const { payload } = await verify(idp, JSON.parse(res.body).access_token);
  assert.equal(payload.client_id, 'jwt-agent');
  assert.deepEqual(payload.groups, ['agents']);
  const replay = await request(idp.tokenEndpoint, opts);
  assert.equal(replay.status, 401, 'a client assertion is accepted once');
  assert.equal(JSON.parse(replay.body).error, 'invalid_client');
});

test('ES256 and EdDSA keys sign when asked; another resource gets another audience', T, async () => {
  const jwks = await fetchJwks(idp);
  for (const alg of ['ES256', 'EdDSA']) {
    const { accessToken } = await idp.mintToken('demo-agent', { alg });
    const { protectedHeader } = await verify(idp, accessToken, { jwks, algorithms: [alg] });
    assert.equal(protectedHeader.alg, alg);
    assert.equal(protectedHeader.kid, idp.currentKid(alg));
  }
  const other = await idp.mintToken('demo-agent', { resource: 'urn:other-api' });
  assert.equal(other.payload.aud, 'other-api');
  await assert.rejects(verify(idp, other.accessToken, { jwks }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  await assert.rejects(idp.mintToken('demo-agent', { resource: 'urn:unknown' }), (err) => err.body.error === 'invalid_target');
});

test('per-token changes reach the real token endpoint: groups, claims, header', T, async () => {
  const { accessToken } = await idp.mintToken('demo-agent', {
    groups: ['ops', 'agents'], claims: { realm_access: { roles: ['r1'] }, client_id: undefined }, header: { typ: 'JWT' },
  });
  const set = jose.createLocalJWKSet(await fetchJwks(idp));
  const { payload, protectedHeader } = await jose.jwtVerify(accessToken, set, { issuer: idp.issuer, audience: 'kubegate' });
  assert.equal(protectedHeader.typ, 'JWT');
  assert.deepEqual(payload.groups, ['ops', 'agents']);
  assert.deepEqual(payload.realm_access, { roles: ['r1'] });
  assert.equal(payload.client_id, undefined);
  // The changes were for that token only.
  const plain = await idp.mintToken('demo-agent');
  assert.deepEqual(plain.payload.groups, ['agents']);
  assert.equal(plain.header.typ, 'at+jwt');
});

test('key rotation: a new kid signs, old tokens verify while the old key is published', T, async () => {
  const before = await idp.mintToken('demo-agent');
  const oldKid = before.header.kid;
  const { kid, previousKid } = await idp.rotateKeys();
  assert.equal(previousKid, oldKid);
  assert.notEqual(kid, oldKid);
  assert.equal(idp.currentKid(), kid);

  const jwks = await fetchJwks(idp);
  assert.equal(jwks.keys[0].kid, kid, 'the new key is listed first');
  assert.ok(jwks.keys.some((k) => k.kid === oldKid), 'the old key stays published');
  const after = await idp.mintToken('demo-agent');
  assert.equal(after.header.kid, kid);
  await verify(idp, after.accessToken, { jwks });
  await verify(idp, before.accessToken, { jwks });
  // A verifier holding only the old JWKS does not know the new kid.
  const stale = { keys: jwks.keys.filter((k) => k.kid !== kid) };
  await assert.rejects(verify(idp, after.accessToken, { jwks: stale }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });

  // Other algorithms' keys are untouched; dropping old keys unpublishes only the retired one.
  assert.equal(idp.dropOldKeys(), 1);
  const dropped = await fetchJwks(idp);
  assert.ok(!dropped.keys.some((k) => k.kid === oldKid));
  assert.deepEqual(dropped.keys.map((k) => k.alg).sort(), ['ES256', 'EdDSA', 'RS256']);
  await assert.rejects(verify(idp, before.accessToken, { jwks: dropped }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  await verify(idp, after.accessToken, { jwks: dropped });

  // Rotate-and-drop in one step.
  const again = await idp.rotateKeys({ dropOld: true });
  const only = (await fetchJwks(idp)).keys.filter((k) => k.alg === 'RS256');
  assert.deepEqual(only.map((k) => k.kid), [again.kid]);
});

test('stop() takes the IdP off the network and start() brings it back on the same port', T, async () => {
  const { port, issuer } = idp;
  const token = (await idp.mintToken('demo-agent')).accessToken;
  await idp.stop();
  assert.equal(idp.running, false);
  await assert.rejects(request(idp.jwksUri, { ca: fs.readFileSync(idp.caFile) }), { code: 'ECONNREFUSED' });
  await assert.rejects(idp.mintToken('demo-agent'), { code: 'ECONNREFUSED' });
  await idp.start();
  assert.equal(idp.running, true);
  assert.equal(idp.port, port);
  assert.equal(idp.issuer, issuer);
  const jwks = await fetchJwks(idp);
  await verify(idp, token, { jwks });
  await verify(idp, (await idp.mintToken('trusted-agent')).accessToken, { jwks });
});

test('a short-lived token expires', T, async () => {
  const minted = await idp.mintToken('demo-agent', { ttl: 1 });
  assert.equal(minted.expiresIn, 1);
  assert.equal(minted.payload.exp - minted.payload.iat, 1);
  const jwks = await fetchJwks(idp);
  await sleepUntil(() => Date.now() / 1000 > minted.payload.exp, 5000, 'the token to expire');
  await assert.rejects(verify(idp, minted.accessToken, { jwks }), { code: 'ERR_JWT_EXPIRED' });
});

test('a restart on the same state folder keeps CA, keys and secrets; the listen address must be loopback', T, async () => {
  const stateDir = tempDir('restart');
  try {
    const first = await startIdp({ stateDir, clients: [{ clientId: 'a', groups: ['g'], clientSecret: 'from-config' }] });
    const seen = { ca: fs.readFileSync(first.caFile, 'utf8'), kid: first.currentKid() };
    const token = (await first.mintToken('a')).accessToken;
    await first.close();
    assert.ok(fs.existsSync(stateDir), 'close() keeps a state folder it was given');
    const second = await startIdp({ stateDir, clients: [{ clientId: 'a', groups: ['g'] }] });
    try {
      assert.equal(fs.readFileSync(second.caFile, 'utf8'), seen.ca);
      assert.equal(second.currentKid(), seen.kid);
      assert.equal(second.clientSecret('a'), 'from-config');
      // The token from the first run verifies against the second run's keys (issuer differs by port).
      const set = jose.createLocalJWKSet(await fetchJwks(second));
      await jose.jwtVerify(token, set, { issuer: first.issuer, audience: 'kubegate' });
    } finally {
      await second.close();
    }
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  await assert.rejects(startIdp({ listen: '0.0.0.0:0' }), /loopback/);
});

test('the command prints one ready line, serves, rotates on SIGUSR1 and exits on SIGTERM', T, async (t) => {
  const stateDir = tempDir('cli');
  const child = spawn(process.execPath, [BIN, '--listen', '127.0.0.1:0', '--state-dir', stateDir, '--alg', 'ES256', '--token-ttl', '1'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); fs.rmSync(stateDir, { recursive: true, force: true }); });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => { stdout += c; });
  child.stderr.on('data', (c) => { stderr += c; });
  const lines = () => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  await sleepUntil(() => lines().length >= 1 || child.exitCode !== null, 30000, 'the ready line');
  const ready = lines()[0];
  assert.equal(ready.ready, true, stderr);
  assert.match(ready.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(ready.caFile, path.join(stateDir, 'ca.crt'));
  assert.deepEqual(Object.keys(ready.clients), ['demo-agent', 'trusted-agent', 'jwt-agent', 'reviewer']);
  assert.deepEqual(ready.clients['trusted-agent'].groups, ['trusted']);
  assert.ok(!JSON.stringify(ready).includes(fs.readFileSync(ready.clients['demo-agent'].secretFile, 'utf8')), 'no secret on stdout');

  // A client that knows only the ready line and the secret file, as kubegate credential would.
  const secret = fs.readFileSync(ready.clients['demo-agent'].secretFile, 'utf8');
  const ca = fs.readFileSync(ready.caFile);
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-agent', client_secret: secret }).toString();
  const res = await request(ready.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, ca });
  assert.equal(res.status, 200, res.body);
  const token = JSON.parse(res.body).access_token;
  const remote = { issuer: ready.issuer, jwksUri: ready.jwksUri, caFile: ready.caFile };
  // Checked as of its issue time: with a one-second lifetime, a slow machine can pass exp before
  // the JWKS fetch returns. Its expiry is checked against the real clock below.
  const issuedAt = new Date(jose.decodeJwt(token).iat * 1000);
  const { payload, protectedHeader } = await verify(remote, token, { algorithms: ['ES256'], at: issuedAt });
  assert.equal(protectedHeader.kid, ready.kid);
  assert.equal(payload.exp - payload.iat, 1);
  await sleepUntil(() => Date.now() / 1000 > payload.exp, 5000, 'the token to expire');
  await assert.rejects(verify(remote, token, { algorithms: ['ES256'] }), { code: 'ERR_JWT_EXPIRED' });

  child.kill('SIGUSR1');
  await sleepUntil(() => lines().length >= 2, 15000, 'the rotated line');
  const rotated = lines()[1];
  assert.equal(rotated.rotated, true);
  assert.equal(rotated.previousKid, ready.kid);
  const kids = (await getJson(remote, ready.jwksUri)).json.keys.map((k) => k.kid);
  assert.deepEqual(kids, [rotated.kid, ready.kid]);

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  let timer;
  const { code } = await Promise.race([exited, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error('no exit after SIGTERM')), 10000); })])
    .finally(() => clearTimeout(timer));
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '', 'nothing on stderr');
});
