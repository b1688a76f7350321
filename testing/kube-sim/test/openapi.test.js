'use strict';
// OpenAPI: /openapi/v2 answers as kube-openapi's handler does (the dot-form protobuf type kubectl
// can parse), /openapi/v3 has handler3's hash semantics, and the generated documents have the
// shape kubectl relies on: the fieldValidation probe, explain, and OpenAPI-driven strategic merge
// patch. End to end, real kubectl binaries explain and apply with --validate=strict.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { createContext } = require('../lib/context');
const { Registry } = require('../lib/registry');
const { handleOpenAPI, openapiState } = require('../lib/openapi');
const { versionInfo } = require('../lib/version');
const { startSim, kubectl, kubectlPath, readRequestLog, tempDir, MATRIX, KUBECTL_DIR } = require('./support/harness');

const PROTO_DOT = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const PROTO_AT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf'; // what client-go asks for
// Reference data stays where it lies (never copied in): CI passes the shared folder's path.
const SHARED = process.env.KUBEGATE_SHARED_DIR || require('node:path').join(__dirname, '..', '..', '..', '..', 'shared');
const REFERENCE = require('node:path').join(SHARED, 'testdata', 'openapi', 'api__v1_openapi.json');

const sims = new Map();
function simFor(version) {
  if (!sims.has(version)) sims.set(version, { registry: new Registry(version), emulatedVersion: version });
  return sims.get(version);
}

// Runs handleOpenAPI through the real request context with a recording fake response.
function get(version, url, { accept, headers = {} } = {}) {
  const req = { url, method: 'GET', headers: { ...(accept === undefined ? {} : { accept }), ...headers }, socket: {} };
  const out = { code: 0, headers: {}, body: Buffer.alloc(0) };
  const res = {
    writeHead(code, h) {
      out.code = code;
      out.headers = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    },
    end(body) { out.body = body ? Buffer.from(body) : Buffer.alloc(0); },
    setHeader() {},
  };
  out.handled = handleOpenAPI(createContext({ req, res, sim: simFor(version), requestLog: () => {} }));
  out.json = () => JSON.parse(out.body.toString());
  return out;
}

const docOf = (version, key) => openapiState(simFor(version)).docs.get(key).doc;
const sha512 = (buf) => crypto.createHash('sha512').update(buf).digest('hex').toUpperCase();

test('/openapi/v2 answers kubectl with an empty protobuf document in the dot-form type', () => {
  for (const accept of [PROTO_AT, PROTO_DOT]) {
    const res = get('1.27', '/openapi/v2', { accept });
    assert.equal(res.code, 200);
    assert.equal(res.headers['content-type'], PROTO_DOT); // the "@" form breaks client-go's mime parser
    assert.equal(res.body.length, 0);
    assert.match(res.headers.etag, /^"[0-9A-F]{128}"$/);
    assert.equal(res.headers.vary, 'Accept');
    assert.ok(res.headers['last-modified']);
  }
});

test('/openapi/v2 as JSON is a swagger 2.0 document generated from the same schemas', () => {
  const res = get('1.33', '/openapi/v2', { accept: 'application/json' });
  assert.equal(res.headers['content-type'], 'application/json');
  const text = res.body.toString();
  assert.ok(!text.includes('#/components/'), 'v2 refers to #/definitions only');
  const doc = JSON.parse(text);
  assert.equal(doc.swagger, '2.0');
  assert.equal(doc.info.version, versionInfo('1.33').gitVersion);
  const patch = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
  assert.deepEqual(patch.consumes, ['application/apply-patch+yaml', 'application/json-patch+json',
    'application/merge-patch+json', 'application/strategic-merge-patch+json']);
  assert.deepEqual(patch.parameters.map((p) => p.name), ['body', 'dryRun', 'fieldManager', 'fieldValidation', 'force']);
  assert.deepEqual(patch.parameters[0].schema, { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' });
  assert.equal(patch.responses[200].schema.$ref, '#/definitions/io.k8s.api.core.v1.Pod');
  const pod = doc.definitions['io.k8s.api.core.v1.Pod'];
  assert.equal(pod.properties.spec.$ref, '#/definitions/io.k8s.api.core.v1.PodSpec');
  assert.equal(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, 'string');
  // Same ETag for JSON and protobuf, as kube-openapi derives both from the JSON bytes.
  assert.equal(res.headers.etag, `"${sha512(res.body)}"`);
  assert.equal(get('1.33', '/openapi/v2', { accept: PROTO_AT }).headers.etag, res.headers.etag);
  assert.equal(get('1.33', '/openapi/v2', {}).headers['content-type'], 'application/json'); // no Accept means */*
});

test('/openapi/v2: 406 without a body for other types, 304 on a matching If-None-Match', () => {
  const refused = get('1.33', '/openapi/v2', { accept: 'text/html' });
  assert.equal(refused.code, 406);
  assert.equal(refused.body.length, 0);
  assert.ok(!refused.headers['content-type'], 'no Content-Type on a bodiless Go answer');
  const { etag } = get('1.33', '/openapi/v2', { accept: PROTO_AT }).headers;
  const cached = get('1.33', '/openapi/v2', { accept: PROTO_AT, headers: { 'if-none-match': etag } });
  assert.equal(cached.code, 304);
  assert.equal(cached.body.length, 0);
  assert.equal(cached.headers['last-modified'], undefined);
  assert.equal(get('1.33', '/swagger-2.0.0.pb-v1', {}).handled, false); // kube-apiserver 404s it too
});

test('/openapi/v3 lists every document with its current hash, as the aggregator serves it', () => {
  const res = get('1.33', '/openapi/v3', { accept: 'application/json' });
  assert.equal(res.code, 200);
  assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8'); // ServeContent sniffing, as on a real server
  assert.equal(res.headers.etag, undefined);
  const { paths } = res.json();
  assert.deepEqual(Object.keys(paths), ['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1', 'apis/authentication.k8s.io',
    'apis/authentication.k8s.io/v1', 'apis/authorization.k8s.io', 'apis/authorization.k8s.io/v1',
    'apis/rbac.authorization.k8s.io', 'apis/rbac.authorization.k8s.io/v1', 'version']);
  for (const [key, { serverRelativeURL }] of Object.entries(paths)) {
    const doc = get('1.33', serverRelativeURL, {});
    assert.equal(doc.code, 200, key);
    assert.equal(serverRelativeURL, `/openapi/v3/${key}?hash=${sha512(doc.body)}`);
  }
  assert.ok('apis/authentication.k8s.io/v1beta1' in get('1.30', '/openapi/v3', {}).json().paths);
});

test('/openapi/v3/<gv> hash semantics of kube-openapi handler3', () => {
  const url = get('1.33', '/openapi/v3', {}).json().paths['api/v1'].serverRelativeURL;
  const etag = url.split('hash=')[1];
  const plain = get('1.33', '/openapi/v3/api/v1', { accept: 'application/json' });
  assert.equal(plain.code, 200);
  assert.equal(plain.headers['content-type'], 'application/json');
  assert.equal(plain.headers.etag, `"${etag}"`);
  assert.equal(plain.headers['cache-control'], 'no-cache, private');
  assert.equal(plain.headers.expires, undefined);
  const pinned = get('1.33', url, { accept: 'application/json' });
  assert.equal(pinned.headers['cache-control'], 'public, immutable');
  assert.equal(pinned.headers.vary, 'Accept');
  const expires = Date.parse(pinned.headers.expires);
  assert.ok(Math.abs(expires - Date.now() - 365 * 86400e3) < 2 * 86400e3, pinned.headers.expires);
  assert.match(pinned.headers.expires, / UTC$/);
  const stale = get('1.33', '/openapi/v3/api/v1?hash=0123', { accept: 'application/json' });
  assert.equal(stale.code, 301);
  assert.equal(stale.headers.location, url);
  assert.equal(stale.body.length, 0);
  const cached = get('1.33', url, { headers: { 'if-none-match': `"${etag}"` } });
  assert.equal(cached.code, 304);
  assert.equal(get('1.33', '/openapi/v3/apis/nope/v1', {}).code, 404);
  assert.equal(get('1.33', '/openapi/v3/api/v1/', {}).code, 404);
  assert.equal(get('1.33', '/openapi/v3/api/v1', { accept: 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf' }).code, 406);
  assert.equal(get('1.33', '/openapi/v3/api/v1', { accept: 'junk' }).body.length, 0); // no clause at all: empty 200
});

// Every $ref of a document resolves inside it, and every operation is complete.
function checkDocument(doc, label) {
  const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) || [];
  for (const r of refs) assert.ok(doc.components.schemas[r.slice(22, -1)], `${label}: ${r} resolves`);
  const ids = new Set();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      assert.ok(!ids.has(op.operationId), `${label}: duplicate ${op.operationId}`);
      ids.add(op.operationId);
      assert.deepEqual(op.responses[401], { description: 'Unauthorized' }, `${label} ${p} ${method}`);
      assert.equal(op.tags.length, 1);
    }
  }
}

// kubectl's queryParamVerifierV3: the first PATCH operation of the GVK must list the parameter
// among its own (not the path's) parameters.
function patchSupports(doc, gvk, param) {
  for (const item of Object.values(doc.paths)) {
    const op = item.patch;
    const g = op && op['x-kubernetes-group-version-kind'];
    if (!g || g.group !== gvk.group || g.version !== gvk.version || g.kind !== gvk.kind) continue;
    return (op.parameters || []).some((p) => p.name === param && p.in === 'query');
  }
  return false;
}

const allParams = (item, op) => [...(item.parameters || []), ...(op.parameters || [])].map((p) => p.name);

test('generated documents: operations kubectl probes, for every served kind and version', () => {
  for (const version of ['1.27', '1.30', '1.33']) {
    const { registry } = simFor(version);
    for (const [key, { doc }] of openapiState(simFor(version)).docs) checkDocument(doc, `${version} ${key}`);
    for (const t of registry.types) {
      const doc = docOf(version, t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`);
      const gvk = { group: t.group, version: t.version, kind: t.kind };
      const base = `${t.group ? `/apis/${t.group}` : '/api'}/${t.version}/${t.namespaced ? 'namespaces/{namespace}/' : ''}${t.resource}`;
      if (t.verbs.includes('patch')) {
        for (const p of ['fieldValidation', 'dryRun', 'fieldManager', 'force']) assert.ok(patchSupports(doc, gvk, p), `${version} ${t.kind} patch ${p}`);
        const item = doc.paths[`${base}/{name}`];
        assert.ok(item.patch.requestBody.content['application/strategic-merge-patch+json']);
        assert.ok(allParams(item, item.patch).includes('pretty'));
      }
      if (t.verbs.includes('create')) {
        const item = doc.paths[base];
        assert.equal(item.post['x-kubernetes-action'], 'post');
        assert.deepEqual(item.post['x-kubernetes-group-version-kind'], gvk);
        for (const p of ['fieldValidation', 'dryRun', 'fieldManager', 'pretty']) assert.ok(allParams(item, item.post).includes(p), `${t.kind} post ${p}`);
      }
      if (t.verbs.includes('update')) {
        const item = doc.paths[`${base}/{name}`];
        for (const p of ['fieldValidation', 'dryRun', 'fieldManager', 'pretty']) assert.ok(allParams(item, item.put).includes(p), `${t.kind} put ${p}`);
      }
      const schemaName = Object.keys(doc.components.schemas).find((n) => n.endsWith(`.${t.kind}`)
        && (doc.components.schemas[n]['x-kubernetes-group-version-kind'] || []).some((g) => g.kind === t.kind && g.group === t.group));
      assert.ok(schemaName, `${version} schema of ${t.kind} carries its GVK`);
    }
  }
});

test('operation naming, actions and parameter hoisting follow the real builder', () => {
  const doc = docOf('1.33', 'api/v1');
  const item = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
  assert.deepEqual(item.parameters.map((p) => `${p.in}:${p.name}`), ['path:name', 'path:namespace', 'query:pretty']);
  assert.deepEqual(Object.entries(item).filter(([m]) => m !== 'parameters').map(([m, op]) => [m, op.operationId, op['x-kubernetes-action']]), [
    ['delete', 'deleteCoreV1NamespacedPod', 'delete'], ['get', 'readCoreV1NamespacedPod', 'get'],
    ['patch', 'patchCoreV1NamespacedPod', 'patch'], ['put', 'replaceCoreV1NamespacedPod', 'put']]);
  assert.equal(item.delete.responses[200].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.core.v1.Pod');
  const cm = doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'].delete;
  assert.equal(cm.responses[200].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status');
  const exec = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'];
  assert.deepEqual([exec.get.operationId, exec.post.operationId], ['connectCoreV1GetNamespacedPodExec', 'connectCoreV1PostNamespacedPodExec']);
  assert.deepEqual(exec.get['x-kubernetes-group-version-kind'], { group: '', kind: 'PodExecOptions', version: 'v1' });
  const eviction = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'];
  assert.deepEqual(eviction.parameters.map((p) => p.name), ['dryRun', 'fieldManager', 'fieldValidation', 'name', 'namespace', 'pretty']);
  assert.equal(eviction.post.description, 'create eviction of a Pod');
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/events'].post.description, 'create an Event');
  assert.equal(doc.paths['/api/v1/watch/namespaces/{namespace}/pods'].get['x-kubernetes-action'], 'watchlist');
  assert.equal(doc.paths['/api/v1/pods'].get.operationId, 'listCoreV1PodForAllNamespaces');
  const apps = docOf('1.33', 'apis/apps/v1');
  const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.equal(scale.patch.operationId, 'patchAppsV1NamespacedDeploymentScale');
  assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.deepEqual(scale.get.tags, ['apps_v1']);
  const ssar = docOf('1.33', 'apis/authorization.k8s.io/v1').paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'];
  assert.equal(ssar.post.operationId, 'createAuthorizationV1SelfSubjectAccessReview');
  assert.deepEqual(docOf('1.33', 'apis/rbac.authorization.k8s.io/v1').paths['/apis/rbac.authorization.k8s.io/v1/roles'].get.tags, ['rbacAuthorization_v1']);
  // Keys come out sorted, as Go writes the spec's maps.
  assert.deepEqual(Object.keys(doc), ['components', 'info', 'openapi', 'paths']);
  assert.deepEqual(Object.keys(doc.paths), Object.keys(doc.paths).sort());
});

// Follows a field path the way kubectl explain's template does: properties, allOf, $ref, items.
function explainField(doc, kind, fieldPath) {
  const resolve = (s) => {
    let cur = s;
    while (cur.allOf && !cur.properties) cur = cur.allOf[0];
    if (cur.$ref) cur = doc.components.schemas[cur.$ref.split('/').pop()];
    return cur.items ? resolve(cur.items) : cur;
  };
  const root = Object.values(doc.components.schemas).find((s) => (s['x-kubernetes-group-version-kind'] || []).some((g) => g.kind === kind));
  let field = root;
  for (const name of fieldPath) field = resolve(field).properties[name];
  return field;
}

test('explain paths, patch metadata and version-gated fields', () => {
  const core = docOf('1.33', 'api/v1');
  const restart = explainField(core, 'Pod', ['spec', 'restartPolicy']);
  assert.equal(restart.type, 'string');
  assert.match(restart.description, /Always, OnFailure or Never/);
  assert.equal(explainField(docOf('1.33', 'apis/apps/v1'), 'Deployment', ['spec', 'replicas']).format, 'int32');
  const containers = explainField(core, 'Pod', ['spec', 'containers']);
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(explainField(core, 'Pod', ['spec', 'volumes'])['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  assert.equal(explainField(core, 'Pod', ['spec', 'containers', 'ports'])['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.equal(explainField(docOf('1.33', 'apis/apps/v1'), 'Deployment', ['spec', 'strategy'])['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.equal(explainField(core, 'Pod', ['spec', 'containers', 'restartPolicy']).type, 'string');
  assert.equal(explainField(docOf('1.27', 'api/v1'), 'Pod', ['spec', 'containers', 'restartPolicy']), undefined); // 1.28+
  assert.equal(explainField(docOf('1.30', 'api/v1'), 'Pod', ['spec', 'resources']), undefined); // 1.32+
  const info = (v) => docOf(v, 'version').components.schemas['io.k8s.apimachinery.pkg.version.Info'].properties;
  assert.ok(info('1.33').emulationMajor);
  assert.equal(info('1.30').emulationMajor, undefined);
});

test('shape matches the real core/v1 document (reference test data, when present)', (t) => {
  if (!fs.existsSync(REFERENCE)) return t.skip(`reference document ${REFERENCE} is not on this machine`);
  const ref = JSON.parse(fs.readFileSync(REFERENCE, 'utf8'));
  const ours = docOf('1.33', 'api/v1');
  // Parameters newer than the reference document (it predates 1.27) are the only difference allowed.
  const NEWER = new Set(['sendInitialEvents', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'stream']);
  const names = (ps) => (ps || []).map((p) => `${p.in}:${p.name}`).filter((n) => !NEWER.has(n.split(':')[1])).join(',');
  for (const [p, item] of Object.entries(ours.paths)) {
    const real = ref.paths[p];
    assert.ok(real, `${p} exists on a real server`);
    assert.deepEqual(Object.keys(item).sort(), Object.keys(real).sort(), p);
    assert.equal(names(item.parameters), names(real.parameters), `${p} path parameters`);
    for (const [m, op] of Object.entries(item)) {
      if (m === 'parameters') continue;
      for (const k of ['operationId', 'description', 'x-kubernetes-action', 'x-kubernetes-group-version-kind', 'tags', 'requestBody', 'responses']) {
        assert.deepEqual(op[k], real[m][k], `${p} ${m} ${k}`);
      }
      assert.equal(names(op.parameters), names(real[m].parameters), `${p} ${m} parameters`);
    }
  }
  // Every field the real schema has, ours has too (or SMP lookups would fail on real manifests).
  for (const [n, s] of Object.entries(ours.components.schemas)) {
    if (!ref.components.schemas[n]) continue;
    for (const f of Object.keys(ref.components.schemas[n].properties || {})) assert.ok(s.properties[f], `${n}.${f}`);
  }
  return undefined;
});

// ---- end to end with real kubectl ----

// Nested values change with `n`, so kubectl 1.30+ must look every changed subtree up in the
// OpenAPI v3 schemas to compute its strategic merge patch (it warns when one is missing).
function manifest(name, n, extra = '') {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default, labels: {app: ${name}}}
spec:
  replicas: ${n}
  selector: {matchLabels: {app: ${name}}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: ${n}, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: ${name}}, annotations: {rev: "${n}"}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/os, operator: In, values: [linux, os${n}]}]}]
      tolerations: [{key: k${n}, operator: Exists}]
      securityContext: {runAsUser: ${1000 + n}, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: nginx:1.${n}${extra}
        env: [{name: N, value: "${n}"}, {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        ports: [{containerPort: ${8080 + n}}]
        resources: {limits: {cpu: ${n}00m, memory: ${n}28Mi}}
        livenessProbe: {httpGet: {path: /${n}, port: 80, httpHeaders: [{name: X, value: "${n}"}]}}
        lifecycle: {preStop: {exec: {command: [sleep, "${n}"]}}}
        securityContext: {capabilities: {drop: [ALL], add: [CAP${n}]}}
        volumeMounts: [{name: cfg, mountPath: /etc/cfg${n}}]
      volumes: [{name: cfg, configMap: {name: cfg, items: [{key: a, path: a${n}}]}}]
`;
}

async function explainChecks(client, sim) {
  const restart = await kubectl(client, sim, ['explain', 'pods.spec.restartPolicy']);
  assert.equal(restart.code, 0, restart.stderr);
  assert.match(restart.stdout, /FIELD: +restartPolicy <string>/);
  assert.match(restart.stdout, /Restart policy for all containers in the pod/);
  const replicas = await kubectl(client, sim, ['explain', 'deployment.spec.replicas']);
  assert.equal(replicas.code, 0, replicas.stderr);
  assert.match(replicas.stdout, /GROUP: +apps/);
  assert.match(replicas.stdout, /FIELD: +replicas <integer>/);
  const secret = await kubectl(client, sim, ['explain', 'secret']);
  assert.equal(secret.code, 0, secret.stderr);
  assert.match(secret.stdout, /KIND: +Secret/);
  assert.match(secret.stdout, /stringData\t<map\[string\]string>/);
}

// Client-side apply twice (create, then a patch kubectl computes from the OpenAPI patch metadata),
// server-side apply, and an unknown field, all with --validate=strict.
async function applyChecks(client, sim, dir) {
  const name = `web-${client.replace('.', '-')}`;
  const file = path.join(dir, `${name}.yaml`);
  const apply = async (text, ...flags) => {
    fs.writeFileSync(file, text);
    return kubectl(client, sim, ['apply', '--validate=strict', ...flags, '-f', file]);
  };
  const before = readRequestLog(sim).length;
  for (const [text, flags] of [[manifest(name, 1), []], [manifest(name, 2), []], [manifest(name, 3), ['--server-side', '--force-conflicts']]]) {
    const res = await apply(text, ...flags);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /warning/i);
  }
  // Every write carried fieldValidation=Strict: kubectl found the parameter in the OpenAPI.
  const writes = readRequestLog(sim).slice(before).filter((r) => r.method === 'POST' || r.method === 'PATCH');
  assert.ok(writes.some((w) => w.method === 'POST') && writes.filter((w) => w.method === 'PATCH').length >= 2);
  for (const w of writes) assert.match(w.query, /fieldValidation=Strict/, `${w.method} ${w.path}?${w.query}`);
  const bad = await apply(manifest(name, 3, '\n        imagePullPolice: Always'));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /imagePullPolice/);
}

for (const server of ['1.27', '1.30', '1.33']) {
  test(`kubectl explains and applies against an emulated ${server} server`, async (t) => {
    const sim = await startSim({ emulatedVersion: server });
    const dir = tempDir('manifests');
    t.after(async () => { await sim.close(); fs.rmSync(dir, { recursive: true, force: true }); });
    for (const client of MATRIX) {
      await t.test(`kubectl ${client}`, async (st) => {
        if (!kubectlPath(client)) return st.skip(`kubectl.${client} is not installed in ${KUBECTL_DIR}`);
        await explainChecks(client, sim);
        await applyChecks(client, sim, dir);
        return undefined;
      });
    }
  });
}
