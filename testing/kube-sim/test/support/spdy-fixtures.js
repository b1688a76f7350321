'use strict';
// Helpers for the SPDY, exec-over-SPDY and port-forward tests: a plain-HTTP stand-in for
// kube-sim's front door that builds a real request context (lib/context.js) and hands upgrade
// requests to one handler, plus a raw SPDY/3.1 upgrade client built on lib/streams/spdy.js.

const http = require('node:http');
const net = require('node:net');
const crypto = require('node:crypto');
const { Duplex } = require('node:stream');
const { once, EventEmitter } = require('node:events');
const { createContext } = require('../../lib/context');
const { newRequestInfo } = require('../../lib/requestinfo');
const { StatusError } = require('../../lib/status');
const { SpdyClientConnection } = require('../../lib/streams/spdy');

const POD_TYPE = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };

function runningPod(name, { namespace = 'default', ports = [80], phase = 'Running', uid } = {}) {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, uid: uid || `uid-${namespace}-${name}` },
    spec: { nodeName: 'kube-sim-node', containers: [{ name: 'main', image: 'busybox', ports: ports.map((p) => ({ containerPort: p, protocol: 'TCP' })) }] },
    status: { phase },
  };
}

// A fake `sim` with just the pods the handler under test looks up.
function fakeSim(pods, emulatedVersion = '1.33') {
  const byKey = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  return {
    emulatedVersion,
    registry: { lookup: (g, v, r) => (g === '' && v === 'v1' && r === 'pods' ? POD_TYPE : undefined) },
    store: { get: (_type, ns, name) => structuredClone(byKey.get(`${ns}/${name}`) || null) },
  };
}

// Serves every request with `handler(ctx)`; a thrown StatusError is written as kube-sim's server does.
async function startFront({ sim, handler }) {
  const codes = [];
  const server = http.createServer();
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const serve = async (req, res, socket, head) => {
    if (socket) socket.on('error', () => {});
    const ctx = createContext({ req, res, socket, head, sim, requestLog: (_c, code) => codes.push(code) });
    ctx.info = newRequestInfo(ctx.method, ctx.path, ctx.query);
    try {
      await handler(ctx);
    } catch (err) {
      if (!(err instanceof StatusError)) throw err;
      ctx.sendStatus(err);
    }
  };
  server.on('request', (req, res) => serve(req, res, null, null));
  server.on('upgrade', (req, socket, head) => serve(req, null, socket, head));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port, codes,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

// Reads an HTTP response head off a raw socket: {status, headers (lowercase, arrays), rest}.
function readResponseHead(socket) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.off('error', reject);
      socket.pause();
      const [statusLine, ...lines] = buf.toString('latin1', 0, end).split('\r\n');
      const headers = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim().toLowerCase();
        (headers[k] = headers[k] || []).push(line.slice(i + 1).trim());
      }
      resolve({ status: Number(statusLine.split(' ')[1]), statusLine, headers, rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

// POSTs a SPDY upgrade. 101: {status, headers, conn (SpdyClientConnection), socket}; otherwise
// {status, headers, body} once the server closed the connection.
async function spdyUpgrade({ port, path, protocols = [], headers = {}, method = 'POST', upgrade = 'SPDY/3.1' }) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: Upgrade', `Upgrade: ${upgrade}`];
  for (const p of protocols) lines.push(`X-Stream-Protocol-Version: ${p}`);
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await readResponseHead(socket);
  if (head.status === 101) {
    const conn = new SpdyClientConnection(socket, { head: head.rest });
    socket.resume();
    return { ...head, conn, socket };
  }
  const chunks = [head.rest];
  socket.on('data', (c) => chunks.push(c));
  socket.resume();
  await Promise.race([once(socket, 'end'), once(socket, 'close')]);
  return { ...head, body: Buffer.concat(chunks).toString() };
}

// Everything a readable delivers until it ends.
function collect(readable) {
  return new Promise((resolve) => {
    const chunks = [];
    readable.on('data', (c) => chunks.push(c));
    readable.once('end', () => resolve(Buffer.concat(chunks)));
  });
}

// Records frames a connection receives; waitFor(pred) resolves with the first matching one.
function frameLog(conn) {
  const frames = [];
  const waiters = [];
  conn.on('frame', (f) => {
    frames.push(f);
    for (const w of [...waiters]) {
      if (w.pred(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
    }
  });
  return {
    frames,
    waitFor(pred, ms = 5000) {
      const found = frames.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error('timed out waiting for a frame')), ms).unref();
      });
    },
  };
}

// Polls cond() every 10 ms; rejects (and stops polling) after ms.
async function waitUntil(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_r, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// A bare RFC 6455 client. The `ws` package refuses subprotocols that are not RFC tokens, such as
// "SPDY/3.1+portforward.k8s.io" which kubectl (gorilla) sends, so the tests speak the framing here.
class MiniWebSocket extends EventEmitter {
  constructor(socket, rest) {
    super();
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.fragments = null;
    this.closeCode = null;
    this.closeSent = false;
    socket.on('data', (c) => this._onBytes(c));
    socket.on('close', () => this.emit('close', this.closeCode));
    socket.on('error', () => {});
    // Frames that came with the 101 are parsed on the next turn, once the caller listens.
    if (rest && rest.length) setImmediate(() => this._onBytes(rest));
  }

  _onBytes(chunk) {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (let frame = this._takeFrame(); frame; frame = this._takeFrame()) this._onFrame(frame);
  }

  _takeFrame() {
    const b = this.buf;
    if (b.length < 2) return null;
    let len = b[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return null;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    const masked = (b[1] & 0x80) !== 0;
    const maskAt = off;
    if (masked) off += 4;
    if (b.length < off + len) return null;
    let payload = Buffer.from(b.subarray(off, off + len));
    if (masked) payload = payload.map((x, i) => x ^ b[maskAt + (i % 4)]);
    this.buf = b.subarray(off + len);
    return { fin: (b[0] & 0x80) !== 0, opcode: b[0] & 0x0f, payload };
  }

  _onFrame({ fin, opcode, payload }) {
    if (opcode === 8) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      if (!this.closeSent) this.close(this.closeCode);
      this.socket.end();
    } else if (opcode === 9) this._write(10, payload);
    else if (opcode === 1 || opcode === 2) {
      this.fragments = { binary: opcode === 2, parts: [payload] };
      if (fin) this._emitMessage();
    } else if (opcode === 0 && this.fragments) {
      this.fragments.parts.push(payload);
      if (fin) this._emitMessage();
    }
  }

  _emitMessage() {
    const { binary, parts } = this.fragments;
    this.fragments = null;
    this.emit('message', Buffer.concat(parts), binary);
  }

  _write(opcode, data) {
    if (this.socket.destroyed) return;
    const payload = Buffer.from(data);
    const mask = crypto.randomBytes(4);
    let head;
    if (payload.length < 126) head = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
    else if (payload.length < 65536) {
      head = Buffer.from([0x80 | opcode, 0x80 | 126, 0, 0]);
      head.writeUInt16BE(payload.length, 2);
    } else {
      head = Buffer.alloc(10);
      head[0] = 0x80 | opcode;
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    this.socket.write(Buffer.concat([head, mask, payload.map((x, i) => x ^ mask[i % 4])]));
  }

  send(data, { binary = true } = {}) {
    this._write(binary ? 2 : 1, data);
  }

  close(code = 1000) {
    if (this.closeSent) return;
    this.closeSent = true;
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code);
    this._write(8, p);
  }

  // The client half of client-go's TunnelingConnection: writes are binary messages, messages are bytes.
  transport() {
    const ws = this;
    const d = new Duplex({
      read() {},
      write(chunk, _enc, cb) { ws.send(chunk); cb(); },
      final(cb) { ws.close(1000); cb(); },
    });
    this.on('message', (m) => d.push(m));
    this.on('close', () => { d.push(null); d.destroy(); });
    return d;
  }
}

// A WebSocket upgrade. 101: {status, headers, ws (MiniWebSocket)}; otherwise {status, headers, body}.
async function wsConnect({ port, path, protocols = [], headers = {} }) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: Upgrade', 'Upgrade: websocket',
    'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`];
  if (protocols.length) lines.push(`Sec-WebSocket-Protocol: ${protocols.join(', ')}`);
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await readResponseHead(socket);
  if (head.status === 101) {
    const ws = new MiniWebSocket(socket, head.rest);
    socket.resume();
    return { ...head, ws, socket };
  }
  const chunks = [head.rest];
  socket.on('data', (c) => chunks.push(c));
  socket.resume();
  await Promise.race([once(socket, 'end'), once(socket, 'close')]);
  return { ...head, body: Buffer.concat(chunks).toString() };
}

module.exports = { wsConnect, MiniWebSocket, runningPod, fakeSim, startFront, readResponseHead, spdyUpgrade, collect, frameLog, withTimeout, waitUntil };
