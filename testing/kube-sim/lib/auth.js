'use strict';
// Authentication as a real cluster applies it to whoever calls it (for kube-sim: mostly the gateway),
// then impersonation exactly as apiserver pkg/endpoints/filters/impersonation.go (wire §9).

const fs = require('node:fs');
const { StatusError, unauthorized, forbiddenFor } = require('./status');

const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';

// kube-apiserver's --token-auth-file format: token,user,uid[,"group1,group2"].
function parseTokenFile(text) {
  const tokens = new Map();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const fields = splitCsvLine(trimmed);
    if (fields.length < 3) throw new Error(`token file line has fewer than 3 fields: ${trimmed.slice(0, 20)}...`);
    const groups = fields[3] ? fields[3].split(',').map((g) => g.trim()).filter(Boolean) : [];
    tokens.set(fields[0], { username: fields[1], uid: fields[2], groups });
  }
  return tokens;
}

function splitCsvLine(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}

// Every authenticated user is also system:authenticated (the union authenticator's group adder).
function withAuthenticatedGroup(user) {
  const groups = user.groups.includes('system:authenticated') ? user.groups : [...user.groups, 'system:authenticated'];
  return { uid: '', extra: {}, ...user, groups };
}

class Authenticator {
  // tokenFile: path of a token file; eksVerifier: optional async (token) => user|null for
  // `k8s-aws-v1.` tokens (lib/eks-auth.js: aws-iam-authenticator's checks), throwing on failure.
  constructor({ tokenFile, extraTokens = new Map(), eksVerifier = null }) {
    this.tokens = new Map(extraTokens);
    if (tokenFile && fs.existsSync(tokenFile)) {
      for (const [k, v] of parseTokenFile(fs.readFileSync(tokenFile, 'utf8'))) this.tokens.set(k, v);
    }
    this.eksVerifier = eksVerifier;
  }

  // Returns {user, scheme}; throws 401 for presented credentials that do not verify. No credentials
  // at all make the anonymous user, as kube-apiserver does with anonymous auth on (RBAC then decides).
  async authenticate(req) {
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const scheme = header.split(/\s+/)[0];
      if (!m) throw unauthorized();
      return { user: await this.fromToken(m[1]), scheme };
    }
    const cert = clientCertificateUser(req.socket);
    if (cert) return { user: cert, scheme: 'x509' };
    return { user: { username: 'system:anonymous', uid: '', groups: ['system:unauthenticated'], extra: {} }, scheme: '' };
  }

  async fromToken(token) {
    const known = this.tokens.get(token);
    if (known) return withAuthenticatedGroup({ ...known });
    if (token.startsWith(EKS_TOKEN_PREFIX) && this.eksVerifier) {
      let user = null;
      try {
        user = await this.eksVerifier(token);
      } catch (e) {
        // The API server says only 401; the failed check goes to the request log (never the token).
        const err = unauthorized();
        err.authFailure = e.authFailure || `eks: ${e.message}`;
        throw err;
      }
      if (user) return withAuthenticatedGroup(user);
    }
    throw unauthorized();
  }
}

// x509: CN is the user, each O a group; only certificates our CA signed count.
function clientCertificateUser(socket) {
  if (!socket || typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return null;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject || !cert.subject.CN) return null;
  const o = cert.subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return withAuthenticatedGroup({ username: cert.subject.CN, uid: '', groups });
}

function headerValues(req, name) {
  const out = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) out.push(raw[i + 1]);
  return out;
}

function impersonationHeaders(req) {
  const extras = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.startsWith('impersonate-extra-')) {
      const key = decodeURIComponent(name.slice('impersonate-extra-'.length));
      (extras[key] = extras[key] || []).push(raw[i + 1]);
    }
  }
  return {
    user: headerValues(req, 'impersonate-user')[0] || '',
    groups: headerValues(req, 'impersonate-group'),
    uid: headerValues(req, 'impersonate-uid')[0] || '',
    extras,
  };
}

// Go prints []ObjectReference with %v; kube-sim writes a readable equivalent.
function describeRequested(h) {
  const parts = [];
  for (const g of h.groups) parts.push(`{Group  ${g}    authentication.k8s.io/v1  }`);
  if (h.uid) parts.push(`{UID  ${h.uid}    authentication.k8s.io/v1  }`);
  for (const [k, vs] of Object.entries(h.extras)) for (const v of vs) parts.push(`{${k}  ${v}    authentication.k8s.io/v1  }`);
  return `[${parts.join(' ')}]`;
}

// Applies Impersonate-* headers. Returns the user the request acts as, or throws: 500 plain text for
// groups/uid/extra without a user, 403 Forbidden (verb impersonate) for each item not allowed.
function impersonate(req, requester, authorizer) {
  const h = impersonationHeaders(req);
  const hasOther = h.groups.length > 0 || h.uid || Object.keys(h.extras).length > 0;
  if (!h.user) {
    if (!hasOther) return null;
    const err = new StatusError({ code: 500, reason: 'InternalError',
      message: `Internal Server Error: ${JSON.stringify(req.url)}: requested ${describeRequested(h)} without impersonating a user` });
    err.plainText = true;
    throw err;
  }
  const checks = [];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(h.user);
  if (sa) checks.push({ apiGroup: '', resource: 'serviceaccounts', namespace: sa[1], name: sa[2] });
  else checks.push({ apiGroup: '', resource: 'users', namespace: '', name: h.user });
  for (const g of h.groups) checks.push({ apiGroup: '', resource: 'groups', namespace: '', name: g });
  for (const [k, vs] of Object.entries(h.extras)) {
    for (const v of vs) checks.push({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: k, namespace: '', name: v });
  }
  if (h.uid) checks.push({ apiGroup: 'authentication.k8s.io', resource: 'uids', namespace: '', name: h.uid });
  for (const c of checks) {
    const attrs = { isResourceRequest: true, verb: 'impersonate', subresource: '', ...c };
    const decision = authorizer.authorize(requester, attrs);
    if (!decision.allowed) throw forbiddenFor(requester.username, attrs, decision.reason);
  }
  let groups = [...h.groups];
  if (sa && groups.length === 0) groups = ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`];
  if (!groups.includes('system:unauthenticated') && !groups.includes('system:authenticated') &&
      h.user !== 'system:anonymous') {
    groups.push('system:authenticated');
  }
  return { username: h.user, uid: h.uid, groups, extra: h.extras };
}

module.exports = { Authenticator, impersonate, parseTokenFile, EKS_TOKEN_PREFIX };
