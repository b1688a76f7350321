'use strict';
// EKS mode: `k8s-aws-v1.` bearer tokens checked as aws-iam-authenticator's tokenVerifier.Verify
// does (pkg/token/token.go; shared/notes/aws-eks-auth.md §1.4), in its order and with its error
// strings, then the presigned GetCallerIdentity URL is sent to the configured STS (the aws-sim
// stand-in) with this cluster's x-k8s-aws-id, and the answer's ARN is mapped to a Kubernetes user
// as the aws-auth ConfigMap does (mapRoles/mapUsers, username templates, user.extra keys).
// Every failure is an EksAuthError naming the check; the caller answers 401 and logs the check.

const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');
const https = require('node:https');

const V1_PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_BYTES = 4096;
const PRESIGNED_URL_EXPIRATION_MS = 15 * 60 * 1000;
const STS_TIMEOUT_MS = 10000;
const ALLOWED_PARAMS = new Set(['action', 'version', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-expires',
  'x-amz-security-token', 'x-amz-signature', 'x-amz-signedheaders']);
const REGION_FORMAT = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;

// pkg/endpoints/partitions.go: STS domain and dual-stack domain per partition.
const PARTITIONS = {
  aws: ['amazonaws.com', 'api.aws'],
  'aws-cn': ['amazonaws.com.cn', 'api.amazonwebservices.com.cn'],
  'aws-us-gov': ['amazonaws.com', 'api.aws'],
  'aws-iso': ['c2s.ic.gov', 'c2s.ic.gov'],
  'aws-iso-b': ['sc2s.sgov.gov', 'sc2s.sgov.gov'],
  'aws-iso-e': ['cloud.adc-e.uk', 'cloud.adc-e.uk'],
  'aws-iso-f': ['csp.hci.ic.gov', 'csp.hci.ic.gov'],
  'aws-eusc': ['amazonaws.eu', 'api.amazonwebservices.eu'],
};

class EksAuthError extends Error {
  constructor(check, message) {
    super(message);
    this.check = check;
    this.authFailure = `${check}: ${message}`;
  }
}

function formatError(check, message) {
  return new EksAuthError(check, `input token was not properly formatted: ${message}`);
}

function stsError(check, message) {
  return new EksAuthError(check, `sts getCallerIdentity failed: ${message}`);
}

// The partition the SDK's STS endpoint resolver picks for a region name.
function partitionOfRegion(region) {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

function stsHostsFor(region, partition) {
  const [domain, dualStack] = PARTITIONS[partition] || PARTITIONS.aws;
  return [...new Set([`sts.${region}.${domain}`, `sts-fips.${region}.${domain}`, `sts.${region}.${dualStack}`, `sts-fips.${region}.${dualStack}`])];
}

// verifyHost / verifySTSHostnameFormat.
function verifyHost(host, { partition, region }) {
  const parts = host.split('.');
  if (!host || parts.length < 3) {
    throw formatError('host', `could not parse region for pre-signed URL ${host}, ${host ? `invalid host format: ${host}` : 'host is empty'}`);
  }
  if (host === 'sts.amazonaws.com') {
    if (partition === 'aws') return;
    throw formatError('host', `global endpoint unsupported in partition ${partition}`);
  }
  const hostRegion = parts[1];
  if (!REGION_FORMAT.test(hostRegion)) throw formatError('host', `invalid region identifier format provided: ${hostRegion}`);
  if (!stsHostsFor(hostRegion, partitionOfRegion(hostRegion)).includes(host)) {
    if (stsHostsFor(region, partition).slice(0, 1).includes(host)) return;
    throw formatError('host', `unexpected hostname ${JSON.stringify(host)} in pre-signed URL`);
  }
  const [domain, dualStack] = PARTITIONS[partition] || PARTITIONS.aws;
  const actual = parts.slice(2).join('.');
  if (actual !== domain && actual !== dualStack) throw formatError('host', `partition {${partition}} does not support hostname ${host}`);
}

// Go's url.ParseQuery: '&'-separated, '+' is a space, a bad escape or a ';' fails the whole query.
function parseGoQuery(rawQuery) {
  const values = new Map();
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    if (part.includes(';')) return null;
    const eq = part.indexOf('=');
    const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    let key;
    let value;
    try {
      key = decodeURIComponent(k.replace(/\+/g, ' '));
      value = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      return null;
    }
    if (!values.has(key)) values.set(key, []);
    values.get(key).push(value);
  }
  return values;
}

// Go's time.Parse("20060102T150405Z"), strict.
function parseAmzDate(text) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const d = new Date(ms);
  return d.getUTCDate() === +m[3] && d.getUTCMonth() === +m[2] - 1 && +m[4] < 24 && +m[5] < 60 && +m[6] < 60 ? ms : null;
}

// Everything Verify checks before it calls STS. Returns {url, host, accessKeyId}.
function checkToken(token, config, nowMs) {
  if (token.length > MAX_TOKEN_BYTES) throw formatError('length', 'token is too large');
  if (!token.startsWith(V1_PREFIX)) throw formatError('prefix', `token is missing expected "${V1_PREFIX}" prefix`);
  const encoded = token.slice(V1_PREFIX.length);
  const bad = /[^A-Za-z0-9_-]/.exec(encoded);
  if (bad || encoded.length % 4 === 1) throw formatError('base64', `illegal base64 data at input byte ${bad ? bad.index : encoded.length - 1}`);
  const text = Buffer.from(encoded, 'base64url').toString('latin1');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/s.exec(text);
  if (!m) throw formatError('url', /^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) ? 'url.Parse failed' : 'parse: missing protocol scheme');
  const [, scheme, host, path, rawQuery = ''] = m;
  if (scheme.toLowerCase() !== 'https') throw formatError('scheme', `unexpected scheme ${JSON.stringify(scheme.toLowerCase())} in pre-signed URL`);
  verifyHost(host, config);
  if (path !== '/') throw formatError('path', 'unexpected path in pre-signed URL');
  const query = parseGoQuery(rawQuery);
  if (!query) throw formatError('query', 'malformed query parameter');
  const lowered = new Map();
  for (const key of query.keys()) {
    if (lowered.has(key.toLowerCase())) throw formatError('query', `duplicate query parameter found: ${JSON.stringify(key)}`);
    lowered.set(key.toLowerCase(), null);
  }
  for (const [key, values] of query) {
    if (!ALLOWED_PARAMS.has(key.toLowerCase())) throw formatError('query', `non-whitelisted query parameter ${JSON.stringify(key)}`);
    if (values.length !== 1) throw formatError('query', 'query parameter with multiple values not supported');
    lowered.set(key.toLowerCase(), values[0]);
  }
  const get = (k) => lowered.get(k) || '';
  if (get('action') !== 'GetCallerIdentity') throw formatError('action', 'unexpected action parameter in pre-signed URL');
  if (!get('x-amz-signedheaders').split(';').some((h) => h.toLowerCase() === 'x-k8s-aws-id')) {
    throw formatError('signed-headers', 'client did not sign the x-k8s-aws-id header in the pre-signed URL');
  }
  const expiresText = get('x-amz-expires');
  const expires = /^[+-]?\d+$/.test(expiresText) ? Number(expiresText) : 0;
  if (!/^[+-]?\d+$/.test(expiresText) || expires < 0 || expires > 900) {
    throw formatError('expires', `invalid X-Amz-Expires parameter in pre-signed URL: ${expires}`);
  }
  const date = get('x-amz-date');
  if (!date) throw formatError('date', 'X-Amz-Date parameter must be present in pre-signed URL');
  const signedAt = parseAmzDate(date);
  if (signedAt === null) throw formatError('date', `error parsing X-Amz-Date parameter ${date} into format 20060102T150405Z`);
  if (nowMs > signedAt + PRESIGNED_URL_EXPIRATION_MS) {
    const shown = new Date(signedAt).toISOString().replace('T', ' ').replace('.000Z', ' +0000 UTC');
    throw formatError('date', `X-Amz-Date parameter is expired (15 minute expiration) ${shown}`);
  }
  return { host, pathAndQuery: `${path}?${rawQuery}`, accessKeyId: get('x-amz-credential').split('/')[0] };
}

// GET the same URL from the configured STS endpoint, keeping the token's Host; no redirects.
function callSts(checked, config) {
  const target = new URL(config.stsUrl);
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: hostname, port: target.port || 443, method: 'GET', path: checked.pathAndQuery,
      headers: { Host: checked.host, 'x-k8s-aws-id': config.clusterName, accept: 'application/json' },
      ca: config.stsCaFile ? fs.readFileSync(config.stsCaFile) : undefined,
      servername: net.isIP(hostname) ? '' : hostname,
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(hostname, cert),
      agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(STS_TIMEOUT_MS, () => req.destroy(new Error('Client.Timeout exceeded while awaiting headers')));
    req.on('error', (e) => reject(stsError('sts', `error during GET: ${e.message} on ${checked.host.split('.')[1] || ''} endpoint`)));
    req.end();
  });
}

// pkg/arn Canonicalize: assumed-role sessions become their IAM role; users and roles stay.
function canonicalize(arn) {
  const m = /^arn:([^:]+):(iam|sts)::(\d+):(.+)$/.exec(arn || '');
  if (!m) throw stsError('arn', `arn '${arn}' is invalid: 'arn: invalid prefix'`);
  const [, partition, service, account, resource] = m;
  const parts = resource.split('/');
  if (service === 'sts' && parts[0] === 'assumed-role' && parts.length >= 3) {
    return { type: 'assumed-role', canonical: `arn:${partition}:iam::${account}:role/${parts[1]}` };
  }
  if (service === 'iam' && (parts[0] === 'user' || parts[0] === 'role')) return { type: parts[0], canonical: arn };
  if (service === 'iam' && resource === 'root') return { type: 'root', canonical: arn };
  throw stsError('arn', `unrecognized resource ${resource} for service ${service}`);
}

function identityFrom(body, accessKeyId, host) {
  let doc;
  try { doc = JSON.parse(body); } catch (e) { throw stsError('sts', e.message); }
  const result = ((doc || {}).GetCallerIdentityResponse || {}).GetCallerIdentityResult || {};
  const { type, canonical } = canonicalize(result.Arn);
  const id = { arn: result.Arn, canonicalArn: canonical, accountId: result.Account, accessKeyId, stsEndpoint: host, userId: '', sessionName: '' };
  if (type === 'assumed-role') {
    const parts = String(result.UserId).split(':');
    if (parts.length !== 2) throw stsError('sts', `malformed UserID ${JSON.stringify(result.UserId)}`);
    [id.userId, id.sessionName] = parts;
  } else id.userId = result.UserId;
  return id;
}

// server.go renderTemplate.
function renderTemplate(template, id) {
  if (template.includes('{{EC2PrivateDNSName}}')) throw new EksAuthError('mapping', 'EC2PrivateDNSName templates are not supported by kube-sim');
  return template.split('{{AccountID}}').join(id.accountId)
    .split('{{SessionName}}').join(id.sessionName.replace(/@/g, '-'))
    .split('{{SessionNameRaw}}').join(id.sessionName)
    .split('{{AccessKeyID}}').join(id.accessKeyId);
}

function mapIdentity(id, config) {
  const canonical = id.canonicalArn.toLowerCase();
  const mapping = (config.mapRoles || []).find((r) => String(r.rolearn).toLowerCase() === canonical) ||
    (config.mapUsers || []).find((u) => String(u.userarn).toLowerCase() === canonical);
  if (!mapping) throw new EksAuthError('mapping', `ARN is not mapped: ${id.canonicalArn}`);
  const username = renderTemplate(mapping.username || '', id);
  if (!username) throw new EksAuthError('mapping', `username is empty for ${id.canonicalArn}`);
  const principalId = id.userId;
  return {
    username, uid: `aws-iam-authenticator:${id.accountId}:${id.userId}`,
    groups: (mapping.groups || []).map((g) => renderTemplate(g, id)),
    extra: { accessKeyId: [id.accessKeyId], arn: [id.arn], canonicalArn: [id.canonicalArn], principalId: [principalId],
             sessionName: [id.sessionName], 'sigs.k8s.io/aws-iam-authenticator/principalId': [principalId] },
  };
}

class EksClock {
  constructor(offsetSeconds = 0) {
    this.offsetMs = offsetSeconds * 1000;
  }

  nowMs() {
    return Date.now() + this.offsetMs;
  }

  setOffsetSeconds(seconds) {
    this.offsetMs = Number(seconds) * 1000;
  }
}

// config: {clusterName, region, partition, stsUrl, stsCaFile, mapRoles, mapUsers, clockOffsetSeconds}.
// Returns verify(token) => user, with `.clock` to move kube-sim's clock in tests.
function createEksVerifier(config) {
  for (const k of ['clusterName', 'region', 'stsUrl']) if (!config[k]) throw new Error(`eks: ${k} is required`);
  const settings = { partition: 'aws', ...config };
  if (!PARTITIONS[settings.partition]) throw new Error(`eks: unknown partition ${settings.partition}`);
  const clock = new EksClock(config.clockOffsetSeconds || 0);
  const verify = async (token) => {
    const checked = checkToken(token, settings, clock.nowMs());
    const answer = await callSts(checked, settings);
    if (answer.status !== 200) {
      // The authenticator answers the webhook 429 for throttling; the API server still says 401.
      if (answer.body.includes('Throttling')) throw stsError('sts-throttling', answer.body);
      throw stsError('sts', `error from AWS (expected 200, got ${answer.status}) on ${checked.host.split('.')[1]} endpoint. Body: ${answer.body}`);
    }
    return mapIdentity(identityFrom(answer.body, checked.accessKeyId, checked.host), settings);
  };
  verify.clock = clock;
  return verify;
}

module.exports = { createEksVerifier, checkToken, verifyHost, canonicalize, renderTemplate, EksAuthError, V1_PREFIX };
