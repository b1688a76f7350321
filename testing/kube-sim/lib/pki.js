'use strict';
// kube-sim's own PKI, in its state folder: a CA, the serving certificate, and client certificates
// (CN = user, O = groups, as kube-apiserver reads them). Made with the openssl CLI because Node can
// verify certificates but not issue them. Existing files are kept, so a restart keeps its CA.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKey(file) {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  fs.chmodSync(file, 0o600);
}

// Signs a certificate for `subject` with the CA; `extensions` is an openssl extension section.
function issue(dir, base, subject, extensions) {
  const key = path.join(dir, `${base}.key`);
  const crt = path.join(dir, `${base}.crt`);
  if (fs.existsSync(key) && fs.existsSync(crt)) return { key, crt };
  newKey(key);
  const csr = path.join(dir, `${base}.csr`);
  const ext = path.join(dir, `${base}.ext`);
  fs.writeFileSync(ext, `[v3]\n${extensions}\n`);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  openssl(['x509', '-req', '-in', csr, '-CA', path.join(dir, 'ca.crt'), '-CAkey', path.join(dir, 'ca.key'),
           '-CAcreateserial', '-days', '365', '-sha256', '-extfile', ext, '-extensions', 'v3', '-out', crt]);
  fs.rmSync(csr);
  fs.rmSync(ext);
  return { key, crt };
}

function ensureCA(dir) {
  const key = path.join(dir, 'ca.key');
  const crt = path.join(dir, 'ca.crt');
  if (fs.existsSync(key) && fs.existsSync(crt)) return { key, crt };
  newKey(key);
  openssl(['req', '-x509', '-new', '-key', key, '-subj', '/CN=kube-sim-ca', '-days', '3650', '-sha256',
           '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
           '-out', crt]);
  return { key, crt };
}

function ensureServingCert(dir, hosts) {
  const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  return issue(dir, 'server', '/CN=kube-apiserver', [
    'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth', `subjectAltName=${san}`].join('\n'));
}

function subjectFor(user, groups) {
  const esc = (s) => s.replace(/[/=\\]/g, (c) => `\\${c}`);
  return `/${groups.map((g) => `O=${esc(g)}`).join('/')}${groups.length ? '/' : ''}CN=${esc(user)}`;
}

function ensureClientCert(dir, base, user, groups) {
  const certDir = path.join(dir, 'certs');
  fs.mkdirSync(certDir, { recursive: true });
  fs.copyFileSync(path.join(dir, 'ca.crt'), path.join(certDir, 'ca.crt'));
  fs.copyFileSync(path.join(dir, 'ca.key'), path.join(certDir, 'ca.key'));
  try {
    return issue(certDir, base, subjectFor(user, groups), [
      'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'].join('\n'));
  } finally {
    fs.rmSync(path.join(certDir, 'ca.key'));
    fs.rmSync(path.join(certDir, 'ca.srl'), { force: true });
  }
}

function b64file(file) {
  return fs.readFileSync(file).toString('base64');
}

// A kubeconfig for one user: by client certificate ({crt, key}) or bearer token.
function kubeconfig({ server, caFile, user, cert, token, contextName = 'kube-sim' }) {
  const userEntry = token ? `    token: ${token}\n`
    : `    client-certificate-data: ${b64file(cert.crt)}\n    client-key-data: ${b64file(cert.key)}\n`;
  return `apiVersion: v1
kind: Config
clusters:
- name: kube-sim
  cluster:
    server: ${server}
    certificate-authority-data: ${b64file(caFile)}
users:
- name: ${user}
  user:
${userEntry}contexts:
- name: ${contextName}
  context:
    cluster: kube-sim
    user: ${user}
current-context: ${contextName}
`;
}

module.exports = { ensureCA, ensureServingCert, ensureClientCert, kubeconfig };
