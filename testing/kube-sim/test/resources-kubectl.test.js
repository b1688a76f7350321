'use strict';
// Real kubectl (1.27, 1.30, 1.31, 1.33) against kube-sim emulating the same version: what a user
// sees from get (table, yaml, json, jsonpath, -w), describe, create, apply (client- and server-side),
// patch, label, scale, delete, auth can-i and auth whoami.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startSim, kubectl, kubectlPath, tempDir, readRequestLog, MATRIX } = require('./support/harness');

const CM_YAML = (mode) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: staging
  labels: {tier: backend}
data:
  mode: ${mode}
`;

function lines(text) {
  return text.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
}

async function scenario(version, t) {
  const sim = await startSim({ emulatedVersion: version });
  const dir = tempDir(`kubectl-${version}`);
  t.after(async () => { await sim.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  const k = async (...args) => kubectl(version, sim, args, { timeoutMs: 30000 });
  const ok = async (...args) => {
    const r = await k(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  // get: the table kubectl prints from the server's Table, and the machine-readable outputs.
  const table = lines(await ok('get', 'pods', '-n', 'production'));
  assert.deepEqual(table[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.deepEqual(table.find((r) => r[0] === 'web-7d9f8b6c5d-x2k4p').slice(1, 4), ['1/1', 'Running', '0']);
  const wide = lines(await ok('get', 'pods', '-n', 'production', '-o', 'wide'));
  assert.deepEqual(wide[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
  assert.match(await ok('get', 'pod', 'web-7d9f8b6c5d-x2k4p', '-n', 'production', '-o', 'yaml'), /^apiVersion: v1\nkind: Pod\nmetadata:\n/);
  const asJson = JSON.parse(await ok('get', 'pods', '-n', 'production', '-o', 'json'));
  assert.equal(asJson.kind, 'List');
  assert.ok(asJson.items.every((i) => i.kind === 'Pod'));
  const names = (await ok('get', 'pods', '-n', 'production', '-o', 'jsonpath={.items[*].metadata.name}')).split(' ');
  assert.ok(names.includes('web-7d9f8b6c5d-x2k4p') && names.includes('web-7d9f8b6c5d-q8m3z'));
  assert.deepEqual(lines(await ok('get', 'deploy', '-n', 'production'))[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  assert.deepEqual(lines(await ok('get', 'ns'))[0], ['NAME', 'STATUS', 'AGE']);

  // describe: a pod and a deployment.
  const dp = await ok('describe', 'pod', 'web-7d9f8b6c5d-x2k4p', '-n', 'production');
  assert.match(dp, /^Name:\s+web-7d9f8b6c5d-x2k4p$/m);
  assert.match(dp, /^Status:\s+Running$/m);
  assert.match(dp, /^Controlled By:\s+ReplicaSet\/web-7d9f8b6c5d$/m);
  const dd = await ok('describe', 'deployment', 'web', '-n', 'production');
  assert.match(dd, /^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$/m);

  await writes(version, sim, dir, k, ok);
}

// create, apply, patch, label, scale, watch, delete and auth, in that order.
async function writes(version, sim, dir, k, ok) {
  // create secret generic: protobuf body on 1.32+, JSON before.
  assert.equal((await ok('create', 'secret', 'generic', 's1', '--from-literal=password=hunter2', '-n', 'staging')).trim(), 'secret/s1 created');
  const secret = JSON.parse(await ok('get', 'secret', 's1', '-n', 'staging', '-o', 'json'));
  assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 'hunter2');
  const post = readRequestLog(sim).find((l) => l.method === 'POST' && l.resource === 'secrets');
  assert.equal(post.contentType, version >= '1.32' ? 'application/vnd.kubernetes.protobuf' : 'application/json');

  // apply: client-side (create, then configure), then server-side with a changed field.
  const file = path.join(dir, 'cm.yaml');
  fs.writeFileSync(file, CM_YAML('fast'));
  assert.equal((await ok('apply', '-f', file)).trim(), 'configmap/app-config created');
  fs.writeFileSync(file, CM_YAML('slow'));
  assert.equal((await ok('apply', '-f', file)).trim(), 'configmap/app-config configured');
  assert.equal((await ok('apply', '-f', file)).trim(), 'configmap/app-config unchanged');
  const ssaFile = path.join(dir, 'ssa.yaml');
  fs.writeFileSync(ssaFile, CM_YAML('one').replace('app-config', 'ssa-config'));
  assert.equal((await ok('apply', '--server-side', '-f', ssaFile)).trim(), 'configmap/ssa-config serverside-applied');
  fs.writeFileSync(ssaFile, CM_YAML('two').replace('app-config', 'ssa-config'));
  assert.equal((await ok('apply', '--server-side', '-f', ssaFile)).trim(), 'configmap/ssa-config serverside-applied');
  assert.equal(await ok('get', 'cm', 'ssa-config', '-n', 'staging', '-o', 'jsonpath={.data.mode}'), 'two');
  fs.writeFileSync(ssaFile, CM_YAML('three').replace('app-config', 'ssa-config'));
  const clash = await k('apply', '--server-side', '--field-manager=other', '-f', ssaFile);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl": \.data\.mode$/m);

  // patch (strategic, merge, json) and label.
  assert.equal((await ok('patch', 'deployment', 'web', '-n', 'production', '-p',
    '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"MODE","value":"x"}]}]}}}}')).trim(), 'deployment.apps/web patched');
  assert.equal((await ok('patch', 'cm', 'app-config', '-n', 'staging', '--type=merge', '-p', '{"data":{"extra":"1"}}')).trim(), 'configmap/app-config patched');
  assert.equal((await ok('patch', 'cm', 'app-config', '-n', 'staging', '--type=json', '-p', '[{"op":"remove","path":"/data/extra"}]')).trim(), 'configmap/app-config patched');
  assert.equal((await ok('label', 'cm', 'app-config', '-n', 'staging', 'color=blue')).trim(), 'configmap/app-config labeled');
  assert.equal(await ok('get', 'cm', '-n', 'staging', '-l', 'color=blue,tier in (backend)', '-o', 'jsonpath={.items[*].metadata.name}'), 'app-config');

  // The template changed: the controller replaced the seeded pods, as a rollout does.
  await new Promise((r) => setTimeout(r, 1500));
  assert.doesNotMatch(await ok('get', 'pods', '-n', 'production'), /web-7d9f8b6c5d/);

  // scale: the simulated controller follows.
  assert.equal((await ok('scale', 'deployment', 'web', '-n', 'production', '--replicas=3')).trim(), 'deployment.apps/web scaled');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(lines(await ok('get', 'deploy', 'web', '-n', 'production'))[1].slice(0, 4), ['web', '3/3', '3', '3']);

  // get -w: a change made during the watch shows up as a row.
  const watched = kubectl(version, sim, ['get', 'cm', '-n', 'staging', '-w'], { timeoutMs: 3500 });
  await new Promise((r) => setTimeout(r, 1500));
  await ok('create', 'configmap', 'during-watch', '-n', 'staging', '--from-literal=a=b');
  const w = await watched;
  assert.match(w.stdout, /^NAME\s+DATA\s+AGE$/m);
  assert.match(w.stdout, /^during-watch\s+1\s+\d+s$/m);

  // delete one, then all of a kind.
  assert.equal((await ok('delete', 'cm', 'during-watch', '-n', 'staging')).trim(), 'configmap "during-watch" deleted');
  const all = await ok('delete', 'cm', '--all', '-n', 'staging');
  assert.match(all, /^configmap "app-config" deleted$/m);
  assert.match(all, /^configmap "ssa-config" deleted$/m);
  assert.equal((await ok('delete', 'pod', 'toolbox')).trim(), 'pod "toolbox" deleted', 'after the graceful phase');
  assert.match((await k('get', 'pod', 'toolbox')).stderr, /pods "toolbox" not found/);

  // A new namespace gets its controllers' objects; deleting it waits until it is gone.
  assert.equal((await ok('create', 'namespace', 'team')).trim(), 'namespace/team created');
  assert.equal((await ok('get', 'sa,cm', '-n', 'team', '-o', 'name')).trim(), 'serviceaccount/default\nconfigmap/kube-root-ca.crt');
  assert.equal((await ok('delete', 'namespace', 'team')).trim(), 'namespace "team" deleted');
  assert.match((await k('get', 'namespace', 'team')).stderr, /namespaces "team" not found/);
  assert.match((await ok('create', 'token', 'default')).trim(), /^[\w-]+\.[\w-]+\.[\w-]+$/);

  // auth: an admin may, an impersonated viewer may read but not delete; whoami after impersonation.
  assert.equal((await ok('auth', 'can-i', 'delete', 'pods', '-n', 'production')).trim(), 'yes');
  assert.equal((await ok('auth', 'can-i', 'list', 'pods', '-n', 'production', '--as=vic', '--as-group=viewers')).trim(), 'yes');
  const denied = await k('auth', 'can-i', 'delete', 'pods', '-n', 'production', '--as=vic', '--as-group=viewers');
  assert.equal(denied.code, 1);
  assert.equal(denied.stdout.trim(), 'no');
  const who = lines(await ok('auth', 'whoami', '--as=vic', '--as-group=viewers'));
  assert.deepEqual(who[0], ['ATTRIBUTE', 'VALUE']);
  assert.deepEqual(who[1], ['Username', 'vic']);
  assert.deepEqual(who[2], ['Groups', '[viewers system:authenticated]']);
}

for (const version of MATRIX) {
  test(`kubectl ${version}: get, describe, create, apply, patch, label, scale, watch, delete, auth`, { timeout: 180000 }, async (t) => {
    if (!kubectlPath(version)) return t.skip(`kubectl.${version} is not installed`);
    return scenario(version, t);
  });
}
