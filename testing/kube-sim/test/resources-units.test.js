'use strict';
// The pure parts of the resource handlers: selectors, the three patch types, server-side apply
// and managedFields, printers, validation messages and defaulting, each against what
// kube-apiserver does.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Registry } = require('../lib/registry');
const sel = require('../lib/resources/selectors');
const { applyJSONPatch, applyMergePatch, applyStrategicPatch } = require('../lib/resources/patch');
const { serverSideApply } = require('../lib/resources/apply');
const managed = require('../lib/resources/managed');
const { schemaFor, unknownFields } = require('../lib/resources/schema');
const { humanDuration, printerFor } = require('../lib/resources/printers');
const { validate } = require('../lib/resources/validation');
const { applyDefaults } = require('../lib/resources/defaults');
const common = require('../lib/resources/common');

const registry = new Registry('1.33');
const T = (group, resource) => registry.types.find((t) => t.group === group && t.resource === resource);

test('label selectors: =, ==, !=, in, notin, exists, !exists, and their combination', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  const m = (s, l = labels) => sel.parseLabelSelector(s)(l);
  assert.ok(m(''));
  assert.ok(m('app=web') && m('app==web') && !m('app=api'));
  assert.ok(m('app!=api') && !m('app!=web') && m('missing!=x'), '!= matches an absent key');
  assert.ok(m('env in (prod, staging)') && !m('env in (dev)'));
  assert.ok(m('env notin (dev)') && !m('env notin (prod)') && m('missing notin (x)'));
  assert.ok(m('tier') && !m('missing') && m('!missing') && !m('!tier'));
  assert.ok(m('app=web,env in (prod),!missing') && !m('app=web,env in (dev)'));
  assert.ok(m('count>2', { count: '3' }) && !m('count<2', { count: '3' }));
  assert.throws(() => sel.parseLabelSelector('app b'), { code: 400, message: "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" });
});

test('labelSelectorString prints a LabelSelector as kubectl and the printers do', () => {
  assert.equal(sel.labelSelectorString({ matchLabels: { b: '2', a: '1' },
    matchExpressions: [{ key: 'c', operator: 'In', values: ['y', 'x'] }, { key: 'd', operator: 'DoesNotExist' }] }),
  'a=1,b=2,c in (x,y),!d');
  assert.ok(sel.matchesLabelSelector({ matchLabels: { app: 'web' } }, { app: 'web', x: 'y' }));
  assert.ok(!sel.matchesLabelSelector({ matchLabels: { app: 'web' } }, { app: 'api' }));
});

test('field selectors: per-kind fields, the default two, and the real errors for the rest', () => {
  const pods = T('', 'pods');
  const pod = { metadata: { name: 'p', namespace: 'n' }, spec: { nodeName: 'node1' }, status: { phase: 'Running' } };
  assert.ok(sel.compileFieldSelector(pods, 'spec.nodeName=node1,status.phase!=Pending')(pod));
  assert.ok(!sel.compileFieldSelector(pods, 'status.phase=Pending')(pod));
  assert.ok(sel.compileFieldSelector(pods, 'spec.host=node1')(pod), 'spec.host is the old name of spec.nodeName');
  assert.throws(() => sel.compileFieldSelector(pods, 'spec.foo=bar'), { code: 400, message: 'field label not supported: spec.foo' });
  const cms = T('', 'configmaps');
  assert.throws(() => sel.compileFieldSelector(cms, 'data.x=1'),
    { code: 400, message: '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"' });
  const ev = { metadata: { name: 'e', namespace: 'n' }, involvedObject: { kind: 'Pod', name: 'p', uid: 'u' }, type: 'Warning', reason: 'BackOff' };
  assert.ok(sel.compileFieldSelector(T('', 'events'), 'involvedObject.name=p,involvedObject.kind=Pod,type=Warning,reason=BackOff')(ev));
  assert.throws(() => sel.compileFieldSelector(T('', 'namespaces'), 'metadata.namespace=x'), { message: 'field label not supported: metadata.namespace' });
  assert.throws(() => sel.parseFieldSelector('justtext'), { code: 400, message: "invalid selector: 'justtext'; can't understand 'justtext'" });
  assert.equal(sel.exactName('metadata.name=a\\,b'), 'a,b');
});

test('JSON patch: add, remove, replace, move, copy, test; a failing op is the real 422', () => {
  const doc = { a: { b: [1, 2] }, c: 'x' };
  const out = applyJSONPatch(doc, [
    { op: 'add', path: '/a/b/-', value: 3 }, { op: 'replace', path: '/c', value: 'y' },
    { op: 'copy', from: '/c', path: '/d' }, { op: 'move', from: '/d', path: '/e' }, { op: 'remove', path: '/a/b/0' },
    { op: 'test', path: '/e', value: 'y' }, { op: 'add', path: '/f~1g', value: true },
  ]);
  assert.deepEqual(out, { a: { b: [2, 3] }, c: 'y', e: 'y', 'f/g': true });
  assert.deepEqual(doc, { a: { b: [1, 2] }, c: 'x' }, 'the input is untouched');
  assert.throws(() => applyJSONPatch(doc, [{ op: 'remove', path: '/nope' }]),
    { code: 422, reason: 'Invalid', message: 'the server rejected our request due to an error in our request' });
  assert.throws(() => applyJSONPatch(doc, [{ op: 'test', path: '/c', value: 'z' }]), { code: 422 });
});

test('merge patch: maps merge, null deletes, lists replace', () => {
  assert.deepEqual(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }),
    { a: { c: 2, d: 3 }, l: [3] });
});

test('strategic merge patch: containers by name, env by name, ports by containerPort, volumes, directives', () => {
  const schema = schemaFor('Deployment');
  const live = { spec: { template: { spec: {
    containers: [{ name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }], ports: [{ containerPort: 80 }] },
      { name: 'b', image: 'b:1' }],
    volumes: [{ name: 'v', emptyDir: {} }], tolerations: [{ key: 'k' }] } } } };
  const patched = applyStrategicPatch(live, { spec: { template: { spec: {
    containers: [{ name: 'a', env: [{ name: 'Y', value: '2' }], ports: [{ containerPort: 443 }] },
      { name: 'b', $patch: 'delete' }, { name: 'c', image: 'c:1' }],
    volumes: [{ name: 'w', configMap: { name: 'cm' } }], tolerations: [{ key: 'j' }],
    '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }] } } } }, schema);
  const spec = patched.spec.template.spec;
  assert.deepEqual(spec.containers.map((c) => c.name), ['c', 'a']);
  assert.deepEqual(spec.containers[1].env, [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }]);
  assert.deepEqual(spec.containers[1].ports, [{ containerPort: 80 }, { containerPort: 443 }]);
  assert.equal(spec.containers[1].image, 'a:1');
  assert.deepEqual(spec.volumes.map((v) => v.name), ['v', 'w']);
  assert.deepEqual(spec.tolerations, [{ key: 'j' }], 'lists without a merge key are replaced');
  const replaced = applyStrategicPatch(live, { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'z', image: 'z' }] } } } }, schema);
  assert.deepEqual(replaced.spec.template.spec.containers, [{ name: 'z', image: 'z' }]);
  const retained = applyStrategicPatch({ spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, schema);
  assert.deepEqual(retained.spec.strategy, { type: 'Recreate' });
  const meta = applyStrategicPatch({ metadata: { finalizers: ['a'], labels: { x: '1', y: '2' } } },
    { metadata: { finalizers: ['b'], labels: { x: null }, '$deleteFromPrimitiveList/finalizers': ['a'] } }, schema);
  assert.deepEqual(meta.metadata, { finalizers: ['b'], labels: { y: '2' } });
});

test('server-side apply: merges by list keys, prunes what the manager dropped, reports conflicts as kube-apiserver does', () => {
  const schema = schemaFor('Deployment');
  const base = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: { a: '1' } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'c', image: 'i:1' }] } } } };
  const first = serverSideApply({ schema, live: null, applied: base, manager: 'kubectl', apiVersion: 'apps/v1', force: false });
  assert.equal(first.metadata.managedFields.length, 1);
  assert.deepEqual(first.metadata.managedFields[0].fieldsV1, {
    'f:metadata': { 'f:labels': { 'f:a': {} } },
    'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
  });
  // Another manager takes replicas by an Update; applying a different value now conflicts.
  const scaled = structuredClone(first);
  scaled.spec.replicas = 3;
  scaled.metadata.managedFields = managed.recordUpdate({ schema, oldObj: first, newObj: scaled, manager: 'kubectl-scale', apiVersion: 'apps/v1' });
  const again = { ...base, spec: { ...base.spec, replicas: 5 } };
  assert.throws(() => serverSideApply({ schema, live: scaled, applied: again, manager: 'kubectl', apiVersion: 'apps/v1', force: false }), (e) => {
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
    assert.deepEqual(e.details, { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-scale" using apps/v1', field: '.spec.replicas' }] });
    return true;
  });
  const forced = serverSideApply({ schema, live: scaled, applied: again, manager: 'kubectl', apiVersion: 'apps/v1', force: true });
  assert.equal(forced.spec.replicas, 5);
  assert.equal(forced.metadata.managedFields.find((e) => e.manager === 'kubectl-scale'), undefined, 'the loser owns nothing left');
  // Dropping a label and adding a container: the label goes, the container list merges by name.
  const next = { ...base, metadata: { name: 'd' }, spec: { replicas: 5, template: { spec: { containers: [{ name: 'c2', image: 'j' }] } } } };
  const pruned = serverSideApply({ schema, live: forced, applied: next, manager: 'kubectl', apiVersion: 'apps/v1', force: false });
  assert.equal(pruned.metadata.labels, undefined);
  assert.deepEqual(pruned.spec.template.spec.containers.map((c) => c.name), ['c2']);
});

test('server-side apply keeps a map its manager still applies below, whatever marker the old set had', () => {
  const schema = schemaFor('ConfigMap');
  const live = { metadata: { name: 'c', labels: { app: 'x' }, managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1',
    time: '1970-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:data': { '.': {}, 'f:k': {} } } }] },
  data: { k: 'v' } };
  const out = serverSideApply({ schema, live, applied: { metadata: { name: 'c', labels: { app: 'x' } }, data: { k: 'v' } },
    manager: 'kubectl', apiVersion: 'v1', force: false });
  assert.deepEqual([out.metadata.labels, out.data], [{ app: 'x' }, { k: 'v' }]);
});

test('managedFields for updates: the updater takes changed fields, removed fields leave everyone', () => {
  const schema = schemaFor('ConfigMap');
  const v1 = { metadata: { name: 'c' }, data: { a: '1', b: '2' } };
  v1.metadata.managedFields = managed.recordUpdate({ schema, oldObj: null, newObj: v1, manager: 'create', apiVersion: 'v1', now: new Date(0) });
  assert.deepEqual(v1.metadata.managedFields, [{ manager: 'create', operation: 'Update', apiVersion: 'v1', time: '1970-01-01T00:00:00Z',
    fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } } }]);
  const v2 = { metadata: { name: 'c' }, data: { a: 'x' } };
  const mf = managed.recordUpdate({ schema, oldObj: v1, newObj: v2, manager: 'edit', apiVersion: 'v1', now: new Date(1000) });
  assert.deepEqual(mf.map((e) => [e.manager, e.fieldsV1]), [
    ['create', { 'f:data': {} }],
    ['edit', { 'f:data': { 'f:a': {} } }],
  ]);
  assert.equal(managed.pathString([{ f: 'spec' }, { f: 'containers' }, { k: { name: 'x' } }, { f: 'image' }]), '.spec.containers[name="x"].image');
});

test('unknown fields are named as strict decoding and structured-merge-diff name them', () => {
  const obj = { spec: { replicas: 1, foo: 1, template: { spec: { containers: [{ name: 'c', imagePullPolice: 'x' }] } } }, bar: 2 };
  assert.deepEqual(unknownFields('Deployment', obj), ['spec.foo', 'spec.template.spec.containers[0].imagePullPolice', 'bar']);
  assert.deepEqual(unknownFields('Deployment', obj, 'smd'), ['.spec.foo', '.spec.template.spec.containers[name="c"].imagePullPolice', '.bar']);
  assert.deepEqual(unknownFields('ConfigMap', { data: { anything: 'x' }, metadata: { labels: { l: 'v' } } }), []);
});

test('humanDuration and the printers cells', () => {
  const s = 1000;
  assert.deepEqual([5, 119, 120, 150, 600, 3 * 3600 - 1, 3 * 3600 + 60 * 30, 30 * 3600, 3 * 86400 + 3600, 400 * 86400, 3 * 365 * 86400 + 86400]
    .map((x) => humanDuration(x * s)), ['5s', '119s', '2m', '2m30s', '10m', '179m', '3h30m', '30h', '3d1h', '400d', '3y1d']);
  const now = new Date(Date.now() - 300 * s).toISOString();
  const pod = { metadata: { name: 'p', creationTimestamp: now }, spec: { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'n1' },
    status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }], containerStatuses: [
      { name: 'a', ready: true, restartCount: 0, state: { running: {} } },
      { name: 'b', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } };
  assert.deepEqual(printerFor('Pod').cells(pod), ['p', '1/2', 'CrashLoopBackOff', '2', '5m', '10.0.0.5', 'n1', '<none>', '<none>']);
  assert.deepEqual(printerFor('Pod').columns.map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  const terminating = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: now }, status: { phase: 'Running' } };
  assert.equal(printerFor('Pod').cells(terminating)[2], 'Terminating');
  const d = { metadata: { name: 'd', creationTimestamp: now }, spec: { replicas: 3, selector: { matchLabels: { app: 'd' } },
    template: { spec: { containers: [{ name: 'a', image: 'i:1' }, { name: 'b', image: 'j:2' }] } } },
  status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
  assert.deepEqual(printerFor('Deployment').cells(d), ['d', '2/3', 3, 2, '5m', 'a,b', 'i:1,j:2', 'app=d']);
  assert.deepEqual(printerFor('Secret').cells({ metadata: { name: 's', creationTimestamp: now }, type: 'Opaque', data: { a: '', b: '' } }), ['s', 'Opaque', 2, '5m']);
  assert.deepEqual(printerFor('Role').columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Created At', 'date']]);
});

test('validation messages are kube-apiserver\'s', () => {
  const pods = T('', 'pods');
  const errs = validate(pods, { metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'c' }] } });
  const err = common.invalid('Pod', '', 'Bad_Name', errs);
  assert.equal(err.message, 'Pod "Bad_Name" is invalid: [metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\'), spec.containers[0].image: Required value]');
  assert.deepEqual(err.details.causes[1], { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' });
  const ns = validate(T('', 'namespaces'), { metadata: { name: 'a.b' } });
  assert.equal(common.errorBody(ns[0]), 'Invalid value: "a.b": must not contain dots');
  const dep = validate(T('apps', 'deployments'), { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'x' } },
    template: { metadata: { labels: { app: 'y' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } },
  { selectorMatches: sel.matchesLabelSelector });
  const depErr = common.invalid('Deployment', 'apps', 'd', dep);
  assert.equal(depErr.message, 'Deployment.apps "d" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`');
  assert.equal(depErr.details.kind, 'Deployment');
  assert.equal(depErr.details.group, 'apps');
  assert.deepEqual(validate(pods, { metadata: { generateName: 'web-' }, spec: { containers: [{ name: 'c', image: 'i' }] } }).map((e) => e.field), ['metadata.name'],
    'generateName with a trailing dash is fine; the name is still required until it is generated');
});

test('defaulting adds what kube-apiserver adds', () => {
  const d = applyDefaults('Deployment', { metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx' }, { name: 'e', image: 'r/e:1.2' }] } } } });
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  assert.deepEqual(d.spec.template.spec.containers.map((c) => c.imagePullPolicy), ['Always', 'IfNotPresent']);
  assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 30);
  const s = applyDefaults('Secret', { metadata: { name: 's' }, stringData: { p: 'hunter2' } });
  assert.deepEqual([s.type, s.data, s.stringData], ['Opaque', { p: 'aHVudGVyMg==' }, undefined]);
  const n = applyDefaults('Namespace', { metadata: { name: 'team' } });
  assert.deepEqual([n.metadata.labels, n.spec, n.status], [{ 'kubernetes.io/metadata.name': 'team' }, { finalizers: ['kubernetes'] }, { phase: 'Active' }]);
});
