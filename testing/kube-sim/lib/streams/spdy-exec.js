'use strict';
// pods/exec and pods/attach over SPDY/3.1: what kubectl up to 1.29 speaks, and what later ones
// fall back to. kube-apiserver proxies these bytes to the kubelet untouched, so everything here is
// the kubelet's behaviour (pkg/kubelet/cri/streaming/remotecommand/httpstream.go, exec.go,
// attach.go): protocols v4..v1, waiting for the client's streams, and the exit Status on the error
// stream (JSON for v4, plain text before). Wire §3.1, §3.4.

const spdy = require('./spdy');
const { writeRawResponse, goJSON } = require('../context');
const { queryBool } = require('../requestinfo');

// The kubelet's SupportedStreamingProtocols, best first; v5 exists only for WebSocket.
const PROTOCOLS = { 'v4.channel.k8s.io': 4, 'v3.channel.k8s.io': 3, 'v2.channel.k8s.io': 2, 'channel.k8s.io': 1 };
const SERVER_PROTOCOLS = Object.keys(PROTOCOLS);
const STREAM_CREATION_TIMEOUT_MS = 30000; // kubelet streaming default
const CLIENT_CLOSE_GRACE_MS = 1000;

// handleSpdyExec(ctx, startSession[, {streamCreationTimeoutMs}]): ctx is an upgrade request whose
// pod and container index.js already validated (ctx.execTarget = {pod, container} if it set one).
async function handleSpdyExec(ctx, startSession, options = {}) {
  const opts = streamOptions(ctx);
  // NewOptions runs before any upgrade and the error goes back as go-restful's plain text.
  if (!opts.stdin && !opts.stdout && !opts.stderr) {
    return refuseRaw(ctx, 400, 'you must specify at least 1 of stdin, stdout, stderr', { 'Content-Type': 'text/plain; charset=utf-8' });
  }
  const neg = spdy.negotiate(ctx.req, SERVER_PROTOCOLS);
  if (neg.refusal) {
    // Handshake writes the 403; createHTTPStreamStreams then calls http.Error again, which can only
    // append the same line to the body.
    return refuseRaw(ctx, 403, `${neg.refusal.message}\n${neg.refusal.message}\n`, neg.refusal.headers);
  }
  if (!neg.protocol) {
    return refuseRaw(ctx, 400, `unable to upgrade: ${spdy.HEADER_PROTOCOL} is required\n`, spdy.goTextHeaders());
  }
  if (!spdy.hasSpdyUpgradeHeaders(ctx.req)) {
    return refuseRaw(ctx, 400, `unable to upgrade: missing upgrade headers in request: ${spdy.goHeaderDump(ctx.req)}\n`,
      { [spdy.HEADER_PROTOCOL]: neg.protocol, ...spdy.goTextHeaders() });
  }
  ctx.logRequest(101);
  ctx.socket.write(spdy.switchingProtocolsResponse(neg.protocol));
  const conn = new spdy.SpdyServerConnection(ctx.socket, { head: ctx.head });
  const version = PROTOCOLS[neg.protocol];
  const timeoutMs = options.streamCreationTimeoutMs || STREAM_CREATION_TIMEOUT_MS;
  const streams = await waitForStreams(conn, opts, version, timeoutMs);
  if (!streams) {
    // "timed out waiting for client to create streams" is only logged by the kubelet.
    conn.close();
    return conn;
  }
  await runSession(ctx, conn, streams, opts, version, startSession);
  return conn;
}

// PodExecOptions as kube-apiserver decodes them (booleans per wire §0.6); the kubelet then drops
// stderr when a TTY is requested.
function streamOptions(ctx) {
  const q = ctx.query;
  const tty = queryBool(q, 'tty');
  return {
    attach: ctx.info && ctx.info.subresource === 'attach',
    command: q.getAll('command'),
    container: q.get('container') || '',
    stdin: queryBool(q, 'stdin'),
    stdout: queryBool(q, 'stdout'),
    stderr: queryBool(q, 'stderr') && !tty,
    tty,
  };
}

function refuseRaw(ctx, code, body, headers) {
  ctx.logRequest(code);
  writeRawResponse(ctx.socket, code, { Date: new Date().toUTCString(), ...headers }, body);
}

// The protocol handlers' waitForStreams: every stream is replied to at once; the known types count
// until 1 + the requested std streams (+ resize with a TTY from v3) have arrived. Streams of other
// types are replied to and ignored, as runtime.HandleError leaves them.
function waitForStreams(conn, opts, version, timeoutMs) {
  const known = new Set(['error', 'stdin', 'stdout', 'stderr']);
  if (version >= 3) known.add('resize');
  const expected = 1 + [opts.stdin, opts.stdout, opts.stderr, opts.tty && version >= 3].filter(Boolean).length;
  return new Promise((resolve) => {
    const got = {};
    let count = 0;
    let collecting = true;
    let timer = null;
    const finish = (value) => {
      if (!collecting) return;
      collecting = false;
      clearTimeout(timer);
      conn.off('close', onClose);
      resolve(value);
    };
    const onClose = () => finish(null);
    conn.on('stream', (stream) => {
      stream.reply({});
      const type = stream.headers.streamtype;
      if (!collecting || !known.has(type)) {
        stream.resume();
        return;
      }
      got[type] = stream;
      count += 1;
      if (count === expected) finish(got);
    });
    conn.once('close', onClose);
    timer = setTimeout(() => finish(null), timeoutMs);
    timer.unref();
  });
}

async function runSession(ctx, conn, streams, opts, version, startSession) {
  const target = execTarget(ctx, opts);
  let session;
  try {
    session = startSession({ ctx, pod: target.pod, container: target.container, command: opts.attach ? null : opts.command,
      tty: opts.tty, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr });
  } catch (err) {
    const why = `${opts.attach ? 'error attaching to container' : 'error executing command in container'}: ${err.message || err}`;
    await finishSession(conn, streams, version, statusFor({ error: why }, opts));
    return;
  }
  if (version === 1) {
    // v1ProtocolHandler resets the error stream as it returns (a 1.0 kubelet quirk kept on purpose)
    // and closes its end of stdin.
    if (streams.error) streams.error.reset();
    if (streams.stdin) streams.stdin.end();
  }
  const aborted = wireStreams(conn, streams, session);
  const outcome = await Promise.race([
    Promise.all([ended(session.stdout), ended(session.stderr), exitOf(session)]).then(([, , r]) => r),
    aborted,
  ]);
  if (outcome === ABORTED) return;
  await finishSession(conn, streams, version, statusFor(outcome || { code: 0 }, opts, session));
}

const ABORTED = Symbol('aborted');

function exitOf(session) {
  return Promise.resolve(session.exit).catch((err) => ({ error: (err && err.message) || String(err) }));
}

// Resolves once every earlier write on `stream` was queued on the connection (writes complete in
// order), so the Status cannot overtake output still buffered in a stream.
function writesQueued(stream) {
  if (!stream || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => stream.write(Buffer.alloc(0), () => resolve()));
}

// Copies the client's stdin and resize events in, the session's stdout and stderr out. Resolves
// ABORTED if the client goes away first; the session is then killed so nothing is left running.
function wireStreams(conn, streams, session) {
  if (streams.error) streams.error.resume();
  if (streams.stdin && session.stdin) streams.stdin.pipe(session.stdin);
  else if (streams.stdin) streams.stdin.resume();
  else if (session.stdin && typeof session.stdin.end === 'function') session.stdin.end();
  pipeOut(session.stdout, streams.stdout);
  pipeOut(session.stderr, streams.stderr);
  if (streams.resize) {
    const feed = jsonObjectStream((size) => {
      if (typeof session.resize === 'function') session.resize({ Width: size.Width, Height: size.Height });
    });
    streams.resize.on('data', feed);
  }
  return new Promise((resolve) => {
    conn.once('close', () => {
      if (conn.sessionDone) return;
      if (session.stdin && typeof session.stdin.end === 'function') session.stdin.end();
      if (typeof session.kill === 'function') session.kill();
      resolve(ABORTED);
    });
  });
}

function pipeOut(source, stream) {
  if (!source) return;
  if (stream) source.pipe(stream, { end: false });
  else source.resume();
}

function ended(readable) {
  if (!readable || readable.readableEnded || readable.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    readable.once('end', resolve);
    readable.once('close', resolve);
    readable.once('error', resolve);
  });
}

function execTarget(ctx, opts) {
  if (ctx.execTarget) return ctx.execTarget;
  const type = ctx.sim.registry.lookup('', 'v1', 'pods');
  const pod = type ? ctx.sim.store.get(type, ctx.info.namespace, ctx.info.name) : null;
  const containers = (pod && pod.spec && pod.spec.containers) || [];
  return { pod, container: opts.container || (containers[0] && containers[0].name) || '' };
}

// What ServeExec / ServeAttach write at the end. A session's {error} already carries the kubelet's
// "error executing command in container: " prefix (exec.js); {code} is containerd's exit code,
// reported as "error executing command [argv], exit code N". ServeAttach reports success whatever
// the code.
function statusFor(result, opts, session) {
  if (opts.attach && result.error === undefined) return { metadata: {}, status: 'Success' };
  if (session && typeof session.status === 'function') return session.status(result);
  if (result.error !== undefined) {
    return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${result.error}`, reason: 'InternalError',
             details: { causes: [{ message: result.error }] }, code: 500 };
  }
  if (!result.code) return { metadata: {}, status: 'Success' };
  return {
    metadata: {}, status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${opts.command.join(' ')}], exit code ${result.code}`,
    reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(result.code) }] },
  };
}

// Status on the error stream (v4: JSON; v1-v3: the message, and nothing on success), then FIN on
// stdout, stderr and error. The GOAWAY waits briefly for the client, which closes the connection
// as soon as it has read everything, so no frame is dropped by a client that stops reading at GOAWAY.
async function finishSession(conn, streams, version, status) {
  conn.sessionDone = true;
  await Promise.all([writesQueued(streams.stdout), writesQueued(streams.stderr)]);
  if (streams.error && !streams.error.wasReset) {
    if (version >= 4) streams.error.write(goJSON(status, false));
    else if (status.status !== 'Success') streams.error.write(status.message);
  }
  for (const s of [streams.stdout, streams.stderr, streams.error]) if (s) s.end();
  await conn.flushed();
  await new Promise((resolve) => {
    if (conn.closed || conn.receivedGoAway) return resolve();
    const t = setTimeout(resolve, CLIENT_CLOSE_GRACE_MS);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    conn.once('goaway', done);
    conn.once('close', done);
    return undefined;
  });
  await conn.close();
}

// Go's json.Decoder over the resize stream: consecutive JSON objects, any whitespace between them.
// Decoding stops at the first malformed object, as handleResizeEvents does.
function jsonObjectStream(onObject) {
  let text = '';
  let broken = false;
  return (chunk) => {
    if (broken) return;
    text += chunk.toString('utf8');
    for (;;) {
      const start = text.search(/\S/);
      if (start < 0) {
        text = '';
        return;
      }
      const end = objectEnd(text, start);
      if (end < 0) return;
      try {
        onObject(JSON.parse(text.slice(start, end)));
      } catch {
        broken = true;
        return;
      }
      text = text.slice(end);
    }
  };
}

// Index just past the JSON value starting at `start` (object or not), or -1 if incomplete.
function objectEnd(text, start) {
  if (text[start] !== '{') return text.length; // not an object: let JSON.parse fail on it
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth += 1;
    else if (c === '}' || c === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

module.exports = { handleSpdyExec, statusFor, SERVER_PROTOCOLS, jsonObjectStream };
