'use strict';
// Test helpers: a throwaway CA and serving certificate (openssl CLI), an aws-sim with a small
// account (a base user, roles with trust policies), and Debian's awscli run in a clean environment.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, execFile } = require('node:child_process');
const { startAwsSim } = require('../../lib');

const AWS_CLI = '/usr/bin/aws';
const PYTHON = '/usr/bin/python3';
const ACCOUNT = '123456789012';
const BASE_USER = { name: 'gateway-base', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `aws-sim-${prefix}-`));
}

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

// A CA and a serving certificate for 127.0.0.1 and localhost in `dir`.
function makePki(dir) {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
           '-subj', '/CN=aws-sim-test-ca', '-days', '2'], dir);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr',
           '-subj', '/CN=aws-sim'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
           '-extfile', 'server.ext', '-out', 'server.crt'], dir);
  return { caFile: path.join(dir, 'ca.crt'), certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key') };
}

const roleArn = (name) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

function defaultConfig(pki) {
  return {
    accountId: ACCOUNT,
    users: [BASE_USER],
    roles: [
      { name: 'kg-eks-agent', maxSessionDuration: 7200,
        trust: { principals: [`arn:aws:iam::${ACCOUNT}:user/${BASE_USER.name}`, roleArn('instance-role'), roleArn('pod-role')],
                 allowTagSession: true, allowSourceIdentity: true } },
      { name: 'eks-readonly', trust: { principals: [roleArn('kg-eks-agent')] } },
      { name: 'external-only', trust: { principals: [`arn:aws:iam::${ACCOUNT}:root`], externalId: 'kg-ext-1' } },
      { name: 'instance-role', trust: {} },
      { name: 'pod-role', trust: {} },
    ],
    sts: { listen: '127.0.0.1:0', certFile: pki.certFile, keyFile: pki.keyFile },
  };
}

// An aws-sim for one test, closed (and its folder removed) when the test ends.
async function startSimFor(t, edit = (c) => c) {
  const dir = tempDir('state');
  const pki = makePki(dir);
  const sim = await startAwsSim(edit(defaultConfig(pki), { dir, pki }));
  t.after(async () => { await sim.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  return { ...sim, dir, pki };
}

// Runs Debian's awscli with only the given credentials: no config files, no IMDS, no pager.
function awsCli(args, { env = {}, caFile, timeoutMs = 60000 } = {}) {
  const home = tempDir('home');
  const empty = path.join(home, 'empty');
  fs.writeFileSync(empty, '');
  const fullEnv = { HOME: home, PATH: '/usr/bin:/bin', TZ: 'UTC', AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty,
                    AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '', AWS_DEFAULT_REGION: 'us-west-2',
                    ...(caFile ? { AWS_CA_BUNDLE: caFile } : {}), ...env };
  return new Promise((resolve) => {
    execFile(AWS_CLI, args, { env: fullEnv, timeout: timeoutMs }, (err, stdout, stderr) => {
      fs.rmSync(home, { recursive: true, force: true });
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

function envFor(creds) {
  const env = { AWS_ACCESS_KEY_ID: creds.AccessKeyId, AWS_SECRET_ACCESS_KEY: creds.SecretAccessKey };
  if (creds.SessionToken) env.AWS_SESSION_TOKEN = creds.SessionToken;
  return env;
}

const BASE_ENV = { AWS_ACCESS_KEY_ID: BASE_USER.accessKeyId, AWS_SECRET_ACCESS_KEY: BASE_USER.secretAccessKey };

// JSON over HTTPS to the stand-in's control endpoints.
function control(sim, method, urlPath, value) {
  const https = require('node:https');
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(urlPath, sim.stsUrl), { method, ca: fs.readFileSync(sim.pki.caFile),
      headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    req.on('error', reject);
    req.end(value === undefined ? undefined : JSON.stringify(value));
  });
}

module.exports = { AWS_CLI, PYTHON, ACCOUNT, BASE_USER, BASE_ENV, roleArn, tempDir, makePki, defaultConfig, startSimFor, awsCli, envFor, control };
