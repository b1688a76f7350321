'use strict';
// The store: resourceVersions, deep copies, preconditions, watch fan-out and resumption, the
// bounded history and what compaction expires, and rebuilding past states for continue tokens.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Registry } = require('../lib/registry');
const { Store } = require('../lib/store');

const registry = new Registry('1.33');
const CM = registry.lookup('', 'v1', 'configmaps');
const NS = registry.lookup('', 'v1', 'namespaces');
const DEPLOY = registry.lookup('apps', 'v1', 'deployments');

const cm = (name, namespace = 'default', data = {}) => ({ metadata: { name, namespace }, data });

test('create stamps uid, creationTimestamp and a rising global resourceVersion; kind and apiVersion lead', () => {
  const store = new Store(registry);
  const a = store.create(CM, cm('a'));
  const b = store.create(DEPLOY, { metadata: { name: 'd', namespace: 'default' }, spec: {} });
  assert.match(a.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.match(a.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
  assert.equal(store.resourceVersion(), b.metadata.resourceVersion);
  assert.deepEqual(Object.keys(a).slice(0, 3), ['kind', 'apiVersion', 'metadata']);
  assert.equal(b.apiVersion, 'apps/v1');
  assert.deepEqual(Object.keys(a.metadata), ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp']);
  assert.throws(() => store.create(CM, cm('a')), { reason: 'AlreadyExists' });
  assert.equal(store.create(NS, { metadata: { name: 'x', namespace: 'ignored' } }).metadata.namespace, undefined);
});

test('objects come out as copies: changing one changes nothing stored', () => {
  const store = new Store(registry);
  const created = store.create(CM, cm('a', 'default', { k: 'v' }));
  created.data.k = 'changed';
  const got = store.get(CM, 'default', 'a');
  got.data.k = 'changed too';
  assert.equal(store.get(CM, 'default', 'a').data.k, 'v');
  assert.equal(store.get(CM, 'default', 'missing'), null);
});

test('update: resourceVersion precondition, immutable uid, and a no-op write keeps the version', () => {
  const store = new Store(registry);
  const a = store.create(CM, cm('a', 'default', { k: '1' }));
  const stale = { ...a, data: { k: '2' }, metadata: { ...a.metadata, resourceVersion: '1' } };
  assert.throws(() => store.update(CM, stale), { reason: 'Conflict',
    message: 'the object has been modified; please apply your changes to the latest version and try again' });
  const b = store.update(CM, { ...a, data: { k: '2' }, metadata: { ...a.metadata, uid: 'forged' } });
  assert.equal(b.metadata.uid, a.metadata.uid);
  assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
  const same = store.update(CM, { ...b, metadata: { ...b.metadata, resourceVersion: '' } });
  assert.equal(same.metadata.resourceVersion, b.metadata.resourceVersion);
  assert.throws(() => store.update(CM, cm('nope')), { reason: 'NotFound' });
});

test('list: key order (namespace, then name), namespace filter, current resourceVersion', () => {
  const store = new Store(registry);
  for (const [n, ns] of [['b', 'x'], ['a', 'y'], ['c', 'x'], ['a', 'x']]) store.create(CM, cm(n, ns));
  const all = store.list(CM, '');
  assert.deepEqual(all.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`), ['x/a', 'x/b', 'x/c', 'y/a']);
  assert.equal(all.resourceVersion, store.resourceVersion());
  assert.deepEqual(store.list(CM, 'y').items.map((o) => o.metadata.name), ['a']);
});

test('watch: live events after now, replay after an explicit resourceVersion, namespace filter, cancel', () => {
  const store = new Store(registry);
  const first = store.create(CM, cm('a', 'x'));
  store.create(CM, cm('b', 'y'));
  const replayed = [];
  store.watch(CM, 'x', first.metadata.resourceVersion, (t, o) => replayed.push(`${t} ${o.metadata.name}`))();
  assert.deepEqual(replayed, [], 'nothing in x after a');
  const fromZero = [];
  store.watch(CM, '', '0', (t, o) => fromZero.push(`${t} ${o.metadata.name}`))();
  assert.deepEqual(fromZero, ['ADDED a', 'ADDED b']);
  const live = [];
  const cancel = store.watch(CM, 'x', undefined, (t, o, prev) => live.push([t, o.metadata.name, prev && prev.data]));
  const a2 = store.update(CM, { ...store.get(CM, 'x', 'a'), data: { k: 'v' } });
  store.create(CM, cm('c', 'y'));
  const gone = store.delete(CM, 'x', 'a');
  cancel();
  store.create(CM, cm('d', 'x'));
  assert.deepEqual(live, [['MODIFIED', 'a', {}], ['DELETED', 'a', { k: 'v' }]]);
  assert.ok(Number(gone.metadata.resourceVersion) > Number(a2.metadata.resourceVersion), 'delete carries its own revision');
  assert.equal(store.watcherCount(), 0);
});

test('the history is bounded: older watches and rebuilt lists expire with the real message', () => {
  const store = new Store(registry, { historySize: 3 });
  const a = store.create(CM, cm('a'));
  for (let i = 0; i < 4; i++) store.update(CM, { ...store.get(CM, 'default', 'a'), data: { i: String(i) } });
  const compacted = store.compactedResourceVersion();
  assert.ok(compacted > Number(a.metadata.resourceVersion));
  assert.throws(() => store.watch(CM, '', a.metadata.resourceVersion, () => {}),
    { reason: 'Expired', message: `too old resource version: ${a.metadata.resourceVersion} (${compacted})` });
  assert.throws(() => store.listAt(CM, '', a.metadata.resourceVersion), { reason: 'Expired' });
  const events = [];
  store.watch(CM, '', String(compacted), (t, o) => events.push(o.data.i))();
  assert.deepEqual(events, ['1', '2', '3'], 'every event after the compaction point is still there');
  store.compact();
  assert.throws(() => store.watch(CM, '', String(compacted), () => {}), { reason: 'Expired' });
});

test('listAt rebuilds the state at a past resourceVersion (consistent continue pages)', () => {
  const store = new Store(registry);
  store.create(CM, cm('a', 'default', { v: '1' }));
  const at = store.create(CM, cm('b')).metadata.resourceVersion;
  store.update(CM, { ...store.get(CM, 'default', 'a'), data: { v: '2' } });
  store.delete(CM, 'default', 'b');
  store.create(CM, cm('c'));
  const past = store.listAt(CM, 'default', at);
  assert.equal(past.resourceVersion, at);
  assert.deepEqual(past.items.map((o) => [o.metadata.name, o.data.v]), [['a', '1'], ['b', undefined]]);
  assert.deepEqual(store.list(CM, 'default').items.map((o) => o.metadata.name), ['a', 'c']);
});

test('subscribe sees every change of every type; one failing watcher does not stop the others', () => {
  const store = new Store(registry);
  const seen = [];
  const off = store.subscribe((type, t, o) => seen.push(`${type.resource} ${t} ${o.metadata.name}`));
  store.watch(CM, '', undefined, () => { throw new Error('client gone'); });
  const heard = [];
  store.watch(CM, '', undefined, (t) => heard.push(t));
  const errors = [];
  const orig = console.error;
  console.error = (...args) => errors.push(args.join(' '));
  try {
    store.create(CM, cm('a'));
  } finally {
    console.error = orig;
  }
  store.create(NS, { metadata: { name: 'n' } });
  off();
  store.delete(NS, '', 'n');
  assert.deepEqual(seen, ['configmaps ADDED a', 'namespaces ADDED n']);
  assert.deepEqual(heard, ['ADDED']);
  assert.equal(errors.length, 1);
});
