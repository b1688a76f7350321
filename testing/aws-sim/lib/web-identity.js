'use strict';
// AssumeRoleWithWebIdentity's token check: a JWT signed RS256/384/512 or ES256/384/512 by a key of
// a configured OIDC provider (its JWKS fetched over HTTPS with the provider's CA, found through
// discovery unless jwksUri is given, or a static JWK set), with iss, aud, exp as STS checks them.

const fs = require('node:fs');
const https = require('node:https');
const crypto = require('node:crypto');

const HASHES = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };

function err(status, code, message) {
  return { ok: false, status, code, message };
}

function getJson(url, caFile) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: caFile ? fs.readFileSync(caFile) : undefined, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) { reject(new Error(`${url}: HTTP ${res.statusCode}`)); return; }
        try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (e) { reject(e); }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', reject);
  });
}

function decodeSegment(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

class WebIdentityVerifier {
  // providers: [{issuer, caFile, jwksUri, jwks (an inline JWK set), jwksFile}]
  constructor(providers = [], clock) {
    this.providers = new Map(providers.map((p) => [p.issuer, p]));
    this.clock = clock;
    this.keySets = new Map();
  }

  async keysOf(provider, refresh) {
    if (provider.jwks) return provider.jwks.keys;
    if (provider.jwksFile) return JSON.parse(fs.readFileSync(provider.jwksFile, 'utf8')).keys;
    if (!refresh && this.keySets.has(provider.issuer)) return this.keySets.get(provider.issuer);
    let uri = provider.jwksUri;
    if (!uri) uri = (await getJson(`${provider.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, provider.caFile)).jwks_uri;
    const keys = (await getJson(uri, provider.caFile)).keys || [];
    this.keySets.set(provider.issuer, keys);
    return keys;
  }

  async findKey(provider, header) {
    const pick = (keys) => keys.find((k) => (header.kid ? k.kid === header.kid : true) && (!k.use || k.use === 'sig'));
    let key = pick(await this.keysOf(provider, false));
    if (!key) key = pick(await this.keysOf(provider, true));
    return key || null;
  }

  // Returns {ok:true, claims, issuer} or an STS error value.
  async verify(token) {
    const parts = String(token).split('.');
    if (parts.length !== 3) return err(400, 'InvalidIdentityToken', 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)');
    let header;
    let claims;
    try { header = decodeSegment(parts[0]); claims = decodeSegment(parts[1]); } catch {
      return err(400, 'InvalidIdentityToken', 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)');
    }
    const provider = this.providers.get(claims.iss);
    if (!provider) return err(400, 'InvalidIdentityToken', `No OpenIDConnect provider found in your account for ${claims.iss}`);
    if (!HASHES[header.alg]) return err(400, 'InvalidIdentityToken', `Unsupported signing algorithm ${header.alg}`);
    let jwk;
    try { jwk = await this.findKey(provider, header); } catch (e) {
      return err(400, 'IDPCommunicationError', `Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements (${e.message})`);
    }
    if (!jwk) return err(400, 'InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements");
    const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const sig = Buffer.from(parts[2], 'base64url');
    const ok = crypto.verify(HASHES[header.alg], signed, header.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
    if (!ok) return err(400, 'InvalidIdentityToken', 'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.');
    const now = Math.floor(this.clock.nowMs() / 1000);
    if (typeof claims.exp !== 'number' || now >= claims.exp) {
      return err(400, 'ExpiredTokenException', 'Token expired: current date/time must be before the expiration date/time.');
    }
    if (typeof claims.nbf === 'number' && now + 300 < claims.nbf) return err(400, 'InvalidIdentityToken', 'Token is not yet valid (nbf).');
    if (!claims.sub) return err(400, 'InvalidIdentityToken', 'Token has no sub claim.');
    return { ok: true, claims, issuer: claims.iss, audiences: Array.isArray(claims.aud) ? claims.aud : [claims.aud] };
  }
}

module.exports = { WebIdentityVerifier };
