'use strict';
// kube-sim must turn a kubectl >= 1.32 protobuf body into exactly the object kubectl <= 1.31 sends as
// JSON for the same command (wire §0.1, §2.4); anything else makes the stand-in disagree with a real
// cluster about what was created, reviewed or masked. The strongest evidence is to run both real
// binaries against a recording server and compare; the hand-made fixtures cover what kubectl never
// sends (Event, Scale, Eviction as protobuf, full ObjectMeta) and malformed input.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { execFile } = require('node:child_process');
const { decodeK8sProtobuf, isProtobufContentType, ProtobufError, supportedKinds } = require('../lib/protobuf');

// ---------------------------------------------------------------------------------------------
// A protobuf writer for hand-made fixtures. Field numbers are spelled out at each use, read from
// k8s.io/api and apimachinery generated.proto at v0.33.13, independently of lib/protobuf-schema.js.

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function varint(n) {
  let v = BigInt.asUintN(64, BigInt(n));
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const V = (num, n) => Buffer.concat([varint(num << 3), varint(n)]); // varint field
const L = (num, ...parts) => { // length-delimited field: strings, bytes or nested fields
  const p = Buffer.concat(parts.map((x) => (typeof x === 'string' ? Buffer.from(x) : x)));
  return Buffer.concat([varint((num << 3) | 2), varint(p.length), p]);
};
const entry = (num, k, v) => L(num, L(1, k), L(2, v)); // one map entry
// Unknown{1 typeMeta{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}, as gogo writes it.
const body = (apiVersion, kind, ...raw) => Buffer.concat([MAGIC, L(1, L(1, apiVersion), L(2, kind)), L(2, ...raw), L(3), L(4)]);
// ObjectMeta as gogo writes a client's object: every non-pointer field, empty.
const meta = (name, namespace = '') => L(1, L(1, name), L(2), L(3, namespace), L(4), L(5), L(6), V(7, 0), L(8));

function decodes(buf) {
  const r = decodeK8sProtobuf(buf);
  assert.deepEqual(r.unknownFields, [], 'every field on the wire is modelled');
  return r.object;
}

function throwsProtobuf(buf, reason, pattern) {
  assert.throws(() => decodeK8sProtobuf(buf), (e) => {
    assert.ok(e instanceof ProtobufError && e instanceof Error);
    assert.equal(e.reason, reason);
    assert.match(e.message, pattern);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Recorded wire bytes

test('the Secret kubectl 1.33 sends (wire §2.4) decodes to what kubectl 1.31 sends as JSON', () => {
  // kubectl.1.33 create secret generic s1 --from-literal=password=hunter2
  const wire = Buffer.from('6b3873000a0c0a0276311206536563726574122b0a120a02733112001a0022002a003200380042001213' +
    '0a0870617373776f7264120768756e746572321a001a002200', 'hex');
  const r = decodeK8sProtobuf(wire);
  assert.equal(r.apiVersion, 'v1');
  assert.equal(r.kind, 'Secret');
  // kubectl.1.31, same command, byte for byte (member order included)
  assert.equal(JSON.stringify(r.object),
    '{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s1","creationTimestamp":null},"data":{"password":"aHVudGVyMg=="}}');
});

test('DeleteOptions decodes under whatever group version the client names', () => {
  // kubectl.1.33 drain --disable-eviction --grace-period=5: DELETE pods/p1 with apiVersion "v1"
  const wire = Buffer.from('6b3873000a130a027631120d44656c6574654f7074696f6e73120208051a002200', 'hex');
  // kubectl.1.31 sends, for the same command:
  assert.deepEqual(decodes(wire), { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 5 });
  assert.deepEqual(decodes(body('apps/v1', 'DeleteOptions', L(4, 'Foreground'), L(5, 'All'), V(3, 0))),
    { kind: 'DeleteOptions', apiVersion: 'apps/v1', orphanDependents: false, propagationPolicy: 'Foreground', dryRun: ['All'] });
  // int64 -1 is a ten-byte varint
  assert.equal(decodes(body('meta.k8s.io/v1', 'DeleteOptions', V(1, -1))).gracePeriodSeconds, -1);
});

// ---------------------------------------------------------------------------------------------
// Hand-made objects for kinds kubectl does not send as protobuf

test('Eviction decodes to the JSON kubectl drain sends', () => {
  // Eviction{1 metadata, 2 deleteOptions{1 gracePeriodSeconds}}
  const obj = decodes(body('policy/v1', 'Eviction', meta('p1', 'default'), L(2, V(1, 5))));
  // kubectl 1.31 and 1.33 drain --grace-period=5 both POST this JSON
  assert.equal(JSON.stringify(obj), '{"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":"p1",' +
    '"namespace":"default","creationTimestamp":null},"deleteOptions":{"gracePeriodSeconds":5}}');
});

test('Scale keeps status.replicas at zero but drops spec.replicas at zero, as its json tags say', () => {
  // Scale{1 metadata, 2 spec{1 replicas}, 3 status{1 replicas, 2 selector}}
  assert.deepEqual(decodes(body('autoscaling/v1', 'Scale', meta('d', 'ns'), L(2, V(1, 5)), L(3, V(1, 3), L(2, 'app=d')))), {
    kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'd', namespace: 'ns', creationTimestamp: null },
    spec: { replicas: 5 }, status: { replicas: 3, selector: 'app=d' },
  });
  assert.deepEqual(decodes(body('autoscaling/v1', 'Scale', meta('d'), L(2, V(1, 0)), L(3, V(1, 0), L(2)))),
    { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'd', creationTimestamp: null }, spec: {}, status: { replicas: 0 } });
});

test('a controller-written Event carries full ObjectMeta, Time and MicroTime', () => {
  const fieldsV1 = '{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}';
  const objectMeta = L(1,
    L(1, 'web.17c'), L(2, 'web.'), L(3, 'prod'), L(4), L(5, '0b6f1c2e-1111-4222-8333-944455556666'), L(6, '4711'), V(7, 3),
    L(8, V(1, 1714979289), V(2, 999)), // creationTimestamp: Time ignores nanos
    L(9, V(1, 1714979300)), V(10, 30), // deletionTimestamp, deletionGracePeriodSeconds
    entry(11, 'tier', 'fe'), entry(11, 'app', 'web'), entry(12, 'note', ''),
    L(13, L(1, 'ReplicaSet'), L(3, 'web-abc'), L(4, 'u-1'), L(5, 'apps/v1'), V(6, 1), V(7, 0)), // ownerReferences
    L(14, 'example.com/a'), L(14, 'example.com/b'),
    L(17, L(1, 'kube-controller-manager'), L(2, 'Update'), L(3, 'v1'), L(4, V(1, 0)), L(6, 'FieldsV1'), L(7, L(1, fieldsV1)), L(8))); // managedFields
  const obj = decodes(body('v1', 'Event', objectMeta,
    L(2, L(1, 'Pod'), L(2, 'prod'), L(3, 'web-1'), L(4, 'u-2'), L(5, 'v1'), L(6, '12'), L(7, 'spec.containers{c}')), // involvedObject
    L(3, 'Started'), L(4, 'Started container c'), L(5, L(1, 'kubelet'), L(2, 'n1')), // reason, message, source
    L(6, V(1, 1714979289)), L(7), V(8, 2), L(9, 'Normal'), // firstTimestamp, lastTimestamp (unset), count, type
    L(10, V(1, 1714979289), V(2, 123456789)), // eventTime: MicroTime truncates to microseconds
    L(11, V(1, 4), L(2, V(1, 1714979290), V(2, 5000))), L(12, 'Pull'), // series, action
    L(14, 'kubelet'), L(15))); // reportingComponent, reportingInstance
  assert.deepEqual(obj, {
    kind: 'Event', apiVersion: 'v1',
    metadata: {
      name: 'web.17c', generateName: 'web.', namespace: 'prod', uid: '0b6f1c2e-1111-4222-8333-944455556666',
      resourceVersion: '4711', generation: 3, creationTimestamp: '2024-05-06T07:08:09Z',
      deletionTimestamp: '2024-05-06T07:08:20Z', deletionGracePeriodSeconds: 30,
      labels: { app: 'web', tier: 'fe' }, annotations: { note: '' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u-1', controller: true, blockOwnerDeletion: false }],
      finalizers: ['example.com/a', 'example.com/b'],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '1970-01-01T00:00:00Z',
        fieldsType: 'FieldsV1', fieldsV1: JSON.parse(fieldsV1) }],
    },
    involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web-1', uid: 'u-2', apiVersion: 'v1', resourceVersion: '12', fieldPath: 'spec.containers{c}' },
    reason: 'Started', message: 'Started container c', source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: '2024-05-06T07:08:09Z', lastTimestamp: null, count: 2, type: 'Normal',
    eventTime: '2024-05-06T07:08:09.123456Z', series: { count: 4, lastObservedTime: '2024-05-06T07:08:10.000005Z' },
    action: 'Pull', reportingComponent: 'kubelet', reportingInstance: '',
  });
  // Go writes map members sorted, whatever order the wire had
  assert.deepEqual(Object.keys(obj.metadata.labels), ['app', 'tier']);
});

test('SelfSubjectAccessReview carries field and label selector attributes', () => {
  // ResourceAttributes{1 namespace, 2 verb, 3 group, 4 version, 5 resource, 6 subresource, 7 name,
  //   8 fieldSelector{1 rawSelector, 2 requirements}, 9 labelSelector{1 rawSelector, 2 requirements}}
  const attrs = L(1, L(1, 'prod'), L(2, 'list'), L(3, 'apps'), L(4, 'v1'), L(5, 'deployments'), L(6), L(7),
    L(8, L(1, 'metadata.name=web'), L(2, L(1, 'metadata.name'), L(2, 'In'), L(3, 'web'))),
    L(9, L(1), L(2, L(1, 'app'), L(2, 'Exists'))));
  const obj = decodes(body('authorization.k8s.io/v1', 'SelfSubjectAccessReview', meta(''), L(2, attrs), L(3, V(1, 0), L(2), L(3), V(4, 0))));
  assert.deepEqual(obj.spec, { resourceAttributes: {
    namespace: 'prod', verb: 'list', group: 'apps', version: 'v1', resource: 'deployments',
    fieldSelector: { rawSelector: 'metadata.name=web', requirements: [{ key: 'metadata.name', operator: 'In', values: ['web'] }] },
    labelSelector: { requirements: [{ key: 'app', operator: 'Exists' }] },
  } });
  assert.deepEqual(obj.status, { allowed: false });
});

test('Deployment strategy keeps pointer IntOrStrings, even at zero', () => {
  // DeploymentSpec{1 replicas, 2 selector, 3 template, 4 strategy{1 type, 2 rollingUpdate{1 maxUnavailable, 2 maxSurge}},
  //   5 minReadySeconds, 6 revisionHistoryLimit, 7 paused, 9 progressDeadlineSeconds}
  const intstr = (n) => Buffer.concat([V(1, 0), V(2, n), L(3)]); // IntOrString{1 type=Int, 2 intVal, 3 strVal}
  const str = (s) => Buffer.concat([V(1, 1), V(2, 0), L(3, s)]);
  const spec = L(2, V(1, 0), L(2, entry(1, 'app', 'd')), L(3, L(1), L(2, L(2, L(1, 'c'), L(2, 'nginx')))),
    L(4, L(1, 'RollingUpdate'), L(2, L(1, intstr(0)), L(2, str('25%')))), V(5, 0), V(6, 10), V(7, 1), V(9, 600));
  const obj = decodes(body('apps/v1', 'Deployment', meta('d'), spec, L(3)));
  assert.deepEqual(obj.spec, {
    replicas: 0, selector: { matchLabels: { app: 'd' } },
    template: { metadata: { creationTimestamp: null }, spec: { containers: [{ name: 'c', image: 'nginx', resources: {} }] } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
    revisionHistoryLimit: 10, paused: true, progressDeadlineSeconds: 600,
  });
  assert.deepEqual(obj.status, {});
});

test('pointer booleans stay when false; bytes and extra values keep their JSON shapes', () => {
  // Secret{1 metadata, 2 data, 3 type, 4 stringData, 5 immutable}; a map entry may omit its value
  const secret = decodes(body('v1', 'Secret', meta('s'), L(2, L(1, 'empty')), entry(2, 'bin', Buffer.from([0, 0xff])), V(5, 0), L(3, 'Opaque')));
  assert.deepEqual(secret, { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', creationTimestamp: null },
    immutable: false, data: { bin: 'AP8=', empty: '' }, type: 'Opaque' });
  // ConfigMap{4 immutable, 3 binaryData}
  assert.equal(decodes(body('v1', 'ConfigMap', meta('c'), V(4, 1))).immutable, true);
  // SelfSubjectReview{2 status{1 userInfo{1 username, 2 uid, 3 groups, 4 extra map<string, ExtraValue{1 items}>}}}
  const ssr = decodes(body('authentication.k8s.io/v1', 'SelfSubjectReview', meta(''),
    L(2, L(1, L(1, 'alice'), L(2), L(3, 'dev'), L(4, L(1, 'scopes'), L(2, L(1, 'a'), L(1, 'b'))), L(4, L(1, 'none'), L(2))))));
  assert.deepEqual(ssr.status, { userInfo: { username: 'alice', groups: ['dev'], extra: { none: null, scopes: ['a', 'b'] } } });
});

test('zero objects of every kind decode to Go zero values', () => {
  // Non-pointer structs stay ({}), nil slices without omitempty are null, unset times are null.
  const expect = {
    'v1/Pod': { metadata: { creationTimestamp: null }, spec: { containers: null }, status: {} },
    'v1/Namespace': { metadata: { creationTimestamp: null }, spec: {}, status: {} },
    'authentication.k8s.io/v1/TokenRequest': { metadata: { creationTimestamp: null },
      spec: { audiences: null, expirationSeconds: null, boundObjectRef: null }, status: { token: '', expirationTimestamp: null } },
    'authorization.k8s.io/v1/SelfSubjectRulesReview': { metadata: { creationTimestamp: null }, spec: {},
      status: { resourceRules: null, nonResourceRules: null, incomplete: false } },
    'v1/Event': { metadata: { creationTimestamp: null }, involvedObject: {}, source: {}, firstTimestamp: null,
      lastTimestamp: null, eventTime: null, reportingComponent: '', reportingInstance: '' },
  };
  for (const gvk of supportedKinds()) {
    const [apiVersion, kind] = [gvk.slice(0, gvk.lastIndexOf('/')).replace('*', 'v1'), gvk.slice(gvk.lastIndexOf('/') + 1)];
    const r = decodeK8sProtobuf(body(apiVersion, kind));
    assert.equal(r.object.kind, kind);
    assert.equal(r.object.apiVersion, apiVersion);
    if (expect[gvk]) assert.deepEqual(r.object, { kind, apiVersion, ...expect[gvk] }, gvk);
  }
});

// ---------------------------------------------------------------------------------------------
// Protobuf rules

test('repeated message occurrences merge, the last scalar wins, packed varints are accepted', () => {
  // ObjectMeta split across two occurrences of Secret field 1; name given twice
  const obj = decodes(body('v1', 'Secret', L(1, L(1, 'first')), L(1, L(1, 'second'), L(3, 'ns'))));
  assert.deepEqual(obj.metadata, { name: 'second', namespace: 'ns', creationTimestamp: null });
  // PodSecurityContext.supplementalGroups (field 4, repeated int64): unpacked then packed
  const psc = L(14, V(4, 1), L(4, varint(2), varint(300)));
  const pod = decodes(body('v1', 'Pod', L(2, psc)));
  assert.deepEqual(pod.spec.securityContext, { supplementalGroups: [1, 2, 300] });
});

test('fields the schema does not model are skipped and reported with their path', () => {
  // Secret field 99, and PodSpec.volumes[0] using nfs (VolumeSource field 7, not modelled)
  const r = decodeK8sProtobuf(body('v1', 'Secret', meta('s'), V(99, 1)));
  assert.deepEqual(r.object, { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', creationTimestamp: null } });
  assert.deepEqual(r.unknownFields, ['Secret: field 99 (wire type 0)']);
  const p = decodeK8sProtobuf(body('v1', 'Pod', L(2, L(1, L(1, 'v'), L(7, L(1, 'srv'))))));
  assert.deepEqual(p.object.spec.volumes, [{ name: 'v' }]);
  assert.deepEqual(p.unknownFields, ['Pod.spec.volumes[0]: field 7 (wire type 2)']);
});

test('the endpoint kind fills an envelope that names none', () => {
  const wire = Buffer.concat([MAGIC, L(1), L(2, meta('x'))]);
  throwsProtobuf(wire, 'malformed', /names no kind/);
  const r = decodeK8sProtobuf(wire, { apiVersion: 'v1', kind: 'Namespace' });
  assert.deepEqual(r.object, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'x', creationTimestamp: null }, spec: {}, status: {} });
});

test('malformed bodies and unknown kinds are refused with a clear reason', () => {
  throwsProtobuf(Buffer.alloc(0), 'malformed', /empty body/);
  throwsProtobuf(Buffer.from('{"kind":"Secret"}'), 'malformed', /does not start with the Kubernetes magic "k8s\\0" \(6b 38 73 00\); got 7b 22 6b 69/);
  throwsProtobuf(MAGIC, 'malformed', /nothing after/);
  throwsProtobuf(Buffer.concat([MAGIC, Buffer.from([0x0a, 0x85])]), 'malformed', /truncated varint/);
  const ok = body('v1', 'Secret', meta('s'));
  throwsProtobuf(ok.subarray(0, ok.length - 6), 'malformed', /field 2 claims \d+ bytes but only \d+ remain \(truncated body\)/);
  // Secret.type (field 3) is a string; a varint there is the wrong wire type
  throwsProtobuf(body('v1', 'Secret', V(3, 1)), 'malformed', /field 3 \(type\) has wire type 0, expected 2 \(at Secret\.type\)/);
  throwsProtobuf(body('v1', 'Secret', L(1, V(1, 7))), 'malformed', /wire type 0, expected 2 \(at Secret\.metadata\.name\)/);
  throwsProtobuf(body('v1', 'Secret', Buffer.from([0x0b])), 'malformed', /proto groups/);
  throwsProtobuf(body('v1', 'Secret', Buffer.from([0x0e, 0x00])), 'malformed', /illegal wire type 6/);
  throwsProtobuf(body('apps/v1', 'StatefulSet', meta('s')), 'unsupported', /cannot decode StatefulSet \(apps\/v1\) from protobuf/);
  throwsProtobuf(body('v2', 'Secret'), 'unsupported', /Secret \(v2\)/);
  // Container.livenessProbe (10) -> Probe.handler (1, inline) -> ProbeHandler.httpGet (2) -> HTTPGetAction.port (2)
  // as IntOrString{1 type = 7}
  const probe = L(10, L(1, L(2, L(2, V(1, 7)))));
  throwsProtobuf(body('v1', 'Pod', L(2, L(2, L(1, 'c'), probe))), 'malformed', /impossible type 7 \(at Pod\.spec\.containers\[0\]\.livenessProbe\.httpGet\.port\)/);
  // managedFields[].fieldsV1 must hold JSON
  throwsProtobuf(body('v1', 'Secret', L(1, L(17, L(7, L(1, '{nope'))))), 'malformed', /fieldsV1 is not valid JSON/);
  throwsProtobuf(body('v1', 'Secret', L(1, V(7, 2n ** 60n))), 'malformed', /does not fit/);
});

test('isProtobufContentType matches the media type only', () => {
  for (const ct of ['application/vnd.kubernetes.protobuf', 'Application/VND.Kubernetes.Protobuf',
    ' application/vnd.kubernetes.protobuf ; charset=utf-8', 'application/vnd.kubernetes.protobuf;stream=watch']) {
    assert.equal(isProtobufContentType(ct), true, ct);
  }
  for (const ct of ['application/json', 'application/vnd.kubernetes.protobuf+json', 'application/apply-patch+yaml', '', undefined, null]) {
    assert.equal(isProtobufContentType(ct), false, String(ct));
  }
});

// ---------------------------------------------------------------------------------------------
// Real kubectl: the same command from kubectl 1.33 (protobuf) and 1.31 (JSON) must give one object.

const KUBECTL_DIR = process.env.KUBECTL_DIR || '/usr/lib/google-cloud-sdk/bin';

function findKubectl(version) {
  const dirs = [KUBECTL_DIR, ...(process.env.PATH || '').split(path.delimiter)];
  for (const dir of dirs) {
    const p = path.join(dir, `kubectl.${version}`);
    if (dir && fs.existsSync(p)) return p;
  }
  return null;
}

// The pod `kubectl debug --copy-to` copies: it travels through Go's typed Pod, so the copy exercises
// most of PodSpec and Container.
const POD_P1 = {
  kind: 'Pod', apiVersion: 'v1',
  metadata: { name: 'p1', namespace: 'default', uid: 'u-p1', resourceVersion: '4', labels: { app: 'web' }, annotations: { 'a.example/x': '1', empty: '' } },
  spec: {
    volumes: [
      { name: 'sec', secret: { secretName: 's1', items: [{ key: 'password', path: 'pw', mode: 256 }], defaultMode: 420, optional: false } },
      { name: 'cm', configMap: { name: 'c1', defaultMode: 420 } }, { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'tok', projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } },
        { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } }], defaultMode: 420 } },
      { name: 'hp', hostPath: { path: '/var/log', type: 'Directory' } }, { name: 'pvc', persistentVolumeClaim: { claimName: 'data', readOnly: true } }],
    initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], restartPolicy: 'Always', imagePullPolicy: 'IfNotPresent' }],
    containers: [{
      name: 'c', image: 'nginx:1.27', command: ['nginx'], args: ['-g', 'daemon off;'], workingDir: '/srv',
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '0.0.0.0' }],
      envFrom: [{ prefix: 'CM_', configMapRef: { name: 'c1', optional: true } }, { secretRef: { name: 's1' } }],
      env: [{ name: 'A', value: 'B' }, { name: 'EMPTY' }, { name: 'PW', valueFrom: { secretKeyRef: { name: 's1', key: 'password', optional: false } } },
        { name: 'CFG', valueFrom: { configMapKeyRef: { name: 'c1', key: 'a' } } }, { name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } } }],
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
      volumeMounts: [{ name: 'sec', readOnly: true, mountPath: '/etc/sec' }, { name: 'tmp', mountPath: '/tmp', subPath: 'x' }],
      livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] }, initialDelaySeconds: 3, periodSeconds: 10 },
      readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 1 },
      startupProbe: { exec: { command: ['cat', '/ready'] }, failureThreshold: 30 },
      lifecycle: { preStop: { sleep: { seconds: 5 } }, postStart: { exec: { command: ['true'] } } },
      terminationMessagePolicy: 'File', imagePullPolicy: 'Always',
      securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, privileged: false, runAsUser: 1000, runAsNonRoot: true,
        readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } },
      stdin: true, tty: true,
    }],
    restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'sa1', automountServiceAccountToken: false, nodeName: 'n1',
    securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 5000], sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
    imagePullSecrets: [{ name: 'regcred' }], hostname: 'h', subdomain: 'sub',
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } }] } },
    tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['foo.local'] }], priorityClassName: 'high', priority: 1000,
    dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
    readinessGates: [{ conditionType: 'example.com/ready' }], enableServiceLinks: true,
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } }],
    os: { name: 'linux' }, schedulingGates: [{ name: 'gate' }],
  },
  status: { phase: 'Running' },
};

// Just enough discovery (wire §4.1) for the commands below to resolve their resources.
function resourceList(groupVersion, rows) {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: rows.map(([name, kind, namespaced, extra]) =>
    ({ name, singularName: name.includes('/') ? '' : kind.toLowerCase(), namespaced, kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ...extra })) };
}
const GROUPS = ['apps', 'authorization.k8s.io', 'authentication.k8s.io', 'policy', 'rbac.authorization.k8s.io'];
const GET = {
  '/api': { kind: 'APIVersions', versions: ['v1'] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: GROUPS.map((name) =>
    ({ name, versions: [{ groupVersion: `${name}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' } })) },
  '/api/v1': resourceList('v1', [['secrets', 'Secret', true], ['configmaps', 'ConfigMap', true], ['namespaces', 'Namespace', false],
    ['serviceaccounts', 'ServiceAccount', true], ['serviceaccounts/token', 'TokenRequest', true], ['pods', 'Pod', true],
    ['pods/eviction', 'Eviction', true, { group: 'policy', version: 'v1' }], ['nodes', 'Node', false], ['services', 'Service', true]]),
  '/apis/apps/v1': resourceList('apps/v1', [['deployments', 'Deployment', true]]),
  '/apis/authorization.k8s.io/v1': resourceList('authorization.k8s.io/v1', [['selfsubjectaccessreviews', 'SelfSubjectAccessReview', false], ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', false]]),
  '/apis/authentication.k8s.io/v1': resourceList('authentication.k8s.io/v1', [['selfsubjectreviews', 'SelfSubjectReview', false]]),
  '/apis/policy/v1': resourceList('policy/v1', []),
  '/apis/rbac.authorization.k8s.io/v1': resourceList('rbac.authorization.k8s.io/v1', [['roles', 'Role', true], ['rolebindings', 'RoleBinding', true],
    ['clusterroles', 'ClusterRole', false], ['clusterrolebindings', 'ClusterRoleBinding', false]]),
  '/api/v1/nodes/n1': { kind: 'Node', apiVersion: 'v1', metadata: { name: 'n1', resourceVersion: '3' }, spec: {} },
  '/api/v1/namespaces/default/pods/p1': POD_P1,
};

// Records every request with a body. Each kubectl run gets its own path prefix (/run-N[-beta]) in
// --server, so runs can go in parallel; "-beta" answers 404 for authentication.k8s.io/v1
// selfsubjectreviews, which makes kubectl auth whoami fall back to v1beta1.
function startRecorder() {
  const runs = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const m = req.url.match(/^\/(run-\d+(-beta)?)(\/[^?]*)/);
      const [, run, beta, p] = m || [null, null, null, req.url.split('?')[0]];
      const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
      const bodyBuf = Buffer.concat(chunks);
      if (req.method === 'GET') {
        if (GET[p]) return send(200, GET[p]);
        if (p === '/api/v1/pods') return send(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '5' }, items: [POD_P1] });
        return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
      }
      if (req.method === 'PATCH') return send(200, GET[p] || {});
      if (run && bodyBuf.length) {
        if (!runs.has(run)) runs.set(run, []);
        runs.get(run).push({ method: req.method, path: p, contentType: req.headers['content-type'] || '', body: bodyBuf });
      }
      if (beta && p === '/apis/authentication.k8s.io/v1/selfsubjectreviews') {
        return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
      }
      if (req.method === 'DELETE') return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
      // Echo the object back, so kubectl finishes as it would against a cluster.
      try {
        send(201, isProtobufContentType(req.headers['content-type']) ? decodeK8sProtobuf(bodyBuf).object : JSON.parse(bodyBuf));
      } catch (e) {
        send(415, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'UnsupportedMediaType', code: 415, message: e.message });
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, runs, port: server.address().port })));
}

let runCounter = 0;
function runKubectl(bin, rec, tmp, args, { beta = false } = {}) {
  const run = `run-${++runCounter}${beta ? '-beta' : ''}`;
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const kubeconfig = path.join(home, 'config');
  fs.writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${rec.port}/${run}"}}]`,
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]',
    'current-context: x', ''].join('\n'));
  const argv = ['--kubeconfig', kubeconfig, '--cache-dir', path.join(home, 'cache'), '--request-timeout=20s', ...args];
  return new Promise((resolve) => {
    // Exit codes do not matter (auth can-i says "no", drain times out); what reached the server does.
    execFile(bin, argv, { env: { ...process.env, HOME: home }, timeout: 60000 }, (err, stdout, stderr) => {
      resolve({ requests: rec.runs.get(run) || [], output: `${stdout}${stderr}`, err });
    });
  });
}

const BIN_FILE = Buffer.from([0x00, 0xff, 0xfe, 0x62, 0x69, 0x6e]);
const CASES = [
  ['create secret generic', (f) => ['create', 'secret', 'generic', 's1', '--from-literal=password=hunter2', '--from-literal=empty=', `--from-file=bin=${f.bin}`]],
  ['create secret docker-registry', () => ['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example', '--docker-username=u', '--docker-password=p']],
  ['create secret with a type', () => ['create', 'secret', 'generic', 's3', '--type=kubernetes.io/basic-auth', '--from-literal=username=u']],
  ['create configmap with binaryData', (f) => ['create', 'configmap', 'c1', '--from-literal=a=b', '--from-literal=empty=', `--from-file=bin=${f.bin}`, '--append-hash']],
  ['create namespace', () => ['create', 'namespace', 'x']],
  ['create serviceaccount', () => ['create', 'serviceaccount', 'y']],
  ['create token, bound', () => ['create', 'token', 'sa1', '--audience=a1', '--audience=a2', '--duration=1h', '--bound-object-kind=Pod', '--bound-object-name=p1', '--bound-object-uid=1234']],
  ['create token, defaults', () => ['create', 'token', 'sa1']],
  ['auth can-i resource', () => ['auth', 'can-i', 'get', 'pods']],
  ['auth can-i subresource in a namespace', () => ['auth', 'can-i', 'create', 'pods', '--subresource=exec', '-n', 'kube-system']],
  ['auth can-i group and name', () => ['auth', 'can-i', 'list', 'deployments.apps', '--all-namespaces']],
  ['auth can-i named resource', () => ['auth', 'can-i', 'get', 'pods/p1', '--subresource=log', '-n', 'ns1']],
  ['auth can-i non-resource URL', () => ['auth', 'can-i', 'get', '/healthz']],
  ['auth can-i --list (SelfSubjectRulesReview)', () => ['auth', 'can-i', '--list']],
  ['auth whoami', () => ['auth', 'whoami']],
  ['auth whoami falling back to v1beta1', () => ['auth', 'whoami'], { beta: true, count: 2 }],
  ['create deployment', () => ['create', 'deployment', 'd', '--image=nginx', '--replicas=3', '--port=80']],
  ['create deployment, two images', () => ['create', 'deployment', 'd2', '--image=nginx', '--image=redis:7']],
  ['create service clusterip', () => ['create', 'service', 'clusterip', 'web', '--tcp=80:8080', '--tcp=443:https']],
  ['create service nodeport', () => ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080']],
  ['create service externalname', () => ['create', 'service', 'externalname', 'ext', '--external-name=example.com']],
  ['create role', () => ['create', 'role', 'r', '--verb=get,list', '--resource=pods,deployments.apps', '--resource-name=a']],
  ['create clusterrole, non-resource URLs', () => ['create', 'clusterrole', 'cr', '--verb=get', '--non-resource-url=/healthz', '--non-resource-url=/metrics']],
  ['create clusterrole, aggregated', () => ['create', 'clusterrole', 'agg', '--aggregation-rule=rbac.example.com/aggregate-to-view=true']],
  ['create rolebinding', () => ['create', 'rolebinding', 'rb', '--role=r', '--user=alice', '--group=dev', '--serviceaccount=default:sa1']],
  ['create clusterrolebinding', () => ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--user=bob']],
  ['debug --copy-to (a rich Pod)', (f) => ['debug', 'p1', '--copy-to=p2', '--image=busybox', '--container=dbg', `--custom=${f.custom}`,
    '--keep-labels', '--keep-annotations', '--keep-init-containers=true', '--keep-liveness', '--keep-readiness', '--keep-startup']],
  ['debug node (host namespaces, privileged)', () => ['debug', 'node/n1', '--image=busybox', '--profile=sysadmin'], { randomName: true }],
  ['drain --disable-eviction (DeleteOptions)', () => ['drain', 'n1', '--force', '--disable-eviction', '--delete-emptydir-data', '--grace-period=5', '--timeout=1s'],
    { methods: ['DELETE'] }],
];

// Four commands at a time keeps the comparison to a few seconds without starving the machine.
test('kubectl 1.33 protobuf bodies decode to the JSON kubectl 1.31 sends', { timeout: 240000, concurrency: 4 }, async (t) => {
  const k133 = findKubectl('1.33');
  const k131 = findKubectl('1.31');
  if (!k133) return t.skip('kubectl.1.33 not found');
  if (!k131) return t.skip('kubectl.1.31 not found');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sim-protobuf-'));
  const files = { bin: path.join(tmp, 'bin.dat'), custom: path.join(tmp, 'custom.json') };
  fs.writeFileSync(files.bin, BIN_FILE);
  fs.writeFileSync(files.custom, JSON.stringify({ env: [{ name: 'DEBUG', value: '1' }], stdin: true, volumeMounts: [{ name: 'tmp', mountPath: '/dbg' }] }));
  const rec = await startRecorder();
  t.after(() => { rec.server.close(); fs.rmSync(tmp, { recursive: true, force: true }); });

  const compare = async (name, argsOf, opts = {}) => {
    const args = argsOf(files);
    const [pb, js] = await Promise.all([runKubectl(k133, rec, tmp, args, opts), runKubectl(k131, rec, tmp, args, opts)]);
    const pick = (r) => r.requests.filter((q) => !opts.methods || opts.methods.includes(q.method));
    const [pbReqs, jsReqs] = [pick(pb), pick(js)];
    const count = opts.count || 1;
    assert.equal(pbReqs.length, count, `kubectl 1.33 ${name}: ${pbReqs.length} bodies\n${pb.output}`);
    assert.equal(jsReqs.length, count, `kubectl 1.31 ${name}: ${jsReqs.length} bodies\n${js.output}`);
    for (let i = 0; i < count; i++) {
      assert.equal(pbReqs[i].path, jsReqs[i].path);
      assert.ok(isProtobufContentType(pbReqs[i].contentType), `1.33 sent ${pbReqs[i].contentType}`);
      assert.match(jsReqs[i].contentType, /^application\/json/);
      const decoded = decodeK8sProtobuf(pbReqs[i].body);
      assert.deepEqual(decoded.unknownFields, []);
      const expected = JSON.parse(jsReqs[i].body);
      if (opts.randomName) decoded.object.metadata.name = expected.metadata.name;
      assert.deepEqual(decoded.object, expected);
      // Member order too: Go writes struct fields in declaration order and map keys sorted.
      assert.equal(JSON.stringify(decoded.object), JSON.stringify(expected));
    }
  };

  await Promise.all(CASES.map(([name, argsOf, opts]) => t.test(name, () => compare(name, argsOf, opts))));
});
