'use strict';
// A real OpenID Connect provider for kubegate's tests and demo: panva's oidc-provider (ESM, loaded
// with import()) behind an HTTPS server on a loopback address, with its own CA. It issues
// client-credentials access tokens as JWTs (RFC 9068, typ at+jwt) for the resource `urn:kubegate`
// (aud "kubegate"), with a `groups` claim per client, signed by keys it generates and publishes at
// its jwks_uri. Everything lives in a state folder: CA and serving certificate, signing keys, client
// secrets and the private_key_jwt client's key (secrets 0600).
//
// Test seams, none reachable over the network: rotateKeys()/dropOldKeys() change the published
// keys, stop()/start() take the IdP down and up on the same port, and mintToken() obtains a token
// through the real token endpoint, optionally with per-token changes (ttl, groups, claims, header,
// alg) handed to oidc-provider's hooks through an in-process table keyed by a random reference.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const crypto = require('node:crypto');
const { ensureCA, ensureServingCert } = require('./pki');
const keys = require('./keys');

const DEFAULT_CLIENTS = Object.freeze([
  { clientId: 'demo-agent', groups: ['agents'], authMethod: 'client_secret_basic' },
  { clientId: 'trusted-agent', groups: ['trusted'], authMethod: 'client_secret_basic' },
  { clientId: 'jwt-agent', groups: ['agents'], authMethod: 'private_key_jwt', keyAlg: 'RS256' },
  { clientId: 'reviewer', groups: ['reviewers'], authMethod: 'client_secret_basic' },
]);

// Resource indicator (RFC 8707) → the audience and scopes of the tokens issued for it. A request
// without `resource` gets DEFAULT_RESOURCE. The second one lets tests get a real token for the
// wrong audience.
const DEFAULT_RESOURCES = Object.freeze({
  'urn:kubegate': { audience: 'kubegate', scope: 'kubernetes' },
  'urn:other-api': { audience: 'other-api', scope: 'other' },
});
const DEFAULT_RESOURCE = 'urn:kubegate';

const AUTH_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
const REF_HEADER = 'x-kubegate-test-idp-ref';
const SIGNING_ALGS = Object.keys(keys.ALGS);
const REQUEST_TIMEOUT_MS = 15000;
const LISTEN_RETRY_MS = 5000;

let providerModule; // import('oidc-provider'), once per process
function loadProvider() {
  providerModule ||= import('oidc-provider');
  return providerModule;
}

function parseListen(listen) {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  if (!m) throw new Error(`listen must be HOST:PORT, got ${listen}`);
  const host = m[1];
  if (!(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) {
    throw new Error(`the test IdP listens on loopback addresses only, got ${host}`);
  }
  return { host, port: Number(m[2]) };
}

function checkClients(clients) {
  const seen = new Set();
  return clients.map((c) => {
    if (!c || typeof c.clientId !== 'string' || !/^[A-Za-z0-9._-]+$/.test(c.clientId)) {
      throw new Error(`client ids are [A-Za-z0-9._-]+, got ${JSON.stringify(c && c.clientId)}`);
    }
    if (seen.has(c.clientId)) throw new Error(`client ${c.clientId} is listed twice`);
    seen.add(c.clientId);
    const authMethod = c.authMethod || 'client_secret_basic';
    if (!AUTH_METHODS.has(authMethod)) throw new Error(`client ${c.clientId}: authMethod must be one of ${[...AUTH_METHODS].join(', ')}`);
    const groups = c.groups === undefined ? [] : c.groups;
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) throw new Error(`client ${c.clientId}: groups must be strings`);
    if (c.claims !== undefined && (typeof c.claims !== 'object' || Array.isArray(c.claims))) throw new Error(`client ${c.clientId}: claims must be an object`);
    if (c.clientSecret !== undefined && (typeof c.clientSecret !== 'string' || !c.clientSecret)) throw new Error(`client ${c.clientId}: clientSecret must be a non-empty string`);
    const keyAlg = c.keyAlg || 'RS256';
    if (authMethod === 'private_key_jwt') keys.checkAlg(keyAlg);
    return { clientId: c.clientId, groups, authMethod, claims: c.claims || {}, clientSecret: c.clientSecret, keyAlg };
  });
}

// A minimal oidc-provider storage adapter over one Map per IdP (kept across key rotations and
// restarts, so client-assertion replay detection survives them). Entries expire; the map is swept
// when it grows.
function makeAdapter(store) {
  const sweep = () => {
    const now = Date.now();
    for (const [k, v] of store) if (v.expires <= now) store.delete(k);
  };
  return class Adapter {
    constructor(name) { this.name = name; }

    key(id) { return `${this.name}:${id}`; }

    async upsert(id, payload, expiresIn) {
      if (store.size > 1000) sweep();
      store.set(this.key(id), { payload, expires: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    }

    async find(id) {
      const entry = store.get(this.key(id));
      if (!entry) return undefined;
      if (entry.expires <= Date.now()) { store.delete(this.key(id)); return undefined; }
      return entry.payload;
    }

    async findByUid(uid) {
      for (const [k, v] of store) if (k.startsWith(`${this.name}:`) && v.payload.uid === uid) return this.find(k.slice(this.name.length + 1));
      return undefined;
    }

    async findByUserCode(userCode) {
      for (const [k, v] of store) if (k.startsWith(`${this.name}:`) && v.payload.userCode === userCode) return this.find(k.slice(this.name.length + 1));
      return undefined;
    }

    async consume(id) {
      const entry = store.get(this.key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) { store.delete(this.key(id)); }

    async revokeByGrantId(grantId) {
      for (const [k, v] of store) if (v.payload.grantId === grantId) store.delete(k);
    }
  };
}

function httpsRequest(url, { method = 'GET', headers = {}, body, ca }) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`request to ${url} timed out`)));
    req.end(body);
  });
}

function decodeSegment(seg) {
  try { return JSON.parse(Buffer.from(seg, 'base64url').toString()); } catch { return undefined; }
}

// Starts the IdP. Options (all optional):
//   stateDir     folder for CA, certificates, keys and secrets (default: a temp folder that close() removes)
//   listen       loopback HOST:PORT, port 0 picks a free one (default 127.0.0.1:0)
//   alg          signing algorithm of the default key (RS256; also RS384/512, PS256/384/512, ES256/384, EdDSA)
//   algs         further algorithms to hold a current key for (mintToken(..., {alg}) picks one)
//   tokenTtl     access token lifetime in seconds (300)
//   jwksMaxAge   Cache-Control max-age of the JWKS and discovery documents, seconds (300)
//   clients      [{clientId, groups, authMethod, clientSecret, keyAlg, claims}] (default: DEFAULT_CLIENTS)
//   resources    {resourceIndicator: {audience, scope}} (default: DEFAULT_RESOURCES)
//   defaultResource  resource indicator used when a request names none ('urn:kubegate')
//   log          function(line) for oidc-provider's server errors (default: stderr)
async function startIdp(options = {}) {
  const {
    listen = '127.0.0.1:0', alg = 'RS256', algs = [], tokenTtl = 300, jwksMaxAge = 300,
    resources = DEFAULT_RESOURCES, defaultResource = DEFAULT_RESOURCE,
    log = (line) => process.stderr.write(`${line}\n`),
  } = options;
  keys.checkAlg(alg);
  algs.forEach(keys.checkAlg);
  if (!Number.isInteger(tokenTtl) || tokenTtl < 1) throw new Error('tokenTtl must be a positive integer (seconds)');
  if (!Number.isInteger(jwksMaxAge) || jwksMaxAge < 0) throw new Error('jwksMaxAge must be a non-negative integer (seconds)');
  if (!resources[defaultResource]) throw new Error(`defaultResource ${defaultResource} is not among the resources`);
  const clients = checkClients(options.clients || DEFAULT_CLIENTS);
  const { host, port: wantedPort } = parseListen(listen);

  const ownState = !options.stateDir;
  const stateDir = path.resolve(options.stateDir || fs.mkdtempSync(path.join(os.tmpdir(), 'kubegate-idp-')));
  fs.mkdirSync(path.join(stateDir, 'clients'), { recursive: true });

  const { Provider, errors } = await loadProvider();

  // TLS.
  const ca = ensureCA(stateDir);
  const serving = ensureServingCert(stateDir, host);
  const caPem = fs.readFileSync(ca.crt);

  // Signing keys: {keys: [private JWK], current: {alg: kid}}, kept across restarts.
  const keysFile = path.join(stateDir, 'signing-keys.json');
  let keyState = { keys: [], current: {} };
  if (fs.existsSync(keysFile)) keyState = JSON.parse(fs.readFileSync(keysFile, 'utf8'));
  const saveKeys = () => keys.writeSecret(keysFile, `${JSON.stringify(keyState, null, 1)}\n`);
  for (const a of new Set([alg, ...algs])) {
    if (!keyState.current[a]) {
      const jwk = await keys.newPrivateJwk(a);
      keyState.keys.push(jwk);
      keyState.current[a] = jwk.kid;
    }
  }
  saveKeys();

  // Client credentials: secrets from config, else kept from an earlier run, else new.
  const clientFiles = {};
  const secrets = new Map();
  const clientJwks = new Map();
  for (const c of clients) {
    if (c.authMethod === 'private_key_jwt') {
      const jwkFile = path.join(stateDir, 'clients', `${c.clientId}.jwk.json`);
      const keyFile = path.join(stateDir, 'clients', `${c.clientId}.key`);
      let jwk = fs.existsSync(jwkFile) ? JSON.parse(fs.readFileSync(jwkFile, 'utf8')) : undefined;
      if (!jwk || jwk.alg !== c.keyAlg) jwk = await keys.newPrivateJwk(c.keyAlg);
      keys.writeSecret(jwkFile, `${JSON.stringify(jwk)}\n`);
      keys.writeSecret(keyFile, keys.privatePem(jwk));
      clientJwks.set(c.clientId, jwk);
      clientFiles[c.clientId] = { keyFile, jwkFile, kid: jwk.kid, keyAlg: jwk.alg };
    } else {
      const secretFile = path.join(stateDir, 'clients', `${c.clientId}.secret`);
      const secret = c.clientSecret
        || (fs.existsSync(secretFile) && fs.readFileSync(secretFile, 'utf8').trim())
        || crypto.randomBytes(24).toString('base64url');
      keys.writeSecret(secretFile, secret); // no newline: the file is the secret
      secrets.set(c.clientId, secret);
      clientFiles[c.clientId] = { secretFile };
    }
  }
  const clientsById = new Map(clients.map((c) => [c.clientId, c]));

  // Per-token changes from mintToken, found by the reference it sends in REF_HEADER.
  const pending = new Map();
  const NONE = Object.freeze({});
  const changesFor = (ctx) => {
    const ref = ctx && typeof ctx.get === 'function' ? ctx.get(REF_HEADER) : '';
    return (ref && pending.get(ref)) || NONE;
  };

  const store = new Map();
  const Adapter = makeAdapter(store);
  const cookieKeys = [crypto.randomBytes(32).toString('base64url')];

  let issuer;
  let port;
  let handler = (req, res) => { res.statusCode = 503; res.end(); };

  function orderedJwks() {
    const currentKids = new Set(Object.values(keyState.current));
    const primary = keyState.current[alg];
    const rank = (jwk) => (jwk.kid === primary ? 0 : currentKids.has(jwk.kid) ? 1 : 2);
    return keyState.keys.map((jwk, i) => ({ jwk, i })).sort((a, b) => rank(a.jwk) - rank(b.jwk) || b.i - a.i).map(({ jwk }) => ({ ...jwk }));
  }

  function clientMetadata(c) {
    const common = {
      client_id: c.clientId, grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      token_endpoint_auth_method: c.authMethod, groups: [...c.groups],
    };
    if (c.authMethod === 'private_key_jwt') {
      const jwk = clientJwks.get(c.clientId);
      return { ...common, token_endpoint_auth_signing_alg: jwk.alg, jwks: { keys: [keys.publicJwk(jwk)] } };
    }
    return { ...common, client_secret: secrets.get(c.clientId) };
  }

  // One Provider per key set: oidc-provider fixes its keystore and JWKS response at construction.
  function buildProvider() {
    const provider = new Provider(issuer, {
      adapter: Adapter,
      clients: clients.map(clientMetadata),
      jwks: { keys: orderedJwks() },
      cookies: { keys: cookieKeys },
      // Client metadata is checked against the algorithms the keystore can sign with, so the
      // default (RS256) must follow the IdP's primary algorithm.
      clientDefaults: { grant_types: ['client_credentials'], response_types: [], id_token_signed_response_alg: alg },
      clientAuthMethods: [...AUTH_METHODS],
      enabledJWA: {
        idTokenSigningAlgValues: SIGNING_ALGS,
        clientAuthSigningAlgValues: SIGNING_ALGS,
      },
      extraClientMetadata: {
        properties: ['groups'],
        validator(ctx, key, value) {
          if (key === 'groups' && value !== undefined && !(Array.isArray(value) && value.every((g) => typeof g === 'string'))) {
            throw new errors.InvalidClientMetadata('groups must be an array of strings');
          }
        },
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          async defaultResource(ctx, client, oneOf) { return oneOf || defaultResource; },
          async useGrantedResource() { return false; },
          async getResourceServerInfo(ctx, indicator) {
            const rs = Object.hasOwn(resources, indicator) ? resources[indicator] : undefined;
            if (!rs) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
            const signAlg = changesFor(ctx).alg || alg;
            const kid = keyState.current[signAlg];
            if (!kid) throw new errors.InvalidRequest(`no signing key for ${signAlg}`);
            return {
              audience: rs.audience, scope: rs.scope || '', accessTokenFormat: 'jwt',
              accessTokenTTL: tokenTtl, jwt: { sign: { alg: signAlg, kid } },
            };
          },
        },
      },
      async extraTokenClaims(ctx, token) {
        if (token.kind !== 'ClientCredentials') return undefined;
        const c = clientsById.get(token.clientId);
        const changes = changesFor(ctx);
        const client = token.client || (ctx && ctx.oidc && ctx.oidc.client);
        return { ...(c ? c.claims : {}), groups: changes.groups || (client && client.groups) || [] };
      },
      formats: {
        customizers: {
          async jwt(ctx, token, jwt) {
            const changes = changesFor(ctx);
            if (changes.claims) {
              for (const [k, v] of Object.entries(changes.claims)) {
                if (v === undefined) delete jwt.payload[k]; else jwt.payload[k] = v;
              }
            }
            if (changes.header) jwt.header = { ...changes.header };
          },
        },
      },
      ttl: {
        ClientCredentials(ctx, token) { return changesFor(ctx).ttl || token.resourceServer?.accessTokenTTL || tokenTtl; },
        AccessToken: tokenTtl, AuthorizationCode: 60, IdToken: tokenTtl, RefreshToken: 3600,
        Interaction: 600, Session: 3600, Grant: 3600, DeviceCode: 600, BackchannelAuthenticationRequest: 600,
      },
      clientBasedCORS() { return false; },
      async findAccount() { return undefined; },
      async renderError(ctx, out) { ctx.type = 'json'; ctx.body = out; },
    });
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.status === 200 && ctx.method === 'GET' && (ctx.path === '/jwks' || ctx.path === '/.well-known/openid-configuration')) {
        ctx.set('Cache-Control', `public, max-age=${jwksMaxAge}`);
      }
    });
    provider.on('server_error', (ctx, err) => log(`kubegate-test-idp: server error: ${err && err.stack}`));
    return provider;
  }

  const server = https.createServer({ key: fs.readFileSync(serving.key), cert: fs.readFileSync(serving.crt) },
    (req, res) => handler(req, res));

  function listenOnce(p) {
    return new Promise((resolve, reject) => {
      const onError = (err) => { server.off('listening', onListening); reject(err); };
      const onListening = () => { server.off('error', onError); resolve(); };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(p, host);
    });
  }

  await listenOnce(wantedPort);
  port = server.address().port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  issuer = `https://${hostInUrl}:${port}`;
  handler = buildProvider().callback();

  const tokenEndpoint = `${issuer}/token`;
  const jwksUri = `${issuer}/jwks`;

  const pkjClient = clients.find((c) => c.authMethod === 'private_key_jwt');
  const writeDescription = () => fs.writeFileSync(path.join(stateDir, 'idp.json'), `${JSON.stringify(idp.describe(), null, 2)}\n`);

  function rebuild() {
    saveKeys();
    handler = buildProvider().callback();
    writeDescription();
  }

  const idp = {
    issuer,
    port,
    host,
    stateDir,
    caFile: ca.crt,
    tokenEndpoint,
    jwksUri,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    audience: resources[defaultResource].audience,
    defaultResource,
    alg,
    get running() { return server.listening; },

    clientSecret(clientId) {
      if (!secrets.has(clientId)) throw new Error(`client ${clientId} has no secret (unknown or private_key_jwt)`);
      return secrets.get(clientId);
    },
    // The first private_key_jwt client, for the credential plugin's tests.
    privateKeyJwtClientId: pkjClient && pkjClient.clientId,
    privateKeyJwtKeyFile: pkjClient && clientFiles[pkjClient.clientId].keyFile,
    privateKeyJwtKid: pkjClient && clientFiles[pkjClient.clientId].kid,
    clientKeyFile(clientId) { return clientFiles[clientId]?.keyFile; },

    // Current signing kid for `a` (default: the primary algorithm).
    currentKid(a = alg) { return keyState.current[a]; },
    // The published JWKS (public keys), in the order served.
    publicJwks() { return { keys: orderedJwks().map(keys.publicJwk) }; },

    // Adds a new signing key for `a`, makes it the one that signs, and keeps the earlier keys in the
    // JWKS unless dropOld. Resolves {kid, previousKid}.
    async rotateKeys({ alg: a = alg, dropOld = false } = {}) {
      keys.checkAlg(a);
      const previousKid = keyState.current[a];
      const jwk = await keys.newPrivateJwk(a);
      keyState.keys.push(jwk);
      keyState.current[a] = jwk.kid;
      if (dropOld) dropNonCurrent(a);
      rebuild();
      return { kid: jwk.kid, previousKid };
    },
    // Removes from the JWKS every key that no longer signs (for `a`, or for every algorithm).
    dropOldKeys({ alg: a } = {}) {
      const before = keyState.keys.length;
      dropNonCurrent(a);
      rebuild();
      return before - keyState.keys.length;
    },

    // Takes the IdP off the network: the port is closed and open connections are cut.
    async stop() {
      if (!server.listening) return;
      const closed = new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    // Serves again on the same port (retrying for a few seconds if the port is briefly taken).
    async start() {
      if (server.listening) return;
      const deadline = Date.now() + LISTEN_RETRY_MS;
      for (;;) {
        try {
          await listenOnce(port);
          return;
        } catch (err) {
          if (err.code !== 'EADDRINUSE' || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    // stop(), and remove the state folder when startIdp made it.
    async close() {
      await idp.stop();
      if (ownState) fs.rmSync(stateDir, { recursive: true, force: true });
    },

    // Obtains an access token by the client-credentials grant at the real token endpoint.
    // changes: {authMethod, clientSecret, resource, scope, ttl, alg, groups, claims, header}
    //   ttl/alg/groups/claims/header reach oidc-provider's hooks for this one token; `claims` are
    //   set after oidc-provider built the payload (a value undefined removes the claim), `header`
    //   is merged into the JWS header (after typ and kid).
    // Resolves {accessToken, expiresIn, tokenType, scope, header, payload}; rejects on a refusal
    // with err.status and err.body (the OAuth error).
    async mintToken(clientId, changes = {}) {
      const c = clientsById.get(clientId);
      if (!c) throw new Error(`unknown client ${clientId}`);
      const authMethod = changes.authMethod || c.authMethod;
      if (changes.alg && !keyState.current[changes.alg]) throw new Error(`no signing key for ${changes.alg}; start the IdP with algs: ['${changes.alg}']`);
      if (changes.ttl !== undefined && !(Number.isInteger(changes.ttl) && changes.ttl >= 1)) throw new Error('ttl must be a positive integer (seconds)');
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      for (const r of [].concat(changes.resource ?? [])) form.append('resource', r);
      if (changes.scope) form.set('scope', changes.scope);
      const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (authMethod === 'private_key_jwt') {
        const jwk = clientJwks.get(clientId);
        if (!jwk) throw new Error(`client ${clientId} has no private key`);
        const now = Math.floor(Date.now() / 1000);
        form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        form.set('client_assertion', keys.signJws({
          iss: clientId, sub: clientId, aud: tokenEndpoint, jti: crypto.randomUUID(), iat: now, exp: now + 60,
        }, jwk));
      } else {
        const secret = changes.clientSecret ?? secrets.get(clientId) ?? '';
        if (authMethod === 'client_secret_post') {
          form.set('client_id', clientId);
          form.set('client_secret', secret);
        } else {
          const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+'); // RFC 6749 2.3.1
          headers.authorization = `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
        }
      }
      const ref = crypto.randomBytes(16).toString('hex');
      headers[REF_HEADER] = ref;
      pending.set(ref, {
        ttl: changes.ttl, alg: changes.alg, groups: changes.groups, claims: changes.claims, header: changes.header,
      });
      let res;
      try {
        res = await httpsRequest(tokenEndpoint, { method: 'POST', headers, body: form.toString(), ca: caPem });
      } finally {
        pending.delete(ref);
      }
      let body;
      try { body = JSON.parse(res.body); } catch { body = res.body; }
      if (res.status !== 200) {
        const err = new Error(`token endpoint refused ${clientId}: ${res.status} ${body && body.error} ${body && body.error_description}`);
        err.status = res.status;
        err.body = body;
        throw err;
      }
      const [h, p] = body.access_token.split('.');
      return {
        accessToken: body.access_token, expiresIn: body.expires_in, tokenType: body.token_type, scope: body.scope,
        header: decodeSegment(h), payload: decodeSegment(p),
      };
    },

    // What the CLI prints and writes to <stateDir>/idp.json (no secrets: file names only).
    describe() {
      return {
        issuer, caFile: ca.crt, tokenEndpoint, jwksUri, discoveryUrl: idp.discoveryUrl,
        audience: idp.audience, resource: defaultResource, alg, algs: Object.keys(keyState.current), kid: keyState.current[alg],
        tokenTtl, jwksMaxAge, stateDir,
        clients: Object.fromEntries(clients.map((c) => [c.clientId, { groups: c.groups, authMethod: c.authMethod, ...clientFiles[c.clientId] }])),
      };
    },
  };

  function dropNonCurrent(a) {
    const current = new Set(Object.values(keyState.current));
    keyState.keys = keyState.keys.filter((jwk) => current.has(jwk.kid) || (a !== undefined && jwk.alg !== a));
  }

  writeDescription();
  return idp;
}

module.exports = { startIdp, DEFAULT_CLIENTS, DEFAULT_RESOURCES, DEFAULT_RESOURCE, SIGNING_ALGS };
