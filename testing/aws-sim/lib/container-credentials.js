'use strict';
// The container credentials endpoint (EKS Pod Identity agent, ECS), plain HTTP: GET <path> with
// Authorization equal to the content of a token file, read again on every request (the kubelet
// rotates it). Answers the JSON the SDKs' container providers read, with a role session from the
// shared principal store.

const fs = require('node:fs');
const http = require('node:http');
const crypto = require('node:crypto');

class ContainerCredentialsSim {
  constructor({ principals, clock, roleName, tokenFile, path = '/v1/credentials', sessionName = 'eks-pod-identity',
                credentialLifetimeSeconds = 21600 }) {
    this.principals = principals;
    this.clock = clock;
    this.role = principals.roleByName(roleName);
    if (!this.role) throw new Error(`container credentials: no role named ${roleName}`);
    if (!tokenFile) throw new Error('container credentials: tokenFile is required');
    this.tokenFile = tokenFile;
    this.path = path;
    this.sessionName = sessionName;
    this.lifetime = credentialLifetimeSeconds;
    this.requests = [];
  }

  authorized(header) {
    let expected;
    try { expected = fs.readFileSync(this.tokenFile, 'utf8').replace(/\r?\n$/, ''); } catch { return false; }
    const digest = (x) => crypto.createHash('sha256').update(String(x)).digest();
    return Boolean(header) && expected.length > 0 && crypto.timingSafeEqual(digest(header), digest(expected));
  }

  handle(req, res) {
    const send = (code, value) => {
      const text = JSON.stringify(value);
      res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    const path = (req.url || '/').split('?')[0];
    const ok = this.authorized(req.headers.authorization);
    this.requests.push({ method: req.method, path, authorized: ok });
    if (req.method !== 'GET' || path !== this.path) return send(404, { code: 'NotFound', message: 'not found' });
    if (!req.headers.authorization) return send(401, { code: 'AccessDeniedException', message: 'Authorization header is missing' });
    if (!ok) return send(403, { code: 'AccessDeniedException', message: 'Authorization token is not valid' });
    const s = this.principals.issueSession(this.role, { sessionName: this.sessionName, durationSeconds: this.lifetime, issuedBy: 'pods.eks.amazonaws.com' });
    return send(200, { AccessKeyId: s.accessKeyId, SecretAccessKey: s.secretAccessKey, Token: s.sessionToken,
                       AccountId: this.principals.accountId, Expiration: s.expiration });
  }
}

async function startContainerCredentials({ listen = '127.0.0.1:0', ...options }) {
  const sim = new ContainerCredentialsSim(options);
  const [, host, port] = /^(.*):(\d+)$/.exec(listen);
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => sim.handle(req, res)); });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(Number(port), host, resolve); });
  const actual = server.address().port;
  return { url: `http://${host}:${actual}${sim.path}`, port: actual, sim, server,
           close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

module.exports = { startContainerCredentials, ContainerCredentialsSim };
