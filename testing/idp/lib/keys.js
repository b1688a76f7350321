'use strict';
// Asymmetric keys as JWKs: the IdP's signing keys and the private_key_jwt clients' keys. Made with
// node:crypto; kid is the RFC 7638 thumbprint. Also a compact JWS signer, used only to build
// client assertions (RFC 7523) for the private_key_jwt client.

const fs = require('node:fs');
const crypto = require('node:crypto');
const { promisify } = require('node:util');

const generateKeyPair = promisify(crypto.generateKeyPair);

// JWS algorithm → how to make a key for it and how to sign with it.
const ALGS = {
  RS256: { type: 'rsa', hash: 'sha256' },
  RS384: { type: 'rsa', hash: 'sha384' },
  RS512: { type: 'rsa', hash: 'sha512' },
  PS256: { type: 'rsa', hash: 'sha256', pss: true },
  PS384: { type: 'rsa', hash: 'sha384', pss: true },
  PS512: { type: 'rsa', hash: 'sha512', pss: true },
  ES256: { type: 'ec', crv: 'P-256', hash: 'sha256' },
  ES384: { type: 'ec', crv: 'P-384', hash: 'sha384' },
  EdDSA: { type: 'ed25519', hash: null },
};

function checkAlg(alg) {
  if (!Object.hasOwn(ALGS, alg)) throw new Error(`unsupported algorithm ${alg}; one of ${Object.keys(ALGS).join(', ')}`);
  return ALGS[alg];
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');

// RFC 7638 JWK thumbprint (SHA-256) of a public JWK.
function thumbprint(jwk) {
  const members = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] }[jwk.kty];
  if (!members) throw new Error(`no thumbprint for kty ${jwk.kty}`);
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return b64u(crypto.createHash('sha256').update(canonical).digest());
}

// A new private JWK for `alg`, with kid, alg and use set.
async function newPrivateJwk(alg) {
  const spec = checkAlg(alg);
  let pair;
  if (spec.type === 'rsa') pair = await generateKeyPair('rsa', { modulusLength: 2048 });
  else if (spec.type === 'ec') pair = await generateKeyPair('ec', { namedCurve: spec.crv });
  else pair = await generateKeyPair('ed25519');
  const jwk = pair.privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: thumbprint(jwk), alg, use: 'sig' };
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi']);
function publicJwk(jwk) {
  return Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_MEMBERS.has(k)));
}

function privatePem(jwk) {
  const { kid, alg, use, ...material } = jwk; // eslint-disable-line no-unused-vars
  return crypto.createPrivateKey({ key: material, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' });
}

// Compact JWS over `payload` with a private JWK (its alg and kid go to the header).
function signJws(payload, jwk, extraHeader = {}) {
  const spec = checkAlg(jwk.alg);
  const header = { alg: jwk.alg, kid: jwk.kid, typ: 'JWT', ...extraHeader };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const { kid, alg, use, ...material } = jwk; // eslint-disable-line no-unused-vars
  const key = crypto.createPrivateKey({ key: material, format: 'jwk' });
  const opts = { key };
  if (spec.pss) Object.assign(opts, { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST });
  if (spec.type === 'ec') opts.dsaEncoding = 'ieee-p1363';
  return `${input}.${b64u(crypto.sign(spec.hash, Buffer.from(input), opts))}`;
}

function writeSecret(file, data) {
  fs.writeFileSync(file, data, { mode: 0o600 });
  fs.chmodSync(file, 0o600); // the mode above applies only to a new file
}

module.exports = { ALGS, checkAlg, thumbprint, newPrivateJwk, publicJwk, privatePem, signJws, writeSecret };
