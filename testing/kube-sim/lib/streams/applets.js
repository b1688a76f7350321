'use strict';
// The applets of the simulated container userland (lib/streams/shell.js): busybox's built-in
// commands with busybox's wording for errors, and where busybox puts them on disk. Each takes
// (shell, argv, io) and returns the exit status.

// SimFs and sleepFor live in shell.js, which runs these applets; looking them up when an applet
// runs keeps the two modules free of a load-order cycle.
const shell = () => require('./shell');
const resolvePath = (cwd, p) => shell().SimFs.resolve(cwd, p);
const sleepFor = (ms, signal) => shell().sleepFor(ms, signal);

const APPLET_DIRS = { '/bin': null, '/usr/bin': ['env', 'head', 'tail', 'wc', 'id', 'whoami', 'which', 'base64', 'test', '[', 'clear'] };

const text = (io, s) => io.stdout(s);

async function readSources(sh, files, io, name) {
  if (!files.length || (files.length === 1 && files[0] === '-')) return { data: [await io.stdin.readAll(io.signal)], status: 0 };
  const data = [];
  let status = 0;
  for (const f of files) {
    const e = sh.fs.stat(resolvePath(sh.cwd, f));
    if (!e) { io.stderr(`${name}: ${f}: No such file or directory\n`); status = name === 'grep' ? 2 : 1; continue; }
    if (e.type === 'dir') { io.stderr(`${name}: ${f}: Is a directory\n`); status = 1; continue; }
    data.push(e.data);
  }
  return { data, status };
}

function lineCountArg(argv, dflt = 10) {
  let n = dflt;
  const files = [];
  for (let i = 1; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '-n') n = Number(argv[++i]);
    else if (/^-n\d+$/.test(a)) n = Number(a.slice(2));
    else if (/^-\d+$/.test(a)) n = Number(a.slice(1));
    else files.push(a);
  }
  return { n, files };
}

function splitLines(buf) {
  const s = buf.toString('utf8');
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const p2 = (n) => String(n).padStart(2, '0');

function formatDate(d, fmt) {
  if (!fmt) return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
  const map = { s: String(Math.floor(d.getTime() / 1000)), Y: String(d.getUTCFullYear()), m: p2(d.getUTCMonth() + 1),
                d: p2(d.getUTCDate()), H: p2(d.getUTCHours()), M: p2(d.getUTCMinutes()), S: p2(d.getUTCSeconds()),
                Z: 'UTC', '%': '%' };
  map.F = `${map.Y}-${map.m}-${map.d}`;
  map.T = `${map.H}:${map.M}:${map.S}`;
  return fmt.replace(/%(.)/g, (all, c) => map[c] ?? all);
}

function modeString(e) {
  const bits = e.mode ?? (e.type === 'dir' ? 0o755 : 0o644);
  let s = e.type === 'dir' ? 'd' : '-';
  for (let shift = 6; shift >= 0; shift -= 3) {
    const b = (bits >> shift) & 7;
    s += (b & 4 ? 'r' : '-') + (b & 2 ? 'w' : '-') + (b & 1 ? 'x' : '-');
  }
  return s;
}

function lsLong(sh, e, name) {
  const d = sh.fs.mtime;
  const size = e.type === 'dir' ? 4096 : (e.data ? e.data.length : 0);
  const when = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}`;
  return `${modeString(e)}    1 root     root     ${String(size).padStart(9)} ${when} ${name}\n`;
}

function ls(sh, argv, io) {
  const flags = argv.slice(1).filter((a) => a.startsWith('-') && a.length > 1).join('');
  const paths = argv.slice(1).filter((a) => !a.startsWith('-') || a === '-');
  const long = flags.includes('l');
  const all = flags.includes('a');
  const oneLine = long || flags.includes('1') || !sh.tty;
  let status = 0;
  const targets = paths.length ? paths : ['.'];
  const out = (names, fmt) => {
    if (!names.length) return;
    if (oneLine) for (const n of names) text(io, fmt(n));
    else text(io, `${names.join('  ')}\n`);
  };
  targets.forEach((p, idx) => {
    const abs = resolvePath(sh.cwd, p);
    const e = sh.fs.stat(abs);
    if (!e) { io.stderr(`ls: ${p}: No such file or directory\n`); status = 1; return; }
    if (e.type !== 'dir') { out([p], (n) => (long ? lsLong(sh, e, n) : `${n}\n`)); return; }
    if (targets.length > 1) text(io, `${idx ? '\n' : ''}${p}:\n`);
    const names = sh.fs.readdir(abs).filter((n) => all || !n.startsWith('.'));
    if (all) names.unshift('.', '..');
    out(names, (n) => (long ? lsLong(sh, sh.fs.stat(resolvePath(abs, n)) || { type: 'dir' }, n) : `${n}\n`));
  });
  return status;
}

function evalTest(sh, args) {
  if (!args.length) return false;
  if (args[0] === '!') return !evalTest(sh, args.slice(1));
  if (args.length === 1) return args[0] !== '';
  if (args.length === 2) {
    const e = sh.fs.stat(resolvePath(sh.cwd, args[1]));
    switch (args[0]) {
      case '-z': return args[1] === '';
      case '-n': return args[1] !== '';
      case '-e': case '-r': return !!e;
      case '-f': return !!e && e.type === 'file';
      case '-d': return !!e && e.type === 'dir';
      case '-s': return !!e && e.type === 'file' && e.data.length > 0;
      case '-x': return !!e && (e.type === 'dir' || !!e.applet);
      case '-w': return !!e && !e.readOnly;
      default: return false;
    }
  }
  const [a, op, b] = args;
  const num = { '-eq': (x, y) => x === y, '-ne': (x, y) => x !== y, '-lt': (x, y) => x < y, '-le': (x, y) => x <= y,
                '-gt': (x, y) => x > y, '-ge': (x, y) => x >= y };
  if (op === '=' || op === '==') return a === b;
  if (op === '!=') return a !== b;
  if (num[op]) return num[op](Number(a), Number(b));
  return false;
}

const APPLETS = {
  async echo(sh, argv, io) {
    let args = argv.slice(1);
    let newline = true;
    let escapes = false;
    while (args.length && /^-[neE]+$/.test(args[0])) {
      if (args[0].includes('n')) newline = false;
      if (args[0].includes('e')) escapes = true;
      args = args.slice(1);
    }
    let s = args.join(' ');
    if (escapes) s = s.replace(/\\([nt\\])/g, (m, c) => ({ n: '\n', t: '\t', '\\': '\\' }[c]));
    text(io, newline ? `${s}\n` : s);
    return 0;
  },
  async cat(sh, argv, io) {
    const files = argv.slice(1).filter((a) => a !== '-u');
    if (!files.length || (files.length === 1 && files[0] === '-')) {
      // Streams chunk by chunk so an interactive `cat` echoes each line as it is typed.
      for (let c = await io.stdin.read(io.signal); c !== null; c = await io.stdin.read(io.signal)) io.stdout(c);
      return 0;
    }
    let status = 0;
    for (const f of files) {
      const e = sh.fs.stat(resolvePath(sh.cwd, f));
      if (!e) { io.stderr(`cat: can't open '${f}': No such file or directory\n`); status = 1; } else if (e.type === 'dir') { io.stderr('cat: read error: Is a directory\n'); status = 1; } else io.stdout(e.data);
    }
    return status;
  },
  async env(sh, argv, io) {
    const env = { ...sh.env };
    let i = 1;
    for (; i < argv.length && argv[i].includes('=') && !argv[i].startsWith('='); i += 1) {
      const eq = argv[i].indexOf('=');
      env[argv[i].slice(0, eq)] = argv[i].slice(eq + 1);
    }
    if (i < argv.length) {
      const child = sh.subshell();
      child.env = env;
      return child.exec(argv.slice(i), io);
    }
    text(io, Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
    return 0;
  },
  async printenv(sh, argv, io) {
    if (argv.length === 1) return APPLETS.env(sh, ['env'], io);
    let status = 0;
    for (const name of argv.slice(1)) {
      if (name in sh.env) text(io, `${sh.env[name]}\n`); else status = 1;
    }
    return status;
  },
  ls: async (sh, argv, io) => ls(sh, argv, io),
  async printf(sh, argv, io) {
    if (argv.length < 2) { io.stderr('printf: usage: printf FORMAT [ARGUMENT]...\n'); return 1; }
    const args = argv.slice(2);
    let out = '';
    do { // the format is reused while arguments remain, as POSIX printf does
      out += argv[1].replace(/\\([nt\\])|%([sdc%])/g, (m, esc, conv) => {
        if (esc) return { n: '\n', t: '\t', '\\': '\\' }[esc];
        if (conv === '%') return '%';
        const a = args.shift() ?? '';
        return conv === 'd' ? String(parseInt(a, 10) || 0) : conv === 'c' ? a.slice(0, 1) : a;
      });
    } while (args.length && /%[sdc]/.test(argv[1]));
    text(io, out);
    return 0;
  },
  async pwd(sh, argv, io) { text(io, `${sh.cwd}\n`); return 0; },
  async sleep(sh, argv, io) {
    const arg = argv[1];
    if (arg === undefined) { io.stderr('BusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.\n\nUsage: sleep [N]...\n'); return 1; }
    if (arg === 'infinity') { await sleepFor(2 ** 31 - 1, io.signal); return 0; }
    const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
    if (!m) { io.stderr(`sleep: invalid number '${arg}'\n`); return 1; }
    const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
    await sleepFor(Math.min(Number(m[1]) * unit * 1000, 2 ** 31 - 1), io.signal);
    return 0;
  },
  async true() { return 0; },
  async false() { return 1; },
  async hostname(sh, argv, io) { text(io, `${sh.hostname}\n`); return 0; },
  async id(sh, argv, io) {
    const { uid, gid } = sh.user;
    const name = (n) => (n === 0 ? '(root)' : '');
    if (argv.includes('-u')) { text(io, argv.includes('-n') && uid === 0 ? 'root\n' : `${uid}\n`); return 0; }
    if (argv.includes('-g')) { text(io, `${gid}\n`); return 0; }
    const groups = uid === 0 ? '0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel),11(floppy),20(dialout),26(tape),27(video)'
      : `${gid}${name(gid)}`;
    text(io, `uid=${uid}${name(uid)} gid=${gid}${name(gid)} groups=${groups}\n`);
    return 0;
  },
  async whoami(sh, argv, io) {
    if (sh.user.uid !== 0) { io.stderr(`whoami: unknown uid ${sh.user.uid}\n`); return 1; }
    text(io, 'root\n');
    return 0;
  },
  async uname(sh, argv, io) {
    const f = {
      s: 'Linux', n: sh.hostname, r: '6.1.0-28-cloud-amd64', v: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)',
      m: 'x86_64', o: 'Linux' };
    const flags = argv.slice(1).join('').replace(/-/g, '');
    const keys = flags.includes('a') ? ['s', 'n', 'r', 'v', 'm', 'o'] : [...(flags || 's')].filter((k) => f[k]);
    text(io, `${keys.map((k) => f[k]).join(' ')}\n`);
    return 0;
  },
  async date(sh, argv, io) {
    const fmt = argv.slice(1).find((a) => a.startsWith('+'));
    text(io, `${formatDate(sh.now(), fmt && fmt.slice(1))}\n`);
    return 0;
  },
  async head(sh, argv, io) {
    const { n, files } = lineCountArg(argv);
    const { data, status } = await readSources(sh, files, io, 'head');
    for (const d of data) text(io, splitLines(d).slice(0, n).map((l) => `${l}\n`).join(''));
    return status;
  },
  async tail(sh, argv, io) {
    const { n, files } = lineCountArg(argv);
    const { data, status } = await readSources(sh, files, io, 'tail');
    for (const d of data) text(io, (n ? splitLines(d).slice(-n) : []).map((l) => `${l}\n`).join(''));
    return status;
  },
  async wc(sh, argv, io) {
    const flags = argv.slice(1).filter((a) => a.startsWith('-')).join('');
    const files = argv.slice(1).filter((a) => !a.startsWith('-'));
    const { data, status } = await readSources(sh, files, io, 'wc');
    data.forEach((d, i) => {
      const s = d.toString('utf8');
      const counts = { l: (s.match(/\n/g) || []).length, w: s.split(/\s+/).filter(Boolean).length, c: d.length };
      const keys = [...'lwc'].filter((k) => flags.includes(k));
      const cols = (keys.length ? keys : ['l', 'w', 'c']).map((k) => counts[k]);
      const pad = cols.length > 1 || files.length ? 7 : 0;
      text(io, `${cols.map((c) => String(c).padStart(pad)).join(' ')}${files[i] ? ` ${files[i]}` : ''}\n`);
    });
    return status;
  },
  async grep(sh, argv, io) {
    const flags = new Set();
    const rest = [];
    for (const a of argv.slice(1)) {
      if (/^-[ivcqnFEw]+$/.test(a)) for (const c of a.slice(1)) flags.add(c); else rest.push(a);
    }
    if (!rest.length) { io.stderr('Usage: grep [-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n'); return 2; }
    const [pattern, ...files] = rest;
    const { data, status } = await readSources(sh, files, io, 'grep');
    const re = new RegExp(flags.has('E') ? pattern : pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags.has('i') ? 'i' : '');
    let matched = 0;
    data.forEach((d, fi) => {
      let count = 0;
      splitLines(d).forEach((line, li) => {
        if (re.test(line) === flags.has('v')) return;
        count += 1;
        if (flags.has('q') || flags.has('c')) return;
        const prefix = (files.length > 1 ? `${files[fi]}:` : '') + (flags.has('n') ? `${li + 1}:` : '');
        text(io, `${prefix}${line}\n`);
      });
      matched += count;
      if (flags.has('c') && !flags.has('q')) text(io, `${files.length > 1 ? `${files[fi]}:` : ''}${count}\n`);
    });
    return status || (matched ? 0 : 1);
  },
  sh: (sh, argv, io) => runShell(sh, 'sh', argv, io),
  bash: (sh, argv, io) => runShell(sh, 'bash', argv, io),
  async stty(sh, argv, io) {
    if (!sh.tty) { io.stderr('stty: standard input: Not a tty\n'); return 1; }
    if (argv[1] === 'size') text(io, `${sh.tty.rows} ${sh.tty.cols}\n`);
    return 0;
  },
  async ps(sh, argv, io) {
    text(io, `PID   USER     TIME  COMMAND\n    1 root      0:00 ${sh.mainCommand.join(' ')}\n`);
    text(io, `   ${String(7 + (sh.fs.overlay.size % 50)).padStart(2)} root      0:00 ps ${argv.slice(1).join(' ')}`.trimEnd() + '\n');
    return 0;
  },
  async touch(sh, argv, io) {
    let status = 0;
    for (const f of argv.slice(1)) {
      const p = resolvePath(sh.cwd, f);
      const err = sh.fs.write(p, '', true);
      if (err) { io.stderr(`touch: ${f}: ${err}\n`); status = 1; }
    }
    return status;
  },
  async mkdir(sh, argv, io) {
    const parents = argv.includes('-p');
    let status = 0;
    for (const d of argv.slice(1).filter((a) => !a.startsWith('-'))) {
      const p = resolvePath(sh.cwd, d);
      const chain = parents ? p.split('/').filter(Boolean).map((_, i, a) => `/${a.slice(0, i + 1).join('/')}`) : [p];
      for (const c of chain) {
        const err = sh.fs.stat(c) && parents ? null : sh.fs.mkdir(c);
        if (err) { io.stderr(`mkdir: can't create directory '${d}': ${err}\n`); status = 1; break; }
      }
    }
    return status;
  },
  async rm(sh, argv, io) {
    const force = argv.some((a) => /^-\w*f/.test(a));
    let status = 0;
    for (const f of argv.slice(1).filter((a) => !a.startsWith('-'))) {
      const err = sh.fs.remove(resolvePath(sh.cwd, f));
      if (err && !(force && err.startsWith('No such'))) { io.stderr(`rm: can't remove '${f}': ${err}\n`); status = 1; }
    }
    return status;
  },
  async which(sh, argv, io) {
    let status = 0;
    for (const name of argv.slice(1)) {
      const dir = (sh.env.PATH || '').split(':').find((d) => { const e = sh.fs.stat(`${d}/${name}`); return e && e.applet; });
      if (dir) text(io, `${dir}/${name}\n`); else status = 1;
    }
    return status;
  },
  async base64(sh, argv, io) {
    const decode = argv.includes('-d');
    const { data, status } = await readSources(sh, argv.slice(1).filter((a) => !a.startsWith('-')), io, 'base64');
    const all = Buffer.concat(data);
    if (decode) io.stdout(Buffer.from(all.toString('latin1').replace(/\s+/g, ''), 'base64'));
    else text(io, `${(all.toString('base64').match(/.{1,76}/g) || []).join('\n')}${all.length ? '\n' : ''}`);
    return status;
  },
  async test(sh, argv) { return evalTest(sh, argv.slice(1)) ? 0 : 1; },
  async '['(sh, argv, io) {
    if (argv[argv.length - 1] !== ']') { io.stderr('[: missing ]\n'); return 2; }
    return evalTest(sh, argv.slice(1, -1)) ? 0 : 1;
  },
  async clear(sh, argv, io) { text(io, '\x1b[H\x1b[J'); return 0; },
};

// sh / bash: `-c script [arg0 args...]`, a script file, or commands from stdin (a prompt with a tty).
async function runShell(parent, name, argv, io) {
  const child = parent.subshell(name);
  let i = 1;
  while (i < argv.length && /^-[ilexs]+$/.test(argv[i])) i += 1;
  if (argv[i] === '-c') {
    if (argv[i + 1] === undefined) { io.stderr(`${name}: -c requires an argument\n`); return 2; }
    if (argv[i + 2] !== undefined) child.arg0 = argv[i + 2];
    child.args = argv.slice(i + 3);
    return child.runScript(argv[i + 1], io);
  }
  if (argv[i] !== undefined) {
    const e = child.fs.stat(resolvePath(child.cwd, argv[i]));
    if (!e || e.type !== 'file') { io.stderr(`${name}: can't open '${argv[i]}': No such file or directory\n`); return 2; }
    child.args = argv.slice(i + 1);
    return child.runScript(e.data.toString('utf8'), io);
  }
  return child.interactive(io, io.ctl || null);
}

function runApplet(sh, applet, argv, io) {
  return APPLETS[applet](sh, argv, io);
}

// The userland every simulated container has: applets on disk where busybox puts them.
function userlandEntries() {
  const entries = new Map();
  for (const [dir, names] of Object.entries(APPLET_DIRS)) {
    for (const name of names || Object.keys(APPLETS)) {
      entries.set(`${dir}/${name}`, { type: 'file', data: Buffer.from('\x7fELF'), mode: 0o755, applet: name });
    }
  }
  return entries;
}

module.exports = { APPLETS, runApplet, userlandEntries };
