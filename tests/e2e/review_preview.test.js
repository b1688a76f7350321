'use strict';
// Issue 8, "What the reviewer sees": for a held mutation, `kubegate review show` prints the cluster's
// own dry run of exactly that request (asked as the agent, changing nothing) as a diff against the
// object as it is, with secret values masked on both sides. The two calls behind it are on the
// record like every request the gateway sends (the harness checks that when the gateway stops).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startGateway, tokenKubeconfig, KUBEGATE, run, idpAuthentication } = require('./support/gateway');
const { startIdp } = require('../../testing/idp/lib/idp');
const { kubectlPath, tempDir } = require('../../testing/kube-sim/test/support/harness');

const POLICY = `rules:
  - id: review-config-changes
    effect: review
    message: config changes need an approval
    match: {subjects: {groups: [agents]}, verbs: [create, update, patch, delete], resources: [configmaps, secrets]}
    review: {approverGroups: [reviewers], approvals: 1, mode: retry, ttl: 5m}
  - {id: agents-read, effect: allow, match: {subjects: {groups: [agents]}, verbs: [get, list]}}
  - {id: admins, effect: allow, match: {subjects: {groups: ['agents:admin']}}}
`;
const KUBECTL = kubectlPath('1.33') ? '1.33' : '1.27';


let idp;
let gw;
let agent;
let reviewer;
let admin;

const kubectl = (kubeconfig, args) => run(kubectlPath(KUBECTL), ['--kubeconfig', kubeconfig, '-n', 'staging', ...args]);

// The agent's request is refused in retry mode with the approval's id; the reviewer's view of it.
async function heldAndShown(args) {
  const held = await kubectl(agent, args);
  assert.notEqual(held.code, 0);
  const id = (held.stderr.match(/approval (apr-[0-9a-f]+) is pending/) || [])[1];
  assert.ok(id, held.stderr);
  const shown = await run(KUBEGATE, ['review', 'show', id, '--kubeconfig', reviewer, '--admin', `http://127.0.0.1:${gw.adminPort}`]);
  assert.equal(shown.code, 0, shown.stderr);
  return shown.stdout;
}

test.before(async () => {
  idp = await startIdp({
    tokenTtl: 600,
    clients: [
      { clientId: 'agent', groups: ['agents'], authMethod: 'client_secret_basic' },
      { clientId: 'reviewer', groups: ['reviewers'], authMethod: 'client_secret_basic' },
    ],
  });
  gw = await startGateway({
    policy: POLICY,
    extraAuth: idpAuthentication(idp),
    extraConfig: `approvals:
  database: ${path.join(tempDir('preview'), 'approvals.db')}
`,
  });
  agent = await tokenKubeconfig(gw, idp, 'agent', 'agent', ['agents']);
  reviewer = await tokenKubeconfig(gw, idp, 'reviewer', 'reviewer', ['reviewers']);
  admin = gw.kubeconfigFor('admin', ['agents:admin']);
  for (const args of [['create', 'configmap', 'settings', '--from-literal=level=1', '--from-literal=mode=safe'],
                      ['create', 'secret', 'generic', 'db', '--from-literal=password=hunter2-old-value']]) {
    const r = await kubectl(admin, args);
    assert.equal(r.code, 0, r.stderr);
  }
});

test.after(async () => {
  if (gw) await gw.stop();
  if (idp) await idp.close();
});

test('a held patch shows the dry run as a diff against the current object', async () => {
  const shown = await heldAndShown(['patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"level":"2"}}']);
  assert.match(shown, /Dry run \(asked as the requester; the cluster changed nothing\)/);
  assert.match(shown, /--- current/);
  assert.match(shown, /\+\+\+ after dry run/);
  assert.match(shown, /^ {2}- {2}level: "1"$/m);
  assert.match(shown, /^ {2}\+ {2}level: "2"$/m);
  assert.match(shown, /^ {5}mode: safe$/m, 'unchanged lines are context');
  const still = await kubectl(admin, ['get', 'configmap', 'settings', '-o', 'jsonpath={.data.level}']);
  assert.equal(still.stdout, '1', 'the dry run changed nothing');
});

test('a held create shows the whole new object; a held delete shows it going', async () => {
  const created = await heldAndShown(['create', 'configmap', 'fresh', '--from-literal=color=blue']);
  assert.match(created, /@@ -0,0 \+1,\d+ @@/, 'nothing there before');
  assert.match(created, /^ {2}\+ {2}color: blue$/m);
  assert.match(created, /^ {2}\+ {2}name: fresh$/m);
  assert.doesNotMatch(created, /^ {2}- /m);
  assert.equal((await kubectl(admin, ['get', 'configmap', 'fresh'])).code, 1, 'the dry run created nothing');
  const deleted = await heldAndShown(['delete', 'configmap', 'settings']);
  assert.match(deleted, /^ {2}- {2}level: "1"$/m);
  assert.match(deleted, /@@ -1,\d+ \+0,0 @@/, 'nothing there after');
  assert.doesNotMatch(deleted, /^ {2}\+ /m);
});

test('secret values are masked on both sides of the diff', async () => {
  const shown = await heldAndShown(['patch', 'secret', 'db', '--type=merge', '-p', '{"stringData":{"password":"hunter2-new-value"}}']);
  assert.match(shown, /Dry run/);
  assert.doesNotMatch(shown, /hunter2/);
  assert.doesNotMatch(shown, new RegExp(Buffer.from('hunter2-old-value').toString('base64').slice(0, 12)));
  assert.doesNotMatch(shown, new RegExp(Buffer.from('hunter2-new-value').toString('base64').slice(0, 12)));
});
