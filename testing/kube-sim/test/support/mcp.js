'use strict';
// A minimal MCP client over stdio (newline-delimited JSON-RPC 2.0), enough to drive
// kubernetes-mcp-server the way an AI agent's host does: initialize, then tools/call.

const path = require('node:path');
const fs = require('node:fs');
const { spawn } = require('node:child_process');

const MCP_BIN = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'kubernetes-mcp-server');

function mcpAvailable() {
  return fs.existsSync(MCP_BIN);
}

class McpClient {
  constructor(kubeconfig, home) {
    this.child = spawn(MCP_BIN, ['--kubeconfig', kubeconfig, '--disable-multi-cluster', '--cluster-provider', 'kubeconfig'],
      { env: { HOME: home, PATH: process.env.PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.nextId = 1;
    this.pending = new Map();
    this.stderr = '';
    let buffered = '';
    this.child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        // The server prints a plain-text note on shutdown; only JSON lines are protocol.
        if (line.startsWith('{')) this.onMessage(JSON.parse(line));
      }
    });
    this.child.stderr.on('data', (c) => { this.stderr += c; });
  }

  onMessage(msg) {
    const waiter = this.pending.get(msg.id);
    if (!waiter) return;
    this.pending.delete(msg.id);
    if (msg.error) waiter.reject(new Error(`${msg.error.code}: ${msg.error.message}`));
    else waiter.resolve(msg.result);
  }

  request(method, params, timeoutMs = 30000) {
    const id = this.nextId++;
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`MCP ${method} timed out; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
    });
  }

  async initialize() {
    const result = await this.request('initialize', {
      protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'kubegate-tests', version: '0' } });
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    return result;
  }

  // Calls a tool and returns its text content joined.
  async callTool(name, args) {
    const result = await this.request('tools/call', { name, arguments: args });
    const text = (result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
    return { isError: Boolean(result.isError), text };
  }

  close() {
    this.child.kill('SIGTERM');
  }
}

module.exports = { McpClient, mcpAvailable };
