'use strict';
// The splitOutput test option (lib/split-output.js): a string named in `within` reaches the client
// in two reads, for a plain GET, a watch event, a log line and an exec frame, while the bytes as a
// whole are exactly what kube-sim sends without the option. Off by default.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const WebSocket = require('ws');
const { startSim } = require('./support/harness');
const { OutputSplitter } = require('../lib/split-output');

const NEEDLE = 'kgcanary-0123456789abcdef';
const HALF = NEEDLE.length >> 1;

function adminTls(sim) {
  const certs = path.join(sim.stateDir, 'certs');
  return { ca: fs.readFileSync(sim.caFile), cert: fs.readFileSync(path.join(certs, 'admin.crt')),
           key: fs.readFileSync(path.join(certs, 'admin.key')) };
}

// GET with the admin certificate; resolves {status, chunks: [Buffer]} as the socket delivered them.
// `until(text)` ends a streaming request early.
function getChunks(sim, urlPath, { until } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(urlPath, sim.url), { ...adminTls(sim), agent: false }, (res) => {
      const chunks = [];
      const done = () => resolve({ status: res.statusCode, chunks });
      res.on('data', (c) => {
        chunks.push(c);
        if (until && until(Buffer.concat(chunks).toString())) { done(); req.destroy(); }
      });
      res.on('end', done);
    });
    req.on('error', (e) => { if (!until) reject(e); });
    req.end();
  });
}

function post(sim, urlPath, obj) {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(urlPath, sim.url), { ...adminTls(sim), method: 'POST', agent: false,
      headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`POST ${urlPath}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(obj));
  });
}

// The needle is whole in no chunk, and one chunk ends with its first half.
function assertSplit(chunks, what) {
  const texts = chunks.map((c) => c.toString('latin1'));
  assert.ok(texts.join('').includes(NEEDLE), `${what}: the needle is in the answer`);
  assert.ok(!texts.some((t) => t.includes(NEEDLE)), `${what}: no single read holds the whole needle`);
  assert.ok(texts.some((t) => t.endsWith(NEEDLE.slice(0, HALF))), `${what}: a read ends in the middle of the needle`);
}

test('pieces(): cut in the middle of every occurrence, nothing lost', () => {
  const s = new OutputSplitter({ within: ['abcd'] });
  const parts = s.pieces(Buffer.from('xxabcdyyabcd'));
  assert.deepEqual(parts.map(String), ['xxab', 'cdyyab', 'cd']);
  assert.deepEqual(s.pieces('no needle').map(String), ['no needle']);
});

test('splitOutput: GET, list, watch, logs and exec frames carry the needle in two pieces', async (t) => {
  const sim = await startSim({ splitOutput: { within: [NEEDLE], delayMs: 30 } });
  t.after(() => sim.close());
  const ns = '/api/v1/namespaces/default';
  await post(sim, `${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'split' }, stringData: { token: NEEDLE } });
  await post(sim, `${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'split' }, data: { token: NEEDLE } });
  await post(sim, `${ns}/pods`, { apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'split', annotations: { 'kube-sim.kubegate.dev/log-lines': JSON.stringify([`token=${NEEDLE}`]) } },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', 'infinity'], env: [{ name: 'TOKEN', value: NEEDLE }] }] } });

  const one = await getChunks(sim, `${ns}/configmaps/split`);
  assert.equal(one.status, 200);
  assert.equal(JSON.parse(Buffer.concat(one.chunks)).data.token, NEEDLE, 'the bytes as a whole are unchanged');
  assertSplit(one.chunks, 'GET');
  assertSplit((await getChunks(sim, `${ns}/configmaps`)).chunks, 'list');
  const watch = await getChunks(sim, `${ns}/configmaps?watch=1`, { until: (text) => text.includes(`${NEEDLE}"`) });
  assertSplit(watch.chunks, 'watch');
  const log = await getChunks(sim, `${ns}/pods/split/log`);
  assert.equal(Buffer.concat(log.chunks).toString(), `token=${NEEDLE}\n`);
  assertSplit(log.chunks, 'logs');

  const frames = await new Promise((resolve, reject) => {
    const ws = new WebSocket(`${sim.url.replace('https', 'wss')}${ns}/pods/split/exec?command=printenv&command=TOKEN&stdout=true`,
      ['v5.channel.k8s.io'], adminTls(sim));
    const got = [];
    ws.on('message', (data) => got.push(Buffer.from(data)));
    ws.on('close', () => resolve(got));
    ws.on('error', reject);
  });
  const stdout = frames.filter((f) => f[0] === 1 && f.length > 1).map((f) => f.subarray(1));
  assert.equal(Buffer.concat(stdout).toString(), `${NEEDLE}\n`);
  assertSplit(stdout, 'exec stdout frames');
});

test('without the option a small answer arrives whole', async (t) => {
  const sim = await startSim();
  t.after(() => sim.close());
  await post(sim, '/api/v1/namespaces/default/configmaps',
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'whole' }, data: { token: NEEDLE } });
  const r = await getChunks(sim, '/api/v1/namespaces/default/configmaps/whole');
  assert.ok(r.chunks.some((c) => c.toString().includes(NEEDLE)));
});
