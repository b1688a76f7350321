'use strict';
// Issue 9 end to end: kubectl through kubegate to kube-sim in EKS mode, which accepts only valid EKS
// tokens (aws-iam-authenticator's checks, then the presigned call to the STS stand-in, which
// verifies the signature against the credentials it issued) and maps roles as aws-auth does. The
// gateway assumes the agent's role through the STS stand-in with its own base credentials and mints
// the token; the agent holds no AWS credential. Two agents in different groups get different roles
// and so different RBAC; a revoked session is replaced after one 401; short-lived sessions are
// refreshed under load; the record names role and session; no key or token reaches a log or record.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startGateway, KUBEGATE, run, idpAuthentication, tokenKubeconfig } = require('./support/gateway');
const { startIdp } = require('../../testing/idp/lib/idp');
const { startSim, kubectlPath, tempDir } = require('../../testing/kube-sim/test/support/harness');
const { startAwsSim } = require('../../testing/aws-sim/lib');
const aws = require('../../testing/aws-sim/test/support/aws');

const KUBECTL = kubectlPath('1.33') ? '1.33' : '1.27';
const REGION = 'us-west-2';
const VIEWER = aws.roleArn('kg-eks-viewer');
const EDITOR = aws.roleArn('kg-eks-editor');
const IMPERSONATOR = aws.roleArn('kg-eks-impersonator');


let sts;
let idp;
let reviewer;
let eksSim;
let gw;
let stsDir;
const kubeconfigs = {};

// The test PKI's client-certificate kubeconfig, pointed at the EKS cluster behind the gateway.
function eksKubeconfig(user, groups) {
  const file = gw.kubeconfigFor(user, groups);
  const eksFile = file.replace(/\.kubeconfig$/, '-eks.kubeconfig');
  fs.writeFileSync(eksFile, fs.readFileSync(file, 'utf8').replace('/clusters/demo', '/clusters/eks-demo'));
  return eksFile;
}

const kubectl = (who, args) => run(kubectlPath(KUBECTL), ['--kubeconfig', kubeconfigs[who], ...args]);
const calls = async () => aws.control({ stsUrl: sts.stsUrl, pki: { caFile: path.join(stsDir, 'ca.crt') } }, 'GET', '/_sim/calls');
const control = (method, urlPath, value) => aws.control({ stsUrl: sts.stsUrl, pki: { caFile: path.join(stsDir, 'ca.crt') } }, method, urlPath, value);
const assumeCalls = async () => (await calls()).filter((c) => c.action === 'AssumeRole' && c.result === 'OK');

test.before(async () => {
  stsDir = tempDir('eks-sts');
  const pki = aws.makePki(stsDir);
  const trust = { principals: [`arn:aws:iam::${aws.ACCOUNT}:user/${aws.BASE_USER.name}`], allowTagSession: true, allowSourceIdentity: true };
  sts = await startAwsSim({
    accountId: aws.ACCOUNT,
    users: [aws.BASE_USER],
    roles: [{ name: 'kg-eks-viewer', trust }, { name: 'kg-eks-editor', trust }, { name: 'kg-eks-impersonator', trust }],
    sts: { listen: '127.0.0.1:0', certFile: pki.certFile, keyFile: pki.keyFile },
  });
  eksSim = await startSim({
    eks: {
      clusterName: 'eks-demo', region: REGION, partition: 'aws', stsUrl: sts.stsUrl, stsCaFile: pki.caFile,
      mapRoles: [{ rolearn: VIEWER, username: 'eks-viewer:{{SessionName}}', groups: ['viewers'] },
                 { rolearn: EDITOR, username: 'eks-editor:{{SessionName}}', groups: ['developers'] },
                 // A role the cluster lets impersonate (the seed's kubegate:gateways binding).
                 { rolearn: IMPERSONATOR, username: 'eks-gateway:{{SessionName}}', groups: ['kubegate:gateways'] }],
      mapUsers: [],
    },
  });
  idp = await startIdp({ tokenTtl: 600, clients: [{ clientId: 'reviewer', groups: ['reviewers'], authMethod: 'client_secret_basic' }] });
  const home = tempDir('eks-home');
  gw = await startGateway({
    // Everything allowed, except that a change to the configmap `reviewed` waits for a reviewer.
    policy: `rules:
  - id: review-reviewed
    effect: review
    message: this configmap is reviewed
    match: {verbs: [patch], resources: [configmaps], names: [reviewed]}
    review: {approverGroups: [reviewers], approvals: 1, mode: retry, ttl: 5m}
  - {id: allow-all, effect: allow}
`,
    extraAuth: idpAuthentication(idp),
    extraConfig: `approvals:
  database: ${path.join(tempDir('eks-approvals'), 'approvals.db')}
`,
    extraClusters: `  - name: eks-demo
    server: ${eksSim.url}
    caFile: ${eksSim.caFile}
    eks:
      clusterName: eks-demo
      region: ${REGION}
      stsEndpoint: ${sts.stsUrl}
      stsCaFile: ${pki.caFile}
      roles:
        - {roleArn: "${VIEWER}", groups: [agents-view]}
        - {roleArn: "${EDITOR}", groups: [agents-edit]}
  # The same cluster, with the agent impersonated on top of the assumed role.
  - name: eks-impersonating
    server: ${eksSim.url}
    caFile: ${eksSim.caFile}
    impersonate: true
    eks:
      clusterName: eks-demo
      region: ${REGION}
      stsEndpoint: ${sts.stsUrl}
      stsCaFile: ${pki.caFile}
      roles:
        - {roleArn: "${IMPERSONATOR}", groups: [agents-view]}
`,
    // The gateway's own base credentials: a static key in its environment, nothing else to find.
    env: { ...aws.BASE_ENV, HOME: home, AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
           AWS_EC2_METADATA_DISABLED: 'true' },
  });
  reviewer = await tokenKubeconfig(gw, idp, 'reviewer', 'reviewer', ['reviewers']);
  kubeconfigs.viewer = eksKubeconfig('viewer-agent', ['agents-view']);
  kubeconfigs.editor = eksKubeconfig('editor-agent', ['agents-edit']);
  kubeconfigs.nobody = eksKubeconfig('unmapped-agent', ['agents-other']);
});

test.after(async () => {
  if (gw) await gw.stop();
  if (eksSim) await eksSim.close();
  if (sts) await sts.close();
  if (idp) await idp.close();
});

test('kubectl reaches the EKS cluster as the assumed role; the agent holds no AWS credential', async () => {
  const whoami = await kubectl('viewer', ['auth', 'whoami', '-o', 'json']);
  assert.equal(whoami.code, 0, whoami.stderr + gw.log().slice(-2000));
  const user = JSON.parse(whoami.stdout).status.userInfo;
  assert.match(user.username, /^eks-viewer:kg-viewer-agent-[0-9a-f]{12}$/);
  assert.ok(user.groups.includes('viewers'));
  assert.deepEqual(user.extra.arn, [`arn:aws:sts::${aws.ACCOUNT}:assumed-role/kg-eks-viewer/${user.username.slice('eks-viewer:'.length)}`]);
  const kubeconfig = fs.readFileSync(kubeconfigs.viewer, 'utf8');
  assert.doesNotMatch(kubeconfig, /aws|AKIA|ASIA/i, "the agent's kubeconfig has no AWS anything");
  const assumed = (await assumeCalls()).find((c) => c.role === VIEWER);
  assert.ok(assumed, 'the gateway called AssumeRole on the stand-in');
  assert.equal(`eks-viewer:${assumed.sessionName}`, user.username, 'the session the cluster saw is the one assumed');
  assert.match(assumed.sourceIdentity, /^kg-viewer-agent/, 'source identity derived from the agent');
  assert.match(JSON.stringify(assumed.tags), /kubegate-agent/, 'session tags name the agent');
});

test('two agents in different groups get different roles and different RBAC', async () => {
  const listed = await kubectl('viewer', ['-n', 'staging', 'get', 'configmaps']);
  assert.equal(listed.code, 0, listed.stderr);
  const denied = await kubectl('viewer', ['-n', 'staging', 'create', 'configmap', 'from-viewer', '--from-literal=a=b']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /forbidden.*eks-viewer:kg-viewer-agent/i, 'RBAC of the viewer role refused it');
  const created = await kubectl('editor', ['-n', 'staging', 'create', 'configmap', 'from-editor', '--from-literal=a=b']);
  assert.equal(created.code, 0, created.stderr);
  const editorWho = JSON.parse((await kubectl('editor', ['auth', 'whoami', '-o', 'json'])).stdout).status.userInfo;
  assert.match(editorWho.username, /^eks-editor:kg-editor-agent-/);
});

test('with impersonation on top, the cluster sees the agent itself, asked for by the assumed role', async () => {
  const file = kubeconfigs.viewer.replace(/\.kubeconfig$/, '-imp.kubeconfig');
  fs.writeFileSync(file, fs.readFileSync(kubeconfigs.viewer, 'utf8').replace('/clusters/eks-demo', '/clusters/eks-impersonating'));
  const r = await run(kubectlPath(KUBECTL), ['--kubeconfig', file, 'auth', 'whoami', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const user = JSON.parse(r.stdout).status.userInfo;
  assert.equal(user.username, 'viewer-agent', 'EKS RBAC and audit see the agent');
  assert.ok(user.groups.includes('agents-view'));
  const last = fs.readFileSync(eksSim.requestLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).at(-1);
  assert.match(last.impersonatedBy, /^eks-gateway:kg-viewer-agent-/, 'impersonated by the role session kubegate assumed');
});

test("a held change on EKS shows the reviewer the cluster's dry run, asked as the assumed role", async () => {
  assert.equal((await kubectl('editor', ['-n', 'staging', 'create', 'configmap', 'reviewed', '--from-literal=size=small'])).code, 0);
  const held = await kubectl('editor', ['-n', 'staging', 'patch', 'configmap', 'reviewed', '--type=merge', '-p', '{"data":{"size":"large"}}']);
  assert.notEqual(held.code, 0);
  const id = (held.stderr.match(/approval (apr-[0-9a-f]+) is pending/) || [])[1];
  assert.ok(id, held.stderr);
  const admin = `http://127.0.0.1:${gw.adminPort}`;
  const shown = await run(KUBEGATE, ['review', 'show', id, '-o', 'json', '--admin', admin, '--kubeconfig', reviewer]);
  assert.equal(shown.code, 0, shown.stderr);
  const dryRun = JSON.parse(shown.stdout).request.dryRun;
  assert.match(dryRun.diff, /-  size: small\n\+  size: large/, JSON.stringify(dryRun));
});

test('an agent no role is mapped to is refused before anything reaches the cluster', async () => {
  const r = await kubectl('nobody', ['-n', 'staging', 'get', 'pods']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no IAM role of cluster eks-demo is mapped/);
});

test('a revoked session costs one 401: the gateway assumes the role again and mints a new token', async () => {
  assert.equal((await kubectl('viewer', ['-n', 'staging', 'get', 'pods'])).code, 0);
  const before = (await assumeCalls()).length;
  const revoked = await control('POST', '/_sim/revoke');
  assert.ok(revoked.revoked >= 1);
  const after = await kubectl('viewer', ['-n', 'staging', 'get', 'pods']);
  assert.equal(after.code, 0, after.stderr);
  assert.equal((await assumeCalls()).length, before + 1, 'exactly one new role session');
});

test('short-lived sessions are refreshed while requests keep flowing', { timeout: 120000 }, async () => {
  await control('POST', '/_sim/faults', { credentialLifetimeSeconds: 75 });
  await control('POST', '/_sim/revoke');
  const before = (await assumeCalls()).length;
  const started = Date.now();
  let requests = 0;
  while (Date.now() - started < 40000) {
    const r = await kubectl('viewer', ['-n', 'staging', 'get', 'configmaps']);
    assert.equal(r.code, 0, `request ${requests} after ${(Date.now() - started) / 1000}s: ${r.stderr}`);
    requests += 1;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  await control('POST', '/_sim/faults', { credentialLifetimeSeconds: 0 });
  assert.ok((await assumeCalls()).length - before >= 2, 'the 75 s sessions were renewed before they ran out');
});

test('the record names role and session; no key, secret or token is in the logs or the record', async () => {
  const q = await run(KUBEGATE, ['audit', 'query', '--config', gw.configFile, '--cluster', 'eks-demo', '-o', 'json', '--limit', '100000']);
  assert.equal(q.code, 0, q.stderr);
  const forwarded = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.request.upstream);
  assert.ok(forwarded.length > 5);
  for (const e of forwarded) {
    assert.ok([VIEWER, EDITOR].includes(e.request.upstream.awsRole), JSON.stringify(e.request.upstream));
    assert.match(e.request.upstream.awsSessionName, /^kg-(viewer|editor)-agent-[0-9a-f]{12}$/);
  }
  const exported = await run(KUBEGATE, ['audit', 'export', '--format', 'k8s', '--config', gw.configFile]);
  const everything = gw.log() + q.stdout + exported.stdout + fs.readFileSync(eksSim.requestLog, 'utf8');
  for (const secret of [aws.BASE_USER.secretAccessKey, 'k8s-aws-v1.', 'FwoGZXIvYXdzE', 'X-Amz-Signature', 'X-Amz-Security-Token']) {
    assert.ok(!everything.includes(secret), `${secret.slice(0, 12)}… appears in a log or the record`);
  }
});
