'use strict';
// pods/portforward, as kube-apiserver plus a kubelet with containerd answer it (wire §3.2-3.4):
//   * raw SPDY/3.1 (POST, Upgrade: SPDY/3.1, protocol portforward.k8s.io) on every version;
//   * SPDY tunnelled in WebSocket binary messages (subprotocol SPDY/3.1+portforward.k8s.io), which
//     kube-apiserver translates from 1.31 (PortForwardWebsockets beta); older servers pass the GET to
//     the kubelet, which refuses it, so kubectl falls back to SPDY;
//   * the kubelet's own WebSocket protocol (`?ports=`, v4.channel.k8s.io), used by the python client.
// Refusals that the kubelet or containerd write reach the client raw, without kube-apiserver's
// headers; refusals kube-apiserver writes are Status objects.

const crypto = require('node:crypto');
const { Duplex } = require('node:stream');
const WebSocket = require('ws');
const spdy = require('./spdy');
const echo = require('./echo-service');
const { writeRawResponse } = require('../context');
const { notFound, badRequest } = require('../status');

const PROTOCOL = 'portforward.k8s.io';
const TUNNEL_PREFIX = 'SPDY/3.1+';
const KUBERNETES_SUFFIX = '.k8s.io';
const WS_V4_BINARY = 'v4.channel.k8s.io';
const WS_V4_BASE64 = 'v4.base64.channel.k8s.io';
const KUBELET_WS_PROTOCOLS = ['', WS_V4_BINARY, WS_V4_BASE64];
const STREAM_CREATION_TIMEOUT_MS = 30000; // kubelet streaming default
const SECOND_DIRECTION_GRACE_MS = 1000; // containerd waits this long for the other copy to end

async function handlePortForward(ctx, options = {}) {
  const pod = lookupPod(ctx);
  if (!ctx.socket) throw badRequest('Upgrade request required'); // UpgradeAwareHandler, UpgradeRequired
  const opts = { streamCreationTimeoutMs: STREAM_CREATION_TIMEOUT_MS, ...options };
  const websocket = isWebSocketRequest(ctx.req);
  if (websocket && wantsTunnel(ctx.req) && tunnelServed(ctx.sim.emulatedVersion)) {
    if (!podHasSandbox(pod)) return refusePodNotFound(ctx, pod);
    return serveTunnel(ctx, pod, opts);
  }
  if (websocket) {
    // The kubelet parses ?ports= (NewV4Options) before it looks at the pod.
    const parsed = parseV4Ports(ctx.query);
    if (parsed.error) return refuseRaw(ctx, 400, parsed.error, { 'Content-Type': 'text/plain; charset=utf-8' });
    if (!podHasSandbox(pod)) return refusePodNotFound(ctx, pod);
    return serveWebSocketV4(ctx, pod, parsed.ports);
  }
  if (!podHasSandbox(pod)) return refusePodNotFound(ctx, pod);
  return serveRawSpdy(ctx, pod, opts);
}

// ---- kube-apiserver's part: the pod and its node (pkg/registry/core/pod/strategy.go) ----

function lookupPod(ctx) {
  const type = ctx.sim.registry.lookup('', 'v1', 'pods');
  const { namespace, name } = ctx.info;
  const pod = type ? ctx.sim.store.get(type, namespace, name) : null;
  if (!pod) throw notFound('pods', name);
  // PortForwardLocation refuses a pod the scheduler has not placed.
  if (!(pod.spec && pod.spec.nodeName)) throw badRequest(`pod ${name} does not have a host assigned`);
  return pod;
}

// ---- the kubelet's part ----

// Only a running pod has a sandbox the runtime can find (kubelet GetPortForward); anything else
// fails with a plain error that streaming.WriteError sends as a 500 text body.
function podHasSandbox(pod) {
  return Boolean(pod.status && pod.status.phase === 'Running');
}

function refusePodNotFound(ctx, pod) {
  const fullName = `${pod.metadata.name}_${pod.metadata.namespace}`;
  return refuseRaw(ctx, 500, `pod not found (${JSON.stringify(fullName)})`, { 'Content-Type': 'text/plain; charset=utf-8' });
}

function refuseRaw(ctx, code, body, headers = {}) {
  ctx.logRequest(code);
  writeRawResponse(ctx.socket, code, { Date: new Date().toUTCString(), ...headers }, body);
}

// The CRI sandbox id and network namespace containerd reports in its errors, derived from the
// pod uid so they are stable for one pod and differ between pods.
function sandboxId(pod) {
  return crypto.createHash('sha256').update(`sandbox/${pod.metadata.uid || pod.metadata.name}`).digest('hex');
}

function netnsPath(pod) {
  const h = crypto.createHash('sha256').update(`netns/${pod.metadata.uid || pod.metadata.name}`).digest('hex');
  return `/var/run/netns/cni-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// kubelet portForward: "error forwarding port %d to pod %s, uid %v: %v", where the CRI streaming
// server passes the sandbox id as the pod and an empty uid; the cause is containerd 1.7's text.
function refusedMessage(pod, port) {
  const id = sandboxId(pod);
  return `error forwarding port ${port} to pod ${id}, uid : failed to execute portforward in network namespace ` +
    `"${netnsPath(pod)}": failed to connect to localhost:${port} inside namespace "${id}", ` +
    `IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused ` +
    `IPv6 dial tcp6 [::1]:${port}: connect: connection refused `;
}

// ---- raw SPDY (kubelet handleHTTPStreams) ----

function serveRawSpdy(ctx, pod, opts) {
  const neg = spdy.negotiate(ctx.req, [PROTOCOL]);
  if (neg.refusal) return refuseRaw(ctx, 403, `${neg.refusal.message}\n`, neg.refusal.headers);
  // Handshake's "X-Stream-Protocol-Version is required" is only logged here, so the handler returns
  // without writing and Go answers an empty 200.
  if (!neg.protocol) return refuseRaw(ctx, 200, '');
  if (!spdy.hasSpdyUpgradeHeaders(ctx.req)) {
    return refuseRaw(ctx, 400, `unable to upgrade: missing upgrade headers in request: ${spdy.goHeaderDump(ctx.req)}\n`,
      { [spdy.HEADER_PROTOCOL]: neg.protocol, ...spdy.goTextHeaders() });
  }
  ctx.logRequest(101);
  ctx.socket.write(spdy.switchingProtocolsResponse(neg.protocol));
  const conn = new spdy.SpdyServerConnection(ctx.socket, { head: ctx.head });
  servePortForwardStreams(conn, pod, opts);
  return conn;
}

// One SPDY connection carrying any number of forwarded connections, each an error stream and a
// data stream sharing a requestid (kubelet httpStreamHandler).
function servePortForwardStreams(conn, pod, opts) {
  const pairs = new Map();
  const forwards = new Set();
  conn.on('stream', (stream) => {
    const problem = invalidStreamHeaders(stream.headers);
    if (problem) {
      stream.reset(); // the stream handler's error makes apimachinery Reset (CANCEL) the stream
      return;
    }
    stream.reply({});
    const requestId = requestIdOf(stream);
    let pair = pairs.get(requestId);
    if (!pair) {
      pair = { requestId };
      pairs.set(requestId, pair);
      pair.timer = setTimeout(() => {
        pairs.delete(requestId);
        printError(pair, `(conn=&{${connLabel(conn)}}, request=${requestId}) timed out waiting for streams`);
      }, opts.streamCreationTimeoutMs);
      pair.timer.unref();
    }
    const kind = stream.headers.streamtype;
    if (kind === 'error') stream.resume(); // the client never writes on it
    if (pair[kind]) {
      printError(pair, `error processing stream for request ${requestId}: ${kind} stream already assigned`);
      return;
    }
    pair[kind] = stream;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      forwards.add(pair);
      forwardPair(pair, pod, () => forwards.delete(pair));
    }
  });
  conn.on('close', () => {
    for (const pair of forwards) if (pair.abort) pair.abort();
    for (const pair of pairs.values()) clearTimeout(pair.timer);
  });
}

let connCounter = 0;
function connLabel(conn) {
  if (!conn.label) conn.label = `0xc000${(0x100000 + (connCounter++ * 0x1c0)).toString(16)}`;
  return conn.label;
}

function printError(pair, message) {
  if (pair.error) pair.error.write(message);
}

// httpStreamReceived: the checks that reject a stream before it is replied to.
function invalidStreamHeaders(headers) {
  const port = headers.port;
  if (!port) return '"port" header is required';
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const type = headers.streamtype;
  if (!type) return '"streamType" header is required';
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
  return '';
}

// Clients without requestid headers (before 1.6) are paired by stream id, as the kubelet does.
function requestIdOf(stream) {
  if (stream.headers.requestid) return stream.headers.requestid;
  return String(stream.headers.streamtype === 'data' ? stream.id - 2 : stream.id);
}

// Pipes the data stream to the pod port. containerd copies both ways; when one direction ends it
// gives the other up to a second, then closes the stream (FIN on data) and the kubelet closes the
// error stream (FIN), which is what lets client-go finish the connection.
function forwardPair(pair, pod, onDone) {
  const port = Number(pair.data.headers.port);
  const finish = () => {
    pair.data.end();
    pair.error.end();
    onDone();
  };
  let app;
  try {
    app = echo.connect(pod, port);
  } catch (err) {
    if (err.code !== 'ECONNREFUSED') throw err;
    // containerd 1.7 closes the data stream inside the dial attempt, before the error is printed.
    pair.data.resume();
    pair.data.end();
    pair.error.write(refusedMessage(pod, port));
    pair.error.end();
    onDone();
    return;
  }
  relay(pair.data, app, finish, (abort) => { pair.abort = abort; });
}

// Copies stream<->app. `finish` runs once both directions ended, or a grace period after the first.
function relay(stream, app, finish, setAbort) {
  let ended = 0;
  let timer = null;
  let finished = false;
  const done = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    app.destroy();
    finish();
  };
  const oneEnded = () => {
    ended += 1;
    if (ended === 2) return done();
    timer = setTimeout(done, SECOND_DIRECTION_GRACE_MS);
    return undefined;
  };
  app.on('data', (d) => stream.write(d));
  app.once('end', oneEnded);
  stream.on('data', (d) => {
    if (!app.destroyed) app.write(d);
  });
  stream.once('end', () => {
    app.end();
    oneEnded();
  });
  stream.once('reset', done);
  setAbort(done);
}

// ---- SPDY in WebSocket (kube-apiserver streamtunnel.go, 1.31+) ----

function tunnelServed(version) {
  const [major, minor] = String(version || '0.0').split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 31);
}

function wsProtocols(req) {
  return String(req.headers['sec-websocket-protocol'] || '').split(',').map((p) => p.trim()).filter(Boolean);
}

function isTunnelProtocol(p) {
  return p.startsWith(TUNNEL_PREFIX) && p.endsWith(KUBERNETES_SUFFIX);
}

function wantsTunnel(req) {
  return wsProtocols(req).some(isTunnelProtocol);
}

function isWebSocketRequest(req) {
  const connection = String(req.headers.connection || '').toLowerCase();
  return String(req.headers.upgrade || '').toLowerCase() === 'websocket' && connection.includes('upgrade');
}

// The tunnel handler turns the GET into a SPDY POST for the kubelet, offering the protocols that
// follow the "SPDY/3.1+" prefix, and answers the WebSocket handshake with the kubelet's choice.
function serveTunnel(ctx, pod, opts) {
  const offered = wsProtocols(ctx.req).filter(isTunnelProtocol).map((p) => p.slice(TUNNEL_PREFIX.length));
  const neg = spdy.negotiateOffered(offered, [PROTOCOL]);
  if (!neg.protocol) return refuseRaw(ctx, 403, `${neg.refusal.message}\n`, neg.refusal.headers);
  return acceptWebSocket(ctx, TUNNEL_PREFIX + neg.protocol, (ws) => {
    const conn = new spdy.SpdyServerConnection(webSocketTransport(ws));
    servePortForwardStreams(conn, pod, opts);
  });
}

// A Duplex over one WebSocket, as client-go's TunnelingConnection: every write is one binary
// message, reads concatenate messages, and a text message ends the connection.
function webSocketTransport(ws) {
  const transport = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      if (ws.readyState !== WebSocket.OPEN) return cb();
      return ws.send(chunk, { binary: true }, () => cb());
    },
    final(cb) {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      cb();
    },
    destroy(err, cb) {
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      cb(err);
    },
  });
  transport.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      transport.destroy(); // "invalid message type received"
      return;
    }
    transport.push(data);
  });
  ws.on('close', () => {
    transport.push(null);
    transport.destroy();
  });
  ws.on('error', () => transport.destroy());
  return transport;
}

// The subprotocol is chosen before the handshake. `ws` only accepts RFC 6455 tokens there and
// would refuse "SPDY/3.1+portforward.k8s.io" (a '/'), which gorilla on both real ends accepts, so
// the header is kept from `ws` and the answer written through its 'headers' hook.
function acceptWebSocket(ctx, protocol, onOpen) {
  delete ctx.req.headers['sec-websocket-protocol'];
  const wss = new WebSocket.WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  wss.on('headers', (headers) => {
    if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
  });
  wss.on('wsClientError', (err, socket) => {
    const code = ctx.req.method === 'GET' ? 400 : 405;
    refuseRaw(ctx, code, err.message, { 'Content-Type': 'text/plain; charset=utf-8' });
    socket.destroySoon?.();
  });
  wss.handleUpgrade(ctx.req, ctx.socket, ctx.head, (ws) => {
    ctx.logRequest(101);
    onOpen(ws);
  });
}

// ---- the kubelet's WebSocket protocol (portforward/websocket.go) ----

// NewV4Options: `ports` (repeatable, comma-separated) is required for WebSocket requests.
function parseV4Ports(query) {
  const values = query.getAll('ports');
  if (values.length === 0) return { error: 'query parameter "port" is required' };
  const ports = [];
  for (const value of values) {
    if (value === '') return { error: 'query parameter "port" cannot be empty' };
    for (const p of value.split(',')) {
      if (!/^\d+$/.test(p) || Number(p) > 65535) {
        return { error: `unable to parse "${value}" as a port: strconv.ParseUint: parsing "${p}": ` +
          (/^\d+$/.test(p) ? 'value out of range' : 'invalid syntax') };
      }
      if (Number(p) < 1) return { error: `port "${value}" must be > 0` };
      ports.push(Number(p));
    }
  }
  return { ports };
}

// x/net/websocket takes the first client protocol the kubelet knows ("" when none was offered)
// and answers a mismatch with a bare 403.
function chooseKubeletProtocol(req) {
  const offered = wsProtocols(req);
  if (offered.length === 0) return '';
  const found = offered.find((p) => KUBELET_WS_PROTOCOLS.includes(p));
  return found === undefined ? null : found;
}

function serveWebSocketV4(ctx, pod, ports) {
  const protocol = chooseKubeletProtocol(ctx.req);
  if (protocol === null) return refuseRaw(ctx, 403, '');
  return acceptWebSocket(ctx, protocol, (ws) => runWebSocketV4(ws, pod, ports, protocol === WS_V4_BASE64));
}

// Two channels per port (data 2i, error 2i+1), each opened by the port as a little-endian u16. The
// WebSocket closes once every port's forward has ended.
function runWebSocketV4(ws, pod, ports, base64) {
  const send = (channel, data) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (base64) ws.send(String.fromCharCode(48 + channel) + data.toString('base64'));
    else ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const pairs = ports.map((port, i) => ({ port, dataChannel: 2 * i, errorChannel: 2 * i + 1, app: null, done: false }));
  for (const p of pairs) {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(p.port);
    send(p.dataChannel, portBytes);
    send(p.errorChannel, portBytes);
  }
  let remaining = pairs.length;
  const pairDone = (p) => {
    if (p.done) return;
    p.done = true;
    remaining -= 1;
    if (remaining === 0 && ws.readyState === WebSocket.OPEN) ws.close(1000);
  };
  for (const p of pairs) startWebSocketForward(p, pod, send, pairDone);
  ws.on('message', (msg, isBinary) => {
    const frame = decodeChannelMessage(msg, isBinary, base64);
    if (!frame || frame.channel >= pairs.length * 2 || frame.channel % 2 === 1) return;
    const p = pairs[frame.channel / 2];
    if (p.app && !p.done && !p.app.destroyed) p.app.write(frame.data);
  });
  ws.on('close', () => {
    for (const p of pairs) {
      if (p.app) p.app.destroy();
      clearTimeout(p.timer);
    }
  });
}

function startWebSocketForward(p, pod, send, pairDone) {
  try {
    p.app = echo.connect(pod, p.port);
  } catch (err) {
    if (err.code !== 'ECONNREFUSED') throw err;
    send(p.errorChannel, Buffer.from(refusedMessage(pod, p.port)));
    pairDone(p);
    return;
  }
  p.app.on('data', (d) => send(p.dataChannel, d));
  // The client's side of a channel only ends with the WebSocket, so after the app closes containerd
  // waits out its grace second and returns.
  p.app.once('end', () => {
    p.timer = setTimeout(() => pairDone(p), SECOND_DIRECTION_GRACE_MS);
  });
}

function decodeChannelMessage(msg, isBinary, base64) {
  const buf = Buffer.isBuffer(msg) ? msg : Buffer.from(msg);
  if (buf.length === 0) return null;
  if (base64 && !isBinary) {
    return { channel: buf[0] - 48, data: Buffer.from(buf.toString('latin1', 1), 'base64') };
  }
  return { channel: buf[0], data: buf.subarray(1) };
}

module.exports = {
  handlePortForward, servePortForwardStreams, webSocketTransport, refusedMessage, sandboxId, parseV4Ports,
  PROTOCOL, TUNNEL_PREFIX,
};
