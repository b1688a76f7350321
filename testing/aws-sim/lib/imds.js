'use strict';
// The EC2 instance metadata service, IMDSv2 only (plain HTTP): PUT /latest/api/token with
// x-aws-ec2-metadata-token-ttl-seconds (1..21600) gives a session token; every GET needs it in
// x-aws-ec2-metadata-token, and a GET without one (IMDSv1) is refused with 401, as on an instance
// with HttpTokens=required. The instance profile's credentials are role sessions from the shared
// principal store, so a caller holding them can sign STS calls (and chain to another role).

const http = require('node:http');
const crypto = require('node:crypto');
const { isoSeconds } = require('./principals');

const CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials/';
const REFRESH_BEFORE_MS = 15 * 60 * 1000;

class ImdsSim {
  constructor({ principals, clock, roleName, instanceId = 'i-0123456789abcdef0', credentialLifetimeSeconds = 21600 }) {
    this.principals = principals;
    this.clock = clock;
    this.role = principals.roleByName(roleName);
    if (!this.role) throw new Error(`imds: no role named ${roleName}`);
    this.instanceId = instanceId;
    this.lifetime = credentialLifetimeSeconds;
    this.tokens = new Map();
    this.session = null;
    this.requests = [];
  }

  // The instance profile's current session, renewed when it gets close to its end (as EC2 rotates).
  currentSession() {
    if (!this.session || this.session.expirationMs - this.clock.nowMs() < REFRESH_BEFORE_MS) {
      this.session = this.principals.issueSession(this.role, { sessionName: this.instanceId, durationSeconds: this.lifetime,
                                                               issuedBy: 'ec2.amazonaws.com' });
    }
    return this.session;
  }

  handle(req, res) {
    const send = (code, text, headers = {}) => {
      res.writeHead(code, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    const path = (req.url || '/').split('?')[0];
    this.requests.push({ method: req.method, path, withToken: Boolean(req.headers['x-aws-ec2-metadata-token']) });
    if (req.method === 'PUT' && path === '/latest/api/token') {
      if (req.headers['x-forwarded-for']) return send(403, 'Forbidden');
      const ttlText = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
      const ttl = Number(ttlText);
      if (!/^\d+$/.test(ttlText || '') || ttl < 1 || ttl > 21600) return send(400, 'Bad Request');
      const token = crypto.randomBytes(42).toString('base64');
      this.tokens.set(token, this.clock.nowMs() + ttl * 1000);
      return send(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    }
    if (req.method !== 'GET') return send(405, 'Method Not Allowed');
    const token = req.headers['x-aws-ec2-metadata-token'];
    const until = token && this.tokens.get(token);
    if (!until || until <= this.clock.nowMs()) return send(401, 'Unauthorized');
    if (path === '/latest/meta-data/instance-id') return send(200, this.instanceId);
    if (path === CREDENTIALS_PATH) return send(200, this.role.name);
    if (path === `${CREDENTIALS_PATH}${this.role.name}` || path === `${CREDENTIALS_PATH}${this.role.name}/`) {
      const s = this.currentSession();
      const doc = { Code: 'Success', LastUpdated: isoSeconds(this.clock.nowMs()), Type: 'AWS-HMAC', AccessKeyId: s.accessKeyId,
                    SecretAccessKey: s.secretAccessKey, Token: s.sessionToken, Expiration: s.expiration };
      return send(200, JSON.stringify(doc, null, 2));
    }
    return send(404, 'Not Found');
  }
}

async function startImds({ listen = '127.0.0.1:0', ...options }) {
  const sim = new ImdsSim(options);
  const [, host, port] = /^(.*):(\d+)$/.exec(listen);
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => sim.handle(req, res)); });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(Number(port), host, resolve); });
  const actual = server.address().port;
  return { url: `http://${host}:${actual}`, port: actual, sim, server,
           close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

module.exports = { startImds, ImdsSim };
