#!/usr/bin/env node
'use strict';
// kubegate-test-idp: a real OpenID Connect provider (panva's oidc-provider) for kubegate's tests
// and demo, serving HTTPS on a loopback address.
//   idp.js --state-dir DIR [--listen 127.0.0.1:0] [--alg RS256] [--algs ES256,EdDSA] [--token-ttl 300]
//          [--jwks-max-age 300] [--clients FILE]
// Prints one JSON line {"ready":true,"issuer":…,"caFile":…,"clients":{…},…} and serves until SIGINT
// or SIGTERM. SIGUSR1 rotates the signing key (the old one stays published), SIGUSR2 unpublishes
// keys that no longer sign; each prints one JSON line.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { startIdp, SIGNING_ALGS } = require('../lib/idp');

const USAGE = `usage: idp.js --state-dir DIR [--listen HOST:PORT] [--alg ALG] [--algs ALG,...] [--token-ttl SECONDS]
              [--jwks-max-age SECONDS] [--clients FILE]
  --listen        loopback address to serve HTTPS on; port 0 picks a free one (default 127.0.0.1:0)
  --state-dir     folder for the CA, serving certificate, signing keys and client secrets (kept across runs)
  --alg           signing algorithm of access tokens: ${SIGNING_ALGS.join(', ')} (default RS256)
  --algs          further algorithms to keep a signing key for (comma-separated)
  --token-ttl     access token lifetime in seconds (default 300)
  --jwks-max-age  Cache-Control max-age of the JWKS and discovery documents in seconds (default 300)
  --clients       JSON file: [{"clientId","groups":[…],"authMethod","clientSecret","keyAlg","claims":{…}}]
                  (default: demo-agent [agents], trusted-agent [trusted], jwt-agent [agents, private_key_jwt])`;

function positiveInt(name, value) {
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number of seconds`);
  return Number(value);
}

async function main() {
  let args;
  try {
    ({ values: args } = parseArgs({ options: {
      listen: { type: 'string', default: '127.0.0.1:0' },
      'state-dir': { type: 'string' },
      alg: { type: 'string', default: 'RS256' },
      algs: { type: 'string', default: '' },
      'token-ttl': { type: 'string', default: '300' },
      'jwks-max-age': { type: 'string', default: '300' },
      clients: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    } }));
  } catch (e) {
    console.error(`kubegate-test-idp: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) { console.log(USAGE); return; }
  if (!args['state-dir']) { console.error(`kubegate-test-idp: --state-dir is required\n${USAGE}`); process.exit(2); }

  // stdout carries JSON lines only: anything oidc-provider prints goes to stderr.
  const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
  console.log = console.info = (...a) => console.error(...a); // eslint-disable-line no-console

  const stateDir = path.resolve(args['state-dir']);
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const idp = await startIdp({
    stateDir,
    listen: args.listen,
    alg: args.alg,
    algs: args.algs.split(',').filter(Boolean),
    tokenTtl: positiveInt('token-ttl', args['token-ttl']),
    jwksMaxAge: positiveInt('jwks-max-age', args['jwks-max-age']),
    clients: args.clients ? JSON.parse(fs.readFileSync(args.clients, 'utf8')) : undefined,
  });
  out({ ready: true, ...idp.describe() });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    idp.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGUSR1', () => {
    idp.rotateKeys().then((r) => out({ rotated: true, ...r }), (e) => console.error(`kubegate-test-idp: ${e.message}`));
  });
  process.on('SIGUSR2', () => {
    try { out({ droppedKeys: idp.dropOldKeys(), kid: idp.currentKid() }); } catch (e) { console.error(`kubegate-test-idp: ${e.message}`); }
  });
}

main().catch((e) => { console.error(`kubegate-test-idp: ${e.message}`); process.exit(1); });
