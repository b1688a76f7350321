'use strict';
// The IdP's own PKI in its state folder: a CA and a serving certificate for the loopback addresses,
// made with the openssl CLI (Node can verify certificates but not issue them). Existing files are
// kept, so a restart on the same state folder keeps the CA that clients already trust; the serving
// certificate is reissued only when it does not cover the host the IdP listens on.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');

function openssl(args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 });
}

function newKey(file) {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  fs.chmodSync(file, 0o600);
}

function ensureCA(dir) {
  const key = path.join(dir, 'ca.key');
  const crt = path.join(dir, 'ca.crt');
  if (fs.existsSync(key) && fs.existsSync(crt)) return { key, crt };
  newKey(key);
  openssl(['req', '-x509', '-new', '-key', key, '-subj', '/CN=kubegate-test-idp-ca', '-days', '3650', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', crt]);
  return { key, crt };
}

function covers(crtFile, host) {
  try {
    const cert = new crypto.X509Certificate(fs.readFileSync(crtFile));
    return /^[\d.]+$|:/.test(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
  } catch {
    return false;
  }
}

// Serving certificate for 127.0.0.1, ::1, localhost and `host`, signed by the CA.
function ensureServingCert(dir, host) {
  const key = path.join(dir, 'server.key');
  const crt = path.join(dir, 'server.crt');
  if (fs.existsSync(key) && fs.existsSync(crt) && covers(crt, host)) return { key, crt };
  const hosts = [...new Set(['127.0.0.1', '::1', 'localhost', host])];
  const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  newKey(key);
  const csr = path.join(dir, 'server.csr');
  const ext = path.join(dir, 'server.ext');
  fs.writeFileSync(ext, ['[v3]', 'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', `subjectAltName=${san}`, ''].join('\n'));
  try {
    openssl(['req', '-new', '-key', key, '-subj', '/CN=kubegate-test-idp', '-out', csr]);
    openssl(['x509', '-req', '-in', csr, '-CA', path.join(dir, 'ca.crt'), '-CAkey', path.join(dir, 'ca.key'),
      '-set_serial', `0x${crypto.randomBytes(12).toString('hex')}`, '-days', '365', '-sha256',
      '-extfile', ext, '-extensions', 'v3', '-out', crt]);
  } finally {
    fs.rmSync(csr, { force: true });
    fs.rmSync(ext, { force: true });
  }
  return { key, crt };
}

module.exports = { ensureCA, ensureServingCert };
