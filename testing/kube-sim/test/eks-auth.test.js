'use strict';
// kube-sim in EKS mode behind the aws-sim STS stand-in: tokens from Debian's `aws eks get-token`
// (signed with credentials the stand-in issued through a real assume-role) are accepted and mapped
// as aws-auth maps them; every negative case of shared/notes/aws-eks-auth.md §8.8 is a 401 with
// the failed check in the request log and never the token.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startSim, kubectl, kubectlPath, readRequestLog, request, tempDir } = require('./support/harness');
const aws = require('../../aws-sim/test/support/aws');

const CLUSTER = 'demo-eks';
const REGION = 'us-west-2';
const skip = fs.existsSync(aws.AWS_CLI) ? false : `${aws.AWS_CLI} not installed: EKS mode tests not run`;

function eksConfig(sts, overrides = {}) {
  return {
    clusterName: CLUSTER, region: REGION, partition: 'aws', stsUrl: sts.stsUrl, stsCaFile: sts.pki.caFile,
    mapRoles: [{ rolearn: aws.roleArn('kg-eks-agent'), username: 'eks:{{SessionName}}', groups: ['eks-agents', 'acct:{{AccountID}}'] }],
    mapUsers: [], ...overrides,
  };
}

async function assumedCredentials(sts, sessionName = 'agent@k9q2') {
  const r = await aws.awsCli(['sts', 'assume-role', '--endpoint-url', sts.stsUrl, '--role-arn', aws.roleArn('kg-eks-agent'),
    '--role-session-name', sessionName, '--output', 'json'], { env: aws.BASE_ENV, caFile: sts.pki.caFile });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).Credentials;
}

async function getToken(creds, cluster = CLUSTER) {
  const r = await aws.awsCli(['eks', 'get-token', '--cluster-name', cluster, '--region', REGION, '--output', 'json'], { env: aws.envFor(creds) });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).status.token;
}

const urlOf = (token) => Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
const tokenOf = (url) => `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;

async function startPair(t, eksOverrides) {
  const sts = await aws.startSimFor(t);
  const sim = await startSim({ eks: eksConfig(sts, eksOverrides) });
  t.after(() => sim.close());
  return { sts, sim };
}

async function callWith(sim, token) {
  return request(sim, { path: '/api', headers: { Authorization: `Bearer ${token}` } });
}

function lastLogLine(sim) {
  const lines = readRequestLog(sim);
  return lines[lines.length - 1];
}

async function expectRefused(sim, token, check, messagePart) {
  const r = await callWith(sim, token);
  assert.equal(r.status, 401, `${check}: ${r.body}`);
  assert.equal(JSON.parse(r.body).reason, 'Unauthorized');
  const line = lastLogLine(sim);
  assert.equal(line.code, 401);
  assert.ok(line.authFailure && line.authFailure.startsWith(`${check}: `), `${check}: logged ${line.authFailure}`);
  if (messagePart) assert.ok(line.authFailure.includes(messagePart), `${check}: logged ${line.authFailure}`);
  assert.ok(!fs.readFileSync(sim.requestLog, 'utf8').includes(token.slice(20, 80)), 'the token is not in the request log');
}

test('a token from aws eks get-token is accepted and mapped as aws-auth maps the role', { skip }, async (t) => {
  const { sts, sim } = await startPair(t);
  const creds = await assumedCredentials(sts);
  const token = await getToken(creds);
  const review = await request(sim, { method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }) });
  assert.equal(review.status, 201, review.body);
  const user = JSON.parse(review.body).status.userInfo;
  assert.equal(user.username, 'eks:agent-k9q2');
  assert.deepEqual(user.groups, ['eks-agents', `acct:${aws.ACCOUNT}`, 'system:authenticated']);
  assert.match(user.uid, new RegExp(`^aws-iam-authenticator:${aws.ACCOUNT}:AROA[A-Z2-7]{17}$`));
  assert.deepEqual(user.extra.arn, [`arn:aws:sts::${aws.ACCOUNT}:assumed-role/kg-eks-agent/agent@k9q2`]);
  assert.deepEqual(user.extra.canonicalArn, [aws.roleArn('kg-eks-agent')]);
  assert.deepEqual(user.extra.sessionName, ['agent@k9q2']);
  assert.deepEqual(user.extra.accessKeyId, [creds.AccessKeyId]);
  const calls = await aws.control(sts, 'GET', '/_sim/calls');
  const gci = calls.filter((c) => c.action === 'GetCallerIdentity');
  assert.equal(gci.length, 1);
  assert.equal(gci[0].host, `sts.${REGION}.amazonaws.com`);
  assert.equal(gci[0].clusterId, CLUSTER);
  assert.equal(gci[0].result, 'OK');
  // A static token of the seed still works beside EKS mode.
  assert.equal((await request(sim, { path: '/api', as: 'kubegate' })).status, 200);
});

test('every malformed token of §8.8 is refused with 401 and the failed check logged', { skip }, async (t) => {
  const { sts, sim } = await startPair(t);
  const token = await getToken(await assumedCredentials(sts));
  const url = urlOf(token);
  assert.equal((await callWith(sim, token)).status, 200);
  const unpadded = url.length % 3 === 0 ? `${url}&` : url; // a length that base64 pads
  const padded = `k8s-aws-v1.${Buffer.from(unpadded).toString('base64')}`.replace(/\+/g, '-').replace(/\//g, '_');
  assert.ok(padded.endsWith('='), 'the padded form really has padding');
  await expectRefused(sim, padded, 'base64', 'illegal base64 data');
  await expectRefused(sim, tokenOf(`${url}&Foo=bar`), 'query', 'non-whitelisted query parameter "Foo"');
  await expectRefused(sim, tokenOf(`${url}&action=GetCallerIdentity`), 'query', 'duplicate query parameter found');
  await expectRefused(sim, tokenOf(`${url}&Action=GetCallerIdentity`), 'query', 'query parameter with multiple values not supported');
  await expectRefused(sim, tokenOf(url.replace('X-Amz-SignedHeaders=host%3Bx-k8s-aws-id', 'X-Amz-SignedHeaders=host')),
    'signed-headers', 'client did not sign the x-k8s-aws-id header');
  await expectRefused(sim, tokenOf(url.replace('X-Amz-Expires=60', 'X-Amz-Expires=901')), 'expires', 'invalid X-Amz-Expires parameter in pre-signed URL: 901');
  await expectRefused(sim, tokenOf(url.replace('amazonaws.com/?', 'amazonaws.com/abc?')), 'path', 'unexpected path in pre-signed URL');
  await expectRefused(sim, tokenOf(url.replace('amazonaws.com/?', 'amazonaws.com?')), 'path', 'unexpected path in pre-signed URL');
  await expectRefused(sim, tokenOf(url.replace('https://', 'http://')), 'scheme', 'unexpected scheme "http"');
  await expectRefused(sim, tokenOf(url.replace(`sts.${REGION}.amazonaws.com`, 'sts.example.com')), 'host', 'unexpected hostname');
  await expectRefused(sim, tokenOf(url.replace(`sts.${REGION}.amazonaws.com`, `sts.${REGION}.amazonaws.com:443`)), 'host');
  await expectRefused(sim, `${token}${'A'.repeat(4097 - token.length)}`, 'length', 'token is too large');
  await expectRefused(sim, tokenOf(url.replace(/X-Amz-Signature=([0-9a-f])/, (m, c) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`)),
    'sts', 'SignatureDoesNotMatch');
  assert.equal((await callWith(sim, token)).status, 200, 'the untouched token still works');
  sim.eksClock.setOffsetSeconds(15 * 60 + 5);
  await expectRefused(sim, token, 'date', 'X-Amz-Date parameter is expired (15 minute expiration)');
});

test('the global STS host is refused under partition aws-cn', { skip }, async (t) => {
  const { sts, sim } = await startPair(t, { region: 'cn-north-1', partition: 'aws-cn' });
  const url = urlOf(await getToken(await assumedCredentials(sts)));
  await expectRefused(sim, tokenOf(url.replace(`sts.${REGION}.amazonaws.com`, 'sts.amazonaws.com')), 'host', 'global endpoint unsupported in partition aws-cn');
  await expectRefused(sim, tokenOf(url), 'host', 'partition {aws-cn} does not support hostname');
});

test('STS decides: another cluster name, expired credentials, throttling, an unmapped role', { skip }, async (t) => {
  const { sts, sim } = await startPair(t);
  const creds = await assumedCredentials(sts);
  await expectRefused(sim, await getToken(creds, 'other-cluster'), 'sts', 'SignatureDoesNotMatch');
  await aws.control(sts, 'POST', '/_sim/faults', { failNext: { count: 1, kind: 'throttling' } });
  const good = await getToken(creds);
  await expectRefused(sim, good, 'sts-throttling', 'Rate exceeded');
  assert.equal((await callWith(sim, good)).status, 200, 'after the throttled call the same token works');
  await aws.control(sts, 'POST', '/_sim/faults', { credentialLifetimeSeconds: 60 });
  const shortLived = await getToken(await assumedCredentials(sts));
  await aws.control(sts, 'POST', '/_sim/clock', { offsetSeconds: 120 });
  await expectRefused(sim, shortLived, 'sts', 'ExpiredToken');
  await aws.control(sts, 'POST', '/_sim/clock', { offsetSeconds: 0 });
  const baseUserToken = await getToken({ AccessKeyId: aws.BASE_USER.accessKeyId, SecretAccessKey: aws.BASE_USER.secretAccessKey });
  await expectRefused(sim, baseUserToken, 'mapping', `ARN is not mapped: arn:aws:iam::${aws.ACCOUNT}:user/${aws.BASE_USER.name}`);
});

test('kubectl auth whoami with an exec plugin calling aws eks get-token shows the mapped user', { skip: skip || (!kubectlPath('1.33') && 'kubectl.1.33 not installed') }, async (t) => {
  const { sts, sim } = await startPair(t);
  const creds = await assumedCredentials(sts, 'agent-whoami');
  const dir = tempDir('eks-kubeconfig');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const empty = path.join(dir, 'empty');
  fs.writeFileSync(empty, '');
  const env = { ...aws.envFor(creds), AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty, AWS_EC2_METADATA_DISABLED: 'true' };
  const kubeconfig = path.join(dir, 'eks.kubeconfig');
  fs.writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'eks',
    clusters: [{ name: 'eks', cluster: { server: sim.url, 'certificate-authority': sim.caFile } }],
    users: [{ name: 'eks', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: aws.AWS_CLI,
      args: ['eks', 'get-token', '--cluster-name', CLUSTER, '--region', REGION, '--output', 'json'],
      env: Object.entries(env).map(([name, value]) => ({ name, value })), interactiveMode: 'Never' } } }],
    contexts: [{ name: 'eks', context: { cluster: 'eks', user: 'eks' } }],
  }));
  const r = await kubectl('1.33', sim, ['auth', 'whoami', '-o', 'json'], { kubeconfig });
  assert.equal(r.code, 0, r.stderr);
  const user = JSON.parse(r.stdout).status.userInfo;
  assert.equal(user.username, 'eks:agent-whoami');
  assert.deepEqual(user.extra.canonicalArn, [aws.roleArn('kg-eks-agent')]);
  assert.equal(lastLogLine(sim).authScheme, 'Bearer');
});
