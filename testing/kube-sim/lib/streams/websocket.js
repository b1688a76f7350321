'use strict';
// exec/attach over WebSocket, as a client sees it through kube-apiserver (wire §3.3):
// - v5.channel.k8s.io (kubectl ≥1.30) is answered by kube-apiserver's StreamTranslator, which
//   exists from 1.30 (gate TranslateStreamCloseWebsocketRequests). It wins whenever the client
//   offers it, wherever it sits in the list (wsstream.IsWebSocketRequestWithStreamCloseProtocol).
// - Everything else is proxied to the kubelet, whose WebSocket server speaks "", channel.k8s.io,
//   base64.channel.k8s.io, v4.channel.k8s.io and v4.base64.channel.k8s.io, picking the first one
//   the client lists (kubelet cri/streaming/remotecommand/websocket.go, x/net/websocket). No match
//   gets x/net/websocket's bare 403, which is how a ≤1.29 server turns kubectl 1.30+ away and
//   sends it to SPDY.
// Frames are [channel][payload]; the base64 protocols use text frames '0'+channel, base64 payload.

const { WebSocketServer } = require('ws');
const { writeRawResponse } = require('../context');
const { startSession, statusFor } = require('./exec');

const V5 = 'v5.channel.k8s.io';
const KUBELET_PROTOCOLS = ['', 'channel.k8s.io', 'base64.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];
const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 };

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  clientTracking: false,
  handleProtocols: (protocols, req) => req.kubeSimProtocol || false,
});

function atLeast(version, want) {
  const [a, b] = version.split('.').map(Number);
  const [c, d] = want.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

// -> {protocol, translated} or null when no offered protocol is served.
function chooseProtocol(header, emulatedVersion) {
  const offered = (header || '').split(',').map((p) => p.trim()).filter(Boolean);
  if (atLeast(emulatedVersion, '1.30') && offered.includes(V5)) return { protocol: V5, translated: true };
  for (const p of offered.length ? offered : ['']) {
    if (KUBELET_PROTOCOLS.includes(p)) return { protocol: p, translated: false };
  }
  return null;
}

function isWebSocketUpgrade(req) {
  return req.method === 'GET' && /\bupgrade\b/i.test(req.headers.connection || '') &&
    (req.headers.upgrade || '').toLowerCase() === 'websocket';
}

// Serves one exec/attach WebSocket request. `params`: {pod, container, command, tty, stdin, stdout,
// stderr, kubeletError: {code, text} | null}: the request already passed kube-apiserver's checks;
// kubeletError is what the kubelet would refuse it with.
function serveWebSocket(ctx, params) {
  const { req, socket } = ctx;
  const choice = chooseProtocol(req.headers['sec-websocket-protocol'], ctx.sim.emulatedVersion);
  const refuse = (code, body = '', type) => {
    ctx.logRequest(code);
    writeRawResponse(socket, code, { ...ctx.commonHeaders(), ...(type ? { 'Content-Type': type } : {}) }, body);
  };
  if (!choice) return refuse(403);
  if (params.kubeletError && !choice.translated) {
    return refuse(params.kubeletError.code, params.kubeletError.text, 'text/plain; charset=utf-8');
  }
  const key = req.headers['sec-websocket-key'];
  if (!key || !/^[+/0-9A-Za-z]{22}==$/.test(key) || req.headers['sec-websocket-version'] !== '13') {
    return refuse(400, 'Bad Request', 'text/plain; charset=utf-8');
  }
  req.kubeSimProtocol = choice.protocol;
  wss.handleUpgrade(req, socket, ctx.head, (ws) => {
    ctx.logRequest(101);
    runConnection(ctx, ws, choice, params);
  });
  return undefined;
}

// Frames go out one at a time, each after the previous one reached the socket, so every frame is
// its own TLS record as Go's servers write them. Python's client polls the raw socket and reads one
// frame per wake-up; frames packed into one record would sit in its SSL buffer unseen.
function frameSender(ws, base64) {
  const queue = [];
  let busy = false;
  const pump = () => {
    if (busy || !queue.length) return;
    const item = queue.shift();
    if (item.close) { if (ws.readyState === ws.OPEN) ws.close(1000); return; }
    if (ws.readyState !== ws.OPEN) { queue.length = 0; return; }
    busy = true;
    ws.send(item.data, { binary: !base64 }, () => { busy = false; pump(); });
  };
  const send = (channel, data) => {
    const payload = Buffer.from(data);
    const frame = base64 ? String.fromCharCode(48 + channel) + payload.toString('base64')
      : Buffer.concat([Buffer.from([channel]), payload]);
    queue.push({ data: frame });
    pump();
  };
  send.close = () => { queue.push({ close: true }); pump(); };
  return send;
}

// The error channel: v4 and v5 carry a JSON Status; the older protocols carry the failure's text only.
function writeStatus(send, choice, status) {
  if (choice.translated || choice.protocol.startsWith('v4.')) send(CHANNEL.error, JSON.stringify(status));
  else if (status.status !== 'Success') send(CHANNEL.error, status.message);
}

function runConnection(ctx, ws, choice, params) {
  const base64 = choice.protocol.includes('base64');
  const send = frameSender(ws, base64);
  ws.on('error', () => {});
  // Both the kubelet and the translator announce the connection with an empty message on the
  // lowest writable channel; clients wait for it.
  const stderr = params.stderr && !params.tty;
  send(params.stdout ? CHANNEL.stdout : stderr ? CHANNEL.stderr : CHANNEL.error, Buffer.alloc(0));
  if (params.kubeletError) { // translated: the apiserver's SPDY leg to the kubelet failed
    const message = `unable to upgrade connection: ${params.kubeletError.text.trim()}`;
    writeStatus(send, choice, { metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`,
                                reason: 'InternalError', details: { causes: [{ message }] }, code: 500 });
    send.close();
    return;
  }
  const session = startSession({ ctx, pod: params.pod, container: params.container, command: params.command,
                                 tty: params.tty, stdin: params.stdin, stdout: params.stdout, stderr });
  let finished = false;
  if (params.stdout) session.stdout.on('data', (d) => send(CHANNEL.stdout, d));
  if (stderr) session.stderr.on('data', (d) => send(CHANNEL.stderr, d));
  let resizeBuf = '';
  ws.on('message', (data, isBinary) => {
    let frame = Buffer.isBuffer(data) ? data : Buffer.concat(data);
    if (!frame.length) return;
    let channel = frame[0];
    let payload = frame.subarray(1);
    if (base64 && !isBinary) {
      channel -= 48;
      payload = Buffer.from(payload.toString('latin1'), 'base64');
    }
    if (channel === CHANNEL.stdin && params.stdin && payload.length) session.stdin.write(payload);
    else if (channel === CHANNEL.close && choice.translated && payload[0] === CHANNEL.stdin) session.stdin.end();
    else if (channel === CHANNEL.resize) {
      resizeBuf += payload.toString('utf8');
      resizeBuf = applyResizes(resizeBuf, session);
    }
  });
  ws.on('close', () => { if (!finished) session.kill(); });
  session.exit.then((result) => {
    finished = true;
    writeStatus(send, choice, statusFor(result, { command: session.command, translated: choice.translated }));
    send.close();
  });
}

// Resize messages are JSON TerminalSize objects, one per message from client-go, but a stream of
// them is legal (the kubelet decodes with json.Decoder); returns the unparsed rest.
function applyResizes(buf, session) {
  let rest = buf;
  for (;;) {
    const end = rest.indexOf('}');
    if (end < 0) return rest.length > 4096 ? '' : rest;
    try {
      const size = JSON.parse(rest.slice(0, end + 1));
      session.resize({ Width: size.Width || size.width || 0, Height: size.Height || size.height || 0 });
    } catch { /* a malformed size is dropped, as the kubelet logs and goes on */ }
    rest = rest.slice(end + 1).replace(/^\s+/, '');
  }
}

module.exports = { serveWebSocket, chooseProtocol, isWebSocketUpgrade, V5, KUBELET_PROTOCOLS };
