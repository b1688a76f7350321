'use strict';
// WATCH as the watch cache serves it (apiserver pkg/storage/cacher, handlers/watch.go): a chunked
// 200 of newline-terminated WatchEvents, flushed one by one. resourceVersion unset or "0" starts
// with synthetic ADDED events for the current state; an explicit one resumes from history or
// ends with an ERROR 410 event. Bookmarks, sendInitialEvents, timeoutSeconds and Table events
// (headers on the first only) behave as in kube-apiserver.

const common = require('./common');
const { versionAtMost } = require('../registry');
const { selectorPredicate } = require('./list');
const { negotiate, toTable } = require('./table');
const { goJSON } = require('../context');

const DEFAULT_BOOKMARK_MS = 60 * 1000;
const MIN_REQUEST_TIMEOUT_S = 1800;

// ValidateListOptions for a watch; WatchList (sendInitialEvents) is on from 1.32.
function validateWatchOptions(ctx) {
  const q = ctx.query;
  const errs = [];
  const match = q.get('resourceVersionMatch') || '';
  const sendInitial = q.has('sendInitialEvents');
  const watchList = !versionAtMost(ctx.sim.emulatedVersion || '1.33', '1.31');
  if (sendInitial) {
    if (match !== 'NotOlderThan') errs.push(common.forbiddenField('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    if (!watchList) errs.push(common.forbiddenField('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
  }
  if (match) {
    if (!sendInitial) errs.push(common.forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== 'NotOlderThan') errs.push(common.notSupported('resourceVersionMatch', match, ['NotOlderThan']));
    if (q.get('continue')) errs.push(common.forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  if (errs.length) throw common.invalid('ListOptions', 'meta.k8s.io', '', errs);
}

function expiredEvent(message) {
  return { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message,
                                    reason: 'Expired', code: 410 } };
}

// A bookmark carries an otherwise empty object of the watched kind.
function bookmarkObject(type, rv, initialEventsEnd) {
  const metadata = { resourceVersion: String(rv), creationTimestamp: null };
  if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return { kind: type.kind, apiVersion: type.groupVersion, metadata };
}

class WatchStream {
  constructor(ctx, type, neg) {
    this.ctx = ctx;
    this.type = type;
    this.neg = neg;
    this.sentTable = false;
    this.closed = false;
    this.cleanups = [];
  }

  start() {
    const res = this.ctx.res;
    res.writeHead(200, { ...this.ctx.commonHeaders(), 'Content-Type': 'application/json' });
    res.flushHeaders();
    this.ctx.logRequest(200);
    // The response closes when the stream ends or the client goes away. (The request's own
    // 'close' fires once its body has been read, which happened before dispatch.)
    const close = () => this.close();
    res.on('close', close);
    res.on('error', close);
    if (res.socket) res.socket.on('close', close);
  }

  encode(type, object) {
    if (this.neg.as === 'Table' && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) {
      const table = toTable(this.ctx, this.type, [object], { resourceVersion: object.metadata.resourceVersion },
        { version: this.neg.version, noHeaders: this.sentTable });
      this.sentTable = true;
      return { type, object: table };
    }
    return { type, object };
  }

  // The stream serializer never pretty-prints, whatever ?pretty or the User-Agent say.
  send(type, object) {
    if (!this.closed) this.sendRaw(this.encode(type, object));
  }

  sendRaw(ev) {
    if (!this.closed) this.ctx.res.write(`${goJSON(ev, false)}\n`);
  }

  onClose(fn) {
    this.cleanups.push(fn);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.cleanups) fn();
    if (!this.ctx.res.writableEnded) this.ctx.res.end();
  }
}

// Which watch event a change is for this watcher, given the selector: an object that stops matching
// is DELETED for it, one that starts matching is ADDED (the cacher's prevObject logic).
function filterEvent(match, eventType, obj, prev) {
  const now = match(obj);
  if (eventType !== 'MODIFIED') return now ? eventType : null;
  const before = prev ? match(prev) : false;
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return null;
}

function handleWatch(ctx, type) {
  const q = ctx.query;
  validateWatchOptions(ctx);
  const neg = negotiate(ctx, { list: false });
  const pred = selectorPredicate(ctx, type);
  const store = ctx.sim.store;
  const namespace = ctx.info.namespace;
  const rvText = q.get('resourceVersion') || '';
  const legacyStart = rvText === '' || rvText === '0';
  const sendInitial = q.has('sendInitialEvents') ? common.isTrue(q, 'sendInitialEvents') : legacyStart;
  const bookmarks = common.isTrue(q, 'allowWatchBookmarks');
  const timeoutText = q.get('timeoutSeconds');
  const timeoutS = timeoutText && Number(timeoutText) > 0 ? Number(timeoutText)
    : MIN_REQUEST_TIMEOUT_S * (1 + Math.random());

  const stream = new WatchStream(ctx, type, neg);
  stream.start();
  let lastRV = Number(store.resourceVersion());
  const onEvent = (eventType, obj, prev) => {
    lastRV = Math.max(lastRV, Number(obj.metadata.resourceVersion));
    const t = filterEvent(pred.match, eventType, obj, prev);
    if (t) stream.send(t, obj);
  };

  let since = legacyStart ? undefined : rvText;
  if (sendInitial) {
    const { items, resourceVersion } = store.list(type, namespace);
    for (const o of items) if (pred.match(o)) stream.send('ADDED', o);
    since = resourceVersion;
    lastRV = Number(resourceVersion);
    if (bookmarks && q.has('sendInitialEvents')) stream.sendRaw({ type: 'BOOKMARK', object: bookmarkObject(type, lastRV, true) });
  }
  try {
    stream.onClose(store.watch(type, namespace, since, onEvent));
  } catch (e) {
    if (e.reason !== 'Expired') throw e;
    stream.sendRaw(expiredEvent(e.message));
    stream.close();
    return;
  }
  if (bookmarks) {
    const every = ctx.sim.watchBookmarkIntervalMs || DEFAULT_BOOKMARK_MS;
    const timer = setInterval(() => {
      lastRV = Math.max(lastRV, Number(store.resourceVersion()));
      stream.sendRaw({ type: 'BOOKMARK', object: bookmarkObject(type, lastRV, false) });
    }, every);
    stream.onClose(() => clearInterval(timer));
  }
  const timer = setTimeout(() => stream.close(), timeoutS * 1000);
  stream.onClose(() => clearTimeout(timer));
}

module.exports = { handleWatch, filterEvent, bookmarkObject };
