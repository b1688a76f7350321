'use strict';
// Decodes Kubernetes protobuf request bodies (wire §2.4) into the JSON object form kube-apiserver
// would hold had the client sent JSON. kubectl and client-go typed clients send protobuf from 1.32
// (wire §0.1), and everything downstream in kube-sim (store, RBAC, pods, masking tests) works on JSON.
//
// "The JSON form" is what Go's encoding/json makes of the decoded Go struct: non-pointer fields are
// always there (gogo-protobuf writes them even when empty, and Go's JSON writes structs even with
// omitempty), `omitempty` drops empty scalars/slices/maps and nil pointers, nil slices/maps without
// omitempty are `null`, []byte is base64, metav1.Time is RFC 3339 or null. The layouts are data in
// protobuf-schema.js.

const { MESSAGES, ALIASES, KINDS, ANY_VERSION_KINDS } = require('./protobuf-schema');

const MAGIC = Buffer.from('k8s\0', 'latin1');
const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

// Go's time.Time{}: metav1.Time treats it as "unset" and writes JSON null.
const GO_ZERO_TIME_SECONDS = -62135596800n;

// `reason` lets the server choose the status without parsing messages: 'malformed' is a body that is
// not valid protobuf for its kind (400), 'unsupported' a kind kube-sim cannot decode (415).
class ProtobufError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'ProtobufError';
    this.reason = reason;
  }
}

function malformed(path, what) {
  return new ProtobufError('malformed', `invalid protobuf body: ${what}${path ? ` (at ${path})` : ''}`);
}

// Media types compare without parameters and case-insensitively, as mime.ParseMediaType and
// kube-apiserver's input-serializer negotiation do.
function isProtobufContentType(ct) {
  if (typeof ct !== 'string') return false;
  return ct.split(';')[0].trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

// ---------------------------------------------------------------------------------------------
// Wire reading

function readVarint(buf, pos, path) {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) throw malformed(path, 'truncated varint');
    const b = buf[pos + i];
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (b < 0x80) return [BigInt.asUintN(64, value), pos + i + 1];
  }
  throw malformed(path, 'varint longer than 10 bytes');
}

// One pass over a message's fields: [{num, wire, value, name}] where value is a BigInt for varints and
// a Buffer for everything else. Unknown fields are skipped by callers, but still validated here,
// because gogo rejects a malformed unknown field too.
function readFields(buf, path) {
  const fields = [];
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos, path);
    const wire = Number(key & 7n);
    const num = Number(key >> 3n);
    if (num <= 0 || num > 0x1fffffff) throw malformed(path, `illegal field number ${num}`);
    let value;
    switch (wire) {
      case WIRE_VARINT:
        [value, pos] = readVarint(buf, pos, path);
        break;
      case WIRE_LEN: {
        let len;
        [len, pos] = readVarint(buf, pos, path);
        if (len > BigInt(buf.length - pos)) throw malformed(path, `field ${num} claims ${len} bytes but only ${buf.length - pos} remain (truncated body)`);
        value = buf.subarray(pos, pos + Number(len));
        pos += Number(len);
        break;
      }
      case WIRE_FIXED64:
      case WIRE_FIXED32: {
        const n = wire === WIRE_FIXED64 ? 8 : 4;
        if (pos + n > buf.length) throw malformed(path, `field ${num} is truncated`);
        value = buf.subarray(pos, pos + n);
        pos += n;
        break;
      }
      case WIRE_START_GROUP:
      case WIRE_END_GROUP:
        throw malformed(path, `field ${num} uses proto groups (wire type ${wire}), which Kubernetes never sends`);
      default:
        throw malformed(path, `field ${num} has illegal wire type ${wire}`);
    }
    fields.push({ num, wire, value });
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Schema compilation

const SCALARS = new Set(['string', 'bool', 'int32', 'int64', '[]byte']);
const VARINTS = new Set(['bool', 'int32', 'int64']);
// Well-known messages with a custom JSON form.
const SPECIAL = new Set(['Time', 'MicroTime', 'Quantity', 'IntOrString', 'FieldsV1', 'ExtraValue']);

function parseType(goType) {
  let m;
  if ((m = goType.match(/^map\[string\](.+)$/))) return { shape: 'map', elem: m[1] };
  if (goType !== '[]byte' && (m = goType.match(/^\[\](.+)$/))) return { shape: 'slice', elem: m[1] };
  if (goType.startsWith('*')) return { shape: 'pointer', elem: goType.slice(1) };
  return { shape: 'value', elem: goType };
}

function compileMessage(name, text) {
  const fields = [];
  for (const line of text.split('\n')) {
    const row = line.trim();
    if (!row) continue;
    const [num, json, goType, flag, ...rest] = row.split(/\s+/);
    if (rest.length || !/^\d+$/.test(num) || !goType || (flag && flag !== 'omitempty' && flag !== 'inline')) {
      throw new Error(`protobuf-schema: bad row in ${name}: "${row}"`);
    }
    fields.push({ num: Number(num), json, ...parseType(goType), omitempty: flag === 'omitempty', inline: flag === 'inline' });
  }
  return { name, fields, byNum: new Map(fields.map(f => [f.num, f])) };
}

const SCHEMA = {};
for (const [name, text] of Object.entries(MESSAGES)) SCHEMA[name] = compileMessage(name, text);
for (const [name, target] of Object.entries(ALIASES)) SCHEMA[name] = { ...SCHEMA[target], name };

// A typo in the tables should fail at require time, not on the first request that reaches it.
for (const msg of Object.values(SCHEMA)) {
  for (const f of msg.fields) {
    if (!SCALARS.has(f.elem) && !SPECIAL.has(f.elem) && !SCHEMA[f.elem]) {
      throw new Error(`protobuf-schema: ${msg.name}.${f.json} refers to unknown type ${f.elem}`);
    }
    if (f.inline && (f.shape !== 'value' || !SCHEMA[f.elem])) throw new Error(`protobuf-schema: ${msg.name} inline field must be a message`);
  }
}
for (const target of [...Object.values(KINDS), ...Object.values(ANY_VERSION_KINDS)]) {
  if (!SCHEMA[target]) throw new Error(`protobuf-schema: kind table refers to unknown message ${target}`);
}

// ---------------------------------------------------------------------------------------------
// Decoding

// Decoding state shared down the recursion: where fields unknown to the schema were seen.
class Decoder {
  constructor() {
    this.unknownFields = [];
  }

  message(name, buf, path) {
    const msg = SCHEMA[name];
    const seen = new Map();
    for (const field of readFields(buf, path)) {
      const f = msg.byNum.get(field.num);
      if (!f) {
        this.unknownFields.push(`${path || name}: field ${field.num} (wire type ${field.wire})`);
        continue;
      }
      checkWireType(f, field, path);
      if (!seen.has(f.num)) seen.set(f.num, []);
      seen.get(f.num).push(field);
    }
    const obj = {};
    for (const f of msg.fields) {
      const occurrences = seen.get(f.num) || [];
      const fpath = f.inline ? path : `${path}.${f.json}`;
      if (f.inline) {
        Object.assign(obj, this.message(f.elem, joinChunks(occurrences), fpath));
        continue;
      }
      const rendered = this.field(f, occurrences, fpath);
      if (rendered !== OMIT) obj[f.json] = rendered;
    }
    return obj;
  }

  field(f, occurrences, path) {
    const present = occurrences.length > 0;
    if (f.shape === 'slice') {
      const items = this.sliceItems(f, occurrences, path);
      if (items.length === 0) return f.omitempty ? OMIT : null;
      return items;
    }
    if (f.shape === 'map') {
      if (!present) return f.omitempty ? OMIT : null;
      return this.map(f, occurrences, path);
    }
    if (f.shape === 'pointer') {
      if (!present) return f.omitempty ? OMIT : null;
      return this.single(f.elem, occurrences, path);
    }
    const value = this.single(f.elem, occurrences, path);
    if (f.omitempty && isGoEmpty(f.elem, value)) return OMIT;
    return value;
  }

  // Proto semantics: the last occurrence of a scalar wins; occurrences of a message merge, which is
  // the same as decoding their concatenation.
  single(elem, occurrences, path) {
    if (SCALARS.has(elem)) {
      const last = occurrences[occurrences.length - 1];
      return last ? scalar(elem, last.value, path) : zeroScalar(elem);
    }
    return this.element(elem, joinChunks(occurrences), path);
  }

  sliceItems(f, occurrences, path) {
    const items = [];
    for (const occ of occurrences) {
      if (VARINTS.has(f.elem) && occ.wire === WIRE_LEN) {
        // Packed encoding: proto2 parsers must accept it even though gogo writes unpacked.
        let pos = 0;
        while (pos < occ.value.length) {
          let v;
          [v, pos] = readVarint(occ.value, pos, path);
          items.push(scalar(f.elem, v, path));
        }
        continue;
      }
      const ipath = `${path}[${items.length}]`;
      items.push(SCALARS.has(f.elem) ? scalar(f.elem, occ.value, ipath) : this.element(f.elem, occ.value, ipath));
    }
    return items;
  }

  // Go's encoding/json writes map keys sorted by their UTF-8 bytes; a repeated key keeps the last value.
  map(f, occurrences, path) {
    const entries = new Map();
    for (const occ of occurrences) {
      let key = '';
      const valueChunks = [];
      let valueWire = null;
      for (const e of readFields(occ.value, path)) {
        if (e.num === 1) {
          if (e.wire !== WIRE_LEN) throw wrongWire(path, 'map key', e.wire, WIRE_LEN);
          key = e.value.toString('utf8');
        } else if (e.num === 2) {
          valueWire = e.wire;
          valueChunks.push(e);
        }
      }
      const vpath = `${path}[${JSON.stringify(key)}]`;
      const expected = VARINTS.has(f.elem) ? WIRE_VARINT : WIRE_LEN;
      if (valueWire !== null && valueWire !== expected) throw wrongWire(vpath, 'map value', valueWire, expected);
      // gogo starts each map value as []byte{}, so an entry without a value is "" rather than null.
      const value = f.elem === '[]byte' && valueChunks.length === 0 ? '' : this.single(f.elem, valueChunks, vpath);
      entries.set(key, value);
    }
    const out = {};
    for (const key of [...entries.keys()].sort(compareUtf8)) out[key] = entries.get(key);
    return out;
  }

  element(elem, buf, path) {
    switch (elem) {
      case 'Time': return renderTime(this.timestamp(buf, path), false, path);
      case 'MicroTime': return renderTime(this.timestamp(buf, path), true, path);
      case 'Quantity': return this.quantity(buf, path);
      case 'IntOrString': return this.intOrString(buf, path);
      case 'FieldsV1': return this.fieldsV1(buf, path);
      case 'ExtraValue': return this.extraValue(buf, path);
      default: return this.message(elem, buf, path);
    }
  }

  // metav1.Timestamp {1 seconds int64, 2 nanos int32}.
  timestamp(buf, path) {
    const ts = { seconds: 0n, nanos: 0, empty: buf.length === 0 };
    for (const f of readFields(buf, path)) {
      if (f.num === 1) ts.seconds = BigInt.asIntN(64, expectVarint(f, path, 'seconds'));
      else if (f.num === 2) ts.nanos = Number(BigInt.asIntN(32, expectVarint(f, path, 'nanos')));
    }
    return ts;
  }

  // resource.Quantity {1 string}. The client already wrote the canonical form (Quantity.String()),
  // and an unset Quantity reads as zero, which Go writes as "0".
  quantity(buf, path) {
    let s = '';
    for (const f of readFields(buf, path)) if (f.num === 1) s = expectBytes(f, path, 'string').toString('utf8');
    return s === '' ? '0' : s;
  }

  // intstr.IntOrString {1 type, 2 intVal, 3 strVal}: JSON is the number or the string.
  intOrString(buf, path) {
    let type = 0n, intVal = 0, strVal = '';
    for (const f of readFields(buf, path)) {
      if (f.num === 1) type = BigInt.asIntN(64, expectVarint(f, path, 'type'));
      else if (f.num === 2) intVal = Number(BigInt.asIntN(32, expectVarint(f, path, 'intVal')));
      else if (f.num === 3) strVal = expectBytes(f, path, 'strVal').toString('utf8');
    }
    if (type === 0n) return intVal;
    if (type === 1n) return strVal;
    throw malformed(path, `IntOrString has impossible type ${type}`);
  }

  // metav1.FieldsV1 {1 Raw}: the raw bytes are JSON and are written as-is.
  fieldsV1(buf, path) {
    let raw = null;
    for (const f of readFields(buf, path)) if (f.num === 1) raw = expectBytes(f, path, 'Raw');
    if (!raw || raw.length === 0) return null;
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw malformed(path, `fieldsV1 is not valid JSON (${e.message})`);
    }
  }

  // authentication/v1 ExtraValue {1 repeated string items} is a Go []string.
  extraValue(buf, path) {
    const items = [];
    for (const f of readFields(buf, path)) if (f.num === 1) items.push(expectBytes(f, path, 'items').toString('utf8'));
    return items.length ? items : null;
  }
}

const OMIT = Symbol('omit');

function joinChunks(occurrences) {
  return occurrences.length === 1 ? occurrences[0].value : Buffer.concat(occurrences.map(o => o.value));
}

function wrongWire(path, what, got, want) {
  return malformed(path, `${what} has wire type ${got}, expected ${want}`);
}

function checkWireType(f, field, path) {
  const varint = VARINTS.has(f.elem) && f.shape !== 'map';
  const want = varint ? WIRE_VARINT : WIRE_LEN;
  if (field.wire === want) return;
  if (varint && f.shape === 'slice' && field.wire === WIRE_LEN) return; // packed
  throw wrongWire(`${path}.${f.json}`, `field ${f.num} (${f.json})`, field.wire, want);
}

function expectVarint(f, path, name) {
  if (f.wire !== WIRE_VARINT) throw wrongWire(path, name, f.wire, WIRE_VARINT);
  return f.value;
}

function expectBytes(f, path, name) {
  if (f.wire !== WIRE_LEN) throw wrongWire(path, name, f.wire, WIRE_LEN);
  return f.value;
}

function scalar(elem, value, path) {
  switch (elem) {
    case 'string': return value.toString('utf8');
    case '[]byte': return value.toString('base64');
    case 'bool': return value !== 0n;
    case 'int32': return Number(BigInt.asIntN(32, value));
    case 'int64': return toSafeNumber(BigInt.asIntN(64, value), path);
    default: throw new Error(`unreachable scalar ${elem}`);
  }
}

// Absent non-pointer fields are Go zero values. A nil []byte is JSON null.
function zeroScalar(elem) {
  switch (elem) {
    case 'string': return '';
    case 'bool': return false;
    case '[]byte': return null;
    default: return 0;
  }
}

// Go omitempty: false, 0, "" and empty slices/maps. Structs (messages, Time, Quantity, IntOrString)
// are never empty to encoding/json, so they stay even when zero.
function isGoEmpty(elem, value) {
  if (!SCALARS.has(elem)) return false;
  return value === '' || value === false || value === 0 || value === null;
}

// JSON numbers in JavaScript hold 53 bits; larger int64s would silently change value, so refuse them.
function toSafeNumber(v, path) {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw malformed(path, `integer ${v} does not fit in a JSON number kube-sim can hold exactly`);
  }
  return Number(v);
}

// metav1.Time: seconds only, RFC 3339 in UTC ("2006-01-02T15:04:05Z"); Unmarshal ignores nanos.
// metav1.MicroTime: nanos truncated to microseconds, "2006-01-02T15:04:05.000000Z".
// An empty message or Go's zero time is the unset time, written as null.
function renderTime(ts, micro, path) {
  if (ts.empty) return null;
  let seconds = ts.seconds;
  let micros = 0n;
  if (micro) {
    const total = seconds * 1000000n + BigInt(Math.trunc(ts.nanos / 1000));
    seconds = floorDiv(total, 1000000n);
    micros = total - seconds * 1000000n;
  }
  if (seconds === GO_ZERO_TIME_SECONDS && micros === 0n) return null;
  const ms = Number(seconds) * 1000;
  const year = new Date(ms).getUTCFullYear();
  if (!Number.isFinite(ms) || Number.isNaN(year) || year < 0 || year > 9999) {
    throw malformed(path, `timestamp ${seconds}s is outside the years 0000-9999`);
  }
  const base = new Date(ms).toISOString().slice(0, 19);
  return micro ? `${base}.${String(micros).padStart(6, '0')}Z` : `${base}Z`;
}

function floorDiv(a, b) {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function compareUtf8(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// The envelope

// runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}.
// kube-apiserver ignores contentEncoding/contentType for request bodies, and so do we.
function readEnvelope(data) {
  const env = { apiVersion: '', kind: '', raw: Buffer.alloc(0) };
  for (const f of readFields(data, 'Unknown')) {
    if (f.num === 1) {
      for (const t of readFields(expectBytes(f, 'Unknown', 'typeMeta'), 'Unknown.typeMeta')) {
        if (t.num === 1) env.apiVersion = expectBytes(t, 'Unknown.typeMeta', 'apiVersion').toString('utf8');
        else if (t.num === 2) env.kind = expectBytes(t, 'Unknown.typeMeta', 'kind').toString('utf8');
      }
    } else if (f.num === 2) {
      env.raw = expectBytes(f, 'Unknown', 'raw');
    } else if (f.num === 3 || f.num === 4) {
      expectBytes(f, 'Unknown', f.num === 3 ? 'contentEncoding' : 'contentType');
    }
  }
  return env;
}

function lookupKind(apiVersion, kind) {
  return KINDS[`${apiVersion}/${kind}`] || ANY_VERSION_KINDS[kind] || null;
}

// decodeK8sProtobuf(buffer[, expected]) -> {apiVersion, kind, object, unknownFields}
//   object: the JSON form, starting with kind and apiVersion (TypeMeta is inline in Go, so first).
//   unknownFields: "<path>: field N (wire type W)" for fields the schema does not model; kube-apiserver
//     would know most of them, so the server may want to log these.
//   expected: {apiVersion, kind} of the endpoint, used when the envelope leaves them empty, as
//     kube-apiserver's copyKindDefaults does.
// Throws ProtobufError (reason 'malformed' or 'unsupported').
function decodeK8sProtobuf(buffer, expected = {}) {
  if (!Buffer.isBuffer(buffer)) buffer = Buffer.from(buffer || []);
  if (buffer.length === 0) throw new ProtobufError('malformed', 'invalid protobuf body: empty body');
  if (buffer.length < MAGIC.length || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtobufError('malformed', `invalid protobuf body: it does not start with the Kubernetes magic "k8s\\0" (6b 38 73 00); got ${buffer.subarray(0, 4).toString('hex').replace(/(..)(?!$)/g, '$1 ')}`);
  }
  if (buffer.length === MAGIC.length) throw new ProtobufError('malformed', 'invalid protobuf body: nothing after the "k8s\\0" magic');

  const env = readEnvelope(buffer.subarray(MAGIC.length));
  const kind = env.kind || expected.kind || '';
  const apiVersion = env.apiVersion || expected.apiVersion || '';
  if (!kind) throw new ProtobufError('malformed', 'invalid protobuf body: the envelope names no kind');
  if (!apiVersion) throw new ProtobufError('malformed', `invalid protobuf body: the envelope names no apiVersion for kind ${kind}`);

  const message = lookupKind(apiVersion, kind);
  if (!message) {
    throw new ProtobufError('unsupported', `kube-sim cannot decode ${kind} (${apiVersion}) from protobuf; send it as application/json`);
  }
  const decoder = new Decoder();
  const body = decoder.message(message, env.raw, kind);
  return { apiVersion, kind, object: { kind, apiVersion, ...body }, unknownFields: decoder.unknownFields };
}

function supportedKinds() {
  return [...Object.keys(KINDS), ...Object.keys(ANY_VERSION_KINDS).map(k => `*/${k}`)];
}

module.exports = { decodeK8sProtobuf, isProtobufContentType, ProtobufError, supportedKinds, PROTOBUF_MEDIA_TYPE };
