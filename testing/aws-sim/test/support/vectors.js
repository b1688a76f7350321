'use strict';
// Reads the official SigV4 vectors and the EKS token vectors from $KUBEGATE_SHARED_DIR (never
// copied into the repository). Returns null when they are not there, so tests skip with a reason.

const fs = require('node:fs');
const path = require('node:path');

function sharedDir() {
  const dir = process.env.KUBEGATE_SHARED_DIR;
  return dir && fs.existsSync(dir) ? dir : null;
}

function sigv4Dir() {
  const shared = sharedDir();
  const dir = shared && path.join(shared, 'testdata', 'sigv4', 'aws-c-auth', 'v4');
  return dir && fs.existsSync(dir) ? dir : null;
}

function eksVectors() {
  const shared = sharedDir();
  const file = shared && path.join(shared, 'testdata', 'aws', 'eks-token-vectors.json');
  return file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
}

// An HTTP/1.1 request as the vector files write it: request line, headers (continuation lines
// folded into the previous value), blank line, body.
function parseHttpText(text) {
  const split = text.indexOf('\n\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 2);
  const lines = head.split('\n');
  const m = /^(\S+) (.*) HTTP\/1\.1$/.exec(lines[0]);
  const target = m[2];
  const q = target.indexOf('?');
  const rawHeaders = [];
  for (const line of lines.slice(1)) {
    if (/^\s/.test(line) && rawHeaders.length) rawHeaders[rawHeaders.length - 1] += ` ${line.trim()}`;
    else if (line) {
      const colon = line.indexOf(':');
      rawHeaders.push(line.slice(0, colon), line.slice(colon + 1));
    }
  }
  return { method: m[1], rawPath: q < 0 ? target : target.slice(0, q), rawQuery: q < 0 ? '' : target.slice(q + 1),
           rawHeaders, body: Buffer.from(body, 'utf8') };
}

function loadCase(dir, name) {
  const read = (f) => fs.readFileSync(path.join(dir, name, f), 'utf8');
  return { name, context: JSON.parse(read('context.json')), read };
}

module.exports = { sharedDir, sigv4Dir, eksVectors, parseHttpText, loadCase };
