'use strict';
// pods/log: PodLogOptions parsed and validated as kube-apiserver does (LogREST.Get,
// ValidatePodLogOptions), then the container's log streamed as the kubelet streams it: text/plain,
// chunked, the CRI timestamp as an RFC3339Nano prefix when asked, following until the pod goes or
// the client leaves.

const { notFound, badRequest, invalid } = require('../status');
const { parseBool } = require('../requestinfo');

// validateContainer in pkg/registry/core/pod/strategy.go (1.27–1.33), shared with exec/attach:
// every container kind is listed, init containers first (podutil.VisitContainers order), printed
// as Go prints a []string. kubectl, not the server, honours kubectl.kubernetes.io/default-container.
function validateContainer(pod, container) {
  const spec = pod.spec || {};
  const all = [...(spec.initContainers || []), ...(spec.containers || []), ...(spec.ephemeralContainers || [])];
  if (!container) {
    const regular = spec.containers || [];
    if (regular.length === 1) return regular[0].name;
    if (!regular.length) throw badRequest(`a container name must be specified for pod ${pod.metadata.name}`);
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${all.map((c) => c.name).join(' ')}]`);
  }
  if (!all.some((c) => c.name === container)) throw badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
  return container;
}

// Query -> PodLogOptions; integer fields fail as the parameter codec's strconv does.
function parseOptions(query) {
  const bool = (name) => parseBool(query.getAll(name));
  const int = (name) => {
    const v = query.get(name);
    if (v === null) return undefined;
    if (!/^[+-]?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  };
  const opts = {
    container: query.get('container') || '', follow: bool('follow'), previous: bool('previous'),
    timestamps: bool('timestamps'), tailLines: int('tailLines'), sinceSeconds: int('sinceSeconds'),
    limitBytes: int('limitBytes'), sinceTime: undefined,
  };
  const sinceTime = query.get('sinceTime');
  if (sinceTime !== null && sinceTime !== '') {
    const t = Date.parse(sinceTime);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTime) || Number.isNaN(t)) {
      throw badRequest(`parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(sinceTime)} as "2006"`);
    }
    opts.sinceTime = t;
  }
  return opts;
}

// ValidatePodLogOptions (pkg/apis/core/validation/validation.go).
function validateOptions(opts, name) {
  const causes = [];
  const bad = (field, value, msg) => causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${msg}`, field });
  if (opts.tailLines !== undefined && opts.tailLines < 0) bad('tailLines', opts.tailLines, 'must be greater than or equal to 0');
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) bad('limitBytes', opts.limitBytes, 'must be greater than 0');
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) {
    causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified', field: '' });
  } else if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) bad('sinceSeconds', opts.sinceSeconds, 'must be greater than 0');
  if (causes.length) throw invalid('PodLogOptions', name, '', causes);
}

// What the kubelet refuses (pkg/kubelet/kubelet_pods.go validateContainerLogStatus), as 400 Status.
function kubeletRefusal(pod, container, opts) {
  const statuses = [...((pod.status || {}).initContainerStatuses || []), ...((pod.status || {}).containerStatuses || [])];
  const status = statuses.find((s) => s.name === container);
  const podName = pod.metadata.name;
  if (opts.previous) {
    if (!status || !status.lastState || !status.lastState.terminated) {
      return `previous terminated container "${container}" in pod "${podName}" not found`;
    }
    return null;
  }
  if (status && status.state && status.state.waiting) {
    return `container "${container}" in pod "${podName}" is waiting to start: ${status.state.waiting.reason || 'ContainerCreating'}`;
  }
  if (!status && !(pod.status && pod.status.phase === 'Running')) {
    return `container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`;
  }
  return null;
}

function handlePodLog(ctx) {
  const { name, namespace } = ctx.info;
  const opts = parseOptions(ctx.query);
  validateOptions(opts, name);
  const pod = ctx.sim.store.get(ctx.sim.registry.lookup('', 'v1', 'pods'), namespace, name);
  if (!pod) throw notFound('pods', name);
  const container = validateContainer(pod, opts.container);
  const refusal = kubeletRefusal(pod, container, opts);
  if (refusal) throw badRequest(refusal);
  streamLog(ctx, pod, container, opts);
}

function streamLog(ctx, pod, container, opts) {
  const runtime = ctx.sim.pods;
  const res = ctx.res;
  const now = Date.now();
  let sinceMs = opts.sinceTime;
  if (opts.sinceSeconds !== undefined) sinceMs = now - opts.sinceSeconds * 1000;
  const lines = runtime.logLines(pod, container, { tail: opts.tailLines, sinceMs, now });
  ctx.setCommonHeaders();
  res.setHeader('Content-Type', 'text/plain');
  ctx.logRequest(200);
  res.writeHead(200);
  if (ctx.method === 'HEAD') { res.end(); return; }
  let budget = opts.limitBytes === undefined ? Infinity : opts.limitBytes;
  let cancel = () => {};
  let closed = false;
  const finish = () => { if (!closed) { closed = true; cancel(); res.end(); } };
  // Writes one line; false once limitBytes is used up (the kubelet cuts mid-line).
  const emit = (line) => {
    if (closed) return false;
    let buf = Buffer.from(`${opts.timestamps ? `${line.stamp} ` : ''}${line.text}\n`);
    if (buf.length >= budget) buf = buf.subarray(0, budget);
    budget -= buf.length;
    if (buf.length) res.write(buf);
    if (budget <= 0) { finish(); return false; }
    return true;
  };
  for (const line of lines) if (!emit(line)) return;
  if (!opts.follow) { finish(); return; }
  // Every line due at `now` was a candidate above, so following starts at the first one not yet due.
  const from = runtime.dueCount(runtime.logPlan(pod, container), now);
  cancel = runtime.followLogs(pod, container, (line) => emit(line), { from, onEnd: finish });
  res.on('close', () => { closed = true; cancel(); });
}

module.exports = { handlePodLog, validateContainer, parseOptions };
