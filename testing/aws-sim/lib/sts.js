'use strict';
// The STS stand-in: HTTPS, POST / (awsQuery form bodies) and GET / (query, presigned or header
// signed). Every signed call is verified with lib/sigv4-verify.js against the principal store;
// AssumeRoleWithWebIdentity is unsigned and verified by its JWT. Tests steer it through /_sim:
// GET /_sim/calls (the call log, no secrets), POST /_sim/clock {offsetSeconds},
// POST /_sim/faults {failNext: {count, kind: 'throttling'|'unavailable'}, credentialLifetimeSeconds},
// POST /_sim/revoke (every role session issued so far stops working).

const fs = require('node:fs');
const https = require('node:https');
const crypto = require('node:crypto');
const sig = require('./sigv4-verify');
const actions = require('./sts-actions');
const responses = require('./sts-responses');
const { WebIdentityVerifier } = require('./web-identity');

const VERSION = '2011-06-15';
const ACTIONS = new Set(['AssumeRole', 'AssumeRoleWithWebIdentity', 'GetCallerIdentity']);
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const STS_HOST = /^sts(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|api\.aws|api\.amazonwebservices\.com\.cn|amazonaws\.eu|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;
const FAULTS = {
  throttling: { status: 400, code: 'Throttling', message: 'Rate exceeded' },
  unavailable: { status: 503, code: 'ServiceUnavailable', message: 'Service is unavailable' },
};

// The scope region must be the endpoint's: the global host signs for us-east-1, a regional host for
// its region, and the loopback address the stand-in listens on for one of the configured regions.
function regionRuleFor(host, regions) {
  const name = String(host || '').replace(/:\d+$/, '').toLowerCase();
  if (name === 'sts.amazonaws.com') return (r) => r === 'us-east-1';
  const m = STS_HOST.exec(name);
  if (m) return (r) => r === m[1];
  return (r) => (regions ? regions.includes(r) : REGION.test(r));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

class StsSim {
  constructor({ principals, clock, regions = null, oidcProviders = [], faults = {} }) {
    this.principals = principals;
    this.clock = clock;
    this.regions = regions;
    this.webIdentity = new WebIdentityVerifier(oidcProviders, clock);
    this.failNext = { count: 0, kind: 'throttling' };
    this.calls = [];
    this.setFaults(faults);
  }

  setFaults({ failNext, credentialLifetimeSeconds } = {}) {
    if (failNext) {
      if (!FAULTS[failNext.kind || 'throttling']) throw new Error(`unknown fault kind ${failNext.kind}`);
      this.failNext = { count: Number(failNext.count) || 0, kind: failNext.kind || 'throttling' };
    }
    if (credentialLifetimeSeconds !== undefined) this.principals.credentialLifetimeSeconds = credentialLifetimeSeconds || null;
  }

  // The caller of a signed request: signature syntax, key, signature, time, then the key's session.
  authenticateSigned(request) {
    const auth = sig.parseAuthorization(request);
    if (!auth.ok) return auth;
    const known = this.principals.authenticate(auth.credential.accessKeyId, auth.sessionToken);
    if (!known.ok && known.code === 'InvalidClientTokenId') return known;
    const host = sig.headerValues(request.rawHeaders, 'host')[0];
    const timed = sig.checkTimeAndScope(auth, { now: this.clock.now(), service: 'sts', regionAllowed: regionRuleFor(host, this.regions) });
    if (!timed.ok) return timed;
    const principal = this.principals.keys.get(auth.credential.accessKeyId);
    const checked = sig.checkSignature(request, auth, principal.secretAccessKey);
    if (!checked.ok) return checked;
    if (!known.ok) return known;
    return { ok: true, principal, accessKeyId: auth.credential.accessKeyId };
  }

  async perform(action, request, form, entry) {
    if (action === 'AssumeRoleWithWebIdentity') {
      const result = await actions.assumeRoleWithWebIdentity(this, form);
      if (result.ok) entry.principal = `${result.claims.iss}#${result.claims.sub}`;
      return result;
    }
    const caller = this.authenticateSigned(request);
    if (!caller.ok) return caller;
    entry.principal = caller.principal.arn;
    entry.callerAccessKeyId = caller.accessKeyId;
    if (action === 'GetCallerIdentity') return { ok: true, identity: this.principals.callerIdentity(caller.principal) };
    return actions.assumeRole(this, caller.principal, form);
  }

  async handle(req, res) {
    const body = await readBody(req);
    const rawUrl = req.url || '/';
    const q = rawUrl.indexOf('?');
    const request = { method: req.method, rawPath: q < 0 ? rawUrl : rawUrl.slice(0, q), rawQuery: q < 0 ? '' : rawUrl.slice(q + 1),
                      rawHeaders: req.rawHeaders, body };
    if (request.rawPath.startsWith('/_sim/')) return this.control(req, res, request);
    const requestId = crypto.randomUUID();
    const json = /application\/json/i.test(req.headers.accept || '');
    const isForm = req.method === 'POST' && /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] || '');
    const form = new URLSearchParams(isForm ? body.toString('utf8') : request.rawQuery);
    const action = form.get('Action');
    const entry = { time: this.clock.now().toISOString(), requestId, action, method: req.method, host: req.headers.host || '',
                    clusterId: req.headers['x-k8s-aws-id'] || null, principal: null };
    let result;
    if (this.failNext.count > 0) {
      this.failNext.count -= 1;
      result = { ok: false, ...FAULTS[this.failNext.kind] };
    } else if (!ACTIONS.has(action) || form.get('Version') !== VERSION) {
      result = { ok: false, status: 400, code: 'InvalidAction', message: `Could not find operation ${action} for version ${form.get('Version')}` };
    } else {
      result = await this.perform(action, request, form, entry);
    }
    this.record(entry, result);
    return this.answer(res, action, result, requestId, json);
  }

  record(entry, result) {
    const s = result.ok ? result.session : null;
    const p = result.ok ? result.params : null;
    Object.assign(entry, {
      role: p ? p.roleArn : null, sessionName: p ? p.roleSessionName : null, sourceIdentity: s ? s.sourceIdentity : null,
      tags: s ? s.tags : [], transitiveTagKeys: s ? s.transitiveTagKeys : [], issuedAccessKeyId: s ? s.accessKeyId : null,
      expiration: s ? s.expiration : null, result: result.ok ? 'OK' : result.code, status: result.ok ? 200 : result.status,
    });
    this.calls.push(entry);
  }

  answer(res, action, result, requestId, json) {
    let text;
    if (!result.ok) text = json ? responses.errorJson(result, requestId) : responses.errorXml(result, requestId);
    else if (action === 'GetCallerIdentity') text = json ? responses.callerIdentityJson(result.identity, requestId) : responses.callerIdentityXml(result.identity, requestId);
    else if (action === 'AssumeRole') text = responses.assumeRoleXml(result, requestId);
    else text = responses.assumeRoleWithWebIdentityXml(result, requestId);
    const type = json && (action === 'GetCallerIdentity' || !result.ok) ? 'application/json' : 'text/xml';
    res.writeHead(result.ok ? 200 : result.status, { 'x-amzn-RequestId': requestId, 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  control(req, res, request) {
    const send = (code, value) => {
      const text = `${JSON.stringify(value)}\n`;
      res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    let input = {};
    try { input = request.body.length ? JSON.parse(request.body.toString('utf8')) : {}; } catch (e) { return send(400, { error: e.message }); }
    try {
      if (request.rawPath === '/_sim/calls' && req.method === 'GET') return send(200, this.calls);
      if (request.rawPath === '/_sim/calls' && req.method === 'DELETE') { this.calls = []; return send(200, {}); }
      if (request.rawPath === '/_sim/clock' && req.method === 'POST') {
        this.clock.setOffsetSeconds(Number(input.offsetSeconds) || 0);
        return send(200, { offsetSeconds: this.clock.offsetMs / 1000, now: this.clock.now().toISOString() });
      }
      if (request.rawPath === '/_sim/revoke' && req.method === 'POST') return send(200, { revoked: this.principals.revokeSessions() });
      if (request.rawPath === '/_sim/faults' && req.method === 'POST') {
        this.setFaults(input);
        return send(200, { failNext: this.failNext, credentialLifetimeSeconds: this.principals.credentialLifetimeSeconds });
      }
    } catch (e) {
      return send(400, { error: e.message });
    }
    return send(404, { error: `no control endpoint ${req.method} ${request.rawPath}` });
  }
}

// Starts the STS stand-in on HTTPS. Resolves {url, port, sim, close}.
async function startSts({ listen = '127.0.0.1:0', certFile, keyFile, ...options }) {
  const sim = new StsSim(options);
  const [, host, port] = /^(.*):(\d+)$/.exec(listen);
  const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (req, res) => {
    sim.handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/xml' });
      res.end(responses.errorXml({ status: 500, code: 'InternalFailure', message: e.message }, crypto.randomUUID()));
    });
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(Number(port), host.replace(/^\[|\]$/g, ''), resolve); });
  const actual = server.address().port;
  return {
    url: `https://${host}:${actual}`, port: actual, sim, server,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

module.exports = { startSts, StsSim, regionRuleFor };
