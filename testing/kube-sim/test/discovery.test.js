'use strict';
// Discovery and /version: the handlers answer every Accept header the way kube-apiserver 1.27,
// 1.30 and 1.33 answer it (unit tests through the real request context with a fake response),
// and real kubectl binaries discover kube-sim as they discover a cluster (end to end).

const test = require('node:test');
const assert = require('node:assert/strict');
const YAML = require('yaml');
const { createContext } = require('../lib/context');
const { Registry } = require('../lib/registry');
const { handleDiscovery, parseAccept, aggregatedVersions, storageVersionHash } = require('../lib/discovery');
const { versionInfo } = require('../lib/version');
const { startSim, kubectl, kubectlPath, readRequestLog, MATRIX, KUBECTL_DIR } = require('./support/harness');

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';
const KUBECTL_130_ACCEPT = `${V2},${V2BETA1},application/json`; // client-go 1.30+ discovery
const KUBECTL_127_ACCEPT = `${V2BETA1},application/json`; // client-go 1.27-1.29

const sims = new Map();
function simFor(version) {
  if (!sims.has(version)) sims.set(version, { registry: new Registry(version), emulatedVersion: version });
  return sims.get(version);
}

// Runs handleDiscovery through the real request context; the fake response records what the
// server would write. Header names come back lower-cased, as a client sees them.
function get(version, url, { accept, headers = {}, method = 'GET' } = {}) {
  const req = { url, method, headers: { ...(accept === undefined ? {} : { accept }), ...headers },
                socket: { localAddress: '::ffff:127.0.0.1', localPort: 6443 } };
  const out = { code: 0, headers: {}, body: '' };
  const res = {
    writeHead(code, h) {
      out.code = code;
      out.headers = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    },
    end(body) { out.body = body ? Buffer.from(body).toString() : ''; },
    setHeader() {},
  };
  const ctx = createContext({ req, res, sim: simFor(version), requestLog: () => {} });
  out.handled = handleDiscovery(ctx);
  out.json = () => JSON.parse(out.body);
  return out;
}

test('parseAccept orders clauses exactly as goautoneg does', () => {
  const order = (h) => parseAccept(h).map((c) => `${c.type}/${c.subType}`);
  // goautoneg's Less is not a strict weak order: a concrete subtype beats a wildcard whatever the
  // q-values, so application/json;q=0.5 lands before text/* here, as it does in Go.
  assert.deepEqual(order('text/*, application/json;q=0.5, */*;q=0.1, application/yaml'),
    ['application/yaml', 'application/json', 'text/*', '*/*']);
  assert.deepEqual(order('a/b;q=0.2, c/d;q=0.9, */*;q=1'), ['*/*', 'c/d', 'a/b']);
  // Clauses without a subtype, with two slashes, or empty are dropped; "*" alone means */*.
  assert.deepEqual(order('application, a/b/c, , *, text/plain'), ['text/plain', '*/*']);
  const [clause] = parseAccept(' application/json ; g = apidiscovery.k8s.io ;v=v2;as=APIGroupDiscoveryList;x;y=1=2');
  assert.deepEqual(clause.params, { g: 'apidiscovery.k8s.io', v: 'v2', as: 'APIGroupDiscoveryList' });
  // q is parsed as strconv.ParseFloat(s, 32) would: junk and untrimmed values become 0.
  assert.equal(parseAccept('a/b;q=0.25')[0].q, 0.25);
  assert.equal(parseAccept('a/b;q=junk')[0].q, 0);
  assert.equal(parseAccept('a/b;q= 0.5')[0].q, 0);
  assert.equal(parseAccept('a/b;q=1e39')[0].q, Infinity);
});

test('aggregated discovery versions follow the feature gates of each release', () => {
  assert.deepEqual(aggregatedVersions('1.27'), ['v2beta1']);
  assert.deepEqual(aggregatedVersions('1.29'), ['v2beta1']);
  assert.deepEqual(aggregatedVersions('1.30'), ['v2', 'v2beta1']);
  assert.deepEqual(aggregatedVersions('1.32'), ['v2', 'v2beta1']);
  assert.deepEqual(aggregatedVersions('1.33'), ['v2']);
});

// [server, Accept, answer]: an aggregated Content-Type, 'application/json' (legacy), or 406.
const MATRIX_ROWS = [
  ['1.27', KUBECTL_130_ACCEPT, V2BETA1], ['1.30', KUBECTL_130_ACCEPT, V2], ['1.33', KUBECTL_130_ACCEPT, V2],
  ['1.27', KUBECTL_127_ACCEPT, V2BETA1], ['1.30', KUBECTL_127_ACCEPT, V2BETA1],
  ['1.33', KUBECTL_127_ACCEPT, 'application/json'],
  ['1.27', 'application/json, */*', 'application/json'], ['1.33', 'application/json, */*', 'application/json'],
  ['1.30', undefined, 'application/json'], ['1.33', '*/*', 'application/json'],
  ['1.33', V2BETA1, 406], ['1.27', V2, 406], ['1.30', V2BETA1, V2BETA1], ['1.30', V2, V2],
  // The wrapper negotiates over aggregated clauses only: a plain clause never outranks one that
  // names a served aggregated GVK, whatever its q. q decides between aggregated versions.
  ['1.33', `application/json;q=0.5,${V2}`, V2], ['1.33', `${V2};q=0.5,application/json`, V2],
  ['1.33', `${V2};q=0.5,${V2BETA1}`, V2], ['1.30', `${V2};q=0.5,${V2BETA1}`, V2BETA1],
  ['1.33', 'application/*;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', V2],
  ['1.33', `${V2};profile=nopeer,application/json`, V2], // unknown parameters are ignored
  ['1.33', 'application/json;as=Table;v=v1;g=meta.k8s.io', 406],
  ['1.33', 'application/json;stream=watch', 'application/json'], ['1.33', 'application/yaml;stream=watch', 406],
  ['1.33', 'application/json;sv=v1', 406], ['1.33', 'text/html', 406],
  // kube-sim encodes no protobuf: a protobuf clause is passed over in favour of the next one.
  ['1.33', 'application/vnd.kubernetes.protobuf', 406],
  ['1.33', 'application/vnd.kubernetes.protobuf,application/json', 'application/json'],
  ['1.33', 'application/yaml', 'application/yaml'],
];

test('Accept -> Content-Type matrix of /api and /apis for 1.27, 1.30 and 1.33', () => {
  for (const path of ['/api', '/apis']) {
    for (const [server, accept, want] of MATRIX_ROWS) {
      const res = get(server, path, { accept });
      const label = `${server} ${path} Accept: ${accept}`;
      assert.equal(res.handled, true, label);
      if (want === 406) {
        assert.equal(res.code, 406, label);
        continue;
      }
      assert.equal(res.code, 200, label);
      assert.equal(res.headers['content-type'], want, label);
      if (want === 'application/yaml') {
        assert.equal(YAML.parse(res.body).kind, path === '/api' ? 'APIVersions' : 'APIGroupList', label);
        continue;
      }
      const body = res.json();
      if (want === 'application/json') {
        assert.equal(body.kind, path === '/api' ? 'APIVersions' : 'APIGroupList', label);
      } else {
        assert.equal(body.kind, 'APIGroupDiscoveryList', label);
        assert.equal(body.apiVersion, `apidiscovery.k8s.io/${want === V2 ? 'v2' : 'v2beta1'}`, label);
      }
    }
  }
});

test('406 is the real WriteRawJSON Status: indented, no newline, every serializer listed', () => {
  for (const path of ['/api', '/apis', '/apis/apps', '/api/v1', '/apis/apps/v1']) {
    const res = get('1.33', path, { accept: 'text/html' });
    assert.equal(res.code, 406, path);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['cache-control'], 'no-cache, private');
    assert.equal(res.body, [
      '{', '  "kind": "Status",', '  "apiVersion": "v1",', '  "metadata": {},', '  "status": "Failure",',
      '  "message": "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",',
      '  "reason": "NotAcceptable",', '  "code": 406', '}'].join('\n'));
  }
});

test('aggregated /api carries the core group as ConvertGroupVersionIntoToDiscovery builds it', () => {
  const res = get('1.33', '/api', { accept: KUBECTL_130_ACCEPT });
  const body = res.json();
  assert.deepEqual(Object.keys(body), ['kind', 'apiVersion', 'metadata', 'items']);
  assert.deepEqual(body.metadata, {});
  assert.equal(body.items.length, 1);
  const [core] = body.items;
  assert.deepEqual(core.metadata, { creationTimestamp: null }); // ObjectMeta with an empty name
  assert.deepEqual(core.versions.map((v) => [v.version, v.freshness]), [['v1', 'Current']]);
  const pods = core.versions[0].resources.find((r) => r.resource === 'pods');
  const kind = (k, group = '', version = '') => ({ group, version, kind: k });
  assert.deepEqual(pods, {
    resource: 'pods', responseKind: kind('Pod'), scope: 'Namespaced', singularResource: 'pod',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['po'], categories: ['all'],
    subresources: [
      { subresource: 'attach', responseKind: kind('PodAttachOptions'), verbs: ['create', 'get'] },
      { subresource: 'eviction', responseKind: kind('Eviction', 'policy', 'v1'), verbs: ['create'] },
      { subresource: 'exec', responseKind: kind('PodExecOptions'), verbs: ['create', 'get'] },
      { subresource: 'log', responseKind: kind('Pod'), verbs: ['get'] },
      { subresource: 'portforward', responseKind: kind('PodPortForwardOptions'), verbs: ['create', 'get'] },
      { subresource: 'status', responseKind: kind('Pod'), verbs: ['get', 'patch', 'update'] },
    ],
  });
  const ns = core.versions[0].resources.find((r) => r.resource === 'namespaces');
  assert.equal(ns.scope, 'Cluster');
  assert.equal(ns.categories, undefined); // omitempty
  assert.deepEqual(core.versions[0].resources.map((r) => r.resource),
    ['configmaps', 'events', 'namespaces', 'nodes', 'pods', 'secrets', 'serviceaccounts']);
});

test('aggregated /apis lists groups in priority order, versions preferred first', () => {
  const v2beta1 = get('1.27', '/apis', { accept: KUBECTL_127_ACCEPT }).json();
  assert.deepEqual(v2beta1.items.map((g) => [g.metadata.name, g.versions.map((v) => v.version)]), [
    ['apps', ['v1']], ['authentication.k8s.io', ['v1beta1']], ['authorization.k8s.io', ['v1']],
    ['rbac.authorization.k8s.io', ['v1']]]);
  const v2 = get('1.33', '/apis', { accept: KUBECTL_130_ACCEPT }).json();
  assert.deepEqual(v2.items.find((g) => g.metadata.name === 'authentication.k8s.io').versions.map((v) => v.version), ['v1']);
  const deployments = v2.items[0].versions[0].resources[0];
  assert.deepEqual(deployments.subresources, [
    { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
    { subresource: 'status', responseKind: { group: '', version: '', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
  ]);
  const ssar = v2.items[2].versions[0].resources.find((r) => r.resource === 'selfsubjectaccessreviews');
  assert.deepEqual(ssar, { resource: 'selfsubjectaccessreviews', responseKind: { group: '', version: '', kind: 'SelfSubjectAccessReview' },
    scope: 'Cluster', singularResource: 'selfsubjectaccessreview', verbs: ['create'] });
});

test('aggregated answers carry ETag, Vary and Cache-Control: public, and honour If-None-Match', () => {
  const first = get('1.33', '/apis', { accept: KUBECTL_130_ACCEPT });
  assert.match(first.headers.etag, /^"[0-9A-F]{128}"$/);
  assert.equal(first.headers.vary, 'Accept');
  assert.equal(first.headers['cache-control'], 'public');
  assert.ok(first.headers['audit-id']);
  assert.notEqual(get('1.33', '/api', { accept: KUBECTL_130_ACCEPT }).headers.etag, first.headers.etag);
  const again = get('1.33', '/apis', { accept: KUBECTL_130_ACCEPT, headers: { 'if-none-match': first.headers.etag } });
  assert.equal(again.code, 304);
  assert.equal(again.body, '');
  assert.equal(again.headers.etag, first.headers.etag);
  // A cache merges a 304's headers into its stored answer: the type must stay the aggregated one.
  assert.equal(again.headers['content-type'], V2);
  const stale = get('1.33', '/apis', { accept: KUBECTL_130_ACCEPT, headers: { 'if-none-match': '"0"' } });
  assert.equal(stale.code, 200);
  // The same document answers v2 and v2beta1 clients of a 1.30 server, so the ETag is shared.
  assert.equal(get('1.30', '/apis', { accept: V2 }).headers.etag, get('1.30', '/apis', { accept: V2BETA1 }).headers.etag);
});

test('legacy /api and /apis bodies match the real handlers byte for byte', () => {
  const api = get('1.33', '/api', { accept: 'application/json, */*' });
  assert.equal(api.body,
    '{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]}\n');
  assert.equal(api.headers['cache-control'], 'no-cache, private');
  assert.equal(api.headers.etag, undefined);
  const apis = get('1.30', '/apis', { accept: 'application/json' }).json();
  assert.deepEqual(Object.keys(apis), ['kind', 'apiVersion', 'groups']);
  assert.equal(apis.apiVersion, 'v1');
  assert.deepEqual(apis.groups[1], {
    name: 'authentication.k8s.io',
    versions: [{ groupVersion: 'authentication.k8s.io/v1', version: 'v1' },
               { groupVersion: 'authentication.k8s.io/v1beta1', version: 'v1beta1' }],
    preferredVersion: { groupVersion: 'authentication.k8s.io/v1', version: 'v1' },
  });
  assert.equal(get('1.33', '/apis/', {}).body, get('1.33', '/apis', {}).body); // one trailing slash is the same
});

test('/apis/<group> is an APIGroup; unknown groups and versions are left to the 404', () => {
  const res = get('1.33', '/apis/apps', {});
  assert.equal(res.body, '{"kind":"APIGroup","apiVersion":"v1","name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],'
    + '"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}\n');
  assert.equal(get('1.33', '/apis/apps/', {}).body, res.body);
  for (const path of ['/apis/nope', '/apis/apps/v2', '/api/v2', '/apis/apps/v1/extra', '/apis/authentication.k8s.io/v1beta1']) {
    assert.equal(get('1.33', path, {}).handled, false, path);
  }
  assert.equal(get('1.30', '/apis/authentication.k8s.io/v1beta1', {}).handled, true);
  assert.equal(get('1.33', '/api', { method: 'POST' }).handled, false);
});

test('APIResourceLists list subresources as "pods/exec" entries, in name order', () => {
  const core = get('1.33', '/api/v1', { accept: 'application/json, */*' }).json();
  assert.deepEqual(Object.keys(core), ['kind', 'groupVersion', 'resources']); // the core list has no apiVersion
  assert.equal(core.groupVersion, 'v1');
  const names = core.resources.map((r) => r.name);
  assert.deepEqual(names, [...names].sort());
  const byName = (n) => core.resources.find((r) => r.name === n);
  assert.deepEqual(byName('pods'), { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['po'],
    categories: ['all'], storageVersionHash: 'xPOwRZ+Yhw8=' });
  assert.deepEqual(byName('pods/exec'), { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
  assert.deepEqual(byName('pods/eviction'), { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy',
    version: 'v1', kind: 'Eviction', verbs: ['create'] });
  assert.deepEqual(byName('serviceaccounts/token'), { name: 'serviceaccounts/token', singularName: '', namespaced: true,
    group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
  assert.deepEqual(byName('namespaces/finalize'), { name: 'namespaces/finalize', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['update'] });
  const apps = get('1.33', '/apis/apps/v1', {}).json();
  assert.deepEqual(Object.keys(apps), ['kind', 'apiVersion', 'groupVersion', 'resources']);
  assert.equal(apps.resources.find((r) => r.name === 'deployments/scale').group, 'autoscaling');
  const reviews = get('1.33', '/apis/authorization.k8s.io/v1', {}).json();
  assert.equal(reviews.resources[0].storageVersionHash, undefined); // nothing is stored
  assert.equal(storageVersionHash('apps', 'v1', 'Deployment'), '8aSe+NMegvE=');
});

test('pretty printing: ?pretty=true through the context, pretty=1 as an Accept parameter', () => {
  const viaQuery = get('1.33', '/apis/apps?pretty=true', {});
  assert.ok(viaQuery.body.startsWith('{\n  "kind": "APIGroup",'));
  const viaAccept = get('1.33', '/apis/apps', { accept: 'application/json;pretty=1' });
  assert.equal(viaAccept.body, viaQuery.body);
  const curl = get('1.33', '/apis/apps', { headers: { 'user-agent': 'curl/8.5.0' } });
  assert.equal(curl.body, viaQuery.body);
});

test('versionInfo: real releases, Go field order, emulation fields from 1.33 only', () => {
  assert.deepEqual(versionInfo('1.27'), {
    major: '1', minor: '27', gitVersion: 'v1.27.16', gitCommit: 'cbb86e0d7f4a049666fac0551e8b02ef3d6c3d9a',
    gitTreeState: 'clean', buildDate: '2024-07-17T01:53:56Z', goVersion: 'go1.22.5', compiler: 'gc', platform: 'linux/amd64' });
  assert.equal(versionInfo('1.30').gitVersion, 'v1.30.14');
  assert.equal(versionInfo('1.30').emulationMajor, undefined);
  const v133 = versionInfo('1.33');
  assert.deepEqual(Object.keys(v133), ['major', 'minor', 'emulationMajor', 'emulationMinor', 'minCompatibilityMajor',
    'minCompatibilityMinor', 'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform']);
  assert.deepEqual([v133.emulationMinor, v133.minCompatibilityMinor, v133.gitVersion, v133.goVersion], ['33', '32', 'v1.33.5', 'go1.24.6']);
  for (const v of ['1.28', '1.29', '1.31', '1.32']) assert.match(versionInfo(v).gitVersion, new RegExp(`^v${v.replace('.', '\\.')}\\.\\d+$`));
});

// ---- end to end with real kubectl ----

// What client-go of that kubectl asks for, to predict whether discovery is aggregated.
function clientAsks(client) {
  return Number(client.split('.')[1]) >= 30 ? ['v2', 'v2beta1'] : ['v2beta1'];
}

for (const server of ['1.27', '1.30', '1.33']) {
  test(`kubectl discovers an emulated ${server} server`, async (t) => {
    const sim = await startSim({ emulatedVersion: server });
    t.after(() => sim.close());
    for (const client of MATRIX) {
      await t.test(`kubectl ${client}`, async (st) => {
        if (!kubectlPath(client)) return st.skip(`kubectl.${client} is not installed in ${KUBECTL_DIR}`);
        const before = readRequestLog(sim).length;
        const resources = await kubectl(client, sim, ['api-resources']);
        assert.equal(resources.code, 0, resources.stderr);
        assert.match(resources.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
        assert.match(resources.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
        assert.match(resources.stdout, /^selfsubjectaccessreviews\s+authorization\.k8s\.io\/v1\s+false\s+SelfSubjectAccessReview$/m);
        const paths = readRequestLog(sim).slice(before).map((r) => r.path);
        const aggregated = clientAsks(client).some((v) => aggregatedVersions(server).includes(v));
        // Aggregated discovery needs only /api and /apis; the legacy form walks every group version.
        assert.equal(paths.includes('/api/v1'), !aggregated, `requests: ${paths.join(' ')}`);
        assert.equal(paths.includes('/apis/apps/v1'), !aggregated, `requests: ${paths.join(' ')}`);
        const versions = await kubectl(client, sim, ['api-versions']);
        assert.equal(versions.code, 0, versions.stderr);
        // SelfSubjectReview: v1beta1 only on 1.27, v1 and v1beta1 on 1.30, v1 only on 1.33.
        const authn = { '1.27': ['authentication.k8s.io/v1beta1'], '1.30': ['authentication.k8s.io/v1', 'authentication.k8s.io/v1beta1'],
          '1.33': ['authentication.k8s.io/v1'] }[server];
        const expected = ['apps/v1', ...authn, 'authorization.k8s.io/v1', 'rbac.authorization.k8s.io/v1', 'v1'];
        assert.deepEqual(versions.stdout.trim().split('\n'), expected);
        const version = await kubectl(client, sim, ['version']);
        assert.equal(version.code, 0, version.stderr);
        assert.ok(version.stdout.includes(versionInfo(server).gitVersion), version.stdout);
        return undefined;
      });
    }
  });
}
