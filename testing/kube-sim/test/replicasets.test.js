'use strict';
// apps/v1 ReplicaSets and the controllers around them: a Deployment owns ReplicaSets named
// <deployment>-<pod-template-hash> with the revision and replica annotations, a ReplicaSet owns its
// pods and reports their counts, a template change rolls out a new ReplicaSet (revision 2) and
// scales the old one to 0, and the garbage collector deletes (or orphans) dependents as the
// propagation policy says. Over HTTPS for the object shapes, with kubectl 1.27, 1.30 and 1.33 for
// what users read: get rs, describe deployment, rollout status|history|restart|undo.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startSim, kubectl, kubectlPath, request, KUBECTL_DIR } = require('./support/harness');
const { templateHash, sameTemplate } = require('../lib/resources/deployment-util');

const ADMIN = 'kube-admin';
const APPS = '/apis/apps/v1/namespaces';
const HASH = /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/;

function apiOf(sim) {
  return (method, path, { body, headers = {} } = {}) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const length = text === undefined ? {} : { 'Content-Length': Buffer.byteLength(text) };
    return request(sim, { method, path, as: ADMIN, body: text, headers: { 'Content-Type': 'application/json', ...length, ...headers } })
      .then((r) => ({ status: r.status, json: r.body ? JSON.parse(r.body) : null }));
  };
}

// Polls until check() returns a truthy value (controllers settle within a few event-loop turns,
// pods within the simulated kubelet's second); the last failure is the assertion message.
async function eventually(check, what, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = 'not yet';
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > until) assert.fail(`${what}: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const items = async (api, path) => (await api('GET', path)).json.items;
const owner = (obj) => (obj.metadata.ownerReferences || []).find((r) => r.controller);
const annotations = (obj) => obj.metadata.annotations || {};

test('pod-template-hash: deterministic, changes with the template, in the alphabet of real hashes', () => {
  const tpl = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } };
  const reordered = { spec: { containers: [{ image: 'nginx:1.27', name: 'web' }] }, metadata: { labels: { app: 'web' } } };
  assert.match(templateHash(tpl), HASH);
  assert.match(templateHash(tpl), /^[456789bcdf]+$/, 'SafeEncodeString of decimal digits uses ten letters only');
  assert.equal(templateHash(tpl), templateHash(reordered), 'key order does not matter');
  assert.notEqual(templateHash(tpl), templateHash({ ...tpl, spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } }));
  assert.notEqual(templateHash(tpl), templateHash(tpl, 1), 'collisionCount changes the hash');
  const withHash = structuredClone(tpl);
  withHash.metadata.labels['pod-template-hash'] = 'x';
  assert.ok(sameTemplate(withHash, tpl), 'EqualIgnoreHash ignores the pod-template-hash label');
  assert.ok(!sameTemplate({ ...tpl, metadata: { labels: { app: 'other' } } }, tpl));
});

test('the seed: each deployment owns one ReplicaSet named after its pods, which own the pods', async (t) => {
  const sim = await startSim();
  t.after(() => sim.close());
  const api = apiOf(sim);
  for (const [ns, name, rsName, replicas, maxReplicas] of [['production', 'web', 'web-7d9f8b6c5d', 2, 3], ['staging', 'api', 'api-5c6b7f9d8', 1, 2]]) {
    const rs = await eventually(async () => {
      const r = (await api('GET', `${APPS}/${ns}/replicasets/${rsName}`)).json;
      return r.status && r.status.readyReplicas === replicas && r;
    }, `${rsName} is ready`);
    const d = (await api('GET', `${APPS}/${ns}/deployments/${name}`)).json;
    assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: d.metadata.uid,
      controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(annotations(rs), { 'deployment.kubernetes.io/desired-replicas': String(replicas),
      'deployment.kubernetes.io/max-replicas': String(maxReplicas), 'deployment.kubernetes.io/revision': '1' });
    assert.equal(annotations(d)['deployment.kubernetes.io/revision'], '1');
    const hash = rsName.slice(name.length + 1);
    assert.deepEqual(rs.metadata.labels, { app: name, 'pod-template-hash': hash });
    assert.deepEqual(rs.spec.selector, { matchLabels: { app: name, 'pod-template-hash': hash } });
    assert.deepEqual(rs.status, { replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas,
      observedGeneration: 1 });
    const pods = await items(api, `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${name}`);
    assert.equal(pods.length, replicas);
    for (const p of pods) {
      assert.ok(p.metadata.name.startsWith(`${rsName}-`), 'the seeded pods, not replacements');
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rs.metadata.uid,
        controller: true, blockOwnerDeletion: true }]);
    }
    assert.deepEqual([d.status.replicas, d.status.updatedReplicas, d.status.availableReplicas], [replicas, replicas, replicas]);
  }
  const apps = (await api('GET', '/apis/apps/v1')).json;
  const rsResource = apps.resources.find((r) => r.name === 'replicasets');
  assert.deepEqual([rsResource.kind, rsResource.namespaced, rsResource.shortNames, rsResource.categories],
    ['ReplicaSet', true, ['rs'], ['all']]);
  assert.deepEqual(apps.resources.filter((r) => r.name.startsWith('replicasets/')).map((r) => r.name).sort(),
    ['replicasets/scale', 'replicasets/status']);
});

test('scaling and template changes: the new ReplicaSet follows, the old one goes to 0, revisions count up', async (t) => {
  const sim = await startSim();
  t.after(() => sim.close());
  const api = apiOf(sim);
  const D = `${APPS}/staging/deployments/api`;
  const scaled = await api('PATCH', `${D}/scale`, { body: { spec: { replicas: 3 } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
  assert.equal(scaled.status, 200);
  const rs = await eventually(async () => {
    const r = (await api('GET', `${APPS}/staging/replicasets/api-5c6b7f9d8`)).json;
    return r.status.availableReplicas === 3 && r;
  }, 'the replica set scaled to 3');
  assert.deepEqual([rs.spec.replicas, annotations(rs)['deployment.kubernetes.io/desired-replicas'],
    annotations(rs)['deployment.kubernetes.io/max-replicas'], rs.metadata.generation, rs.status.observedGeneration], [3, '3', '4', 2, 2]);
  const d = await eventually(async () => {
    const got = (await api('GET', D)).json;
    return got.status.availableReplicas === 3 && got;
  }, 'the deployment reports 3 available');
  // SetDeploymentCondition moves a changed condition to the end: Available went False while the
  // new pods were missing (maxUnavailable 25% of 3 is 0), then True again, after Progressing.
  assert.deepEqual(d.status.conditions.map((c) => [c.type, c.status, c.reason]),
    [['Progressing', 'True', 'NewReplicaSetAvailable'], ['Available', 'True', 'MinimumReplicasAvailable']]);

  const patch = { spec: { template: { spec: { containers: [{ name: 'api', image: 'ghcr.io/example/api:2.5.0' }] } } } };
  assert.equal((await api('PATCH', D, { body: patch, headers: { 'Content-Type': 'application/strategic-merge-patch+json' } })).status, 200);
  const rsList = await eventually(async () => {
    const list = await items(api, `${APPS}/staging/replicasets`);
    const fresh = list.find((r) => r.metadata.name !== 'api-5c6b7f9d8');
    return fresh && fresh.status.readyReplicas === 3 && list;
  }, 'a new replica set with 3 ready pods');
  const [fresh] = rsList.filter((r) => r.metadata.name !== 'api-5c6b7f9d8');
  const old = rsList.find((r) => r.metadata.name === 'api-5c6b7f9d8');
  const hash = fresh.metadata.labels['pod-template-hash'];
  assert.match(hash, HASH);
  assert.equal(fresh.metadata.name, `api-${hash}`);
  assert.equal(annotations(fresh)['deployment.kubernetes.io/revision'], '2');
  assert.deepEqual([old.spec.replicas, old.status.replicas, annotations(old)['deployment.kubernetes.io/revision']], [0, 0, '1']);
  assert.equal(fresh.spec.template.spec.containers[0].image, 'ghcr.io/example/api:2.5.0');
  const pods = await eventually(async () => {
    const list = await items(api, '/api/v1/namespaces/staging/pods?labelSelector=app%3Dapi');
    return list.length === 3 && list;
  }, 'the old pods are gone once the kubelet stopped them');
  assert.ok(pods.every((p) => owner(p).uid === fresh.metadata.uid && p.metadata.labels['pod-template-hash'] === hash));
  const dep = (await api('GET', D)).json;
  assert.equal(annotations(dep)['deployment.kubernetes.io/revision'], '2');
  const scaleEvents = (await items(api, '/api/v1/namespaces/staging/events?fieldSelector=reason%3DScalingReplicaSet'))
    .map((e) => e.message);
  assert.deepEqual(scaleEvents.slice(-3), ['Scaled up replica set api-5c6b7f9d8 from 1 to 3',
    `Scaled up replica set ${fresh.metadata.name} from 0 to 3`, 'Scaled down replica set api-5c6b7f9d8 from 3 to 0']);
});

test('a ReplicaSet of its own: creates pods from its template, replaces a deleted one, scales through /scale', async (t) => {
  const sim = await startSim();
  t.after(() => sim.close());
  const api = apiOf(sim);
  const RS = `${APPS}/default/replicasets`;
  const created = await api('POST', RS, { body: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'solo' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'solo' } },
            template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } } });
  assert.equal(created.status, 201);
  assert.deepEqual([created.json.metadata.generation, created.json.status, created.json.spec.template.spec.restartPolicy],
    [1, { replicas: 0 }, 'Always']);
  const pods = await eventually(async () => {
    const list = await items(api, '/api/v1/namespaces/default/pods?labelSelector=app%3Dsolo');
    return list.length === 2 && list;
  }, 'two pods');
  assert.ok(pods.every((p) => p.metadata.name.startsWith('solo-') && owner(p).uid === created.json.metadata.uid));
  assert.equal((await api('DELETE', `/api/v1/namespaces/default/pods/${pods[0].metadata.name}`)).status, 200);
  await eventually(async () => {
    const list = (await items(api, '/api/v1/namespaces/default/pods?labelSelector=app%3Dsolo')).filter((p) => !p.metadata.deletionTimestamp);
    return list.length === 2 && !list.some((p) => p.metadata.name === pods[0].metadata.name);
  }, 'a replacement for the deleted pod');
  const scale = await api('PUT', `${RS}/solo/scale`, { body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'solo' },
    spec: { replicas: 1 } } });
  assert.deepEqual([scale.status, scale.json.kind, scale.json.spec.replicas, scale.json.status.selector], [200, 'Scale', 1, 'app=solo']);
  await eventually(async () => (await api('GET', `${RS}/solo`)).json.status.replicas === 1, 'scaled down to 1');
  const events = (await items(api, '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dsolo'))
    .map((e) => [e.reason, e.source.component, e.message.replace(/solo-\w+$/, 'solo-*')]);
  assert.deepEqual(events[0], ['SuccessfulCreate', 'replicaset-controller', 'Created pod: solo-*']);
  assert.ok(events.some(([reason]) => reason === 'SuccessfulDelete'));
  const bad = await api('POST', RS, { body: { metadata: { name: 'bad' }, spec: { selector: { matchLabels: { app: 'x' } },
    template: { metadata: { labels: { app: 'y' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } });
  assert.equal(bad.status, 422);
  assert.match(bad.json.message, /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
});

test('garbage collection: background, foreground and orphan propagation; an orphaned ReplicaSet is adopted again', async (t) => {
  const sim = await startSim();
  t.after(() => sim.close());
  const api = apiOf(sim);
  const podsOf = (ns, app) => items(api, `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`);
  await eventually(async () => (await items(api, `${APPS}/staging/replicasets`)).length === 1, 'the seed settled');

  // Orphan: the deployment goes at once; its ReplicaSet and pods stay, no longer owned.
  const api1 = (await api('GET', `${APPS}/staging/deployments/api`)).json;
  const orphaned = await api('DELETE', `${APPS}/staging/deployments/api`, { body: { propagationPolicy: 'Orphan' } });
  assert.deepEqual([orphaned.json.kind, orphaned.json.metadata.finalizers], ['Deployment', ['orphan']]);
  await eventually(async () => (await api('GET', `${APPS}/staging/deployments/api`)).status === 404, 'the deployment is gone');
  const rs = (await api('GET', `${APPS}/staging/replicasets/api-5c6b7f9d8`)).json;
  assert.equal(rs.metadata.ownerReferences, undefined);
  assert.equal((await podsOf('staging', 'api')).length, 1);

  // The same deployment again adopts the orphan ReplicaSet (same template) instead of making one.
  const again = await api('POST', `${APPS}/staging/deployments`, { body: { metadata: { name: 'api' }, spec: api1.spec } });
  assert.equal(again.status, 201);
  await eventually(async () => {
    const got = (await api('GET', `${APPS}/staging/replicasets/api-5c6b7f9d8`)).json;
    return owner(got) && owner(got).uid === again.json.metadata.uid;
  }, 'the orphan replica set is adopted');
  assert.equal((await items(api, `${APPS}/staging/replicasets`)).length, 1);

  // Foreground: the deployment waits, with its finalizer, until its ReplicaSet and pods are gone.
  const fg = await api('DELETE', `${APPS}/production/deployments/web`, { body: { propagationPolicy: 'Foreground' } });
  assert.deepEqual([fg.status, fg.json.metadata.finalizers, Boolean(fg.json.metadata.deletionTimestamp)], [200, ['foregroundDeletion'], true]);
  await eventually(async () => (await podsOf('production', 'web')).every((p) => p.metadata.deletionTimestamp), 'the pods are terminating');
  assert.equal((await api('GET', `${APPS}/production/deployments/web`)).status, 200, 'still there while its pods stop');
  await eventually(async () => (await api('GET', `${APPS}/production/deployments/web`)).status === 404, 'gone after its dependents');
  assert.deepEqual([(await items(api, `${APPS}/production/replicasets`)).length, (await podsOf('production', 'web')).length], [0, 0]);

  // Background (kubectl's default): the deployment goes at once, then its ReplicaSet, then the pods.
  const bg = await api('DELETE', `${APPS}/staging/deployments/api`, { body: { propagationPolicy: 'Background' } });
  assert.equal(bg.json.kind, 'Status');
  await eventually(async () => (await items(api, `${APPS}/staging/replicasets`)).length === 0, 'the replica set is collected');
  await eventually(async () => (await podsOf('staging', 'api')).length === 0, 'the pods are collected');
});

test('revisionHistoryLimit: old ReplicaSets beyond it are deleted once scaled down', async (t) => {
  const sim = await startSim();
  t.after(() => sim.close());
  const api = apiOf(sim);
  const D = `${APPS}/production/deployments/web`;
  const merge = { 'Content-Type': 'application/merge-patch+json' };
  await api('PATCH', D, { body: { spec: { revisionHistoryLimit: 1 } }, headers: merge });
  for (const image of ['nginx:1.28', 'nginx:1.29']) {
    await api('PATCH', D, { body: { spec: { template: { spec: { containers: [{ name: 'web', image }] } } } },
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' } });
    await eventually(async () => {
      const d = (await api('GET', D)).json;
      return d.status.observedGeneration === d.metadata.generation && d.status.updatedReplicas === 2 && d.status.replicas === 2;
    }, `rolled out ${image}`);
  }
  const list = await eventually(async () => {
    const l = await items(api, `${APPS}/production/replicasets`);
    return l.length === 2 && l;
  }, 'one old replica set kept');
  assert.deepEqual(list.map((r) => annotations(r)['deployment.kubernetes.io/revision']).sort(), ['2', '3']);
});

// ---- kubectl ---------------------------------------------------------------------------------

const rows = (text) => text.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/));

function ok(r, what) {
  assert.equal(r.code, 0, `${what}: exit ${r.code}, stderr: ${r.stderr}`);
  assert.equal(r.stderr, '', `${what}: stderr`);
  return r.stdout;
}

async function kubectlScenario(version, sim) {
  const k = (...args) => kubectl(version, sim, [...args, '-n', 'production']);
  await eventually(async () => /web-7d9f8b6c5d\s+2\s+2\s+2/.test((await k('get', 'rs')).stdout), 'the seed settled');
  const got = rows(ok(await k('get', 'rs', '-o', 'wide'), 'get rs -o wide'));
  assert.deepEqual(got[0], ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
  assert.deepEqual([...got[1].slice(0, 4), ...got[1].slice(5)],
    ['web-7d9f8b6c5d', '2', '2', '2', 'web', 'nginx:1.27', 'app=web,pod-template-hash=7d9f8b6c5d']);
  const all = ok(await k('get', 'all'), 'get all');
  assert.match(all, /^replicaset\.apps\/web-7d9f8b6c5d\s+2\s+2\s+2\s+\d+s$/m);

  const described = ok(await k('describe', 'deployment', 'web'), 'describe deployment');
  assert.match(described, /^Annotations:\s+deployment\.kubernetes\.io\/revision: 1$/m);
  assert.match(described, /^OldReplicaSets:\s+<none>$/m);
  assert.match(described, /^NewReplicaSet:\s+web-7d9f8b6c5d \(2\/2 replicas created\)$/m);
  assert.match(ok(await k('describe', 'pod', 'web-7d9f8b6c5d-x2k4p'), 'describe pod'), /^Controlled By:\s+ReplicaSet\/web-7d9f8b6c5d$/m);
  assert.match(ok(await k('describe', 'rs', 'web-7d9f8b6c5d'), 'describe rs'), /^Controlled By:\s+Deployment\/web\n/m);

  assert.equal(ok(await k('rollout', 'status', 'deployment/web'), 'rollout status'), 'deployment "web" successfully rolled out\n');
  assert.deepEqual(rows(ok(await k('rollout', 'history', 'deployment/web'), 'rollout history')),
    [['deployment.apps/web'], ['REVISION', 'CHANGE-CAUSE'], ['1', '<none>']]);
  assert.equal(ok(await k('rollout', 'restart', 'deployment/web'), 'rollout restart'), 'deployment.apps/web restarted\n');
  const status = ok(await k('rollout', 'status', 'deployment/web', '--timeout=20s'), 'rollout status after restart');
  assert.match(status, /deployment "web" successfully rolled out\n$/);
  assert.deepEqual(rows(ok(await k('rollout', 'history', 'deployment/web'), 'rollout history after restart')),
    [['deployment.apps/web'], ['REVISION', 'CHANGE-CAUSE'], ['1', '<none>'], ['2', '<none>']]);
  const after = ok(await k('describe', 'deployment', 'web'), 'describe after restart');
  const fresh = /^NewReplicaSet:\s+(web-[bcdfghjklmnpqrstvwxz2456789]+) \(2\/2 replicas created\)$/m.exec(after);
  assert.ok(fresh, after);
  assert.notEqual(fresh[1], 'web-7d9f8b6c5d');
  assert.match(after, /^OldReplicaSets:\s+web-7d9f8b6c5d \(0\/0 replicas created\)$/m);
  assert.match(after, /^\s+Annotations:\s+kubectl\.kubernetes\.io\/restartedAt: \S+$/m);
  assert.match(ok(await k('rollout', 'history', 'deployment/web', '--revision=2'), 'history --revision=2'),
    /kubectl\.kubernetes\.io\/restartedAt/);

  assert.equal(ok(await k('rollout', 'undo', 'deployment/web'), 'rollout undo'), 'deployment.apps/web rolled back\n');
  await eventually(async () => /^NewReplicaSet:\s+web-7d9f8b6c5d \(2\/2/m.test((await k('describe', 'deployment', 'web')).stdout),
    'the first replica set is new again');
  assert.deepEqual(rows(ok(await k('rollout', 'history', 'deployment/web'), 'rollout history after undo')),
    [['deployment.apps/web'], ['REVISION', 'CHANGE-CAUSE'], ['2', '<none>'], ['3', '<none>']]);
}

for (const version of ['1.27', '1.30', '1.33']) {
  test(`kubectl ${version}: get rs, describe deployment, rollout status, history, restart and undo`, { timeout: 120000 }, async (t) => {
    if (!kubectlPath(version)) return t.skip(`kubectl.${version} is not installed in ${KUBECTL_DIR}`);
    const sim = await startSim({ emulatedVersion: version });
    t.after(() => sim.close());
    return kubectlScenario(version, sim);
  });
}
