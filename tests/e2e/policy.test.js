'use strict';
// Guardrails in the request path (issue 5): what the policy refuses gets a 403 Status naming the
// rule, is logged with its decision, and never reaches the cluster; reloads swap policies safely.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const https = require('node:https');
const { startGateway } = require('./support/gateway');
const { readRequestLog } = require('../../testing/kube-sim/test/support/harness');

const POLICY = `rules:
  - id: no-privileged
    effect: deny
    message: privileged containers are not allowed
    match: {verbs: [create, update, patch], resources: [pods]}
    when: {path: "spec.containers[*].securityContext.privileged", equals: true}
  - id: exec-needs-review
    effect: review
    message: exec is reviewed
    match: {resources: [pods/exec]}
    review: {approverGroups: [sre]}
  - id: agents-work-in-staging
    effect: allow
    match: {namespaces: [staging]}
`;

function send(gw, cert, method, path, { body, contentType = 'application/json' } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(`${gw.url}${path}`, {
      method, ca: fs.readFileSync(gw.pki.caFile), cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key),
      agent: false, headers: body ? { 'content-type': contentType } : {},
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const requestLines = (gw) => gw.log().split('\n').filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l).log);
const reached = (gw, method, path) => readRequestLog(gw.sim).filter((r) => r.method === method && r.path === path).length;

function pod(name, privileged) {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { containers: [{ name: 'c', image: 'busybox', securityContext: privileged ? { privileged: true } : {} }] },
  });
}

test('a denied request gets a 403 Status naming the rule, is logged with it, and never reaches the cluster', async (t) => {
  const gw = await startGateway({ policy: POLICY });
  t.after(() => gw.stop());
  const cert = gw.pki.client('policy-agent', ['agents:admin']);
  const podsPath = '/api/v1/namespaces/staging/pods';

  const refused = await send(gw, cert, 'POST', podsPath, { body: pod('root', true) });
  assert.equal(refused.status, 403);
  const status = JSON.parse(refused.body);
  assert.equal(status.kind, 'Status');
  assert.equal(status.reason, 'Forbidden');
  assert.match(status.message, /forbidden by policy \(rule no-privileged\): privileged containers are not allowed/);
  assert.equal(reached(gw, 'POST', podsPath), 0, 'the privileged pod never reached the cluster');

  const created = await send(gw, cert, 'POST', podsPath, { body: pod('plain', false) });
  assert.equal(created.status, 201, created.body);
  assert.equal(reached(gw, 'POST', podsPath), 1);

  // The line is written once the response is out, so it can trail the client's view a little.
  for (let i = 0; i < 100 && requestLines(gw).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  const lines = requestLines(gw);
  const denial = lines.find((l) => l.status === 403);
  assert.equal(denial.decision, 'deny');
  assert.equal(denial.rule, 'no-privileged');
  assert.match(denial.policy, /^sha256:[0-9a-f]{64}$/);
  const allowed = lines.find((l) => l.status === 201);
  assert.equal(allowed.decision, 'allow');
  assert.equal(allowed.rule, 'agents-work-in-staging');

  const elsewhere = await send(gw, cert, 'GET', '/api/v1/namespaces/production/pods');
  assert.equal(elsewhere.status, 403);
  assert.match(JSON.parse(elsewhere.body).message, /rule builtin:default-deny/);
  assert.equal(reached(gw, 'GET', '/api/v1/namespaces/production/pods'), 0);
});

test('review answers "requires approval"; a body the gateway cannot read is refused, never guessed', async (t) => {
  const gw = await startGateway({ policy: POLICY });
  t.after(() => gw.stop());
  const cert = gw.pki.client('policy-agent', ['agents:admin']);
  const exec = await send(gw, cert, 'POST', '/api/v1/namespaces/staging/pods/api-0/exec?command=id&stdout=true');
  assert.equal(exec.status, 403);
  assert.match(JSON.parse(exec.body).message, /requires approval \(rule exec-needs-review\): exec is reviewed/);

  // Duplicate members: Go keeps the last one, a naive reader the first; the gateway refuses both readings.
  const sneaky = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","image":"i",' +
    '"securityContext":{"privileged":false,"privileged":true}}]}}';
  const refused = await send(gw, cert, 'POST', '/api/v1/namespaces/staging/pods', { body: sneaky });
  assert.equal(refused.status, 403);
  assert.match(JSON.parse(refused.body).message, /rule no-privileged.*request body/);
  assert.equal(reached(gw, 'POST', '/api/v1/namespaces/staging/pods'), 0);
});

test('without a policy every request is refused; SIGHUP swaps in a valid policy and keeps it over a broken one', async (t) => {
  const gw = await startGateway({ policy: null });
  t.after(() => gw.stop());
  const cert = gw.pki.client('policy-agent', ['agents:admin']);
  const path = '/api/v1/namespaces/staging/pods';
  const none = await send(gw, cert, 'GET', path);
  assert.equal(none.status, 403);
  assert.match(JSON.parse(none.body).message, /no policy configured/);
  assert.equal(reached(gw, 'GET', path), 0);

  const policyFile = `${gw.dir}/reloaded-policy.yaml`;
  fs.writeFileSync(policyFile, POLICY);
  fs.appendFileSync(gw.configFile, `policy: {file: ${policyFile}}\n`);
  gw.child.kill('SIGHUP');
  const until = async (what, fn) => {
    for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      if (await fn()) return;
    }
    assert.fail(`timed out waiting for ${what}`);
  };
  await until('the new policy', async () => (await send(gw, cert, 'GET', path)).status === 200);

  fs.writeFileSync(policyFile, `${POLICY}  - id: broken\n    effect: maybe\n`);
  gw.child.kill('SIGHUP');
  await until('the reload failure', () => /config reload failed; the running config stays.*policy/.test(gw.log()));
  assert.equal((await send(gw, cert, 'GET', path)).status, 200, 'the running policy stays');
});
