'use strict';
// The HTTPS server. Every request, plain or upgrade, takes the path kube-apiserver's handler chain
// gives it: RequestInfo, authentication, impersonation, authorization, then the handler. The request
// log is written once the answer's status is known, so tests see what reached the cluster and how it
// was answered.

const fs = require('node:fs');
const path = require('node:path');
const https = require('node:https');
const crypto = require('node:crypto');
const YAML = require('yaml');

const { Registry } = require('./registry');
const { createContext, writeRawResponse } = require('./context');
const { newRequestInfo } = require('./requestinfo');
const { Authenticator, impersonate } = require('./auth');
const { RbacAuthorizer, bootstrapPolicy } = require('./rbac');
const { StatusError, forbiddenFor, badRequest, pathNotFound, internalError } = require('./status');
const pki = require('./pki');
const { OutputSplitter } = require('./split-output');

const MAX_BODY_BYTES = 3 * 1024 * 1024; // kube-apiserver's MaxRequestBodyBytes
const SUPPORTED_VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];

function loadSeed(seed) {
  if (!seed) return { users: [], objects: [] };
  const doc = typeof seed === 'string' ? YAML.parse(fs.readFileSync(seed, 'utf8')) : seed;
  return { users: doc.users || [], objects: doc.objects || [] };
}

// Writes the CA, serving and client certificates, token file and kubeconfigs for the seed's users.
function prepareStateDir({ stateDir, hosts, users, server, tokenFile }) {
  fs.mkdirSync(stateDir, { recursive: true });
  const ca = pki.ensureCA(stateDir);
  const serving = pki.ensureServingCert(stateDir, hosts);
  const admin = pki.ensureClientCert(stateDir, 'admin', 'kube-sim-admin', ['system:masters']);
  const kubeconfigDir = path.join(stateDir, 'kubeconfigs');
  fs.mkdirSync(kubeconfigDir, { recursive: true });
  const adminKubeconfig = path.join(stateDir, 'admin.kubeconfig');
  fs.writeFileSync(adminKubeconfig, pki.kubeconfig({ server, caFile: ca.crt, user: 'kube-sim-admin', cert: admin }), { mode: 0o600 });
  const tokens = new Map();
  for (const u of users) {
    const groups = u.groups || [];
    if (u.token) {
      tokens.set(u.token, { username: u.name, uid: u.uid || '', groups });
      fs.writeFileSync(path.join(kubeconfigDir, `${u.name}.kubeconfig`),
        pki.kubeconfig({ server, caFile: ca.crt, user: u.name, token: u.token }), { mode: 0o600 });
    }
    if (u.clientCertificate) pki.ensureClientCert(stateDir, u.name, u.name, groups);
  }
  const tokenLines = [...tokens].map(([t, u]) => `${t},${u.username},${u.uid},"${u.groups.join(',')}"`);
  const writtenTokenFile = tokenFile || path.join(stateDir, 'tokens.csv');
  if (!tokenFile) fs.writeFileSync(writtenTokenFile, `${tokenLines.join('\n')}\n`, { mode: 0o600 });
  return { ca, serving, adminKubeconfig, tokenFile: writtenTokenFile };
}

function requestLogger(file) {
  return (ctx, code) => {
    const i = ctx.info || {};
    const u = ctx.user || {};
    const line = {
      time: new Date().toISOString(), auditID: ctx.auditId, method: ctx.method, path: ctx.rawPath, query: ctx.rawQuery,
      verb: i.verb || '', apiGroup: i.apiGroup || '', resource: i.resource || '', subresource: i.subresource || '',
      namespace: i.namespace || '', name: i.name || '', user: u.username || '', groups: u.groups || [],
      impersonatedBy: ctx.impersonatedBy, authScheme: ctx.authScheme, contentType: ctx.req.headers['content-type'] || '',
      bodySha256: crypto.createHash('sha256').update(ctx.body).digest('hex'), bodyBytes: ctx.body.length, code,
    };
    if (ctx.authFailure) line.authFailure = ctx.authFailure;
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new StatusError({ code: 413, reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 3145728' }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// Go's url.URL.Path: the percent-decoded path. A malformed escape fails the request line.
function decodePath(rawPath) {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    throw badRequest(`invalid URL escape in path ${JSON.stringify(rawPath)}`);
  }
}

function attributes(ctx) {
  const i = ctx.info;
  return { isResourceRequest: i.isResourceRequest, verb: i.verb, apiGroup: i.apiGroup, resource: i.resource,
           subresource: i.subresource, namespace: i.namespace, name: i.name, path: ctx.path };
}

async function authenticateAndAuthorize(ctx, sim) {
  let authenticated;
  try {
    authenticated = await sim.authenticator.authenticate(ctx.req);
  } catch (err) {
    if (err.authFailure) ctx.authFailure = err.authFailure;
    throw err;
  }
  const { user, scheme } = authenticated;
  ctx.authScheme = scheme;
  ctx.user = user;
  const impersonated = impersonate(ctx.req, user, sim.authorizer);
  if (impersonated) {
    ctx.impersonatedBy = user.username;
    ctx.user = impersonated;
  }
  const attrs = attributes(ctx);
  const decision = sim.authorizer.authorize(ctx.user, attrs);
  if (!decision.allowed) throw forbiddenFor(ctx.user.username, attrs, decision.reason);
}

const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);

function handleNonResource(ctx, sim) {
  if (HEALTH_PATHS.has(ctx.path)) return ctx.sendText(200, 'ok');
  if (ctx.path === '/version' || ctx.path === '/version/') {
    return ctx.sendObject(200, require('./version').versionInfo(sim.emulatedVersion));
  }
  if (require('./discovery').handleDiscovery(ctx)) return undefined;
  if (require('./openapi').handleOpenAPI(ctx)) return undefined;
  if (ctx.path.startsWith('/api/') || ctx.path.startsWith('/apis/')) throw pathNotFound();
  return ctx.sendText(404, '404 page not found\n', { 'X-Content-Type-Options': 'nosniff' });
}

const POD_STREAMS = new Set(['exec', 'attach', 'portforward']);

async function dispatch(ctx, sim) {
  const i = ctx.info;
  if (!i.isResourceRequest) return handleNonResource(ctx, sim);
  if (i.apiGroup === '' && i.resource === 'pods' && i.name) {
    if (POD_STREAMS.has(i.subresource)) return require('./streams').handlePodStream(ctx);
    if (i.subresource === 'log') return require('./streams').handlePodLog(ctx);
  }
  if (ctx.socket) throw badRequest('upgrade requests are served only for pods/exec, pods/attach and pods/portforward');
  return require('./resources').handleResource(ctx);
}

function sendFailure(ctx, err) {
  const statusErr = err instanceof StatusError ? err : internalError(String(err && err.message));
  if (!(err instanceof StatusError)) console.error('kube-sim: handler failed:', err);
  if (ctx.res && ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  if (statusErr.plainText) {
    return ctx.sendRaw(statusErr.code, 'text/plain; charset=utf-8', Buffer.from(`${statusErr.message}\n`),
      { 'X-Content-Type-Options': 'nosniff' });
  }
  return ctx.sendStatus(statusErr);
}

async function serve(ctx, sim) {
  try {
    ctx.path = decodePath(ctx.rawPath);
    ctx.info = newRequestInfo(ctx.method, ctx.path, ctx.query);
    if (ctx.info.error) throw internalError(ctx.info.error);
    if (ctx.res) ctx.body = await readBody(ctx.req);
    await authenticateAndAuthorize(ctx, sim);
    await dispatch(ctx, sim);
  } catch (err) {
    sendFailure(ctx, err);
  }
}

function buildSim({ emulatedVersion, stateDir, seed, tokenFile, eksVerifier }) {
  const registry = new Registry(emulatedVersion);
  const { Store } = require('./store');
  const store = new Store(registry);
  const { PodRuntime } = require('./pods');
  const pods = new PodRuntime(store);
  const authorizer = new RbacAuthorizer(store, registry);
  const authenticator = new Authenticator({ tokenFile, eksVerifier });
  const sim = { registry, store, pods, authorizer, authenticator, emulatedVersion, stateDir };
  const resources = require('./resources');
  if (resources.bootstrap) resources.bootstrap(sim);
  for (const obj of [...bootstrapPolicy(), ...seed.objects]) {
    if (resources.seedObject) resources.seedObject(sim, obj);
    else storeSeedObject(sim, obj);
  }
  return sim;
}

function storeSeedObject(sim, obj) {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const type = sim.registry.types.find((t) => t.group === group && t.version === version && t.kind === obj.kind);
  if (!type) throw new Error(`seed object of unserved kind ${obj.apiVersion} ${obj.kind}`);
  const copy = structuredClone(obj);
  if (type.resource === 'pods') sim.pods.prepareNewPod(copy);
  sim.store.create(type, copy);
}

function parseListen(listen) {
  const m = /^(.*):(\d+)$/.exec(listen || '127.0.0.1:0');
  if (!m) throw new Error(`--listen must be HOST:PORT, got ${listen}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

// Starts kube-sim. Resolves to {url, port, stateDir, adminKubeconfig, caFile, requestLog, sim, close}.
// `splitOutput` ({within, delayMs}) is a test option: see lib/split-output.js.
// `eks` (lib/eks-auth.js config) turns on EKS mode: `k8s-aws-v1.` tokens are verified against STS.
async function startServer({ listen = '127.0.0.1:0', stateDir, seed, emulatedVersion = '1.33', tokenFile, eksVerifier,
                             eks, splitOutput } = {}) {
  if (eks && !eksVerifier) eksVerifier = require('./eks-auth').createEksVerifier(eks);
  if (!SUPPORTED_VERSIONS.includes(emulatedVersion)) {
    throw new Error(`unsupported emulated version ${emulatedVersion}; choose one of ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  if (!stateDir) throw new Error('a state folder is required');
  const { host, port } = parseListen(listen);
  const seedDoc = loadSeed(seed);
  fs.mkdirSync(stateDir, { recursive: true });
  const hosts = [...new Set(['127.0.0.1', 'localhost', '::1', host].filter(Boolean))];
  pki.ensureCA(stateDir);
  const serving = pki.ensureServingCert(stateDir, hosts);
  const sim = buildSim({ emulatedVersion, stateDir, seed: seedDoc, tokenFile, eksVerifier: eksVerifier || null });
  sim.splitter = splitOutput ? new OutputSplitter(splitOutput) : null;
  const requestLog = path.join(stateDir, 'requests.log');
  const logRequest = requestLogger(requestLog);
  const server = https.createServer({
    key: fs.readFileSync(serving.key), cert: fs.readFileSync(serving.crt), ca: fs.readFileSync(path.join(stateDir, 'ca.crt')),
    requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], keepAliveTimeout: 65000,
  });
  server.on('request', (req, res) => {
    if (sim.splitter) sim.splitter.wrapResponse(res);
    serve(createContext({ req, res, sim, requestLog: logRequest }), sim);
  });
  // Upgraded connections leave the server's bookkeeping; close() must still end them.
  const tunnels = new Set();
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    serve(createContext({ req, socket, head, sim, requestLog: logRequest }), sim);
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) writeRawResponse(socket, 400, { 'Content-Type': 'text/plain; charset=utf-8' }, '400 Bad Request');
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  const actualPort = server.address().port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  const files = prepareStateDir({ stateDir, hosts, users: seedDoc.users, server: url, tokenFile });
  sim.authenticator = new Authenticator({ tokenFile: files.tokenFile, eksVerifier: eksVerifier || null });
  return {
    url, port: actualPort, stateDir, adminKubeconfig: files.adminKubeconfig, caFile: files.ca.crt, requestLog, sim, server,
    eksClock: eksVerifier && eksVerifier.clock ? eksVerifier.clock : null,
    close: () => new Promise((resolve) => {
      for (const s of tunnels) s.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

module.exports = { startServer, SUPPORTED_VERSIONS };
