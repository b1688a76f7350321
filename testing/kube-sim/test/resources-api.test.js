'use strict';
// The resource API over HTTPS, byte-for-byte where clients branch on it: Status bodies, list
// pagination and expiry, watch semantics, Tables, writes with dryRun and fieldValidation, patches
// and server-side apply, deletion, subresources and reviews.
const test = require('node:test');
const assert = require('node:assert/strict');
const https = require('node:https');
const fs = require('node:fs');
const { startSim, request } = require('./support/harness');

let sim;
test.before(async () => { sim = await startSim(); });
test.after(async () => { await sim.close(); });

const ADMIN = 'kube-admin';
// Content-Length is explicit: Node frames a DELETE body with nothing otherwise.
const api = (method, path, { body, headers = {}, as = ADMIN } = {}) => {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const length = text === undefined ? {} : { 'Content-Length': Buffer.byteLength(text) };
  return request(sim, { method, path, as, body: text, headers: { 'Content-Type': 'application/json', ...length, ...headers } })
    .then((r) => ({ ...r, json: r.body && r.headers['content-type'] === 'application/json' ? JSON.parse(r.body) : null }));
};

const CM = '/api/v1/namespaces/default/configmaps';

// Opens a watch and collects its events until `done(events)` or the stream ends.
function watch(path, { headers = {}, done = () => false, timeoutMs = 8000 } = {}) {
  return new Promise((resolve, reject) => {
    const events = [];
    let buf = '';
    const req = https.request(new URL(path, sim.url), {
      headers: { Authorization: `Bearer ${sim.tokenOf(ADMIN)}`, ...headers }, ca: fs.readFileSync(sim.caFile),
    }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
        if (done(events)) { req.destroy(); resolve({ events, res, ended: false }); }
      });
      res.on('end', () => resolve({ events, res, ended: true }));
    });
    req.on('error', (e) => (e.code === 'ECONNRESET' ? resolve({ events }) : reject(e)));
    req.setTimeout(timeoutMs, () => { req.destroy(); resolve({ events, timedOut: true }); });
    req.end();
  });
}

test('NotFound and AlreadyExists are kube-apiserver\'s Status bodies', async () => {
  const nf = await api('GET', `${CM}/nope`);
  assert.equal(nf.status, 404);
  assert.deepEqual(nf.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "nope" not found',
    reason: 'NotFound', details: { name: 'nope', kind: 'configmaps' }, code: 404 });
  assert.equal(nf.headers['cache-control'], 'no-cache, private');
  const dep = await api('GET', '/apis/apps/v1/namespaces/default/deployments/nope');
  assert.deepEqual(dep.json.details, { name: 'nope', group: 'apps', kind: 'deployments' });
  assert.equal(dep.json.message, 'deployments.apps "nope" not found');
  assert.equal((await api('POST', CM, { body: { metadata: { name: 'dup' } } })).status, 201);
  const again = await api('POST', CM, { body: { metadata: { name: 'dup' } } });
  assert.equal(again.status, 409);
  assert.equal(again.json.reason, 'AlreadyExists');
  assert.equal(again.json.message, 'configmaps "dup" already exists');
});

test('create: 201 with uid, resourceVersion, creationTimestamp, generateName, managedFields; the namespace must exist', async () => {
  const r = await api('POST', `${CM}?fieldManager=tester`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' }, data: { a: 'b' } } });
  assert.equal(r.status, 201);
  assert.match(r.json.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.ok(r.json.metadata.uid && r.json.metadata.resourceVersion && r.json.metadata.creationTimestamp);
  assert.deepEqual(r.json.metadata.managedFields.map((m) => [m.manager, m.operation, m.apiVersion]), [['tester', 'Update', 'v1']]);
  const ghost = await api('POST', '/api/v1/namespaces/ghost/configmaps', { body: { metadata: { name: 'x' } } });
  assert.equal(ghost.status, 404);
  assert.equal(ghost.json.message, 'namespaces "ghost" not found');
  assert.deepEqual(ghost.json.details, { name: 'ghost', kind: 'namespaces' });
  const mismatch = await api('POST', CM, { body: { metadata: { name: 'x', namespace: 'kube-system' } } });
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.json.message, 'the namespace of the provided object does not match the namespace sent on the request');
  const bad = await api('POST', CM, { body: { metadata: { name: 'Bad' } } });
  assert.equal(bad.status, 422);
  assert.match(bad.json.message, /^ConfigMap "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain/);
  const d = await api('POST', '/apis/apps/v1/namespaces/default/deployments', { body: { metadata: { name: 'gen1' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } } });
  assert.equal(d.status, 201);
  assert.equal(d.json.metadata.generation, 1);
  assert.equal(d.json.spec.replicas, 1);
});

test('update: a stale resourceVersion is the real 409 Conflict; names must match the URL', async () => {
  const c = (await api('POST', CM, { body: { metadata: { name: 'upd' }, data: { v: '1' } } })).json;
  const ok = await api('PUT', `${CM}/upd`, { body: { ...c, data: { v: '2' } } });
  assert.equal(ok.status, 200);
  assert.notEqual(ok.json.metadata.resourceVersion, c.metadata.resourceVersion);
  const stale = await api('PUT', `${CM}/upd`, { body: { ...c, data: { v: '3' } } });
  assert.equal(stale.status, 409);
  assert.deepEqual(stale.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: 'Operation cannot be fulfilled on configmaps "upd": the object has been modified; please apply your changes to the latest version and try again',
    reason: 'Conflict', details: { name: 'upd', kind: 'configmaps' }, code: 409 });
  const wrong = await api('PUT', `${CM}/upd`, { body: { metadata: { name: 'other' } } });
  assert.equal(wrong.json.message, 'the name of the object (other) does not match the name on the URL (upd)');
});

test('dryRun=All answers as if written and writes nothing', async () => {
  const r = await api('POST', `${CM}?dryRun=All`, { body: { metadata: { name: 'dry' } } });
  assert.equal(r.status, 201);
  assert.ok(r.json.metadata.uid);
  assert.equal(r.json.metadata.resourceVersion, undefined);
  assert.equal((await api('GET', `${CM}/dry`)).status, 404);
  await api('POST', CM, { body: { metadata: { name: 'dry2' }, data: { a: '1' } } });
  const p = await api('PATCH', `${CM}/dry2?dryRun=All`, { body: { data: { a: '2' } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
  assert.equal(p.json.data.a, '2');
  const del = await api('DELETE', `${CM}/dry2?dryRun=All`);
  assert.equal(del.status, 200);
  assert.equal((await api('GET', `${CM}/dry2`)).json.data.a, '1');
  const badDry = await api('POST', `${CM}?dryRun=Yes`, { body: { metadata: { name: 'x' } } });
  assert.equal(badDry.status, 422);
  assert.equal(badDry.json.message, 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"');
});

test('fieldValidation: Strict refuses unknown fields with the real text, Warn says so in a Warning header', async () => {
  const body = { metadata: { name: 'fv' }, data: {}, spec: { foo: 1 } };
  const strict = await api('POST', `${CM}?fieldValidation=Strict`, { body });
  assert.equal(strict.status, 400);
  assert.equal(strict.json.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"');
  const warn = await api('POST', `${CM}?fieldValidation=Warn`, { body });
  assert.equal(warn.status, 201);
  assert.equal(warn.headers.warning, '299 - "unknown field \\"spec\\""');
  assert.equal(warn.json.spec, undefined, 'the unknown field is dropped, as decoding drops it');
  const patch = await api('PATCH', `${CM}/fv?fieldValidation=Strict`, { body: { bogus: 1 }, headers: { 'Content-Type': 'application/merge-patch+json' } });
  assert.equal(patch.status, 422);
  assert.match(patch.json.message, /^ "" is invalid: patch: Invalid value: ".*": strict decoding error: unknown field "bogus"$/);
});

test('list: limit, continue, remainingItemCount; a compacted continue token is 410 with a fresh token', async () => {
  for (const n of ['pa', 'pb', 'pc', 'pd', 'pe']) await api('POST', '/api/v1/namespaces/kube-public/configmaps', { body: { metadata: { name: n, labels: { page: 'yes' } } } });
  const base = '/api/v1/namespaces/kube-public/configmaps?labelSelector=page%3Dyes';
  const p1 = await api('GET', `${base}&limit=2`);
  assert.equal(p1.json.kind, 'ConfigMapList');
  assert.deepEqual(p1.json.items.map((i) => i.metadata.name), ['pa', 'pb']);
  assert.equal(p1.json.items[0].kind, undefined, 'list items carry no TypeMeta');
  assert.ok(p1.json.metadata.continue);
  const unfiltered = await api('GET', '/api/v1/namespaces/kube-public/configmaps?limit=2');
  assert.equal(unfiltered.json.metadata.remainingItemCount, 4, 'kube-root-ca.crt plus five, two shown');
  await api('DELETE', '/api/v1/namespaces/kube-public/configmaps/pc');
  const p2 = await api('GET', `${base}&limit=2&continue=${p1.json.metadata.continue}`);
  assert.deepEqual(p2.json.items.map((i) => i.metadata.name), ['pc', 'pd'], 'the continued list is a consistent snapshot');
  assert.equal(p2.json.metadata.resourceVersion, p1.json.metadata.resourceVersion);
  sim.sim.store.compact();
  const p3 = await api('GET', `${base}&limit=2&continue=${p2.json.metadata.continue}`);
  assert.equal(p3.status, 410);
  assert.equal(p3.json.reason, 'Expired');
  assert.match(p3.json.message, /^The provided continue parameter is too old to display a consistent list result\./);
  assert.ok(p3.json.metadata.continue, 'a token to continue inconsistently');
  const p4 = await api('GET', `${base}&limit=2&continue=${p3.json.metadata.continue}`);
  assert.deepEqual(p4.json.items.map((i) => i.metadata.name), ['pe']);
});

test('list: field selectors, and the real 400 for unsupported ones', async () => {
  const pods = await api('GET', '/api/v1/pods?fieldSelector=status.phase%3DRunning,metadata.namespace%3Dproduction');
  assert.ok(pods.json.items.length >= 2);
  assert.ok(pods.json.items.every((p) => p.metadata.namespace === 'production'));
  const bad = await api('GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'field label not supported: spec.bogus');
  const badCm = await api('GET', `${CM}?fieldSelector=data.x%3Dy`);
  assert.equal(badCm.json.message, '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"');
});

test('Table: kubectl get\'s Accept gives the pod columns and PartialObjectMetadata rows', async () => {
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
  const t = await api('GET', '/api/v1/namespaces/production/pods?limit=500', { headers: { Accept: accept } });
  assert.equal(t.json.kind, 'Table');
  assert.equal(t.json.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.json.columnDefinitions.map((c) => [c.name, c.priority]), [['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0],
    ['Age', 0], ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1]]);
  const row = t.json.rows.find((r) => r.cells[0] === 'web-7d9f8b6c5d-x2k4p');
  assert.deepEqual(row.cells.slice(1, 4), ['1/1', 'Running', '0']);
  assert.equal(row.object.kind, 'PartialObjectMetadata');
  assert.equal(row.object.metadata.name, 'web-7d9f8b6c5d-x2k4p');
  const none = await api('GET', '/api/v1/namespaces/production/pods/web-7d9f8b6c5d-x2k4p?includeObject=None',
    { headers: { Accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' } });
  assert.equal(none.json.apiVersion, 'meta.k8s.io/v1beta1');
  assert.equal(none.json.rows[0].object, undefined);
  const ns = await api('GET', '/api/v1/namespaces', { headers: { Accept: accept } });
  assert.deepEqual(ns.json.columnDefinitions.map((c) => c.name), ['Name', 'Status', 'Age']);
  const roles = await api('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { headers: { Accept: accept } });
  assert.deepEqual(roles.json.columnDefinitions.map((c) => c.name), ['Name', 'Created At']);
  const no = await api('GET', CM, { headers: { Accept: 'text/html' } });
  assert.equal(no.status, 406);
});

test('watch: synthetic ADDED from "0", resume from a resourceVersion, 410 ERROR event when too old', async () => {
  const rv = (await api('POST', CM, { body: { metadata: { name: 'w1' } } })).json.metadata.resourceVersion;
  const w = watch(`${CM}?watch=1&resourceVersion=0`, { done: (ev) => ev.some((e) => e.object.metadata.name === 'w2') });
  await new Promise((r) => setTimeout(r, 200));
  await api('POST', CM, { body: { metadata: { name: 'w2' } } });
  const { events, res } = await w;
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  assert.ok(events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'w1'), 'the current state first');
  assert.equal(events.at(-1).type, 'ADDED');
  assert.equal(events.at(-1).object.kind, 'ConfigMap');
  const resumed = await watch(`${CM}?watch=true&resourceVersion=${rv}`, { done: (ev) => ev.length >= 1 });
  assert.deepEqual(resumed.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'w2']]);
  sim.sim.store.compact();
  const old = await watch(`${CM}?watch=true&resourceVersion=${rv}`);
  assert.equal(old.ended, true);
  assert.deepEqual(old.events, [{ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: `too old resource version: ${rv} (${sim.sim.store.compactedResourceVersion()})`, reason: 'Expired', code: 410 } }]);
});

test('watch: timeoutSeconds ends it, bookmarks come when allowed, sendInitialEvents ends with the annotated bookmark', async () => {
  sim.sim.watchBookmarkIntervalMs = 300;
  const start = Date.now();
  const timed = await watch(`${CM}?watch=1&timeoutSeconds=1&allowWatchBookmarks=true&resourceVersion=${sim.sim.store.resourceVersion()}`);
  assert.equal(timed.ended, true);
  assert.ok(Date.now() - start >= 900);
  assert.ok(timed.events.some((e) => e.type === 'BOOKMARK' && e.object.kind === 'ConfigMap' && e.object.metadata.resourceVersion));
  const list = await watch(`${CM}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    { done: (ev) => ev.some((e) => e.type === 'BOOKMARK') });
  const bm = list.events.find((e) => e.type === 'BOOKMARK');
  assert.deepEqual(bm.object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
  assert.ok(list.events.indexOf(bm) > 0 && list.events.slice(0, list.events.indexOf(bm)).every((e) => e.type === 'ADDED'));
  const bad = await api('GET', `${CM}?watch=1&sendInitialEvents=true`);
  assert.equal(bad.status, 422);
  assert.equal(bad.json.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
});

test('watch as Table: only the first event carries columnDefinitions; a selector turns a relabel into DELETED', async () => {
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io';
  await api('POST', CM, { body: { metadata: { name: 'tw', labels: { watch: 'me' } } } });
  const w = watch(`${CM}?watch=1&labelSelector=watch%3Dme`, { headers: { Accept: accept }, done: (ev) => ev.length >= 3 });
  await new Promise((r) => setTimeout(r, 200));
  await api('PATCH', `${CM}/tw`, { body: { data: { x: '1' } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
  await api('PATCH', `${CM}/tw`, { body: { metadata: { labels: { watch: 'no' } } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
  const { events } = await w;
  assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
  assert.equal(events[0].object.kind, 'Table');
  assert.ok(events[0].object.columnDefinitions.length > 0);
  assert.equal(events[1].object.columnDefinitions, null);
  assert.deepEqual(events[1].object.rows[0].cells.slice(0, 2), ['tw', 1]);
});

test('patch: strategic merge on a deployment, json patch, and 415 for an unknown patch type', async () => {
  const D = '/apis/apps/v1/namespaces/production/deployments/web';
  const smp = await api('PATCH', D, { headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    body: { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'MODE', value: 'x' }] }] } } } } });
  assert.equal(smp.status, 200);
  assert.deepEqual(smp.json.spec.template.spec.containers[0].env, [{ name: 'MODE', value: 'x' }]);
  assert.equal(smp.json.spec.template.spec.containers[0].image, 'nginx:1.27');
  assert.equal(smp.json.metadata.generation, 2);
  const jp = await api('PATCH', D, { headers: { 'Content-Type': 'application/json-patch+json' }, body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] });
  assert.equal(jp.json.spec.replicas, 3);
  const bad = await api('PATCH', D, { headers: { 'Content-Type': 'text/plain' }, body: 'x' });
  assert.equal(bad.status, 415);
  assert.deepEqual(bad.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: '415: Unsupported Media Type',
    reason: 'UnsupportedMediaType', details: {}, code: 415 }, 'go-restful refuses it before the patch handler');
});

test('server-side apply over HTTP: fieldManager required, create with 201, conflicts with 409', async () => {
  const P = `${CM}/ssa`;
  const yaml = (v) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  k: "${v}"\n`;
  const headers = { 'Content-Type': 'application/apply-patch+yaml' };
  const noManager = await api('PATCH', P, { body: yaml(1), headers });
  assert.equal(noManager.status, 422);
  assert.equal(noManager.json.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  const created = await api('PATCH', `${P}?fieldManager=alpha`, { body: yaml(1), headers });
  assert.equal(created.status, 201);
  assert.deepEqual(created.json.metadata.managedFields.map((m) => [m.manager, m.operation]), [['alpha', 'Apply']]);
  assert.equal((await api('PATCH', `${P}?fieldManager=alpha`, { body: yaml(2), headers })).status, 200);
  const clash = await api('PATCH', `${P}?fieldManager=beta`, { body: yaml(3), headers });
  assert.equal(clash.status, 409);
  assert.equal(clash.json.message, 'Apply failed with 1 conflict: conflict with "alpha": .data.k');
  assert.deepEqual(clash.json.details, { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alpha"', field: '.data.k' }] });
  const forced = await api('PATCH', `${P}?fieldManager=beta&force=true`, { body: yaml(3), headers });
  assert.equal(forced.json.data.k, '3');
  const unknown = await api('PATCH', `${P}?fieldManager=beta`, { body: `${yaml(3)}spec:\n  x: 1\n`, headers });
  assert.equal(unknown.status, 500);
  assert.equal(unknown.json.message, 'failed to create typed patch object (/ssa; /v1, Kind=ConfigMap): .spec: field not declared in schema');
});

test('delete: Status for most kinds, the object for pods (graceful), namespaces go Terminating and take their objects', async () => {
  await api('POST', CM, { body: { metadata: { name: 'gone' } } });
  const uid = (await api('GET', `${CM}/gone`)).json.metadata.uid;
  const del = await api('DELETE', `${CM}/gone`, { body: { propagationPolicy: 'Background' } });
  assert.deepEqual(del.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'gone', kind: 'configmaps', uid } });
  const P = '/api/v1/namespaces/default/pods/toolbox';
  const pod = await api('DELETE', P);
  assert.equal(pod.json.kind, 'Pod');
  assert.ok(pod.json.metadata.deletionTimestamp);
  assert.equal(pod.json.metadata.deletionGracePeriodSeconds, 30);
  assert.equal((await api('GET', P)).status, 200, 'still there while the kubelet stops it');
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal((await api('GET', P)).status, 404);
  await api('POST', '/api/v1/namespaces', { body: { metadata: { name: 'doomed' } } });
  await api('POST', '/api/v1/namespaces/doomed/configmaps', { body: { metadata: { name: 'inside' } } });
  const ns = await api('DELETE', '/api/v1/namespaces/doomed');
  assert.equal(ns.json.kind, 'Namespace');
  assert.equal(ns.json.status.phase, 'Terminating');
  const late = await api('POST', '/api/v1/namespaces/doomed/configmaps', { body: { metadata: { name: 'late' } } });
  assert.equal(late.status, 403);
  assert.equal(late.json.message, 'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await api('GET', '/api/v1/namespaces/doomed')).status, 404);
  assert.equal((await api('GET', '/api/v1/namespaces/doomed/configmaps/inside')).status, 404);
  const immortal = await api('DELETE', '/api/v1/namespaces/kube-system');
  assert.equal(immortal.status, 403);
  assert.equal(immortal.json.message, 'namespaces "kube-system" is forbidden: this namespace may not be deleted');
});

test('deletecollection deletes what the selector selects and lists it', async () => {
  for (const n of ['dc1', 'dc2']) await api('POST', CM, { body: { metadata: { name: n, labels: { dc: 'y' } } } });
  const r = await api('DELETE', `${CM}?labelSelector=dc%3Dy`);
  assert.equal(r.json.kind, 'ConfigMapList');
  assert.deepEqual(r.json.items.map((i) => i.metadata.name), ['dc1', 'dc2']);
  assert.equal((await api('GET', `${CM}?labelSelector=dc%3Dy`)).json.items.length, 0);
});

test('subresources: scale, status, eviction, token', async () => {
  const S = '/apis/apps/v1/namespaces/staging/deployments/api/scale';
  const scale = await api('GET', S);
  assert.equal(scale.json.kind, 'Scale');
  assert.equal(scale.json.apiVersion, 'autoscaling/v1');
  assert.equal(scale.json.status.selector, 'app=api');
  const patched = await api('PATCH', S, { body: { spec: { replicas: 3 } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
  assert.equal(patched.json.spec.replicas, 3);
  await new Promise((r) => setTimeout(r, 100));
  const d = (await api('GET', '/apis/apps/v1/namespaces/staging/deployments/api')).json;
  assert.deepEqual([d.spec.replicas, d.status.replicas, d.status.readyReplicas, d.status.availableReplicas], [3, 3, 3, 3]);
  // As on a cluster: Available went False while the new pods were missing (maxUnavailable is 25% of
  // 3, rounded down to 0) and True again, and a changed condition moves to the end of the list.
  assert.deepEqual(d.status.conditions.map((c) => [c.type, c.status, c.reason]), [['Progressing', 'True', 'NewReplicaSetAvailable'], ['Available', 'True', 'MinimumReplicasAvailable']]);
  const pods = (await api('GET', '/api/v1/namespaces/staging/pods?labelSelector=app%3Dapi')).json.items;
  assert.equal(pods.length, 3);
  const status = await api('GET', '/apis/apps/v1/namespaces/staging/deployments/api/status');
  assert.equal(status.json.kind, 'Deployment');
  const ev = await api('POST', `/api/v1/namespaces/staging/pods/${pods[0].metadata.name}/eviction`,
    { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pods[0].metadata.name, namespace: 'staging' } } });
  assert.equal(ev.status, 201);
  assert.deepEqual(ev.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  const tr = await api('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } });
  assert.equal(tr.status, 201);
  assert.equal(tr.json.kind, 'TokenRequest');
  assert.equal(tr.json.spec.expirationSeconds, 3600);
  const claims = JSON.parse(Buffer.from(tr.json.status.token.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, 'system:serviceaccount:default:default');
  assert.ok(Date.parse(tr.json.status.expirationTimestamp) > Date.now() + 3500 * 1000);
  assert.equal((await api('POST', '/api/v1/namespaces/default/serviceaccounts/nope/token', { body: {} })).json.message, 'serviceaccounts "nope" not found');
});

test('reviews: access, rules and self subject reviews answer for the caller after impersonation', async () => {
  const ssar = (as, headers = {}) => api('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { as, headers,
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'production', verb: 'delete', resource: 'pods' } } } });
  const admin = await ssar(ADMIN);
  assert.equal(admin.status, 201);
  assert.equal(admin.json.status.allowed, true);
  assert.deepEqual(admin.json.spec.resourceAttributes, { namespace: 'production', verb: 'delete', resource: 'pods' });
  assert.equal((await ssar('viewer')).json.status.allowed, false);
  const rules = await api('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { as: 'viewer', body: { spec: { namespace: 'default' } } });
  assert.equal(rules.json.status.incomplete, false);
  assert.ok(rules.json.status.resourceRules.some((r) => r.verbs.includes('list') && r.resources.includes('pods')));
  const who = await api('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { headers: { 'Impersonate-User': 'jane', 'Impersonate-Group': 'devs' },
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  assert.equal(who.status, 201);
  assert.deepEqual(who.json.status.userInfo, { username: 'jane', groups: ['devs', 'system:authenticated'] });
});

test('watch: the legacy /watch/ path and fieldSelector=metadata.name watch one object; a client that goes away ends its watch', async () => {
  await api('POST', CM, { body: { metadata: { name: 'one' } } });
  await api('POST', CM, { body: { metadata: { name: 'other' } } });
  const legacy = await watch('/api/v1/watch/namespaces/default/configmaps/one', { done: (ev) => ev.length >= 1, timeoutMs: 1500 });
  assert.deepEqual(legacy.events.map((e) => e.object.metadata.name), ['one']);
  const byField = await watch(`${CM}?watch=1&fieldSelector=metadata.name%3Dother`, { done: (ev) => ev.length >= 1, timeoutMs: 1500 });
  assert.deepEqual(byField.events.map((e) => e.object.metadata.name), ['other']);
  await new Promise((r) => setTimeout(r, 200));
  const before = sim.sim.store.watcherCount();
  const open = watch(`${CM}?watch=1&resourceVersion=0`, { done: () => true });
  await open;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(sim.sim.store.watcherCount(), before, 'the watcher is gone with its client');
});

test('status subresources change only status; gracePeriodSeconds=0 deletes a pod at once', async () => {
  const D = '/apis/apps/v1/namespaces/production/deployments/web';
  const d = (await api('GET', D)).json;
  const put = await api('PUT', `${D}/status?fieldManager=tester`, { body: { ...d, spec: { ...d.spec, replicas: 9 }, status: { ...d.status, observedGeneration: 99 } } });
  assert.equal(put.status, 200);
  assert.equal(put.json.spec.replicas, d.spec.replicas, 'spec changes are ignored on /status');
  assert.equal(put.json.status.observedGeneration, 99);
  assert.equal(put.json.metadata.managedFields.find((m) => m.manager === 'tester').subresource, 'status');
  const pod = (await api('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'quick' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } })).json;
  assert.equal(pod.status.phase, 'Running');
  assert.equal(pod.spec.serviceAccountName, 'default');
  const ps = await api('PATCH', '/api/v1/namespaces/default/pods/quick/status', { headers: { 'Content-Type': 'application/merge-patch+json' },
    body: { status: { message: 'hello' }, metadata: { labels: { ignored: 'yes' } } } });
  assert.equal(ps.json.status.message, 'hello');
  assert.equal(ps.json.metadata.labels, undefined);
  const del = await api('DELETE', '/api/v1/namespaces/default/pods/quick', { body: { gracePeriodSeconds: 0 } });
  assert.equal(del.json.kind, 'Pod');
  assert.equal((await api('GET', '/api/v1/namespaces/default/pods/quick')).status, 404);
  const noSa = await api('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'nosa' }, spec: { serviceAccountName: 'ghost', containers: [{ name: 'c', image: 'busybox' }] } } });
  assert.equal(noSa.status, 403);
  assert.equal(noSa.json.message, 'pods "nosa" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found');
});
