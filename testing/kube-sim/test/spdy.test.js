'use strict';
// SPDY/3.1 codec and connection (lib/streams/spdy.js): the dictionary, header blocks, every frame
// type, one zlib context per direction shared by all header blocks, and the server connection's
// stream, PING, RST and GOAWAY handling over a real TCP socket.
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const crypto = require('node:crypto');
const { once } = require('node:events');
const spdy = require('../lib/streams/spdy');
const { collect, frameLog, withTimeout } = require('./support/spdy-fixtures');

// sha256 of the 1423 bytes of moby/spdystream spdy/dictionary.go (the draft's §2.6.10.1 table).
const DICTIONARY_SHA256 = '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02';

async function decodeAll(framer, bytes) {
  const splitter = new spdy.FrameSplitter();
  splitter.push(bytes);
  const out = [];
  for (let raw = splitter.next(); raw; raw = splitter.next()) out.push(await framer.decode(raw));
  return out;
}

async function tcpPair() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  const [accepted] = await once(server, 'connection');
  await once(client, 'connect');
  server.close();
  return { serverSide: accepted, clientSide: client };
}

async function connectedPair() {
  const { serverSide, clientSide } = await tcpPair();
  const server = new spdy.SpdyServerConnection(serverSide);
  const client = new spdy.SpdyClientConnection(clientSide);
  return { server, client, serverSide, clientSide, close: () => { serverSide.destroy(); clientSide.destroy(); } };
}

test('the dictionary is the 1423-byte SPDY/3 dictionary and seeds the zlib header', async () => {
  assert.equal(spdy.DICTIONARY.length, 1423);
  assert.equal(crypto.createHash('sha256').update(spdy.DICTIONARY).digest('hex'), DICTIONARY_SHA256);
  const framer = new spdy.Framer();
  const frame = await framer.encode({ type: 'SYN_REPLY', streamId: 1, headers: {} });
  framer.close();
  const block = frame.subarray(12);
  assert.equal(block[0], 0x78, 'zlib CMF');
  assert.ok(block[1] & 0x20, 'FDICT set: the block needs the dictionary');
  assert.equal(block.readUInt32BE(2), 0xe3c6a7c2, 'DICTID is the Adler-32 of the SPDY/3 dictionary');
});

test('header blocks round trip, lowercasing names and splitting NUL-joined values', () => {
  const block = spdy.encodeHeaderBlock({ StreamType: 'error', Port: ['80', '443'], requestid: 7 });
  assert.deepEqual(spdy.decodeHeaderBlock(block), [['streamtype', 'error'], ['port', '80'], ['port', '443'], ['requestid', '7']]);
  assert.equal(block.readUInt32BE(0), 3, 'three names; repeated values share one pair');
  assert.throws(() => spdy.decodeHeaderBlock(block.subarray(0, block.length - 1)), /truncated/);
});

test('every frame type round trips through two framers', async () => {
  const a = new spdy.Framer();
  const b = new spdy.Framer();
  const frames = [
    { type: 'SYN_STREAM', streamId: 1, associatedId: 0, priority: 3, slot: 0, flags: spdy.FLAG_FIN, headers: [['streamtype', 'error']] },
    { type: 'SYN_REPLY', streamId: 1, flags: 0, headers: [] },
    { type: 'HEADERS', streamId: 1, flags: spdy.FLAG_FIN, headers: [['x-extra', 'yes']] },
    { type: 'DATA', streamId: 1, flags: spdy.FLAG_FIN, data: Buffer.from('payload') },
    { type: 'RST_STREAM', streamId: 3, status: spdy.RST.CANCEL },
    { type: 'SETTINGS', flags: 0, settings: [{ flags: 1, id: 4, value: 100 }, { flags: 0, id: 7, value: 65536 }] },
    { type: 'PING', id: 5 },
    { type: 'GOAWAY', lastGoodStreamId: 7, status: spdy.GOAWAY.OK },
    { type: 'WINDOW_UPDATE', streamId: 1, delta: 1024 },
  ];
  const bytes = [];
  for (const f of frames) bytes.push(await a.encode(f));
  const decoded = await decodeAll(b, Buffer.concat(bytes));
  a.close();
  b.close();
  assert.equal(decoded.length, frames.length);
  for (let i = 0; i < frames.length; i++) {
    for (const [k, v] of Object.entries(frames[i])) assert.deepEqual(decoded[i][k], v, `${frames[i].type}.${k}`);
  }
  // Wire layout checks against the spec: control bit, version 3, type, flags, 24-bit length.
  const ping = bytes[6];
  assert.deepEqual([...ping.subarray(0, 8)], [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04]);
  const data = bytes[3];
  assert.deepEqual([...data.subarray(0, 8)], [0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x07]);
});

test('header blocks share one compression context per direction', async () => {
  const sender = new spdy.Framer();
  const receiver = new spdy.Framer();
  const headers = (n) => ({ streamtype: 'data', port: '8080', requestid: String(n) });
  const encoded = [];
  for (let i = 0; i < 5; i++) encoded.push(await sender.encode({ type: 'SYN_STREAM', streamId: 1 + 2 * i, headers: headers(i) }));
  // Only the first block starts a zlib stream; later ones continue it and back-reference earlier ones.
  assert.equal(encoded[0][18], 0x78);
  for (const f of encoded.slice(1)) assert.ok(f.length < encoded[0].length, 'later blocks reuse the shared window');
  const lone = new spdy.Framer();
  const splitter = new spdy.FrameSplitter();
  splitter.push(encoded[1]);
  await assert.rejects(lone.decode(splitter.next()), 'a later block cannot be read without the earlier ones');
  lone.close();
  const decoded = await decodeAll(receiver, Buffer.concat(encoded));
  decoded.forEach((f, i) => assert.deepEqual(Object.fromEntries(f.headers), headers(i)));
  // Each block ends on a sync flush marker (empty stored block), so it is decodable on arrival.
  for (const f of encoded) assert.deepEqual([...f.subarray(f.length - 4)], [0x00, 0x00, 0xff, 0xff]);
  sender.close();
  receiver.close();
});

test('the server connection parses frames split at every byte', async (t) => {
  const { serverSide, clientSide } = await tcpPair();
  t.after(() => { serverSide.destroy(); clientSide.destroy(); });
  const server = new spdy.SpdyServerConnection(serverSide);
  const framer = new spdy.Framer();
  const bytes = Buffer.concat([
    await framer.encode({ type: 'SYN_STREAM', streamId: 1, headers: { streamtype: 'stdin' } }),
    framer.encode({ type: 'DATA', streamId: 1, data: Buffer.from('hello ') }),
    await framer.encode({ type: 'SYN_STREAM', streamId: 3, headers: { streamtype: 'stdout' } }),
    framer.encode({ type: 'DATA', streamId: 1, flags: spdy.FLAG_FIN, data: Buffer.from('world') }),
  ]);
  framer.close();
  const streams = [];
  server.on('stream', (s) => streams.push(s));
  const gotStdin = new Promise((resolve) => server.once('stream', (s) => resolve(collect(s))));
  for (const byte of bytes) {
    clientSide.write(Buffer.from([byte]));
    await new Promise((r) => setImmediate(r));
  }
  assert.equal((await withTimeout(gotStdin, 5000, 'stdin stream')).toString(), 'hello world');
  assert.deepEqual(streams.map((s) => [s.id, s.headers.streamtype]), [[1, 'stdin'], [3, 'stdout']]);
});

test('streams: SYN_REPLY before data, DATA both ways, FIN half-closes each side', async (t) => {
  const { server, client, close } = await connectedPair();
  t.after(close);
  const serverStream = new Promise((resolve) => server.once('stream', resolve));
  const log = frameLog(client);
  const cs = client.createStream({ streamtype: 'data', port: '80', requestid: '0' });
  const ss = await serverStream;
  assert.deepEqual(ss.headers, { streamtype: 'data', port: '80', requestid: '0' });
  // Writes made before the reply wait for it, as spdystream's waitWriteReply.
  ss.write('early');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(log.frames.filter((f) => f.type === 'DATA').length, 0);
  ss.reply({});
  const reply = await log.waitFor((f) => f.type === 'SYN_REPLY');
  assert.deepEqual(reply.headers, []);
  const fromServer = collect(cs);
  const fromClient = collect(ss);
  cs.end('request bytes');
  ss.end(' late');
  assert.equal((await withTimeout(fromClient, 5000, 'client data')).toString(), 'request bytes');
  assert.equal((await withTimeout(fromServer, 5000, 'server data')).toString(), 'early late');
  const types = log.frames.map((f) => `${f.type}${f.flags & spdy.FLAG_FIN ? '+FIN' : ''}`);
  assert.deepEqual(types, ['SYN_REPLY', 'DATA', 'DATA', 'DATA+FIN']);
});

test('PING: the peer\'s pings are echoed, our own are not echoed back', async (t) => {
  const { server, client, close } = await connectedPair();
  t.after(close);
  const serverLog = frameLog(server);
  const rtt = await withTimeout(client.ping(), 5000, 'client ping answered');
  assert.ok(rtt >= 0);
  assert.equal((await serverLog.waitFor((f) => f.type === 'PING')).id, 1, 'client pings use odd ids');
  const clientLog = frameLog(client);
  await withTimeout(server.ping(), 5000, 'server ping answered');
  assert.equal((await clientLog.waitFor((f) => f.type === 'PING')).id, 2, 'server pings use even ids');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(serverLog.frames.filter((f) => f.type === 'PING' && f.id === 2).length, 1, 'the echo is not echoed again');
});

test('RST_STREAM from the client ends the stream; a reset from the server sends CANCEL', async (t) => {
  const { server, client, close } = await connectedPair();
  t.after(close);
  const streams = [];
  server.on('stream', (s) => {
    streams.push(s);
    s.reply({});
  });
  const log = frameLog(client);
  const a = client.createStream({ streamtype: 'data' });
  client.createStream({ streamtype: 'error' });
  await log.waitFor((f) => f.type === 'SYN_REPLY' && f.streamId === 3);
  const resetSeen = once(streams[0], 'reset');
  client._send({ type: 'RST_STREAM', streamId: a.id, status: spdy.RST.CANCEL });
  await withTimeout(resetSeen, 5000, 'reset event');
  assert.equal(streams[0].resetStatus, spdy.RST.CANCEL);
  assert.ok(streams[0].readableEnded || streams[0].remoteFinished);
  streams[1].reset();
  const rst = await log.waitFor((f) => f.type === 'RST_STREAM');
  assert.deepEqual([rst.streamId, rst.status], [3, spdy.RST.CANCEL]);
});

test('stream ids must increase; a stale id is refused with PROTOCOL_ERROR', async (t) => {
  const { server, client, close } = await connectedPair();
  t.after(close);
  const seen = [];
  server.on('stream', (s) => seen.push(s.id));
  const log = frameLog(client);
  client._send({ type: 'SYN_STREAM', streamId: 5, headers: {} });
  client._send({ type: 'SYN_STREAM', streamId: 3, headers: {} });
  const rst = await log.waitFor((f) => f.type === 'RST_STREAM');
  assert.deepEqual([rst.streamId, rst.status], [3, spdy.RST.PROTOCOL_ERROR]);
  assert.deepEqual(seen, [5]);
});

test('close() sends GOAWAY naming the last client stream, then ends the transport', async (t) => {
  const { server, client, close } = await connectedPair();
  t.after(close);
  server.on('stream', (s) => s.reply({}));
  const log = frameLog(client);
  client.createStream({ a: '1' });
  client.createStream({ a: '2' });
  await log.waitFor((f) => f.type === 'SYN_REPLY' && f.streamId === 3);
  const closed = once(client, 'close');
  await server.close();
  const goaway = await log.waitFor((f) => f.type === 'GOAWAY');
  assert.deepEqual([goaway.lastGoodStreamId, goaway.status], [3, spdy.GOAWAY.OK]);
  await withTimeout(closed, 5000, 'client sees the connection end');
});

test('a client GOAWAY ends every stream on the server and stops reading', async (t) => {
  const { server, client, close } = await connectedPair();
  t.after(close);
  const got = new Promise((resolve) => server.once('stream', (s) => { s.reply({}); resolve(s); }));
  client.createStream({ streamtype: 'stdin' });
  const s = await got;
  const ended = collect(s);
  client._send({ type: 'GOAWAY', lastGoodStreamId: 0, status: 0 });
  client._send({ type: 'SYN_STREAM', streamId: 3, headers: {} });
  await withTimeout(once(server, 'goaway'), 5000, 'goaway event');
  await withTimeout(ended, 5000, 'stream readable ended');
  assert.equal(server.streams.size, 0);
});

test('negotiate: the first client protocol the server speaks, else the 403 Handshake writes', () => {
  const req = (values) => ({ rawHeaders: values.flatMap((v) => ['X-Stream-Protocol-Version', v]), headers: {} });
  const server = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
  assert.equal(spdy.negotiate(req(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io']), server).protocol, 'v4.channel.k8s.io');
  assert.equal(spdy.negotiate(req(['channel.k8s.io, v3.channel.k8s.io']), server).protocol, 'channel.k8s.io');
  const none = spdy.negotiate(req([]), server);
  assert.deepEqual([none.protocol, none.refusal], ['', null]);
  const miss = spdy.negotiate(req(['v9.channel.k8s.io', 'x']), server);
  assert.equal(miss.refusal.code, 403);
  assert.equal(miss.refusal.message, 'unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io x], ' +
    'server accepts [v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]');
  assert.deepEqual(miss.refusal.headers['X-Accepted-Stream-Protocol-Versions'], server);
  const head = spdy.switchingProtocolsResponse('v4.channel.k8s.io').toString();
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\nConnection: Upgrade\r\nDate: .+\r\nUpgrade: SPDY\/3\.1\r\nX-Stream-Protocol-Version: v4\.channel\.k8s\.io\r\n\r\n$/);
});
