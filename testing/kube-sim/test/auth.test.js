'use strict';
// Authentication, impersonation and RBAC as a gateway meets them: the identity kube-sim sees decides
// what is allowed, impersonation follows kube-apiserver's rules, and every refusal is the real body.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startSim, request, readRequestLog } = require('./support/harness');

let sim;
test.before(async () => { sim = await startSim(); });
test.after(() => sim.close());

test('an unknown bearer token gets the exact 401 Status', async () => {
  const res = await request(sim, { path: '/api/v1/namespaces/default/pods', headers: { Authorization: 'Bearer nope' } });
  assert.equal(res.status, 401);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(res.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n');
  assert.ok(res.headers['audit-id']);
  assert.equal(res.headers['cache-control'], 'no-cache, private');
});

test('anonymous callers may read /version and /healthz but nothing else', async () => {
  assert.equal((await request(sim, { path: '/healthz' })).body, 'ok');
  assert.equal((await request(sim, { path: '/version' })).status, 200);
  const res = await request(sim, { path: '/api/v1/namespaces/default/pods' });
  assert.equal(res.status, 403);
  assert.equal(JSON.parse(res.body).message,
    'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"');
});

test('RBAC from the seed decides: viewer may list pods but not read secrets or delete', async () => {
  assert.equal((await request(sim, { path: '/api/v1/namespaces/production/pods', as: 'viewer' })).status, 200);
  const secret = await request(sim, { path: '/api/v1/namespaces/production/secrets/db-credentials', as: 'viewer' });
  assert.equal(secret.status, 403);
  assert.deepEqual(JSON.parse(secret.body), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: 'secrets "db-credentials" is forbidden: User "viewer" cannot get resource "secrets" in API group "" in the namespace "production"',
    reason: 'Forbidden', details: { name: 'db-credentials', kind: 'secrets' }, code: 403 });
  const del = await request(sim, { method: 'DELETE', path: '/apis/apps/v1/namespaces/production/deployments/web', as: 'viewer' });
  assert.equal(JSON.parse(del.body).message,
    'deployments.apps "web" is forbidden: User "viewer" cannot delete resource "deployments" in API group "apps" in the namespace "production"');
});

test('a non-resource path is refused with the path form of the message', async () => {
  const res = await request(sim, { path: '/logs/', as: 'viewer' });
  assert.equal(res.status, 403);
  assert.equal(JSON.parse(res.body).message, 'forbidden: User "viewer" cannot get path "/logs/"');
});

test('the gateway identity impersonates users and groups; RBAC then applies to them', async () => {
  const headers = { 'Impersonate-User': 'alice', 'Impersonate-Group': 'developers' };
  const ok = await request(sim, { path: '/api/v1/namespaces/staging/secrets', as: 'kubegate', headers });
  assert.equal(ok.status, 200);
  const denied = await request(sim, { path: '/api/v1/namespaces/production/secrets', as: 'kubegate', headers });
  assert.equal(denied.status, 403);
  assert.match(JSON.parse(denied.body).message, /User "alice" cannot list resource "secrets"/);
  const line = readRequestLog(sim).find((l) => l.auditID === ok.headers['audit-id']);
  assert.equal(line.user, 'alice');
  assert.equal(line.impersonatedBy, 'kubegate');
  assert.deepEqual(line.groups, ['developers', 'system:authenticated']);
});

test('repeated Impersonate-Group headers all count', async () => {
  const res = await request(sim, {
    method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', as: 'kubegate',
    headers: { 'Impersonate-User': 'bob', 'Impersonate-Group': ['g1', 'g2'], 'Impersonate-Extra-Scopes': 'read',
               'Content-Type': 'application/json' },
    body: '{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1"}' });
  assert.equal(res.status, 201, res.body);
  const info = JSON.parse(res.body).status.userInfo;
  assert.equal(info.username, 'bob');
  assert.deepEqual(info.groups, ['g1', 'g2', 'system:authenticated']);
  assert.deepEqual(info.extra, { scopes: ['read'] });
});

test('impersonating groups without a user is a plain-text 500, as kube-apiserver answers', async () => {
  const res = await request(sim, { path: '/api/v1/pods', as: 'kubegate', headers: { 'Impersonate-Group': 'system:masters' } });
  assert.equal(res.status, 500);
  assert.match(res.headers['content-type'], /^text\/plain/);
  assert.match(res.body, /without impersonating a user/);
});

test('an identity without the impersonate verb is refused per item', async () => {
  const res = await request(sim, { path: '/api/v1/pods', as: 'viewer', headers: { 'Impersonate-User': 'kube-admin' } });
  assert.equal(res.status, 403);
  assert.equal(JSON.parse(res.body).message,
    'users "kube-admin" is forbidden: User "viewer" cannot impersonate resource "users" in API group "" at the cluster scope');
});

test('a client certificate authenticates as CN with O as groups', async () => {
  const res = await request(sim, {
    method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', cert: 'kubegate',
    headers: { 'Content-Type': 'application/json' },
    body: '{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1"}' });
  assert.equal(res.status, 201, res.body);
  const info = JSON.parse(res.body).status.userInfo;
  assert.equal(info.username, 'kubegate');
  assert.deepEqual(info.groups, ['kubegate:gateways', 'system:authenticated']);
});

test('paths outside the API get Go\'s plain 404; unknown API resources a NotFound Status', async () => {
  const plain = await request(sim, { path: '/nope', as: 'kube-admin' });
  assert.equal(plain.status, 404);
  assert.equal(plain.body, '404 page not found\n');
  const api = await request(sim, { path: '/api/v1/namespaces/default/widgets', as: 'kube-admin' });
  assert.equal(api.status, 404);
  assert.equal(api.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}\n');
});

test('curl-like user agents and ?pretty=true get indented JSON without a trailing newline', async () => {
  const res = await request(sim, { path: '/version', headers: { 'User-Agent': 'curl/8.0' } });
  assert.match(res.body, /^\{\n  "major": "1",/);
  assert.ok(!res.body.endsWith('\n'));
  const compact = await request(sim, { path: '/version?pretty=false', headers: { 'User-Agent': 'curl/8.0' } });
  assert.ok(compact.body.endsWith('}\n'));
});
