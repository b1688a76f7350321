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
});
