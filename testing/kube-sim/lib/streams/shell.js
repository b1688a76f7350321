'use strict';
// The simulated container userland: a small in-memory file system, a busybox-like set of applets
// (lib/streams/applets.js) and a POSIX-ish shell (words, quotes, $VAR, $(cmd), globs, ; && || |,
// redirections). It exists so that `kubectl exec` shows what a real container would: mounted
// Secrets, the environment, exit codes, an interactive prompt. Nothing here touches the host.
// Pure: no store, no network.

const { APPLETS, runApplet, userlandEntries } = require('./applets');

// ---------------------------------------------------------------------------------------------
// Input: what a process reads. A queue of chunks plus two markers a terminal produces: EOF (^D on
// an empty line: one read sees end-of-file, later reads go on) and INTR (^C while no command runs).

const EOF = Symbol('EOF');
const INTR = Symbol('INTR');

class Input {
  constructor() {
    this.queue = [];
    this.closed = false; // the client's stdin ended for good
    this.carry = Buffer.alloc(0);
    this.wake = null;
  }

  static from(buf) {
    const input = new Input();
    if (buf.length) input.push(buf);
    input.close();
    return input;
  }

  push(item) {
    this.queue.push(item);
    if (this.wake) this.wake();
  }

  close() {
    this.closed = true;
    if (this.wake) this.wake();
  }

  // Next chunk, EOF or INTR; EOF for ever once closed. Rejects with InterruptSignal on abort.
  async next(signal) {
    while (!this.queue.length && !this.closed) {
      if (signal && signal.aborted) throw new InterruptSignal();
      await new Promise((resolve) => {
        const done = () => { this.wake = null; if (signal) signal.removeEventListener('abort', done); resolve(); };
        this.wake = done;
        if (signal) signal.addEventListener('abort', done, { once: true });
      });
    }
    if (signal && signal.aborted) throw new InterruptSignal();
    return this.queue.length ? this.queue.shift() : EOF;
  }

  // A chunk, or null at end of input.
  async read(signal) {
    if (this.carry.length) { const c = this.carry; this.carry = Buffer.alloc(0); return c; }
    for (;;) {
      const item = await this.next(signal);
      if (item === EOF) return null;
      if (item !== INTR) return item;
    }
  }

  // A line without its newline, null at end of input, or INTR.
  async readLine(signal) {
    for (;;) {
      const nl = this.carry.indexOf(10);
      if (nl >= 0) {
        const line = this.carry.subarray(0, nl).toString('utf8');
        this.carry = this.carry.subarray(nl + 1);
        return line;
      }
      const item = await this.next(signal);
      if (item === INTR) { this.carry = Buffer.alloc(0); return INTR; }
      if (item === EOF) {
        if (!this.carry.length) return null;
        const rest = this.carry.toString('utf8');
        this.carry = Buffer.alloc(0);
        return rest;
      }
      this.carry = Buffer.concat([this.carry, item]);
    }
  }

  async readAll(signal) {
    const chunks = [];
    for (let c = await this.read(signal); c !== null; c = await this.read(signal)) chunks.push(c);
    return Buffer.concat(chunks);
  }
}

// ---------------------------------------------------------------------------------------------
// File system

class SimFs {
  // entries: Map(path -> {type:'file'|'dir', data?: Buffer, mode, readOnly?}); overlay: Map shared
  // across execs in one container so writes persist as they would in the container's rootfs.
  constructor(entries, overlay = new Map(), mtime = new Date()) {
    this.base = entries;
    this.overlay = overlay;
    this.mtime = mtime;
  }

  static resolve(cwd, p) {
    const parts = [];
    for (const seg of (p.startsWith('/') ? p : `${cwd}/${p}`).split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') parts.pop();
      else parts.push(seg);
    }
    return `/${parts.join('/')}`;
  }

  stat(path) {
    if (this.overlay.has(path)) return this.overlay.get(path); // null marks a deletion
    return this.base.get(path) || null;
  }

  readdir(path) {
    const prefix = path === '/' ? '/' : `${path}/`;
    const names = new Set();
    for (const map of [this.base, this.overlay]) {
      for (const [p, e] of map) {
        if (p.startsWith(prefix) && p !== path && !p.slice(prefix.length).includes('/') && e) names.add(p.slice(prefix.length));
      }
    }
    return [...names].filter((n) => this.stat(prefix + n)).sort();
  }

  // Returns an error string (busybox wording after the path) or null.
  write(path, data, append) {
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    const dir = this.stat(parent);
    if (!dir || dir.type !== 'dir') return 'nonexistent directory';
    if (dir.readOnly) return 'Read-only file system';
    const old = this.stat(path);
    if (old && old.type === 'dir') return 'Is a directory';
    if (old && old.readOnly) return 'Read-only file system';
    const prev = append && old ? old.data : Buffer.alloc(0);
    this.overlay.set(path, { type: 'file', data: Buffer.concat([prev, Buffer.from(data)]), mode: 0o644 });
    return null;
  }

  mkdir(path) {
    if (this.stat(path)) return 'File exists';
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    const dir = this.stat(parent);
    if (!dir || dir.type !== 'dir') return 'No such file or directory';
    if (dir.readOnly) return 'Read-only file system';
    this.overlay.set(path, { type: 'dir', mode: 0o755 });
    return null;
  }

  remove(path) {
    const e = this.stat(path);
    if (!e) return 'No such file or directory';
    if (e.type === 'dir') return 'Is a directory';
    const parent = this.stat(path.slice(0, path.lastIndexOf('/')) || '/');
    if (e.readOnly || (parent && parent.readOnly)) return 'Read-only file system';
    this.overlay.set(path, null);
    return null;
  }

  // Expands one glob word ('*', '?', '[..]' per component) to sorted matching paths.
  glob(pattern, cwd) {
    const abs = pattern.startsWith('/');
    let candidates = [abs ? '/' : cwd];
    for (const seg of pattern.split('/').filter(Boolean)) {
      const next = [];
      for (const dir of candidates) {
        if (!/[*?[]/.test(seg)) {
          const p = SimFs.resolve(dir, seg);
          if (this.stat(p)) next.push(p);
          continue;
        }
        const re = globRegex(seg);
        for (const name of this.readdir(dir)) {
          if (re.test(name) && (seg.startsWith('.') || !name.startsWith('.'))) next.push(SimFs.resolve(dir, name));
        }
      }
      candidates = next;
    }
    const strip = abs ? (p) => p : (p) => (cwd === '/' ? p.slice(1) : p.slice(cwd.length + 1));
    return candidates.map(strip).sort();
  }
}

function globRegex(seg) {
  let re = '';
  const m = /\[([^\]]+)\]/.exec(seg);
  if (m) { // one bracket class is all anyone types; the rest of the word stays literal
    return new RegExp(`^${globRegex(seg.slice(0, m.index)).source.slice(1, -1)}[${m[1].replace(/^!/, '^').replace(/\\/g, '\\\\')}]${globRegex(seg.slice(m.index + m[0].length)).source.slice(1, -1)}$`);
  }
  for (const c of seg) {
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

// ---------------------------------------------------------------------------------------------
// Tokenizer and parser

class ShellSyntaxError extends Error {}

const OPERATORS = ['&&', '||', '>>', '2>>', '2>&1', '1>&2', '>&2', '&>', '2>', ';;', ';', '|', '&', '>', '<', '\n'];

// Words are lists of parts: {t:'lit', v, q} (q: quoted, no splitting or globbing), {t:'var', name, q},
// {t:'cmd', src, q}. Expansion happens at run time against the shell's variables.
function tokenize(src) {
  const tokens = [];
  let i = 0;
  let word = null;
  const lit = (v, q) => {
    word = word || [];
    const last = word[word.length - 1];
    if (last && last.t === 'lit' && last.q === q && !q) last.v += v; else word.push({ t: 'lit', v, q });
  };
  const flush = () => { if (word) tokens.push({ t: 'word', parts: word }); word = null; };
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\r') { flush(); i += 1; continue; }
    if (c === '#' && !word) { while (i < src.length && src[i] !== '\n') i += 1; continue; }
    if (c === '\\') {
      if (src[i + 1] === '\n') { i += 2; continue; }
      lit(src[i + 1] || '', true); i += 2; continue;
    }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError('syntax error: unterminated quoted string');
      lit(src.slice(i + 1, end), true); word = word || []; i = end + 1; continue;
    }
    if (c === '"') { i = readDouble(src, i + 1, (p) => { word = word || []; word.push(p); }); word = word || []; continue; }
    if (c === '$' || c === '`') {
      const r = readDollar(src, i, false);
      if (r) { word = word || []; word.push(r.part); i = r.end; continue; }
    }
    const isFd = /^[12]$/.test(c) && !word && (src[i + 1] === '>');
    const op = OPERATORS.find((o) => src.startsWith(o, i) && (isFd || !/^[12]/.test(o)));
    if (op && (!/^[12]/.test(op) || isFd)) { flush(); tokens.push({ t: 'op', v: op }); i += op.length; continue; }
    lit(c, false); i += 1;
  }
  flush();
  return tokens;
}

function readDouble(src, i, push) {
  let buf = '';
  const out = () => { if (buf) push({ t: 'lit', v: buf, q: true }); buf = ''; };
  push({ t: 'lit', v: '', q: true }); // "" is still a word
  while (i < src.length && src[i] !== '"') {
    if (src[i] === '\\' && '"\\$`\n'.includes(src[i + 1])) { buf += src[i + 1] === '\n' ? '' : src[i + 1]; i += 2; continue; }
    if (src[i] === '$' || src[i] === '`') {
      const r = readDollar(src, i, true);
      if (r) { out(); push(r.part); i = r.end; continue; }
    }
    buf += src[i]; i += 1;
  }
  if (i >= src.length) throw new ShellSyntaxError('syntax error: unterminated quoted string');
  out();
  return i + 1;
}

function readDollar(src, i, q) {
  if (src[i] === '`') {
    const end = src.indexOf('`', i + 1);
    if (end < 0) throw new ShellSyntaxError('unterminated `');
    return { part: { t: 'cmd', src: src.slice(i + 1, end), q }, end: end + 1 };
  }
  const n = src[i + 1];
  if (n === '(') {
    let depth = 1; let j = i + 2; let quote = null;
    for (; j < src.length && depth > 0; j += 1) {
      const c = src[j];
      if (quote) { if (c === quote) quote = null; continue; }
      if (c === "'" || c === '"') quote = c;
      else if (c === '(') depth += 1;
      else if (c === ')') depth -= 1;
    }
    if (depth) throw new ShellSyntaxError('unexpected end of file (expecting ")")');
    return { part: { t: 'cmd', src: src.slice(i + 2, j - 1), q }, end: j };
  }
  if (n === '{') {
    const end = src.indexOf('}', i + 2);
    if (end < 0) throw new ShellSyntaxError('bad substitution');
    return { part: { t: 'var', name: src.slice(i + 2, end), q }, end: end + 1 };
  }
  const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9?$#@*!-])/.exec(src.slice(i + 1));
  if (!m) return null;
  return { part: { t: 'var', name: m[1], q }, end: i + 1 + m[1].length };
}

const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', '{', '}', '(', ')']);

// list := pipeline ((; | & | && | || | \n) pipeline)* ; returns [{op, pipeline}] (op joins to previous).
function parse(src) {
  const tokens = tokenize(src);
  const list = [];
  let op = ';';
  let pipeline = [];
  let cmd = newCommand();
  let pos = 0;
  const endCommand = () => {
    if (!cmd.words.length && !cmd.assigns.length && !cmd.redirs.length) return false;
    pipeline.push(cmd); cmd = newCommand(); return true;
  };
  while (pos < tokens.length) {
    const tok = tokens[pos++];
    if (tok.t === 'word') {
      const text = plainText(tok.parts);
      const assign = cmd.words.length ? null : splitAssignment(tok.parts);
      if (assign) { cmd.assigns.push(assign); continue; }
      if (!cmd.words.length && text !== null && RESERVED.has(text)) throw new ShellSyntaxError(`syntax error: unexpected "${text}"`);
      cmd.words.push(tok.parts);
      continue;
    }
    const v = tok.v;
    if (['>', '>>', '<', '2>', '2>>', '&>'].includes(v)) {
      const target = tokens[pos++];
      if (!target || target.t !== 'word') throw new ShellSyntaxError('syntax error: unexpected newline');
      cmd.redirs.push({ op: v, target: target.parts });
    } else if (v === '2>&1' || v === '1>&2' || v === '>&2') {
      cmd.redirs.push({ op: v });
    } else if (v === '|') {
      if (!endCommand()) throw new ShellSyntaxError('syntax error: unexpected "|"');
    } else {
      const had = endCommand();
      if (pipeline.length) { list.push({ op, pipeline }); pipeline = []; }
      else if (!had && (v === '&&' || v === '||' || v === ';;')) throw new ShellSyntaxError(`syntax error: unexpected "${v}"`);
      if (v !== '\n' || !pipeline.length) op = v === '&&' || v === '||' ? v : ';';
    }
  }
  endCommand();
  if (pipeline.length) list.push({ op, pipeline });
  else if (op === '&&' || op === '||') throw new ShellSyntaxError('syntax error: unexpected end of file');
  return list;
}

function newCommand() { return { assigns: [], words: [], redirs: [] }; }

// The word's text if it has no expansions, else null.
function plainText(parts) {
  if (parts.some((p) => p.t !== 'lit')) return null;
  return parts.map((p) => p.v).join('');
}

// Splits NAME=value at the first unquoted '=' into [name, valueParts]; null if the word is no assignment.
function splitAssignment(parts) {
  const first = parts[0];
  if (first.t !== 'lit' || first.q) return null;
  const at = first.v.indexOf('=');
  if (at <= 0) return null;
  const name = first.v.slice(0, at);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return null;
  return [name, [{ t: 'lit', v: first.v.slice(at + 1), q: true }, ...parts.slice(1)]];
}

// ---------------------------------------------------------------------------------------------
// Interpreter

class ExitSignal { constructor(code) { this.code = code; } }
class InterruptSignal {}

function sleepFor(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) { reject(new InterruptSignal()); return; }
    const t = setTimeout(() => { if (signal) signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(new InterruptSignal()); };
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

class Shell {
  // opts: {fs, env (object), cwd, hostname, name: 'sh'|'bash', term: {rows, cols} | null, tty,
  //        mainCommand (argv of pid 1, for ps), user: {uid, gid}}
  constructor(opts) {
    this.fs = opts.fs;
    this.env = { ...opts.env };
    this.cwd = opts.cwd || '/';
    this.hostname = opts.hostname || 'localhost';
    this.name = opts.name || 'sh';
    this.tty = opts.tty || null; // {rows, cols} holder shared with the session, or null
    this.mainCommand = opts.mainCommand || ['sh'];
    this.user = opts.user || { uid: 0, gid: 0 };
    this.status = 0;
    this.args = [];
    this.now = opts.now || (() => new Date());
  }

  notFound(name) {
    return this.name === 'bash' ? `bash: ${name}: command not found\n` : `${this.name}: ${name}: not found\n`;
  }

  // Runs a script; returns its exit status. `exit` inside ends the script with that status.
  async runScript(src, io) {
    try {
      return await this.runList(src, io);
    } catch (e) {
      if (e instanceof ExitSignal) return e.code;
      throw e;
    }
  }

  async runList(src, io) {
    let list;
    try {
      list = parse(src);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      io.stderr(`${this.name}: ${e.message}\n`);
      this.status = 2;
      return 2;
    }
    for (const { op, pipeline } of list) {
      if (op === '&&' && this.status !== 0) continue;
      if (op === '||' && this.status === 0) continue;
      this.status = await this.runPipeline(pipeline, io);
    }
    return this.status;
  }

  // Stages run one after another with buffered hand-over: enough for the `cmd | grep x` cases
  // people type, and it keeps every applet a plain async function.
  async runPipeline(pipeline, io) {
    let input = io.stdin;
    let status = 0;
    for (let k = 0; k < pipeline.length; k += 1) {
      const last = k === pipeline.length - 1;
      const chunks = [];
      const stageIo = { ...io, stdin: input, stdout: last ? io.stdout : (d) => chunks.push(Buffer.from(d)) };
      status = await this.runCommand(pipeline[k], stageIo);
      if (!last) input = Input.from(Buffer.concat(chunks));
    }
    return status;
  }

  async runCommand(cmd, io) {
    if (io.signal && io.signal.aborted) throw new InterruptSignal();
    const argv = [];
    for (const w of cmd.words) argv.push(...await this.expandWord(w, io));
    const assigns = [];
    for (const [name, parts] of cmd.assigns) assigns.push([name, (await this.expandWord(parts, io, false)).join(' ')]);
    if (!argv.length) {
      for (const [k, v] of assigns) this.env[k] = v;
      return this.status;
    }
    const redirected = this.applyRedirs(cmd.redirs, io);
    if (typeof redirected === 'string') { io.stderr(redirected); return 1; }
    const saved = assigns.map(([k]) => [k, this.env[k]]);
    for (const [k, v] of assigns) this.env[k] = v;
    try {
      return await this.exec(argv, redirected.io);
    } finally {
      for (const [k, v] of saved) { if (v === undefined) delete this.env[k]; else this.env[k] = v; }
      redirected.close();
    }
  }

  applyRedirs(redirs, io) {
    const out = { ...io };
    const files = [];
    for (const r of redirs) {
      if (r.op === '2>&1') { out.stderr = out.stdout; continue; }
      if (r.op === '1>&2' || r.op === '>&2') { out.stdout = out.stderr; continue; }
      const target = SimFs.resolve(this.cwd, expandPlain(r.target, this.env));
      if (r.op === '<') {
        if (target === '/dev/null') { out.stdin = Input.from(Buffer.alloc(0)); continue; }
        const e = this.fs.stat(target);
        if (!e) return `${this.name}: can't open ${target}: no such file\n`;
        out.stdin = Input.from(e.data || Buffer.alloc(0));
        continue;
      }
      const append = r.op.endsWith('>>');
      let sink;
      if (target === '/dev/null') sink = () => {};
      else {
        const err = this.fs.write(target, '', append);
        if (err) return `${this.name}: can't create ${target}: ${err}\n`;
        sink = (d) => this.fs.write(target, d, true);
      }
      files.push(target);
      if (r.op === '&>') { out.stdout = sink; out.stderr = sink; } else if (r.op.startsWith('2')) out.stderr = sink; else out.stdout = sink;
    }
    return { io: out, close: () => {} };
  }

  // Word expansion: variables, command substitution, field splitting of unquoted results, globs.
  async expandWord(parts, io, split = true) {
    const fields = [];
    let cur = null;
    let globbable = false;
    const append = (s, quoted) => {
      if (quoted || !split) { cur = (cur || '') + s; return; }
      const pieces = s.split(/[ \t\n]+/);
      pieces.forEach((p, idx) => {
        if (idx > 0 && cur !== null) { fields.push({ v: cur, g: globbable }); cur = null; globbable = false; }
        if (p !== '') cur = (cur || '') + p;
      });
    };
    for (const p of parts) {
      if (p.t === 'lit') {
        if (p.q) cur = (cur || '') + p.v;
        else { if (/[*?[]/.test(p.v)) globbable = true; cur = (cur || '') + p.v; }
      } else if (p.t === 'var') append(this.variable(p.name), p.q);
      else append((await this.capture(p.src, io)).replace(/\n+$/, ''), p.q);
    }
    if (cur !== null) fields.push({ v: cur, g: globbable });
    const out = [];
    for (const f of fields) {
      const matches = f.g && split ? this.fs.glob(f.v, this.cwd) : [];
      out.push(...(matches.length ? matches : [f.v]));
    }
    return out;
  }

  variable(name) {
    if (name === '?') return String(this.status);
    if (name === '$') return '42';
    if (name === '#') return String(this.args.length);
    if (name === '@' || name === '*') return this.args.join(' ');
    if (name === '0') return this.arg0 || this.name;
    if (/^[1-9]$/.test(name)) return this.args[Number(name) - 1] || '';
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(:?-)(.*)$/.exec(name);
    if (m) { const v = this.env[m[1]]; return (v === undefined || (m[2] === ':-' && v === '')) ? m[3] : v; }
    return this.env[name] ?? '';
  }

  async capture(src, io) {
    const chunks = [];
    const sub = this.subshell();
    await sub.runScript(src, { ...io, stdout: (d) => chunks.push(Buffer.from(d)) });
    return Buffer.concat(chunks).toString('utf8');
  }

  subshell(name = this.name) {
    const sub = new Shell({ fs: this.fs, env: this.env, cwd: this.cwd, hostname: this.hostname, name, tty: this.tty,
                            mainCommand: this.mainCommand, user: this.user, now: this.now });
    sub.status = this.status;
    return sub;
  }

  // Finds an applet for argv[0] as execve would through $PATH; null when there is none.
  resolve(name) {
    if (name.includes('/')) {
      const p = SimFs.resolve(this.cwd, name);
      const e = this.fs.stat(p);
      if (!e || e.type !== 'file' || !e.applet) return null;
      return e.applet;
    }
    for (const dir of (this.env.PATH || '/bin').split(':')) {
      const e = this.fs.stat(SimFs.resolve('/', `${dir}/${name}`));
      if (e && e.type === 'file' && e.applet) return e.applet;
    }
    return null;
  }

  async exec(argv, io) {
    const builtin = BUILTINS[argv[0]];
    if (builtin) return builtin.call(this, argv, io);
    const applet = this.resolve(argv[0]);
    if (!applet) { io.stderr(this.notFound(argv[0])); return 127; }
    return runApplet(this, applet, argv, io);
  }

  prompt() {
    if (this.name === 'bash') return `root@${this.hostname}:${this.cwd === '/root' ? '~' : this.cwd}# `;
    return `${this.cwd === '/root' ? '~' : this.cwd} # `;
  }

  // Reads commands from io.stdin until EOF (`sh` without -c). With a terminal, shows the prompt and
  // returns to it after ^C; `ctl.running(abort)` lets the terminal interrupt the current command.
  async interactive(io, ctl) {
    for (;;) {
      if (ctl) io.stdout(this.prompt());
      const line = await io.stdin.readLine();
      if (line === INTR) continue;
      if (line === null) {
        if (ctl && this.name === 'bash') io.stdout('exit\n');
        return this.status;
      }
      if (!line.trim()) continue;
      const abort = new AbortController();
      if (ctl) ctl.running(abort);
      try {
        await this.runList(line, { ...io, signal: abort.signal });
      } catch (e) {
        if (e instanceof ExitSignal) return e.code;
        if (!(e instanceof InterruptSignal)) throw e;
        this.status = 130;
      } finally {
        if (ctl) ctl.running(null);
      }
    }
  }
}

function expandPlain(parts, env) {
  return parts.map((p) => (p.t === 'lit' ? p.v : p.t === 'var' ? env[p.name] ?? '' : '')).join('');
}

const BUILTINS = {
  cd(argv, io) {
    const target = SimFs.resolve(this.cwd, argv[1] || this.env.HOME || '/');
    const e = this.fs.stat(target);
    if (!e || e.type !== 'dir') {
      io.stderr(`${this.name}: cd: can't cd to ${argv[1]}: ${e ? 'Not a directory' : 'No such file or directory'}\n`);
      return 2;
    }
    this.cwd = target;
    this.env.PWD = target;
    return 0;
  },
  exit(argv) { throw new ExitSignal(argv[1] === undefined ? this.status : (Number(argv[1]) & 255) || 0); },
  export(argv) {
    for (const a of argv.slice(1)) {
      const eq = a.indexOf('=');
      if (eq > 0) this.env[a.slice(0, eq)] = a.slice(eq + 1);
      else if (!(a in this.env)) this.env[a] = '';
    }
    return 0;
  },
  unset(argv) { for (const a of argv.slice(1)) delete this.env[a]; return 0; },
  ':'() { return 0; },
};

// pods.js and exec.js reach the applets through this module.
module.exports = { Shell, SimFs, Input, EOF, INTR, ExitSignal, InterruptSignal, ShellSyntaxError, tokenize, parse, sleepFor,
                   userlandEntries, APPLETS };
