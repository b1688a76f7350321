'use strict';
// Debian's awscli against the STS stand-in: assume-role and get-caller-identity with static keys,
// with a session from an earlier assume-role (role chaining), and the errors awscli prints.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { AWS_CLI, ACCOUNT, BASE_USER, BASE_ENV, roleArn, startSimFor, awsCli, envFor, control } = require('./support/aws');

const skip = fs.existsSync(AWS_CLI) ? false : `${AWS_CLI} not installed: awscli tests not run`;

async function assumeRole(sim, env, role, extra = []) {
  return awsCli(['sts', 'assume-role', '--endpoint-url', sim.stsUrl, '--role-arn', roleArn(role), '--role-session-name', 'agent-k9q2',
                 '--output', 'json', ...extra], { env, caFile: sim.pki.caFile });
}

test('assume-role with static keys, then get-caller-identity with the session', { skip }, async (t) => {
  const sim = await startSimFor(t);
  const who = await awsCli(['sts', 'get-caller-identity', '--endpoint-url', sim.stsUrl, '--output', 'json'], { env: BASE_ENV, caFile: sim.pki.caFile });
  assert.equal(who.code, 0, who.stderr);
  assert.equal(JSON.parse(who.stdout).Arn, `arn:aws:iam::${ACCOUNT}:user/${BASE_USER.name}`);
  const r = await assumeRole(sim, BASE_ENV, 'kg-eks-agent', ['--duration-seconds', '900', '--source-identity', 'agent-k9q2',
    '--tags', 'Key=agent,Value=agent-k9q2', 'Key=team,Value=fixture-team', '--transitive-tag-keys', 'agent']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.match(out.Credentials.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(out.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/kg-eks-agent/agent-k9q2`);
  assert.equal(out.SourceIdentity, 'agent-k9q2');
  const lifetime = Date.parse(out.Credentials.Expiration) - Date.now();
  assert.ok(lifetime > 880000 && lifetime <= 900000, `lifetime ${lifetime}`);
  const again = await awsCli(['sts', 'get-caller-identity', '--endpoint-url', sim.stsUrl, '--output', 'json'],
    { env: envFor(out.Credentials), caFile: sim.pki.caFile });
  assert.equal(again.code, 0, again.stderr);
  const id = JSON.parse(again.stdout);
  assert.equal(id.Arn, out.AssumedRoleUser.Arn);
  assert.equal(id.UserId, out.AssumedRoleUser.AssumedRoleId);
  const calls = await control(sim, 'GET', '/_sim/calls');
  const assumed = calls.find((c) => c.action === 'AssumeRole');
  assert.deepEqual(assumed.tags, [{ Key: 'agent', Value: 'agent-k9q2' }, { Key: 'team', Value: 'fixture-team' }]);
  assert.equal(assumed.sourceIdentity, 'agent-k9q2');
  assert.equal(assumed.principal, `arn:aws:iam::${ACCOUNT}:user/${BASE_USER.name}`);
  assert.ok(!JSON.stringify(calls).includes(out.Credentials.SecretAccessKey));
  assert.ok(!JSON.stringify(calls).includes(out.Credentials.SessionToken));
});

test('role chaining: a session may assume a role it is trusted for, at most for an hour', { skip }, async (t) => {
  const sim = await startSimFor(t);
  const first = JSON.parse((await assumeRole(sim, BASE_ENV, 'kg-eks-agent')).stdout);
  const chained = await assumeRole(sim, envFor(first.Credentials), 'eks-readonly', ['--duration-seconds', '3600']);
  assert.equal(chained.code, 0, chained.stderr);
  assert.equal(JSON.parse(chained.stdout).AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/eks-readonly/agent-k9q2`);
  const tooLong = await assumeRole(sim, envFor(first.Credentials), 'eks-readonly', ['--duration-seconds', '3601']);
  assert.equal(tooLong.code, 254);
  assert.match(tooLong.stderr, /An error occurred \(ValidationError\) when calling the AssumeRole operation: The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining\./);
  const notTrusted = await assumeRole(sim, BASE_ENV, 'eks-readonly');
  assert.match(notTrusted.stderr, new RegExp(`\\(AccessDenied\\) when calling the AssumeRole operation: User: arn:aws:iam::${ACCOUNT}:user/${BASE_USER.name} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${ACCOUNT}:role/eks-readonly`));
});

test('errors as awscli prints them', { skip }, async (t) => {
  const sim = await startSimFor(t);
  const wrongSecret = await assumeRole(sim, { ...BASE_ENV, AWS_SECRET_ACCESS_KEY: `${BASE_USER.secretAccessKey}x` }, 'kg-eks-agent');
  assert.equal(wrongSecret.code, 254);
  assert.match(wrongSecret.stderr, /An error occurred \(SignatureDoesNotMatch\) when calling the AssumeRole operation: The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\./);
  const unknownKey = await assumeRole(sim, { ...BASE_ENV, AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNKEY000000' }, 'kg-eks-agent');
  assert.match(unknownKey.stderr, /\(InvalidClientTokenId\) when calling the AssumeRole operation: The security token included in the request is invalid\./);
  const badName = await awsCli(['sts', 'assume-role', '--endpoint-url', sim.stsUrl, '--role-arn', roleArn('kg-eks-agent'),
    '--role-session-name', 'agent:k9q2'], { env: BASE_ENV, caFile: sim.pki.caFile });
  assert.match(badName.stderr, /\(ValidationError\) when calling the AssumeRole operation: 1 validation error detected: Value 'agent:k9q2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\w\+=,\.@-\]\*/);
  const badPolicy = await assumeRole(sim, BASE_ENV, 'kg-eks-agent', ['--policy', '{"Version":"2012-10-17"']);
  assert.match(badPolicy.stderr, /\(MalformedPolicyDocument\) when calling the AssumeRole operation: The policy is not in the valid JSON format\./);
  const noExternalId = await assumeRole(sim, BASE_ENV, 'external-only');
  assert.match(noExternalId.stderr, /\(AccessDenied\)/);
  const withExternalId = await assumeRole(sim, BASE_ENV, 'external-only', ['--external-id', 'kg-ext-1']);
  assert.equal(withExternalId.code, 0, withExternalId.stderr);
  await control(sim, 'POST', '/_sim/faults', { credentialLifetimeSeconds: 60 });
  const short = JSON.parse((await assumeRole(sim, BASE_ENV, 'kg-eks-agent')).stdout);
  await control(sim, 'POST', '/_sim/clock', { offsetSeconds: 120 });
  const expired = await awsCli(['sts', 'get-caller-identity', '--endpoint-url', sim.stsUrl], { env: envFor(short.Credentials), caFile: sim.pki.caFile });
  assert.match(expired.stderr, /\(ExpiredToken\) when calling the GetCallerIdentity operation: The security token included in the request is expired/);
  await control(sim, 'POST', '/_sim/clock', { offsetSeconds: 3600 });
  const skewed = await awsCli(['sts', 'get-caller-identity', '--endpoint-url', sim.stsUrl], { env: BASE_ENV, caFile: sim.pki.caFile });
  assert.match(skewed.stderr, /\(RequestExpired\) when calling the GetCallerIdentity operation: Signature expired/);
  await control(sim, 'POST', '/_sim/clock', { offsetSeconds: 0 });
  await control(sim, 'POST', '/_sim/faults', { failNext: { count: 1, kind: 'throttling' } });
  const throttled = await awsCli(['sts', 'get-caller-identity', '--endpoint-url', sim.stsUrl],
    { env: { ...BASE_ENV, AWS_MAX_ATTEMPTS: '1' }, caFile: sim.pki.caFile });
  assert.match(throttled.stderr, /\(Throttling\) when calling the GetCallerIdentity operation.*: Rate exceeded/);
  const calls = await control(sim, 'GET', '/_sim/calls');
  assert.deepEqual(calls.map((c) => c.result), ['SignatureDoesNotMatch', 'InvalidClientTokenId', 'ValidationError', 'MalformedPolicyDocument',
    'AccessDenied', 'OK', 'OK', 'ExpiredToken', 'RequestExpired', 'Throttling']);
});
