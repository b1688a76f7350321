'use strict';
// An RBAC authorizer over the Roles, ClusterRoles and bindings in the store, with the bootstrap
// policy a fresh cluster has. Tests use it to show that the upstream identity, not the caller's
// wishes, decides what a request may do. system:masters is all-powerful, as in kube-apiserver.

const MASTERS = 'system:masters';

function ruleMatchesResource(rule, attrs) {
  if (!matches(rule.verbs, attrs.verb)) return false;
  if (!matches(rule.apiGroups, attrs.apiGroup)) return false;
  const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const resources = rule.resources || [];
  const resourceOk = resources.some((r) => r === '*' || r === combined ||
    (attrs.subresource && (r === `${attrs.resource}/*` || r === `*/${attrs.subresource}`)));
  if (!resourceOk) return false;
  const names = rule.resourceNames || [];
  return names.length === 0 || names.includes(attrs.name);
}

function ruleMatchesPath(rule, attrs) {
  if (!matches(rule.verbs, attrs.verb)) return false;
  return (rule.nonResourceURLs || []).some((u) => u === '*' || u === attrs.path ||
    (u.endsWith('*') && attrs.path.startsWith(u.slice(0, -1))));
}

function matches(list, value) {
  return (list || []).some((v) => v === '*' || v === value);
}

function subjectMatches(subject, user, bindingNamespace) {
  switch (subject.kind) {
    case 'User': return subject.name === user.username;
    case 'Group': return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return user.username === `system:serviceaccount:${ns}:${subject.name}`;
    }
    default: return false;
  }
}

class RbacAuthorizer {
  constructor(store, registry) {
    this.store = store;
    this.types = {
      roles: registry.lookup('rbac.authorization.k8s.io', 'v1', 'roles'),
      rolebindings: registry.lookup('rbac.authorization.k8s.io', 'v1', 'rolebindings'),
      clusterroles: registry.lookup('rbac.authorization.k8s.io', 'v1', 'clusterroles'),
      clusterrolebindings: registry.lookup('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings'),
    };
  }

  // The rules that apply to the user in a namespace ('' = cluster-wide bindings only).
  rules(user, namespace) {
    const out = [];
    for (const b of this.store.list(this.types.clusterrolebindings, '').items) {
      if ((b.subjects || []).some((s) => subjectMatches(s, user, ''))) out.push(...this.roleRules(b.roleRef, ''));
    }
    if (namespace) {
      for (const b of this.store.list(this.types.rolebindings, namespace).items) {
        if ((b.subjects || []).some((s) => subjectMatches(s, user, namespace))) {
          out.push(...this.roleRules(b.roleRef, namespace));
        }
      }
    }
    return out;
  }

  roleRules(ref, namespace) {
    if (!ref) return [];
    const role = ref.kind === 'ClusterRole'
      ? this.store.get(this.types.clusterroles, '', ref.name)
      : this.store.get(this.types.roles, namespace, ref.name);
    return role ? role.rules || [] : [];
  }

  // attrs: {isResourceRequest, verb, apiGroup, resource, subresource, namespace, name, path}.
  authorize(user, attrs) {
    if (user.groups.includes(MASTERS)) return { allowed: true, reason: '' };
    const rules = this.rules(user, attrs.isResourceRequest ? attrs.namespace : '');
    const ok = rules.some((r) => (attrs.isResourceRequest ? ruleMatchesResource(r, attrs) : ruleMatchesPath(r, attrs)));
    return { allowed: ok, reason: '' };
  }

  // SelfSubjectRulesReview's answer.
  rulesFor(user, namespace) {
    if (user.groups.includes(MASTERS)) {
      return { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
               nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] };
    }
    const rules = this.rules(user, namespace);
    const resourceRules = rules.filter((r) => r.resources).map(({ verbs, apiGroups, resources, resourceNames }) =>
      ({ verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}) }));
    const nonResourceRules = rules.filter((r) => r.nonResourceURLs).map(({ verbs, nonResourceURLs }) => ({ verbs, nonResourceURLs }));
    return { resourceRules, nonResourceRules };
  }
}

const rbacMeta = (name) => ({ name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } });

function clusterRole(name, rules) {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: rbacMeta(name), rules };
}

function clusterRoleBinding(name, role, groups) {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: rbacMeta(name),
           roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
           subjects: groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })) };
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

// The subset of kube-apiserver's bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy)
// that a client talking to a fresh cluster notices.
function bootstrapPolicy() {
  const reviews = { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] };
  const whoami = { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] };
  const coreWorkloads = ['pods', 'pods/log', 'pods/status', 'configmaps', 'events', 'serviceaccounts', 'namespaces', 'namespaces/status'];
  return [
    clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]),
    clusterRole('system:discovery', [{ nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez',
      '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], verbs: ['get'] }]),
    clusterRole('system:public-info-viewer', [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] }]),
    clusterRole('system:basic-user', [reviews, whoami]),
    clusterRole('view', [
      { apiGroups: [''], resources: coreWorkloads, verbs: READ },
      { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale', 'deployments/status', 'replicasets',
        'replicasets/scale', 'replicasets/status'], verbs: READ },
    ]),
    clusterRole('edit', [
      { apiGroups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], verbs: ['get', 'list', 'watch', 'create'] },
      { apiGroups: [''], resources: [...coreWorkloads, 'secrets', 'serviceaccounts/token'], verbs: [...READ, ...WRITE] },
      { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale', 'replicasets', 'replicasets/scale'], verbs: [...READ, ...WRITE] },
    ]),
    clusterRole('admin', [
      { apiGroups: [''], resources: ['*'], verbs: ['*'] },
      { apiGroups: ['apps'], resources: ['*'], verbs: ['*'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['*'] },
    ]),
    clusterRoleBinding('cluster-admin', 'cluster-admin', [MASTERS]),
    clusterRoleBinding('system:discovery', 'system:discovery', ['system:authenticated']),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
    clusterRoleBinding('system:basic-user', 'system:basic-user', ['system:authenticated']),
  ];
}

module.exports = { RbacAuthorizer, bootstrapPolicy };
