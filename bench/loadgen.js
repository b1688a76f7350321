#!/usr/bin/env node
'use strict';
// An HTTP/1.1-over-TLS load generator that can present a client certificate, which wrk cannot and
// which kubegate needs to authenticate the caller (see bench/README.md for why this exists).
//
//   node bench/loadgen.js --url https://127.0.0.1:8443/path --connections 32 --duration 10
//        [--threads 2] [--rate 5000] [--ca ca.crt] [--cert client.crt --key client.key]
//        [--expect-bytes N]
//
// Every connection is opened and its TLS handshake done before the clock starts; then each keeps
// one request in flight on its kept-alive connection (closed loop, like wrk), or, with --rate, sends
// on a fixed schedule of rate/connections requests per second per connection (open loop, like
// wrk2). Latency is taken from the moment a request is written to the last byte of its response;
// with --rate also from the moment it was due ("corrected": a request sent late because its
// connection was still busy counts its wait, so a stall cannot hide behind coordinated omission).
// Threads (worker_threads) split the connections. Prints one JSON object on stdout.

const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');
const { performance } = require('node:perf_hooks');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

function parseArgs(argv) {
  const opts = { connections: 32, duration: 10, threads: 1, rate: 0, expectBytes: -1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`missing value for ${k}`);
    switch (k) {
      case '--url': opts.url = v; break;
      case '--connections': opts.connections = Number(v); break;
      case '--duration': opts.duration = Number(v); break;
      case '--threads': opts.threads = Number(v); break;
      case '--rate': opts.rate = Number(v); break;
      case '--ca': opts.ca = v; break;
      case '--cert': opts.cert = v; break;
      case '--key': opts.key = v; break;
      case '--expect-bytes': opts.expectBytes = Number(v); break;
      default: throw new Error(`unknown option ${k}`);
    }
  }
  if (!opts.url) throw new Error('--url is required');
  return opts;
}

// ------------------------------------------------------------------------------------------------
// One kept-alive connection with one request in flight at a time.
const CRLFCRLF = Buffer.from('\r\n\r\n');

class Connection {
  constructor(run, tlsOptions, interval, offset) {
    this.run = run;
    this.interval = interval;  // ms between this connection's scheduled sends; 0 = closed loop
    this.offset = offset;
    this.state = 'idle';
    this.socket = tls.connect(tlsOptions);
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('secureConnect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err.code || err.message));
    this.socket.on('close', () => this.fail('closed'));
  }

  start(t0) {
    this.due = t0 + this.offset;
    if (this.interval) this.schedule();
    else this.send(performance.now());
  }

  schedule() {
    const wait = this.due - performance.now();
    if (wait > 0) this.timer = setTimeout(() => this.send(this.due), wait);
    else this.send(this.due);  // behind schedule: send at once, latency counts from when it was due
  }

  send(due) {
    if (this.run.stopped || this.state === 'dead') return;
    this.state = 'head';
    this.head = null;
    this.dueAt = due;
    this.sentAt = performance.now();
    this.socket.write(this.run.request);
  }

  onData(chunk) {
    let off = 0;
    while (off < chunk.length) {
      if (this.state === 'head') {
        const buf = this.head ? Buffer.concat([this.head, chunk.subarray(off)]) : chunk.subarray(off);
        const end = buf.indexOf(CRLFCRLF);
        if (end < 0) { this.head = Buffer.from(buf); return; }
        const consumed = end + 4 - (this.head ? this.head.length : 0);
        this.parseHead(buf.toString('latin1', 0, end));
        this.head = null;
        off += consumed;
        if (this.state === 'head') return;  // parseHead failed
        if (this.state === 'body' && this.remaining === 0) this.finish();
      } else if (this.state === 'body') {
        const take = Math.min(this.remaining, chunk.length - off);
        this.remaining -= take;
        this.bodyBytes += take;
        off += take;
        if (this.remaining === 0) this.finish();
      } else if (this.state === 'chunked') {
        off = this.onChunked(chunk, off);
      } else {
        this.fail('unexpected bytes');
        return;
      }
    }
  }

  parseHead(text) {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
    if (!m) { this.fail('bad status line'); return; }
    this.status = Number(m[1]);
    this.bodyBytes = 0;
    this.closeAfter = /\r\nconnection:\s*close/i.test(text);
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
    if (cl) { this.state = 'body'; this.remaining = Number(cl[1]); return; }
    if (/\r\ntransfer-encoding:\s*chunked/i.test(text)) {
      this.state = 'chunked'; this.chunkLeft = -1; this.line = ''; return;
    }
    this.fail('response without length');
  }

  // Chunked body: size line, data, CRLF; a zero-size chunk, then CRLF (no trailers expected).
  onChunked(chunk, off) {
    while (off < chunk.length) {
      if (this.chunkLeft < 0) {  // reading a size line, or the CRLF after data (chunkLeft -2)
        const nl = chunk.indexOf(10, off);
        this.line += chunk.toString('latin1', off, nl < 0 ? chunk.length : nl + 1);
        if (nl < 0) return chunk.length;
        off = nl + 1;
        const line = this.line.trim();
        this.line = '';
        if (this.chunkLeft === -2) { this.chunkLeft = -1; continue; }
        if (this.chunkLeft === -3) { if (line === '') { this.finish(); return off; } continue; }
        const size = parseInt(line, 16);
        if (Number.isNaN(size)) { this.fail('bad chunk size'); return chunk.length; }
        this.chunkLeft = size === 0 ? -3 : size;
      } else {
        const take = Math.min(this.chunkLeft, chunk.length - off);
        this.chunkLeft -= take;
        this.bodyBytes += take;
        off += take;
        if (this.chunkLeft === 0) this.chunkLeft = -2;
      }
    }
    return off;
  }

  finish() {
    const now = performance.now();
    const run = this.run;
    this.state = 'idle';
    if (!run.stopped && now <= run.deadline) {
      if (this.status < 200 || this.status > 299) run.non2xx++;
      else if (run.expectBytes >= 0 && this.bodyBytes !== run.expectBytes) run.badLength++;
      run.record(now - this.sentAt, now - this.dueAt);
    }
    if (this.closeAfter) { this.fail('server closed the connection'); return; }
    if (run.stopped) return;
    if (this.interval) { this.due += this.interval; this.schedule(); }
    else this.send(now);
  }

  fail(reason) {
    if (this.state === 'dead') return;
    this.state = 'dead';
    clearTimeout(this.timer);
    if (!this.run.stopped) {
      this.run.errors[reason] = (this.run.errors[reason] || 0) + 1;
      this.run.lost++;
    }
    this.socket.destroy();
  }
}

// ------------------------------------------------------------------------------------------------
// One thread's share of the connections.
async function runThread({ url, connections, rate, ca, cert, key, expectBytes }, startSignal) {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const tlsOptions = {
    host, port: Number(u.port || 443), ALPNProtocols: ['http/1.1'],
    ca: ca ? fs.readFileSync(ca) : undefined,
    cert: cert ? fs.readFileSync(cert) : undefined,
    key: key ? fs.readFileSync(key) : undefined,
  };
  if (!net.isIP(host)) tlsOptions.servername = host;
  const run = {
    request: Buffer.from(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n` +
                         'User-Agent: kubegate-bench\r\nAccept: application/json\r\n\r\n', 'latin1'),
    expectBytes, stopped: false, deadline: Infinity, non2xx: 0, badLength: 0, lost: 0, errors: {},
    n: 0, lat: new Float64Array(1 << 16), cor: new Float64Array(1 << 16),
    record(l, c) {
      if (this.n === this.lat.length) {
        const grow = (a) => { const b = new Float64Array(a.length * 2); b.set(a); return b; };
        this.lat = grow(this.lat); this.cor = grow(this.cor);
      }
      this.lat[this.n] = l; this.cor[this.n] = c; this.n++;
    },
  };
  const interval = rate > 0 ? (connections * 1000) / rate : 0;
  const conns = [];
  for (let i = 0; i < connections; i++) {
    conns.push(new Connection(run, tlsOptions, interval, interval ? (interval * i) / connections : 0));
  }
  await Promise.all(conns.map((c) => c.ready));
  const { t0, seconds } = await startSignal();
  run.deadline = t0 + seconds * 1000;
  for (const c of conns) c.start(Math.max(t0, performance.now()));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, run.deadline - performance.now())));
  run.stopped = true;
  for (const c of conns) { clearTimeout(c.timer); c.socket.destroy(); }
  return {
    n: run.n, lat: run.lat.subarray(0, run.n), cor: run.cor.subarray(0, run.n),
    non2xx: run.non2xx, badLength: run.badLength, lost: run.lost, errors: run.errors,
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const perThread = [];
  for (let t = 0; t < opts.threads; t++) {
    const c = Math.floor(opts.connections / opts.threads) + (t < opts.connections % opts.threads ? 1 : 0);
    if (c > 0) perThread.push(c);
  }
  const workers = perThread.map((connections) => new Worker(__filename, {
    workerData: { ...opts, connections, rate: opts.rate ? (opts.rate * connections) / opts.connections : 0 },
  }));
  const ready = workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  }));
  await Promise.all(ready);  // every connection of every thread is up
  const results = workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  }));
  for (const w of workers) w.postMessage({ seconds: opts.duration });
  const parts = await Promise.all(results);
  const n = parts.reduce((s, p) => s + p.n, 0);
  const lat = new Float64Array(n);
  const cor = new Float64Array(n);
  let at = 0;
  for (const p of parts) { lat.set(p.lat, at); cor.set(p.cor, at); at += p.n; }
  lat.sort(); cor.sort();
  const errors = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.errors)) errors[k] = (errors[k] || 0) + v;
  const round = (x) => Math.round(x * 1000) / 1000;
  const out = {
    url: opts.url, connections: opts.connections, threads: perThread.length, seconds: opts.duration,
    targetRate: opts.rate || null, requests: n, rps: round(n / opts.duration),
    p50: round(percentile(lat, 50)), p90: round(percentile(lat, 90)), p99: round(percentile(lat, 99)),
    p999: round(percentile(lat, 99.9)), max: round(lat[n - 1] || NaN),
    non2xx: parts.reduce((s, p) => s + p.non2xx, 0), badLength: parts.reduce((s, p) => s + p.badLength, 0),
    lostConnections: parts.reduce((s, p) => s + p.lost, 0), errors,
  };
  if (opts.rate) {
    Object.assign(out, { corrected: { p50: round(percentile(cor, 50)), p90: round(percentile(cor, 90)),
                                      p99: round(percentile(cor, 99)), p999: round(percentile(cor, 99.9)) } });
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  for (const w of workers) w.terminate();
}

if (isMainThread) {
  main().catch((err) => { process.stderr.write(`loadgen: ${err.stack || err}\n`); process.exit(1); });
} else {
  const start = () => new Promise((resolve) => {
    parentPort.once('message', ({ seconds }) => resolve({ t0: performance.now(), seconds }));
    parentPort.postMessage('ready');
  });
  runThread(workerData, start).then(
    (r) => parentPort.postMessage(r, [r.lat.buffer, r.cor.buffer].filter((b, i, a) => a.indexOf(b) === i)),
    (err) => { throw err; });
}
