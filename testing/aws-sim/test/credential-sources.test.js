'use strict';
// The IMDSv2 and container-credentials stand-ins, read by Debian's python3-botocore providers, and
// AssumeRoleWithWebIdentity with a JWT signed by a static JWK set. Credentials from each source are
// usable at the STS stand-in (an instance-profile session may chain to another role).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const { execFile } = require('node:child_process');
const aws = require('./support/aws');

const skipPython = fs.existsSync(aws.PYTHON) ? false : `${aws.PYTHON} not installed: botocore provider tests not run`;

function httpCall(url, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

// botocore's own provider (InstanceMetadataProvider or ContainerProvider) loads credentials and
// signs an AssumeRole with them at the STS stand-in.
const BOTOCORE_SCRIPT = `
import json, os, sys, botocore.session, botocore.credentials as bc
kind = sys.argv[1]
provider = bc.InstanceMetadataProvider(iam_role_fetcher=bc.InstanceMetadataFetcher(timeout=2, num_attempts=1, base_url=os.environ['AWS_EC2_METADATA_SERVICE_ENDPOINT'])) if kind == 'imds' else bc.ContainerProvider()
creds = provider.load()
frozen = creds.get_frozen_credentials()
session = botocore.session.get_session()
client = session.create_client('sts', region_name='us-west-2', endpoint_url=os.environ['STS_URL'], verify=os.environ['CA_FILE'],
    aws_access_key_id=frozen.access_key, aws_secret_access_key=frozen.secret_key, aws_session_token=frozen.token)
who = client.get_caller_identity()
out = client.assume_role(RoleArn=os.environ['ROLE_ARN'], RoleSessionName='from-' + kind, DurationSeconds=900)
print(json.dumps({'method': creds.method, 'caller': who['Arn'], 'assumed': out['AssumedRoleUser']['Arn']}))
`;

function botocore(kind, env) {
  return new Promise((resolve) => {
    execFile(aws.PYTHON, ['-c', BOTOCORE_SCRIPT, kind], { env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null', ...env }, timeout: 60000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

test('IMDSv2: token required, v1 refused, and botocore reads the instance profile', async (t) => {
  const sim = await aws.startSimFor(t, (c) => ({ ...c, imds: { listen: '127.0.0.1:0', roleName: 'instance-role' } }));
  assert.equal((await httpCall(`${sim.imdsUrl}/latest/meta-data/iam/security-credentials/`)).status, 401, 'IMDSv1 is refused');
  assert.equal((await httpCall(`${sim.imdsUrl}/latest/api/token`, { method: 'PUT' })).status, 400, 'a token needs a TTL');
  const token = (await httpCall(`${sim.imdsUrl}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).body;
  const role = await httpCall(`${sim.imdsUrl}/latest/meta-data/iam/security-credentials/`, { headers: { 'x-aws-ec2-metadata-token': token } });
  assert.equal(role.body, 'instance-role');
  await aws.control(sim, 'POST', '/_sim/clock', { offsetSeconds: 61 });
  const stale = await httpCall(`${sim.imdsUrl}/latest/meta-data/iam/security-credentials/`, { headers: { 'x-aws-ec2-metadata-token': token } });
  assert.equal(stale.status, 401, 'an IMDS token ends at its TTL');
  await aws.control(sim, 'POST', '/_sim/clock', { offsetSeconds: 0 });
  if (skipPython) { t.diagnostic(skipPython); return; }
  const r = await botocore('imds', { AWS_EC2_METADATA_SERVICE_ENDPOINT: sim.imdsUrl, STS_URL: sim.stsUrl, CA_FILE: sim.pki.caFile,
                                     ROLE_ARN: aws.roleArn('kg-eks-agent') });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.method, 'iam-role');
  assert.equal(out.caller, `arn:aws:sts::${aws.ACCOUNT}:assumed-role/instance-role/i-0123456789abcdef0`);
  assert.equal(out.assumed, `arn:aws:sts::${aws.ACCOUNT}:assumed-role/kg-eks-agent/from-imds`);
  assert.ok(sim.imds.sim.requests.every((q) => q.method === 'PUT' || q.withToken || q.path === '/latest/meta-data/iam/security-credentials/'));
});

test('container credentials: the Authorization must equal the token file, read on every request', async (t) => {
  let tokenFile;
  const sim = await aws.startSimFor(t, (c, { dir }) => {
    tokenFile = path.join(dir, 'pod-identity-token');
    fs.writeFileSync(tokenFile, 'first-token');
    return { ...c, containerCredentials: { listen: '127.0.0.1:0', path: '/v1/credentials', roleName: 'pod-role', tokenFile } };
  });
  assert.equal((await httpCall(sim.containerCredentialsUrl)).status, 401);
  assert.equal((await httpCall(sim.containerCredentialsUrl, { headers: { Authorization: 'wrong' } })).status, 403);
  assert.equal((await httpCall(sim.containerCredentialsUrl, { headers: { Authorization: 'first-token' } })).status, 200);
  fs.writeFileSync(tokenFile, 'rotated-token');
  assert.equal((await httpCall(sim.containerCredentialsUrl, { headers: { Authorization: 'first-token' } })).status, 403, 'the rotated file counts');
  if (skipPython) { t.diagnostic(skipPython); return; }
  // Debian's botocore 1.29 predates AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; it sends the token
  // from AWS_CONTAINER_AUTHORIZATION_TOKEN, which must equal the file's current content.
  const r = await botocore('container', { AWS_CONTAINER_CREDENTIALS_FULL_URI: sim.containerCredentialsUrl,
                                          AWS_CONTAINER_AUTHORIZATION_TOKEN: fs.readFileSync(tokenFile, 'utf8'),
                                          STS_URL: sim.stsUrl, CA_FILE: sim.pki.caFile, ROLE_ARN: aws.roleArn('kg-eks-agent') });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.method, 'container-role');
  assert.equal(out.caller, `arn:aws:sts::${aws.ACCOUNT}:assumed-role/pod-role/eks-pod-identity`);
  assert.equal(out.assumed, `arn:aws:sts::${aws.ACCOUNT}:assumed-role/kg-eks-agent/from-container`);
});

function signJwt(privateKey, kid, claims) {
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid, typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const sig = crypto.sign('sha256', Buffer.from(`${header}.${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${header}.${body}.${sig}`;
}

test('AssumeRoleWithWebIdentity: unsigned, the JWT decides (signature, issuer, audience, expiry, claims)', async (t) => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' };
  const issuer = 'https://idp.example.test';
  const sim = await aws.startSimFor(t, (c) => {
    c.roles.push({ name: 'web-role', trust: { webIdentity: [{ issuer, audience: 'sts.amazonaws.com' }], allowTagSession: true, allowSourceIdentity: true } });
    return { ...c, sts: { ...c.sts, oidcProviders: [{ issuer, jwks: { keys: [jwk] } }] } };
  });
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, sub: 'agent-k9q2', aud: 'sts.amazonaws.com', iat: now, exp: now + 300,
                   'https://aws.amazon.com/source_identity': 'agent-k9q2',
                   'https://aws.amazon.com/tags': { principal_tags: { agent: ['agent-k9q2'] }, transitive_tag_keys: ['agent'] } };
  const call = (token) => aws.awsCli(['sts', 'assume-role-with-web-identity', '--endpoint-url', sim.stsUrl, '--role-arn', aws.roleArn('web-role'),
    '--role-session-name', 'web-session', '--web-identity-token', token, '--output', 'json'], { caFile: sim.pki.caFile });
  if (!fs.existsSync(aws.AWS_CLI)) { t.skip(`${aws.AWS_CLI} not installed`); return; }
  const ok = await call(signJwt(privateKey, 'k1', claims));
  assert.equal(ok.code, 0, ok.stderr);
  const out = JSON.parse(ok.stdout);
  assert.equal(out.SubjectFromWebIdentityToken, 'agent-k9q2');
  assert.equal(out.SourceIdentity, 'agent-k9q2');
  assert.equal(out.AssumedRoleUser.Arn, `arn:aws:sts::${aws.ACCOUNT}:assumed-role/web-role/web-session`);
  const expired = await call(signJwt(privateKey, 'k1', { ...claims, exp: now - 1 }));
  assert.match(expired.stderr, /\(ExpiredTokenException\)/);
  const wrongAudience = await call(signJwt(privateKey, 'k1', { ...claims, aud: 'other' }));
  assert.match(wrongAudience.stderr, /\(InvalidIdentityToken\).*Incorrect token audience/);
  const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const forged = await call(signJwt(other, 'k1', claims));
  assert.match(forged.stderr, /\(InvalidIdentityToken\)/);
  const calls = await aws.control(sim, 'GET', '/_sim/calls');
  assert.deepEqual(calls.map((c) => c.result), ['OK', 'ExpiredTokenException', 'InvalidIdentityToken', 'InvalidIdentityToken']);
  assert.deepEqual(calls[0].tags, [{ Key: 'agent', Value: 'agent-k9q2' }]);
});
