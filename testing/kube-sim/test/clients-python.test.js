'use strict';
// Debian's python3-kubernetes (22.6.0, run with Debian's python3) against kube-sim: list, watch,
// read a secret and exec over the v4 WebSocket protocol, as a python operator bot would.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startSim, run } = require('./support/harness');

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'support', 'python_client.py');

function pythonClientAvailable() {
  return fs.existsSync(PYTHON) && fs.existsSync('/usr/lib/python3/dist-packages/kubernetes');
}

test('python3-kubernetes lists, watches, reads a secret and execs', { timeout: 90000 }, async (t) => {
  if (!pythonClientAvailable()) return t.skip('Debian python3-kubernetes is not installed (apt-get install python3-kubernetes)');
  const sim = await startSim({ emulatedVersion: '1.30' });
  t.after(() => sim.close());
  const res = await run(PYTHON, [SCRIPT, sim.adminKubeconfig, 'list', 'watch', 'secret', 'exec'],
    { timeoutMs: 60000, env: { PATH: process.env.PATH, HOME: sim.stateDir } });
  const steps = Object.fromEntries(res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).map((s) => [s.step, s]));
  for (const name of ['list', 'watch', 'secret', 'exec']) {
    assert.ok(steps[name], `step ${name} ran (stderr: ${res.stderr.slice(-1500)})`);
    assert.equal(steps[name].ok, true, `${name}: ${steps[name].error}`);
  }
  assert.deepEqual(steps.list.result.pods, ['web-7d9f8b6c5d-q8m3z', 'web-7d9f8b6c5d-x2k4p']);
  assert.deepEqual(steps.list.result.phases, ['Running']);
  const created = steps.watch.result.events.find(([, name]) => name === 'from-python');
  assert.deepEqual(created, ['ADDED', 'from-python']);
  assert.deepEqual(steps.secret.result.keys, ['password', 'username']);
  assert.equal(Buffer.from(steps.secret.result.username_b64, 'base64').toString(), 'app_user');
  assert.equal(steps.exec.result.stdout, 'app_user');
});
