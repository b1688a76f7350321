'use strict';
// Issue 6, the record: every request (allowed, denied, unauthenticated, malformed) is on it with the
// identity, decision and status the client saw; every request kube-sim received has a record
// written before it was forwarded, also across kill -9; `kubegate audit verify` names tampered
// entries and catches a database rolled back to an older copy; exec sessions replay byte for byte
// what kubectl (each version here) and the python client printed, interactive ones included;
// port-forward keeps connections and counts; the Kubernetes export carries the fields Falco's
// k8saudit plugin reads; the admin API serves auditors only; no audit section, no gateway.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const https = require('node:https');
const tls = require('node:tls');
const { spawn } = require('node:child_process');
const { startGateway, idpAuthentication, KUBEGATE } = require('./support/gateway');
const harness = require('../../testing/kube-sim/test/support/harness');
const { POD, SCENARIOS, kubectlRunner } = require('../../testing/kube-sim/test/support/scenarios');
const { ptyDriver } = require('../../testing/kube-sim/test/support/pty');
const { startIdp } = require('../../testing/idp/lib/idp');

const { kubectl, kubectlPath, readRequestLog, run } = harness;
const PYTHON = '/usr/bin/python3';
const PYTHON_CLIENT = path.join(__dirname, '..', '..', 'testing', 'kube-sim', 'test', 'support', 'python_client.py');
const KUBECTL_VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'].filter((v) => kubectlPath(v));
const AGENT = { user: 'agent-7', groups: ['agents:admin'] };

const POLICY = `rules:
  - id: no-namespace-deletes
    effect: deny
    match: {verbs: [delete], resources: [namespaces]}
    message: namespaces are not deleted by agents
  - {id: allow-rest, effect: allow}
`;

async function kubegateCli(gw, args, opts = {}) {
  return run(KUBEGATE, [...args, '--config', gw.configFile], { timeoutMs: 60000, ...opts });
}

// Every recorded request with its completion, oldest first.
async function records(gw) {
  const r = await kubegateCli(gw, ['audit', 'query', '-o', 'json', '--limit', '1000000']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

function statusOf(rec) {
  return rec.request.refusal ? rec.request.refusal.status : rec.response && rec.response.status;
}

function rawRequest(gw, { pathname, cert, headers = {}, method = 'GET' }) {
  return new Promise((resolve, reject) => {
    const req = https.request(`https://127.0.0.1:${gw.port}${pathname}`, {
      method, ca: fs.readFileSync(gw.pki.caFile), agent: false, headers,
      ...(cert ? { cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key) } : {}),
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.setTimeout(15000, () => req.destroy(new Error(`${pathname}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

// Bytes no HTTP client library would send: a path with a dot segment.
function malformed(gw) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: gw.port, ca: fs.readFileSync(gw.pki.caFile) }, () => {
      socket.end('GET /clusters/demo/api/v1/namespaces/../secrets HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    let data = '';
    socket.on('data', (c) => { data += c; });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

function adminGet(gw, pathname, token) {
  return new Promise((resolve, reject) => {
    const req = require('node:http').get({ host: '127.0.0.1', port: gw.adminPort, path: pathname, agent: false,
      headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.setTimeout(15000, () => req.destroy(new Error(`admin ${pathname}: no answer`)));
    req.on('error', reject);
  });
}

// A consistent copy of the live database (the WAL included), as an attacker with a backup would have.
function backupDatabase(from, to) {
  const r = require('node:child_process').spawnSync(PYTHON, ['-c',
    'import sqlite3,sys; s=sqlite3.connect(sys.argv[1]); d=sqlite3.connect(sys.argv[2]); s.backup(d); d.close()', from, to]);
  assert.equal(r.status, 0, String(r.stderr));
}

function sql(db, statement, ...params) {
  const r = require('node:child_process').spawnSync(PYTHON, ['-c',
    'import sqlite3,sys,json; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2], json.loads(sys.argv[3])); c.commit()',
    db, statement, JSON.stringify(params)]);
  assert.equal(r.status, 0, String(r.stderr));
}

let idp;
let gw;
let agentKubeconfig;

test.before(async () => {
  idp = await startIdp({ tokenTtl: 300 });
  gw = await startGateway({ policy: POLICY, extraAuth: idpAuthentication(idp) });
  agentKubeconfig = gw.kubeconfigFor(AGENT.user, AGENT.groups);
});

test.after(async () => {
  if (gw) await gw.stop();
  if (idp) await idp.close();
});

test('every request is on the record with its identity, decision and status', async () => {
  const agentCert = gw.pki.client(AGENT.user, AGENT.groups);
  const list = await kubectl('1.33', gw.sim, ['get', 'pods', '-n', 'production'], { kubeconfig: agentKubeconfig });
  assert.equal(list.code, 0, list.stderr);
  const denied = await kubectl('1.33', gw.sim, ['delete', 'namespace', 'staging'], { kubeconfig: agentKubeconfig });
  assert.notEqual(denied.code, 0);
  const anonymous = await rawRequest(gw, { pathname: '/clusters/demo/api/v1/namespaces' });
  assert.equal(anonymous.status, 401);
  const basic = await rawRequest(gw, { pathname: '/clusters/demo/api/v1/namespaces/default/pods',
    headers: { Authorization: 'Basic YWdlbnQ6c2VjcmV0' } });
  assert.equal(basic.status, 401);
  const bad = await malformed(gw);
  assert.match(bad, /^HTTP\/1\.1 400/);
  const tagged = await rawRequest(gw, { pathname: '/clusters/demo/api/v1/namespaces/default', cert: agentCert });
  assert.equal(tagged.status, 200);
  assert.match(tagged.headers['kubegate-request-id'], /^[0-9a-f]{24}$/, 'the client learns its record id');

  const all = await records(gw);
  const byId = new Map(all.map((r) => [r.request.requestId, r]));
  const mine = byId.get(tagged.headers['kubegate-request-id']);
  assert.ok(mine, 'the request id sent to the client names its record');
  assert.equal(mine.request.identity.username, AGENT.user);
  assert.deepEqual(mine.request.upstream.user, AGENT.user);
  assert.equal(mine.response.status, 200);

  const lists = all.filter((r) => r.request.request.classified && r.request.request.classified.verb === 'list' &&
    r.request.request.classified.resource === 'pods' && r.request.identity.username === AGENT.user);
  assert.ok(lists.length >= 1);
  assert.equal(lists.at(-1).request.decision.effect, 'allow');
  assert.equal(lists.at(-1).request.decision.rule, 'allow-rest');
  assert.equal(lists.at(-1).response.status, 200);
  assert.ok(lists.at(-1).response.body.kept > 0, 'the response body is kept');

  const deletes = all.filter((r) => r.request.request.classified && r.request.request.classified.verb === 'delete');
  assert.equal(deletes.length, 1);
  assert.equal(deletes[0].request.decision.effect, 'deny');
  assert.equal(deletes[0].request.decision.rule, 'no-namespace-deletes');
  assert.equal(statusOf(deletes[0]), 403);
  assert.equal(deletes[0].response, null, 'a refused request has no completion: nothing went upstream');

  const unauthenticated = all.filter((r) => !r.request.identity.authenticated && r.request.refusal &&
    r.request.refusal.status === 401);
  assert.ok(unauthenticated.length >= 1, 'the unauthenticated request is on the record');
  assert.ok(all.some((r) => r.request.refusal && r.request.refusal.status === 400), 'the malformed request is on the record');
  const basicRecord = byId.get(basic.headers['kubegate-request-id']);
  assert.equal(basicRecord.request.refusal.status, 401);
  assert.match(basicRecord.request.identity.failure, /only Bearer tokens/);
  assert.equal(basicRecord.request.request.classified.resource, 'pods', 'refused before authentication, still classified');

  // Every request kube-sim received came with a record of it, for the identity it ran as.
  const forwarded = all.filter((r) => r.request.upstream);
  for (const line of readRequestLog(gw.sim).filter((l) => l.user === AGENT.user)) {
    const uri = `/clusters/demo${line.path}${line.query ? `?${line.query}` : ''}`;
    const match = forwarded.find((r) => r.request.request.method === line.method && r.request.request.uri === uri);
    assert.ok(match, `kube-sim served ${line.method} ${uri} with no record of it`);
  }
});

test('audit verify passes, names a changed or removed entry, and catches a rolled-back copy', async () => {
  const ok = await kubegateCli(gw, ['audit', 'verify']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^OK: \d+ entries and \d+ tree heads verified/);

  const dir = fs.mkdtempSync(path.join(gw.dir, 'tamper-'));
  const db = path.join(gw.dir, 'audit.db');
  const older = path.join(dir, 'older.db');
  backupDatabase(db, older);
  // More requests, and time for a signed head that covers them to reach the heads file.
  for (let i = 0; i < 3; i++) {
    await kubectl('1.33', gw.sim, ['get', 'namespaces'], { kubeconfig: agentKubeconfig });
    await new Promise((r) => setTimeout(r, 700));
  }
  const rolledBack = await kubegateCli(gw, ['audit', '--database', older, 'verify']);
  assert.equal(rolledBack.code, 1, rolledBack.stdout + rolledBack.stderr);
  assert.match(rolledBack.stdout, /FAILED: .*removed/);

  const flipped = path.join(dir, 'flipped.db');
  backupDatabase(db, flipped);
  sql(flipped, "UPDATE entries SET document = '[' || substr(document, 2) WHERE seq = 5");  // one byte
  const changed = await kubegateCli(gw, ['audit', '--database', flipped, 'verify', '--trusted-heads', '/dev/null']);
  assert.equal(changed.code, 1, changed.stdout);
  assert.match(changed.stdout, /FAILED: entry 5 /);

  const removed = path.join(dir, 'removed.db');
  backupDatabase(db, removed);
  sql(removed, 'DELETE FROM entries WHERE seq = 3');
  const gap = await kubegateCli(gw, ['audit', '--database', removed, 'verify', '--trusted-heads', '/dev/null']);
  assert.equal(gap.code, 1, gap.stdout);
  assert.match(gap.stdout, /FAILED: entry 3 /);
});

test('exec sessions replay byte for byte what each kubectl and the python client printed', async (t) => {
  assert.ok(KUBECTL_VERSIONS.length >= 4, `kubectl versions here: ${KUBECTL_VERSIONS}`);
  const seen = [];
  for (const version of KUBECTL_VERSIONS) {
    const r = await kubectl(version, gw.sim, ['exec', '-n', 'production', POD, '--', 'sh', '-c',
      `echo version ${version}; cat /etc/db/username; echo; env`], { kubeconfig: agentKubeconfig });
    assert.equal(r.code, 0, `${version}: ${r.stderr}`);
    seen.push({ who: `kubectl ${version}`, stdout: r.stdout, marker: `version ${version}` });
  }
  const py = await run(PYTHON, [PYTHON_CLIENT, agentKubeconfig, 'exec'], { timeoutMs: 60000 });
  const step = JSON.parse(py.stdout.trim().split('\n')[0]);
  assert.ok(step.ok, py.stdout);
  seen.push({ who: 'python client', stdout: step.result.stdout, command: ['cat', '/etc/db/username'] });

  const execs = (await records(gw)).filter((r) => r.request.request.classified &&
    r.request.request.classified.subresource === 'exec' && r.request.upstream);
  for (const s of seen) {
    const rec = s.marker
      ? execs.find((r) => (r.request.request.command || []).join(' ').includes(s.marker))
      : execs.filter((r) => JSON.stringify(r.request.request.command) === JSON.stringify(s.command)).at(-1);
    assert.ok(rec, `${s.who}: no exec record`);
    const replay = await kubegateCli(gw, ['sessions', 'replay', '--speed', '0', rec.request.requestId]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.equal(replay.stdout, s.stdout, `${s.who}: the replay differs from what the client printed`);
  }
  const cat = execs.filter((r) => JSON.stringify(r.request.request.command) === '["cat","/etc/db/username"]').at(-1);
  const show = await kubegateCli(gw, ['sessions', 'show', cat.request.requestId]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /command:  cat \/etc\/db\/username/);
  assert.ok(show.stdout.includes(seen.at(-1).stdout), 'show prints the output of the command');
  const list = await kubegateCli(gw, ['sessions', 'list']);
  assert.ok(list.stdout.includes(cat.request.requestId));
});

// kubectl exec -it in a pseudo-terminal: a prompt, a command, a resize, an exit. The terminal is in
// raw mode, so what it showed is exactly the stdout the gateway relayed; the replay must equal it.
const INTERACTIVE = ptyDriver(String.raw`
wait_for('# '); pump(0.3)
os.write(fd, b'echo typed-by-the-agent\r'); wait_for('typed-by-the-agent\r\n# ')
size(40, 120); os.kill(pid, signal.SIGWINCH); time.sleep(0.5)
os.write(fd, b'stty size\r'); wait_for('40 120\r\n')
os.write(fd, b'exit 3\r')
while pump(1): pass
`);

test('an interactive exec session replays what the terminal showed, with its input and resize', async () => {
  const run = kubectlRunner(kubectlPath('1.33'), { agent: agentKubeconfig });
  const r = await run(['exec', '-it', '-n', 'production', POD, '--', 'sh'], { pty: INTERACTIVE, identity: 'agent', timeoutMs: 45000 });
  assert.ok(r.stdout.trim(), `the pty driver printed nothing: ${r.stderr}`);
  const { transcript, code } = JSON.parse(r.stdout);
  assert.equal(code, 3, transcript);
  const rec = (await records(gw)).filter((x) => JSON.stringify(x.request.request.command) === '["sh"]' && x.request.upstream).at(-1);
  const replay = await kubegateCli(gw, ['sessions', 'replay', '--speed', '0', rec.request.requestId]);
  assert.equal(replay.code, 0, replay.stderr);
  // kubectl adds its own last line (on stderr, the same terminal) from the exit Status it was sent.
  assert.equal(`${replay.stdout}command terminated with exit code 3\r\n`, transcript, 'the replay is what the terminal showed');
  const cast = await kubegateCli(gw, ['sessions', 'show', '--format', 'asciicast', rec.request.requestId]);
  const events = cast.stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l));
  assert.ok(events.some((e) => e[1] === 'i' && e[2].includes('echo typed-by-the-agent')), 'the keystrokes are recorded');
  assert.ok(events.some((e) => e[1] === 'r' && e[2] === '120x40'), 'the resize is recorded');
});

test('a port-forward session records its connections, port and bytes, not their payload', async () => {
  const run = kubectlRunner(kubectlPath('1.33'), { admin: agentKubeconfig });
  const forwarded = await SCENARIOS['port-forward'](run);
  assert.match(forwarded.first, /^HTTP\/1\.1 200/, JSON.stringify(forwarded));
  const rec = (await records(gw)).filter((x) => x.request.request.classified &&
    x.request.request.classified.subresource === 'portforward' && x.request.upstream).at(-1);
  assert.ok(rec, 'the port-forward is on the record');
  const show = await kubegateCli(gw, ['sessions', 'show', rec.request.requestId]);
  assert.equal(show.code, 0, show.stderr);
  const summary = JSON.parse(/^summary: +(.*)$/m.exec(show.stdout)[1]);
  assert.equal(summary.connections.length, 2, JSON.stringify(summary));
  for (const c of summary.connections) {
    assert.equal(c.port, 80);
    assert.ok(c.bytesToPod > 0 && c.bytesFromPod > 0, JSON.stringify(c));
  }
  assert.ok(!show.stdout.includes('through-port-forward'), 'what went through the tunnel is not kept');
});

test('the Kubernetes export carries what Falco k8saudit reads', async () => {
  const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'falco-probe', namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] } });
  const created = await kubectl('1.33', gw.sim, ['create', '-f', '-'], { kubeconfig: agentKubeconfig, input: manifest });
  assert.equal(created.code, 0, created.stderr);
  const r = await kubegateCli(gw, ['audit', 'export', '--format', 'k8s']);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  for (const e of events) {
    assert.equal(e.kind, 'Event');
    assert.equal(e.apiVersion, 'audit.k8s.io/v1');
    assert.equal(e.stage, 'ResponseComplete');
    assert.match(e.stageTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(!Number.isNaN(Date.parse(e.stageTimestamp)));
    assert.ok(e.auditID && e.verb && e.requestURI.startsWith('/'), JSON.stringify(e));
    assert.ok(Array.isArray(e.sourceIPs));
    assert.ok(e.annotations['authorization.k8s.io/decision']);
  }
  const create = events.find((e) => e.verb === 'create' && e.objectRef && e.objectRef.resource === 'pods' &&
    e.requestObject && e.requestObject.metadata.name === 'falco-probe');
  assert.ok(create, 'the pod creation is exported with its request object');
  assert.equal(create.user.username, AGENT.user);
  assert.deepEqual(create.user.extra['kubegate.dev/session'].length, 1);
  assert.equal(create.objectRef.namespace, 'default');
  assert.equal(create.requestObject.spec.containers[0].securityContext.privileged, true);
  assert.equal(create.responseStatus.code, 201);
  assert.equal(create.responseObject.metadata.name, 'falco-probe');
  assert.equal(create.annotations['authorization.k8s.io/decision'], 'allow');
  assert.equal(create.level, 'RequestResponse');
  const denied = events.find((e) => e.verb === 'delete' && e.objectRef && e.objectRef.resource === 'namespaces');
  assert.equal(denied.annotations['authorization.k8s.io/decision'], 'forbid');
  assert.equal(denied.responseStatus.code, 403);
  assert.match(denied.annotations['authorization.k8s.io/reason'], /no-namespace-deletes/);
});

test('the admin API serves the record to auditors only', async () => {
  const { accessToken: auditor } = await idp.mintToken('demo-agent', { groups: ['kubegate:auditors'] });
  const { accessToken: agent } = await idp.mintToken('demo-agent', { groups: ['agents'] });
  assert.equal((await adminGet(gw, '/audit/v1/requests?limit=5')).status, 401);
  const outsider = await adminGet(gw, '/audit/v1/requests?limit=5', agent);
  assert.equal(outsider.status, 403, outsider.body);
  const listed = await adminGet(gw, `/audit/v1/requests?identity=${AGENT.user}&verb=delete`, auditor);
  assert.equal(listed.status, 200, listed.body);
  const items = JSON.parse(listed.body).items;
  assert.equal(items.length, 1);
  assert.equal(items[0].request.decision.effect, 'deny');
  const verified = JSON.parse((await adminGet(gw, '/audit/v1/verify', auditor)).body);
  assert.equal(verified.ok, true, JSON.stringify(verified));
  const exported = await adminGet(gw, '/audit/v1/export?format=k8s&verb=delete', auditor);
  assert.equal(exported.status, 200, exported.body);
  assert.ok(exported.body.length > 0, 'the export holds the denied delete');
  assert.equal(JSON.parse(exported.body.trim().split('\n')[0]).kind, 'Event');
  assert.equal((await adminGet(gw, '/audit/v1/requests?since=yesterday', auditor)).status, 400);
});

test('a gateway without an audit section does not start, and check-config says why', async () => {
  const config = fs.readFileSync(gw.configFile, 'utf8');
  const unrecorded = path.join(gw.dir, 'no-audit.yaml');
  fs.writeFileSync(unrecorded, config.replace(/^audit:\n(?: {2}.*\n)+/m, ''));
  assert.notEqual(fs.readFileSync(unrecorded, 'utf8'), config);
  for (const command of ['check-config', 'serve']) {
    const r = await run(KUBEGATE, [command, '--config', unrecorded], { timeoutMs: 15000 });
    assert.equal(r.code, 2, `${command}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /no audit section; kubegate records every request/);
  }
});

// kill -9 while requests flow, then a restart on the same database: the log verifies, and every
// request kube-sim served has its record (written before it was forwarded).
test('kill -9 under load loses no record of a forwarded request', async () => {
  const crashGw = await startGateway({});
  try {
    const cert = crashGw.pki.client(AGENT.user, AGENT.groups);
    let stop = false;
    let sent = 0;
    const worker = async (w) => {
      for (let i = 0; !stop; i++) {
        sent++;
        await rawRequest(crashGw, { pathname: `/clusters/demo/api/v1/namespaces/default/configmaps/load-${w}-${i}`, cert })
          .catch(() => { stop = true; });
      }
    };
    const workers = Array.from({ length: 16 }, (_, w) => worker(w));
    // Killed once the load is well under way, however busy the machine is.
    const servedLoad = () => readRequestLog(crashGw.sim).filter((l) => l.path.includes('/configmaps/load-')).length;
    for (let waited = 0; waited < 15000 && servedLoad() < 80; waited += 100) await new Promise((r) => setTimeout(r, 100));
    crashGw.child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await crashGw.exited;
    assert.ok(sent > 50, `only ${sent} requests were sent before the kill`);

    // Restart on the same config and database: the log continues.
    const again = spawn(KUBEGATE, ['serve', '--config', crashGw.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`restart did not listen:\n${log}`)), 15000);
      const onData = (c) => { log += c; if (/"msg":"listening"/.test(log)) { clearTimeout(timer); resolve(); } };
      again.stdout.on('data', onData);
      again.stderr.on('data', onData);
      again.on('exit', (code) => { clearTimeout(timer); reject(new Error(`restart exited ${code}:\n${log}`)); });
    });
    again.removeAllListeners('exit');
    const stopped = new Promise((r) => again.on('exit', r));
    again.kill('SIGTERM');
    await stopped;

    const verify = await kubegateCli(crashGw, ['audit', 'verify']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const recorded = new Set((await records(crashGw)).filter((r) => r.request.upstream).map((r) => r.request.request.uri));
    const served = readRequestLog(crashGw.sim).filter((l) => l.path.includes('/configmaps/load-'));
    assert.ok(served.length > 50, `kube-sim served ${served.length} load requests`);
    for (const line of served) {
      assert.ok(recorded.has(`/clusters/demo${line.path}`), `kube-sim served ${line.path} but the record lacks it`);
    }
  } finally {
    await crashGw.stop();
  }
});
