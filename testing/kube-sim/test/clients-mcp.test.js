'use strict';
// kubernetes-mcp-server (a client-go program built for AI agents) against kube-sim through an admin
// kubeconfig: it must list pods and read logs as it would on a real cluster.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startSim, tempDir, readRequestLog } = require('./support/harness');
const { McpClient, mcpAvailable } = require('./support/mcp');

test('kubernetes-mcp-server lists pods and reads logs', { timeout: 90000 }, async (t) => {
  if (!mcpAvailable()) return t.skip('kubernetes-mcp-server is not installed (npm ci in testing/kube-sim)');
  const sim = await startSim();
  const home = tempDir('mcp-home');
  const mcp = new McpClient(sim.adminKubeconfig, home);
  t.after(async () => { mcp.close(); await sim.close(); fs.rmSync(home, { recursive: true, force: true }); });

  const init = await mcp.initialize();
  assert.equal(init.serverInfo.name, 'kubernetes-mcp-server');

  const all = await mcp.callTool('pods_list', {});
  assert.equal(all.isError, false, all.text);
  assert.match(all.text, /web-7d9f8b6c5d-x2k4p/);
  assert.match(all.text, /api-5c6b7f9d8-m4n7k/);
  assert.match(all.text, /Running/);

  const inNs = await mcp.callTool('pods_list_in_namespace', { namespace: 'staging' });
  assert.equal(inNs.isError, false, inNs.text);
  assert.match(inNs.text, /api-5c6b7f9d8-m4n7k/);
  assert.doesNotMatch(inNs.text, /web-7d9f8b6c5d/);

  const logs = await mcp.callTool('pods_log', { namespace: 'production', name: 'web-7d9f8b6c5d-x2k4p' });
  assert.equal(logs.isError, false, logs.text);
  assert.ok(logs.text.trim().split('\n').length >= 1, 'the log has lines');

  const missing = await mcp.callTool('pods_get', { namespace: 'production', name: 'no-such-pod' });
  assert.equal(missing.isError, true);
  assert.match(missing.text, /pods "no-such-pod" not found/);

  const reached = readRequestLog(sim).filter((l) => l.resource === 'pods' && l.subresource === 'log');
  assert.equal(reached.length, 1, 'exactly one log request reached the cluster');
  assert.equal(reached[0].user, 'kube-sim-admin');
  assert.equal(reached[0].authScheme, 'x509');
});
