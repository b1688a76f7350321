'use strict';
// The simulated container shell, pure: no server, no store. What `kubectl exec` users see inside a
// kube-sim container (output, exit codes, busybox's error wording) and the terminal's line
// discipline for `exec -it`.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Shell, SimFs, Input, EOF, INTR, parse, userlandEntries } = require('../lib/streams/shell');
const { Terminal, statusFor } = require('../lib/streams/exec');

function fileSystem() {
  const entries = userlandEntries();
  for (const d of ['/', '/bin', '/usr', '/usr/bin', '/etc', '/tmp', '/root']) entries.set(d, { type: 'dir', mode: 0o755 });
  entries.set('/etc/secret', { type: 'dir', mode: 0o755, readOnly: true });
  entries.set('/etc/secret/password', { type: 'file', data: Buffer.from('hunter2'), mode: 0o644, readOnly: true });
  entries.set('/etc/secret/username', { type: 'file', data: Buffer.from('app_user'), mode: 0o644, readOnly: true });
  entries.set('/etc/hostname', { type: 'file', data: Buffer.from('web-1\n'), mode: 0o644 });
  return new SimFs(entries, new Map(), new Date('2026-01-02T03:04:05Z'));
}

const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: 'web-1', GREETING: 'hello  world',
              HOME: '/root' };

async function sh(script, { stdin = '', name = 'sh', fs = fileSystem(), tty = null } = {}) {
  const shell = new Shell({ fs, env: ENV, hostname: 'web-1', name, tty, mainCommand: ['nginx', '-g', 'daemon off;'],
                            now: () => new Date('2026-01-02T03:04:05Z') });
  let out = '';
  let err = '';
  const code = await shell.runScript(script, { stdin: Input.from(Buffer.from(stdin)), stdout: (d) => { out += d; },
                                               stderr: (d) => { err += d; } });
  return { code, out, err };
}

test('parse: lists, pipelines, redirections and syntax errors', () => {
  const list = parse('a b; c | d && e || f > /tmp/x 2>&1');
  assert.deepEqual(list.map((l) => [l.op, l.pipeline.length]), [[';', 1], [';', 2], ['&&', 1], ['||', 1]]);
  assert.deepEqual(list[3].pipeline[0].redirs.map((r) => r.op), ['>', '2>&1']);
  assert.throws(() => parse('echo "open'), /unterminated quoted string/);
  assert.throws(() => parse('| x'), /unexpected "\|"/);
  assert.throws(() => parse('while true; do x; done'), /unexpected "while"/);
});

test('expansion: variables, quotes, command substitution, positional parameters', async () => {
  assert.equal((await sh('echo $GREETING "$GREETING" \'$GREETING\' ${HOSTNAME}')).out, 'hello world hello  world $GREETING web-1\n');
  assert.equal((await sh('X=1; Y="$X two"; echo "$Y" $?')).out, '1 two 0\n');
  assert.equal((await sh('echo $(cat /etc/hostname)-`hostname`')).out, 'web-1-web-1\n');
  assert.equal((await sh('sh -c \'echo $0 $1 $#\' zero one')).out, 'zero one 1\n');
  assert.equal((await sh('echo ${MISSING:-fallback}')).out, 'fallback\n');
  assert.equal((await sh('echo /etc/secret/*')).out, '/etc/secret/password /etc/secret/username\n');
  assert.equal((await sh('echo "/etc/*"')).out, '/etc/*\n');
});

test('control flow and exit codes', async () => {
  assert.equal((await sh('exit 3')).code, 3);
  assert.equal((await sh('sh -c "exit 300"')).code, 44, 'exit codes are modulo 256');
  const r = await sh('false || echo alt && echo yes; false; echo $?');
  assert.equal(r.out, 'alt\nyes\n1\n');
  assert.equal((await sh('true && false')).code, 1);
  const nf = await sh('nosuchcmd arg');
  assert.deepEqual([nf.code, nf.err], [127, 'sh: nosuchcmd: not found\n']);
  assert.equal((await sh('nosuchcmd', { name: 'bash' })).err, 'bash: nosuchcmd: command not found\n');
  assert.equal((await sh('/usr/bin/nosuch')).err, 'sh: /usr/bin/nosuch: not found\n');
  const syntax = await sh('echo "x');
  assert.deepEqual([syntax.code, syntax.err], [2, 'sh: syntax error: unterminated quoted string\n']);
});

test('files: cat, ls, head, tail, wc, grep, redirections, read-only mounts', async () => {
  assert.deepEqual(await sh('cat /etc/secret/password'), { code: 0, out: 'hunter2', err: '' });
  assert.deepEqual(await sh('cat /nope'), { code: 1, out: '', err: "cat: can't open '/nope': No such file or directory\n" });
  assert.equal((await sh('ls /etc/secret')).out, 'password\nusername\n');
  assert.equal((await sh('ls -l /etc/secret')).out,
    '-rw-r--r--    1 root     root             7 Jan  2 03:04 password\n' +
    '-rw-r--r--    1 root     root             8 Jan  2 03:04 username\n');
  assert.equal((await sh('ls /missing')).err, 'ls: /missing: No such file or directory\n');
  assert.equal((await sh('printf "a\\nb\\nc\\n" | head -n 2')).out, 'a\nb\n');
  assert.equal((await sh('printf "a\\nb\\nc\\n" | tail -1')).out, 'c\n');
  assert.equal((await sh('echo one two three | wc -w')).out, '3\n');
  assert.equal((await sh('env | grep -c KUBE')).out, '0\n');
  assert.equal((await sh('printenv HOSTNAME')).out, 'web-1\n');
  assert.equal((await sh('env | grep GREETING')).out, 'GREETING=hello  world\n');
  const grepMiss = await sh('echo abc | grep zzz');
  assert.deepEqual([grepMiss.code, grepMiss.out], [1, '']);
  const fs = fileSystem();
  assert.equal((await sh('echo saved > /tmp/f; echo more >> /tmp/f; cat /tmp/f', { fs })).out, 'saved\nmore\n');
  assert.equal((await sh('cat /tmp/f', { fs })).out, 'saved\nmore\n', 'writes persist in the container');
  const ro = await sh('echo x > /etc/secret/password');
  assert.deepEqual([ro.code, ro.err], [1, "sh: can't create /etc/secret/password: Read-only file system\n"]);
  // Left to right, as POSIX says: the second echo's stdout follows stderr to /dev/null.
  assert.equal((await sh('echo err 1>&2 2>/dev/null; echo quiet 2>/dev/null >&2')).err, 'err\n');
  assert.equal((await sh('cd /etc/secret && pwd; cd /nope')).err, "sh: cd: can't cd to /nope: No such file or directory\n");
  assert.equal((await sh('test -f /etc/hostname && [ -d /etc ] && [ "a" != "b" ] && echo ok')).out, 'ok\n');
  assert.equal((await sh('base64 /etc/secret/password | base64 -d')).out, 'hunter2');
});

test('identity and system applets', async () => {
  assert.equal((await sh('whoami; hostname')).out, 'root\nweb-1\n');
  assert.match((await sh('id')).out, /^uid=0\(root\) gid=0\(root\) groups=0\(root\)/);
  assert.equal((await sh('uname')).out, 'Linux\n');
  assert.equal((await sh('date')).out, 'Fri Jan  2 03:04:05 UTC 2026\n');
  assert.equal((await sh('date +%F')).out, '2026-01-02\n');
  assert.match((await sh('ps')).out, /^PID {3}USER {5}TIME {2}COMMAND\n {4}1 root {6}0:00 nginx -g daemon off;\n/);
  assert.equal((await sh('which sh env')).out, '/bin/sh\n/usr/bin/env\n');
  assert.deepEqual(await sh('stty size'), { code: 1, out: '', err: 'stty: standard input: Not a tty\n' });
  assert.equal((await sh('stty size', { tty: { rows: 40, cols: 120 } })).out, '40 120\n');
});

test('stdin: cat and sh read it until EOF', async () => {
  assert.equal((await sh('cat', { stdin: 'piped\n' })).out, 'piped\n');
  assert.equal((await sh('cat - | grep b', { stdin: 'a\nb\nc\n' })).out, 'b\n');
  const r = await sh('sh', { stdin: 'echo first\nexit 6\necho never\n' });
  assert.deepEqual([r.code, r.out], [6, 'first\n']);
});

test('sleep is interruptible', async () => {
  const shell = new Shell({ fs: fileSystem(), env: ENV });
  const abort = new AbortController();
  const started = Date.now();
  setTimeout(() => abort.abort(), 50);
  await assert.rejects(shell.runScript('sleep 30', { stdin: Input.from(Buffer.alloc(0)), stdout: () => {}, stderr: () => {},
                                                     signal: abort.signal }));
  assert.ok(Date.now() - started < 5000);
});

test('Input: per-read EOF markers (^D) and interrupts', async () => {
  const input = new Input();
  input.push(Buffer.from('one\ntw'));
  input.push(EOF);
  input.push(Buffer.from('three\n'));
  input.push(INTR);
  assert.equal(await input.readLine(), 'one');
  assert.equal(await input.readLine(), 'tw', 'EOF ends a partial line');
  assert.equal(await input.readLine(), 'three', 'reading goes on after a ^D');
  assert.equal(await input.readLine(), INTR);
  input.close();
  assert.equal(await input.readLine(), null);
});

test('Terminal: echo, CR as newline, backspace, ^C, ^D, ONLCR', async () => {
  const shown = [];
  const term = new Terminal((b) => shown.push(b.toString()));
  let interrupts = 0;
  term.onInterrupt = () => { interrupts += 1; };
  term.feed(Buffer.from('ecx\x7fho hi\r'));
  assert.equal(await term.cooked.readLine(), 'echo hi');
  assert.equal(shown.join(''), 'ecx\b \bho hi\r\n');
  term.feed(Buffer.from('abc\x03'));
  assert.equal(interrupts, 1);
  term.feed(Buffer.from('\x1b[A\x04'));
  assert.equal(await term.cooked.readLine(), null, 'cursor keys are swallowed; ^D on an empty line is EOF');
  shown.length = 0;
  term.write('a\nb\r\n');
  assert.equal(shown.join(''), 'a\r\nb\r\n');
});

test('statusFor: kubelet and StreamTranslator forms of the exit Status', () => {
  assert.deepEqual(statusFor({ code: 0 }), { metadata: {}, status: 'Success' });
  assert.deepEqual(statusFor({ code: 3 }, { command: ['sh', '-c', 'exit 3'] }), {
    metadata: {}, status: 'Failure',
    message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
    reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
  assert.equal(statusFor({ code: 3 }, { translated: true }).message,
    'command terminated with non-zero exit code: command terminated with exit code 3');
  const internal = statusFor({ error: 'boom' }, { translated: true });
  assert.equal(internal.message, 'Internal error occurred: Internal error occurred: boom');
  assert.deepEqual([internal.reason, internal.code], ['InternalError', 500]);
});
