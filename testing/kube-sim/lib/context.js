'use strict';
// The request context every handler receives, and the writers that give every response the headers
// and encoding kube-apiserver gives it (wire §10.3): Cache-Control, Audit-Id, JSON ending in "\n",
// pretty printing on ?pretty or a browser/curl User-Agent, gzip past 128 KiB when accepted.

const zlib = require('node:zlib');
const crypto = require('node:crypto');
const YAML = require('yaml');
const { StatusError, badRequest, unsupportedMediaType } = require('./status');
const { parseBool } = require('./requestinfo');

const GZIP_THRESHOLD = 128 * 1024;

// Go's ObjectMeta field order; clients do not care, people reading -o json do.
const META_ORDER = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations',
  'ownerReferences', 'finalizers', 'managedFields'];

function orderedMeta(meta) {
  const out = {};
  for (const k of META_ORDER) if (k in meta) out[k] = meta[k];
  for (const k of Object.keys(meta)) if (!(k in out)) out[k] = meta[k];
  return out;
}

// kind, apiVersion, metadata first; status last, as Go structs declare them.
function canonicalObject(obj) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  if (!('kind' in obj) && !('apiVersion' in obj) && !('metadata' in obj)) return obj;
  if (obj.kind === 'Status') return obj; // its `status` is a string and stays in place
  const out = {};
  if ('kind' in obj) out.kind = obj.kind;
  if ('apiVersion' in obj) out.apiVersion = obj.apiVersion;
  if (obj.metadata && typeof obj.metadata === 'object') out.metadata = orderedMeta(obj.metadata);
  for (const k of Object.keys(obj)) {
    if (!(k in out) && k !== 'status') out[k] = k === 'items' && Array.isArray(obj[k]) ? obj[k].map(canonicalObject) : obj[k];
  }
  if ('status' in obj) out.status = obj.status;
  return out;
}

// Go's encoding/json escapes these for HTML safety; kube-apiserver output carries the escapes.
function goJSON(value, pretty) {
  const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function wantsPretty(query, userAgent) {
  const pp = query.get('pretty');
  if (pp !== null && pp !== '') return /^(1|t|T|TRUE|true|True)$/.test(pp);
  const ua = userAgent || '';
  return ua.startsWith('curl') || ua.startsWith('Wget') || ua.startsWith('Mozilla/5.0');
}

function writeRawResponse(socket, code, headers, body) {
  const reason = require('node:http').STATUS_CODES[code] || 'Unknown';
  const buf = body ? Buffer.from(body) : Buffer.alloc(0);
  const lines = [`HTTP/1.1 ${code} ${reason}`];
  for (const [k, v] of Object.entries(headers || {})) {
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  }
  lines.push(`Content-Length: ${buf.length}`, 'Connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n')), buf]));
}

function createContext({ req, res, socket, head, sim, requestLog }) {
  const rawUrl = req.url || '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
  const ctx = {
    req, res: res || null, socket: socket || null, head: head || Buffer.alloc(0), sim,
    method: req.method, rawPath, rawQuery, path: rawPath, query: new URLSearchParams(rawQuery),
    info: null, user: null, authScheme: '', impersonatedBy: null, body: Buffer.alloc(0),
    auditId: crypto.randomUUID(), logged: false,
  };
  ctx.pretty = wantsPretty(ctx.query, req.headers['user-agent']);

  ctx.logRequest = (code) => {
    if (ctx.logged) return;
    ctx.logged = true;
    requestLog(ctx, code);
  };
  ctx.commonHeaders = () => ({ 'Audit-Id': ctx.auditId, 'Cache-Control': 'no-cache, private' });
  ctx.setCommonHeaders = () => {
    for (const [k, v] of Object.entries(ctx.commonHeaders())) ctx.res.setHeader(k, v);
  };
  ctx.encodeJSON = (obj) => {
    const text = goJSON(canonicalObject(obj), ctx.pretty);
    return Buffer.from(ctx.pretty ? text : `${text}\n`);
  };
  ctx.sendRaw = (code, contentType, body, extraHeaders = {}) => sendRaw(ctx, code, contentType, body, extraHeaders);
  ctx.sendObject = (code, obj, extraHeaders = {}) => ctx.sendRaw(code, 'application/json', ctx.encodeJSON(obj), extraHeaders);
  ctx.sendStatus = (err) => sendStatusError(ctx, err);
  ctx.sendText = (code, text, extraHeaders = {}) =>
    ctx.sendRaw(code, 'text/plain; charset=utf-8', Buffer.from(text), extraHeaders);
  ctx.requestObject = () => decodeRequestObject(ctx);
  return ctx;
}

function acceptsGzip(req) {
  return /(^|,)\s*gzip\s*(;|,|$)/i.test(req.headers['accept-encoding'] || '');
}

function sendRaw(ctx, code, contentType, body, extraHeaders) {
  // Go sends no Content-Type on a bodiless answer; a falsy type leaves it out.
  const headers = { ...ctx.commonHeaders(), ...(contentType ? { 'Content-Type': contentType } : {}), ...extraHeaders };
  let payload = body;
  if (payload.length > GZIP_THRESHOLD && acceptsGzip(ctx.req)) {
    payload = zlib.gzipSync(payload);
    headers['Content-Encoding'] = 'gzip';
    headers.Vary = 'Accept-Encoding';
  }
  headers['Content-Length'] = payload.length;
  if (ctx.res) {
    ctx.logRequest(code);
    ctx.res.writeHead(code, headers);
    ctx.res.end(ctx.method === 'HEAD' ? undefined : payload);
  } else {
    ctx.logRequest(code);
    delete headers['Content-Length'];
    writeRawResponse(ctx.socket, code, headers, payload);
  }
}

function sendStatusError(ctx, err) {
  if (!(err instanceof StatusError)) throw err;
  ctx.sendRaw(err.code, 'application/json', ctx.encodeJSON(err.toStatus()), err.headers);
}

function mediaType(contentType) {
  return (contentType || '').split(';')[0].trim().toLowerCase();
}

// The body as the JSON object the client meant, whatever it was encoded as. Errors are the real
// server's: 415 for a media type it does not decode, 400 for a body that does not parse.
function decodeRequestObject(ctx) {
  const type = mediaType(ctx.req.headers['content-type']);
  const text = () => ctx.body.toString('utf8');
  try {
    switch (type) {
      case 'application/json':
      case 'application/merge-patch+json':
      case 'application/strategic-merge-patch+json':
      case 'application/json-patch+json':
      case '':
        return ctx.body.length ? JSON.parse(text()) : null;
      case 'application/yaml':
      case 'application/apply-patch+yaml':
        return YAML.parse(text(), { uniqueKeys: true });
      case 'application/vnd.kubernetes.protobuf':
        return require('./protobuf').decodeK8sProtobuf(ctx.body).object;
      default:
        throw unsupportedMediaType(type);
    }
  } catch (e) {
    if (e instanceof StatusError) throw e;
    if (e.reason === 'unsupported') {
      throw new StatusError({ code: 415, reason: 'UnsupportedMediaType', message: e.message });
    }
    throw badRequest(decodeErrorMessage(type, e));
  }
}

function decodeErrorMessage(type, e) {
  if (type.includes('yaml')) return `error converting YAML to JSON: ${e.message}`;
  if (type.includes('protobuf')) return `the body of the request could not be decoded: ${e.message}`;
  return `couldn't get version/kind; json parse error: ${e.message}`;
}

module.exports = { createContext, writeRawResponse, canonicalObject, goJSON, parseBool, mediaType };
