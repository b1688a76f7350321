'use strict';
// `make demo` end to end (scripts/demo.sh): kube-sim, the demo IdP and kubegate come up, the
// kubeconfigs `kubegate kubeconfig` wrote for the IdP's two clients work with real kubectl, and
// Ctrl-C (SIGINT) stops everything the demo started. Ports and folder are the test's own, so it can
// run beside a developer's demo.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { KUBEGATE } = require('./support/gateway');
const { kubectlPath, run, tempDir } = require('../../testing/kube-sim/test/support/harness');

const REPO = path.join(__dirname, '..', '..');
const KUBECTL = kubectlPath('1.33') || '/usr/bin/kubectl';

// A free port below the kernel's ephemeral range (32768-60999 by default): the demo binds its
// ports seconds after they are chosen, and tests running alongside bind port 0, which the kernel
// serves from the ephemeral range, so a port chosen there could be taken in between.
const chosenPorts = new Set();
function freePort() {
  const tryPort = (attempt) => new Promise((resolve, reject) => {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (chosenPorts.has(port)) return resolve(tryPort(attempt + 1));
    const server = net.createServer();
    server.once('error', (e) => (attempt < 50 ? resolve(tryPort(attempt + 1)) : reject(e)));
    server.listen(port, '127.0.0.1', () => {
      chosenPorts.add(port);
      server.close(() => resolve(port));
    });
  });
  return tryPort(0);
}

async function waitFor(check, what, timeoutMs, demo) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return;
    if (demo.exitCode !== null) assert.fail(`the demo exited (${demo.exitCode}) before ${what}:\n${demo.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no ${what} after ${timeoutMs} ms:\n${demo.output}`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Every process below `pid` (from /proc), so the test can check none survives the demo.
function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch { /* gone meanwhile */ }
  }
  const out = [];
  const walk = (p) => { for (const c of children.get(p) || []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

test('make demo: the IdP-backed agents work through kubegate with real kubectl, and Ctrl-C stops everything',
  { skip: !fs.existsSync(KUBECTL) && 'kubectl missing', timeout: 120000 }, async (t) => {
    const dir = tempDir('demo');
    const demoDir = path.join(dir, 'demo');
    const home = path.join(dir, 'home');
    fs.mkdirSync(home);
    const [sim, idp, gw, admin] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const [eks, sts, podIdentity] = [await freePort(), await freePort(), await freePort()];
    const demo = spawn('bash', [path.join(REPO, 'scripts', 'demo.sh')], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH, HOME: home, KUBEGATE_BIN: KUBEGATE, KUBEGATE_DEMO_DIR: demoDir, KUBEGATE_DEMO_SERVE: '1',
        KUBE_SIM_LISTEN: `127.0.0.1:${sim}`, KUBEGATE_IDP_LISTEN: `127.0.0.1:${idp}`,
        KUBEGATE_LISTEN: `127.0.0.1:${gw}`, KUBEGATE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        KUBE_SIM_EKS_LISTEN: `127.0.0.1:${eks}`, AWS_SIM_STS_LISTEN: `127.0.0.1:${sts}`,
        AWS_SIM_CREDENTIALS_LISTEN: `127.0.0.1:${podIdentity}`,
      },
    });
    demo.output = '';
    demo.stdout.on('data', (c) => { demo.output += c; });
    demo.stderr.on('data', (c) => { demo.output += c; });
    const exited = new Promise((resolve) => demo.on('exit', (code, signal) => resolve({ code, signal })));
    let started = [];
    t.after(async () => {
      if (demo.exitCode === null) demo.kill('SIGKILL');
      for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    await waitFor(() => fs.existsSync(path.join(demoDir, 'ready')), '.demo/ready', 60000, demo);
    await waitFor(() => demo.output.includes('Ctrl-C stops the demo.'), 'end of the tour', 60000, demo);
    started = descendants(demo.pid);
    assert.ok(started.length >= 3, `kube-sim, the IdP and kubegate run under the demo: ${started}`);
    for (const file of ['kubeconfig-direct', 'kubeconfig-agent', 'kubeconfig-trusted', 'kubeconfig-reviewer', 'kubegate.yaml']) {
      assert.ok(fs.existsSync(path.join(demoDir, file)), `${file} is written`);
    }
    for (const hint of ['kubeconfig-agent', 'kubeconfig-trusted', 'kubeconfig-direct', 'check-config', '/metrics']) {
      assert.ok(demo.output.includes(hint), `the tour's hints name ${hint}`);
    }
    const agentConfig = fs.readFileSync(path.join(demoDir, 'kubeconfig-agent'), 'utf8');
    assert.match(agentConfig, /- "credential"/, 'the agent kubeconfig runs kubegate credential');
    assert.ok(!agentConfig.includes(fs.readFileSync(path.join(demoDir, 'idp', 'clients', 'demo-agent.secret'), 'utf8')),
      'no client secret in the kubeconfig');

    const kubectl = (kubeconfig, args) => run(KUBECTL, ['--kubeconfig', path.join(demoDir, kubeconfig),
      '--cache-dir', path.join(home, 'kube-cache'), ...args], { env: { PATH: process.env.PATH, HOME: home }, timeoutMs: 60000 });
    const requests = () => fs.readFileSync(path.join(demoDir, 'kube-sim', 'requests.log'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l));

    const whoami = await kubectl('kubeconfig-agent', ['auth', 'whoami', '-o', 'json']);
    assert.equal(whoami.code, 0, whoami.stderr);
    const user = JSON.parse(whoami.stdout).status.userInfo;
    assert.equal(user.username, 'demo-agent');
    assert.ok(user.groups.includes('agents'), JSON.stringify(user.groups));

    // The EKS cluster behind the same gateway: the role kubegate assumed for each agent, through the
    // STS stand-in, with the gateway's own credentials from the container endpoint.
    const onEks = async (kubeconfig) => {
      const r = await kubectl(kubeconfig, ['--context', 'eks-demo', 'auth', 'whoami', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).status.userInfo;
    };
    assert.match((await onEks('kubeconfig-agent')).username, /^eks-agent:kg-demo-agent-[0-9a-f]{12}$/);
    assert.match((await onEks('kubeconfig-trusted')).username, /^eks-admin:kg-trusted-agent-[0-9a-f]{12}$/);
    assert.match(demo.output, /kubectl --context eks-demo auth whoami\n.*eks-agent:kg-demo-agent-/s, 'the tour shows the EKS identity');

    const pods = await kubectl('kubeconfig-agent', ['-n', 'staging', 'get', 'pods', '-o', 'name']);
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stdout, /^pod\/api-/m);
    const everywhere = await kubectl('kubeconfig-agent', ['get', 'pods', '-A']);
    assert.notEqual(everywhere.code, 0, 'group agents may not list pods cluster-wide');
    assert.match(everywhere.stderr, /forbidden/i);

    const trusted = await kubectl('kubeconfig-trusted', ['get', 'pods', '-A', '-o', 'name']);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.match(trusted.stdout, /^pod\/web-/m);
    const last = requests().filter((r) => r.path === '/api/v1/pods').at(-1);
    assert.equal(last.user, 'trusted-agent');
    assert.deepEqual(last.groups, ['trusted', 'system:authenticated']);
    assert.equal(last.impersonatedBy, 'kubegate');

    // Guardrails (issue 5): the baseline pack decides for group agents.
    const deleteNamespace = await kubectl('kubeconfig-agent', ['delete', 'namespace', 'staging']);
    assert.notEqual(deleteNamespace.code, 0);
    assert.match(deleteNamespace.stderr, /forbidden by policy \(rule deny-namespace-delete\): .*may not delete namespaces/);
    // Approvals (issue 8): the agent's exec waits; the reviewer (IdP client `reviewer`) approves it
    // with the command the tour printed; the exec completes.
    assert.match(demo.output, /held: approval apr-[0-9a-f]+ waits for a reviewer/);
    assert.match(demo.output, /kubegate review approve apr-[0-9a-f]+ --kubeconfig \.demo\/kubeconfig-reviewer/);
    const kubegateCli = (args) => run(KUBEGATE, [...args, '--kubeconfig', path.join(demoDir, 'kubeconfig-reviewer'),
      '--config', path.join(demoDir, 'kubegate.yaml')], { env: { PATH: process.env.PATH, HOME: home }, timeoutMs: 60000 });
    const held = kubectl('kubeconfig-agent', ['-n', 'staging', 'exec', 'api-5c6b7f9d8-m4n7k', '--', 'printenv', 'HOSTNAME']);
    let pending;
    for (let i = 0; i < 100 && !pending; i++) {
      const list = await kubegateCli(['review', 'list', '-o', 'json']);
      pending = list.code === 0 ? JSON.parse(list.stdout).items.find((a) => a.state === 'pending' && a.rule.id === 'review-exec') : undefined;
      if (!pending) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(pending, 'the exec waits as a pending approval');
    assert.equal(pending.rule.id, 'review-exec');
    const approved = await kubegateCli(['review', 'approve', pending.id, '--reason', 'demo test']);
    assert.equal(approved.code, 0, approved.stdout + approved.stderr);
    const exec = await held;
    assert.equal(exec.code, 0, exec.stderr);
    assert.match(exec.stdout, /^api-5c6b7f9d8-m4n7k$/m);
    const secretRead = await kubectl('kubeconfig-agent', ['-n', 'production', 'get', 'secrets']);
    assert.notEqual(secretRead.code, 0);
    assert.match(secretRead.stderr, /approval apr-[0-9a-f]+ is pending; a reviewer decides with `kubegate review approve/);
    // Every kubectl version, including those that send protobuf bodies for some kinds.
    const podCreates = () => requests().filter((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/staging/pods').length;
    const createsBefore = podCreates();
    const versions = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'].filter((v) => kubectlPath(v));
    assert.ok(versions.length >= 2, `kubectl versions found: ${versions}`);
    for (const version of versions) {
      const privileged = await run(kubectlPath(version), ['--kubeconfig', path.join(demoDir, 'kubeconfig-agent'),
        '--cache-dir', path.join(home, `kube-cache-${version}`), '-n', 'staging', 'create', '-f',
        path.join(REPO, 'examples', 'pods', 'privileged.yaml')], { env: { PATH: process.env.PATH, HOME: home }, timeoutMs: 60000 });
      assert.notEqual(privileged.code, 0, `kubectl ${version} created a privileged pod`);
      assert.match(privileged.stderr, /forbidden by policy \(rule deny-privileged-pods\)/, `kubectl ${version}`);
    }
    assert.equal(podCreates(), createsBefore, 'no privileged pod reached the cluster');
    assert.ok(!requests().some((r) => r.method === 'DELETE' && r.path === '/api/v1/namespaces/staging'),
      'the namespace delete never reached the cluster');
    const plain = await kubectl('kubeconfig-agent', ['-n', 'staging', 'run', 'plain-test', '--image=busybox:1.36', '--restart=Never']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /pod\/plain-test created/);
    assert.equal(podCreates(), createsBefore + 1, 'the plain pod reached the cluster');

    // Masking (issue 7): both agents get the default profile; the values stay in the gateway.
    assert.match(demo.output, /get secret db-credentials[^\n]*\na3ViZWdhdGU6bWFza2Vk\n/);
    assert.doesNotMatch(demo.output, /czNjcjN0LVByMGQtcEA1cw|s3cr3t-Pr0d-p@5s|sk_test_51Hdemo/);
    const secret = await kubectl('kubeconfig-trusted', ['-n', 'production', 'get', 'secret', 'db-credentials', '-o', 'json']);
    assert.equal(secret.code, 0, secret.stderr);
    assert.deepEqual(JSON.parse(secret.stdout).data, { username: 'a3ViZWdhdGU6bWFza2Vk', password: 'a3ViZWdhdGU6bWFza2Vk' });

    // The tour showed the record, and it holds what just happened: the refusals and the trusted
    // agent's exec session, and it verifies against its signed tree heads.
    assert.match(demo.output, /kubegate sessions list/);
    const kubegate = (args) => run(KUBEGATE, [...args, '--config', path.join(demoDir, 'kubegate.yaml')]);
    const denials = await kubegate(['audit', 'query', '--decision', 'deny', '-o', 'json']);
    assert.equal(denials.code, 0, denials.stderr);
    const rules = denials.stdout.trim().split('\n').map((l) => JSON.parse(l).request.decision.rule);
    assert.ok(rules.includes('deny-namespace-delete') && rules.includes('deny-privileged-pods'), rules.join(','));
    const sessions = await kubegate(['sessions', 'list']);
    assert.match(sessions.stdout, /trusted-agent .*pods\/exec .*printenv HOSTNAME/);
    const verified = await kubegate(['audit', 'verify']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    demo.kill('SIGINT');
    let timer;
    const { code, signal } = await Promise.race([exited,
      new Promise((r) => { timer = setTimeout(() => r({ code: 'still running 20 s after SIGINT' }), 20000); })]);
    clearTimeout(timer);
    assert.ok(code !== null || signal !== null, `the demo stops on SIGINT (${code})`);
    assert.notEqual(code, 'still running 20 s after SIGINT');
    const left = started.filter(alive);
    assert.deepEqual(left, [], 'no process of the demo is left');
  });
