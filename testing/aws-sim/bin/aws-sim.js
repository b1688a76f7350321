#!/usr/bin/env node
'use strict';
// aws-sim: the STS, IMDSv2 and container-credentials stand-ins for kubegate's tests and demo.
//   aws-sim --config FILE
// Starts what the config names, prints one JSON line with their URLs, serves until SIGINT/SIGTERM.

const fs = require('node:fs');
const { parseArgs } = require('node:util');
const { startAwsSim } = require('../lib');

const USAGE = `usage: aws-sim --config FILE
  --config  JSON config: {accountId, users, roles, sts, imds, containerCredentials} (see README.md)`;

async function main() {
  let args;
  try {
    ({ values: args } = parseArgs({ options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    console.error(`aws-sim: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) { console.log(USAGE); return; }
  if (!args.config) { console.error(`aws-sim: --config is required\n${USAGE}`); process.exit(2); }
  const config = JSON.parse(fs.readFileSync(args.config, 'utf8'));
  const sim = await startAwsSim(config);
  // Handlers first: a caller may signal as soon as it reads the ready line.
  const stop = () => sim.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(JSON.stringify({ ready: true, stsUrl: sim.stsUrl, imdsUrl: sim.imdsUrl, containerCredentialsUrl: sim.containerCredentialsUrl,
    controlUrl: sim.stsUrl ? `${sim.stsUrl}/_sim` : null, accountId: sim.principals.accountId }));
}

main().catch((e) => { console.error(`aws-sim: ${e.message}`); process.exit(1); });
