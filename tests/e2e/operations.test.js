'use strict';
// Operating the gateway (issue 3): metrics, config reload on SIGHUP, drain on SIGTERM, the upstream
// token re-read when it rotates, and an abandoned watch ending upstream at once.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const { spawn } = require('node:child_process');
const { startGateway } = require('./support/gateway');
const { kubectl, kubectlPath, readRequestLog } = require('../../testing/kube-sim/test/support/harness');

function adminGet(gw, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: gw.adminPort, path }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

function tlsOptions(gw, cert) {
  return { ca: fs.readFileSync(gw.pki.caFile), cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key), agent: false };
}

function get(url, opts) {
  return new Promise((resolve, reject) => {
    https.get(url, opts, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

const until = async (what, fn, ms = 5000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

test('metrics count requests by cluster, verb and code, and health endpoints answer', async (t) => {
  const gw = await startGateway();
  t.after(() => gw.stop());
  const opts = tlsOptions(gw, gw.pki.client('metrics-agent', ['agents:admin']));
  assert.equal((await get(`${gw.url}/api/v1/namespaces/staging/pods`, opts)).status, 200);
  assert.equal((await get(`${gw.url}/api/v1/namespaces/staging/pods/nope`, opts)).status, 404);
  assert.deepEqual(await adminGet(gw, '/healthz'), { status: 200, body: 'ok' });
  assert.deepEqual(await adminGet(gw, '/readyz'), { status: 200, body: 'ok' });
  const { body } = await adminGet(gw, '/metrics');
  assert.match(body, /kubegate_requests_total\{cluster="demo",verb="list",code="200"\} 1\n/);
  assert.match(body, /kubegate_requests_total\{cluster="demo",verb="get",code="404"\} 1\n/);
  assert.match(body, /kubegate_request_duration_seconds_count\{cluster="demo",verb="list"\} 1\n/);
});

test('client connections are spread evenly over the io threads', async (t) => {
  // A burst of connections used to land on whichever worker woke first for the shared listening
  // socket, leaving the other idle; each now goes to the worker with the fewest open connections.
  const gw = await startGateway();
  const agents = [];
  t.after(() => { for (const a of agents) a.destroy(); return gw.stop(); });
  const cert = gw.pki.client('spread-agent', ['agents:admin']);
  const answers = await Promise.all(Array.from({ length: 8 }, () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return get(`${gw.url}/api/v1/namespaces/staging/pods`, { ...tlsOptions(gw, cert), agent });
  }));
  assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200));
  const { body } = await adminGet(gw, '/metrics');
  const open = (worker) => Number(body.match(new RegExp(`kubegate_worker_connections_open\\{worker="${worker}"\\} (\\d+)`))?.[1]);
  assert.equal(open(0) + open(1), 8, body.match(/kubegate_worker_connections_open.*\n/g)?.join(''));
  assert.equal(open(0), 4);
  assert.equal(open(1), 4);
});

test('SIGHUP applies a valid config and keeps the running one when the new one is broken', async (t) => {
  const gw = await startGateway();
  t.after(() => gw.stop());
  const opts = tlsOptions(gw, gw.pki.client('reload-agent', ['agents:admin']));
  const original = fs.readFileSync(gw.configFile, 'utf8');
  const second = original.replace(/clusters:\n  - name: demo\n([\s\S]*)$/, (m, rest) => `${m}  - name: second\n${rest}`);
  assert.notEqual(second, original);
  assert.equal((await get(`https://127.0.0.1:${gw.port}/clusters/second/api`, opts)).status, 404);

  fs.writeFileSync(gw.configFile, second);
  gw.child.kill('SIGHUP');
  await until('the second cluster', async () => (await get(`https://127.0.0.1:${gw.port}/clusters/second/api`, opts)).status === 200);

  fs.writeFileSync(gw.configFile, `${second}\nnot valid: [`);
  gw.child.kill('SIGHUP');
  await until('the reload failure in the log', () => /config reload failed; the running config stays/.test(gw.log()));
  assert.equal((await get(`https://127.0.0.1:${gw.port}/clusters/second/api`, opts)).status, 200);
  const { body } = await adminGet(gw, '/metrics');
  assert.match(body, /kubegate_config_reloads_total\{result="success"\} 1\n/);
  assert.match(body, /kubegate_config_reloads_total\{result="failure"\} 1\n/);
});

test('the upstream token file is re-read within a second when it rotates', async (t) => {
  const gw = await startGateway();
  t.after(() => gw.stop());
  const opts = tlsOptions(gw, gw.pki.client('rotate-agent', ['agents:admin']));
  assert.equal((await get(`${gw.url}/api/v1/namespaces/staging/pods?m=before`, opts)).status, 200);
  const tokenFile = `${gw.dir}/upstream-token`;
  await new Promise((r) => setTimeout(r, 20));
  fs.writeFileSync(tokenFile, 'rotated-token-the-cluster-does-not-know\n');
  // The gateway looks at the file at most once a second.
  await new Promise((r) => setTimeout(r, 1100));
  const res = await get(`${gw.url}/api/v1/namespaces/staging/pods?m=after`, opts);
  assert.equal(res.status, 401, 'the cluster saw the new (unknown) token');
  const after = readRequestLog(gw.sim).filter((l) => l.query.includes('m=after'));
  assert.equal(after[0].code, 401);
});

test('a watch the client abandons ends upstream at once', { skip: !kubectlPath('1.33') && 'kubectl.1.33 not found' }, async (t) => {
  const gw = await startGateway();
  t.after(() => gw.stop());
  const store = gw.sim.sim.store;
  const before = store.watcherCount();
  const kc = gw.kubeconfigFor('watch-agent', ['agents:admin']);
  const home = fs.mkdtempSync('/tmp/kubegate-watch-');
  const child = spawn(kubectlPath('1.33'), ['--kubeconfig', kc, '--cache-dir', `${home}/cache`, '-n', 'staging', 'get', 'configmaps', '-w'],
    { env: { HOME: home, PATH: process.env.PATH } });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  await until('the watch to open upstream', () => store.watcherCount() > before && out.includes('NAME'), 15000);
  child.kill('SIGKILL');
  await until('the upstream watch to end', () => store.watcherCount() === before, 3000);
  fs.rmSync(home, { recursive: true, force: true });
});

test('SIGTERM drains: no new connections, in-flight work gets the grace, then everything stops', async (t) => {
  const gw = await startGateway();
  t.after(() => gw.stop());
  const opts = tlsOptions(gw, gw.pki.client('drain-agent', ['agents:admin']));
  // A watch is in flight when the drain begins; it is cut when the 5 s grace ends.
  const watchEnded = new Promise((resolve, reject) => {
    https.get(`${gw.url}/api/v1/namespaces/staging/configmaps?watch=1`, opts, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(Date.now()));
      res.on('error', () => resolve(Date.now()));
      res.on('aborted', () => resolve(Date.now()));
    }).on('error', () => resolve(Date.now()));
  });
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  gw.child.kill('SIGTERM');
  await until('readyz to report draining or the admin listener to close', async () => {
    try { return (await adminGet(gw, '/readyz')).status === 503; } catch { return true; }
  }, 2000);
  await assert.rejects(get(`${gw.url}/api/v1/namespaces/staging/pods`, opts), /ECONNREFUSED|ECONNRESET|socket hang up/);
  const ended = await watchEnded;
  const { code } = await gw.exited;
  assert.equal(code, 0);
  assert.ok(ended - started >= 4000, `the watch had its grace (${ended - started} ms)`);
  assert.ok(ended - started < 8000, `and was cut when it ended (${ended - started} ms)`);
});

test('an unreachable cluster is a 502 Status, a silent one a 504', async (t) => {
  const net = require('node:net');
  // A port with nothing listening, and a server that accepts and never answers.
  const closed = net.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = closed.address().port;
  await new Promise((r) => closed.close(r));
  const silent = net.createServer((s) => s.on('error', () => {}));
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => silent.close());
  const gw = await startGateway({
    limits: 'limits: {upstreamConnectTimeout: 1s, upstreamResponseTimeout: 2s}',
    extraConfig: `  - name: gone
    server: https://127.0.0.1:${closedPort}
    insecureSkipTLSVerify: true
    credentials: {tokenFile: /dev/null}
  - name: silent
    server: https://127.0.0.1:${silent.address().port}
    insecureSkipTLSVerify: true
    credentials: {tokenFile: /dev/null}
` });
  t.after(() => gw.stop());
  const opts = tlsOptions(gw, gw.pki.client('upstream-agent', ['agents:admin']));
  const gone = await get(`https://127.0.0.1:${gw.port}/clusters/gone/api`, opts);
  assert.equal(gone.status, 502);
  assert.match(JSON.parse(gone.body).message, /cluster gone is unreachable/);
  const quiet = await get(`https://127.0.0.1:${gw.port}/clusters/silent/api`, opts);
  assert.equal(quiet.status, 504, quiet.body);
  assert.match(gw.log(), /insecureSkipTLSVerify is set/);
});

test('an idle exec tunnel is cut at the idle limit', { skip: !kubectlPath('1.33') && 'kubectl.1.33 not found' }, async (t) => {
  const gw = await startGateway({ limits: 'limits: {tunnelIdleTimeout: 2s}' });
  t.after(() => gw.stop());
  const kc = gw.kubeconfigFor('tunnel-agent', ['agents:admin']);
  const home = fs.mkdtempSync('/tmp/kubegate-tunnel-');
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  const started = Date.now();
  // `cat` with an open, silent stdin would run forever; the gateway ends it.
  const child = spawn(kubectlPath('1.33'), ['--kubeconfig', kc, '--cache-dir', `${home}/cache`, '-n', 'production', 'exec', '-i',
    'web-7d9f8b6c5d-x2k4p', '--', 'cat'], { env: { HOME: home, PATH: process.env.PATH, KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' } });
  const exited = await new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(null); }, 15000);
    child.on('exit', () => { clearTimeout(timer); resolve(Date.now() - started); });
  });
  assert.ok(exited !== null, 'kubectl exec ended by itself');
  assert.ok(exited >= 1800, `not before the idle limit (${exited} ms)`);
});
