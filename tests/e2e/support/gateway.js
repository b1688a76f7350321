'use strict';
// End-to-end harness for the gateway: kube-sim behind build/kubegate, with the PKI a deployment
// has: a gateway CA for the serving certificate and agents' client certificates, kube-sim's CA for
// the upstream, and the `kubegate` identity's token as the upstream credential.

const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { startSim, tempDir, readRequestLog } = require('../../../testing/kube-sim/test/support/harness');

const REPO = path.join(__dirname, '..', '..', '..');
const KUBEGATE = process.env.KUBEGATE_BIN || path.join(REPO, 'build', 'kubegate');

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

// A CA in `dir` and certificates it signs: server (SAN 127.0.0.1/localhost) or client (CN, O...).
class TestPki {
  constructor(dir) {
    this.dir = dir;
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key',
             '-out', 'ca.crt', '-subj', '/CN=kubegate-test-ca', '-days', '30'], dir);
    this.caFile = path.join(dir, 'ca.crt');
  }

  issue(name, subject, ext) {
    const d = this.dir;
    fs.writeFileSync(path.join(d, `${name}.ext`), ext);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`,
             '-out', `${name}.csr`, '-subj', subject], d);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30',
             '-extfile', `${name}.ext`, '-out', `${name}.crt`], d);
    return { crt: path.join(d, `${name}.crt`), key: path.join(d, `${name}.key`) };
  }

  server() {
    return this.issue('server', '/CN=kubegate', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  }

  client(user, groups = []) {
    const subject = `/${groups.map((g) => `O=${g}`).join('/')}${groups.length ? '/' : ''}CN=${user}`;
    return this.issue(`client-${user}`, subject, 'extendedKeyUsage=clientAuth\n');
  }
}

function b64(file) {
  return fs.readFileSync(file).toString('base64');
}

// Tests that are not about policy run with one rule that allows everything; kubegate without a
// policy refuses every request.
const ALLOW_ALL_POLICY = `rules:
  - {id: allow-all, effect: allow}
`;

// The audit section every test gateway records with: a database, a signing key and a heads file in
// the gateway's directory.
function auditSection(dir) {
  openssl(['genpkey', '-algorithm', 'ed25519', '-out', 'audit-signing.pem'], dir);
  openssl(['pkey', '-in', 'audit-signing.pem', '-pubout', '-out', 'audit-signing.pub'], dir);
  return `audit:
  database: ${path.join(dir, 'audit.db')}
  signingKeyFile: ${path.join(dir, 'audit-signing.pem')}
  treeHeadsFile: ${path.join(dir, 'tree-heads.jsonl')}`;
}

// The record of a stopped test gateway: `kubegate audit verify` passes, and (when the kube-sim was
// the gateway's alone) each request kube-sim served is matched by a forwarded request's record.
function checkRecord(gw, simIsOurs) {
  // By the files, not the config: a test may have left the config broken on purpose.
  const cli = (args) => spawnSync(KUBEGATE, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const database = path.join(gw.dir, 'audit.db');
  const heads = path.join(gw.dir, 'tree-heads.jsonl');
  // The gateway was killed: what it had journaled and not yet committed joins the log first, as
  // its next start would do (ADR 0012).
  const recovered = cli(['audit', '--database', database, 'recover', '--signing-key', path.join(gw.dir, 'audit-signing.pem')]);
  if (recovered.status !== 0) throw new Error(`audit recover failed: ${recovered.stdout}${recovered.stderr}`);
  const verified = cli(['audit', '--database', database, 'verify', '--public-key', path.join(gw.dir, 'audit-signing.pub'),
    ...(fs.existsSync(heads) ? ['--trusted-heads', heads] : [])]);
  if (verified.status !== 0) throw new Error(`the gateway's record does not verify: ${verified.stdout}${verified.stderr}`);
  if (!simIsOurs) return;
  const queried = cli(['audit', '--database', database, 'query', '-o', 'json', '--limit', '100000000']);
  if (queried.status !== 0) throw new Error(`audit query failed: ${queried.stderr}`);
  const recorded = new Map();
  for (const line of queried.stdout.split('\n').filter(Boolean)) {
    const { request } = JSON.parse(line);
    if (!request.upstream) continue;
    const key = `${request.request.method} ${request.request.uri.split('?')[0].replace(/^\/clusters\/[^/]+(\/purpose\/[^/]+)?/, '') || '/'}`;
    recorded.set(key, (recorded.get(key) || 0) + 1);
  }
  const served = new Map();
  for (const line of readRequestLog(gw.sim).filter((l) => l.impersonatedBy === 'kubegate')) {
    const key = `${line.method} ${line.path}`;
    served.set(key, (served.get(key) || 0) + 1);
  }
  for (const [key, count] of served) {
    if ((recorded.get(key) || 0) < count) {
      throw new Error(`kube-sim served ${key} ${count} times, the record has ${recorded.get(key) || 0}`);
    }
  }
}

// Starts kube-sim (unless given) and kubegate in front of it as cluster `demo`. `policy` is the
// policy YAML (default: allow everything; null: no policy section). `audit` replaces the audit
// section (default: a fresh database, signing key and heads file in the gateway's directory).
// `extraClusters` is YAML for more entries of the clusters list; `env` is added to kubegate's
// environment (AWS base credentials for EKS clusters).
async function startGateway({ sim, emulatedVersion = '1.33', extraConfig = '', limits = '', extraAuth = '',
                              policy = ALLOW_ALL_POLICY, audit, extraClusters = '', env = {} } = {}) {
  if (!fs.existsSync(KUBEGATE)) throw new Error(`${KUBEGATE} is not built (cmake --build build)`);
  const ownSim = !sim;
  if (!sim) sim = await startSim({ emulatedVersion });
  const dir = tempDir('gateway');
  const pki = new TestPki(dir);
  const server = pki.server();
  const tokenFile = path.join(dir, 'upstream-token');
  fs.writeFileSync(tokenFile, `${sim.tokenOf('kubegate')}\n`);
  let policySection = '';
  if (policy !== null) {
    const policyFile = path.join(dir, 'policy.yaml');
    fs.writeFileSync(policyFile, policy);
    policySection = `policy: {file: ${policyFile}}`;
  }
  const configFile = path.join(dir, 'kubegate.yaml');
  fs.writeFileSync(configFile, `listen: 127.0.0.1:0
tls: {certFile: ${server.crt}, keyFile: ${server.key}, clientCAFile: ${pki.caFile}}
admin: {listen: 127.0.0.1:0}
workers: 2
drainTimeout: 5s
${limits}
${extraAuth}
${policySection}
${audit === undefined ? auditSection(dir) : audit}
clusters:
  - name: demo
    server: ${sim.url}
    caFile: ${sim.caFile}
    credentials: {tokenFile: ${tokenFile}}
${extraClusters}
${extraConfig}`);
  const first = await spawnServe(configFile, env);
  const runs = [first];
  const gw = {
    sim, dir, configFile, pki, child: first.child, exited: first.exited, ...first.ports,
    url: `https://127.0.0.1:${first.ports.port}/clusters/demo`,
    log: () => runs.map((r) => r.output).join(''),
    // Stops the gateway (SIGTERM, drained) and starts it again on the same config and record; the
    // ports are new.
    async restart() {
      gw.child.kill('SIGTERM');
      await gw.exited;
      const again = await spawnServe(configFile, env);
      runs.push(again);
      Object.assign(gw, { child: again.child, exited: again.exited, ...again.ports,
                          url: `https://127.0.0.1:${again.ports.port}/clusters/demo` });
    },
    kubeconfigFor(user, groups = []) {
      const cert = pki.client(user, groups);
      const file = path.join(dir, `${user}.kubeconfig`);
      fs.writeFileSync(file, `apiVersion: v1
kind: Config
clusters:
- name: kubegate-demo
  cluster: {server: "${gw.url}", certificate-authority-data: ${b64(pki.caFile)}}
users:
- name: ${user}
  user: {client-certificate-data: ${b64(cert.crt)}, client-key-data: ${b64(cert.key)}}
contexts:
- name: kubegate-demo
  context: {cluster: kubegate-demo, user: ${user}}
current-context: kubegate-demo
`);
      return file;
    },
    // Killed (-9: nothing gets a chance to flush), then the record is checked: it verifies, and
    // every request the gateway's own kube-sim served has its record, whatever the test did.
    async stop() {
      if (gw.child.exitCode === null && gw.child.signalCode === null) gw.child.kill('SIGKILL');
      await gw.exited;
      try {
        if (audit === undefined) checkRecord(gw, ownSim);
      } finally {
        if (ownSim) await sim.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return gw;
}

// Starts `kubegate serve` and waits until it listens. Returns its ports, the process, a promise of
// its exit, and what it logged.
async function spawnServe(configFile, env = {}) {
  const child = spawn(KUBEGATE, ['serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  const ports = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kubegate did not start:\n${output}`)), 15000);
    const onData = (chunk) => {
      output += chunk;
      const m = /"msg":"listening".*?"port":(\d+).*?"adminPort":(\d+)/.exec(output);
      if (m) { clearTimeout(timer); resolve({ port: Number(m[1]), adminPort: Number(m[2]) }); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`kubegate exited with ${code}:\n${output}`)); });
  });
  child.removeAllListeners('exit');
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const result = { child, ports, exited, output };
  // Later output is kept too (tests read gw.log() after a failure).
  child.stdout.on('data', (c) => { result.output += c; });
  child.stderr.on('data', (c) => { result.output += c; });
  return result;
}

// The authentication section for agents with tokens from testing/idp (client credentials, at+jwt,
// audience kubegate, groups claim).
function idpAuthentication(idp) {
  return `authentication:
  oidc:
    - issuer: ${idp.issuer}
      caFile: ${idp.caFile}
      audiences: [kubegate]
      groupsClaim: groups
      acceptedTypes: [at+jwt]
`;
}

// A kubeconfig for the gateway holding a token the real IdP minted for `clientId`: what agents and
// reviewers use with kubectl, `kubegate request` and `kubegate review`.
async function tokenKubeconfig(gw, idp, name, clientId, groups) {
  const { accessToken } = await idp.mintToken(clientId, { groups });
  const file = path.join(tempDir('token-kubeconfig'), `${name}.kubeconfig`);
  fs.writeFileSync(file, `apiVersion: v1
kind: Config
clusters: [{name: gw, cluster: {server: "${gw.url}", certificate-authority-data: ${b64(gw.pki.caFile)}}}]
users: [{name: ${name}, user: {token: "${accessToken}"}}]
contexts: [{name: gw, context: {cluster: gw, user: ${name}}}]
current-context: gw
`);
  return file;
}

// Runs a command to its end (killed after `timeoutMs`): {code, stdout, stderr}.
function run(cmd, args, { env = {}, timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

module.exports = { startGateway, idpAuthentication, tokenKubeconfig, run, TestPki, KUBEGATE };
