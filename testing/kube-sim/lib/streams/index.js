'use strict';
// Entry for the pod streaming subresources. exec and attach are checked in the order a request
// meets the checks on a real cluster: kube-apiserver first (the pod, the container; then "Upgrade
// request required" for a plain request, pkg/registry/core/pod/strategy.go streamLocation and the
// upgrade-aware proxy), then the kubelet (requested streams, a running container), whose refusals
// are plain text. Port-forward belongs to portforward.js.

const { notFound, badRequest } = require('../status');
const { parseBool } = require('../requestinfo');
const { serveWebSocket, isWebSocketUpgrade } = require('./websocket');
const { startSession } = require('./exec');
const { handlePodLog, validateContainer } = require('./logs');

function handlePodStream(ctx) {
  const sub = ctx.info.subresource;
  if (sub === 'portforward') return require('./portforward').handlePortForward(ctx);
  const params = apiserverChecks(ctx, sub);
  const upgrade = upgradeKind(ctx.req);
  if (!upgrade) throw badRequest('Upgrade request required');
  // kube-apiserver does not check this (kubectl does, client-side, in these words); what the runtime
  // answers to an empty argv is unverified, so kube-sim refuses it before upgrading.
  if (sub === 'exec' && !params.command.length) throw badRequest('you must specify at least one command for the container');
  params.kubeletError = kubeletChecks(params);
  if (upgrade === 'websocket') return serveWebSocket(ctx, params);
  if (params.kubeletError) return refusePlain(ctx, params.kubeletError);
  // Any other upgrade meets the kubelet's SPDY upgrader too, which refuses it in its own words.
  ctx.execTarget = { pod: params.pod, container: params.container };
  return require('./spdy-exec').handleSpdyExec(ctx, startSession);
}

// 'websocket' | 'spdy' | 'other' | null (not an upgrade: httpstream.IsUpgradeRequest).
function upgradeKind(req) {
  if (!/\bupgrade\b/i.test(req.headers.connection || '')) return null;
  if (isWebSocketUpgrade(req)) return 'websocket';
  if ((req.headers.upgrade || '').toLowerCase() === 'spdy/3.1') return 'spdy';
  return 'other';
}

// PodExecOptions / PodAttachOptions from the query, then ExecLocation/AttachLocation's checks.
function apiserverChecks(ctx, sub) {
  const q = ctx.query;
  const bool = (name) => parseBool(q.getAll(name));
  const params = {
    command: sub === 'exec' ? q.getAll('command') : null,
    tty: bool('tty'), stdin: bool('stdin'), stdout: bool('stdout'), stderr: bool('stderr'),
  };
  const { name, namespace } = ctx.info;
  const pod = ctx.sim.store.get(ctx.sim.registry.lookup('', 'v1', 'pods'), namespace, name);
  if (!pod) throw notFound('pods', name);
  params.pod = pod;
  params.container = validateContainer(pod, q.get('container') || '');
  if (!pod.spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  return params;
}

// What the kubelet refuses before upgrading (pkg/kubelet/server/server.go getExec/getAttach):
// -> {code, text} or null.
function kubeletChecks(params) {
  const stderr = params.stderr && !params.tty; // the kubelet drops stderr with a tty
  if (!params.stdin && !params.stdout && !stderr) return { code: 400, text: 'you must specify at least 1 of stdin, stdout, stderr' };
  const status = ((params.pod.status || {}).containerStatuses || []).find((s) => s.name === params.container);
  const running = params.pod.status && params.pod.status.phase === 'Running' && (!status || (status.state && status.state.running));
  if (!running && !params.pod.metadata.deletionTimestamp) return { code: 500, text: `container not found ("${params.container}")` };
  return null;
}

function refusePlain(ctx, { code, text }) {
  return ctx.sendRaw(code, 'text/plain; charset=utf-8', Buffer.from(text));
}

module.exports = { handlePodStream, handlePodLog, upgradeKind };
