'use strict';
// Bounded memory (issue 3): a 100 MB list streams through without being buffered whole, and idle
// watches are cheap. Measured as the gateway's resident memory (VmRSS) around the load.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const https = require('node:https');
const { startGateway } = require('./support/gateway');

const MiB = 1024 * 1024;

function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

function agentOptions(gw, cert) {
  return { ca: fs.readFileSync(gw.pki.caFile), cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key), agent: false };
}

function seedBulk(gw, count, bytesEach) {
  const { sim } = gw.sim;
  const resources = require('../../testing/kube-sim/lib/resources');
  resources.seedObject(sim, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bulk' } });
  const filler = 'x'.repeat(bytesEach);
  for (let i = 0; i < count; i++) {
    resources.seedObject(sim, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'bulk' }, data: { blob: filler } });
  }
}

test('a 100 MB list streams through with less than 16 MiB of gateway memory growth', { timeout: 180000 }, async (t) => {
  const gw = await startGateway();
  t.after(() => gw.stop());
  seedBulk(gw, 1000, 100 * 1024);
  const cert = gw.pki.client('bulk-reader', ['agents:admin']);
  const opts = agentOptions(gw, cert);
  // Warm up the worker threads and pools on a small request first.
  await new Promise((resolve, reject) => https.get(`${gw.url}/api/v1/namespaces/default/pods`, opts, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
  const baseline = rssOf(gw.child.pid);
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, rssOf(gw.child.pid)); }, 20);
  const bytes = await new Promise((resolve, reject) => {
    https.get(`${gw.url}/api/v1/namespaces/bulk/configmaps`, opts, (res) => {
      let n = 0;
      res.on('data', (c) => { n += c.length; });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    }).on('error', reject);
  });
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(gw.child.pid));
  t.diagnostic(`streamed ${(bytes / MiB).toFixed(1)} MiB; gateway RSS ${(baseline / MiB).toFixed(1)} -> peak ${(peak / MiB).toFixed(1)} MiB`);
  assert.ok(bytes > 100 * 1000 * 1000, `the whole list arrived (${bytes} bytes)`);
  assert.ok(peak - baseline < 16 * MiB, `RSS grew by ${((peak - baseline) / MiB).toFixed(1)} MiB`);
});

// Two TLS endpoints per watch (~45 KiB of OpenSSL state: SSL objects, cipher contexts, the peer
// certificates) leave little room: the gateway's own share is a few small pending operations.
test('1,000 concurrent idle watches cost less than 64 KiB each', { timeout: 180000 }, async (t) => {
  const gw = await startGateway();
  t.after(() => gw.stop());
  const cert = gw.pki.client('watcher', ['agents:admin']);
  const opts = agentOptions(gw, cert);
  const rv = gw.sim.sim.store.resourceVersion();
  const open = [];
  const watch = () => new Promise((resolve, reject) => {
    const req = https.get(`${gw.url}/api/v1/namespaces/staging/configmaps?watch=1&resourceVersion=${rv}`, opts, (res) => {
      open.push(req);
      resolve(res.statusCode);
    });
    req.on('error', reject);
  });
  for (let i = 0; i < 20; i++) await watch();  // warm-up: pools, thread arenas, TLS contexts
  await new Promise((r) => setTimeout(r, 500));
  const baseline = rssOf(gw.child.pid);
  const count = 1000;
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, watch));
    assert.ok(batch.every((code) => code === 200));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssOf(gw.child.pid);
  const perWatch = (after - baseline) / count;
  t.diagnostic(`gateway RSS ${(baseline / MiB).toFixed(1)} -> ${(after / MiB).toFixed(1)} MiB: ${(perWatch / 1024).toFixed(1)} KiB per idle watch`);
  for (const req of open) req.destroy();
  assert.ok(perWatch < 64 * 1024, `${(perWatch / 1024).toFixed(1)} KiB per watch`);
});
