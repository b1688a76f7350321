'use strict';
// `kubegate credential` and `kubegate kubeconfig` (issue 4, agent side) against the real IdP
// (testing/idp, panva's oidc-provider): the client-credentials grant with each client
// authentication, token files, the on-disk cache and its refresh, failures that leak nothing, and
// kubectl running the plugin from a kubeconfig that `kubegate kubeconfig` wrote.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const { startIdp } = require('../../testing/idp/lib/idp.js');
const { KUBEGATE, TestPki, idpAuthentication, startGateway } = require('./support/gateway');
const { kubectlPath, run, tempDir, readRequestLog } = require('../../testing/kube-sim/test/support/harness');
const { McpClient, mcpAvailable } = require('../../testing/kube-sim/test/support/mcp');

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

// Every folder this file makes (homes with token caches, kubeconfigs), removed at the end.
const made = [];
function scratch(prefix) {
  const dir = tempDir(prefix);
  made.push(dir);
  return dir;
}
test.after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }); });

// A fresh HOME and cache folder per run of the plugin, unless the test shares one on purpose.
function agentEnv(extra = {}) {
  const home = scratch('agent-home');
  return { HOME: home, XDG_CACHE_HOME: path.join(home, 'xdg-cache'), PATH: process.env.PATH, ...extra };
}

async function credential(args, env) {
  const r = await run(KUBEGATE, ['credential', ...args], { env, timeoutMs: 30000 });
  if (r.code === 0) {
    r.cred = JSON.parse(r.stdout);
    r.token = r.cred.status.token;
  }
  return r;
}

function decodeJwt(token) {
  const [h, p, s] = token.split('.');
  const part = (x) => JSON.parse(Buffer.from(x, 'base64url').toString());
  return { header: part(h), payload: part(p), signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

// Verifies an RS256/ES256 token against the IdP's published keys with node:crypto alone.
function assertIssuedBy(idp, token, clientId) {
  const jwt = decodeJwt(token);
  const jwk = idp.publicJwks().keys.find((k) => k.kid === jwt.header.kid);
  assert.ok(jwk, `the IdP publishes kid ${jwt.header.kid}`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const ok = crypto.verify('sha256', Buffer.from(jwt.signingInput), jwt.header.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key, jwt.signature);
  assert.ok(ok, 'the token verifies against the IdP JWKS');
  assert.equal(jwt.payload.iss, idp.issuer);
  assert.equal(jwt.payload.sub, clientId);
  assert.equal(jwt.payload.aud, 'kubegate');
  return jwt;
}

function assertExecCredential(r, apiVersion = V1) {
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.cred.kind, 'ExecCredential');
  assert.equal(r.cred.apiVersion, apiVersion);
  assert.match(r.cred.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // The token's exp, or up to a second earlier: the plugin counts expires_in from when it sent the
  // request, which can be in the second before the IdP's iat.
  const exp = decodeJwt(r.token).payload.exp;
  const reported = Date.parse(r.cred.status.expirationTimestamp) / 1000;
  assert.ok(reported <= exp && reported >= exp - 1, `${r.cred.status.expirationTimestamp} vs exp ${exp}`);
}

const mode = (p) => fs.statSync(p).mode & 0o777;

test('kubegate credential against the real IdP', async (t) => {
  const idp = await startIdp({ log: () => {} });
  t.after(() => idp.close());
  const secretFile = path.join(idp.stateDir, 'clients', 'demo-agent.secret');
  const grant = ['--issuer', idp.issuer, '--ca-file', idp.caFile, '--client-id', 'demo-agent'];

  await t.test('client_secret_basic by discovery, with the secret from a file', async () => {
    const r = await credential([...grant, '--client-secret-file', secretFile], agentEnv());
    assertExecCredential(r);
    const jwt = assertIssuedBy(idp, r.token, 'demo-agent');
    assert.deepEqual(jwt.payload.groups, ['agents']);
    assert.equal(jwt.header.typ, 'at+jwt');
  });

  await t.test('client_secret_post at an explicit token endpoint, with the secret from the environment', async () => {
    const r = await credential(['--token-endpoint', idp.tokenEndpoint, '--ca-file', idp.caFile, '--client-id', 'trusted-agent',
      '--auth-method', 'client_secret_post', '--resource', 'urn:kubegate', '--scope', 'kubernetes'],
    agentEnv({ KUBEGATE_CLIENT_SECRET: idp.clientSecret('trusted-agent') }));
    assertExecCredential(r);
    const jwt = assertIssuedBy(idp, r.token, 'trusted-agent');
    assert.deepEqual(jwt.payload.groups, ['trusted']);
    assert.equal(jwt.payload.scope, 'kubernetes');
  });

  await t.test('private_key_jwt with the jwt-agent key, a fresh assertion every time', async () => {
    const args = ['--issuer', idp.issuer, '--ca-file', idp.caFile, '--client-id', idp.privateKeyJwtClientId,
      '--private-key-file', idp.privateKeyJwtKeyFile, '--key-id', idp.privateKeyJwtKid, '--no-cache'];
    const first = await credential(args, agentEnv());
    assertExecCredential(first);
    assertIssuedBy(idp, first.token, 'jwt-agent');
    const second = await credential(args, agentEnv());  // a replayed jti would be refused
    assertExecCredential(second);
    assert.notEqual(second.token, first.token);
  });

  await t.test('the apiVersion of KUBERNETES_EXEC_INFO is answered in kind', async () => {
    const info = (v) => JSON.stringify({ kind: 'ExecCredential', apiVersion: v, spec: { interactive: false } });
    const beta = await credential([...grant, '--client-secret-file', secretFile], agentEnv({ KUBERNETES_EXEC_INFO: info(V1BETA1) }));
    assertExecCredential(beta, V1BETA1);
    const alpha = await credential([...grant, '--client-secret-file', secretFile],
      agentEnv({ KUBERNETES_EXEC_INFO: info('client.authentication.k8s.io/v1alpha1') }));
    assert.equal(alpha.code, 1);
    assert.match(alpha.stderr, /^kubegate credential: the kubeconfig asks for ExecCredential client.authentication.k8s.io\/v1alpha1/);
  });

  await t.test('a cached token is reused without asking the IdP, from a private file', async () => {
    const env = agentEnv();
    const first = await credential([...grant, '--client-secret-file', secretFile], env);
    assertExecCredential(first);
    const dir = path.join(env.XDG_CACHE_HOME, 'kubegate');
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(path.join(dir, files[0])), 0o600);
    await idp.stop();  // any token request now fails: the second run must not make one
    try {
      const second = await credential([...grant, '--client-secret-file', secretFile], env);
      assertExecCredential(second);
      assert.equal(second.token, first.token);
      assert.deepEqual(second.cred, first.cred);
      // A different client is a different cache entry, so it does need the IdP, which is away.
      const other = await credential([...grant.slice(0, -1), 'trusted-agent'],
        { ...env, KUBEGATE_CLIENT_SECRET: idp.clientSecret('trusted-agent') });
      assert.equal(other.code, 1);
      assert.match(other.stderr, /^kubegate credential: OIDC discovery at https:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration failed: /);
    } finally {
      await idp.start();
    }
  });

  await t.test('without XDG_CACHE_HOME the cache is ~/.kube/cache/kubegate', async () => {
    const env = agentEnv();
    delete env.XDG_CACHE_HOME;
    assertExecCredential(await credential([...grant, '--client-secret-file', secretFile], env));
    const dir = path.join(env.HOME, '.kube', 'cache', 'kubegate');
    assert.equal(fs.readdirSync(dir).length, 1);
    assert.equal(mode(dir), 0o700);
  });

  await t.test('a wrong secret fails with a clear sentence and shows no secret', async () => {
    const wrong = 'wrong-secret-7f3a9c';
    const wrongFile = path.join(scratch('wrong'), 'secret');
    fs.writeFileSync(wrongFile, `${wrong}\n`, { mode: 0o600 });
    for (const [args, env] of [
      [[...grant, '--client-secret-file', wrongFile], agentEnv()],
      [grant, agentEnv({ KUBEGATE_CLIENT_SECRET: wrong })],
    ]) {
      const r = await credential(args, env);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'kubegate credential: the token endpoint refused the request (HTTP 401, invalid_client: '
        + 'client authentication failed) (check the client id and its secret or private key)\n');
      assert.ok(!r.stderr.includes(wrong) && !r.stderr.includes(idp.clientSecret('demo-agent')));
      assert.ok(!fs.existsSync(path.join(env.XDG_CACHE_HOME, 'kubegate')) || fs.readdirSync(path.join(env.XDG_CACHE_HOME, 'kubegate')).length === 0);
    }
    const none = await credential(grant, agentEnv());
    assert.equal(none.code, 1);
    assert.equal(none.stderr, 'kubegate credential: no client secret: set KUBEGATE_CLIENT_SECRET, or pass --client-secret-file or --private-key-file\n');
  });

  await t.test('an IdP the CA does not vouch for is refused', async () => {
    const pki = new TestPki(scratch('other-ca'));
    const r = await credential(['--issuer', idp.issuer, '--ca-file', pki.caFile, '--client-id', 'demo-agent',
      '--client-secret-file', secretFile], agentEnv());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^kubegate credential: OIDC discovery at .* failed: TLS with 127\.0\.0\.1 failed: certificate verify failed/);
  });

  await t.test('token-file mode returns the file\'s token with its exp, and refuses an expired one', async () => {
    const dir = scratch('token-file');
    const minted = await idp.mintToken('demo-agent');
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, minted.accessToken);
    const r = await credential(['--token-file', file], agentEnv());
    assertExecCredential(r);
    assert.equal(r.token, minted.accessToken);
    assert.equal(Date.parse(r.cred.status.expirationTimestamp) / 1000, minted.payload.exp);

    const expired = await idp.mintToken('demo-agent', { claims: { exp: Math.floor(Date.now() / 1000) - 10 } });
    fs.writeFileSync(file, `${expired.accessToken}\n`);
    const bad = await credential(['--token-file', file], agentEnv());
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`^kubegate credential: the token in ${file} expired at \\d{4}-`));
    assert.ok(!bad.stderr.includes(expired.accessToken.split('.')[1]));

    const mixed = await credential(['--token-file', file, '--client-id', 'demo-agent'], agentEnv());
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /--token-file does not go with the client-credentials flags/);
  });
});

test('the cache refreshes a token before it expires', async (t) => {
  const idp = await startIdp({ tokenTtl: 3, log: () => {} });
  t.after(() => idp.close());
  const env = agentEnv({ KUBEGATE_CLIENT_SECRET: idp.clientSecret('demo-agent') });
  const args = ['--issuer', idp.issuer, '--ca-file', idp.caFile, '--client-id', 'demo-agent'];

  const first = await credential([...args, '--refresh-margin', '1s'], env);
  assertExecCredential(first);
  const exp = decodeJwt(first.token).payload.exp;
  assert.ok(exp - Date.now() / 1000 <= 3);
  const second = await credential([...args, '--refresh-margin', '1s'], env);
  assert.equal(second.token, first.token, 'more than 1 s left: the cached token');
  // Past exp - 1 s the cached token is not handed out any more.
  await new Promise((r) => setTimeout(r, Math.max(0, (exp - 1) * 1000 - Date.now()) + 100));
  const third = await credential([...args, '--refresh-margin', '1s'], env);
  assertExecCredential(third);
  assert.notEqual(third.token, first.token);
  assert.ok(decodeJwt(third.token).payload.exp > exp);

  // A margin longer than the token's whole life: every run asks the IdP (and still succeeds).
  const a = await credential([...args, '--refresh-margin', '10s'], env);
  const b = await credential([...args, '--refresh-margin', '10s'], env);
  assertExecCredential(a);
  assertExecCredential(b);
  assert.notEqual(a.token, b.token);
});

// An HTTPS server that records each request's path and Authorization header and answers /version.
// kubectl talks to it with `kubectl version`, not `get --raw /version`: --raw replaces the whole
// path of the server URL, so it would drop /clusters/<name>/purpose/<purpose>.
async function startRecorder() {
  const pki = new TestPki(scratch('recorder'));
  const cert = pki.server();
  const requests = [];
  const server = https.createServer({ cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key) }, (req, res) => {
    requests.push({ path: req.url.split('?')[0], authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ major: '1', minor: '33', gitVersion: 'v1.33.0-recorder', platform: 'linux/amd64' }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { pki, requests, port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

async function kubectlRun(version, kubeconfig, args, env) {
  return run(kubectlPath(version), ['--kubeconfig', kubeconfig, '--cache-dir', path.join(env.HOME, 'kubectl-cache'), ...args],
    { env, timeoutMs: 60000 });
}

test('kubectl runs the plugin from a kubeconfig written by kubegate kubeconfig', { skip: !kubectlPath('1.33') && 'kubectl.1.33 missing' }, async (t) => {
  const idp = await startIdp({ log: () => {} });
  const recorder = await startRecorder();
  t.after(async () => { await recorder.close(); await idp.close(); });
  const dir = scratch('kubeconfig');
  const kubeconfig = path.join(dir, 'agent.kubeconfig');
  const secretFile = path.join(idp.stateDir, 'clients', 'demo-agent.secret');
  const written = await run(KUBEGATE, ['kubeconfig', '--gateway', `127.0.0.1:${recorder.port}`, '--gateway-ca', recorder.pki.caFile,
    '--cluster', 'demo', '--cluster', 'staging', '--purpose', 'e2e-check', '--issuer', idp.issuer, '--client-id', 'demo-agent',
    '--client-secret-file', secretFile, '--ca-file', idp.caFile, '--output', kubeconfig], { env: agentEnv() });
  assert.equal(written.code, 0, written.stderr);
  assert.equal(written.stdout, '');
  assert.equal(mode(kubeconfig), 0o600);
  const env = agentEnv();

  await t.test('kubectl config view reads it as written', async () => {
    const view = await kubectlRun('1.33', kubeconfig, ['config', 'view', '--raw', '-o', 'json'], env);
    assert.equal(view.code, 0, view.stderr);
    const cfg = JSON.parse(view.stdout);
    assert.equal(cfg['current-context'], 'demo');
    assert.deepEqual(cfg.contexts.map((c) => [c.name, c.context.cluster, c.context.user]), [['demo', 'demo', 'kubegate'], ['staging', 'staging', 'kubegate']]);
    assert.deepEqual(cfg.clusters.map((c) => c.cluster.server), [
      `https://127.0.0.1:${recorder.port}/clusters/demo/purpose/e2e-check`,
      `https://127.0.0.1:${recorder.port}/clusters/staging/purpose/e2e-check`]);
    assert.equal(Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), fs.readFileSync(recorder.pki.caFile, 'utf8'));
    const exec = cfg.users[0].user.exec;
    assert.equal(exec.apiVersion, V1);
    assert.equal(exec.command, fs.realpathSync(KUBEGATE));
    assert.deepEqual(exec.args, ['credential', `--issuer=${idp.issuer}`, '--client-id=demo-agent',
      `--client-secret-file=${secretFile}`, `--ca-file=${idp.caFile}`]);
    assert.equal(exec.interactiveMode, 'Never');
    assert.equal(exec.provideClusterInfo, false);
    assert.ok(!view.stdout.includes(idp.clientSecret('demo-agent')), 'no secret in the kubeconfig');
  });

  await t.test('kubectl 1.33 sends the IdP-issued token as a bearer token', async () => {
    const before = recorder.requests.length;
    const r = await kubectlRun('1.33', kubeconfig, ['version', '-o', 'json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).serverVersion.gitVersion, 'v1.33.0-recorder');
    const seen = recorder.requests.slice(before);
    assert.deepEqual(seen.map((q) => q.path), ['/clusters/demo/purpose/e2e-check/version']);
    const [scheme, token] = seen[0].authorization.split(' ');
    assert.equal(scheme, 'Bearer');
    assertIssuedBy(idp, token, 'demo-agent');
    // The plugin cached what it fetched for kubectl; the next kubectl run gets the same token.
    const again = await kubectlRun('1.33', kubeconfig, ['--context', 'staging', 'version', '-o', 'json'], env);
    assert.equal(again.code, 0, again.stderr);
    const last = recorder.requests[recorder.requests.length - 1];
    assert.equal(last.path, '/clusters/staging/purpose/e2e-check/version');
    assert.equal(last.authorization, `Bearer ${token}`);
  });

  await t.test('kubectl 1.27 with a v1beta1 exec config gets a v1beta1 answer', { skip: !kubectlPath('1.27') && 'kubectl.1.27 missing' }, async () => {
    const beta = path.join(dir, 'beta.kubeconfig');
    fs.writeFileSync(beta, fs.readFileSync(kubeconfig, 'utf8').replace(`"${V1}"`, `"${V1BETA1}"`), { mode: 0o600 });
    const r = await kubectlRun('1.27', beta, ['version', '-o', 'json'], agentEnv());
    assert.equal(r.code, 0, r.stderr);
    const last = recorder.requests[recorder.requests.length - 1];
    assert.match(last.authorization, /^Bearer ey/);
    assertIssuedBy(idp, last.authorization.slice(7), 'demo-agent');
  });

  await t.test('a failing plugin makes kubectl fail with the plugin\'s sentence', async () => {
    const broken = path.join(dir, 'broken.kubeconfig');
    fs.writeFileSync(broken, fs.readFileSync(kubeconfig, 'utf8').replace(secretFile, path.join(dir, 'missing.secret')), { mode: 0o600 });
    const before = recorder.requests.length;
    const r = await kubectlRun('1.33', broken, ['version', '-o', 'json'], agentEnv());
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /kubegate credential: cannot read the client secret file .*missing\.secret/);
    assert.equal(recorder.requests.length, before, 'nothing was sent without a token');
  });
});

// kubernetes-mcp-server (client-go, the way an AI agent's host runs it) with a kubeconfig from
// `kubegate kubeconfig`: it runs `kubegate credential`, the IdP's token reaches the gateway, and
// the cluster sees the agent's OIDC identity, impersonated.
test('kubernetes-mcp-server works through the gateway with a kubeconfig written by kubegate kubeconfig',
  { skip: !mcpAvailable() && 'kubernetes-mcp-server is not installed (scripts/install-deps.sh)', timeout: 120000 }, async (t) => {
    const idp = await startIdp({ log: () => {} });
    const gw = await startGateway({ extraAuth: idpAuthentication(idp) });
    t.after(async () => { await gw.stop(); await idp.close(); });
    const home = scratch('mcp-home');
    const kubeconfig = path.join(home, 'agent.kubeconfig');
    const written = await run(KUBEGATE, ['kubeconfig', '--gateway', `127.0.0.1:${gw.port}`, '--gateway-ca', gw.pki.caFile,
      '--cluster', 'demo', '--purpose', 'mcp-check', '--issuer', idp.issuer, '--ca-file', idp.caFile, '--client-id', 'demo-agent',
      '--client-secret-file', path.join(idp.stateDir, 'clients', 'demo-agent.secret'), '--output', kubeconfig], { env: agentEnv() });
    assert.equal(written.code, 0, written.stderr);

    const mcp = new McpClient(kubeconfig, home);
    t.after(() => mcp.close());
    const init = await mcp.initialize();
    assert.equal(init.serverInfo.name, 'kubernetes-mcp-server');
    const before = readRequestLog(gw.sim).length;
    const pods = await mcp.callTool('pods_list_in_namespace', { namespace: 'staging' });
    assert.equal(pods.isError, false, `${pods.text}\n${mcp.stderr.slice(-2000)}`);
    assert.match(pods.text, /^staging\s+v1\s+Pod\s+api-\S+\s/m);
    const name = /^staging\s+v1\s+Pod\s+(api-\S+)\s/m.exec(pods.text)[1];
    const pod = await mcp.callTool('resources_get', { apiVersion: 'v1', kind: 'Pod', namespace: 'staging', name });
    assert.equal(pod.isError, false, pod.text);
    assert.match(pod.text, new RegExp(`name: ${name}`));
    const denied = await mcp.callTool('resources_get', { apiVersion: 'v1', kind: 'Secret', namespace: 'production', name: 'db-credentials' });
    assert.equal(denied.isError, true, 'the agent\'s own RBAC applies: no secrets in production');

    const seen = readRequestLog(gw.sim).slice(before);
    const wanted = [`/api/v1/namespaces/staging/pods`, `/api/v1/namespaces/staging/pods/${name}`];
    for (const p of wanted) assert.ok(seen.some((l) => l.path === p), `${p} reached the cluster: ${seen.map((l) => l.path)}`);
    for (const l of seen) {
      assert.equal(l.user, 'demo-agent', `${l.path} ran as the OIDC identity`);
      assert.deepEqual(l.groups, ['agents', 'system:authenticated']);
      assert.equal(l.impersonatedBy, 'kubegate');
    }
  });

test('kubegate kubeconfig lists the gateway config\'s clusters and checks its input', async () => {
  const dir = scratch('kubeconfig-config');
  const configFile = path.join(dir, 'kubegate.yaml');
  fs.writeFileSync(configFile, `tls: {certFile: /nonexistent/tls.crt, keyFile: /nonexistent/tls.key}
clusters:
  - {name: prod-eu, server: "https://10.0.0.1:6443", caFile: /x/ca.crt, credentials: {tokenFile: /x/t}}
  - {name: "on", server: "https://10.0.0.2:6443", caFile: /x/ca.crt, credentials: {tokenFile: /x/t}}
`);
  const r = await run(KUBEGATE, ['kubeconfig', '--config', configFile, '--gateway', 'gw.example:8443', '--token-file',
    '/var/run/secrets/tokens/kubegate'], { env: agentEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /server: "https:\/\/gw\.example:8443\/clusters\/prod-eu"/);
  assert.match(r.stdout, /server: "https:\/\/gw\.example:8443\/clusters\/on"/);
  assert.match(r.stdout, /current-context: "prod-eu"/);
  assert.match(r.stdout, /- "--token-file=\/var\/run\/secrets\/tokens\/kubegate"/);
  if (kubectlPath('1.33')) {
    const file = path.join(dir, 'out.kubeconfig');
    fs.writeFileSync(file, r.stdout);
    const env = agentEnv();
    const view = await kubectlRun('1.33', file, ['config', 'get-contexts', '-o', 'name'], env);
    assert.equal(view.code, 0, view.stderr);
    assert.deepEqual(view.stdout.trim().split('\n').sort(), ['on', 'prod-eu']);
  }

  for (const [args, message] of [
    [['--gateway', 'gw:8443', '--purpose', 'Fix_DNS'], /purpose 'Fix_DNS' is not 1 to 63 characters/],
    [['--gateway', 'gw:8443', '--purpose', 'x'.repeat(64)], /is not 1 to 63 characters/],
    [['--gateway', 'https://gw.example:8443/clusters'], /--gateway must be HOST:PORT/],
    [['--gateway', 'gw:8443', '--cluster', 'Prod'], /cluster name 'Prod' is not lowercase/],
    [['--gateway', 'gw:8443', '--gateway-ca', configFile], /holds no PEM certificate/],
  ]) {
    const bad = await run(KUBEGATE, ['kubeconfig', '--cluster', 'demo', '--token-file', '/t', ...args], { env: agentEnv() });
    assert.equal(bad.code, 1, args.join(' '));
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, message);
  }
});
