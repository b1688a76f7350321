'use strict';
// The IAM side every stand-in shares: static base users (long-term AKIA keys), roles with a trust
// policy, and the temporary credentials (ASIA keys) issued for role sessions, by STS AssumeRole*,
// by the IMDS stand-in (instance profile) or the container endpoint. A caller holding any of
// these can then sign STS calls.

const crypto = require('node:crypto');

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomId(prefix, length) {
  let out = prefix;
  for (const byte of crypto.randomBytes(length)) out += ID_ALPHABET[byte % 32];
  return out;
}

// Stable ids for configured users and roles (IAM keeps them for the entity's life).
function stableId(prefix, seed) {
  let out = prefix;
  for (const byte of crypto.createHash('sha256').update(seed).digest().subarray(0, 17)) out += ID_ALPHABET[byte % 32];
  return out;
}

// Constant-time equality of two strings of any length.
function sameSecret(a, b) {
  const digest = (x) => crypto.createHash('sha256').update(String(x)).digest();
  return crypto.timingSafeEqual(digest(a), digest(b));
}

function isoSeconds(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

class Principals {
  // users: [{name, accessKeyId, secretAccessKey}]; roles: [{name, path, maxSessionDuration, trust}]
  // trust: {principals: [ARN | '*'], externalId, allowTagSession, allowSourceIdentity,
  //         webIdentity: [{issuer, audience, subject}]}.
  constructor({ accountId = '123456789012', partition = 'aws', users = [], roles = [], clock }) {
    this.accountId = accountId;
    this.partition = partition;
    this.clock = clock;
    this.credentialLifetimeSeconds = null; // fault injection: every issued session lives this long
    this.keys = new Map();
    this.roles = new Map();
    for (const u of users) this.addUser(u);
    for (const r of roles) this.addRole(r);
  }

  addUser({ name, accessKeyId, secretAccessKey }) {
    if (!/^AKIA[A-Z0-9]{12,}$/.test(accessKeyId || '')) throw new Error(`user ${name}: accessKeyId must look like AKIA...`);
    const arn = `arn:${this.partition}:iam::${this.accountId}:user/${name}`;
    this.keys.set(accessKeyId, { kind: 'user', name, arn, userId: stableId('AIDA', arn), accessKeyId, secretAccessKey,
                                 sessionToken: null, expirationMs: null });
  }

  addRole({ name, path = '/', maxSessionDuration = 3600, trust = {} }) {
    const arn = `arn:${this.partition}:iam::${this.accountId}:role${path}${name}`;
    this.roles.set(arn, { name, path, arn, roleId: stableId('AROA', arn), maxSessionDuration, trust });
    return this.roles.get(arn);
  }

  roleByArn(arn) {
    return this.roles.get(arn) || null;
  }

  roleByName(name) {
    return [...this.roles.values()].find((r) => r.name === name) || null;
  }

  // The principal behind an access key, after the checks STS applies to the key and its session
  // token. Returns {ok, principal} or {ok:false, status, code, message}.
  authenticate(accessKeyId, sessionToken) {
    const principal = this.keys.get(accessKeyId);
    const invalid = { ok: false, status: 403, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' };
    if (!principal) return invalid;
    if (principal.kind === 'user' && sessionToken) return invalid;
    if (principal.kind === 'session') {
      if (!sessionToken || !sameSecret(sessionToken, principal.sessionToken)) return invalid;
      if (this.clock.nowMs() >= principal.expirationMs) {
        return { ok: false, status: 400, code: 'ExpiredToken', message: 'The security token included in the request is expired' };
      }
    }
    return { ok: true, principal };
  }

  // ARNs a trust policy may name to match this caller: itself, its role (for sessions), its account.
  callerArns(principal) {
    const root = `arn:${this.partition}:iam::${this.accountId}:root`;
    if (principal.kind === 'user') return [principal.arn, root];
    return [principal.arn, principal.roleArn, root];
  }

  callerIdentity(principal) {
    return { Account: this.accountId, Arn: principal.arn, UserId: principal.kind === 'user' ? principal.userId : `${principal.roleId}:${principal.sessionName}` };
  }

  // A new role session. `durationSeconds` is already validated by the caller; the fault
  // injection's shorter lifetime wins.
  issueSession(role, { sessionName, durationSeconds, sourceIdentity = null, tags = [], transitiveTagKeys = [], issuedBy }) {
    const lifetime = this.credentialLifetimeSeconds ? Math.min(this.credentialLifetimeSeconds, durationSeconds) : durationSeconds;
    const expirationMs = Math.floor(this.clock.nowMs() / 1000) * 1000 + lifetime * 1000;
    const accessKeyId = randomId('ASIA', 16);
    const session = {
      kind: 'session', accessKeyId, secretAccessKey: crypto.randomBytes(30).toString('base64'),
      sessionToken: `FwoGZXIvYXdzE${crypto.randomBytes(270).toString('base64')}`,
      expirationMs, expiration: isoSeconds(expirationMs), roleArn: role.arn, roleName: role.name, roleId: role.roleId,
      sessionName, arn: `arn:${this.partition}:sts::${this.accountId}:assumed-role/${role.name}/${sessionName}`,
      sourceIdentity, tags, transitiveTagKeys, issuedBy,
    };
    this.keys.set(accessKeyId, session);
    return session;
  }

  // Ends every role session issued so far, as an administrator revoking sessions does (the role's
  // AWSRevokeOlderSessions policy): their keys are refused from now on. Returns how many.
  revokeSessions() {
    let revoked = 0;
    for (const [key, principal] of this.keys) {
      if (principal.kind === 'session') { this.keys.delete(key); revoked += 1; }
    }
    return revoked;
  }
}

module.exports = { Principals, isoSeconds, randomId };
