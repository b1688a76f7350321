'use strict';
// Issue 3's acceptance, parity part: every kubectl scenario of issue 2 (kube-sim's
// test/support/scenarios.js) with kubectl 1.27, 1.30, 1.31 and 1.33, run twice: straight to a
// kube-sim as its admin, and through kubegate as an agent (client certificate, group agents:admin,
// which the demo seed makes cluster-admin). After `normalize` the outputs must be identical; only
// `auth whoami` differs, and it must name the agent. Then the python client and
// kubernetes-mcp-server the same way, and kube-sim's request log: every request that came through
// the gateway ran as the impersonated agent, never with the client's own credentials or headers.
//
// Each side gets its own fresh kube-sim (same seed, same emulated version), so scenarios that
// write see the same starting state on both sides.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const https = require('node:https');
const { startGateway } = require('./support/gateway');
const harness = require('../../testing/kube-sim/test/support/harness');
const { SCENARIOS, normalize, kubectlRunner } = require('../../testing/kube-sim/test/support/scenarios');
const { McpClient, mcpAvailable } = require('../../testing/kube-sim/test/support/mcp');

const { startSim, kubectlPath, readRequestLog, tempDir, MATRIX, KUBECTL_DIR } = harness;
const AGENT = { user: 'agent-1', groups: ['agents:admin'] };
const VIEWER = { user: 'viewer-agent', groups: ['viewers'] }; // `view` in the demo seed, for can-i's "no"
const PYTHON = '/usr/bin/python3';
const PYTHON_CLIENT = path.join(__dirname, '..', '..', 'testing', 'kube-sim', 'test', 'support', 'python_client.py');

// Parity is about the gateway being transparent, so it runs with a default masking profile that
// masks nothing (secrets and env values in these scenarios would differ otherwise);
// masking.test.js covers masking with every client.
const REVEALING_DEFAULT = `masking:
  defaultProfile: transparent
  profiles:
    transparent: {secretValues: false, lastAppliedConfiguration: false, envNames: [], configMapKeys: [], detectors: [], streams: false}
`;

// A kube-sim for direct use and kubegate in front of a second one, both emulating `emulatedVersion`.
// The test owns both kube-sims, so that a gateway that fails to start leaks no listening server
// (which would keep this file's process alive after its tests failed).
async function startPair(emulatedVersion) {
  const direct = await startSim({ emulatedVersion });
  const behind = await startSim({ emulatedVersion });
  let gw;
  try {
    gw = await startGateway({ sim: behind, emulatedVersion, extraConfig: REVEALING_DEFAULT });
  } catch (e) {
    await Promise.all([direct.close(), behind.close()]);
    throw e;
  }
  return {
    direct, gw, startedAt: Date.now(),
    kubeconfigs: {
      direct: { admin: direct.adminKubeconfig, viewer: direct.kubeconfigFor('viewer') },
      gateway: { admin: gw.kubeconfigFor(AGENT.user, AGENT.groups), viewer: gw.kubeconfigFor(VIEWER.user, VIEWER.groups) },
    },
    async stop() { await gw.stop(); await Promise.all([direct.close(), behind.close()]); },
  };
}

// whoami names the caller: kube-sim's admin directly, the agent through kubegate (with the
// gateway's session id as an extra). Everything else about it must match.
function checkWhoami(direct, through) {
  assert.deepEqual(direct.table.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/)), [
    ['ATTRIBUTE', 'VALUE'], ['Username', 'kube-sim-admin'], ['Groups', '[system:masters system:authenticated]']]);
  assert.equal(through.table.code, 0, through.table.stderr);
  assert.equal(through.table.stderr, '');
  const rows = through.table.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/));
  assert.deepEqual(rows.slice(0, 3), [
    ['ATTRIBUTE', 'VALUE'], ['Username', AGENT.user], ['Groups', `[${AGENT.groups.join(' ')} system:authenticated]`]]);
  assert.ok(rows.slice(3).every((r) => r[0].startsWith('Extra: ')), through.table.stdout);
  assert.equal(through.json.code, 0, through.json.stderr);
  const info = JSON.parse(through.json.stdout).status.userInfo;
  assert.deepEqual([info.username, info.groups], [AGENT.user, [...AGENT.groups, 'system:authenticated']]);
  assert.equal(JSON.parse(direct.json.stdout).kind, JSON.parse(through.json.stdout).kind);
}

// Every request kube-sim logged came through kubegate: the gateway's token authenticated it, and it
// ran as one of the agents it impersonated. `users` names the agents allowed to appear.
function assertOnlyImpersonatedAgents(sim, users) {
  const log = readRequestLog(sim);
  assert.ok(log.length > 0, 'requests reached kube-sim');
  const bad = log.filter((l) => !users.includes(l.user) || l.impersonatedBy !== 'kubegate' || l.authScheme !== 'Bearer');
  assert.deepEqual(bad.map((l) => `${l.method} ${l.path} user=${l.user} by=${l.impersonatedBy} auth=${l.authScheme}`), [],
    'every request ran as an impersonated agent, authenticated by the gateway\'s token');
  for (const l of log) {
    const want = l.user === AGENT.user ? AGENT.groups : VIEWER.groups;
    assert.deepEqual(l.groups.filter((g) => g !== 'system:authenticated'), want, `${l.method} ${l.path} groups`);
  }
  return log;
}

// Runs one scenario on both sides and compares. kubectl 1.27's whoami needs a 1.27 server (it
// only knows v1beta1 SelfSubjectReview), so it gets a pair of its own.
async function compareScenario(name, version, ctx) {
  let pair = ctx.pair;
  let own = null;
  if (name === 'auth whoami' && version === '1.27') pair = own = await startPair('1.27');
  try {
    const direct = await SCENARIOS[name](kubectlRunner(ctx.bin, pair.kubeconfigs.direct), { dir: ctx.dir });
    const through = await SCENARIOS[name](kubectlRunner(ctx.bin, pair.kubeconfigs.gateway), { dir: ctx.dir });
    if (name === 'auth whoami') checkWhoami(direct, through);
    else assert.deepEqual(normalize(through), normalize(direct), `${name}: through kubegate (actual) vs direct (expected)`);
    if (own) assertOnlyImpersonatedAgents(own.gw.sim, [AGENT.user]);
  } finally {
    if (own) await own.stop();
  }
}

// The client sends credentials and identity headers of its own (an admin token, impersonation of
// system:masters, Connection naming Impersonate-User so a naive proxy drops the gateway's own
// impersonation): kube-sim must still see the agent, authenticated by the gateway's token.
function smuggleThrough(gw, cert) {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return new Promise((resolve, reject) => {
    const req = https.request(`${gw.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
      method: 'POST',
      ca: fs.readFileSync(gw.pki.caFile), cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key),
      headers: {
        'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
        Authorization: `Bearer ${gw.sim.tokenOf('kube-admin')}`,
        'Impersonate-User': 'kube-admin', 'Impersonate-Group': 'system:masters', 'Impersonate-Extra-Scopes': 'all',
        'X-Remote-User': 'kube-admin', 'X-Remote-Group': 'system:masters',
        Connection: 'keep-alive, Impersonate-User',
      },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(15000, () => req.destroy(new Error('no answer from kubegate within 15s')));
    req.end(body);
  });
}

async function checkRequestLog(pair, version) {
  const log = assertOnlyImpersonatedAgents(pair.gw.sim, [AGENT.user, VIEWER.user]);
  // The streams came through too, as the agent: exec, attach and port-forward upgraded, logs followed.
  for (const sub of ['exec', 'attach', 'portforward', 'log']) {
    assert.ok(log.some((l) => l.subresource === sub && l.code === (sub === 'log' ? 200 : 101)), `a ${sub} request reached kube-sim`);
  }
  // kubectl 1.32+ sends protobuf bodies; kubegate passes them through untouched.
  const post = log.find((l) => l.method === 'POST' && l.resource === 'secrets' && l.name === '' && l.code === 201);
  assert.equal(post && post.contentType, version >= '1.32' ? 'application/vnd.kubernetes.protobuf' : 'application/json');

  const before = readRequestLog(pair.gw.sim).length;
  const asMallory = await kubectlRunner(kubectlPath(version), pair.kubeconfigs.gateway)(
    ['auth', 'whoami', '--as=mallory', '--as-group=system:masters']);
  assert.doesNotMatch(asMallory.stdout, /mallory|system:masters/, 'kubectl --as did not reach the cluster');
  const smuggled = await smuggleThrough(pair.gw, pair.gw.pki.client(AGENT.user, AGENT.groups));
  assert.equal(smuggled.status, 201, smuggled.body);
  assert.equal(JSON.parse(smuggled.body).status.userInfo.username, AGENT.user);
  const after = assertOnlyImpersonatedAgents(pair.gw.sim, [AGENT.user, VIEWER.user]).slice(before);
  assert.ok(after.length >= 2, 'both requests reached kube-sim');
  assert.ok(after.every((l) => !JSON.stringify(l).includes('mallory') && !l.groups.includes('system:masters')));
}

for (const version of MATRIX) {
  test(`kubectl ${version}: every scenario gives the same output through kubegate as direct`, { timeout: 300000 }, async (t) => {
    const bin = kubectlPath(version);
    if (!bin) return t.skip(`kubectl.${version} is not installed in ${KUBECTL_DIR}: its scenarios did not run`);
    const pair = await startPair('1.33');
    const dir = tempDir(`parity-${version}`);
    t.after(async () => { await pair.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
    const ctx = { pair, bin, dir };
    for (const name of Object.keys(SCENARIOS)) {
      await t.test(name, { timeout: 90000 }, () => compareScenario(name, version, ctx));
    }
    await t.test('kube-sim saw only the impersonated agents, never the client\'s credentials or identity headers',
      { timeout: 60000 }, () => checkRequestLog(pair, version));
  });
}

// ---- python3-kubernetes and kubernetes-mcp-server -------------------------------------------

function runPython(kubeconfig, home) {
  return harness.run(PYTHON, [PYTHON_CLIENT, kubeconfig, 'list', 'watch', 'secret', 'exec'],
    { timeoutMs: 60000, env: { PATH: process.env.PATH, HOME: home } });
}

function pythonSteps(res) {
  const steps = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return Object.fromEntries(steps.map((s) => [s.step, s]));
}

async function pythonParity(pair, home) {
  const [direct, through] = [await runPython(pair.kubeconfigs.direct.admin, home), await runPython(pair.kubeconfigs.gateway.admin, home)];
  const d = pythonSteps(direct);
  const g = pythonSteps(through);
  for (const name of ['list', 'watch', 'secret', 'exec']) {
    assert.equal(d[name] && d[name].ok, true, `direct ${name}: ${JSON.stringify(d[name])} ${direct.stderr.slice(-1500)}`);
    assert.equal(g[name] && g[name].ok, true, `through kubegate ${name}: ${JSON.stringify(g[name])} ${through.stderr.slice(-1500)}`);
  }
  assert.deepEqual(normalize(g), normalize(d));
  assert.equal(g.exec.result.stdout, 'app_user');
  assert.deepEqual(g.watch.result.events.at(-1), ['ADDED', 'from-python']);
}

async function mcpCall(kubeconfig, home, calls) {
  const mcp = new McpClient(kubeconfig, home);
  try {
    await mcp.initialize();
    const out = {};
    for (const [key, tool, args] of calls) out[key] = await mcp.callTool(tool, args);
    return out;
  } finally {
    mcp.close();
  }
}

async function mcpParity(pair, home) {
  // With the pods at least 3 s old, the last two log lines are both the app's request lines on
  // either side, whatever the exact moment of each call.
  await new Promise((r) => setTimeout(r, Math.max(0, pair.startedAt + 3000 - Date.now())));
  const calls = [['list', 'pods_list', {}], ['log', 'pods_log', { namespace: 'production', name: 'web-7d9f8b6c5d-x2k4p', tail: 2 }]];
  const direct = await mcpCall(pair.kubeconfigs.direct.admin, home, calls);
  const through = await mcpCall(pair.kubeconfigs.gateway.admin, home, calls);
  assert.equal(through.list.isError, false, through.list.text);
  assert.match(through.list.text, /^production\s+v1\s+Pod\s+web-7d9f8b6c5d-x2k4p\s+1\/1\s+Running\s/m);
  assert.equal(through.log.isError, false, through.log.text);
  assert.equal(through.log.text.trim().split('\n').length, 2, through.log.text);
  assert.deepEqual(normalize(through), normalize(direct));
}

test('python3-kubernetes and kubernetes-mcp-server give the same results through kubegate as direct', { timeout: 180000 }, async (t) => {
  const pair = await startPair('1.33');
  const home = tempDir('clients-home');
  t.after(async () => { await pair.stop(); fs.rmSync(home, { recursive: true, force: true }); });
  await t.test('python3-kubernetes: list, watch, read a secret, exec (v4 WebSocket)', { timeout: 90000 }, (st) => {
    if (!fs.existsSync(PYTHON) || !fs.existsSync('/usr/lib/python3/dist-packages/kubernetes')) {
      return st.skip('Debian python3-kubernetes is not installed (apt-get install python3-kubernetes)');
    }
    return pythonParity(pair, home);
  });
  await t.test('kubernetes-mcp-server: pods_list, pods_log', { timeout: 90000 }, (st) => {
    if (!mcpAvailable()) return st.skip('kubernetes-mcp-server is not installed (npm ci in testing/kube-sim)');
    return mcpParity(pair, home);
  });
  await t.test('kube-sim saw only the impersonated agent', () => { assertOnlyImpersonatedAgents(pair.gw.sim, [AGENT.user]); });
});
