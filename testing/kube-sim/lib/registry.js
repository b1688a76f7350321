'use strict';
// The resource types kube-sim serves. One entry per resource; discovery, OpenAPI, routing,
// tables and the store all read from here, so adding a kind is one edit.

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CREATE_ONLY = ['create'];
const GET_PATCH_UPDATE = ['get', 'patch', 'update'];

function rt(def) {
  const groupVersion = def.group ? `${def.group}/${def.version}` : def.version;
  return {
    verbs: ALL_VERBS,
    shortNames: [],
    categories: [],
    subresources: {},
    namespaced: true,
    ...def,
    groupVersion,
    listKind: `${def.kind}List`,
  };
}

// Subresource descriptors: kind is the responseKind, verbs as discovery lists them.
const status = (group, version, kind) => ({ group, version, kind, verbs: GET_PATCH_UPDATE });

const RESOURCE_TYPES = [
  rt({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', singular: 'namespace',
       namespaced: false, shortNames: ['ns'],
       verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
       subresources: { status: status('', 'v1', 'Namespace'),
                       finalize: { group: '', version: 'v1', kind: 'Namespace', verbs: ['update'] } } }),
  rt({ group: '', version: 'v1', resource: 'pods', kind: 'Pod', singular: 'pod',
       shortNames: ['po'], categories: ['all'],
       subresources: {
         status: status('', 'v1', 'Pod'),
         log: { group: '', version: 'v1', kind: 'Pod', verbs: ['get'] },
         exec: { group: '', version: 'v1', kind: 'PodExecOptions', verbs: ['create', 'get'] },
         attach: { group: '', version: 'v1', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
         portforward: { group: '', version: 'v1', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
         eviction: { group: 'policy', version: 'v1', kind: 'Eviction', verbs: CREATE_ONLY },
       },
       // DELETE answers with the object (graceful deletion), not a Status; OpenAPI says so too.
       deleteReturnsObject: true }),
  rt({ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', singular: 'secret' }),
  rt({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap',
       shortNames: ['cm'] }),
  rt({ group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount',
       singular: 'serviceaccount', shortNames: ['sa'],
       subresources: { token: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest',
                                verbs: CREATE_ONLY } },
       deleteReturnsObject: true }),
  rt({ group: '', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', shortNames: ['ev'] }),
  rt({ group: '', version: 'v1', resource: 'nodes', kind: 'Node', singular: 'node', namespaced: false,
       shortNames: ['no'], subresources: { status: status('', 'v1', 'Node') } }),
  rt({ group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment',
       shortNames: ['deploy'], categories: ['all'],
       subresources: { status: status('apps', 'v1', 'Deployment'),
                       scale: { group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: GET_PATCH_UPDATE } } }),
  rt({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', singular: 'role' }),
  rt({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding',
       singular: 'rolebinding' }),
  rt({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole',
       singular: 'clusterrole', namespaced: false }),
  rt({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings',
       kind: 'ClusterRoleBinding', singular: 'clusterrolebinding', namespaced: false }),
  // Virtual, create-only review resources: nothing is stored.
  rt({ group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews',
       kind: 'SelfSubjectAccessReview', singular: 'selfsubjectaccessreview', namespaced: false,
       verbs: CREATE_ONLY, virtual: true }),
  rt({ group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews',
       kind: 'SelfSubjectRulesReview', singular: 'selfsubjectrulesreview', namespaced: false,
       verbs: CREATE_ONLY, virtual: true }),
  // SelfSubjectReview went GA in 1.28.
  rt({ group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews',
       kind: 'SelfSubjectReview', singular: 'selfsubjectreview', namespaced: false,
       verbs: CREATE_ONLY, virtual: true, minEmulated: '1.28' }),
  // kubectl 1.27's `auth whoami` asks v1beta1 first; 1.27 servers still served it.
  rt({ group: 'authentication.k8s.io', version: 'v1beta1', resource: 'selfsubjectreviews',
       kind: 'SelfSubjectReview', singular: 'selfsubjectreview', namespaced: false,
       verbs: CREATE_ONLY, virtual: true, maxEmulated: '1.32' }),
];

// Groups in the order kube-apiserver lists them (legacy core first, then by priority).
const GROUP_ORDER = ['', 'apps', 'authentication.k8s.io', 'authorization.k8s.io', 'rbac.authorization.k8s.io'];

function versionAtMost(emulated, max) {
  if (!max) return true;
  const [a, b] = emulated.split('.').map(Number);
  const [c, d] = max.split('.').map(Number);
  return a < c || (a === c && b <= d);
}

class Registry {
  constructor(emulatedVersion) {
    this.emulatedVersion = emulatedVersion;
    this.types = RESOURCE_TYPES.filter((t) => versionAtMost(emulatedVersion, t.maxEmulated) &&
      (!t.minEmulated || versionAtMost(t.minEmulated, emulatedVersion)));
  }

  // Finds the type served at group/version/resource, or undefined.
  lookup(group, version, resource) {
    return this.types.find((t) => t.group === group && t.version === version && t.resource === resource);
  }

  byKind(group, kind) {
    return this.types.find((t) => t.group === group && t.kind === kind);
  }

  // [{group, versions: [version...]}] in serving order; the first version is preferred.
  groups() {
    const out = [];
    for (const name of GROUP_ORDER) {
      const versions = [...new Set(this.types.filter((t) => t.group === name).map((t) => t.version))];
      if (versions.length) out.push({ group: name, versions });
    }
    return out;
  }

  typesIn(group, version) {
    return this.types.filter((t) => t.group === group && t.version === version);
  }
}

module.exports = { Registry, RESOURCE_TYPES, versionAtMost };

// apps/v1 ReplicaSets: the deployment controller's unit of rollout (lib/resources/replicasets.js).
// Pushed onto the table above before any Registry is built; typesIn() keeps table order, so they
// follow deployments in apps/v1 as in kube-apiserver's alphabetical route order.
RESOURCE_TYPES.push(
  rt({ group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', singular: 'replicaset',
       shortNames: ['rs'], categories: ['all'],
       subresources: { status: status('apps', 'v1', 'ReplicaSet'),
                       scale: { group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: GET_PATCH_UPDATE } } }),
);
