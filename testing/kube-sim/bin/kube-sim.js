#!/usr/bin/env node
'use strict';
// kube-sim: a stand-in Kubernetes API server for kubegate's tests and demo.
//   kube-sim --listen 127.0.0.1:6443 --state-dir DIR [--seed FILE] [--emulated-version 1.33] [--token-file FILE]
//            [--eks-config FILE]
// Writes its CA, serving certificate, admin kubeconfig and request log into DIR, then serves until
// SIGINT or SIGTERM.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { startServer, SUPPORTED_VERSIONS } = require('../lib/server');

const USAGE = `usage: kube-sim --state-dir DIR [--listen HOST:PORT] [--seed FILE] [--emulated-version V] [--token-file FILE] [--eks-config FILE]
  --listen            address to serve on (default 127.0.0.1:6443; port 0 picks a free one)
  --state-dir         folder for the CA, certificates, admin.kubeconfig, tokens.csv and requests.log
  --seed              YAML seed of users and objects (default: seeds/demo.yaml)
  --emulated-version  Kubernetes version to behave as: ${SUPPORTED_VERSIONS.join(', ')} (default 1.33)
  --token-file        kube-apiserver token file (token,user,uid,"groups"); default: the seed's users
  --eks-config        JSON file turning on EKS mode: {clusterName, region, partition, stsUrl, stsCaFile, mapRoles, mapUsers}`;

async function main() {
  let args;
  try {
    ({ values: args } = parseArgs({ options: {
      listen: { type: 'string', default: '127.0.0.1:6443' },
      'state-dir': { type: 'string' },
      seed: { type: 'string', default: path.join(__dirname, '..', 'seeds', 'demo.yaml') },
      'emulated-version': { type: 'string', default: '1.33' },
      'token-file': { type: 'string' },
      'eks-config': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    } }));
  } catch (e) {
    console.error(`kube-sim: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) { console.log(USAGE); return; }
  if (!args['state-dir']) { console.error(`kube-sim: --state-dir is required\n${USAGE}`); process.exit(2); }
  const sim = await startServer({
    listen: args.listen, stateDir: path.resolve(args['state-dir']), seed: args.seed === 'none' ? null : args.seed,
    emulatedVersion: args['emulated-version'], tokenFile: args['token-file'],
    eks: args['eks-config'] ? JSON.parse(fs.readFileSync(args['eks-config'], 'utf8')) : undefined,
  });
  // The handlers first: a caller may stop the simulator as soon as it reads the ready line, and a
  // signal before them would take the default action (exit without closing the state and log).
  const stop = () => sim.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(JSON.stringify({ ready: true, url: sim.url, emulatedVersion: args['emulated-version'],
    adminKubeconfig: sim.adminKubeconfig, caFile: sim.caFile, requestLog: sim.requestLog,
    ...(args['eks-config'] ? { eks: true } : {}) }));
}

main().catch((e) => { console.error(`kube-sim: ${e.message}`); process.exit(1); });
