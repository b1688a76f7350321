'use strict';
// Shared test harness: a kube-sim per test file on a free loopback port, and the real clients
// (kubectl 1.27 to 1.33 from google-cloud-cli, Debian's python3-kubernetes) pointed at it with a
// fresh HOME and cache folder, so no discovery cache leaks between runs.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { startServer } = require('../../lib/server');

const KUBECTL_DIR = process.env.KUBECTL_DIR || '/usr/lib/google-cloud-sdk/bin';
const DEMO_SEED = path.join(__dirname, '..', '..', 'seeds', 'demo.yaml');

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kube-sim-${prefix}-`));
}

// Starts kube-sim; the caller closes it with `await sim.close()` (t.after).
// `splitOutput` ({within: [strings], delayMs}) cuts every response body and exec output in the
// middle of those strings (lib/split-output.js); off unless given.
// `eks` turns on EKS mode (lib/eks-auth.js config).
async function startSim({ emulatedVersion = '1.33', seed = DEMO_SEED, splitOutput, eks } = {}) {
  const stateDir = tempDir('state');
  const sim = await startServer({ listen: '127.0.0.1:0', stateDir, seed, emulatedVersion, splitOutput, eks });
  const close = sim.close;
  sim.close = async () => { await close(); fs.rmSync(stateDir, { recursive: true, force: true }); };
  sim.kubeconfigFor = (user) => path.join(stateDir, 'kubeconfigs', `${user}.kubeconfig`);
  sim.tokenOf = (user) => {
    const line = fs.readFileSync(path.join(stateDir, 'tokens.csv'), 'utf8').split('\n').find((l) => l.split(',')[1] === user);
    if (!line) throw new Error(`no token for ${user}`);
    return line.split(',')[0];
  };
  return sim;
}

function kubectlPath(version) {
  const p = path.join(KUBECTL_DIR, `kubectl.${version}`);
  return fs.existsSync(p) ? p : null;
}

// Runs `kubectl.<version> args...`; resolves {code, stdout, stderr}. Never rejects on exit codes.
function kubectl(version, sim, args, { kubeconfig, input, env = {}, timeoutMs = 60000 } = {}) {
  const bin = kubectlPath(version);
  if (!bin) throw new Error(`kubectl.${version} not found in ${KUBECTL_DIR}`);
  const home = tempDir('home');
  const fullArgs = ['--kubeconfig', kubeconfig || sim.adminKubeconfig, '--cache-dir', path.join(home, 'cache'), ...args];
  return run(bin, fullArgs, { input, timeoutMs, env: { HOME: home, PATH: process.env.PATH, ...env } })
    .finally(() => fs.rmSync(home, { recursive: true, force: true }));
}

function run(bin, args, { input, timeoutMs = 60000, env = process.env, cwd } = {}) {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { env, cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
  });
}

function readRequestLog(sim) {
  if (!fs.existsSync(sim.requestLog)) return [];
  return fs.readFileSync(sim.requestLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// Versions the acceptance matrix runs, with the ones missing on this machine reported once.
const MATRIX = ['1.27', '1.30', '1.31', '1.33'];

// A kube-sim for one test, closed when the test ends. A sim that does not start fails the test.
async function startSimFor(t, emulatedVersion = '1.33') {
  const sim = await startSim({ emulatedVersion });
  t.after(() => sim.close());
  return sim;
}

module.exports = { startSim, startSimFor, kubectl, kubectlPath, run, readRequestLog, tempDir, MATRIX, DEMO_SEED, KUBECTL_DIR };

// One HTTPS request to kube-sim, verifying its CA. `as` names a seed user whose token is sent;
// `cert` names a client certificate in <state>/certs. Resolves {status, headers, body (string)}.
function request(sim, { method = 'GET', path: urlPath, headers = {}, body, as, cert } = {}) {
  const https = require('node:https');
  const url = new URL(urlPath, sim.url);
  const opts = { method, headers: { ...headers }, ca: fs.readFileSync(sim.caFile) };
  if (as) opts.headers.Authorization = `Bearer ${sim.tokenOf(as)}`;
  if (cert) {
    opts.cert = fs.readFileSync(path.join(sim.stateDir, 'certs', `${cert}.crt`));
    opts.key = fs.readFileSync(path.join(sim.stateDir, 'certs', `${cert}.key`));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, opts, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.setTimeout(15000, () => req.destroy(new Error('request timed out')));
    req.end(body);
  });
}

module.exports.request = request;
