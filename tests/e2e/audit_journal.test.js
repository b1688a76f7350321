'use strict';
// ADR 0012: with `audit.sync: normal` a request is forwarded once its entry is in the journal, and
// the writer commits it later. What a killed gateway left only in the journal joins the log at the
// next start (or with `kubegate audit recover`), each entry once; a second writer on the same
// database is refused; and when the store cannot commit, new requests get 503 until it can again,
// while the requests already forwarded stay on the record.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const { execFileSync, spawn } = require('node:child_process');
const { startGateway, run, KUBEGATE } = require('./support/gateway');
const { readRequestLog } = require('../../testing/kube-sim/test/support/harness');

const AGENT = { user: 'agent-9', groups: ['agents:admin'] };

function auditDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubegate-journal-'));
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', path.join(dir, 'signing.pem')]);
  return dir;
}

function auditSection(dir, commitInterval) {
  return `audit:
  database: ${path.join(dir, 'audit.db')}
  signingKeyFile: ${path.join(dir, 'signing.pem')}
  commitInterval: ${commitInterval}`;
}

function get(gw, pathname, cert) {
  return new Promise((resolve, reject) => {
    const req = https.request(`https://127.0.0.1:${gw.port}${pathname}`, {
      ca: fs.readFileSync(gw.pki.caFile), agent: false,
      cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key),
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.setTimeout(15000, () => req.destroy(new Error(`${pathname}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

async function cli(args) {
  return run(KUBEGATE, args, { timeoutMs: 60000 });
}

async function recordedUris(dir) {
  const r = await cli(['audit', '--database', path.join(dir, 'audit.db'), 'query', '-o', 'json', '--limit', '100000']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((rec) => rec.request.upstream).map((rec) => rec.request.request.uri);
}

async function until(what, condition, ms = 20000) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a request forwarded before kill -9 and only journaled is committed once by `audit recover` and the restart', async () => {
  const dir = auditDir();
  // A long interval keeps the entries in the journal: the kill comes before any commit.
  const gw = await startGateway({ audit: auditSection(dir, '1s') });
  try {
    const cert = gw.pki.client(AGENT.user, AGENT.groups);
    const uris = [0, 1, 2].map((i) => `/clusters/demo/api/v1/namespaces/default/configmaps/journaled-${i}`);
    const answers = await Promise.all(uris.map((uri) => get(gw, uri, cert)));
    assert.deepEqual(answers.map((a) => a.status), [404, 404, 404]);  // forwarded: kube-sim answered
    gw.child.kill('SIGKILL');
    await gw.exited;
    const served = readRequestLog(gw.sim).filter((l) => l.path.includes('/configmaps/journaled-'));
    assert.equal(served.length, 3);
    for (const uri of uris) assert.ok(!(await recordedUris(dir)).includes(uri), `${uri} was committed before the kill`);
    const segments = fs.readdirSync(path.join(dir, 'audit.db.journal')).filter((f) => f.startsWith('segment-'));
    assert.ok(segments.length >= 1, 'the journal holds the requests');

    // verify checks what the log holds, and says what waits in the journal.
    const early = await cli(['audit', '--database', path.join(dir, 'audit.db'), 'verify']);
    assert.equal(early.code, 0, early.stdout + early.stderr);
    assert.match(early.stderr, /warning: [1-9]\d* request entries are in the journal .* `kubegate audit recover` adds them/);

    const recovered = await cli(['audit', '--database', path.join(dir, 'audit.db'), 'recover',
      '--signing-key', path.join(dir, 'signing.pem')]);
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.match(recovered.stdout, /recovered [1-9]\d* entries from the journal/);
    let recorded = await recordedUris(dir);
    for (const uri of uris) assert.equal(recorded.filter((u) => u === uri).length, 1, `${uri} once in the record`);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'audit.db.journal')).filter((f) => f.startsWith('segment-')), []);

    // A restart finds nothing more to add, and the log verifies with its signed heads.
    await gw.restart();
    gw.child.kill('SIGTERM');
    await gw.exited;
    recorded = await recordedUris(dir);
    for (const uri of uris) assert.equal(recorded.filter((u) => u === uri).length, 1, `${uri} once after the restart`);
    const verified = await cli(['audit', '--database', path.join(dir, 'audit.db'), 'verify']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.doesNotMatch(verified.stderr, /in the journal/);
  } finally {
    await gw.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a journal segment cut short is named by `audit verify`, and kept aside by `audit recover`', async () => {
  const dir = auditDir();
  const gw = await startGateway({ audit: auditSection(dir, '1s') });
  const db = path.join(dir, 'audit.db');
  try {
    const cert = gw.pki.client(AGENT.user, AGENT.groups);
    const uris = [0, 1, 2].map((i) => `/clusters/demo/api/v1/namespaces/default/configmaps/torn-${i}`);
    for (const uri of uris) assert.equal((await get(gw, uri, cert)).status, 404);
    gw.child.kill('SIGKILL');
    await gw.exited;
    // A write the machine did not finish (a power cut): the last record loses its last bytes.
    const journal = path.join(dir, 'audit.db.journal');
    const newest = fs.readdirSync(journal).filter((f) => f.startsWith('segment-')).sort().pop();
    const segment = path.join(journal, newest);
    fs.truncateSync(segment, fs.statSync(segment).size - 3);

    const before = await cli(['audit', '--database', db, 'verify']);
    assert.equal(before.code, 0, before.stdout + before.stderr);
    assert.match(before.stderr, new RegExp(`the journal segment \\S*${newest} ends early .*was not forwarded`));
    assert.match(before.stderr, /warning: 2 request entries are in the journal/);

    const recovered = await cli(['audit', '--database', db, 'recover', '--signing-key', path.join(dir, 'signing.pem')]);
    assert.equal(recovered.code, 0, recovered.stderr);
    const recorded = await recordedUris(dir);
    assert.deepEqual(uris.filter((u) => recorded.includes(u)), uris.slice(0, 2), 'the whole records are committed');
    assert.ok(fs.existsSync(path.join(journal, `damaged-${newest}`)), 'the cut segment is kept, renamed');

    const after = await cli(['audit', '--database', db, 'verify']);
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.match(after.stderr, /warning: 1 journal segment\(s\) that ended early are kept aside .*damaged-segment-/);
    assert.doesNotMatch(after.stderr, /request entries are in the journal/);
  } finally {
    await gw.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('one writer per database: a second gateway and `audit recover` are refused while one runs', async () => {
  const dir = auditDir();
  const gw = await startGateway({ audit: auditSection(dir, '5ms') });
  try {
    const recover = await cli(['audit', '--database', path.join(dir, 'audit.db'), 'recover',
      '--signing-key', path.join(dir, 'signing.pem')]);
    assert.equal(recover.code, 2);
    assert.match(recover.stderr, /another process writes this audit log/);
    const second = await run(KUBEGATE, ['serve', '--config', gw.configFile], { timeoutMs: 15000 });
    assert.notEqual(second.code, 0);
    assert.match(second.stdout + second.stderr, /another process writes this audit log/);
  } finally {
    await gw.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Holds SQLite's write lock on the database from another process until stdin closes.
function lockDatabase(database) {
  const child = spawn('/usr/bin/python3', ['-c', `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
db.execute("ROLLBACK")
`, database], { stdio: ['pipe', 'pipe', 'inherit'] });
  const locked = new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => { if (String(c).includes('locked')) resolve(); });
    child.on('exit', (code) => reject(new Error(`the lock holder exited ${code}`)));
  });
  const released = new Promise((r) => child.on('exit', r));
  return { locked, release: async () => { child.stdin.end(); await released; } };
}

test('a store that cannot commit turns requests away with 503 and keeps what was forwarded', async () => {
  const dir = auditDir();
  const gw = await startGateway({ audit: auditSection(dir, '5ms') });
  let holder;
  try {
    const cert = gw.pki.client(AGENT.user, AGENT.groups);
    assert.equal((await get(gw, '/clusters/demo/api/v1/namespaces/default/configmaps/before', cert)).status, 404);
    holder = lockDatabase(path.join(dir, 'audit.db'));
    await holder.locked;
    // Journaled and forwarded; its commit then waits out the store's busy timeout and fails.
    assert.equal((await get(gw, '/clusters/demo/api/v1/namespaces/default/configmaps/during', cert)).status, 404);
    await until('the gateway to report not ready', async () => {
      const res = await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`).catch(() => null);
      return res && res.status === 503;
    });
    const refused = await get(gw, '/clusters/demo/api/v1/namespaces/default/configmaps/refused', cert);
    assert.equal(refused.status, 503);
    assert.match(refused.body, /cannot write its audit record/);
    assert.ok(!readRequestLog(gw.sim).some((l) => l.path.endsWith('/configmaps/refused')), 'a refused request reached kube-sim');

    await holder.release();
    holder = undefined;
    await until('requests to be let through again', async () =>
      (await get(gw, '/clusters/demo/api/v1/namespaces/default/configmaps/after', cert)).status === 404);
    gw.child.kill('SIGTERM');
    await gw.exited;
    const recorded = await recordedUris(dir);
    for (const name of ['before', 'during', 'after']) {
      assert.ok(recorded.includes(`/clusters/demo/api/v1/namespaces/default/configmaps/${name}`), `${name} is on the record`);
    }
  } finally {
    if (holder) await holder.release();
    await gw.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
