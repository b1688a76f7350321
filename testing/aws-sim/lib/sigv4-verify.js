'use strict';
// An independent AWS Signature Version 4 verifier for what arrives at a stand-in: it rebuilds the
// canonical request from the received method, raw path, raw query, the headers the client said it
// signed and the body, then the string to sign and the signature with the access key's secret.
// Header auth (Authorization: AWS4-HMAC-SHA256 ...) and presigned query auth (X-Amz-*) both.
// Errors are values: {ok:false, status, code, message}, with the codes AWS query services answer.

const crypto = require('node:crypto');

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SKEW_SECONDS = 15 * 60;
const MAX_PRESIGN_EXPIRES = 7 * 24 * 3600;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function fail(status, code, message) {
  return { ok: false, status, code, message };
}

function sha256Hex(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function hmac(key, data) {
  return crypto.createHmac('sha256', key).update(data).digest();
}

// RFC 3986 encoding of every byte outside A-Za-z0-9-_.~, uppercase hex (the SigV4 rule).
function uriEncode(text, keepSlash = false) {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(ch) || (keepSlash && ch === '/')) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// Percent-decoding that keeps a malformed escape as it is (as the services' lenient decoders do)
// and leaves '+' alone: SigV4 query strings are RFC 3986, not form encoding.
function percentDecode(text) {
  const bytes = [];
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

// Dot segments removed and runs of slashes collapsed (aws-c-auth's "normalize": every service but S3).
function normalizePath(rawPath) {
  const segments = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const trailing = rawPath.length > 1 && /\/\.{0,2}$/.test(rawPath) && segments.length > 0 ? '/' : '';
  return `/${segments.join('/')}${trailing}`;
}

function canonicalUri(rawPath, normalize) {
  const path = rawPath || '/';
  return uriEncode(normalize ? normalizePath(path) : path, true);
}

// Splits a raw query into decoded [key, value] pairs in arrival order.
function queryPairs(rawQuery) {
  const pairs = [];
  for (const part of (rawQuery || '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    pairs.push(eq < 0 ? [percentDecode(part), ''] : [percentDecode(part.slice(0, eq)), percentDecode(part.slice(eq + 1))]);
  }
  return pairs;
}

function canonicalQuery(pairs) {
  return pairs.map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
}

// rawHeaders: Node's flat [name, value, name, value...] list, arrival order kept.
function headerValues(rawHeaders, name) {
  const out = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) out.push(rawHeaders[i + 1]);
  return out;
}

function canonicalHeaders(rawHeaders, signedHeaders) {
  const lines = [];
  for (const name of signedHeaders) {
    const values = headerValues(rawHeaders, name);
    if (values.length === 0) return null;
    lines.push(`${name}:${values.map((v) => String(v).trim().replace(/\s+/g, ' ')).join(',')}\n`);
  }
  return lines.join('');
}

function canonicalRequest({ method, rawPath, queryPairs: pairs, rawHeaders, signedHeaders, payloadHash, normalize = true }) {
  const headers = canonicalHeaders(rawHeaders, signedHeaders);
  if (headers === null) return null;
  return [method, canonicalUri(rawPath, normalize), canonicalQuery(pairs), headers, signedHeaders.join(';'), payloadHash].join('\n');
}

function stringToSign(amzDate, scope, canonical) {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

function signingKey(secret, date, region, service) {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

function signature(secret, scopeParts, toSign) {
  const [date, region, service] = scopeParts;
  return hmac(signingKey(secret, date, region, service), toSign).toString('hex');
}

function parseAmzDate(text) {
  const m = AMZ_DATE.exec(text || '');
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(ms) ? null : ms;
}

function formatAmzDate(ms) {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function parseCredential(text) {
  const parts = (text || '').split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !parts[0]) return null;
  return { accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3] };
}

// The authorization the client claims: which mode, key, scope, signed headers, signature. Does not
// verify anything but its syntax.
function parseAuthorization(request) {
  const header = headerValues(request.rawHeaders, 'authorization')[0];
  const pairs = queryPairs(request.rawQuery);
  const q = (name) => pairs.filter(([k]) => k === name).map(([, v]) => v);
  if (header) return parseHeaderAuthorization(request, header, pairs);
  if (q('X-Amz-Algorithm').length || q('X-Amz-Signature').length || q('X-Amz-Credential').length) {
    return parseQueryAuthorization(q, pairs);
  }
  return fail(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
}

function parseHeaderAuthorization(request, header, pairs) {
  const m = /^AWS4-HMAC-SHA256 (.*)$/s.exec(header.trim());
  if (!m) return fail(400, 'IncompleteSignature', `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${header.split(' ')[0]}`);
  const fields = {};
  for (const part of m[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !fields[k]);
  if (missing.length) {
    return fail(400, 'IncompleteSignature', missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' '));
  }
  const credential = parseCredential(fields.Credential);
  if (!credential) return fail(400, 'IncompleteSignature', `Credential should be scoped to a valid region. `);
  const amzDate = headerValues(request.rawHeaders, 'x-amz-date')[0];
  if (!amzDate) return fail(400, 'IncompleteSignature', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  return {
    ok: true, mode: 'header', credential, amzDate, signedHeaders: fields.SignedHeaders.toLowerCase().split(';'),
    signature: fields.Signature, sessionToken: headerValues(request.rawHeaders, 'x-amz-security-token')[0] || null,
    queryPairs: pairs, expires: null,
  };
}

function parseQueryAuthorization(q, pairs) {
  const names = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];
  for (const name of names) {
    if (q(name).length !== 1) {
      return fail(400, 'AuthorizationQueryParametersError', `Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.`);
    }
  }
  if (q('X-Amz-Algorithm')[0] !== ALGORITHM) {
    return fail(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const credential = parseCredential(q('X-Amz-Credential')[0]);
  if (!credential) return fail(400, 'AuthorizationQueryParametersError', 'Error parsing the X-Amz-Credential parameter.');
  const expiresText = q('X-Amz-Expires')[0];
  const expires = expiresText === undefined ? null : Number(expiresText);
  if (expiresText !== undefined && (!/^\d+$/.test(expiresText) || expires > MAX_PRESIGN_EXPIRES)) {
    return fail(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be a non-negative integer of at most 604800 seconds.');
  }
  return {
    ok: true, mode: 'query', credential, amzDate: q('X-Amz-Date')[0], signedHeaders: q('X-Amz-SignedHeaders')[0].toLowerCase().split(';'),
    signature: q('X-Amz-Signature')[0], sessionToken: q('X-Amz-Security-Token')[0] || null,
    queryPairs: pairs.filter(([k]) => k !== 'X-Amz-Signature'), expires,
  };
}

// Time and scope checks: header auth within ±15 min of now; presigned from X-Amz-Date to
// X-Amz-Date + window (STS ignores X-Amz-Expires and gives every presigned request 15 minutes:
// aws/aws-sdk-go#2167), never more than 15 min in the future; scope date = X-Amz-Date's day,
// service as expected, region allowed.
function checkTimeAndScope(auth, { now, service, regionAllowed = () => true, presignWindowSeconds = SKEW_SECONDS,
                                   honourExpires = false }) {
  const signedAt = parseAmzDate(auth.amzDate);
  if (signedAt === null) return fail(400, 'IncompleteSignature', `Date must be in ISO-8601 'basic format'. Got '${auth.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  const nowMs = now.getTime();
  const earliest = nowMs - SKEW_SECONDS * 1000;
  const latest = nowMs + SKEW_SECONDS * 1000;
  if (signedAt > latest) {
    return fail(400, 'RequestExpired', `Signature not yet current: ${auth.amzDate} is still later than ${formatAmzDate(latest)} (${formatAmzDate(nowMs)} + 15 min.)`);
  }
  if (auth.mode === 'header' && signedAt < earliest) {
    return fail(400, 'RequestExpired', `Signature expired: ${auth.amzDate} is now earlier than ${formatAmzDate(earliest)} (${formatAmzDate(nowMs)} - 15 min.)`);
  }
  if (auth.mode === 'query') {
    const lifetime = honourExpires && auth.expires !== null ? auth.expires : presignWindowSeconds;
    if (nowMs > signedAt + lifetime * 1000) {
      return fail(400, 'RequestExpired', `Request has expired: signed at ${auth.amzDate}, valid for ${lifetime} seconds, now ${formatAmzDate(nowMs)}.`);
    }
  }
  const c = auth.credential;
  if (c.date !== auth.amzDate.slice(0, 8)) {
    return fail(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid date: '${c.date}' != '${auth.amzDate.slice(0, 8)}'.`);
  }
  if (c.service !== service) {
    return fail(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'. `);
  }
  if (!regionAllowed(c.region)) return fail(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region. `);
  return { ok: true, signedAt };
}

// Verifies the signature with `secret`. `request`: {method, rawPath, rawQuery, rawHeaders, body}.
// `sessionTokenSigned: false` is for services that add X-Amz-Security-Token after presigning (the
// suite's omit_session_token cases); STS always signs it.
function checkSignature(request, auth, secret, { normalize = true, sessionTokenSigned = true } = {}) {
  if (!auth.signedHeaders.includes('host')) {
    return fail(403, 'SignatureDoesNotMatch', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const payloadHash = sha256Hex(request.body || Buffer.alloc(0));
  const claimedHash = headerValues(request.rawHeaders, 'x-amz-content-sha256')[0];
  if (claimedHash && claimedHash !== 'UNSIGNED-PAYLOAD' && claimedHash !== payloadHash) {
    return fail(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const pairs = sessionTokenSigned ? auth.queryPairs : auth.queryPairs.filter(([k]) => k !== 'X-Amz-Security-Token');
  const canonical = canonicalRequest({ method: request.method, rawPath: request.rawPath, queryPairs: pairs,
    rawHeaders: request.rawHeaders, signedHeaders: auth.signedHeaders, payloadHash, normalize });
  const mismatch = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
  if (canonical === null) return fail(403, 'SignatureDoesNotMatch', mismatch);
  const c = auth.credential;
  const toSign = stringToSign(auth.amzDate, `${c.date}/${c.region}/${c.service}/aws4_request`, canonical);
  const expected = Buffer.from(signature(secret, [c.date, c.region, c.service], toSign), 'utf8');
  const given = Buffer.from(String(auth.signature), 'utf8');
  const same = expected.length === given.length && crypto.timingSafeEqual(expected, given);
  if (!same) return { ...fail(403, 'SignatureDoesNotMatch', mismatch), canonicalRequest: canonical, stringToSign: toSign };
  return { ok: true, canonicalRequest: canonical, stringToSign: toSign };
}

module.exports = {
  ALGORITHM, EMPTY_SHA256, SKEW_SECONDS, uriEncode, percentDecode, normalizePath, canonicalUri, queryPairs, canonicalQuery,
  canonicalRequest, stringToSign, signingKey, signature, parseAmzDate, formatAmzDate, parseAuthorization,
  checkTimeAndScope, checkSignature, headerValues, sha256Hex,
};
