'use strict';
// The verifier against the official aws-c-auth SigV4 suite (header and presigned forms) and the
// EKS token vectors: every signed request verifies, its rebuilt canonical request and string to
// sign equal the suite's, and any change to a signed part is refused.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const v = require('../lib/sigv4-verify');
const { sigv4Dir, eksVectors, parseHttpText, loadCase } = require('./support/vectors');

function verify(request, secret, { now, service, normalize = true, honourExpires = true, sessionTokenSigned = true }) {
  const auth = v.parseAuthorization(request);
  if (!auth.ok) return auth;
  const timed = v.checkTimeAndScope(auth, { now, service, honourExpires });
  if (!timed.ok) return timed;
  return { ...v.checkSignature(request, auth, secret, { normalize, sessionTokenSigned }), auth };
}

const dir = sigv4Dir();

test('aws-c-auth v4 suite: header and presigned requests verify, canonical forms match', (t) => {
  if (!dir) { t.skip('KUBEGATE_SHARED_DIR/testdata/sigv4/aws-c-auth/v4 not present: SigV4 suite not run'); return; }
  const names = fs.readdirSync(dir).sort();
  assert.equal(names.length, 38);
  for (const name of names) {
    const c = loadCase(dir, name);
    const now = new Date(c.context.timestamp);
    const opts = { now, service: c.context.service, normalize: c.context.normalize,
                   sessionTokenSigned: !c.context.omit_session_token };
    for (const mode of ['header', 'query']) {
      const request = parseHttpText(c.read(`${mode}-signed-request.txt`));
      const result = verify(request, c.context.credentials.secret_access_key, opts);
      assert.equal(result.ok, true, `${name} ${mode}: ${result.code} ${result.message}`);
      assert.equal(result.auth.mode, mode);
      assert.equal(result.canonicalRequest, c.read(`${mode}-canonical-request.txt`), `${name} ${mode} canonical request`);
      assert.equal(result.stringToSign, c.read(`${mode}-string-to-sign.txt`), `${name} ${mode} string to sign`);
      const wrongSecret = verify(request, `${c.context.credentials.secret_access_key}x`, opts);
      assert.equal(wrongSecret.code, 'SignatureDoesNotMatch', `${name} ${mode} wrong secret`);
    }
  }
});

test('aws-c-auth v4 suite: tampering with a signed part, or a stale date, is refused', (t) => {
  if (!dir) { t.skip('KUBEGATE_SHARED_DIR/testdata/sigv4/aws-c-auth/v4 not present: SigV4 suite not run'); return; }
  const c = loadCase(dir, 'get-vanilla-query-order-key-case');
  const secret = c.context.credentials.secret_access_key;
  const now = new Date(c.context.timestamp);
  const header = parseHttpText(c.read('header-signed-request.txt'));
  assert.equal(verify({ ...header, rawQuery: `${header.rawQuery}&extra=1` }, secret, { now, service: 'service' }).code, 'SignatureDoesNotMatch');
  assert.equal(verify({ ...header, method: 'POST' }, secret, { now, service: 'service' }).code, 'SignatureDoesNotMatch');
  assert.equal(verify(header, secret, { now, service: 'sts' }).code, 'SignatureDoesNotMatch');
  const late = new Date(now.getTime() + 16 * 60 * 1000);
  assert.equal(verify(header, secret, { now: late, service: 'service' }).code, 'RequestExpired');
  const early = new Date(now.getTime() - 16 * 60 * 1000);
  assert.equal(verify(header, secret, { now: early, service: 'service' }).code, 'RequestExpired');
  const query = parseHttpText(c.read('query-signed-request.txt'));
  const withinExpires = new Date(now.getTime() + 3599 * 1000);
  assert.equal(verify(query, secret, { now: withinExpires, service: 'service' }).ok, true);
  const pastExpires = new Date(now.getTime() + 3601 * 1000);
  assert.equal(verify(query, secret, { now: pastExpires, service: 'service' }).code, 'RequestExpired');
  const rehosted = { ...query, rawHeaders: ['Host', 'other.amazonaws.com'] };
  assert.equal(verify(rehosted, secret, { now, service: 'service' }).code, 'SignatureDoesNotMatch');
});

test('EKS token vectors: the presigned GetCallerIdentity URLs verify for their cluster only', (t) => {
  const vectors = eksVectors();
  if (!vectors) { t.skip('KUBEGATE_SHARED_DIR/testdata/aws/eks-token-vectors.json not present: EKS vectors not run'); return; }
  for (const vec of vectors.eks_token) {
    const url = new URL(Buffer.from(vec.token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    const request = { method: 'GET', rawPath: url.pathname, rawQuery: url.search.slice(1),
                      rawHeaders: ['Host', url.host, 'x-k8s-aws-id', vec.cluster_id], body: Buffer.alloc(0) };
    const now = new Date(v.parseAmzDate(vec.signing_time) + 14 * 60 * 1000);
    const ok = verify(request, vec.secret_access_key, { now, service: 'sts', honourExpires: false });
    assert.equal(ok.ok, true, `${vec.label}: ${ok.code} ${ok.message}`);
    assert.equal(ok.canonicalRequest, vec.canonical_request, vec.label);
    assert.equal(ok.stringToSign, vec.string_to_sign, vec.label);
    assert.equal(ok.auth.sessionToken, vec.session_token);
    const otherCluster = { ...request, rawHeaders: ['Host', url.host, 'x-k8s-aws-id', 'other-cluster'] };
    assert.equal(verify(otherCluster, vec.secret_access_key, { now, service: 'sts', honourExpires: false }).code, 'SignatureDoesNotMatch');
    const stale = new Date(v.parseAmzDate(vec.signing_time) + 16 * 60 * 1000);
    assert.equal(verify(request, vec.secret_access_key, { now: stale, service: 'sts', honourExpires: false }).code, 'RequestExpired');
  }
  for (const vec of vectors.assume_role_post) {
    const url = new URL(vec.url);
    const request = { method: 'POST', rawPath: url.pathname, rawQuery: '', body: Buffer.from(vec.body),
      rawHeaders: ['Host', url.host, 'Content-Type', vec.content_type, 'X-Amz-Date', vec.signing_time, 'Authorization', vec.authorization] };
    const ok = verify(request, vec.secret_access_key, { now: new Date(v.parseAmzDate(vec.signing_time)), service: 'sts' });
    assert.equal(ok.ok, true, `${vec.label}: ${ok.code}`);
    assert.equal(ok.canonicalRequest, vec.canonical_request);
    const edited = { ...request, body: Buffer.from(vec.body.replace('DurationSeconds=900', 'DurationSeconds=3600')) };
    assert.equal(verify(edited, vec.secret_access_key, { now: new Date(v.parseAmzDate(vec.signing_time)), service: 'sts' }).code,
      'SignatureDoesNotMatch');
  }
});
