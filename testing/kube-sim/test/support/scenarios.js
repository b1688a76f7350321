'use strict';
// Issue 2's kubectl acceptance scenarios, in one place so that kube-sim's acceptance test (direct)
// and the gateway's parity test (direct vs through kubegate) run exactly the same commands.
//
// A scenario is `async (run, ctx) => result`. `run(args, opts)` runs one kubectl (the caller picks
// the version and the kubeconfigs) and resolves {code, stdout, stderr}; `run.start(args, opts)`
// starts a long-running one (watch, logs -f, attach, port-forward). The result holds every
// user-visible output the scenario produced, so callers can assert on it or compare two runs after
// `normalize`. Scenarios only read the demo seed's objects and write objects of their own, named
// after the scenario, so they can run in any order and any subset.

const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { run: runProcess, tempDir } = require('./harness');
const { ptyDriver } = require('./pty');

// Debian's python3 (pty module for exec -it), not whichever python3 a PATH shim picks.
const PYTHON = '/usr/bin/python3';
const POD = 'web-7d9f8b6c5d-x2k4p';       // demo seed: mounts secret db-credentials at /etc/db
const CHATTY_POD = 'web-7d9f8b6c5d-q8m3z'; // demo seed: writes a log line a second

// ---- running kubectl ------------------------------------------------------------------------

// Makes `run` for one kubectl binary. `kubeconfigs` maps identity names to kubeconfig files:
// `admin` (cluster-admin) is the default, `viewer` has the `view` role (for auth can-i's "no").
// Every run gets a fresh HOME and cache folder, so no discovery cache leaks between runs.
function kubectlRunner(bin, kubeconfigs) {
  const prepare = (args, identity = 'admin') => {
    if (!kubeconfigs[identity]) throw new Error(`no kubeconfig for identity '${identity}'`);
    const home = tempDir('home');
    return {
      home,
      argv: ['--kubeconfig', kubeconfigs[identity], '--cache-dir', path.join(home, 'cache'), ...args],
      env: { HOME: home, PATH: process.env.PATH },
    };
  };
  // opts: {input, timeoutMs, identity, pty}: `pty` is a python driver that gets kubectl's argv.
  async function run(args, { input, timeoutMs = 30000, identity, pty } = {}) {
    const { home, argv, env } = prepare(args, identity);
    try {
      if (pty) return await runProcess(PYTHON, ['-c', pty, bin, ...argv], { timeoutMs, env });
      return await runProcess(bin, argv, { input, timeoutMs, env });
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }
  run.start = (args, { identity } = {}) => startBackground(bin, prepare(args, identity));
  return run;
}

// A kubectl left running. waitFor(pred, ms) resolves true once pred({stdout, stderr}) holds, false
// on timeout or exit (the scenario then returns what it saw, and the assertion shows it);
// stop() sends SIGINT as Ctrl-C would and resolves {code, stdout, stderr} (code: number or signal).
function startBackground(bin, { home, argv, env }) {
  const child = spawn(bin, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  const waiters = new Set();
  const settle = () => { for (const w of waiters) if (w.pred(out)) w.done(true); };
  child.stdout.on('data', (d) => { out.stdout += d; settle(); });
  child.stderr.on('data', (d) => { out.stderr += d; settle(); });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => {
    for (const w of waiters) w.done(false);
    resolve(code === null ? signal : code);
  }));
  return {
    output: out,
    waitFor(pred, ms = 15000) {
      if (pred(out)) return Promise.resolve(true);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(false);
      return new Promise((resolve) => {
        const w = { pred, done: (v) => { clearTimeout(timer); waiters.delete(w); resolve(v); } };
        const timer = setTimeout(() => w.done(false), ms);
        waiters.add(w);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      fs.rmSync(home, { recursive: true, force: true });
      return { code, stdout: out.stdout, stderr: out.stderr };
    },
  };
}

const lineCount = (re) => (o) => o.stdout.split('\n').filter((l) => re.test(l)).length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- scenarios ------------------------------------------------------------------------------

async function getTable(run) {
  return {
    pods: await run(['get', 'pods', '-n', 'production']),
    wide: await run(['get', 'pods', '-n', 'production', '-o', 'wide']),
    deployments: await run(['get', 'deployments', '-n', 'production']),
    namespaces: await run(['get', 'namespaces', '-l', 'environment']),
    missing: await run(['get', 'pod', 'no-such-pod', '-n', 'production']),
  };
}

async function getYaml(run) {
  return {
    pod: await run(['get', 'pod', POD, '-n', 'production', '-o', 'yaml']),
    deployment: await run(['get', 'deployment', 'web', '-n', 'production', '-o', 'yaml']),
  };
}

async function getJson(run) {
  return {
    list: await run(['get', 'pods', '-n', 'production', '-o', 'json']),
    one: await run(['get', 'configmap', 'web-config', '-n', 'production', '-o', 'json']),
  };
}

async function getJsonpath(run) {
  return {
    names: await run(['get', 'pods', '-n', 'production', '-o', 'jsonpath={.items[*].metadata.name}']),
    field: await run(['get', 'deployment', 'web', '-n', 'production', '-o', 'jsonpath={.spec.replicas}']),
    // The seeded pods only: other scenarios add pods of their own.
    range: await run(['get', 'pods', '-A', '-l', 'app in (web,api)', '-o',
      'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}']),
  };
}

// get -w: the initial rows, then a row for a config map created and one for a label added while
// the watch is open.
async function getWatch(run) {
  const ns = 'sc-watch';
  const result = {
    namespace: await run(['create', 'namespace', ns]),
    before: await run(['create', 'configmap', 'before-watch', '-n', ns, '--from-literal=a=b']),
  };
  const watch = run.start(['get', 'configmaps', '-n', ns, '-w']);
  try {
    await watch.waitFor((o) => /^before-watch\s/m.test(o.stdout));
    result.create = await run(['create', 'configmap', 'during-watch', '-n', ns, '--from-literal=a=b', '--from-literal=c=d']);
    await watch.waitFor((o) => lineCount(/^during-watch\s/)(o) >= 1);
    result.label = await run(['label', 'configmap', 'during-watch', '-n', ns, 'seen=yes']);
    await watch.waitFor((o) => lineCount(/^during-watch\s/)(o) >= 2);
  } finally {
    result.watch = await watch.stop();
  }
  return result;
}

async function describe(run) {
  return {
    pod: await run(['describe', 'pod', POD, '-n', 'production']),
    deployment: await run(['describe', 'deployment', 'web', '-n', 'production']),
  };
}

// kubectl 1.32+ sends this create as protobuf; the caller checks the request log for that.
async function createSecret(run) {
  return {
    create: await run(['create', 'secret', 'generic', 'sc-secret', '-n', 'staging',
      '--from-literal=user=app', '--from-literal=password=hunter2']),
    get: await run(['get', 'secret', 'sc-secret', '-n', 'staging']),
    keys: await run(['get', 'secret', 'sc-secret', '-n', 'staging', '-o', 'jsonpath={.type} {.data.user}']),
    again: await run(['create', 'secret', 'generic', 'sc-secret', '-n', 'staging', '--from-literal=user=app']),
  };
}

const configMapYaml = (name, mode) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: staging
  labels: {tier: backend}
data:
  mode: ${mode}
  region: eu-west-1
`;

// apply -f: create, change a field, unchanged; the client-side last-applied annotation is kept.
async function applyClient(run, ctx) {
  const file = path.join(ctx.dir, 'sc-apply.yaml');
  const result = {};
  fs.writeFileSync(file, configMapYaml('sc-apply', 'fast'));
  result.create = await run(['apply', '-f', file]);
  fs.writeFileSync(file, configMapYaml('sc-apply', 'slow'));
  result.change = await run(['apply', '-f', file]);
  result.same = await run(['apply', '-f', file]);
  result.mode = await run(['get', 'configmap', 'sc-apply', '-n', 'staging', '-o', 'jsonpath={.data.mode}']);
  result.annotated = await run(['get', 'configmap', 'sc-apply', '-n', 'staging', '-o',
    'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}']);
  return result;
}

// apply --server-side: create, change a field, then a conflict with another field manager.
async function applyServer(run, ctx) {
  const file = path.join(ctx.dir, 'sc-ssa.yaml');
  const result = {};
  fs.writeFileSync(file, configMapYaml('sc-ssa', 'one'));
  result.create = await run(['apply', '--server-side', '-f', file]);
  fs.writeFileSync(file, configMapYaml('sc-ssa', 'two'));
  result.change = await run(['apply', '--server-side', '-f', file]);
  result.mode = await run(['get', 'configmap', 'sc-ssa', '-n', 'staging', '-o', 'jsonpath={.data.mode}']);
  result.managers = await run(['get', 'configmap', 'sc-ssa', '-n', 'staging', '--show-managed-fields', '-o',
    'jsonpath={range .metadata.managedFields[*]}{.manager}:{.operation} {end}']);
  fs.writeFileSync(file, configMapYaml('sc-ssa', 'three'));
  result.conflict = await run(['apply', '--server-side', '--field-manager=other', '-f', file]);
  return result;
}

// patch: strategic merge (containers merge by name, the image stays), JSON merge, JSON patch.
async function patch(run) {
  const target = ['deployment', 'sc-patch', '-n', 'staging'];
  return {
    create: await run(['create', 'deployment', 'sc-patch', '--image=nginx:1.27', '-n', 'staging']),
    strategic: await run(['patch', ...target, '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"MODE","value":"x"}]}]}}}}']),
    merge: await run(['patch', ...target, '--type=merge', '-p', '{"metadata":{"labels":{"tier":"web"}}}']),
    json: await run(['patch', ...target, '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2}]']),
    result: await run(['get', ...target, '-o', 'jsonpath={.spec.template.spec.containers[0].image} ' +
      '{.spec.template.spec.containers[0].env[0].name}={.spec.template.spec.containers[0].env[0].value} ' +
      '{.metadata.labels.tier} {.spec.replicas}']),
    bad: await run(['patch', ...target, '--type=json', '-p', '[{"op":"remove","path":"/spec/nosuch"}]']),
  };
}

async function label(run) {
  const target = ['configmap', 'sc-label', '-n', 'staging'];
  return {
    create: await run(['create', 'configmap', 'sc-label', '-n', 'staging', '--from-literal=a=b']),
    add: await run(['label', ...target, 'color=blue']),
    selected: await run(['get', 'configmaps', '-n', 'staging', '-l', 'color=blue', '-L', 'color']),
    refused: await run(['label', ...target, 'color=green']),
    overwrite: await run(['label', ...target, 'color=green', '--overwrite']),
    remove: await run(['label', ...target, 'color-']),
  };
}

// scale: the simulated deployment controller follows, as a quick cluster does; poll until ready.
async function scale(run) {
  const result = {
    create: await run(['create', 'deployment', 'sc-scale', '--image=nginx:1.27', '-n', 'staging']),
    scale: await run(['scale', 'deployment', 'sc-scale', '-n', 'staging', '--replicas=3']),
  };
  for (let i = 0; i < 25; i++) {
    const ready = await run(['get', 'deployment', 'sc-scale', '-n', 'staging', '-o', 'jsonpath={.status.readyReplicas}']);
    if (ready.stdout === '3') break;
    await sleep(200);
  }
  result.get = await run(['get', 'deployment', 'sc-scale', '-n', 'staging']);
  result.precondition = await run(['scale', 'deployment', 'sc-scale', '-n', 'staging', '--current-replicas=2', '--replicas=1']);
  return result;
}

async function deleteOne(run) {
  return {
    create: await run(['create', 'configmap', 'sc-delete', '-n', 'staging', '--from-literal=a=b']),
    delete: await run(['delete', 'configmap', 'sc-delete', '-n', 'staging']),
    gone: await run(['get', 'configmap', 'sc-delete', '-n', 'staging']),
    again: await run(['delete', 'configmap', 'sc-delete', '-n', 'staging']),
    pod: await run(['run', 'sc-delete-pod', '--image=busybox:1.36', '-n', 'staging', '--', 'sleep', 'infinity']),
    deletePod: await run(['delete', 'pod', 'sc-delete-pod', '-n', 'staging']),
  };
}

// delete --all of secrets: unlike config maps, a namespace gets no secret of its own.
async function deleteAll(run) {
  const ns = 'sc-delete-all';
  return {
    namespace: await run(['create', 'namespace', ns]),
    first: await run(['create', 'secret', 'generic', 'first', '-n', ns, '--from-literal=a=b']),
    second: await run(['create', 'secret', 'generic', 'second', '-n', ns, '--from-literal=a=b']),
    delete: await run(['delete', 'secrets', '--all', '-n', ns]),
    after: await run(['get', 'secrets', '-n', ns]),
  };
}

// logs -f on a pod of our own: the start line, then two lines the app writes a second apart.
async function logsFollow(run) {
  const result = { run: await run(['run', 'sc-logs', '--image=ghcr.io/example/api:2.4.1', '-n', 'staging']) };
  const follow = run.start(['logs', '-f', 'sc-logs', '-n', 'staging']);
  try {
    await follow.waitFor((o) => lineCount(/\S/)(o) >= 3, 10000);
  } finally {
    const stopped = await follow.stop();
    // Only the first three lines: how many more arrive before Ctrl-C lands is timing.
    result.follow = { ...stopped, stdout: stopped.stdout.split('\n').slice(0, 3).join('\n') };
  }
  return result;
}

// exec without a terminal: the environment, the mounted secret, an exit code, stdin.
async function exec(run) {
  const pod = ['-n', 'production', POD, '--'];
  return {
    env: await run(['exec', ...pod, 'env']),
    secret: await run(['exec', ...pod, 'cat', '/etc/db/username']),
    exitCode: await run(['exec', ...pod, 'sh', '-c', 'exit 3']),
    stdin: await run(['exec', '-i', ...pod, 'sh', '-c', 'cat; echo done'], { input: 'from stdin\n' }),
  };
}

// Drives `kubectl exec -it ... -- sh` in a pseudo-terminal: prompt, size, a resize, exit code.
const PTY_DRIVER = ptyDriver(String.raw`
wait_for('# '); pump(0.3)  # as a person would: kubectl's first resize is sent by a goroutine of its own
os.write(fd, b'stty size\r'); wait_for('30 100\r\n')
size(40, 120); os.kill(pid, signal.SIGWINCH); time.sleep(0.5)
os.write(fd, b'stty size\r'); wait_for('40 120\r\n')
os.write(fd, b'exit 3\r')
while pump(1): pass
`);

async function execTty(run) {
  const r = await run(['exec', '-it', '-n', 'production', POD, '--', 'sh'], { pty: PTY_DRIVER, timeoutMs: 45000 });
  let parsed = null;
  try { parsed = JSON.parse(r.stdout); } catch { /* the raw result below says what went wrong */ }
  return parsed ? { transcript: parsed.transcript, code: parsed.code } : { driver: r };
}

// attach to a container that writes a line a second: its output from now on, then Ctrl-C.
async function attach(run) {
  const attached = run.start(['attach', '-n', 'production', CHATTY_POD]);
  let result;
  try {
    await attached.waitFor((o) => lineCount(/\S/)(o) >= 2, 10000);
  } finally {
    const stopped = await attached.stop();
    result = { attach: { ...stopped, stdout: stopped.stdout.split('\n').slice(0, 2).join('\n') } };
  }
  return result;
}

function httpGet(port, urlPath) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => s.destroy(new Error('no answer within 15s')), 15000);
    s.on('data', (c) => chunks.push(c));
    s.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString()); });
    s.on('error', (e) => chunks.push(Buffer.from(`\n[socket error: ${e.message}]`)));
    s.write(`GET ${urlPath} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  });
}

// port-forward to the pod's port 80 on a free local port, and two HTTP requests through it.
async function portForward(run) {
  const pf = run.start(['port-forward', '-n', 'production', `pod/${POD}`, ':80', '--address', '127.0.0.1']);
  const result = {};
  try {
    const listening = /Forwarding from 127\.0\.0\.1:(\d+) -> 80/;
    if (await pf.waitFor((o) => listening.test(o.stdout), 20000)) {
      const port = Number(listening.exec(pf.output.stdout)[1]);
      // Both at once: each forwarded connection lingers a second after the answer (containerd's
      // grace for the other direction), and one SPDY/WebSocket session must carry both.
      [result.first, result.second] = await Promise.all([httpGet(port, '/through-port-forward'), httpGet(port, '/second')]);
      await pf.waitFor((o) => lineCount(/^Handling connection/)(o) >= 2, 2000);
    }
  } finally {
    result.portForward = await pf.stop();
  }
  return result;
}

async function authCanI(run) {
  return {
    adminYes: await run(['auth', 'can-i', 'delete', 'pods', '-n', 'production']),
    viewerYes: await run(['auth', 'can-i', 'list', 'pods', '-n', 'production'], { identity: 'viewer' }),
    viewerNo: await run(['auth', 'can-i', 'delete', 'pods', '-n', 'production'], { identity: 'viewer' }),
    viewerSecrets: await run(['auth', 'can-i', 'get', 'secrets', '-n', 'production'], { identity: 'viewer' }),
  };
}

async function authWhoami(run) {
  return {
    table: await run(['auth', 'whoami']),
    json: await run(['auth', 'whoami', '-o', 'json']),
  };
}

async function explain(run) {
  return {
    field: await run(['explain', 'deployment.spec.replicas']),
    kind: await run(['explain', 'pods']),
    nested: await run(['explain', 'pods.spec.containers.ports']),
    unknown: await run(['explain', 'pods.spec.nosuch']),
  };
}

// Name -> scenario, in the order the acceptance criteria list them.
const SCENARIOS = {
  'get table': getTable,
  'get -o yaml': getYaml,
  'get -o json': getJson,
  'get -o jsonpath': getJsonpath,
  'get -w': getWatch,
  'describe': describe,
  'create secret generic': createSecret,
  'apply -f (client-side)': applyClient,
  'apply --server-side': applyServer,
  'patch': patch,
  'label': label,
  'scale': scale,
  'delete one': deleteOne,
  'delete --all': deleteAll,
  'logs -f': logsFollow,
  'exec': exec,
  'exec -it': execTty,
  'attach': attach,
  'port-forward': portForward,
  'auth can-i': authCanI,
  'auth whoami': authWhoami,
  'explain': explain,
};

// ---- normalize ------------------------------------------------------------------------------

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TMP = escapeRe(os.tmpdir());

// What legitimately differs between two runs of a scenario, in the order it is replaced (longer
// shapes first, so a timestamp is not half-eaten by the age rule).
const RULES = [
  // kubectl's own client-side log line when a frame beats its stream set-up; timing, not output.
  [/^E\d{4} [\d:.]+\s+\d+ websocket\.go:\d+\] Unknown stream id \d+, discarding message\n/gm, ''],
  [new RegExp(`${TMP}/kube-sim-[\\w.-]+`, 'g'), '<tmp>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uid>'],
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<time>'],
  // describe's and HTTP's dates: "Sun, 29 Nov 2026 08:28:11 +0000", "... 08:29:21 GMT"
  [/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})/g, '<time>'],
  [/("?resourceVersion"?: )"\d+"/g, '$1"<rv>"'],
  // container ids, image digests, session ids: long random hex
  [/\b[0-9a-f]{20,}\b/g, '<hex>'],
  // generated names: a deployment's pods (<rs>-<5>), projected token volumes
  [/\b([a-z0-9-]+-[bcdfghjklmnpqrstvwxz2456789]{8,10})-[bcdfghjklmnpqrstvwxz2456789]{5}\b/g, '$1-<id>'],
  [/\bkube-api-access-[a-z0-9]{5}\b/g, 'kube-api-access-<id>'],
  // the simulated app's request lines: their ids and paths follow the pod's uid and the clock
  [/handled request id=\d+ method=\w+ path=\S+ status=\d+ duration_ms=\d+/g, 'handled request <request>'],
  [/\b(127\.0\.0\.1|localhost|\[::1\]):\d+/g, '$1:<port>'],
  [/^(Handling connection for )\d+$/gm, '$1<port>'],
  // ages: "0s", "5m3s", "2d", as a whole column or word
  [/(^|\s)\d+(s|m|h|d|y)(\d+(s|m|h))?(?=\s|$)/gm, '$1<age>'],
  // a table's columns are as wide as their widest value, so ages shift the padding
  [/ {2,}/g, '  '],
  [/ +$/gm, ''],
];

// normalize(output): a string, or any object/array of them (a scenario's result), with what
// legitimately differs between runs replaced by placeholders.
function normalize(output) {
  if (typeof output === 'string') return RULES.reduce((s, [re, to]) => s.replace(re, to), output);
  if (Array.isArray(output)) return output.map(normalize);
  if (output && typeof output === 'object') {
    return Object.fromEntries(Object.entries(output).map(([k, v]) => [k, normalize(v)]));
  }
  return output;
}

module.exports = { SCENARIOS, normalize, kubectlRunner, PYTHON, POD, CHATTY_POD };
