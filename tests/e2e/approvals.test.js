'use strict';
// Issue 8's acceptance: a request a review rule holds waits for a reviewer's decision on exactly
// that request. kubectl (1.27 and 1.33) `delete pod` is held, approved with `kubegate review` by a
// reviewer whose token comes from the real IdP, and completes; denied, kubectl prints the
// reviewer's reason; undecided, it fails with a clear message. Self-approval is refused, one person
// counts once, concurrent decisions leave one outcome, retry mode binds the approval to the body and
// lets the request through once, the webhook receiver gets signed notices (a failing one is
// retried), and pending approvals survive a restart.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startGateway, tokenKubeconfig: sharedTokenKubeconfig, KUBEGATE, run, idpAuthentication } = require('./support/gateway');
const { startIdp } = require('../../testing/idp/lib/idp');
const { kubectlPath, tempDir } = require('../../testing/kube-sim/test/support/harness');

const POLICY = `rules:
  - id: review-pod-deletes
    effect: review
    message: deleting pods needs an approval
    match: {subjects: {groups: [agents]}, verbs: [delete], resources: [pods]}
    review: {approverGroups: [reviewers], approvals: 1, mode: hold, ttl: 5m}
  - id: review-configmap-writes
    effect: review
    message: configmap writes need an approval
    match: {subjects: {groups: [agents]}, verbs: [create, update, patch], resources: [configmaps]}
    review: {approverGroups: [reviewers], approvals: 1, mode: retry, ttl: 5m}
  - id: review-secret-creates
    effect: review
    message: secrets need two approvals
    match: {subjects: {groups: [agents]}, verbs: [create], resources: [secrets]}
    review: {approverGroups: [reviewers, sre], approvals: 2, mode: retry, ttl: 5m}
  - {id: allow-agents, effect: allow, match: {subjects: {groups: [agents]}}}
`;
const HOLD_SECONDS = 8;
const WEBHOOK_SECRET = 'webhook-test-secret';


// A webhook receiver that keeps every notice with its headers; `failFirst` answers 500 that many times.
async function startReceiver({ failFirst = 0 } = {}) {
  const notices = [];
  let failures = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (failures < failFirst) {
        failures += 1;
        res.writeHead(500).end();
        return;
      }
      notices.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { notices, url: `http://127.0.0.1:${server.address().port}/hook`, attempts: () => failures + notices.length,
           close: () => new Promise((r) => server.close(r)) };
}

let idp;
let gw;
let receiver;
let secretFile;
let agentKubeconfig;
let reviewerKubeconfig;
let reviewer2Kubeconfig;

// A kubeconfig holding a token minted by the real IdP for `clientId` (what `kubegate review` reads).
const tokenKubeconfig = (name, clientId, groups) => sharedTokenKubeconfig(gw, idp, name, clientId, groups);

function review(kubeconfig, args) {
  return run(KUBEGATE, ['review', ...args, '--kubeconfig', kubeconfig, '--admin', `http://127.0.0.1:${gw.adminPort}`]);
}

async function pendingApprovals() {
  const r = await review(reviewerKubeconfig, ['list', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).items.filter((a) => a.state === 'pending');
}

// The id of the approval a request just opened, from the reviewers' list.
async function waitForPending(predicate = () => true) {
  for (let i = 0; i < 100; i++) {
    const found = (await pendingApprovals()).find(predicate);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no pending approval appeared');
}

function kubectl(version, args, kubeconfig = agentKubeconfig) {
  return run(kubectlPath(version), ['--kubeconfig', kubeconfig, ...args], { timeoutMs: (HOLD_SECONDS + 30) * 1000 });
}

test.before(async () => {
  idp = await startIdp({
    tokenTtl: 600,
    clients: [
      { clientId: 'reviewer', groups: ['reviewers'], authMethod: 'client_secret_basic' },
      { clientId: 'reviewer-2', groups: ['reviewers', 'sre'], authMethod: 'client_secret_basic' },
      { clientId: 'agent-reviewer', groups: ['agents', 'reviewers'], authMethod: 'client_secret_basic' },
    ],
  });
  receiver = await startReceiver({ failFirst: 1 });
  const dir = tempDir('approvals');
  secretFile = path.join(dir, 'webhook.secret');
  fs.writeFileSync(secretFile, `${WEBHOOK_SECRET}\n`);
  gw = await startGateway({
    policy: POLICY,
    extraAuth: idpAuthentication(idp),
    extraConfig: `approvals:
  database: ${path.join(dir, 'approvals.db')}
  holdTimeout: ${HOLD_SECONDS}s
  notify:
    - {format: generic, url: "${receiver.url}", secretFile: ${secretFile}}
`,
  });
  agentKubeconfig = gw.kubeconfigFor('agent-1', ['agents']);
  reviewerKubeconfig = await tokenKubeconfig('reviewer', 'reviewer', ['reviewers']);
  reviewer2Kubeconfig = await tokenKubeconfig('reviewer-2', 'reviewer-2', ['reviewers', 'sre']);
});

test.after(async () => {
  if (gw) await gw.stop();
  if (receiver) await receiver.close();
  if (idp) await idp.close();
});

for (const version of ['1.27', '1.33']) {
  test(`kubectl ${version}: a held delete completes once a reviewer approves it`, { skip: !kubectlPath(version) }, async () => {
    const pod = `held-${version.replace('.', '')}`;
    assert.equal((await kubectl(version, ['-n', 'staging', 'run', pod, '--image=busybox:1.36', '--restart=Never'])).code, 0);
    const deleting = kubectl(version, ['-n', 'staging', 'delete', 'pod', pod, '--wait=false']);
    const approval = await waitForPending((a) => a.request.name === pod);
    assert.equal(approval.requester.subject, 'agent-1');
    assert.equal(approval.rule.id, 'review-pod-deletes');
    const approved = await review(reviewerKubeconfig, ['approve', approval.id, '--reason', 'cleanup is fine']);
    assert.equal(approved.code, 0, approved.stdout + approved.stderr);
    const done = await deleting;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`pod "${pod}" deleted`));
    const shown = JSON.parse((await review(reviewerKubeconfig, ['show', approval.id, '-o', 'json'])).stdout);
    assert.equal(shown.state, 'used', 'the approval let exactly one request through');
  });

  test(`kubectl ${version}: a denied delete fails with the reviewer's reason`, { skip: !kubectlPath(version) }, async () => {
    const pod = `denied-${version.replace('.', '')}`;
    assert.equal((await kubectl(version, ['-n', 'staging', 'run', pod, '--image=busybox:1.36', '--restart=Never'])).code, 0);
    const deleting = kubectl(version, ['-n', 'staging', 'delete', 'pod', pod, '--wait=false']);
    const approval = await waitForPending((a) => a.request.name === pod);
    const denied = await review(reviewerKubeconfig, ['deny', approval.id, '--reason', 'not during the freeze']);
    assert.equal(denied.code, 0, denied.stdout + denied.stderr);
    const done = await deleting;
    assert.notEqual(done.code, 0);
    assert.match(done.stderr, /not during the freeze/);
    const still = await kubectl(version, ['-n', 'staging', 'get', 'pod', pod]);
    assert.equal(still.code, 0, 'the pod was not deleted');
  });
}

test('an undecided held request fails with a clear message when the hold ends', { timeout: 60000 }, async () => {
  const version = kubectlPath('1.33') ? '1.33' : '1.27';
  assert.equal((await kubectl(version, ['-n', 'staging', 'run', 'undecided', '--image=busybox:1.36', '--restart=Never'])).code, 0);
  const started = Date.now();
  const done = await kubectl(version, ['-n', 'staging', 'delete', 'pod', 'undecided', '--wait=false']);
  assert.notEqual(done.code, 0);
  assert.match(done.stderr, /no reviewer decided on approval apr-[0-9a-f]+ within 8s/);
  assert.ok(Date.now() - started >= HOLD_SECONDS * 1000 - 500, 'it was held for the hold timeout');
});

test('nobody approves their own request, also as a reviewer', async () => {
  const { accessToken } = await idp.mintToken('agent-reviewer', { groups: ['agents', 'reviewers'] });
  const own = path.join(tempDir('own'), 'own.kubeconfig');
  fs.writeFileSync(own, fs.readFileSync(reviewerKubeconfig, 'utf8').replace(/token: "[^"]+"/, `token: "${accessToken}"`));
  // retry mode: the request is answered at once with the approval id
  const created = await run(kubectlPath('1.33') || kubectlPath('1.27'), ['--kubeconfig', own,
    '-n', 'staging', 'create', 'configmap', 'mine', '--from-literal=a=b']);
  assert.notEqual(created.code, 0);
  const id = /approval (apr-[0-9a-f]+) is pending/.exec(created.stderr)?.[1];
  assert.ok(id, created.stderr);
  const self = await review(own, ['approve', id, '--reason', 'looks fine to me']);
  assert.equal(self.code, 1);
  assert.match(self.stdout + self.stderr, /own request/);
});

test('retry mode: the approved request goes through once, and a changed body needs a new approval', async () => {
  const version = kubectlPath('1.33') ? '1.33' : '1.27';
  const create = (value) => kubectl(version, ['-n', 'staging', 'create', 'configmap', 'retry-cm', `--from-literal=k=${value}`]);
  const first = await create('v1');
  assert.notEqual(first.code, 0);
  const id = /approval (apr-[0-9a-f]+) is pending/.exec(first.stderr)?.[1];
  assert.ok(id, first.stderr);
  assert.match(first.stderr, /kubegate review approve apr-/);
  assert.equal((await review(reviewerKubeconfig, ['approve', id, '--reason', 'ok'])).code, 0);
  const changed = await create('v2');
  assert.notEqual(changed.code, 0, 'a different body is a different request');
  assert.notEqual(/approval (apr-[0-9a-f]+)/.exec(changed.stderr)?.[1], id);
  const again = await create('v1');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /configmap\/retry-cm created/);
  const once = await create('v1');
  assert.notEqual(once.code, 0, 'the approval was used up');
});

test('one person counts once; a second reviewer completes two approvals', async () => {
  const version = kubectlPath('1.33') ? '1.33' : '1.27';
  const create = () => kubectl(version, ['-n', 'staging', 'create', 'secret', 'generic', 'two-person', '--from-literal=a=b']);
  const first = await create();
  const id = /approval (apr-[0-9a-f]+) is pending/.exec(first.stderr)?.[1];
  assert.ok(id, first.stderr);
  assert.equal((await review(reviewerKubeconfig, ['approve', id, '--reason', 'one'])).code, 0);
  assert.equal((await review(reviewerKubeconfig, ['approve', id, '--reason', 'one again'])).code, 0);
  let shown = JSON.parse((await review(reviewerKubeconfig, ['show', id, '-o', 'json'])).stdout);
  assert.equal(shown.state, 'pending', 'the same reviewer twice is one approval');
  assert.equal((await review(reviewer2Kubeconfig, ['approve', id, '--reason', 'two'])).code, 0);
  shown = JSON.parse((await review(reviewerKubeconfig, ['show', id, '-o', 'json'])).stdout);
  assert.equal(shown.state, 'approved');
  assert.equal((await create()).code, 0);
});

test('two reviewers deciding at once leave one consistent outcome', async () => {
  const version = kubectlPath('1.33') ? '1.33' : '1.27';
  const first = await kubectl(version, ['-n', 'staging', 'create', 'configmap', 'race', '--from-literal=a=b']);
  const id = /approval (apr-[0-9a-f]+) is pending/.exec(first.stderr)?.[1];
  assert.ok(id, first.stderr);
  const [a, b] = await Promise.all([
    review(reviewerKubeconfig, ['approve', id, '--reason', 'yes']),
    review(reviewer2Kubeconfig, ['deny', id, '--reason', 'no']),
  ]);
  const shown = JSON.parse((await review(reviewerKubeconfig, ['show', id, '-o', 'json'])).stdout);
  assert.ok(['approved', 'denied'].includes(shown.state), shown.state);
  // Exactly one decision settled it; the other was refused as too late.
  assert.equal([a.code, b.code].filter((c) => c === 0).length, 1, `${a.stdout}${a.stderr}\n${b.stdout}${b.stderr}`);
  const winner = shown.state === 'approved' ? a : b;
  assert.equal(winner.code, 0);
});

test('pending approvals survive a restart; a held request whose client left is usable in retry mode', { timeout: 90000 }, async () => {
  const version = kubectlPath('1.33') ? '1.33' : '1.27';
  assert.equal((await kubectl(version, ['-n', 'staging', 'run', 'restarted', '--image=busybox:1.36', '--restart=Never'])).code, 0);
  const deleteArgs = ['--kubeconfig', agentKubeconfig, '-n', 'staging', 'delete', 'pod', 'restarted', '--wait=false'];
  const held = spawn(kubectlPath(version), deleteArgs, { stdio: 'ignore' });
  const approval = await waitForPending((a) => a.request.name === 'restarted');
  held.kill('SIGKILL');  // the client gives up while held
  await gw.restart();
  agentKubeconfig = gw.kubeconfigFor('agent-1', ['agents']);  // the gateway listens on a new port
  const after = (await pendingApprovals()).find((a) => a.id === approval.id);
  assert.ok(after, 'the approval is still pending after the restart');
  assert.equal((await review(reviewerKubeconfig, ['approve', approval.id, '--reason', 'after restart'])).code, 0);
  const started = Date.now();
  const done = await kubectl(version, ['-n', 'staging', 'delete', 'pod', 'restarted', '--wait=false']);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /pod "restarted" deleted/);
  assert.ok(Date.now() - started < HOLD_SECONDS * 1000, 'the identical request used the approval without waiting');
});

test('the webhook receiver gets signed notices, and a failing receiver is retried', async () => {
  for (let i = 0; i < 50 && receiver.notices.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(receiver.notices.length > 0, 'notices arrived');
  assert.ok(receiver.attempts() > receiver.notices.length, 'the first attempt failed and was retried');
  for (const n of receiver.notices) {
    const expected = `sha256=${crypto.createHmac('sha256', WEBHOOK_SECRET)
      .update(`${n.headers['kubegate-timestamp']}.${n.body}`).digest('hex')}`;
    assert.equal(n.headers['kubegate-signature'], expected);
    const body = JSON.parse(n.body);
    assert.match(body.approvalId, /^apr-[0-9a-f]{16}$/);
  }
  const requested = receiver.notices.map((n) => JSON.parse(n.body)).find((b) => b.event === 'approval.requested');
  assert.ok(requested, 'an approval.requested notice');
  assert.match(requested.decideCommand, /kubegate review approve apr-/);
});

test('every approval is on the record: opened, decided, used', async () => {
  const r = await run(KUBEGATE, ['audit', 'query', '--config', gw.configFile, '-o', 'json', '--limit', '100000']);
  assert.equal(r.code, 0, r.stderr);
  const reviewed = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.request && e.request.approval);
  assert.ok(reviewed.length > 0, 'requests carry their approval id');
});
