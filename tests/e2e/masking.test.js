'use strict';
// Issue 7's acceptance: canary secrets planted in kube-sim never reach a client or the record, in
// any encoding they were planted in. Planted once, through the gateway, as an agent on the default
// profile: Secret data (kubectl create secret --from-literal), Secret stringData (kubectl apply, so
// also in last-applied-configuration), a Deployment's env values (a PASSWORD-like name, and a
// harmless name holding an AWS key), a pod annotation, a log line, mounted secret files, ConfigMap
// keys. Then every read a client makes: get -o yaml/json/jsonpath, describe, get -w, paged lists,
// logs, logs -f, exec cat, exec env, exec -i with secrets piped into stdin, with each kubectl of
// the matrix, the python client (whose typed Secret must still decode) and kubernetes-mcp-server.
// A protobuf-only client gets 406.
// Canaries kube-sim cuts in two with a pause between the halves (splitOutput) stay masked. Then the record: the database's every
// entry and attachment, the CLI's query, export and session replays. Last, an identity whose
// policy rule names the revealing profile sees the real values: the canaries are really there.
//
// Canary kinds: `kgcanary-<16 hex>` (a user pattern in the test's masking config), `AKIA…` (the
// built-in AWS access key detector), and a value no detector knows, only in Secret data, which
// structural masking must hide whatever its content.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const https = require('node:https');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { spawn, execFileSync } = require('node:child_process');
const { startGateway, KUBEGATE } = require('./support/gateway');
const harness = require('../../testing/kube-sim/test/support/harness');
const { McpClient, mcpAvailable } = require('../../testing/kube-sim/test/support/mcp');

const { startSim, kubectlPath, run, tempDir, MATRIX } = harness;
const PYTHON = '/usr/bin/python3';
const MASKED = 'kubegate:masked';
const MASKED_B64 = Buffer.from(MASKED).toString('base64');
const VERSIONS = MATRIX.filter((v) => kubectlPath(v));
const NEWEST = VERSIONS[VERSIONS.length - 1];
const AGENT = { user: 'masked-agent', groups: ['agents:admin'] };
const TRUSTED = { user: 'trusted-agent', groups: ['agents:admin', 'trusted'] };
const NS = 'default';

const hex = () => crypto.randomBytes(8).toString('hex');
const akia = () => `AKIA${Array.from(crypto.randomBytes(16), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b & 31]).join('')}`;
const kg = () => `kgcanary-${hex()}`;
// One canary per place it is planted, so a failure names the place.
const C = {
  literal: kg(), literalAws: akia(), structural: `Zq7.${hex()}.plain`,
  applied: kg(), appliedAws: akia(), appliedStructural: `Wv3.${hex()}.plain`,
  env: kg(), envAws: akia(), annotation: kg(), log: kg(), logAws: akia(),
  configMap: kg(), configMapAws: akia(), split: kg(), splitAws: akia(), stdin: kg(), stdinAws: akia(),
};
const SPLIT_PAUSE_MS = 150;
// What an agent pipes into `exec -i`: the pod gets it as sent, the record keeps it masked.
const STDIN_TEXT = `token ${C.stdin}\nkey ${C.stdinAws}\n`;

// Every form a canary was planted in: as is, and base64 at each of the three alignments it can
// have inside a longer encoded value (the characters that depend on its neighbours left out).
function forms(value) {
  const out = [value];
  for (let shift = 0; shift < 3; shift += 1) {
    const enc = Buffer.concat([Buffer.alloc(shift, 0x20), Buffer.from(value)]).toString('base64');
    const start = shift === 0 ? 0 : Math.ceil((shift * 4) / 3) + 1;
    const whole = Math.floor((shift + value.length) / 3) * 4;
    out.push(enc.slice(start, whole));
  }
  return out;
}
const CANARY_FORMS = Object.entries(C).flatMap(([name, v]) => forms(v).map((form) => ({ name, form })));

// The canaries found in `text` (whitespace removed too, for line-wrapped base64): [] when clean.
function leaks(text) {
  const flat = text.replace(/\s+/g, '');
  return CANARY_FORMS.filter(({ form }) => text.includes(form) || flat.includes(form)).map(({ name, form }) =>
    (form === C[name] ? name : `${name} (base64)`));
}

function assertClean(what, text) {
  assert.deepEqual([...new Set(leaks(text))], [], `${what}: canaries reached the client`);
}

const MASKING = `masking:
  defaultProfile: default
  profiles:
    default:
      patterns: [{name: canary, regex: 'kgcanary-[a-z0-9]{16}'}]
    reveal: {secretValues: false, lastAppliedConfiguration: false, envNames: [], configMapKeys: [], detectors: [], streams: false}
`;
const POLICY = `rules:
  - {id: trusted-sees-values, effect: allow, match: {subjects: {groups: [trusted]}}, maskingProfile: reveal}
  - {id: allow-all, effect: allow}
`;

const APPLIED_SECRET = `apiVersion: v1
kind: Secret
metadata: {name: canary-applied, namespace: ${NS}}
type: Opaque
stringData:
  password: ${C.applied}
  aws-key: "aws ${C.appliedAws}"
  plain: ${C.appliedStructural}
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: canary-app, namespace: ${NS}, labels: {app: canary}}
spec:
  replicas: 1
  selector: {matchLabels: {app: canary}}
  template:
    metadata:
      labels: {app: canary}
      annotations:
        example.com/note: "deployed by ${C.annotation}"
        kube-sim.kubegate.dev/log-lines: '["connecting to db password=${C.log} key=${C.logAws}", "split ${C.split} ${C.splitAws}"]'
    spec:
      containers:
        - name: app
          image: busybox:1.36
          command: [sleep, infinity]
          env:
            - {name: DB_PASSWORD, value: ${C.env}}
            - {name: GREETING, value: "hello ${C.envAws}"}
            - {name: SPLIT_TOKEN, value: ${C.split}}
            - name: API_TOKEN
              valueFrom: {secretKeyRef: {name: canary-literal, key: token}}
          volumeMounts:
            - {name: creds, mountPath: /etc/canary, readOnly: true}
            - {name: split, mountPath: /etc/split, readOnly: true}
      volumes:
        - name: creds
          secret: {secretName: canary-literal, items: [{key: token, path: token}, {key: aws, path: aws}]}
        - name: split
          secret: {secretName: canary-split}
`;

let gw;
let sim;
let kubeconfig;
let trustedKubeconfig;
let podName;
const work = tempDir('masking');

test.before(async () => {
  // The pause between the halves is longer than the gateway's quiet time (50 ms) for held exec
  // output, so every split canary in an exec crosses a pause release: what may be a secret's
  // first half must stay held through it.
  sim = await startSim({ splitOutput: { within: [C.split, C.splitAws], delayMs: SPLIT_PAUSE_MS } });
  try {
    gw = await startGateway({ sim, policy: POLICY, extraConfig: MASKING });
  } catch (e) {
    await sim.close();
    throw e;
  }
  kubeconfig = gw.kubeconfigFor(AGENT.user, AGENT.groups);
  trustedKubeconfig = gw.kubeconfigFor(TRUSTED.user, TRUSTED.groups);
});

test.after(async () => {
  if (gw) await gw.stop();
  await sim.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const kubectl = (args, { version = NEWEST, as = kubeconfig, input } = {}) =>
  harness.kubectl(version, null, args, { kubeconfig: as, input });

// Runs kubectl until `done(stdout)` holds or `ms` pass, then kills it (get -w, logs -f).
function kubectlUntil(version, args, done, ms = 8000) {
  const home = tempDir('home');
  const child = spawn(kubectlPath(version), ['--kubeconfig', kubeconfig, '--cache-dir', path.join(home, 'cache'), ...args],
    { env: { HOME: home, PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.stdout.on('data', (c) => { stdout += c; if (done(stdout)) child.kill('SIGKILL'); });
    child.stderr.on('data', (c) => { stderr += c; });
    child.on('close', () => {
      clearTimeout(timer);
      fs.rmSync(home, { recursive: true, force: true });
      resolve({ stdout, stderr, complete: done(stdout) });
    });
  });
}

test('plant the canaries through the gateway', { timeout: 60000 }, async () => {
  const ok = (r, what) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  ok(await kubectl(['-n', NS, 'create', 'secret', 'generic', 'canary-literal', `--from-literal=token=${C.literal}`,
    `--from-literal=aws=${C.literalAws}`, `--from-literal=plain=${C.structural}`]), 'create secret');
  ok(await kubectl(['-n', NS, 'create', 'secret', 'generic', 'canary-split', `--from-literal=token=${C.split}`,
    `--from-literal=aws=${C.splitAws}`]), 'create split secret');
  ok(await kubectl(['-n', NS, 'create', 'configmap', 'canary-config', `--from-literal=db-password=${C.configMap}`,
    `--from-literal=notes=aws ${C.configMapAws}`]), 'create configmap');
  fs.writeFileSync(path.join(work, 'secret.yaml'), APPLIED_SECRET);
  fs.writeFileSync(path.join(work, 'deployment.yaml'), DEPLOYMENT);
  ok(await kubectl(['apply', '-f', path.join(work, 'secret.yaml')]), 'apply secret');
  ok(await kubectl(['apply', '-f', path.join(work, 'deployment.yaml')]), 'apply deployment');
  for (let i = 0; i < 50 && !podName; i += 1) {
    const pods = await kubectl(['-n', NS, 'get', 'pods', '-l', 'app=canary', '-o', 'name']);
    podName = pods.stdout.trim().split('\n').filter(Boolean)[0]?.replace(/^pod\//, '');
    if (!podName) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(podName, 'the deployment has a pod');
});

// Each read a client makes, with what must stand where a value was. `expect` is a string the
// output must contain, or a function of the result returning an assertion message or null.
function scenarios(version) {
  const get = (args) => () => kubectl(['-n', NS, ...args], { version });
  const until = (args, re) => () => kubectlUntil(version, ['-n', NS, ...args], (out) => re.test(out));
  return [
    { name: 'get secret -o yaml', run: get(['get', 'secret', 'canary-literal', '-o', 'yaml']), expect: MASKED_B64 },
    { name: 'get applied secret -o json', run: get(['get', 'secret', 'canary-applied', '-o', 'json']), expect: MASKED_B64,
      also: (r) => (/last-applied-configuration/.test(r.stdout) && !/last-applied-configuration.*(kubegate:masked|a3ViZWdhdGU6bWFza2Vk)/.test(r.stdout)
        ? 'the last-applied annotation shows no masked value' : null) },
    { name: 'get secret -o jsonpath', run: get(['get', 'secret', 'canary-literal', '-o', 'jsonpath={.data.token}']),
      also: (r) => (r.stdout === MASKED_B64 ? null : `jsonpath printed ${JSON.stringify(r.stdout)}`) },
    { name: 'get configmap -o yaml', run: get(['get', 'configmap', 'canary-config', '-o', 'yaml']), expect: MASKED },
    { name: 'get deployment -o yaml', run: get(['get', 'deployment', 'canary-app', '-o', 'yaml']), expect: MASKED },
    { name: 'get replicasets -o json', run: get(['get', 'replicasets', '-l', 'app=canary', '-o', 'json']), expect: MASKED },
    { name: 'get pod -o json', run: get(['get', 'pod', podName, '-o', 'json']), expect: MASKED },
    { name: 'get pods -o jsonpath env', run: get(['get', 'pods', '-l', 'app=canary', '-o', 'jsonpath={.items[*].spec.containers[*].env}']),
      expect: MASKED },
    { name: 'describe pod', run: get(['describe', 'pod', podName]), expect: MASKED },
    { name: 'describe configmap', run: get(['describe', 'configmap', 'canary-config']), expect: MASKED },
    { name: 'describe secret', run: get(['describe', 'secret', 'canary-applied']) },
    { name: 'describe deployment', run: get(['describe', 'deployment', 'canary-app']), expect: MASKED },
    { name: 'list secrets --chunk-size=1', run: get(['get', 'secrets', '--chunk-size=1', '-o', 'yaml']), expect: MASKED_B64 },
    { name: 'list pods,configmaps --chunk-size=1', run: get(['get', 'pods,configmaps', '--chunk-size=1', '-o', 'json']), expect: MASKED },
    { name: 'get secrets -w', run: until(['get', 'secrets', '-w', '-o', 'json'], /canary-split[\s\S]*"kind": "Secret"|canary-split[\s\S]*}\s*$/),
      expect: MASKED_B64 },
    { name: 'get pods -w', run: until(['get', 'pods', '-l', 'app=canary', '-w', '-o', 'yaml'], /podIP/), expect: MASKED },
    { name: 'logs', run: get(['logs', podName]), expect: MASKED },
    { name: 'logs -f', run: until(['logs', '-f', podName], /split .*\n/), expect: MASKED },
    // One file per exec: the values have no newline, and two glued together are no longer a word.
    // Each file holds one value, so the output is the mask alone: no part of a value shows.
    ...['/etc/canary/token', '/etc/canary/aws', '/etc/split/token', '/etc/split/aws'].map((file) => (
      { name: `exec cat ${file}`, run: get(['exec', podName, '--', 'cat', file]), expect: MASKED,
        also: (r) => (r.stdout === MASKED ? null : `exec printed ${JSON.stringify(r.stdout)}`) })),
    { name: 'exec env', run: get(['exec', podName, '--', 'env']), expect: MASKED },
    { name: 'exec -i cat of piped stdin', expect: MASKED,
      run: () => kubectl(['-n', NS, 'exec', '-i', podName, '--', 'cat'], { version, input: STDIN_TEXT }) },
    { name: 'exec -i wc -c of piped stdin',
      run: () => kubectl(['-n', NS, 'exec', '-i', podName, '--', 'wc', '-c'], { version, input: STDIN_TEXT }),
      also: (r) => (r.stdout.trim() === String(Buffer.byteLength(STDIN_TEXT)) ? null
        : `the pod got ${r.stdout.trim()} bytes of stdin, not the ${Buffer.byteLength(STDIN_TEXT)} sent`) },
  ];
}

// Runs scenarios a few at a time; returns the failures as messages.
async function runScenarios(list, who) {
  const failures = [];
  const queue = [...list];
  const worker = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      const r = await s.run();
      const text = `${r.stdout}\n${r.stderr}`;
      const found = [...new Set(leaks(text))];
      if (found.length) failures.push(`${who} ${s.name}: canaries visible: ${found.join(', ')}`);
      if (r.code !== undefined && r.code !== 0) failures.push(`${who} ${s.name}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      if (s.expect && !r.stdout.includes(s.expect)) failures.push(`${who} ${s.name}: no ${s.expect} in the output`);
      const extra = s.also && s.also(r);
      if (extra) failures.push(`${who} ${s.name}: ${extra}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return failures;
}

for (const version of MATRIX) {
  test(`kubectl ${version}: no canary in any output, masked values where they were`, { timeout: 120000 }, async (t) => {
    if (!kubectlPath(version)) return t.skip(`kubectl.${version} is not installed`);
    assert.ok(podName, 'the canaries were planted');
    const failures = await runScenarios(scenarios(version), `kubectl ${version}`);
    assert.deepEqual(failures, []);
  });
}

const PYTHON_SCRIPT = `
import base64, json, sys
from kubernetes import client, config
from kubernetes.stream import stream
config.load_kube_config(config_file=sys.argv[1])
core, apps, api = client.CoreV1Api(), client.AppsV1Api(), client.ApiClient()
pod, out = sys.argv[2], {}
def step(name, fn):
    try:
        out[name] = fn()
    except Exception as e:
        out[name] = {"error": repr(e)[:2000]}
def secret():
    s = core.read_namespaced_secret("canary-literal", "${NS}")
    return {"data": s.data, "decoded": {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in s.data.items()}}
def paged_secrets():
    items, token = [], None
    while True:
        page = core.list_namespaced_secret("${NS}", limit=1, _continue=token)
        items += [api.sanitize_for_serialization(i) for i in page.items]
        token = page.metadata._continue
        if not token:
            return items
step("secret", secret)
step("applied", lambda: api.sanitize_for_serialization(core.read_namespaced_secret("canary-applied", "${NS}")))
step("secrets", paged_secrets)
step("configmap", lambda: api.sanitize_for_serialization(core.read_namespaced_config_map("canary-config", "${NS}")))
step("deployment", lambda: api.sanitize_for_serialization(apps.read_namespaced_deployment("canary-app", "${NS}")))
step("pod", lambda: api.sanitize_for_serialization(core.read_namespaced_pod(pod, "${NS}")))
step("log", lambda: core.read_namespaced_pod_log(pod, "${NS}"))
ex = lambda cmd: stream(core.connect_get_namespaced_pod_exec, pod, "${NS}", command=cmd, stderr=True, stdin=False, stdout=True, tty=False)
step("cat", lambda: ex(["cat", "/etc/canary/token", "/etc/split/token"]))
step("env", lambda: ex(["env"]))
print(json.dumps(out))
`;

test('python3-kubernetes: the typed Secret decodes to the masked value, nothing leaks', { timeout: 60000 }, async (t) => {
  if (!fs.existsSync(PYTHON)) return t.skip('python3 is not installed');
  const home = tempDir('python');
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  const r = await run(PYTHON, ['-c', PYTHON_SCRIPT, kubeconfig, podName], { env: { HOME: home, PATH: process.env.PATH } });
  assertClean('python client', `${r.stdout}\n${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const errors = Object.entries(out).filter(([, v]) => v && v.error).map(([k, v]) => `${k}: ${v.error}`);
  assert.deepEqual(errors, [], 'every python step ran');
  assert.deepEqual(out.secret.decoded, { aws: MASKED, plain: MASKED, token: MASKED }, 'the typed client decodes the masked data');
  for (const step of ['pod', 'deployment', 'configmap', 'log', 'cat', 'env']) {
    assert.ok(JSON.stringify(out[step]).includes(MASKED), `python ${step}: the masked marker stands where a value was`);
  }
});

test('kubernetes-mcp-server: nothing leaks through its tools', { timeout: 90000 }, async (t) => {
  if (!mcpAvailable()) return t.skip('kubernetes-mcp-server is not installed (npm ci in testing/kube-sim)');
  const home = tempDir('mcp');
  const mcp = new McpClient(kubeconfig, home);
  t.after(() => { mcp.close(); fs.rmSync(home, { recursive: true, force: true }); });
  await mcp.initialize();
  const calls = {
    secret: ['resources_get', { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'canary-applied' }],
    secrets: ['resources_list', { apiVersion: 'v1', kind: 'Secret', namespace: NS }],
    configmap: ['resources_get', { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'canary-config' }],
    pod: ['pods_get', { namespace: NS, name: podName }],
    deployment: ['resources_get', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'canary-app' }],
    log: ['pods_log', { namespace: NS, name: podName }],
    cat: ['pods_exec', { namespace: NS, name: podName, command: ['cat', '/etc/canary/token', '/etc/split/token'] }],
    env: ['pods_exec', { namespace: NS, name: podName, command: ['env'] }],
  };
  const failures = [];
  for (const [what, [tool, args]] of Object.entries(calls)) {
    const r = await mcp.callTool(tool, args);
    const found = [...new Set(leaks(r.text))];
    if (found.length) failures.push(`mcp ${what}: canaries visible: ${found.join(', ')}`);
    if (r.isError) failures.push(`mcp ${what}: ${r.text.slice(0, 300)}`);
    else if (what !== 'secrets' && !r.text.includes(MASKED) && !r.text.includes(MASKED_B64)) failures.push(`mcp ${what}: no masked marker`);
  }
  assertClean('mcp stderr', mcp.stderr);
  assert.deepEqual(failures, []);
});

let rawCert;
function rawGet(pathname, accept) {
  rawCert = rawCert || gw.pki.client(`${AGENT.user}-raw`, AGENT.groups);
  const cert = rawCert;
  return new Promise((resolve, reject) => {
    const req = https.request(`${gw.url}${pathname}`, {
      ca: fs.readFileSync(gw.pki.caFile), cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key), agent: false,
      headers: { Accept: accept },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.setTimeout(15000, () => req.destroy(new Error(`${pathname}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

test('a client that accepts only protobuf gets 406; protobuf with a JSON fallback gets masked JSON', async () => {
  const secret = `/api/v1/namespaces/${NS}/secrets/canary-literal`;
  const failures = [];
  for (const accept of ['application/vnd.kubernetes.protobuf', 'application/yaml', 'application/cbor']) {
    const r = await rawGet(secret, accept);
    const found = leaks(r.body.toString('latin1'));
    if (found.length) failures.push(`Accept ${accept}: canaries in the answer: ${found.join(', ')}`);
    if (r.status !== 406) failures.push(`Accept ${accept}: status ${r.status}, want 406`);
  }
  for (const accept of ['application/vnd.kubernetes.protobuf, application/json', 'application/json, */*']) {
    const r = await rawGet(secret, accept);
    const found = leaks(r.body.toString('latin1'));
    if (found.length) failures.push(`Accept ${accept}: canaries in the answer: ${found.join(', ')}`);
    if (r.status !== 200 || !/^application\/json/.test(r.type || '')) failures.push(`Accept ${accept}: ${r.status} ${r.type}, want 200 JSON`);
    else if (JSON.parse(r.body).data.token !== MASKED_B64) failures.push(`Accept ${accept}: data.token is not the masked value`);
  }
  assert.deepEqual(failures, []);
});

test('canaries kube-sim cuts across two chunks or two exec frames are masked', { timeout: 60000 }, async () => {
  const failures = await runScenarios([
    { name: 'get split secret', run: () => kubectl(['-n', NS, 'get', 'secret', 'canary-split', '-o', 'json']), expect: MASKED_B64 },
    { name: 'get pod (env split)', run: () => kubectl(['-n', NS, 'get', 'pod', podName, '-o', 'json']), expect: MASKED },
    { name: 'logs (line split)', run: () => kubectl(['-n', NS, 'logs', podName]), expect: `split ${MASKED} ${MASKED}` },
    { name: 'exec cat (frames split)', run: () => kubectl(['-n', NS, 'exec', podName, '--', 'cat', '/etc/split/token']),
      also: (r) => (r.stdout === MASKED ? null : `exec printed ${JSON.stringify(r.stdout)}`) },
    { name: 'exec printenv (frames split)', run: () => kubectl(['-n', NS, 'exec', podName, '--', 'printenv', 'SPLIT_TOKEN']),
      also: (r) => (r.stdout === `${MASKED}\n` ? null : `exec printed ${JSON.stringify(r.stdout)}`) },
  ], 'split');
  assert.deepEqual(failures, []);
});

// ---- the record ------------------------------------------------------------------------------

async function kubegateCli(args) {
  return run(KUBEGATE, [...args, '--config', gw.configFile], { timeoutMs: 60000 });
}

// Every entry's document and inflated attachment, straight from the database.
async function databaseText() {
  const db = path.join(gw.dir, 'audit.db');
  const r = await run('sqlite3', ['-readonly', '-json', db,
    'SELECT seq, document, hex(attachment) AS attachment, attachment_size FROM entries ORDER BY seq'], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout || '[]');
  return rows.map((row) => {
    let attachment = '';
    if (row.attachment) {
      const raw = Buffer.from(row.attachment, 'hex');
      // A zstd frame behind marker 2 (sealed, ADR 0013; Node 20 has no zstd, so the zstd tool reads
      // it), raw deflate behind 1 or 0, or a zlib stream (the first gateways).
      const inflate = () => {
        if (raw[0] === 2) return execFileSync('zstd', ['-d', '-c', '-q'], { input: raw.subarray(1) });
        return raw[0] <= 1 ? zlib.inflateRawSync(raw.subarray(1)) : zlib.inflateSync(raw);
      };
      // An attachment that does not inflate fails the test: scanning its compressed bytes would
      // find no canary and pass whatever it holds.
      try { attachment = inflate().toString('latin1'); } catch (err) {
        assert.fail(`entry ${row.seq}: its attachment does not inflate: ${err.message}`);
      }
    }
    return { seq: row.seq, text: `${row.document}\n${attachment}` };
  });
}

// Where the record leaks a canary: its database, `audit query`, `audit export`, session replays.
async function recordLeaks() {
  await new Promise((r) => setTimeout(r, 1000)); // the audit writer commits in batches
  const failures = [];
  const entries = await databaseText();
  assert.ok(entries.length > 50, 'the scenarios were recorded');
  for (const e of entries) {
    const found = [...new Set(leaks(e.text))];
    if (found.length) failures.push(`database entry ${e.seq}: ${found.join(', ')}`);
  }
  const all = entries.map((e) => e.text).join('\n');
  if (!all.includes(MASKED) && !all.includes(MASKED_B64)) failures.push('the database holds no masked value at all');
  const query = await kubegateCli(['audit', 'query', '-o', 'json', '--limit', '1000000']);
  assert.equal(query.code, 0, query.stderr);
  const queryLeaks = [...new Set(leaks(query.stdout))];
  if (queryLeaks.length) failures.push(`audit query: ${queryLeaks.join(', ')}`);
  const exported = await kubegateCli(['audit', 'export', '--format', 'k8s']);
  assert.equal(exported.code, 0, exported.stderr);
  const exportLeaks = [...new Set(leaks(exported.stdout))];
  if (exportLeaks.length) failures.push(`audit export: ${exportLeaks.join(', ')}`);
  const execs = query.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((rec) => /\/exec\b/.test(rec.request.request.uri));
  assert.ok(execs.length > 0, 'exec sessions were recorded');
  for (const rec of execs) {
    const replay = await kubegateCli(['sessions', 'replay', '--speed', '0', rec.request.requestId]);
    const found = [...new Set(leaks(`${replay.stdout}${replay.stderr}`))];
    if (found.length) failures.push(`sessions replay ${rec.request.request.uri}: ${found.join(', ')}`);
  }
  return failures;
}

test('the record holds no canary: database, query, export and session replays', { timeout: 120000 }, async () => {
  assert.deepEqual(await recordLeaks(), []);
});

// Last: its responses are the only ones the canaries may appear in.
test('an identity whose rule names the revealing profile sees the real values', { timeout: 60000 }, async () => {
  const as = trustedKubeconfig;
  const [secret, applied, pod, cm, logs, cat, printed] = await Promise.all([
    kubectl(['-n', NS, 'get', 'secret', 'canary-literal', '-o', 'jsonpath={.data}'], { as }),
    kubectl(['-n', NS, 'get', 'secret', 'canary-applied', '-o', 'json'], { as }),
    kubectl(['-n', NS, 'get', 'pod', podName, '-o', 'json'], { as }),
    kubectl(['-n', NS, 'get', 'configmap', 'canary-config', '-o', 'json'], { as }),
    kubectl(['-n', NS, 'logs', podName], { as }),
    kubectl(['-n', NS, 'exec', podName, '--', 'cat', '/etc/canary/token', '/etc/split/token'], { as }),
    kubectl(['-n', NS, 'exec', podName, '--', 'env'], { as }),
  ]);
  const data = JSON.parse(secret.stdout);
  assert.deepEqual(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
    { aws: C.literalAws, plain: C.structural, token: C.literal });
  const appliedObj = JSON.parse(applied.stdout);
  assert.equal(Buffer.from(appliedObj.data.password, 'base64').toString(), C.applied);
  assert.match(appliedObj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], new RegExp(C.applied));
  const env = Object.fromEntries(JSON.parse(pod.stdout).spec.containers[0].env.filter((e) => e.value).map((e) => [e.name, e.value]));
  assert.deepEqual(env, { DB_PASSWORD: C.env, GREETING: `hello ${C.envAws}`, SPLIT_TOKEN: C.split });
  assert.equal(JSON.parse(pod.stdout).metadata.annotations['example.com/note'], `deployed by ${C.annotation}`);
  assert.deepEqual(JSON.parse(cm.stdout).data, { 'db-password': C.configMap, notes: `aws ${C.configMapAws}` });
  assert.equal(logs.stdout, `connecting to db password=${C.log} key=${C.logAws}\nsplit ${C.split} ${C.splitAws}\n`);
  assert.equal(cat.stdout, `${C.literal}${C.split}`);
  assert.match(printed.stdout, new RegExp(`^DB_PASSWORD=${C.env}$`, 'm'));
  assert.match(printed.stdout, new RegExp(`^API_TOKEN=${C.literal}$`, 'm'));
});

// The record is masked with the default profile whoever asked: what the revealing identity saw is
// not written into the trail.
test('the record of the revealing identity holds no canary either', { timeout: 120000 }, async () => {
  assert.deepEqual(await recordLeaks(), []);
});
