'use strict';
// RequestInfo must agree with kube-apiserver's on every shape the wire notes list (wire §1.2);
// a mistake here would route and authorize requests differently from a real cluster.
const test = require('node:test');
const assert = require('node:assert/strict');
const { newRequestInfo, parseBool } = require('../lib/requestinfo');

function info(method, url) {
  const [p, q = ''] = url.split('?');
  return newRequestInfo(method, p, new URLSearchParams(q));
}

const CASES = [
  // method, url, isResource, verb, namespace, resource, name, subresource
  ['GET', '/api/v1/namespaces/default/pods?limit=500', true, 'list', 'default', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=true', true, 'watch', '', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=1', true, 'watch', '', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=True', true, 'watch', '', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=', true, 'watch', '', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=false', true, 'list', '', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=0', true, 'list', '', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/d/pods?fieldSelector=metadata.name%3Dx&watch=true', true, 'watch', 'd', 'pods', 'x', ''],
  ['GET', '/api/v1/watch/namespaces/d/pods/x', true, 'watch', 'd', 'pods', 'x', ''],
  ['GET', '/api/v1/namespaces/d/pods/x?watch=true', true, 'get', 'd', 'pods', 'x', ''],
  ['GET', '/apis/apps/v1/namespaces/d/deployments/x/scale', true, 'get', 'd', 'deployments', 'x', 'scale'],
  ['POST', '/api/v1/namespaces/d/pods/x/eviction', true, 'create', 'd', 'pods', 'x', 'eviction'],
  ['POST', '/api/v1/namespaces/d/pods/x/exec?command=sh', true, 'create', 'd', 'pods', 'x', 'exec'],
  ['GET', '/api/v1/namespaces/d/pods/x/exec?command=sh', true, 'get', 'd', 'pods', 'x', 'exec'],
  ['GET', '/api/v1/namespaces/d/pods/x/log?follow=true', true, 'get', 'd', 'pods', 'x', 'log'],
  ['GET', '/api/v1/namespaces/d/pods/x:8080/proxy/metrics', true, 'get', 'd', 'pods', 'x:8080', 'proxy'],
  ['GET', '/api/v1/proxy/namespaces/d/pods/x/a/b', true, 'proxy', 'd', 'pods', 'x', ''],
  ['GET', '/api/v1/namespaces/d', true, 'get', 'd', 'namespaces', 'd', ''],
  ['PUT', '/api/v1/namespaces/d/finalize', true, 'update', 'd', 'namespaces', 'd', 'finalize'],
  ['DELETE', '/api/v1/namespaces/d/configmaps', true, 'deletecollection', 'd', 'configmaps', '', ''],
  ['POST', '/api/v1/namespaces/d/serviceaccounts/sa/token', true, 'create', 'd', 'serviceaccounts', 'sa', 'token'],
  ['GET', '/api/v1/namespaces', true, 'list', '', 'namespaces', '', ''],
  ['OPTIONS', '/api/v1/pods', true, '', '', 'pods', '', ''],
  ['GET', '/apis/apps/v1', false, 'get', '', '', '', ''],
  ['GET', '/api', false, 'get', '', '', '', ''],
  ['GET', '/version', false, 'get', '', '', '', ''],
  ['POST', '/openapi/v3/api/v1', false, 'post', '', '', '', ''],
];

test('RequestInfo matches kube-apiserver for every documented request shape', () => {
  for (const [method, url, isRes, verb, ns, res, name, sub] of CASES) {
    const i = info(method, url);
    assert.deepEqual(
      { isRes: i.isResourceRequest, verb: i.verb, ns: i.namespace, res: i.resource, name: i.name, sub: i.subresource },
      { isRes, verb, ns, res, name, sub }, `${method} ${url}`);
  }
});

test('a field selector promotes the name only for an exact metadata.name match', () => {
  assert.equal(info('GET', '/api/v1/pods?fieldSelector=metadata.name%3D%3Dweb,status.phase%3DRunning').name, 'web');
  assert.equal(info('GET', '/api/v1/pods?fieldSelector=metadata.name!%3Dweb').name, '');
  assert.equal(info('GET', '/api/v1/pods?fieldSelector=metadata.name%3Da%2Fb').name, '');
});

test('malformed list options fall back to reading watch alone', () => {
  const i = info('GET', '/api/v1/pods?limit=abc&watch=true&fieldSelector=metadata.name%3Dx');
  assert.equal(i.verb, 'watch');
  assert.equal(i.name, '');
});

test('a legacy watch prefix without a resource is an error, as in kube-apiserver', () => {
  assert.match(info('GET', '/api/v1/watch').error, /unable to determine kind and namespace/);
});

test('boolean parameters follow apimachinery: only absent, 0 and false are false', () => {
  assert.equal(parseBool([]), false);
  assert.equal(parseBool(['0']), false);
  assert.equal(parseBool(['FALSE']), false);
  assert.equal(parseBool(['']), true);
  assert.equal(parseBool(['True']), true);
  assert.equal(parseBool(['no']), true);
  // strings.EqualFold folds U+017F (long s) to 's'
  assert.equal(parseBool(['fal\u017Fe']), false);
  assert.equal(parseBool(['FAL\u017FE']), false);
  assert.equal(parseBool(['falsee']), true);
});

// Where a plain reading of the query goes wrong: Go's case folding, ListOptions decode failures
// (kube-apiserver then reads watch alone, with strings.ToLower, and drops the field selector) and
// fields.ParseSelector's escapes and untrimmed terms.
const LIST_OPTION_CASES = [
  // query, verb, name
  ['watch=fal%C5%BFe&timeoutSeconds=1', 'list', ''],
  ['watch=fal%C5%BFe&limit=x', 'watch', ''],
  ['watch=FALSE&limit=x', 'list', ''],
  ['limit=&fieldSelector=metadata.name%3Dx', 'list', ''],
  ['timeoutSeconds=&fieldSelector=metadata.name%3Dx', 'list', ''],
  ['limit=9223372036854775808&fieldSelector=metadata.name%3Dx', 'list', ''],
  ['limit=9223372036854775807&fieldSelector=metadata.name%3Dx', 'list', 'x'],
  ['limit=-9223372036854775808&fieldSelector=metadata.name%3Dx', 'list', 'x'],
  ['limit=%2B5&fieldSelector=metadata.name%3Dx', 'list', 'x'],
  ['labelSelector=a+b&fieldSelector=metadata.name%3Dx', 'list', ''],
  ['labelSelector=a(&fieldSelector=metadata.name%3Dx', 'list', ''],
  ['labelSelector=a%3Ex&fieldSelector=metadata.name%3Dx', 'list', ''],
  ['labelSelector=-a&fieldSelector=metadata.name%3Dx', 'list', ''],
  ['labelSelector=a+in+(x,y),!b,example.com/c%3D%3Dd,e!%3D,f%3E5&fieldSelector=metadata.name%3Dx', 'list', 'x'],
  ['labelSelector=a+notin+()&fieldSelector=metadata.name%3Dx', 'list', 'x'],
  ['fieldSelector=metadata.name%3Dname1%2Cfoo', 'list', ''],
  ['fieldSelector=metadata.name%3Dname1%2Cfoo&watch=true', 'watch', ''],
  ['fieldSelector=metadata.name%3Da%5C%2Cb', 'list', 'a,b'],
  ['fieldSelector=metadata.name%3Da%5C%3Db%5C%5C', 'list', 'a=b\\'],
  ['fieldSelector=metadata.name%3Da%5Cb', 'list', ''],
  ['fieldSelector=metadata.name%3Da%5C', 'list', ''],
  ['fieldSelector=metadata.name+%3Dx', 'list', ''],
  ['fieldSelector=metadata.name%3D+x', 'list', ' x'],
  ['fieldSelector=metadata.name%3Dz,metadata.name%3Da', 'list', 'a'],
];

test('ListOptions decoding and field selectors read the query as kube-apiserver does', () => {
  for (const [query, verb, name] of LIST_OPTION_CASES) {
    const i = info('GET', `/api/v1/pods?${query}`);
    assert.deepEqual({ verb: i.verb, name: i.name }, { verb, name }, query);
  }
});

// The golden classification cases the gateway is held to (tests/k8s/classifier-cases.yaml):
// kube-sim stands in for kube-apiserver, so its RequestInfo must agree on every one of them.
test('RequestInfo agrees with every golden classification case', () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const YAML = require('yaml');
  const file = path.join(__dirname, '..', '..', '..', 'tests', 'k8s', 'classifier-cases.yaml');
  let checked = 0;
  for (const c of YAML.parse(fs.readFileSync(file, 'utf8')).cases) {
    const e = c.expect || (c.classifier && !c.classifier.error ? c.classifier : null);
    if (!e) continue; // refused before classification, with no RequestInfo to compare
    const i = newRequestInfo(c.method, c.path, new URLSearchParams(c.query || ''));
    const got = { isResource: i.isResourceRequest, group: i.apiGroup, version: i.apiVersion, namespace: i.namespace,
      resource: i.resource, subresource: i.subresource, name: i.name };
    const want = { isResource: Boolean(e.isResource), group: e.group || '', version: e.version || '', namespace: e.namespace || '',
      resource: e.resource || '', subresource: e.subresource || '', name: e.name || '' };
    if (want.isResource) [got.verb, want.verb] = [i.verb, e.verb];
    if (e.apiPrefix !== undefined) [got.apiPrefix, want.apiPrefix] = [i.apiPrefix, e.apiPrefix];
    if (e.parts !== undefined) [got.parts, want.parts] = [i.parts, e.parts];
    assert.deepEqual(got, want, `${c.id}: ${c.method} ${c.path}${c.query !== undefined ? `?${c.query}` : ''}`);
    checked++;
  }
  assert.ok(checked > 200, `only ${checked} cases checked`);
});
