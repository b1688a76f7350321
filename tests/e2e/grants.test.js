'use strict';
// Issue 8's just-in-time grants: an agent asks `kubegate request` for a time-boxed scope, a
// reviewer approves it with `kubegate review`, and the grant then acts as an extra allow rule for
// that agent alone until it ends: it lets the agent patch a deployment for its window and not after,
// an exec opened under it is cut when it ends, it never overrides a deny rule, and it is on the record.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startGateway, tokenKubeconfig: sharedTokenKubeconfig, KUBEGATE, run, idpAuthentication } = require('./support/gateway');
const { startIdp } = require('../../testing/idp/lib/idp');
const { kubectlPath, tempDir } = require('../../testing/kube-sim/test/support/harness');

const POLICY = `rules:
  - id: no-deployment-deletes
    effect: deny
    message: deployments are not deleted through the gateway
    match: {verbs: [delete], resources: [deployments]}
  - id: review-exec
    effect: review
    message: exec needs an approval
    match: {subjects: {groups: [agents]}, resources: [pods/exec]}
    review: {approverGroups: [reviewers], approvals: 1, mode: retry, ttl: 5m}
  - id: agents-read
    effect: allow
    match: {subjects: {groups: [agents]}, verbs: [get, list, watch]}
  - {id: admins, effect: allow, match: {subjects: {groups: ['agents:admin']}}}
`;
const KUBECTL = kubectlPath('1.33') ? '1.33' : '1.27';


let idp;
let gw;
let agent;
let otherAgent;
let reviewer;
let admin;

const tokenKubeconfig = (name, clientId, groups) => sharedTokenKubeconfig(gw, idp, name, clientId, groups);

const kubectl = (kubeconfig, args) => run(kubectlPath(KUBECTL), ['--kubeconfig', kubeconfig, '-n', 'staging', ...args]);
const review = (args) => run(KUBEGATE, ['review', ...args, '--kubeconfig', reviewer, '--admin', `http://127.0.0.1:${gw.adminPort}`]);

async function requestGrant(kubeconfig, args) {
  const r = await run(KUBEGATE, ['request', '--kubeconfig', kubeconfig, '-n', 'staging', '-o', 'json', ...args]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return JSON.parse(r.stdout);
}

async function approvedGrant(args) {
  const grant = await requestGrant(agent, args);
  assert.equal(grant.state, 'pending');
  assert.equal(grant.kind, 'grant');
  const approved = await review(['approve', grant.id, '--reason', 'ok for the task']);
  assert.equal(approved.code, 0, approved.stdout + approved.stderr);
  return grant;
}

const scale = (kubeconfig, replicas) =>
  kubectl(kubeconfig, ['patch', 'deployment', 'web', '--type=merge', '-p', `{"spec":{"replicas":${replicas}}}`]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  idp = await startIdp({
    tokenTtl: 600,
    clients: [
      { clientId: 'agent', groups: ['agents'], authMethod: 'client_secret_basic' },
      { clientId: 'other-agent', groups: ['agents'], authMethod: 'client_secret_basic' },
      { clientId: 'reviewer', groups: ['reviewers'], authMethod: 'client_secret_basic' },
    ],
  });
  const dir = tempDir('grants');
  gw = await startGateway({
    policy: POLICY,
    extraAuth: idpAuthentication(idp),
    extraConfig: `approvals:
  database: ${path.join(dir, 'approvals.db')}
  grants: {approverGroups: [reviewers], approvals: 1, maxDuration: 1h}
`,
  });
  agent = await tokenKubeconfig('agent', 'agent', ['agents']);
  otherAgent = await tokenKubeconfig('other-agent', 'other-agent', ['agents']);
  reviewer = await tokenKubeconfig('reviewer', 'reviewer', ['reviewers']);
  admin = gw.kubeconfigFor('admin', ['agents:admin']);
  const created = await kubectl(admin, ['create', 'deployment', 'web', '--image=nginx:1.25']);
  assert.equal(created.code, 0, created.stderr);
  const pod = await kubectl(admin, ['run', 'shell', '--image=busybox:1.36', '--restart=Never']);
  assert.equal(pod.code, 0, pod.stderr);
});

test.after(async () => {
  if (gw) await gw.stop();
  if (idp) await idp.close();
});

test('a grant lets the agent patch a deployment for its window, and not after', { timeout: 90000 }, async () => {
  const before = await scale(agent, 2);
  assert.notEqual(before.code, 0, 'no rule allows the patch before the grant');
  assert.match(before.stderr, /Forbidden|forbidden/);

  const asked = await requestGrant(agent, ['--verbs', 'get,patch', '--resources', 'deployments', '--for', '8s',
                                          '--reason', 'scale web for the load test']);
  assert.match(asked.decideCommand, new RegExp(`kubegate review approve ${asked.id}`));
  const pending = await scale(agent, 2);
  assert.notEqual(pending.code, 0, 'a pending grant lets nothing through');

  const shown = await review(['show', asked.id]);
  assert.match(shown.stdout, /just-in-time grant/);
  assert.match(shown.stdout, /grant get,patch deployments in staging on \S+ for 8s/);
  assert.match(shown.stdout, /scale web for the load test/);
  assert.equal((await review(['approve', asked.id])).code, 0);
  const startedAt = Date.now();

  const during = await scale(agent, 3);
  assert.equal(during.code, 0, during.stderr);
  const replicas = await kubectl(admin, ['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']);
  assert.equal(replicas.stdout, '3');
  const other = await scale(otherAgent, 4);
  assert.notEqual(other.code, 0, "another agent does not share the grant");
  const deleted = await kubectl(agent, ['delete', 'deployment', 'web']);
  assert.notEqual(deleted.code, 0, 'patch was granted, delete was not');

  await sleep(Math.max(0, 8000 - (Date.now() - startedAt)) + 500);
  const after = await scale(agent, 5);
  assert.notEqual(after.code, 0, 'the grant ended');
  assert.match(after.stderr, /Forbidden|forbidden/);
  const status = JSON.parse((await run(KUBEGATE, ['request', '--kubeconfig', agent, '--status', asked.id, '-o', 'json'])).stdout);
  assert.equal(status.state, 'approved');
  assert.ok(Date.parse(status.usableUntil) <= Date.now());
});

test('a grant never overrides a deny rule', async () => {
  await approvedGrant(['--verbs', 'delete', '--resources', 'deployments', '--for', '5m', '--reason', 'try to delete']);
  const r = await kubectl(agent, ['delete', 'deployment', 'web']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /deployments are not deleted through the gateway/);
});

test('an exec opened under a grant is cut when the grant ends', { timeout: 90000 }, async () => {
  const held = await kubectl(agent, ['exec', 'shell', '--', 'echo', 'hi']);
  assert.notEqual(held.code, 0, 'without a grant exec needs an approval');
  assert.match(held.stderr, /exec needs an approval/);
  await approvedGrant(['--verbs', 'create', '--resources', 'pods/exec', '--for', '6s', '--reason', 'debug the shell pod']);
  const quick = await kubectl(agent, ['exec', 'shell', '--', 'echo', 'under-grant']);
  assert.equal(quick.code, 0, quick.stderr);
  assert.match(quick.stdout, /under-grant/);
  const started = Date.now();
  const long = await kubectl(agent, ['exec', 'shell', '--', 'sleep', '60']);
  const seconds = (Date.now() - started) / 1000;
  assert.notEqual(long.code, 0, 'the exec did not run to its end');
  assert.ok(seconds < 20, `cut at the grant's end, not after ${seconds}s`);
});

test('grant requests are checked, refused clearly, and on the record', async () => {
  const star = await run(KUBEGATE, ['request', '--kubeconfig', agent, '-n', 'staging', '--verbs', '*',
                                    '--resources', 'deployments', '--for', '5m', '--reason', 'all']);
  assert.equal(star.code, 1);
  assert.match(star.stderr, /'\*' is not accepted/);
  const long = await run(KUBEGATE, ['request', '--kubeconfig', agent, '-n', 'staging', '--verbs', 'get',
                                    '--resources', 'deployments', '--for', '2h', '--reason', 'long']);
  assert.equal(long.code, 1);
  assert.match(long.stderr, /above the longest grant/);
  const mine = await requestGrant(agent, ['--verbs', 'get', '--resources', 'configmaps', '--for', '1m', '--reason', 'x']);
  const theirs = await run(KUBEGATE, ['request', '--kubeconfig', otherAgent, '--status', mine.id]);
  assert.equal(theirs.code, 1, "another agent cannot read this agent's grant");
  const self = await run(KUBEGATE, ['review', 'approve', mine.id, '--kubeconfig', agent, '--admin', `http://127.0.0.1:${gw.adminPort}`]);
  assert.notEqual(self.code, 0, 'an agent does not approve its own grant');

  const q = await run(KUBEGATE, ['audit', 'query', '--config', gw.configFile, '-o', 'json', '--limit', '100000']);
  assert.equal(q.code, 0, q.stderr);
  const entries = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const granted = entries.filter((e) => e.request && e.request.decision && /^grant:apr-/.test(e.request.decision.rule));
  assert.ok(granted.some((e) => e.request.verb === 'patch' || (e.request.request && e.request.request.method === 'PATCH')),
            'the patch let through by the grant names the grant as its rule');
  assert.ok(granted.every((e) => e.request.approval && e.request.decision.rule === `grant:${e.request.approval}`));
  const asks = entries.filter((e) => e.request && e.request.answer && e.request.answer.status === 201);
  assert.ok(asks.length >= 3, 'grant requests are recorded as answered by the gateway');
});
