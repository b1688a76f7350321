'use strict';
// Discovery as kube-apiserver serves it (wire §4.1):
//   /api, /apis              aggregated apidiscovery.k8s.io v2 / v2beta1 when Accept asks for it
//                            (apiserver pkg/endpoints/discovery/aggregated/wrapper.go), else the
//                            legacy APIVersions / APIGroupList;
//   /apis/<group>            APIGroup (kube-aggregator handler_apis.go);
//   /api/v1, /apis/<g>/<v>   APIResourceList, subresources listed as "pods/exec".
// Content negotiation is a port of apiserver handlers/negotiation/negotiate.go over
// munnerz/goautoneg, because clients pick their parser from the answer's Content-Type and a proxy
// under test must see the same answer for the same Accept header as from a real cluster.

const crypto = require('node:crypto');
const YAML = require('yaml');
const { goJSON, canonicalObject } = require('./context');

// The serializers kube-apiserver negotiates among, in its order. Protobuf is left out because
// kube-sim cannot encode it: a clause asking for it is passed over, so clients that list JSON too
// (all of kubectl, client-go and python) get JSON, and one that wants only protobuf gets the 406.
const SERVABLE = [
  { type: 'application', subType: 'json', mediaType: 'application/json', stream: true },
  { type: 'application', subType: 'yaml', mediaType: 'application/yaml', stream: false },
];
// The real 406 message lists every serializer the server has, protobuf included.
const ACCEPTED_MEDIA_TYPES = 'application/json, application/yaml, application/vnd.kubernetes.protobuf';
const AGGREGATED_GROUP = 'apidiscovery.k8s.io';
const AGGREGATED_KIND = 'APIGroupDiscoveryList';

function minorOf(emulated) {
  return Number(String(emulated).split('.')[1]);
}

// apidiscovery versions the wrapper routes to the aggregated handler: v2beta1 only until 1.29
// (AggregatedDiscoveryEndpoint beta), v2 and v2beta1 from 1.30 (GA), and v2 alone from 1.33,
// where AggregatedDiscoveryRemoveBetaType defaults to true.
function aggregatedVersions(emulated) {
  const minor = minorOf(emulated);
  if (minor <= 29) return ['v2beta1'];
  if (minor <= 32) return ['v2', 'v2beta1'];
  return ['v2'];
}

// strconv.ParseFloat(s, 32) as goautoneg uses it: a syntax error gives 0, overflow gives ±Inf.
function parseGoFloat32(s) {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Math.fround(Number(s));
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (!m) return 0;
  if (m[2].toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

// Go's strings.Index based split at the first sep: [before, after] ("" after when absent).
function splitFirst(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

const trimSpaces = (s) => s.replace(/^ +| +$/g, '');

// One Accept clause, or null when goautoneg drops it (no subtype, or a second "/").
function parseClause(part) {
  const [typePart, paramPart] = splitFirst(trimSpaces(part), ';');
  const [rawType, rest] = splitFirst(typePart, '/');
  const clause = { type: trimSpaces(rawType), subType: '', q: 1.0, params: {} };
  if (rest === '') {
    if (clause.type !== '*') return null;
    clause.subType = '*';
  } else {
    const [sub, extra] = splitFirst(rest, '/');
    if (extra !== '') return null;
    clause.subType = trimSpaces(sub);
  }
  let remaining = paramPart;
  while (remaining.length > 0) {
    let param;
    [param, remaining] = splitFirst(remaining, ';');
    const [key, valueAndMore] = splitFirst(param, '=');
    if (valueAndMore === '') continue;
    const [value, extra] = splitFirst(valueAndMore, '=');
    if (extra !== '') continue;
    const token = trimSpaces(key);
    if (token === 'q') clause.q = parseGoFloat32(value); // goautoneg does not trim q's value
    else clause.params[token] = trimSpaces(value);
  }
  return clause;
}

// goautoneg's ordering. Its Less is not a strict weak order, so only the exact algorithm gives
// the same result: Go's sort.Sort runs insertion sort for slices of up to 12 elements. Longer
// Accept headers (pdqsort in Go) are sorted the same way here; no client sends one.
function clauseLess(a, b) {
  if (a.q > b.q) return true;
  if (a.type !== '*' && b.type === '*') return true;
  if (a.subType !== '*' && b.subType === '*') return true;
  return false;
}

function parseAccept(header) {
  const clauses = [];
  let remaining = header;
  while (remaining.length > 0) {
    let part;
    [part, remaining] = splitFirst(remaining, ',');
    const clause = parseClause(part);
    if (clause) clauses.push(clause);
  }
  for (let i = 1; i < clauses.length; i++) {
    for (let j = i; j > 0 && clauseLess(clauses[j], clauses[j - 1]); j--) {
      [clauses[j], clauses[j - 1]] = [clauses[j - 1], clauses[j]];
    }
  }
  return clauses;
}

// acceptMediaTypeOptions: the clause's parameters against the serializer and the endpoint's
// restriction on conversions (`allowsConvert(gvk|null)`). null means "skip this pairing".
function acceptOptions(params, accepts, allowsConvert) {
  let convert = null;
  let pretty = false;
  const gvk = () => (convert = convert || { group: '', version: '', kind: '' });
  for (const [key, value] of Object.entries(params)) {
    if (key === 'as') gvk().kind = value;
    else if (key === 'g') gvk().group = value;
    else if (key === 'v') gvk().version = value;
    else if (key === 'stream' && value && (!accepts.stream || value !== 'watch')) return null;
    else if (key === 'sv' && value) return null; // discovery endpoints allow no server version
    else if (key === 'pretty') pretty = value === '1';
  }
  if (!allowsConvert(convert)) return null;
  return { accepts, convert, pretty };
}

// NegotiateMediaTypeOptions: the first (clause, serializer) pairing the endpoint allows.
function negotiate(header, allowsConvert) {
  if (!header) return { accepts: SERVABLE[0], convert: null, pretty: false };
  for (const clause of parseAccept(header)) {
    for (const accepts of SERVABLE) {
      const matches = (clause.type === accepts.type && (clause.subType === accepts.subType || clause.subType === '*'))
        || (clause.type === '*' && clause.subType === '*');
      if (!matches) continue;
      const options = acceptOptions(clause.params, accepts, allowsConvert);
      if (options) return options;
    }
  }
  return null;
}

const legacyOnly = (convert) => convert === null;

function aggregatedRestriction(emulated) {
  const versions = aggregatedVersions(emulated);
  return (convert) => Boolean(convert) && convert.group === AGGREGATED_GROUP && convert.kind === AGGREGATED_KIND
    && versions.includes(convert.version);
}

// ---- response writing ----

function encode(ctx, negotiated, obj) {
  if (negotiated.accepts.subType === 'yaml') {
    // sigs.k8s.io/yaml goes through yaml.v2, which sorts keys and does not indent sequences.
    const options = { sortMapEntries: true, indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false };
    return Buffer.from(YAML.stringify(canonicalObject(obj), options));
  }
  if (negotiated.pretty && !ctx.pretty) return Buffer.from(goJSON(canonicalObject(obj), true));
  return ctx.encodeJSON(obj);
}

function sendNegotiated(ctx, negotiated, obj) {
  ctx.sendRaw(200, negotiated.accepts.mediaType, encode(ctx, negotiated, obj));
  return true;
}

// WriteObjectNegotiated's failure path: WriteRawJSON, always indented, whatever was asked.
function sendNotAcceptable(ctx) {
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: `only the following media types are accepted: ${ACCEPTED_MEDIA_TYPES}`, reason: 'NotAcceptable', code: 406 };
  ctx.sendRaw(406, 'application/json', Buffer.from(goJSON(status, true)));
  return true;
}

// ---- document building ----

function sortedStrings(list) {
  return [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// discovery.StorageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind").
function storageVersionHash(group, version, kind) {
  return crypto.createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

// metav1.APIResource for a type and its subresources, sorted by name as the installer registers
// them. A subresource answered in another group/version (scale, eviction, token) carries it, as
// its storage implements GroupVersionKindProvider; the others leave group/version empty.
function apiResources(registry, group, version) {
  const out = [];
  for (const t of registry.typesIn(group, version)) {
    const main = { name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind,
                   verbs: sortedStrings(t.verbs) };
    if (t.shortNames.length) main.shortNames = [...t.shortNames];
    if (t.categories.length) main.categories = [...t.categories];
    if (!t.virtual) main.storageVersionHash = storageVersionHash(t.group, t.version, t.kind);
    out.push(main);
    for (const [sub, d] of Object.entries(t.subresources)) {
      const entry = { name: `${t.resource}/${sub}`, singularName: '', namespaced: t.namespaced };
      if (d.group !== group || d.version !== version) Object.assign(entry, { group: d.group, version: d.version });
      Object.assign(entry, { kind: d.kind, verbs: sortedStrings(d.verbs) });
      out.push(entry);
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// endpoints.ConvertGroupVersionIntoToDiscovery: responseKind copies the APIResource's (often
// empty) group and version, exactly as the real server does.
function toDiscoveryResources(list) {
  const parents = new Map();
  const out = [];
  const kindOf = (r) => ({ group: r.group || '', version: r.version || '', kind: r.kind });
  for (const r of list.filter((x) => !x.name.includes('/'))) {
    const d = { resource: r.name, responseKind: kindOf(r), scope: r.namespaced ? 'Namespaced' : 'Cluster',
                singularResource: r.singularName, verbs: r.verbs };
    if (r.shortNames) d.shortNames = r.shortNames;
    if (r.categories) d.categories = r.categories;
    parents.set(r.name, d);
    out.push(d);
  }
  for (const r of list.filter((x) => x.name.includes('/'))) {
    const [parent, sub] = r.name.split('/');
    const p = parents.get(parent);
    if (!p) continue; // every registry subresource has its parent in the same group/version
    (p.subresources = p.subresources || []).push({ subresource: sub, responseKind: kindOf(r), verbs: r.verbs });
  }
  return out;
}

function groupVersionFor(group, version) {
  return group ? `${group}/${version}` : version;
}

function apiGroup(entry) {
  const versions = entry.versions.map((v) => ({ groupVersion: groupVersionFor(entry.group, v), version: v }));
  return { name: entry.group, versions, preferredVersion: versions[0] };
}

// The aggregated document for /api ('core') or /apis ('groups'), and its ETag: hex SHA-512 of the
// Go JSON of the list without TypeMeta (aggregated/etag.go calculateETag).
function aggregatedDocument(registry, which) {
  const items = registry.groups()
    .filter((g) => (which === 'core' ? g.group === '' : g.group !== ''))
    .map((g) => ({
      metadata: { ...(g.group ? { name: g.group } : {}), creationTimestamp: null },
      versions: g.versions.map((v) => ({ version: v, resources: toDiscoveryResources(apiResources(registry, g.group, v)),
                                         freshness: 'Current' })),
    }));
  const etag = crypto.createHash('sha512').update(goJSON({ metadata: {}, items })).digest('hex').toUpperCase();
  return { items, etag };
}

const aggregatedCache = new WeakMap();

function cachedAggregated(sim, which) {
  let entry = aggregatedCache.get(sim);
  if (!entry) aggregatedCache.set(sim, (entry = {}));
  if (!entry[which]) entry[which] = aggregatedDocument(sim.registry, which);
  return entry[which];
}

// metav1.ServerAddressByClientCIDR: the address this server is reached at, as its advertise
// address ("0.0.0.0/0" is the catch-all rule DefaultAddresses always lists).
function serverAddress(ctx) {
  const sock = ctx.req.socket || {};
  let host = String(sock.localAddress || '127.0.0.1').replace(/^::ffff:/, '');
  if (host.includes(':')) host = `[${host}]`;
  return `${host}:${sock.localPort || 443}`;
}

// ---- handlers ----

function serveAggregated(ctx, which, negotiated) {
  const { items, etag } = cachedAggregated(ctx.sim, which);
  const quoted = `"${etag}"`;
  const headers = { ETag: quoted, Vary: 'Accept', 'Cache-Control': 'public' };
  const { group, version, kind } = negotiated.convert;
  const contentType = `${negotiated.accepts.mediaType};g=${group};v=${version};as=${kind}`;
  if (ctx.req.headers['if-none-match'] === quoted) {
    // Go's 304 carries no Content-Type, so HTTP caches (kubectl's ~/.kube/cache/http) keep the
    // stored one. Repeating the 200's type gives a cache the same result; any other value (or an
    // empty one) would replace it and make client-go parse the cached list as the legacy form.
    ctx.sendRaw(304, contentType, Buffer.alloc(0), headers);
    return true;
  }
  const body = { kind: AGGREGATED_KIND, apiVersion: `${AGGREGATED_GROUP}/${version}`, metadata: {}, items };
  ctx.sendRaw(200, contentType, encode(ctx, negotiated, body), headers);
  return true;
}

// /api and /apis: the aggregated handler when the Accept header names an aggregated GVK this
// version serves, otherwise the legacy handler, which allows no conversion at all (so a lone
// v2beta1 clause on 1.33 ends in 406, as on a real 1.33 server).
function serveRoot(ctx, which) {
  const accept = ctx.req.headers.accept || '';
  const aggregated = negotiate(accept, aggregatedRestriction(ctx.sim.emulatedVersion));
  if (aggregated && aggregated.convert) return serveAggregated(ctx, which, aggregated);
  const legacy = negotiate(accept, legacyOnly);
  if (!legacy) return sendNotAcceptable(ctx);
  if (which === 'core') {
    return sendNegotiated(ctx, legacy, { kind: 'APIVersions', versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: serverAddress(ctx) }] });
  }
  // kube-aggregator's list: no serverAddressByClientCIDRs, apiVersion kept.
  const groups = ctx.sim.registry.groups().filter((g) => g.group !== '').map(apiGroup);
  return sendNegotiated(ctx, legacy, { kind: 'APIGroupList', apiVersion: 'v1', groups });
}

function serveGroup(ctx, group) {
  const entry = ctx.sim.registry.groups().find((g) => g.group === group && group !== '');
  if (!entry) return false;
  const legacy = negotiate(ctx.req.headers.accept || '', legacyOnly);
  if (!legacy) return sendNotAcceptable(ctx);
  return sendNegotiated(ctx, legacy, { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(entry) });
}

// The core group's list has no apiVersion: its handler strips it, for release-1.1 compatibility.
function serveResourceList(ctx, group, version) {
  if (!ctx.sim.registry.typesIn(group, version).length) return false;
  const legacy = negotiate(ctx.req.headers.accept || '', legacyOnly);
  if (!legacy) return sendNotAcceptable(ctx);
  const body = { kind: 'APIResourceList', ...(group ? { apiVersion: 'v1' } : {}),
                 groupVersion: groupVersionFor(group, version), resources: apiResources(ctx.sim.registry, group, version) };
  return sendNegotiated(ctx, legacy, body);
}

// Returns true when it answered; false leaves the path to the server's 404.
function handleDiscovery(ctx) {
  if (ctx.method !== 'GET') return false;
  // go-restful and the aggregator's mux answer the same with one trailing slash.
  const path = ctx.path.length > 1 && ctx.path.endsWith('/') ? ctx.path.slice(0, -1) : ctx.path;
  if (path === '/api') return serveRoot(ctx, 'core');
  if (path === '/apis') return serveRoot(ctx, 'groups');
  let m = /^\/api\/([^/]+)$/.exec(path);
  if (m) return serveResourceList(ctx, '', m[1]);
  m = /^\/apis\/([^/]+)$/.exec(path);
  if (m) return serveGroup(ctx, m[1]);
  m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (m) return serveResourceList(ctx, m[1], m[2]);
  return false;
}

module.exports = {
  handleDiscovery, parseAccept, negotiate, aggregatedVersions, apiResources, storageVersionHash,
  ACCEPTED_MEDIA_TYPES,
};
