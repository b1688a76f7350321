'use strict';
// One exec or attach session inside a simulated container, independent of the transport. The
// WebSocket (websocket.js) and SPDY (spdy-exec.js) front ends both drive a session through the
// same small interface, so the container behaves identically whichever protocol the client speaks.
//
//   const session = startSession({ctx, pod, container, command, tty, stdin, stdout, stderr});
//     ctx        the request context (ctx.sim: store, registry, pods)
//     pod        the stored pod; container: a container name already validated against the pod
//     command    argv array for exec; null for attach (ctx.info.subresource 'attach' also means attach)
//     tty, stdin, stdout, stderr   what the client asked for (with tty, stderr is merged into stdout)
//   session.stdin    Writable: the client's bytes; end() means stdin EOF (v5 CLOSE, SPDY FIN)
//   session.stdout   Readable: process output (the terminal's output with tty)
//   session.stderr   Readable: process errors; stays empty with tty
//   session.resize({Width, Height})   the client's terminal size (tty only)
//   session.exit     Promise -> {code: number} | {error: string}; resolves after stdout and stderr
//                    have emitted 'end', so the caller can write the status right away
//   session.kill()   ends the process now (client gone); exit resolves {code: 137}
//   session.status(result, {translated})   the v4 JSON Status for the error stream (see statusFor)
// Streams the client did not request are drained here; read only what you asked for.

const crypto = require('node:crypto');
const { PassThrough, Writable } = require('node:stream');
const { StringDecoder } = require('node:string_decoder');
const { Shell, Input, EOF, INTR, ExitSignal, InterruptSignal, APPLETS } = require('./shell');

// Status on the error stream, as the kubelet writes it (kubelet cri/streaming/remotecommand
// exec.go: containerd's CodeExitError "error executing command %v, exit code %d", or an
// InternalError). `translated`: the v5 WebSocket path, where kube-apiserver's StreamTranslator
// re-wraps what client-go decoded from the kubelet (apiserver pkg/util/proxy/streamtranslator.go).
function statusFor(result, { command = [], translated = false } = {}) {
  if (result.error !== undefined) {
    const inner = translated ? `Internal error occurred: ${result.error}` : result.error;
    return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${inner}`, reason: 'InternalError',
             details: { causes: [{ message: inner }] }, code: 500 };
  }
  if (!result.code) return { metadata: {}, status: 'Success' };
  const why = translated ? `command terminated with exit code ${result.code}`
    : `error executing command [${command.join(' ')}], exit code ${result.code}`;
  return { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: ${why}`,
           reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(result.code) }] } };
}

// What containerd + runc report when execve fails, wrapped as the kubelet wraps it.
function execFailure(name, fs) {
  let detail;
  if (!name.includes('/')) detail = `exec: "${name}": executable file not found in $PATH`;
  else if (!fs.stat(name)) detail = `exec: "${name}": stat ${name}: no such file or directory`;
  else detail = `exec: "${name}": permission denied`;
  const execId = crypto.randomBytes(32).toString('hex');
  return `error executing command in container: failed to exec in container: failed to start exec "${execId}": ` +
    `OCI runtime exec failed: exec failed: unable to start container process: ${detail}: unknown`;
}

// The terminal's line discipline (cooked mode, echo, ONLCR): what the pty inside a real container
// does between the client's raw keystrokes and the process.
class Terminal {
  constructor(emit) {
    this.emit = emit; // raw bytes to the client
    this.cooked = new Input();
    this.line = '';
    this.decoder = new StringDecoder('utf8');
    this.escape = null;
    this.size = { rows: 24, cols: 80 };
    this.onInterrupt = () => {};
  }

  write(data) {
    const s = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
    this.emit(Buffer.from(s.replace(/\r?\n/g, '\r\n')));
  }

  feed(buf) {
    for (const ch of this.decoder.write(buf)) this.key(ch);
  }

  key(ch) {
    if (this.escape !== null) { // swallow cursor keys and other escape sequences
      this.escape += ch;
      if (this.escape.length > 1 && /[A-Za-z~]/.test(ch)) this.escape = null;
      else if (this.escape.length === 1 && ch !== '[' && ch !== 'O') this.escape = null;
      return;
    }
    const code = ch.charCodeAt(0);
    if (ch === '\r' || ch === '\n') { this.emit(Buffer.from('\r\n')); this.cooked.push(Buffer.from(`${this.line}\n`)); this.line = ''; } else if (code === 0x7f || code === 0x08) {
      if (this.line) { this.line = [...this.line].slice(0, -1).join(''); this.emit(Buffer.from('\b \b')); }
    } else if (code === 0x03) { this.emit(Buffer.from('^C\r\n')); this.line = ''; this.onInterrupt(); } else if (code === 0x04) {
      if (this.line) { this.cooked.push(Buffer.from(this.line)); this.line = ''; } else this.cooked.push(EOF);
    } else if (code === 0x15) { this.emit(Buffer.from('\b \b'.repeat([...this.line].length))); this.line = ''; } else if (code === 0x1b) this.escape = '';
    else if (code >= 0x20) { this.line += ch; this.emit(Buffer.from(ch)); }
  }
}

function startSession({ ctx, pod, container, command, tty = false, stdin = false, stdout = true, stderr = false }) {
  const out = new PassThrough();
  const err = new PassThrough();
  // Output can trail the process (a keystroke echoed after exit); dropping it beats writing after end.
  const direct = (stream, d) => { if (!stream.writableEnded) stream.write(d); };
  // The split-output test option: each stream's writes go through a serial writer that cuts them.
  const splitter = ctx.sim.splitter;
  const split = splitter ? new Map([out, err].map((s) => [s, splitter.writer((d) => direct(s, d), () => {})])) : null;
  const put = split ? (stream, d) => split.get(stream).write(d) : direct;
  if (!stdout) out.resume();
  if (!stderr || tty) err.resume();
  const ended = Promise.all([new Promise((r) => out.once('end', r)), new Promise((r) => err.once('end', r))]);
  const runtime = ctx.sim.pods;
  const view = runtime.openContainer(ctx.sim, pod, container, { tty });
  const top = new AbortController();
  const raw = stdin ? new Input() : Input.from(Buffer.alloc(0));
  let term = null;
  let current = top; // the abort ^C triggers: the top process, or the command an interactive shell runs
  if (tty) {
    term = new Terminal((b) => put(out, b));
    term.onInterrupt = () => { if (current) current.abort(); else term.cooked.push(INTR); };
    if (!stdin) term.cooked.close();
  }
  const io = {
    stdin: term ? term.cooked : raw,
    stdout: term ? (d) => term.write(d) : (d) => put(out, d),
    stderr: term ? (d) => term.write(d) : (d) => put(err, d),
    signal: top.signal,
    ctl: term ? { running: (abort) => { current = abort; } } : null,
  };
  let killed = false;
  const stdinSink = new Writable({
    write(chunk, enc, cb) { if (stdin) (term ? term.feed(chunk) : raw.push(Buffer.from(chunk))); cb(); },
    final(cb) { if (term) term.cooked.close(); else raw.close(); cb(); },
  });
  stdinSink.on('error', () => {});
  const cancelGone = runtime.watchPodGone(pod, () => session.kill());
  // attach is named by the subresource too, so a front end passing [] for attach still attaches.
  const attach = !command || (ctx.info && ctx.info.subresource === 'attach');
  const run = attach ? runAttach(runtime, view, pod, container, io) : runExec(view, command, io, term);
  const exit = run.then((result) => (killed ? { code: 137 } : result), (e) => {
    if (e instanceof InterruptSignal) return { code: killed ? 137 : 130 };
    console.error('kube-sim: exec session failed:', e);
    return { error: `error executing command in container: ${e.message}` };
  }).then(async (result) => {
    cancelGone();
    if (split) await Promise.all([...split.values()].map((w) => w.drained()));
    out.end();
    err.end();
    await ended;
    return result;
  });
  const session = {
    stdin: stdinSink, stdout: out, stderr: err, exit, command: command || [],
    resize({ Width, Height }) {
      if (term && Width > 0 && Height > 0) { term.size.cols = Width; term.size.rows = Height; }
    },
    kill() { killed = true; top.abort(); if (current && current !== top) current.abort(); raw.close(); if (term) term.cooked.close(); },
    status(result, { translated = false } = {}) { return statusFor(result, { command: command || [], translated }); },
  };
  return session;
}

// exec: argv[0] is looked up on the container's PATH, as the runtime's execve would; no shell
// unless the command is one.
async function runExec(view, command, io, term) {
  const sh = new Shell({ ...view, name: 'sh', tty: term ? term.size : null });
  const applet = sh.resolve(command[0] || '');
  if (!applet) return { error: execFailure(command[0] || '', view.fs) };
  if (applet === 'sh' || applet === 'bash') sh.name = applet;
  try {
    return { code: (await APPLETS[applet](sh, command, io)) & 255 };
  } catch (e) {
    if (e instanceof ExitSignal) return { code: e.code & 255 };
    throw e;
  }
}

// attach: joins the container's main process. A container started with stdin and a shell gets an
// interactive shell; any other shows its output from now on, as `kubectl attach` does.
async function runAttach(runtime, view, pod, container, io) {
  const main = view.mainCommand;
  const shell = /(^|\/)(sh|bash|ash)$/.test(main[0] || '') && main.length === 1;
  if (view.spec.stdin && shell) {
    const sh = new Shell({ ...view, name: main[0].endsWith('bash') ? 'bash' : 'sh', tty: view.spec.tty ? { rows: 24, cols: 80 } : null });
    return { code: await sh.interactive(io, io.ctl) };
  }
  await new Promise((resolve) => {
    const cancel = runtime.followLogs(pod, container, (line) => io.stdout(`${line.text}\n`), { fromNow: true, onEnd: resolve });
    io.signal.addEventListener('abort', () => { cancel(); resolve(); }, { once: true });
  });
  return { code: 0 };
}

module.exports = { startSession, statusFor, Terminal };
