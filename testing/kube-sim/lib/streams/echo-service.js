'use strict';
// What a forwarded pod port reaches: an in-process stand-in for the app listening in the pod. It
// answers HTTP/1.1 when the first bytes are a request line (so `curl` through `kubectl port-forward`
// gets a page naming the pod and port) and echoes raw bytes otherwise (so byte-exact tests can
// check both directions). Only ports a container declares (TCP containerPort) are listening; any
// other port refuses, as an unbound port in the pod's network namespace does.

const { Duplex } = require('node:stream');

const MAX_HEADER_BYTES = 64 * 1024;
const UNDECIDED_MS = 150;
const REQUEST_LINE = /^([A-Z]{1,16}) (\S+) HTTP\/(1\.[01])\r?\n/;
// Bytes that can still grow into a request line: a method, a space, a target, " HTTP/1.x".
const MAYBE_REQUEST = /^[A-Z]{0,16}( \S*( H?T?T?P?\/?1?\.?[01]?)?)?$/;

function declaredPorts(pod) {
  const ports = new Set();
  const containers = (pod && pod.spec && pod.spec.containers) || [];
  for (const c of containers) {
    for (const p of c.ports || []) {
      if ((p.protocol || 'TCP') === 'TCP' && p.containerPort) ports.add(Number(p.containerPort));
    }
  }
  return ports;
}

function listensOn(pod, port) {
  return declaredPorts(pod).has(Number(port));
}

// The app's end of one TCP connection, seen from the kubelet: write() sends bytes to the app,
// 'data' carries its answers, end() is the client's FIN, and 'end' fires when the app closes.
class EchoConnection extends Duplex {
  constructor(pod, port) {
    super({ allowHalfOpen: true });
    this.podName = (pod && pod.metadata && pod.metadata.name) || 'pod';
    this.port = Number(port);
    this.mode = null; // 'http' | 'echo', decided by the first bytes
    this.buf = Buffer.alloc(0);
    this.appClosed = false;
    this.on('error', () => {}); // a write after the kubelet side hung up is dropped, not fatal
  }

  _read() {}

  _write(chunk, _enc, cb) {
    if (this.appClosed) return cb();
    if (this.mode === 'echo') {
      this.push(chunk);
      return cb();
    }
    this.buf = Buffer.concat([this.buf, chunk]);
    if (!this.mode) this._decideMode();
    if (!this.mode && !this.undecidedTimer) {
      // Uppercase bytes without a newline could be either; a real echo would not wait, so settle soon.
      this.undecidedTimer = setTimeout(() => {
        this._decideMode(true);
        const all = this.buf;
        this.buf = Buffer.alloc(0);
        if (all.length && !this.appClosed) this.push(all);
      }, UNDECIDED_MS);
      this.undecidedTimer.unref();
    }
    if (this.mode === 'echo') {
      const all = this.buf;
      this.buf = Buffer.alloc(0);
      if (all.length) this.push(all);
    } else if (this.mode === 'http') {
      this._serveRequests();
    }
    return cb();
  }

  // The client sent FIN: an echo app writes what is left and closes, as `socat - EXEC:cat` would.
  _final(cb) {
    clearTimeout(this.undecidedTimer);
    if (this.mode !== 'echo' && this.buf.length && !this.appClosed) this.push(this.buf);
    this.buf = Buffer.alloc(0);
    this._closeApp();
    cb();
  }

  _decideMode(force = false) {
    clearTimeout(this.undecidedTimer);
    this.undecidedTimer = null;
    const text = this.buf.toString('latin1', 0, Math.min(this.buf.length, 512));
    if (REQUEST_LINE.test(text)) this.mode = 'http';
    else if (force || !MAYBE_REQUEST.test(text.split('\n')[0]) || text.includes('\n')) this.mode = 'echo';
  }

  _serveRequests() {
    for (;;) {
      const req = this._takeRequest();
      if (!req) return;
      this.push(this._response(req));
      if (req.close) {
        this._closeApp();
        return;
      }
    }
  }

  // One complete request off the buffer, or null while it is still arriving.
  _takeRequest() {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.buf.length > MAX_HEADER_BYTES) this._closeApp();
      return null;
    }
    const head = this.buf.toString('latin1', 0, end);
    const [requestLine, ...headerLines] = head.split('\r\n');
    const m = /^(\S+) (\S+) HTTP\/(1\.[01])$/.exec(requestLine);
    if (!m) {
      this._closeApp();
      return null;
    }
    const headers = {};
    for (const line of headerLines) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] || 0);
    if (this.buf.length < end + 4 + length) return null;
    const body = this.buf.subarray(end + 4, end + 4 + length);
    this.buf = this.buf.subarray(end + 4 + length);
    const connection = (headers.connection || '').toLowerCase();
    const close = m[3] === '1.0' ? !connection.includes('keep-alive') : connection.includes('close');
    return { method: m[1], target: m[2], version: m[3], headers, body, close };
  }

  _response(req) {
    const text = `hello from ${this.podName}:${this.port}\n${req.method} ${req.target}\n`;
    const body = Buffer.concat([Buffer.from(text), req.body]);
    const lines = [
      `HTTP/1.1 200 OK`,
      `Content-Type: text/plain; charset=utf-8`,
      `Content-Length: ${body.length}`,
      `Date: ${new Date().toUTCString()}`,
      `Server: kube-sim-echo`,
    ];
    if (req.close) lines.push('Connection: close');
    const headerBytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
    return req.method === 'HEAD' ? headerBytes : Buffer.concat([headerBytes, body]);
  }

  _closeApp() {
    if (this.appClosed) return;
    this.appClosed = true;
    this.push(null);
  }
}

// Dials `port` inside the pod. Throws an Error with code ECONNREFUSED when nothing listens there.
function connect(pod, port) {
  if (!listensOn(pod, port)) {
    const err = new Error(`connect ECONNREFUSED 127.0.0.1:${port}`);
    err.code = 'ECONNREFUSED';
    throw err;
  }
  return new EchoConnection(pod, port);
}

module.exports = { connect, listensOn, declaredPorts, EchoConnection };
