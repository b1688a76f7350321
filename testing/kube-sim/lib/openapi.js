'use strict';
// OpenAPI as kube-apiserver serves it (wire §4.2):
//   /openapi/v2            kube-openapi pkg/handler: JSON swagger 2.0, or the protobuf document that
//                          kubectl asks for. kube-sim sends an empty protobuf body (a valid, empty
//                          gnostic Document) with the dot-form Content-Type client-go can parse.
//   /openapi/v3            the index of per group-version documents (kube-aggregator specProxier)
//   /openapi/v3/<gv>       one document, with kube-openapi pkg/handler3's hash semantics.
// The v3 documents are generated here from the registry and lib/openapi-schemas.js, in the shape
// the real builder gives them, so `kubectl explain`, kubectl's fieldValidation probe and its
// OpenAPI-driven strategic merge patch all find what they look for.

const crypto = require('node:crypto');
const { packages, special } = require('./openapi-schemas');
const { parseAccept } = require('./discovery');
const { goJSON } = require('./context');
const { versionInfo } = require('./version');

const PROTO_V2 = 'com.github.proto-openapi.spec.v2.v1.0+protobuf';
const PROTO_V2_DEPRECATED = 'com.github.proto-openapi.spec.v2@v1.0+protobuf';
const PROTO_V3 = 'com.github.proto-openapi.spec.v3.v1.0+protobuf';
const PROTO_V3_DEPRECATED = 'com.github.proto-openapi.spec.v3@v1.0+protobuf';
const SCHEMA_REF = '#/components/schemas/';

function minorOf(emulated) {
  return Number(String(emulated).split('.')[1]);
}

// ---- schemas ----

function packagePrefix(pkg) {
  if (pkg === 'meta.v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (pkg === 'version') return 'io.k8s.apimachinery.pkg.version';
  return `io.k8s.api.${pkg}`;
}

// Short name -> full schema names, for resolving references written without a package.
function nameIndex() {
  const index = new Map();
  const add = (short, full) => index.set(short, [...(index.get(short) || []), full]);
  for (const [pkg, types] of Object.entries(packages)) {
    for (const name of Object.keys(types)) add(name, `${packagePrefix(pkg)}.${name}`);
  }
  for (const full of Object.keys(special)) add(full.split('.').pop(), full);
  return index;
}

const INDEX = nameIndex();

function resolveRef(name, pkg) {
  if (packages[pkg] && packages[pkg][name]) return `${packagePrefix(pkg)}.${name}`;
  const found = INDEX.get(name) || [];
  if (found.length !== 1) throw new Error(`openapi-schemas: reference ${name} from ${pkg} matches ${found.length} types`);
  return found[0];
}

const PRIMITIVES = {
  string: { type: 'string' }, boolean: { type: 'boolean' }, int32: { type: 'integer', format: 'int32' },
  int64: { type: 'integer', format: 'int64' }, double: { type: 'number', format: 'double' },
  byte: { type: 'string', format: 'byte' }, object: { type: 'object' },
};

// A property's schema. References at property level go through allOf so a description can sit
// beside them (OpenAPI 3.0 ignores siblings of $ref), as kube-openapi writes them.
function typeSchema(type, pkg, property) {
  if (type.startsWith('[]')) return { type: 'array', items: typeSchema(type.slice(2), pkg, false) };
  if (type.startsWith('map[')) return { type: 'object', additionalProperties: typeSchema(type.slice(4, -1), pkg, false) };
  if (PRIMITIVES[type]) return { ...PRIMITIVES[type] };
  const ref = { $ref: SCHEMA_REF + resolveRef(type, pkg) };
  return property ? { allOf: [ref] } : ref;
}

function applyTag(schema, tag) {
  const [name, value] = tag.slice(1).split(':');
  if (name === 'merge') {
    schema['x-kubernetes-patch-merge-key'] = value;
    schema['x-kubernetes-patch-strategy'] = 'merge';
  } else if (name === 'strategy') {
    schema['x-kubernetes-patch-strategy'] = value;
  } else if (name === 'map') {
    schema['x-kubernetes-list-type'] = 'map';
    schema['x-kubernetes-list-map-keys'] = value.split(',');
  } else if (name === 'set' || name === 'atomic') {
    if (schema.type === 'array') schema['x-kubernetes-list-type'] = name;
    else schema['x-kubernetes-map-type'] = name;
  } else {
    throw new Error(`openapi-schemas: unknown tag ${tag}`);
  }
}

// 'TYPE @tag...|description' -> schema, or null when the field is newer than the emulated version.
function compileField(spec, pkg, minor) {
  const bar = spec.indexOf('|');
  const [type, ...tags] = spec.slice(0, bar).trim().split(/\s+/);
  const since = tags.find((t) => t.startsWith('@since:'));
  if (since && minorOf(since.slice(7)) > minor) return null;
  const schema = { ...typeSchema(type, pkg, true), description: spec.slice(bar + 1) };
  for (const tag of tags) if (tag !== since) applyTag(schema, tag);
  return schema;
}

function compileType(pkg, [description, fields, opts = {}], minor) {
  const properties = {};
  for (const [name, spec] of Object.entries(fields)) {
    const prop = compileField(spec, pkg, minor);
    if (prop) properties[name] = prop;
  }
  const schema = { description, type: 'object', properties };
  const required = (opts.req || []).filter((f) => f in properties);
  if (required.length) schema.required = required;
  if (opts.atomic) schema['x-kubernetes-map-type'] = 'atomic';
  return schema;
}

const compiledByMinor = new Map();

// Every schema, by full name, as of the emulated minor (fields carry @since).
function compileSchemas(minor) {
  if (!compiledByMinor.has(minor)) {
    const out = {};
    for (const [pkg, types] of Object.entries(packages)) {
      for (const [name, def] of Object.entries(types)) out[`${packagePrefix(pkg)}.${name}`] = compileType(pkg, def, minor);
    }
    for (const [full, schema] of Object.entries(special)) out[full] = structuredClone(schema);
    compiledByMinor.set(minor, out);
  }
  return compiledByMinor.get(minor);
}

// The Go package of a group: core for the legacy group, rbac for rbac.authorization.k8s.io, else
// the group's first label.
function packageOf(group, version) {
  if (!group) return `core.${version}`;
  return `${group.split('.')[0]}.${version}`;
}

function kindSchemaName(group, version, kind) {
  return `${packagePrefix(packageOf(group, version))}.${kind}`;
}

const gvkEntry = (group, version, kind) => ({ group, kind, version });
const byGV = (a, b) => (a.group === b.group ? (a.version < b.version ? -1 : 1) : a.group < b.group ? -1 : 1);

// x-kubernetes-group-version-kind of every schema that is a kind: served kinds, their lists and
// subresource kinds; the meta types every group version registers list each of those versions.
function annotateKinds(schemas, registry) {
  const kinds = new Map();
  const gvs = new Map([['/v1', { group: '', version: 'v1' }]]);
  const note = (group, version, kind) => {
    const name = kindSchemaName(group, version, kind);
    if (!schemas[name]) return;
    kinds.set(name, [gvkEntry(group, version, kind)]);
    gvs.set(`${group}/${version}`, { group, version });
  };
  for (const t of registry.types) {
    note(t.group, t.version, t.kind);
    note(t.group, t.version, t.listKind);
    for (const d of Object.values(t.subresources)) note(d.group, d.version, d.kind);
  }
  const all = [...gvs.values()].sort(byGV);
  const metaName = (k) => `io.k8s.apimachinery.pkg.apis.meta.v1.${k}`;
  for (const k of ['DeleteOptions', 'WatchEvent']) kinds.set(metaName(k), all.map((gv) => gvkEntry(gv.group, gv.version, k)));
  for (const k of ['Status', 'APIResourceList', 'APIGroup', 'APIGroupList', 'APIVersions']) {
    kinds.set(metaName(k), [gvkEntry('', 'v1', k)]);
  }
  const out = {};
  for (const [name, schema] of Object.entries(schemas)) {
    out[name] = kinds.has(name) ? { ...schema, 'x-kubernetes-group-version-kind': kinds.get(name) } : schema;
  }
  return out;
}

// ---- operations ----

const JSON_TYPES = ['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml'];
const STREAM_TYPES = ['application/json', 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf',
  'application/vnd.kubernetes.protobuf;stream=watch', 'application/yaml'];
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json',
  'application/strategic-merge-patch+json'];
const CODE_TEXT = { 200: 'OK', 201: 'Created', 202: 'Accepted' };

const q = (type, description, since) => ({ in: 'query', type, description, since });
// Query parameters, worded for kube-sim; `since` drops a parameter the emulated version lacks.
const PARAMS = {
  allowWatchBookmarks: q('boolean', 'Ask for BOOKMARK events in a watch; servers may send them at their discretion.'),
  continue: q('string', 'Token from a previous limited list, to fetch the next page with otherwise identical parameters.'),
  dryRun: q('string', 'When present, process the request fully but persist nothing. The only valid value is All.'),
  fieldManager: q('string', 'Name of the actor making the change, at most 128 printable characters; required for apply patches.'),
  fieldSelector: q('string', 'Restrict the returned objects by their fields; defaults to everything.'),
  fieldValidation: q('string', 'How to treat unknown or duplicate fields in the body: Ignore drops them, Warn '
    + '(the default) drops them with a Warning header, Strict fails the request with BadRequest.'),
  force: q('boolean', 'Take over fields owned by other managers on an apply patch; must be unset for other patch types.'),
  gracePeriodSeconds: q('integer', 'Seconds before the object is deleted; 0 deletes at once, unset uses the default of the kind.'),
  ignoreStoreReadErrorWithClusterBreakingPotential: q('boolean',
    'Delete an object whose stored form cannot be read. Dangerous; needs the matching permission.', 32),
  labelSelector: q('string', 'Restrict the returned objects by their labels; defaults to everything.'),
  limit: q('integer', 'Most items to return; a continue token is set in the list metadata when more remain.'),
  orphanDependents: q('boolean', 'Deprecated: use propagationPolicy. Whether dependents are orphaned.'),
  pretty: q('string', "If 'true', the output is pretty printed."),
  propagationPolicy: q('string', 'Garbage collection of dependents: Orphan, Background or Foreground.'),
  resourceVersion: q('string', 'Constrains which resource versions the request may be served from; see the API concepts documentation.'),
  resourceVersionMatch: q('string', 'How resourceVersion applies to a list: Exact or NotOlderThan.'),
  sendInitialEvents: q('boolean', 'With watch=true, start the stream with synthetic events for the current state, ended by a bookmark.'),
  timeoutSeconds: q('integer', 'Time limit of the list or watch call, regardless of activity.'),
  watch: q('boolean', 'Watch for changes and return them as a stream of add, update and remove notifications.'),
  command: q('string', 'Command to run, one argument per parameter, without a shell.'),
  container: q('string', 'Container to use; defaults to the only container of the pod.'),
  stderr: q('boolean', 'Stream the standard error of the container.'),
  stdin: q('boolean', 'Stream standard input to the container. Defaults to false.'),
  stdout: q('boolean', 'Stream the standard output of the container.'),
  tty: q('boolean', 'Allocate a terminal. Defaults to false.'),
  ports: q('integer', 'Ports to forward; required with WebSockets.'),
  follow: q('boolean', 'Keep the log stream open and follow new output. Defaults to false.'),
  insecureSkipTLSVerifyBackend: q('boolean', 'Do not verify the serving certificate of the kubelet the log is read from.'),
  limitBytes: q('integer', 'Stop after this many bytes of log output.'),
  previous: q('boolean', 'Return the log of the previous, terminated container instance. Defaults to false.'),
  sinceSeconds: q('integer', 'Only return log lines newer than this many seconds.'),
  stream: q('string', 'Which stream of the log to return: All (default), Stdout or Stderr.', 32),
  tailLines: q('integer', 'Number of lines from the end of the log to return.'),
  timestamps: q('boolean', 'Prefix every log line with an RFC 3339 timestamp. Defaults to false.'),
};

const LIST_PARAMS = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion',
  'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];
const DELETE_PARAMS = ['dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential',
  'orphanDependents', 'propagationPolicy'];
const DELETECOLLECTION_PARAMS = [...new Set([...LIST_PARAMS, ...DELETE_PARAMS])]
  .filter((p) => p !== 'watch' && p !== 'allowWatchBookmarks');
const SUBRESOURCE_QUERY = {
  exec: ['command', 'container', 'stderr', 'stdin', 'stdout', 'tty'],
  attach: ['container', 'stderr', 'stdin', 'stdout', 'tty'],
  portforward: ['ports'],
  log: ['container', 'follow', 'insecureSkipTLSVerifyBackend', 'limitBytes', 'pretty', 'previous', 'sinceSeconds',
    'stream', 'tailLines', 'timestamps'],
};

function queryParam(name, minor) {
  const p = PARAMS[name];
  if (p.since && p.since > minor) return null;
  return { description: p.description, in: 'query', name, schema: { type: p.type, uniqueItems: true } };
}

function pathParam(name, description) {
  return { description, in: 'path', name, required: true, schema: { type: 'string', uniqueItems: true } };
}

function content(types, schema) {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function responses(codes, schema, types = JSON_TYPES) {
  const out = {};
  for (const code of codes) out[code] = { content: content(types, schema), description: CODE_TEXT[code] };
  out[401] = { description: 'Unauthorized' };
  return out;
}

const ref = (name) => ({ $ref: SCHEMA_REF + name });
const META_REF = (k) => ref(`io.k8s.apimachinery.pkg.apis.meta.v1.${k}`);

// installer.go GetArticleForNoun: "an Event", "a Pod", nothing before a plural.
function article(noun) {
  if (!noun.endsWith('ss') && noun.endsWith('s')) return ' ';
  return /^[aeiou]/i.test(noun) ? ' an ' : ' a ';
}

function capitalize(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// Naming of operation ids and tags, as the apiserver's OpenAPI config derives them from the group.
function groupNames(group) {
  if (!group) return { id: 'Core', tag: 'core' };
  const words = group.replace(/\.k8s\.io$/, '').split('.');
  const id = words.map(capitalize).join('');
  return { id, tag: id.charAt(0).toLowerCase() + id.slice(1) };
}

// One operation. `spec`: {action, idVerb, subject, description, query, body, responses, gvk,
// pathParams}; subject is the part of the id after group and version.
function operation(ctx, spec) {
  const params = [...spec.pathParams, ...spec.query.map((n) => queryParam(n, ctx.minor)).filter(Boolean)];
  const op = {
    description: spec.description,
    operationId: `${spec.idVerb}${ctx.names.id}${capitalize(ctx.version)}${spec.subject}`,
    parameters: params, responses: spec.responses, tags: [`${ctx.names.tag}_${ctx.version}`],
  };
  if (spec.body) op.requestBody = { content: content(spec.bodyTypes || ['*/*'], spec.body) };
  if (spec.action) op['x-kubernetes-action'] = spec.action;
  if (spec.gvk) op['x-kubernetes-group-version-kind'] = spec.gvk;
  return op;
}

// builder3's findCommonParameters: parameters every operation of a path has move to the path.
function hoistParameters(pathItem) {
  const ops = Object.values(pathItem);
  const key = (p) => `${p.in}/${p.name}`;
  const common = ops[0].parameters.filter((p) => ops.every((op) => op.parameters.some((x) => key(x) === key(p))));
  const commonKeys = new Set(common.map(key));
  const byNameIn = (a, b) => (a.name === b.name ? (a.in < b.in ? -1 : 1) : a.name < b.name ? -1 : 1);
  for (const op of ops) {
    op.parameters = op.parameters.filter((p) => !commonKeys.has(key(p))).sort(byNameIn);
    if (!op.parameters.length) delete op.parameters;
  }
  return common.length ? { ...pathItem, parameters: common.sort(byNameIn) } : pathItem;
}

const NS_PARAM = pathParam('namespace', 'the namespace the object lives in');
const nameParam = (kind) => pathParam('name', `name of the ${kind}`);

// The verbs of the installer's routes, as operation specs. `base` has gvk, pathParams and subject;
// `of` is "" for the resource itself or "status " style for a subresource ("<sub> of ").
const VERB_OPS = {
  get: (base, kind, of, r) => ({ ...base, action: 'get', idVerb: 'read', query: ['pretty'],
    description: `read ${of}the specified ${kind}`, responses: responses([200], r) }),
  update: (base, kind, of, r) => ({ ...base, action: 'put', idVerb: 'replace', query: [...WRITE_PARAMS, 'pretty'],
    description: `replace ${of}the specified ${kind}`, body: r, responses: responses([200, 201], r) }),
  patch: (base, kind, of, r) => ({ ...base, action: 'patch', idVerb: 'patch', query: [...WRITE_PARAMS, 'force', 'pretty'],
    description: `partially update ${of}the specified ${kind}`, body: META_REF('Patch'), bodyTypes: PATCH_TYPES,
    responses: responses([200, 201], r) }),
  create: (base, kind, of, r) => ({ ...base, action: 'post', idVerb: 'create', query: [...WRITE_PARAMS, 'pretty'],
    description: `create ${of ? of.trimEnd() + article(kind) : article(kind).trimStart()}${kind}`,
    body: r, responses: responses([200, 201, 202], r) }),
  delete: (base, kind, of, r) => ({ ...base, action: 'delete', idVerb: 'delete', query: [...DELETE_PARAMS, 'pretty'],
    description: `delete${article(kind)}${kind}`, body: META_REF('DeleteOptions'), responses: responses([200, 202], r) }),
};
const METHOD_OF = { get: 'get', update: 'put', patch: 'patch', create: 'post', delete: 'delete' };

function listOperations(t, base) {
  const list = { ...base, action: 'list', idVerb: 'list', query: [...LIST_PARAMS, 'pretty'],
    description: `list or watch objects of kind ${t.kind}`,
    responses: responses([200], ref(kindSchemaName(t.group, t.version, t.listKind)), STREAM_TYPES) };
  const watchResponses = responses([200], META_REF('WatchEvent'), STREAM_TYPES);
  const deprecated = "deprecated: use the 'watch' parameter with a list operation instead";
  const watchList = { ...base, action: 'watchlist', idVerb: 'watch', subject: `${base.subject}List`, query: list.query,
    description: `watch individual changes to a list of ${t.kind}. ${deprecated}.`, responses: watchResponses };
  const watchOne = { ...base, action: 'watch', idVerb: 'watch', query: list.query, responses: watchResponses,
    description: `watch changes to an object of kind ${t.kind}. ${deprecated}, `
      + "filtered to a single item with the 'fieldSelector' parameter." };
  return { list, watchList, watchOne };
}

// Operations on the collection, item and deprecated watch paths of one resource.
function resourceOperations(t) {
  const ns = t.namespaced ? 'Namespaced' : '';
  const kindRef = ref(kindSchemaName(t.group, t.version, t.kind));
  const scope = t.namespaced ? [NS_PARAM] : [];
  const base = { gvk: gvkEntry(t.group, t.version, t.kind), pathParams: scope, subject: `${ns}${t.kind}` };
  const itemBase = { ...base, pathParams: [nameParam(t.kind), ...scope] };
  const has = (v) => t.verbs.includes(v);
  const { list, watchList, watchOne } = listOperations(t, base);
  const coll = {};
  const one = {};
  if (has('list')) coll.get = list;
  if (has('create')) coll.post = VERB_OPS.create(base, t.kind, '', kindRef);
  if (has('deletecollection')) {
    coll.delete = { ...base, action: 'deletecollection', idVerb: 'delete', subject: `Collection${ns}${t.kind}`,
      query: [...DELETECOLLECTION_PARAMS, 'pretty'], description: `delete collection of ${t.kind}`,
      body: META_REF('DeleteOptions'), responses: responses([200], META_REF('Status')) };
  }
  for (const verb of ['get', 'update', 'patch']) if (has(verb)) one[METHOD_OF[verb]] = VERB_OPS[verb](itemBase, t.kind, '', kindRef);
  // Graceful deletion answers with the object; the rest answer with a Status.
  if (has('delete')) one.delete = VERB_OPS.delete(itemBase, t.kind, '', t.deleteReturnsObject ? kindRef : META_REF('Status'));
  return { coll, one, watchList: has('watch') ? { ...watchList, pathParams: scope } : null,
           watchOne: has('watch') ? { ...watchOne, pathParams: itemBase.pathParams } : null };
}

const STRING_RESPONSE = (types) => ({ 200: { content: content(types, { type: 'string' }), description: 'OK' },
  401: { description: 'Unauthorized' } });

// Operations of one subresource at <item>/<sub>. Subresources whose kind is an *Options type are
// connect endpoints (exec, attach, portforward), log streams text, the rest are ordinary reads
// and writes of their response kind (status, scale, eviction, token, finalize).
function subresourceOperations(t, sub, d) {
  const ns = t.namespaced ? 'Namespaced' : '';
  const subject = `${ns}${t.kind}${capitalize(sub)}`;
  const base = { pathParams: [nameParam(d.kind), ...(t.namespaced ? [NS_PARAM] : [])], gvk: gvkEntry(d.group, d.version, d.kind) };
  const ops = {};
  if (/Options$/.test(d.kind)) {
    for (const [verb, method] of [['get', 'get'], ['create', 'post']]) {
      if (!d.verbs.includes(verb)) continue;
      ops[method] = { ...base, action: 'connect', idVerb: 'connect', subject: `${capitalize(method)}${subject}`,
        query: SUBRESOURCE_QUERY[sub] || [], description: `connect ${method.toUpperCase()} requests to ${sub} of ${t.kind}`,
        responses: STRING_RESPONSE(['*/*']) };
    }
  } else if (sub === 'log') {
    ops.get = { ...base, action: 'get', idVerb: 'read', subject, query: SUBRESOURCE_QUERY.log,
      description: `read log of the specified ${t.kind}`, responses: STRING_RESPONSE([...JSON_TYPES, 'text/plain']) };
  } else {
    const kindRef = ref(kindSchemaName(d.group, d.version, d.kind));
    for (const verb of ['get', 'update', 'patch', 'create']) {
      if (d.verbs.includes(verb)) ops[METHOD_OF[verb]] = VERB_OPS[verb]({ ...base, subject }, t.kind, `${sub} of `, kindRef);
    }
  }
  return ops;
}

// The operation specs of one resource, by path.
function resourcePaths(ctx, t, prefix) {
  const out = {};
  const r = resourceOperations(t);
  const nsPart = t.namespaced ? 'namespaces/{namespace}/' : '';
  const base = `${prefix}/${nsPart}${t.resource}`;
  if (Object.keys(r.coll).length) out[base] = r.coll;
  if (Object.keys(r.one).length) out[`${base}/{name}`] = r.one;
  if (t.namespaced && r.coll.get) {
    out[`${prefix}/${t.resource}`] = { get: { ...r.coll.get, pathParams: [], subject: `${t.kind}ForAllNamespaces` } };
  }
  if (r.watchList) {
    out[`${prefix}/watch/${nsPart}${t.resource}`] = { get: r.watchList };
    out[`${prefix}/watch/${nsPart}${t.resource}/{name}`] = { get: r.watchOne };
    if (t.namespaced) {
      out[`${prefix}/watch/${t.resource}`] = { get: { ...r.watchList, pathParams: [], subject: `${t.kind}ListForAllNamespaces` } };
    }
  }
  for (const [sub, d] of Object.entries(t.subresources)) {
    const ops = subresourceOperations(t, sub, d);
    if (Object.keys(ops).length) out[`${base}/{name}/${sub}`] = ops;
  }
  return out;
}

// All paths of one group version, finished: operations built, common parameters hoisted.
function groupVersionPaths(registry, group, version, minor) {
  const ctx = { group, version, minor, names: groupNames(group) };
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const specs = { [`${prefix}/`]: { get: { pathParams: [], query: [], idVerb: 'get', subject: 'APIResources',
    description: 'get available resources', responses: responses([200], META_REF('APIResourceList')) } } };
  for (const t of registry.typesIn(group, version)) Object.assign(specs, resourcePaths(ctx, t, prefix));
  const paths = {};
  for (const [p, ops] of Object.entries(specs)) {
    const item = {};
    for (const [method, spec] of Object.entries(ops)) item[method] = operation(ctx, spec);
    paths[p] = hoistParameters(item);
  }
  return paths;
}

// The documents of the non-resource discovery paths the real index also lists.
function rootPaths(registry) {
  const get = (path, operationId, description, schema, tag, types) => ({
    [path]: { get: { description, operationId, responses: responses([200], schema, types), tags: [tag] } } });
  const docs = {
    api: get('/api/', 'getCoreAPIVersions', 'get available API versions', META_REF('APIVersions'), 'core'),
    apis: get('/apis/', 'getAPIVersions', 'get available API versions', META_REF('APIGroupList'), 'apis'),
    version: get('/version/', 'getCodeVersion', 'get the code version', ref('io.k8s.apimachinery.pkg.version.Info'),
      'version', ['application/json']),
  };
  for (const { group } of registry.groups().filter((g) => g.group)) {
    const names = groupNames(group);
    docs[`apis/${group}`] = get(`/apis/${group}/`, `get${names.id}APIGroup`, 'get information of a group',
      META_REF('APIGroup'), names.tag);
  }
  return docs;
}

// Schemas reachable from the paths, transitively: each document carries only what it uses.
function usedSchemas(paths, schemas) {
  const out = {};
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return undefined;
    if (typeof node.$ref === 'string' && node.$ref.startsWith(SCHEMA_REF)) {
      const name = node.$ref.slice(SCHEMA_REF.length);
      if (!(name in out)) {
        out[name] = schemas[name];
        visit(schemas[name]);
      }
    }
    return Object.values(node).forEach(visit);
  };
  visit(paths);
  return out;
}

// Objects with their keys sorted, as Go's encoding of the spec's maps gives them.
function sortKeys(node) {
  if (Array.isArray(node)) return node.map(sortKeys);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const k of Object.keys(node).sort()) out[k] = sortKeys(node[k]);
  return out;
}

const BEARER = { description: 'A bearer token in the Authorization header', in: 'header', name: 'authorization', type: 'apiKey' };

function v3Document(paths, schemas) {
  return sortKeys({ components: { schemas: usedSchemas(paths, schemas), securitySchemes: { BearerToken: BEARER } },
    info: { title: 'Kubernetes', version: 'unversioned' }, openapi: '3.0.0', paths });
}

function sha512Hex(buf) {
  return crypto.createHash('sha512').update(buf).digest('hex').toUpperCase();
}

// Serialised form, ETag (hex SHA-512 of the bytes, as kube-openapi computes it) and the time the
// document was built, which the real handler sends as Last-Modified.
function finished(doc) {
  const body = Buffer.from(goJSON(doc));
  return { doc, body, etag: sha512Hex(body), lastModified: new Date() };
}

function buildState(sim) {
  const minor = minorOf(sim.emulatedVersion);
  const schemas = annotateKinds(compileSchemas(minor), sim.registry);
  const docs = new Map();
  for (const [key, paths] of Object.entries(rootPaths(sim.registry))) docs.set(key, finished(v3Document(paths, schemas)));
  for (const { group, versions } of sim.registry.groups()) {
    for (const version of versions) {
      const key = group ? `apis/${group}/${version}` : `api/${version}`;
      docs.set(key, finished(v3Document(groupVersionPaths(sim.registry, group, version, minor), schemas)));
    }
  }
  return { docs, v2: null, emulatedVersion: sim.emulatedVersion };
}

const STATES = new WeakMap();

// Generated documents are cached per server instance: the registry never changes while it runs.
function openapiState(sim) {
  if (!STATES.has(sim)) STATES.set(sim, buildState(sim));
  return STATES.get(sim);
}

// ---- swagger 2.0 ----

// A v3 schema in v2 form: refs point into definitions, single-ref allOf becomes $ref with
// siblings (v2 allows them), and oneOf (Quantity, IntOrString) becomes the string v2 uses.
function v2Schema(node) {
  if (Array.isArray(node)) return node.map(v2Schema);
  if (!node || typeof node !== 'object') return node;
  const toDefinition = (r) => r.replace(SCHEMA_REF, '#/definitions/');
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref') out.$ref = toDefinition(v);
    else if (k === 'allOf' && v.length === 1 && v[0].$ref) out.$ref = toDefinition(v[0].$ref);
    else if (k === 'oneOf') out.type = 'string';
    else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v).map(([n, s]) => [n, v2Schema(s)]));
    else if (k === 'items' || k === 'additionalProperties') out[k] = v2Schema(v);
    else out[k] = v;
  }
  return out;
}

function v2Parameter(p) {
  const out = { description: p.description, in: p.in, name: p.name, type: p.schema.type, uniqueItems: true };
  if (p.required) out.required = true;
  return out;
}

function v2Operation(op) {
  const out = { description: op.description, operationId: op.operationId, schemes: ['https'], tags: op.tags };
  const params = (op.parameters || []).map(v2Parameter);
  out.consumes = op.requestBody ? Object.keys(op.requestBody.content) : ['*/*'];
  if (op.requestBody) {
    const schema = Object.values(op.requestBody.content)[0].schema;
    params.push({ in: 'body', name: 'body', required: true, schema: v2Schema(schema) });
  }
  if (params.length) out.parameters = params.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  out.responses = {};
  for (const [code, r] of Object.entries(op.responses)) {
    out.responses[code] = { description: r.description };
    if (!r.content) continue;
    out.responses[code].schema = v2Schema(Object.values(r.content)[0].schema);
    out.produces = out.produces || Object.keys(r.content);
  }
  for (const [k, v] of Object.entries(op)) if (k.startsWith('x-')) out[k] = v;
  return out;
}

// One swagger document over every path and schema of the v3 documents.
function buildV2(state) {
  const paths = {};
  const definitions = {};
  for (const { doc } of state.docs.values()) {
    for (const [p, item] of Object.entries(doc.paths)) {
      const v2 = {};
      for (const [k, v] of Object.entries(item)) v2[k] = k === 'parameters' ? v.map(v2Parameter) : v2Operation(v);
      paths[p] = v2;
    }
    for (const [n, s] of Object.entries(doc.components.schemas)) definitions[n] = v2Schema(s);
  }
  return finished(sortKeys({ definitions, info: { title: 'Kubernetes', version: versionInfo(state.emulatedVersion).gitVersion },
    paths, security: [{ BearerToken: [] }], securityDefinitions: { BearerToken: BEARER }, swagger: '2.0' }));
}

// ---- serving ----

// http.ServeContent's conditional checks: If-None-Match (weak comparison, "*") wins over
// If-Modified-Since, which compares at one-second resolution.
function notModified(ctx, etag, lastModified) {
  const inm = ctx.req.headers['if-none-match'];
  if (inm !== undefined) {
    if (!etag) return false;
    return inm.split(',').map((s) => s.trim().replace(/^W\//, '')).some((t) => t === '*' || t === `"${etag}"`);
  }
  const ims = Date.parse(ctx.req.headers['if-modified-since'] || '');
  return !Number.isNaN(ims) && Math.floor(lastModified.getTime() / 1000) * 1000 <= ims;
}

// A response without a body, and so without a Content-Type, as Go writes WriteHeader-only answers.
function sendEmpty(ctx, code, headers = {}) {
  ctx.sendRaw(code, null, Buffer.alloc(0), headers);
  return true;
}

function serveContent(ctx, contentType, body, { etag, lastModified, headers = {} }) {
  const out = { ...headers, 'Last-Modified': lastModified.toUTCString() };
  if (etag) out.ETag = `"${etag}"`;
  if (notModified(ctx, etag, lastModified)) {
    if (etag) delete out['Last-Modified'];
    // The 200's type, not none: see discovery.js serveAggregated on how caches merge a 304.
    ctx.sendRaw(304, contentType, Buffer.alloc(0), out);
    return true;
  }
  ctx.sendRaw(200, contentType, body, { ...out, 'Accept-Ranges': 'bytes' });
  return true;
}

// The first Accept clause (in goautoneg order) that one of `offers` matches, with that offer.
function pickOffer(accept, offers) {
  for (const clause of parseAccept(accept)) {
    for (const offer of offers) {
      if ((clause.type === 'application' || clause.type === '*') && (clause.subType === offer.subType || clause.subType === '*')) {
        return offer;
      }
    }
  }
  return null;
}

// /openapi/v2: JSON for application/json (or no Accept), the empty protobuf document for either
// protobuf spelling, 406 with no body otherwise. Both forms share the JSON document's ETag.
function serveV2(ctx) {
  const state = openapiState(ctx.sim);
  if (!state.v2) state.v2 = buildV2(state);
  const offer = pickOffer(ctx.req.headers.accept || '*/*', [
    { subType: 'json', protobuf: false }, { subType: PROTO_V2_DEPRECATED, protobuf: true }, { subType: PROTO_V2, protobuf: true },
  ]);
  if (!offer) return sendEmpty(ctx, 406, { Vary: 'Accept' });
  const { body, etag, lastModified } = state.v2;
  const contentType = offer.protobuf ? `application/${PROTO_V2}` : 'application/json';
  return serveContent(ctx, contentType, offer.protobuf ? Buffer.alloc(0) : body, { etag, lastModified, headers: { Vary: 'Accept' } });
}

function serverRelativeURL(key, etag) {
  return `/openapi/v3/${key}?hash=${etag}`;
}

// /openapi/v3: the aggregator's merged index, served through http.ServeContent with no type set,
// so Go sniffs the JSON as text/plain; no ETag, Last-Modified is the time of the request.
function serveV3Index(ctx) {
  const { docs } = openapiState(ctx.sim);
  const paths = {};
  for (const key of [...docs.keys()].sort()) paths[key] = { serverRelativeURL: serverRelativeURL(key, docs.get(key).etag) };
  return serveContent(ctx, 'text/plain; charset=utf-8', Buffer.from(goJSON({ paths })), { lastModified: new Date() });
}

// Go's time.RFC1123 in UTC, as kube-apiserver (running in UTC) formats Expires.
function rfc1123(date) {
  return date.toUTCString().replace(/GMT$/, 'UTC');
}

// /openapi/v3/<gv>: unknown documents are a bodiless 404 (the aggregator); otherwise handler3:
// a hash that is not the current ETag redirects (301) to the current URL, a matching hash makes
// the answer immutable for a year, no hash leaves the server's default no-cache.
function serveV3Document(ctx, key) {
  const doc = openapiState(ctx.sim).docs.get(key);
  if (!doc) return sendEmpty(ctx, 404);
  const accept = ctx.req.headers.accept || '*/*';
  if (!parseAccept(accept).length) return sendEmpty(ctx, 200, { Vary: 'Accept' });
  // Protobuf offers are listed for matching order but cannot be served by kube-sim: a client
  // asking for protobuf alone gets the 406.
  const offer = pickOffer(accept,
    [{ subType: 'json' }, { subType: PROTO_V3, skip: true }, { subType: PROTO_V3_DEPRECATED, skip: true }]);
  if (!offer || offer.skip) return sendEmpty(ctx, 406, { Vary: 'Accept' });
  const headers = { Vary: 'Accept' };
  const hash = ctx.query.get('hash') || '';
  if (hash && hash !== doc.etag) {
    ctx.sendRaw(301, 'application/json', Buffer.alloc(0),
      { ...headers, ETag: `"${doc.etag}"`, Location: serverRelativeURL(key, doc.etag) });
    return true;
  }
  if (hash) {
    const expires = new Date();
    expires.setUTCFullYear(expires.getUTCFullYear() + 1);
    Object.assign(headers, { 'Cache-Control': 'public, immutable', Expires: rfc1123(expires) });
  }
  return serveContent(ctx, 'application/json', doc.body, { etag: doc.etag, lastModified: doc.lastModified, headers });
}

// Returns true when it answered. /swagger-2.0.0.pb-v1, which kubectl 1.27 tries after a v2 404,
// is not served by kube-apiserver 1.27+ either, so it is left to the server's 404.
function handleOpenAPI(ctx) {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
  if (ctx.path === '/openapi/v2') return serveV2(ctx);
  if (ctx.path === '/openapi/v3') return serveV3Index(ctx);
  if (ctx.path.startsWith('/openapi/v3/')) return serveV3Document(ctx, ctx.path.slice('/openapi/v3/'.length));
  return false;
}

module.exports = { handleOpenAPI, openapiState, compileSchemas, PROTO_V2 };
