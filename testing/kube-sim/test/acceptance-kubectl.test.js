'use strict';
// Issue 2's acceptance: every kubectl scenario (test/support/scenarios.js) with kubectl 1.27, 1.30,
// 1.31 and 1.33 straight against kube-sim, asserting what a user sees on a real cluster: table
// headers and rows, the one-line results of writes, error texts, exit codes, exec and port-forward
// output. A fresh kube-sim per kubectl version, emulating 1.33 (kubectl 1.27's whoami needs a 1.27
// server: it only knows the v1beta1 SelfSubjectReview that 1.33 no longer serves).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const YAML = require('yaml');
const { startSim, kubectlPath, tempDir, readRequestLog, MATRIX, KUBECTL_DIR } = require('./support/harness');
const { SCENARIOS, kubectlRunner, POD } = require('./support/scenarios');

const AGE = /^\d+s$/; // everything here is seconds old
const APP_LINE = /^\S+Z INFO handled request id=\d+ method=GET path=\S+ status=\d{3} duration_ms=\d+$/;

// Table rows split into cells (kubectl pads columns with 2+ spaces).
const rows = (text) => text.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/));

// A command that must have succeeded: exit code 0, nothing on stderr unless allowed; its stdout.
function ok(r, what, { stderr = '' } = {}) {
  assert.equal(r.code, 0, `${what}: exit ${r.code}, stderr: ${r.stderr}`);
  assert.equal(r.stderr, stderr, `${what}: stderr`);
  return r.stdout;
}

// A command that must have failed with `code` and exactly `stderr` (string) or matching it (RegExp).
function fails(r, what, code, stderr) {
  assert.equal(r.code, code, `${what}: exit code (stdout: ${r.stdout}, stderr: ${r.stderr})`);
  if (stderr instanceof RegExp) assert.match(r.stderr, stderr, what);
  else assert.equal(r.stderr, stderr, what);
}

const CHECKS = {
  'get table'(r) {
    const pods = rows(ok(r.pods, 'get pods'));
    assert.deepEqual(pods[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.deepEqual(pods.slice(1).map((p) => p.slice(0, 4)), [
      ['web-7d9f8b6c5d-q8m3z', '1/1', 'Running', '0'], ['web-7d9f8b6c5d-x2k4p', '1/1', 'Running', '0']]);
    assert.ok(pods.slice(1).every((p) => AGE.test(p[4])), r.pods.stdout);
    const wide = rows(ok(r.wide, 'get pods -o wide'));
    assert.deepEqual(wide[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    const x = wide.find((p) => p[0] === POD);
    assert.match(x[5], /^10\.244\.\d+\.\d+$/);
    assert.deepEqual(x.slice(6), ['sim-node-1', '<none>', '<none>']);
    const deps = rows(ok(r.deployments, 'get deployments'));
    assert.deepEqual(deps[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.deepEqual(deps.slice(1).map((d) => d.slice(0, 4)), [['web', '2/2', '2', '2']]);
    const ns = rows(ok(r.namespaces, 'get namespaces -l environment'));
    assert.deepEqual(ns.map((n) => n.slice(0, 2)), [['NAME', 'STATUS'], ['production', 'Active'], ['staging', 'Active']]);
    fails(r.missing, 'get a missing pod', 1, 'Error from server (NotFound): pods "no-such-pod" not found\n');
  },

  'get -o yaml'(r) {
    const podYaml = ok(r.pod, 'get pod -o yaml');
    assert.match(podYaml, /^apiVersion: v1\nkind: Pod\nmetadata:\n {2}creationTimestamp: "\S+Z"\n/);
    const pod = YAML.parse(podYaml);
    assert.equal(pod.metadata.name, POD);
    assert.match(pod.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(pod.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(pod.spec.volumes[0], { name: 'db', secret: { secretName: 'db-credentials', defaultMode: 420 } });
    assert.equal(pod.status.phase, 'Running');
    const dep = YAML.parse(ok(r.deployment, 'get deployment -o yaml'));
    assert.deepEqual([dep.apiVersion, dep.kind, dep.spec.replicas, dep.status.readyReplicas], ['apps/v1', 'Deployment', 2, 2]);
    assert.equal(dep.spec.strategy.type, 'RollingUpdate');
  },

  'get -o json'(r) {
    const listText = ok(r.list, 'get pods -o json');
    assert.match(listText, /\n {4}"kind": "List",\n {4}"metadata": \{\n {8}"resourceVersion": ""\n {4}\}\n\}\n$/);
    const list = JSON.parse(listText);
    assert.equal(list.apiVersion, 'v1');
    assert.deepEqual(list.items.map((i) => `${i.kind}/${i.metadata.name}`), ['Pod/web-7d9f8b6c5d-q8m3z', `Pod/${POD}`]);
    const cm = JSON.parse(ok(r.one, 'get configmap -o json'));
    assert.deepEqual([cm.kind, cm.metadata.name, cm.data.LOG_LEVEL], ['ConfigMap', 'web-config', 'info']);
  },

  'get -o jsonpath'(r) {
    assert.equal(ok(r.names, 'jsonpath names'), `web-7d9f8b6c5d-q8m3z ${POD}`);
    assert.equal(ok(r.field, 'jsonpath field'), '2');
    assert.equal(ok(r.range, 'jsonpath range'),
      `production/web-7d9f8b6c5d-q8m3z\nproduction/${POD}\nstaging/api-5c6b7f9d8-m4n7k\n`);
  },

  'get -w'(r) {
    assert.equal(ok(r.namespace, 'create namespace'), 'namespace/sc-watch created\n');
    assert.equal(ok(r.create, 'create during the watch'), 'configmap/during-watch created\n');
    assert.equal(ok(r.label, 'label during the watch'), 'configmap/during-watch labeled\n');
    assert.equal(r.watch.stderr, '', 'the watch reported no error');
    const w = rows(r.watch.stdout);
    assert.deepEqual(w.map((row) => row.slice(0, 2)), [['NAME', 'DATA'], ['before-watch', '1'], ['kube-root-ca.crt', '1'],
      ['during-watch', '2'], ['during-watch', '2']], r.watch.stdout);
    assert.ok(w.slice(1).every((row) => AGE.test(row[2])), r.watch.stdout);
  },

  'describe'(r) {
    const pod = ok(r.pod, 'describe pod');
    for (const re of [/^Name:\s+web-7d9f8b6c5d-x2k4p$/m, /^Namespace:\s+production$/m, /^Node:\s+sim-node-1\/\S+$/m,
      /^Status:\s+Running$/m, /^Controlled By:\s+ReplicaSet\/web-7d9f8b6c5d$/m, /^\s+Image:\s+nginx:1\.27$/m,
      /^\s+DB_PASSWORD:\s+<set to the key 'password' in secret 'db-credentials'>\s+Optional: false$/m,
      /^\s+\/etc\/db from db \(ro\)$/m, /^\s+SecretName:\s+db-credentials$/m, /^QoS Class:\s+BestEffort$/m,
      /^\s+Type\s+Reason\s+Age\s+From\s+Message$/m,
      /^\s+Normal\s+Scheduled\s+\d+s\s+default-scheduler\s+Successfully assigned production\/web-7d9f8b6c5d-x2k4p to sim-node-1$/m]) {
      assert.match(pod, re);
    }
    const dep = ok(r.deployment, 'describe deployment');
    for (const re of [/^Name:\s+web$/m, /^Selector:\s+app=web$/m,
      /^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$/m, /^StrategyType:\s+RollingUpdate$/m,
      /^\s+Available\s+True\s+MinimumReplicasAvailable$/m, /^\s+Progressing\s+True\s+NewReplicaSetAvailable$/m,
      /^OldReplicaSets:\s+<none>$/m, /^NewReplicaSet:\s+web-7d9f8b6c5d \(2\/2 replicas created\)$/m,
      /^\s+Normal\s+ScalingReplicaSet\s+\d+s\s+deployment-controller\s+Scaled up replica set web-7d9f8b6c5d from 0 to 2$/m]) {
      assert.match(dep, re);
    }
  },

  'create secret generic'(r, { version, sim }) {
    assert.equal(ok(r.create, 'create secret'), 'secret/sc-secret created\n');
    const got = rows(ok(r.get, 'get secret'));
    assert.deepEqual(got[0], ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.deepEqual(got[1].slice(0, 3), ['sc-secret', 'Opaque', '2']);
    assert.equal(ok(r.keys, 'jsonpath of the secret'), `Opaque ${Buffer.from('app').toString('base64')}`);
    fails(r.again, 'create it again', 1, 'error: failed to create secret secrets "sc-secret" already exists\n');
    // kubectl 1.32+ sends typed bodies as protobuf (wire §2.1); kube-sim must have decoded them.
    const posts = readRequestLog(sim).filter((l) => l.method === 'POST' && l.resource === 'secrets' && l.namespace === 'staging');
    assert.deepEqual(posts.map((p) => [p.contentType, p.code]), [
      [version >= '1.32' ? 'application/vnd.kubernetes.protobuf' : 'application/json', 201],
      [version >= '1.32' ? 'application/vnd.kubernetes.protobuf' : 'application/json', 409]]);
  },

  'apply -f (client-side)'(r) {
    assert.equal(ok(r.create, 'first apply'), 'configmap/sc-apply created\n');
    assert.equal(ok(r.change, 'apply with a change'), 'configmap/sc-apply configured\n');
    assert.equal(ok(r.same, 'apply unchanged'), 'configmap/sc-apply unchanged\n');
    assert.equal(ok(r.mode, 'the changed field'), 'slow');
    assert.deepEqual(JSON.parse(ok(r.annotated, 'last-applied-configuration')), {
      apiVersion: 'v1', kind: 'ConfigMap', data: { mode: 'slow', region: 'eu-west-1' },
      metadata: { annotations: {}, labels: { tier: 'backend' }, name: 'sc-apply', namespace: 'staging' } });
  },

  'apply --server-side'(r) {
    assert.equal(ok(r.create, 'first server-side apply'), 'configmap/sc-ssa serverside-applied\n');
    assert.equal(ok(r.change, 'server-side apply with a change'), 'configmap/sc-ssa serverside-applied\n');
    assert.equal(ok(r.mode, 'the changed field'), 'two');
    assert.equal(ok(r.managers, 'managed fields'), 'kubectl:Apply ');
    fails(r.conflict, 'another manager changing the field', 1,
      /^error: Apply failed with 1 conflict: conflict with "kubectl": \.data\.mode\nPlease review the fields above--they currently have other managers\./);
  },

  'patch'(r) {
    assert.equal(ok(r.create, 'create deployment'), 'deployment.apps/sc-patch created\n');
    for (const kind of ['strategic', 'merge', 'json']) assert.equal(ok(r[kind], `${kind} patch`), 'deployment.apps/sc-patch patched\n');
    assert.equal(ok(r.result, 'patched fields'), 'nginx:1.27 MODE=x web 2');
    fails(r.bad, 'a JSON patch removing a missing path', 1,
      'The request is invalid: the server rejected our request due to an error in our request\n');
  },

  'label'(r) {
    assert.equal(ok(r.create, 'create configmap'), 'configmap/sc-label created\n');
    assert.equal(ok(r.add, 'label'), 'configmap/sc-label labeled\n');
    const sel = rows(ok(r.selected, 'get -l -L'));
    assert.deepEqual(sel[0], ['NAME', 'DATA', 'AGE', 'COLOR']);
    assert.equal(sel.length, 2, r.selected.stdout);
    assert.deepEqual([sel[1][0], sel[1][1], sel[1][3]], ['sc-label', '1', 'blue']);
    fails(r.refused, 'label without --overwrite', 1, "error: 'color' already has a value (blue), and --overwrite is false\n");
    assert.equal(ok(r.overwrite, 'label --overwrite'), 'configmap/sc-label labeled\n');
    assert.equal(ok(r.remove, 'label color-'), 'configmap/sc-label unlabeled\n');
  },

  'scale'(r) {
    assert.equal(ok(r.create, 'create deployment'), 'deployment.apps/sc-scale created\n');
    assert.equal(ok(r.scale, 'scale'), 'deployment.apps/sc-scale scaled\n');
    const got = rows(ok(r.get, 'get the scaled deployment'));
    assert.deepEqual(got[1].slice(0, 4), ['sc-scale', '3/3', '3', '3']);
    fails(r.precondition, 'scale --current-replicas=2', 1, 'error: Expected replicas to be 2, was 3\n');
  },

  'delete one'(r) {
    assert.equal(ok(r.create, 'create configmap'), 'configmap/sc-delete created\n');
    assert.equal(ok(r.delete, 'delete'), 'configmap "sc-delete" deleted\n');
    fails(r.gone, 'get after delete', 1, 'Error from server (NotFound): configmaps "sc-delete" not found\n');
    fails(r.again, 'delete again', 1, 'Error from server (NotFound): configmaps "sc-delete" not found\n');
    assert.equal(ok(r.pod, 'run a pod'), 'pod/sc-delete-pod created\n');
    assert.equal(ok(r.deletePod, 'delete the pod (waits out its graceful phase)'), 'pod "sc-delete-pod" deleted\n');
  },

  'delete --all'(r) {
    assert.equal(ok(r.namespace, 'create namespace'), 'namespace/sc-delete-all created\n');
    assert.equal(ok(r.first, 'create first'), 'secret/first created\n');
    assert.equal(ok(r.delete, 'delete --all'), 'secret "first" deleted\nsecret "second" deleted\n');
    assert.equal(ok(r.after, 'get after delete --all', { stderr: 'No resources found in sc-delete-all namespace.\n' }), '');
  },

  'logs -f'(r) {
    assert.equal(ok(r.run, 'kubectl run'), 'pod/sc-logs created\n');
    assert.equal(r.follow.stderr, '', 'logs -f reported no error');
    const lines = r.follow.stdout.split('\n');
    assert.equal(lines.length, 3, `three lines arrived: ${r.follow.stdout}`);
    assert.match(lines[0], /^\S+Z INFO sc-logs starting image=ghcr\.io\/example\/api:2\.4\.1 pid=1$/);
    for (const l of lines.slice(1)) assert.match(l, APP_LINE);
  },

  'exec'(r) {
    const env = ok(r.env, 'exec -- env').split('\n');
    for (const want of [`HOSTNAME=${POD}`, 'LOG_LEVEL=info', 'DB_PASSWORD=s3cr3t-Pr0d-p@5s', 'KUBERNETES_SERVICE_HOST=10.96.0.1']) {
      assert.ok(env.includes(want), `env has ${want}: ${r.env.stdout}`);
    }
    assert.equal(ok(r.secret, 'exec -- cat /etc/db/username'), 'app_user');
    fails(r.exitCode, 'exec -- sh -c "exit 3"', 3, 'command terminated with exit code 3\n');
    assert.equal(ok(r.stdin, 'exec -i with stdin'), 'from stdin\ndone\n');
  },

  'exec -it'(r) {
    assert.ok(!r.driver, `the pty driver failed: ${JSON.stringify(r.driver)}`);
    assert.equal(r.transcript, '/ # stty size\r\n30 100\r\n/ # stty size\r\n40 120\r\n/ # exit 3\r\ncommand terminated with exit code 3\r\n');
    assert.equal(r.code, 3);
  },

  'attach'(r) {
    const lines = r.attach.stdout.split('\n');
    assert.equal(lines.length, 2, `two lines arrived: ${r.attach.stdout} ${r.attach.stderr}`);
    for (const l of lines) assert.match(l, APP_LINE);
    assert.doesNotMatch(r.attach.stderr, /error/i);
  },

  'port-forward'(r) {
    const m = /^Forwarding from 127\.0\.0\.1:(\d+) -> 80\n/.exec(r.portForward.stdout);
    assert.ok(m, `port-forward listened: ${r.portForward.stdout} ${r.portForward.stderr}`);
    assert.equal(r.portForward.stdout, `${m[0]}Handling connection for ${m[1]}\nHandling connection for ${m[1]}\n`);
    assert.equal(r.portForward.stderr, '');
    assert.equal(r.portForward.code, 0, 'Ctrl-C ends port-forward cleanly');
    for (const [reply, urlPath] of [[r.first, '/through-port-forward'], [r.second, '/second']]) {
      assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(reply.endsWith(`\r\n\r\nhello from ${POD}:80\nGET ${urlPath}\n`), reply);
    }
  },

  'auth can-i'(r) {
    assert.deepEqual([r.adminYes.code, r.adminYes.stdout], [0, 'yes\n']);
    assert.deepEqual([r.viewerYes.code, r.viewerYes.stdout], [0, 'yes\n']);
    assert.deepEqual([r.viewerNo.code, r.viewerNo.stdout], [1, 'no\n']);
    assert.deepEqual([r.viewerSecrets.code, r.viewerSecrets.stdout], [1, 'no\n']);
  },

  'auth whoami'(r) {
    assert.deepEqual(rows(ok(r.table, 'auth whoami')), [
      ['ATTRIBUTE', 'VALUE'], ['Username', 'kube-sim-admin'], ['Groups', '[system:masters system:authenticated]']]);
    const review = JSON.parse(ok(r.json, 'auth whoami -o json'));
    assert.equal(review.kind, 'SelfSubjectReview');
    assert.deepEqual(review.status.userInfo, { username: 'kube-sim-admin', groups: ['system:masters', 'system:authenticated'] });
  },

  'explain'(r) {
    const field = ok(r.field, 'explain deployment.spec.replicas');
    assert.match(field, /^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n\nFIELD: replicas <integer>\n\n+DESCRIPTION:\n {4}\S/);
    const kind = ok(r.kind, 'explain pods');
    assert.match(kind, /^KIND:\s+Pod\nVERSION:\s+v1\n\nDESCRIPTION:\n {4}\S[\s\S]*\nFIELDS:\n/);
    for (const f of ['apiVersion\t<string>', 'kind\t<string>', 'metadata\t<ObjectMeta>', 'spec\t<PodSpec>', 'status\t<PodStatus>']) {
      assert.ok(kind.includes(`\n  ${f}\n    `), `explain pods lists ${f} with a description`);
    }
    const nested = ok(r.nested, 'explain pods.spec.containers.ports');
    assert.match(nested, /^FIELD: ports <\[\]ContainerPort>$/m);
    assert.match(nested, /^ {2}containerPort\t<integer> -required-\n {4}\S/m);
    fails(r.unknown, 'explain a missing field', 1, 'error: field "nosuch" does not exist\n');
  },
};

// The server a scenario needs when the default 1.33 one will not do.
function emulatedFor(name, version) {
  return name === 'auth whoami' && version === '1.27' ? '1.27' : null;
}

async function runScenario(name, version, shared) {
  const special = emulatedFor(name, version);
  const sim = special ? await startSim({ emulatedVersion: special }) : shared.sim;
  try {
    const run = special ? kubectlRunner(shared.bin, { admin: sim.adminKubeconfig }) : shared.run;
    const result = await SCENARIOS[name](run, { dir: shared.dir });
    CHECKS[name](result, { version, sim });
  } finally {
    if (special) await sim.close();
  }
}

for (const version of MATRIX) {
  test(`kubectl ${version} directly against kube-sim: issue 2's scenarios`, { timeout: 300000 }, async (t) => {
    const bin = kubectlPath(version);
    if (!bin) return t.skip(`kubectl.${version} is not installed in ${KUBECTL_DIR}: its scenarios did not run`);
    const sim = await startSim({ emulatedVersion: '1.33' });
    const dir = tempDir(`acceptance-${version}`);
    t.after(async () => { await sim.close(); fs.rmSync(dir, { recursive: true, force: true }); });
    const shared = { sim, dir, bin, run: kubectlRunner(bin, { admin: sim.adminKubeconfig, viewer: sim.kubeconfigFor('viewer') }) };
    for (const name of Object.keys(SCENARIOS)) {
      await t.test(name, { timeout: 60000 }, () => runScenario(name, version, shared));
    }
  });
}
