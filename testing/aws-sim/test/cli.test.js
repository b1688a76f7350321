'use strict';
// bin/aws-sim.js starts what its config names and prints one ready line with the URLs.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const aws = require('./support/aws');

test('aws-sim --config prints the ready line and stops on SIGTERM', async (t) => {
  const dir = aws.tempDir('cli');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pki = aws.makePki(dir);
  const config = { ...aws.defaultConfig(pki), imds: { listen: '127.0.0.1:0', roleName: 'instance-role' } };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'aws-sim.js'), '--config', path.join(dir, 'config.json')]);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => { out += c; if (out.includes('\n')) resolve(out.split('\n')[0]); });
    child.on('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  const ready = JSON.parse(line);
  assert.equal(ready.ready, true);
  assert.match(ready.stsUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.match(ready.imdsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(ready.containerCredentialsUrl, null);
  assert.equal(ready.controlUrl, `${ready.stsUrl}/_sim`);
  child.kill('SIGTERM');
  assert.deepEqual(await exited, { code: 0, signal: null });
});
