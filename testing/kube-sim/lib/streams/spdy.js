'use strict';
// SPDY/3.1 as moby/spdystream speaks it (wire §3.4): the frame codec, the zlib header contexts, the
// server side of a connection, and the upgrade handshake of apimachinery's httpstream package.
// kubectl uses it for exec/attach up to 1.29 (and as fallback later) and for every port-forward,
// raw or tunnelled in WebSocket messages from 1.31, so kube-sim cannot do without it.

const zlib = require('node:zlib');
const EventEmitter = require('node:events');
const { Duplex } = require('node:stream');

const VERSION = 3;
const TYPE = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 };
const TYPE_NAME = Object.fromEntries(Object.entries(TYPE).map(([k, v]) => [v, k]));
const FLAG_FIN = 0x01;
const FLAG_UNIDIRECTIONAL = 0x02;
const RST = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, UNSUPPORTED_VERSION: 4, CANCEL: 5,
              INTERNAL_ERROR: 6, FLOW_CONTROL_ERROR: 7, STREAM_IN_USE: 8, STREAM_ALREADY_CLOSED: 9 };
const GOAWAY = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 11 };
const MAX_DATA_LENGTH = 0xffffff; // 24-bit length field
const QUEUE_HIGH_WATER = 1 << 20; // bytes queued for the transport before stream writes wait
// spdystream joins repeated header values with NUL inside one name/value pair.
const VALUE_SEPARATOR = '\0';

// The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1): 65 words,
// each preceded by its length as a big-endian u32, then a run of common header values. Both ends
// must start their zlib contexts from exactly these 1423 bytes.
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5',
  'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match',
  'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location',
  'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after',
  'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie',
  'keep-alive', 'origin',
];
const DICTIONARY_TAIL = [
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505',
  '203 Non-Authoritative Information', '204 No Content', '301 Moved Permanently', '400 Bad Request',
  '401 Unauthorized', '403 Forbidden', '404 Not Found', '500 Internal Server Error', '501 Not Implemented',
  '503 Service Unavailable',
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT',
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,',
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.',
].join('');

function buildDictionary() {
  const parts = [];
  for (const word of DICTIONARY_WORDS) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(word.length);
    parts.push(len, Buffer.from(word, 'latin1'));
  }
  parts.push(Buffer.from(DICTIONARY_TAIL, 'latin1'));
  return Buffer.concat(parts);
}
const DICTIONARY = buildDictionary();

// One zlib context that lives as long as the connection. Blocks are processed strictly in call
// order, each ended with Z_SYNC_FLUSH (the flush option), so every block is decodable on arrival
// while the window keeps earlier blocks as back-references, as SPDY requires.
class ZContext {
  constructor(kind) {
    const opts = { dictionary: DICTIONARY, flush: zlib.constants.Z_SYNC_FLUSH, readableHighWaterMark: 1 << 24 };
    this.z = kind === 'deflate' ? zlib.createDeflate({ ...opts, level: 9 }) : zlib.createInflate(opts);
    this.z.on('error', () => {}); // reported through the write callback instead
    this.chain = Promise.resolve();
  }

  process(input) {
    const result = this.chain.then(() => new Promise((resolve, reject) => {
      if (this.z.destroyed) return reject(this.failure || new Error('SPDY header context closed'));
      // A zlib failure destroys the stream without calling the write back, so listen for it.
      const onError = (err) => {
        this.failure = err;
        reject(err);
      };
      this.z.once('error', onError);
      return this.z.write(input, (err) => {
        this.z.off('error', onError);
        if (err) return reject(err);
        // The transform pushes its output before calling back, so it is all readable now.
        const parts = [];
        for (let c = this.z.read(); c !== null; c = this.z.read()) parts.push(c);
        return resolve(Buffer.concat(parts));
      });
    }));
    this.chain = result.catch(() => {});
    return result;
  }

  close() {
    this.z.destroy();
  }
}

// Header blocks carry lowercase names (spdystream lowercases on write and flags uppercase on read).
// `headers` is an object (values may be arrays) or a list of [name, value] pairs.
function encodeHeaderBlock(headers) {
  const grouped = new Map();
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers || {});
  for (const [name, value] of pairs) {
    const key = String(name).toLowerCase();
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    grouped.set(key, [...(grouped.get(key) || []), ...values]);
  }
  const parts = [u32(grouped.size)];
  for (const [name, values] of grouped) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(values.join(VALUE_SEPARATOR), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

// The [name, value] pairs a header object or list stands for, names lowercased.
function encodeHeaderPairs(headers) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers || {});
  return pairs.flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => [String(k).toLowerCase(), String(one)]));
}

// Returns [name, value] pairs; a NUL-joined value becomes one pair per value, as http.Header.Add.
function decodeHeaderBlock(buf) {
  let off = 0;
  const need = (n) => {
    if (off + n > buf.length) throw new Error('truncated SPDY header block');
  };
  need(4);
  const count = buf.readUInt32BE(off);
  off += 4;
  const pairs = [];
  for (let i = 0; i < count; i++) {
    need(4);
    const nlen = buf.readUInt32BE(off);
    need(4 + nlen + 4);
    const name = buf.toString('utf8', off + 4, off + 4 + nlen);
    off += 4 + nlen;
    const vlen = buf.readUInt32BE(off);
    need(4 + vlen);
    const value = buf.toString('utf8', off + 4, off + 4 + vlen);
    off += 4 + vlen;
    for (const v of value.split(VALUE_SEPARATOR)) pairs.push([name.toLowerCase(), v]);
  }
  return pairs;
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function controlFrame(type, flags, payload) {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

function dataFrame(streamId, flags, data) {
  if (data.length > MAX_DATA_LENGTH) throw new Error('SPDY data frame too long');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(((flags & 0xff) << 24 | data.length) >>> 0, 4);
  return Buffer.concat([head, data]);
}

// Splits a byte stream into raw frames; control payloads are decoded later (header blocks need
// the connection's inflate context).
class FrameSplitter {
  constructor() {
    this.buf = Buffer.alloc(0);
  }

  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
  }

  next() {
    if (this.buf.length < 8) return null;
    const length = this.buf.readUInt32BE(4) & 0xffffff;
    if (this.buf.length < 8 + length) return null;
    const first = this.buf.readUInt32BE(0);
    const flags = this.buf[4];
    const body = this.buf.subarray(8, 8 + length);
    this.buf = this.buf.subarray(8 + length);
    if (first & 0x80000000) {
      return { control: true, version: (first >>> 16) & 0x7fff, type: first & 0xffff, flags, payload: body };
    }
    return { control: false, streamId: first & 0x7fffffff, flags, data: body };
  }
}

// Encodes and decodes frames with one compression context per direction, shared by every header
// block of the connection. Used by the server connection and, in tests, by a client.
class Framer {
  constructor() {
    this.deflater = new ZContext('deflate');
    this.inflater = new ZContext('inflate');
  }

  // Returns a Buffer, or a Promise of one for frames that carry a header block. Call order is
  // compression order, so callers must also write the results in call order.
  encode(f) {
    switch (f.type) {
      case 'DATA': return dataFrame(f.streamId, f.flags || 0, f.data || Buffer.alloc(0));
      case 'SYN_STREAM': return this.deflater.process(encodeHeaderBlock(f.headers)).then((block) => {
        const fixed = Buffer.alloc(10);
        fixed.writeUInt32BE(f.streamId & 0x7fffffff, 0);
        fixed.writeUInt32BE((f.associatedId || 0) & 0x7fffffff, 4);
        fixed[8] = (f.priority || 0) << 5;
        fixed[9] = f.slot || 0;
        return controlFrame(TYPE.SYN_STREAM, f.flags || 0, Buffer.concat([fixed, block]));
      });
      case 'SYN_REPLY':
      case 'HEADERS': return this.deflater.process(encodeHeaderBlock(f.headers)).then((block) =>
        controlFrame(TYPE[f.type], f.flags || 0, Buffer.concat([u32(f.streamId & 0x7fffffff), block])));
      case 'RST_STREAM': return controlFrame(TYPE.RST_STREAM, 0, Buffer.concat([u32(f.streamId), u32(f.status)]));
      case 'SETTINGS': {
        const entries = f.settings || [];
        const parts = [u32(entries.length)];
        for (const s of entries) parts.push(u32(((s.flags || 0) << 24 | s.id) >>> 0), u32(s.value));
        return controlFrame(TYPE.SETTINGS, f.flags || 0, Buffer.concat(parts));
      }
      case 'PING': return controlFrame(TYPE.PING, 0, u32(f.id));
      case 'GOAWAY': return controlFrame(TYPE.GOAWAY, 0, Buffer.concat([u32(f.lastGoodStreamId || 0), u32(f.status || 0)]));
      case 'WINDOW_UPDATE': return controlFrame(TYPE.WINDOW_UPDATE, 0, Buffer.concat([u32(f.streamId), u32(f.delta)]));
      default: throw new Error(`cannot encode SPDY frame type ${f.type}`);
    }
  }

  // Turns a raw frame from FrameSplitter into a frame object. Async because of header blocks.
  async decode(raw) {
    if (!raw.control) return { type: 'DATA', streamId: raw.streamId, flags: raw.flags, data: raw.data };
    const p = raw.payload;
    const name = TYPE_NAME[raw.type];
    const need = (n) => {
      if (p.length < n) throw new Error(`short SPDY ${name} frame`);
    };
    switch (raw.type) {
      case TYPE.SYN_STREAM: {
        need(10);
        const headers = decodeHeaderBlock(await this.inflater.process(p.subarray(10)));
        return { type: name, flags: raw.flags, streamId: p.readUInt32BE(0) & 0x7fffffff,
                 associatedId: p.readUInt32BE(4) & 0x7fffffff, priority: p[8] >> 5, slot: p[9], headers };
      }
      case TYPE.SYN_REPLY:
      case TYPE.HEADERS: {
        need(4);
        const headers = decodeHeaderBlock(await this.inflater.process(p.subarray(4)));
        return { type: name, flags: raw.flags, streamId: p.readUInt32BE(0) & 0x7fffffff, headers };
      }
      case TYPE.RST_STREAM: need(8); return { type: name, streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
      case TYPE.SETTINGS: return { type: name, flags: raw.flags, settings: decodeSettings(p) };
      case TYPE.PING: need(4); return { type: name, id: p.readUInt32BE(0) };
      case TYPE.GOAWAY: need(8); return { type: name, lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
      case TYPE.WINDOW_UPDATE: need(8); return { type: name, streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
      default: return { type: 'UNKNOWN', typeCode: raw.type, flags: raw.flags, payload: p };
    }
  }

  close() {
    this.deflater.close();
    this.inflater.close();
  }
}

function decodeSettings(p) {
  if (p.length < 4) throw new Error('short SPDY SETTINGS frame');
  const count = p.readUInt32BE(0);
  const out = [];
  for (let i = 0; i < count && 4 + i * 8 + 8 <= p.length; i++) {
    const idf = p.readUInt32BE(4 + i * 8);
    out.push({ flags: idf >>> 24, id: idf & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
  }
  return out;
}

// One stream. Readable: the peer's DATA (ends at its FIN or a reset); writable: our DATA, with end()
// sending an empty DATA frame with FIN. On a stream the peer opened nothing is written before our
// SYN_REPLY (writes wait for reply()), as spdystream does; a stream we opened emits 'reply'.
class SpdyStream extends Duplex {
  constructor(conn, frame, { local = false } = {}) {
    super({ allowHalfOpen: true, autoDestroy: false });
    this.conn = conn;
    this.id = frame.streamId;
    this.priority = frame.priority;
    this.headerList = frame.headers;
    this.headers = {};
    for (const [k, v] of frame.headers) if (!(k in this.headers)) this.headers[k] = v;
    this.replied = local; // only the receiver of a SYN_STREAM replies
    this.localFinished = local ? (frame.flags & FLAG_FIN) !== 0 : (frame.flags & FLAG_UNIDIRECTIONAL) !== 0;
    this.remoteFinished = false;
    this.wasReset = false;
    this.pending = [];
    this.on('error', () => {}); // streams never fail the process; the connection reports problems
    if (!local && (frame.flags & FLAG_FIN)) this._remoteFin();
  }

  reply(headers = {}, { fin = false } = {}) {
    if (this.replied || this.wasReset) return;
    this.replied = true;
    this.conn._send({ type: 'SYN_REPLY', streamId: this.id, flags: fin ? FLAG_FIN : 0, headers });
    if (fin) this.localFinished = true;
    const pending = this.pending;
    this.pending = [];
    for (const fn of pending) fn();
  }

  // RST_STREAM; both directions end. spdystream's Reset sends CANCEL unless we already sent FIN.
  reset(status = RST.CANCEL) {
    if (this.wasReset) return;
    const alreadyFinished = this.localFinished;
    this.conn.streams.delete(this.id);
    this._markReset();
    if (!alreadyFinished || status !== RST.CANCEL) this.conn._send({ type: 'RST_STREAM', streamId: this.id, status });
  }

  _whenReplied(fn) {
    if (this.replied || this.wasReset) fn();
    else this.pending.push(fn);
  }

  // Frames are queued on the connection in write order, so output from several streams reaches
  // the wire in the order it was produced; cb waits only while the connection is backed up.
  _write(chunk, _enc, cb) {
    this._whenReplied(() => {
      if (this.wasReset || this.localFinished || this.conn.closed) return cb();
      for (let off = 0; off < chunk.length; off += MAX_DATA_LENGTH) {
        this.conn._send({ type: 'DATA', streamId: this.id, flags: 0, data: chunk.subarray(off, off + MAX_DATA_LENGTH) });
      }
      return this.conn._whenWritable(cb);
    });
  }

  _final(cb) {
    this._whenReplied(() => {
      if (this.wasReset || this.localFinished || this.conn.closed) return cb();
      this.localFinished = true;
      this.conn._send({ type: 'DATA', streamId: this.id, flags: FLAG_FIN, data: Buffer.alloc(0) }, cb);
      this._forgetIfDone();
    });
  }

  // A stream finished both ways leaves the connection's table (spdystream removeStream).
  _forgetIfDone() {
    if (this.localFinished && this.remoteFinished) this.conn.streams.delete(this.id);
  }

  _read() {}

  _remoteData(data, fin) {
    if (!this.remoteFinished && data.length) this.push(data);
    if (fin) this._remoteFin();
  }

  _remoteFin() {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    this.push(null);
    this._forgetIfDone();
  }

  _markReset() {
    this.wasReset = true;
    this.localFinished = true;
    this._remoteFin();
    const pending = this.pending;
    this.pending = [];
    for (const fn of pending) fn();
    this.emit('reset');
  }
}

// One end of a SPDY/3.1 connection over any duplex (a TLS socket, or a WebSocket tunnel). Emits
// 'stream' (SpdyStream) for each SYN_STREAM from the peer, 'frame' for every decoded incoming frame,
// 'goaway' when the peer sends GOAWAY, and 'close' once the transport is gone. Server and client
// differ only in the parity of the ids they allocate (spdystream NewConnection).
class SpdyConnection extends EventEmitter {
  constructor(transport, { head, server = true } = {}) {
    super();
    this.transport = transport;
    this.isServer = server;
    this.framer = new Framer();
    this.splitter = new FrameSplitter();
    this.streams = new Map();
    this.nextPeerId = 1; // spdystream's receivedStreamId: new peer ids must not go backwards
    this.lastPeerId = 0;
    this.nextLocalId = server ? 2 : 1;
    this.nextPingId = server ? 2 : 1;
    this.pings = new Map();
    this.sentGoAway = false;
    this.receivedGoAway = false;
    this.closed = false;
    this.out = Promise.resolve();
    this.queuedBytes = 0;
    this.blockedWriters = [];
    this.pumping = false;
    transport.on('data', (chunk) => this._onBytes(chunk));
    transport.on('end', () => this._terminate());
    transport.on('close', () => this._terminate());
    transport.on('error', () => this._terminate());
    if (head && head.length) this._onBytes(head);
  }

  // Opens a stream (SYN_STREAM); with fin the stream is half-closed from our side at once.
  createStream(headers, { fin = false, priority = 0 } = {}) {
    const frame = { type: 'SYN_STREAM', streamId: this.nextLocalId, flags: fin ? FLAG_FIN : 0, priority, headers };
    this.nextLocalId += 2;
    const stream = new SpdyStream(this, { ...frame, headers: encodeHeaderPairs(headers) }, { local: true });
    this.streams.set(stream.id, stream);
    this._send(frame);
    return stream;
  }

  // Resolves with the round trip in ms once the peer echoes the PING.
  ping() {
    const id = this.nextPingId;
    this.nextPingId += 2;
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed'));
      this.pings.set(id, () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
      this._send({ type: 'PING', id });
      return undefined;
    });
  }

  _onBytes(chunk) {
    if (this.closed || this.receivedGoAway) return;
    this.splitter.push(chunk);
    this._pump();
  }

  // Frames are handled strictly in arrival order, waiting on header inflation when needed.
  async _pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let raw = this.splitter.next(); raw && !this.closed && !this.receivedGoAway; raw = this.splitter.next()) {
        const frame = await this.framer.decode(raw);
        this.emit('frame', frame);
        this._handle(frame);
      }
    } catch (err) {
      // spdystream stops serving on a frame it cannot read; the peer sees the connection drop.
      this.emit('protocolError', err);
      this.transport.destroy();
      this._terminate();
    } finally {
      this.pumping = false;
    }
  }

  _handle(frame) {
    switch (frame.type) {
      case 'SYN_STREAM': return this._onSynStream(frame);
      case 'DATA': {
        const s = this.streams.get(frame.streamId);
        if (s) s._remoteData(frame.data, (frame.flags & FLAG_FIN) !== 0);
        return undefined;
      }
      case 'RST_STREAM': {
        const s = this.streams.get(frame.streamId);
        if (s) {
          this.streams.delete(frame.streamId);
          s.resetStatus = frame.status;
          s._markReset();
        }
        return undefined;
      }
      case 'HEADERS': {
        const s = this.streams.get(frame.streamId);
        if (s) {
          s.emit('headers', frame.headers);
          if (frame.flags & FLAG_FIN) s._remoteFin();
        }
        return undefined;
      }
      case 'SYN_REPLY': {
        const s = this.streams.get(frame.streamId);
        if (s) {
          s.emit('reply', frame.headers);
          if (frame.flags & FLAG_FIN) s._remoteFin();
        }
        return undefined;
      }
      case 'PING': return this._onPing(frame);
      case 'GOAWAY':
        // spdystream stops reading at a GOAWAY and winds the connection down.
        this.receivedGoAway = true;
        this.emit('goaway', frame);
        this._endAllStreams();
        return undefined;
      default: return undefined; // SETTINGS, WINDOW_UPDATE: spdystream has no flow control
    }
  }

  // A PING with the peer's parity is echoed; one with ours answers our ping (handlePingFrame).
  _onPing(frame) {
    const ours = (frame.id & 1) === (this.isServer ? 0 : 1);
    if (!ours) {
      this._send({ type: 'PING', id: frame.id });
      return;
    }
    const done = this.pings.get(frame.id);
    this.pings.delete(frame.id);
    if (done) done();
  }

  _onSynStream(frame) {
    if (this.sentGoAway) return; // spdystream rejects new streams once it has gone away
    if (frame.streamId === 0 || frame.streamId < this.nextPeerId) {
      this._send({ type: 'RST_STREAM', streamId: frame.streamId || 1, status: RST.PROTOCOL_ERROR });
      return;
    }
    this.nextPeerId = frame.streamId + 2;
    this.lastPeerId = frame.streamId;
    const stream = new SpdyStream(this, frame);
    this.streams.set(stream.id, stream);
    this.emit('stream', stream);
  }

  // Queues a frame; frames reach the transport in call order. cb runs once it was handed over.
  _send(frame, cb) {
    let encoded;
    try {
      encoded = this.framer.encode(frame);
    } catch (err) {
      if (cb) cb(err);
      return;
    }
    const size = frame.data ? frame.data.length : 64;
    this.queuedBytes += size;
    this.out = this.out
      .then(() => encoded)
      .then((buf) => this._writeTransport(buf))
      .then(() => {
        this.queuedBytes -= size;
        if (this.queuedBytes < QUEUE_HIGH_WATER) this._releaseWriters();
        if (cb) cb();
      }, (err) => {
        this.queuedBytes -= size;
        this._releaseWriters();
        if (cb) cb();
        this.emit('protocolError', err);
      });
  }

  _whenWritable(cb) {
    if (this.queuedBytes < QUEUE_HIGH_WATER || this.closed) cb();
    else this.blockedWriters.push(cb);
  }

  _releaseWriters() {
    const waiting = this.blockedWriters;
    this.blockedWriters = [];
    for (const cb of waiting) cb();
  }

  _writeTransport(buf) {
    const t = this.transport;
    if (this.closed || t.destroyed || !t.writable) return undefined;
    if (t.write(buf)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        t.off('drain', done);
        t.off('close', done);
        resolve();
      };
      t.on('drain', done);
      t.on('close', done);
    });
  }

  // Resolves once every queued frame was handed to the transport.
  flushed() {
    return this.out.then(() => undefined);
  }

  // GOAWAY naming the last peer stream we accepted (spdystream Close: receivedStreamId - 2).
  goAway(status = GOAWAY.OK) {
    if (this.sentGoAway || this.receivedGoAway || this.closed) return;
    this.sentGoAway = true;
    this._send({ type: 'GOAWAY', lastGoodStreamId: this.lastPeerId, status });
  }

  // Sends GOAWAY (unless the client went away first), then ends the transport after the queue drains.
  close(status = GOAWAY.OK) {
    if (this.closed) return Promise.resolve();
    this.goAway(status);
    return this.flushed().then(() => {
      if (!this.transport.destroyed) this.transport.end();
      this._terminate();
    });
  }

  destroy() {
    this.transport.destroy();
    this._terminate();
  }

  _endAllStreams() {
    for (const s of this.streams.values()) {
      s.localFinished = true;
      s._remoteFin();
      const pending = s.pending;
      s.pending = [];
      for (const fn of pending) fn();
    }
  }

  _terminate() {
    if (this.closed) return;
    this.closed = true;
    this._endAllStreams();
    this.framer.close();
    this._releaseWriters();
    this.pings.clear();
    this.emit('close');
  }
}

class SpdyServerConnection extends SpdyConnection {
  constructor(transport, options = {}) {
    super(transport, { ...options, server: true });
  }
}

class SpdyClientConnection extends SpdyConnection {
  constructor(transport, options = {}) {
    super(transport, { ...options, server: false });
  }
}

// ---- the HTTP upgrade (apimachinery pkg/util/httpstream/httpstream.go, spdy/upgrade.go) ----

const HEADER_PROTOCOL = 'X-Stream-Protocol-Version';
const HEADER_ACCEPTED = 'X-Accepted-Stream-Protocol-Versions';
const UPGRADE_SPDY = 'SPDY/3.1';

// commaSeparatedHeaderValues: every X-Stream-Protocol-Version value, split on commas, trimmed.
function clientProtocols(req) {
  const raw = [];
  const rh = req.rawHeaders || [];
  for (let i = 0; i < rh.length; i += 2) if (rh[i].toLowerCase() === 'x-stream-protocol-version') raw.push(rh[i + 1]);
  return raw.flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean);
}

// Handshake: the first client protocol the server also speaks. Returns {protocol, offered, refusal};
// with no overlap `refusal` is the 403 Handshake writes; with nothing offered both are empty, since
// callers differ in what they answer then.
function negotiate(req, serverProtocols) {
  return negotiateOffered(clientProtocols(req), serverProtocols);
}

function negotiateOffered(offered, serverProtocols) {
  if (offered.length === 0) return { protocol: '', offered, refusal: null };
  const protocol = offered.find((p) => serverProtocols.includes(p));
  if (protocol) return { protocol, offered, refusal: null };
  // http.Error(w, err.Error(), 403) after adding one header line per server protocol.
  const message = `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], ` +
    `server accepts [${serverProtocols.join(' ')}]`;
  return { protocol: '', offered, refusal: {
    code: 403, message,
    headers: { [HEADER_ACCEPTED]: [...serverProtocols], ...goTextHeaders() },
  } };
}

function goTextHeaders() {
  return { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
}

// responseUpgrader.UpgradeResponse: the request must say Connection: upgrade and Upgrade: SPDY/3.1.
function hasSpdyUpgradeHeaders(req) {
  const connection = String(req.headers.connection || '').toLowerCase();
  const upgrade = String(req.headers.upgrade || '').toLowerCase();
  return connection.includes('upgrade') && upgrade.includes(UPGRADE_SPDY.toLowerCase());
}

// Go's %#v of the request's http.Header, for the "missing upgrade headers" message.
function goHeaderDump(req) {
  const map = new Map();
  const rh = req.rawHeaders || [];
  for (let i = 0; i < rh.length; i += 2) {
    const key = rh[i].toLowerCase().replace(/(^|-)([a-z])/g, (_m, d, c) => d + c.toUpperCase());
    if (key === 'Authorization') continue; // kube-apiserver drops it after authenticating
    map.set(key, [...(map.get(key) || []), rh[i + 1]]);
  }
  const entries = [...map.keys()].sort().map((k) =>
    `${JSON.stringify(k)}:[]string{${map.get(k).map((v) => JSON.stringify(v)).join(', ')}}`);
  return `http.Header{${entries.join(', ')}}`;
}

// The 101 as Go's net/http writes it once the handler hijacks: sorted headers, Date included.
function switchingProtocolsResponse(protocol, { upgrade = UPGRADE_SPDY } = {}) {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', `Date: ${new Date().toUTCString()}`,
    `Upgrade: ${upgrade}`];
  if (protocol) lines.push(`${HEADER_PROTOCOL}: ${protocol}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
}

module.exports = {
  SpdyConnection, SpdyServerConnection, SpdyClientConnection, SpdyStream, Framer, FrameSplitter, ZContext, encodeHeaderBlock, decodeHeaderBlock,
  DICTIONARY, TYPE, RST, GOAWAY, FLAG_FIN, FLAG_UNIDIRECTIONAL, MAX_DATA_LENGTH,
  HEADER_PROTOCOL, HEADER_ACCEPTED, UPGRADE_SPDY, clientProtocols, negotiate, negotiateOffered, hasSpdyUpgradeHeaders,
  goHeaderDump, goTextHeaders, switchingProtocolsResponse,
};
