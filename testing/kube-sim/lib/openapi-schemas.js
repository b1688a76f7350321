'use strict';
// Compact descriptions of the types kube-sim serves, from which lib/openapi.js generates the
// OpenAPI v3 components (and the v2 definitions). Written for kube-sim: enough for `kubectl explain`
// to print useful text and for kubectl's OpenAPI-driven strategic-merge-patch calculation to find
// every field a normal manifest uses (an unknown nested field makes kubectl warn and fall back).
//
// Types:   { Name: [description, { field: 'TYPE TAGS|description' }, { req: [...], atomic: true }] }
// TYPE:    string boolean int32 int64 double byte object (opaque) | Name (same package first, else
//          the one package defining it) | []TYPE | map[TYPE] (string keys)
// TAGS:    @merge:key     x-kubernetes-patch-merge-key key, patch strategy merge
//          @strategy:s    x-kubernetes-patch-strategy s (e.g. merge, retainKeys, merge,retainKeys)
//          @map:k1,k2     x-kubernetes-list-type map with those keys    @set / @atomic  list types
//          @since:1.31    the field exists from that minor on

const API_VERSION = 'string|The versioned schema of this representation of an object; servers convert recognised schemas to their latest internal value.';
const KIND = 'string|The REST resource this object represents, in CamelCase. Servers may infer it from the endpoint the client submits to. Cannot be updated.';
const META = 'ObjectMeta|Standard object metadata: name, namespace, labels, annotations and the fields the server sets.';
const LIST_META = 'ListMeta|Standard list metadata: resourceVersion and continue token.';

// A top-level kind: apiVersion, kind and metadata around its own fields.
function kind(description, fields, opts) {
  return [description, { apiVersion: API_VERSION, kind: KIND, metadata: META, ...fields }, opts];
}

function list(itemType, what) {
  return [`A list of ${what}.`, { apiVersion: API_VERSION, items: `[]${itemType}|The ${what}.`, kind: KIND,
    metadata: LIST_META }, { req: ['items'] }];
}

const QUANTITY_DESC = 'A fixed-point decimal quantity: a number with an optional SI (k, M, G, m) or binary (Ki, Mi, Gi) suffix, such as "500m", "1.5" or "128Mi".';

// Types with a JSON form of their own, given as finished schemas under their full names.
const special = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { description: QUANTITY_DESC, oneOf: [{ type: 'string' }, { type: 'number' }] },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { description: 'Holds either an int32 or a string; the JSON value is the inner value itself.', format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { description: 'A timestamp, serialised in RFC 3339 form with second precision.', format: 'date-time', type: 'string' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { description: 'A timestamp with microsecond precision, in RFC 3339 form.', format: 'date-time', type: 'string' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': { description: 'A set of fields as a JSON trie: keys are "f:<field>", "k:<list item keys>", "v:<value>" or "i:<index>", "." marks the field itself.', type: 'object' },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { description: 'An embedded object in its own serialised form, with its own apiVersion and kind.', type: 'object' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': { description: 'The body of a PATCH request; its format follows the request Content-Type.', type: 'object' },
};

const meta = {
  ObjectMeta: ['Metadata every persisted object carries.', {
    name: 'string|Unique name within the namespace (or the cluster, for cluster-scoped kinds). Cannot be updated.',
    generateName: 'string|Prefix from which the server makes a unique name when name is empty.',
    namespace: 'string|Namespace the object lives in; empty for cluster-scoped objects. Cannot be updated.',
    selfLink: 'string|Deprecated and always empty.',
    uid: 'string|Unique id the server assigns at creation, unique in time and space. Read-only.',
    resourceVersion: 'string|Opaque version of the object, changed on every write; used for optimistic concurrency and watches. Read-only.',
    generation: 'int64|Sequence number of the desired state, increased on every spec change. Read-only.',
    creationTimestamp: 'Time|When the server created the object. Read-only.',
    deletionTimestamp: 'Time|When the object will be deleted; set by the server once a graceful delete is requested. Read-only.',
    deletionGracePeriodSeconds: 'int64|Seconds the object has left to terminate gracefully once deletionTimestamp is set. Read-only.',
    labels: 'map[string]|Key/value pairs used to organise and select objects.',
    annotations: 'map[string]|Unstructured key/value data for tools; not used for selection.',
    ownerReferences: '[]OwnerReference @merge:uid @map:uid|Objects this one depends on; when all of them are deleted it is garbage collected.',
    finalizers: '[]string @strategy:merge @set|Entries that must be removed before the object is deleted from storage.',
    managedFields: '[]ManagedFieldsEntry @atomic|Which field manager owns which fields, as tracked by server-side apply.',
  }],
  ListMeta: ['Metadata of list responses.', {
    selfLink: 'string|Deprecated and always empty.',
    resourceVersion: 'string|Version of the collection the list was read at; start a watch from it.',
    continue: 'string|Token for the next page when the list was limited; empty on the last page.',
    remainingItemCount: 'int64|Number of items after this page, when the server can tell.',
  }],
  OwnerReference: ['Identifies an owning object, which must be in the same namespace (or cluster-scoped).', {
    apiVersion: 'string|API version of the owner.', kind: 'string|Kind of the owner.', name: 'string|Name of the owner.',
    uid: 'string|UID of the owner.', controller: 'boolean|Whether the owner is the managing controller.',
    blockOwnerDeletion: 'boolean|When true, the owner cannot be deleted in the foreground until this object is gone.',
  }, { req: ['apiVersion', 'kind', 'name', 'uid'], atomic: true }],
  ManagedFieldsEntry: ['The fields one field manager owns, and how it last wrote them.', {
    manager: 'string|Name of the field manager.', operation: 'string|Apply or Update.',
    apiVersion: 'string|API version the fields were written in.', time: 'Time|When the manager last changed a field it owns.',
    fieldsType: 'string|Format of the fields entry; always FieldsV1.', fieldsV1: 'FieldsV1|The owned fields.',
    subresource: 'string|Subresource the fields were written through, if any.',
  }],
  LabelSelector: ['A label query; the results of matchLabels and matchExpressions are ANDed. An empty selector matches everything.', {
    matchLabels: 'map[string]|Labels that must match exactly.',
    matchExpressions: '[]LabelSelectorRequirement @atomic|Set-based requirements.',
  }, { atomic: true }],
  LabelSelectorRequirement: ['A selector requirement on one label key.', {
    key: 'string @merge:key|The label key.', operator: 'string|In, NotIn, Exists or DoesNotExist.',
    values: '[]string @atomic|Values for In and NotIn; must be empty for Exists and DoesNotExist.',
  }, { req: ['key', 'operator'] }],
  FieldSelectorRequirement: ['A selector requirement on one field.', {
    key: 'string|The field path.', operator: 'string|In, NotIn, Exists or DoesNotExist.',
    values: '[]string @atomic|Values for In and NotIn.',
  }, { req: ['key', 'operator'] }],
  Status: ['The result of an operation that returns no object, and the body of every error.', {
    apiVersion: API_VERSION, kind: KIND, metadata: LIST_META,
    status: 'string|Success or Failure.', message: 'string|Human-readable description of the outcome.',
    reason: 'string|Machine-readable reason for a failure, such as NotFound or AlreadyExists.',
    details: 'StatusDetails|Extra data for the reason.', code: 'int32|HTTP status code of the response.',
  }],
  StatusDetails: ['Extra data about a Status, depending on its reason.', {
    name: 'string|Name of the object concerned.', group: 'string|API group of the object concerned.',
    kind: 'string|Kind (or resource) of the object concerned.', uid: 'string|UID of the object concerned.',
    causes: '[]StatusCause @atomic|The individual problems, such as invalid fields.',
    retryAfterSeconds: 'int32|Seconds the client should wait before retrying.',
  }],
  StatusCause: ['One cause of an error.', {
    reason: 'string|Machine-readable cause, such as FieldValueInvalid.', message: 'string|Human-readable cause.',
    field: 'string|Path of the field concerned, such as "spec.containers[0].image".',
  }],
  DeleteOptions: ['Options for a delete request.', {
    apiVersion: API_VERSION, kind: KIND,
    gracePeriodSeconds: 'int64|Seconds to wait before deleting; 0 deletes at once, unset uses the default for the kind.',
    preconditions: 'Preconditions|Conditions that must hold for the delete to go ahead.',
    orphanDependents: 'boolean|Deprecated: use propagationPolicy.',
    propagationPolicy: 'string|Garbage collection of dependents: Orphan, Background or Foreground.',
    dryRun: '[]string @atomic|"All" runs every stage without persisting anything.',
    ignoreStoreReadErrorWithClusterBreakingPotential: 'boolean @since:1.32|Deletes an object that cannot be read from storage; dangerous.',
  }],
  Preconditions: ['Conditions checked before an operation.', {
    uid: 'string|The object must have this UID.', resourceVersion: 'string|The object must be at this resourceVersion.',
  }],
  WatchEvent: ['One event of a watch stream.', {
    type: 'string|ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.',
    object: 'RawExtension|The object after the change; the last state before a delete; a Status for ERROR.',
  }, { req: ['type', 'object'] }],
  APIResource: ['One resource served in a group version.', {
    name: 'string|Plural resource name, with "/subresource" for subresources.', singularName: 'string|Singular name.',
    namespaced: 'boolean|Whether the resource is namespaced.', group: 'string|Group of the kind, when it differs.',
    version: 'string|Version of the kind, when it differs.', kind: 'string|Kind of the objects served.',
    verbs: '[]string|Verbs the resource supports.', shortNames: '[]string|Short aliases.',
    categories: '[]string|Groups of resources it belongs to, such as "all".',
    storageVersionHash: 'string|Hash of the storage version, for change detection.',
  }, { req: ['name', 'singularName', 'namespaced', 'kind', 'verbs'] }],
  APIResourceList: ['The resources served in one group version.', {
    apiVersion: API_VERSION, groupVersion: 'string|The group version.', kind: KIND,
    resources: '[]APIResource @atomic|The resources.',
  }, { req: ['groupVersion', 'resources'] }],
  GroupVersionForDiscovery: ['A group version, as discovery lists it.', {
    groupVersion: 'string|"group/version".', version: 'string|The version alone.',
  }, { req: ['groupVersion', 'version'] }],
  ServerAddressByClientCIDR: ['The server address to use for clients in a CIDR.', {
    clientCIDR: 'string|The client network.', serverAddress: 'string|Host and port of the server.',
  }, { req: ['clientCIDR', 'serverAddress'] }],
  APIGroup: ['An API group and its versions.', {
    apiVersion: API_VERSION, kind: KIND, name: 'string|Group name.',
    versions: '[]GroupVersionForDiscovery @atomic|Versions served.',
    preferredVersion: 'GroupVersionForDiscovery|The version clients should use.',
    serverAddressByClientCIDRs: '[]ServerAddressByClientCIDR @atomic|Addresses by client network.',
  }, { req: ['name', 'versions'] }],
  APIGroupList: ['The API groups served.', {
    apiVersion: API_VERSION, groups: '[]APIGroup @atomic|The groups.', kind: KIND,
  }, { req: ['groups'] }],
  APIVersions: ['The versions of the legacy core API.', {
    apiVersion: API_VERSION, kind: KIND, versions: '[]string @atomic|Versions served.',
    serverAddressByClientCIDRs: '[]ServerAddressByClientCIDR @atomic|Addresses by client network.',
  }, { req: ['versions', 'serverAddressByClientCIDRs'] }],
};

const version = {
  Info: ['Version of the API server binary.', {
    major: 'string|Major version.', minor: 'string|Minor version.',
    emulationMajor: 'string @since:1.33|Major version emulated.', emulationMinor: 'string @since:1.33|Minor version emulated.',
    minCompatibilityMajor: 'string @since:1.33|Major of the oldest compatible version.',
    minCompatibilityMinor: 'string @since:1.33|Minor of the oldest compatible version.',
    gitVersion: 'string|Release tag.', gitCommit: 'string|Source commit.', gitTreeState: 'string|clean or dirty.',
    buildDate: 'string|Build time.', goVersion: 'string|Go version used.', compiler: 'string|Go compiler.',
    platform: 'string|OS/architecture.',
  }, { req: ['major', 'minor', 'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform'] }],
};


const NAME_REF = 'string|Name of the referent.';
const OPTIONAL = (what) => `boolean|Whether the ${what} may be missing.`;
const MODE = 'int32|File mode bits (octal 0000-0777 or decimal 0-511) for the files created; defaults to 0644.';
const PROBE = 'Probe|Periodic check of the container; see Probe.';
const INT_OR_PORT = 'IntOrString|Port number (1-65535) or name of the container port.';

const CONTAINER_FIELDS = {
  name: 'string|Name of the container, a DNS label unique within the pod. Cannot be updated.',
  image: 'string|Container image name. kube-sim does not pull images; the simulated runtime starts at once.',
  command: '[]string @atomic|Entrypoint, run without a shell; replaces the image ENTRYPOINT. $(VAR) references are expanded.',
  args: '[]string @atomic|Arguments to the entrypoint; replace the image CMD. $(VAR) references are expanded.',
  workingDir: 'string|Working directory; defaults to the image default.',
  ports: '[]ContainerPort @merge:containerPort @map:containerPort,protocol|Ports the container exposes; informational.',
  envFrom: '[]EnvFromSource @atomic|Sources of environment variables (ConfigMaps, Secrets); env entries take precedence.',
  env: '[]EnvVar @merge:name @map:name|Environment variables to set in the container.',
  resources: 'ResourceRequirements|Compute resources the container requests and is limited to.',
  resizePolicy: '[]ContainerResizePolicy @atomic|How each resource may be resized in place.',
  restartPolicy: 'string @since:1.28|Only "Always", for init containers that run as sidecars.',
  volumeMounts: '[]VolumeMount @merge:mountPath @map:mountPath|Pod volumes to mount into the file system.',
  volumeDevices: '[]VolumeDevice @merge:devicePath @map:devicePath|Block devices the container uses.',
  livenessProbe: 'Probe|Restarts the container when it fails.',
  readinessProbe: 'Probe|Takes the container out of service endpoints when it fails.',
  startupProbe: 'Probe|Holds the other probes back until it succeeds once.',
  lifecycle: 'Lifecycle|Actions the kubelet takes after start and before stop.',
  terminationMessagePath: 'string|File whose contents become the termination message; defaults to /dev/termination-log.',
  terminationMessagePolicy: 'string|File, or FallbackToLogsOnError to use the log tail when the file is empty.',
  imagePullPolicy: 'string|Always, Never or IfNotPresent; defaults to Always for :latest, IfNotPresent otherwise.',
  securityContext: 'SecurityContext|Security options for this container, overriding the pod-level ones.',
  stdin: 'boolean|Allocate a stdin buffer for the container; without it reads get EOF.',
  stdinOnce: 'boolean|Close stdin after the first attached client disconnects.',
  tty: 'boolean|Allocate a TTY for the container; needs stdin.',
};

const core = {
  Pod: kind('A pod: one or more containers scheduled together onto a node, sharing network and volumes. kube-sim runs them in a simulated runtime that makes every pod Running at once.', {
    spec: 'PodSpec|Desired behaviour of the pod.',
    status: 'PodStatus|Most recently observed state of the pod. Read-only.',
  }),
  PodList: list('Pod', 'pods'),
  PodTemplateSpec: ['Describes the pods a controller creates.', { metadata: META, spec: 'PodSpec|Desired behaviour of the pods.' }],
  PodSpec: ['Desired behaviour of a pod.', {
    volumes: '[]Volume @merge:name @strategy:merge,retainKeys @map:name|Volumes the containers can mount.',
    initContainers: '[]Container @merge:name @map:name|Containers run to completion, in order, before the app containers start.',
    containers: '[]Container @merge:name @map:name|The containers of the pod; at least one. Cannot be added or removed.',
    ephemeralContainers: '[]EphemeralContainer @merge:name @map:name|Debugging containers added to a running pod.',
    restartPolicy: 'string|Restart policy for all containers in the pod: Always, OnFailure or Never. Defaults to Always.',
    terminationGracePeriodSeconds: 'int64|Seconds between the termination signal and the kill on deletion; defaults to 30.',
    activeDeadlineSeconds: 'int64|Seconds after start after which the pod is failed and its containers killed.',
    dnsPolicy: 'string|ClusterFirst (default), ClusterFirstWithHostNet, Default or None.',
    nodeSelector: 'map[string] @atomic|Labels a node must have for the pod to be scheduled onto it.',
    serviceAccountName: 'string|Service account the pod runs as.',
    serviceAccount: 'string|Deprecated alias of serviceAccountName.',
    automountServiceAccountToken: 'boolean|Whether a service account token is mounted automatically.',
    nodeName: 'string|Node the pod is bound to; set by the scheduler, or by the client to skip scheduling.',
    hostNetwork: 'boolean|Use the node network namespace.', hostPID: 'boolean|Use the node PID namespace.',
    hostIPC: 'boolean|Use the node IPC namespace.', shareProcessNamespace: 'boolean|Share one process namespace among all containers.',
    securityContext: 'PodSecurityContext|Pod-level security attributes and container defaults.',
    imagePullSecrets: '[]LocalObjectReference @merge:name @map:name|Secrets in the namespace used to pull images.',
    hostname: 'string|Host name of the pod; defaults to the pod name.',
    subdomain: 'string|Makes the FQDN <hostname>.<subdomain>.<namespace>.svc.<cluster domain>.',
    affinity: 'Affinity|Scheduling constraints relative to nodes and other pods.',
    schedulerName: 'string|Scheduler that places the pod; defaults to the default scheduler.',
    tolerations: '[]Toleration @atomic|Taints the pod tolerates.',
    hostAliases: '[]HostAlias @merge:ip @map:ip|Extra /etc/hosts entries.',
    priorityClassName: 'string|PriorityClass that sets the pod priority.',
    priority: 'int32|Priority value, filled in from priorityClassName by admission.',
    dnsConfig: 'PodDNSConfig|DNS settings merged with those from dnsPolicy.',
    readinessGates: '[]PodReadinessGate @atomic|Extra conditions that must be true for the pod to be ready.',
    runtimeClassName: 'string|RuntimeClass used to run the pod.',
    enableServiceLinks: 'boolean|Inject service information as environment variables; defaults to true.',
    preemptionPolicy: 'string|Never or PreemptLowerPriority (default).',
    overhead: 'map[Quantity]|Resources the pod sandbox uses on top of its containers; set by admission.',
    topologySpreadConstraints: '[]TopologySpreadConstraint @merge:topologyKey @map:topologyKey,whenUnsatisfiable|How to spread matching pods across topology domains.',
    setHostnameAsFQDN: 'boolean|Set the pod FQDN as its kernel host name.',
    os: 'PodOS|Operating system the pod needs.',
    hostUsers: 'boolean|Use the host user namespace; false creates a user namespace for the pod.',
    schedulingGates: '[]PodSchedulingGate @merge:name @map:name|Gates that keep the pod from being scheduled while present.',
    resourceClaims: '[]object @merge:name @strategy:merge,retainKeys @map:name|Dynamic resource claims the pod uses.',
    resources: 'ResourceRequirements @since:1.32|Resources for the pod as a whole.',
  }, { req: ['containers'] }],
  Container: ['A container to run in a pod.', CONTAINER_FIELDS, { req: ['name'] }],
  EphemeralContainer: ['A debugging container added to a running pod; has no ports, probes or resources.', {
    ...CONTAINER_FIELDS,
    targetContainerName: 'string|Container whose namespaces (IPC, PID) this one joins.',
  }, { req: ['name'] }],
  ContainerPort: ['A network port of a container.', {
    name: 'string|IANA service name of the port, unique within the pod.', hostPort: 'int32|Port to expose on the node.',
    containerPort: 'int32|Port number on the pod IP.', protocol: 'string|TCP (default), UDP or SCTP.',
    hostIP: 'string|Node IP to bind hostPort to.',
  }, { req: ['containerPort'] }],
  EnvVar: ['An environment variable.', {
    name: 'string|Variable name.', value: 'string|Value; $(VAR) references to earlier variables are expanded.',
    valueFrom: 'EnvVarSource|Source of the value when value is empty.',
  }, { req: ['name'] }],
  EnvVarSource: ['Where an environment variable value comes from.', {
    fieldRef: 'ObjectFieldSelector|A field of the pod, such as metadata.name or status.podIP.',
    resourceFieldRef: 'ResourceFieldSelector|A resource limit or request of a container.',
    configMapKeyRef: 'ConfigMapKeySelector|A key of a ConfigMap.', secretKeyRef: 'SecretKeySelector|A key of a Secret.',
  }],
  ObjectFieldSelector: ['Selects a field of the pod.', {
    apiVersion: 'string|Schema version of fieldPath; defaults to v1.', fieldPath: 'string|Path of the field.',
  }, { req: ['fieldPath'], atomic: true }],
  ResourceFieldSelector: ['Selects a container resource.', {
    containerName: 'string|Container name; required for volumes.', resource: 'string|Resource, such as limits.cpu.',
    divisor: 'Quantity|Unit the value is expressed in; defaults to 1.',
  }, { req: ['resource'], atomic: true }],
  ConfigMapKeySelector: ['Names one key of a ConfigMap.', {
    name: NAME_REF, key: 'string|The key.', optional: OPTIONAL('ConfigMap or key'),
  }, { req: ['key'], atomic: true }],
  SecretKeySelector: ['Selects a key of a Secret.', {
    name: NAME_REF, key: 'string|The key.', optional: OPTIONAL('Secret or key'),
  }, { req: ['key'], atomic: true }],
  EnvFromSource: ['A set of environment variables taken from a ConfigMap or Secret.', {
    prefix: 'string|Prefix added to every key.', configMapRef: 'ConfigMapEnvSource|The ConfigMap.',
    secretRef: 'SecretEnvSource|The Secret.',
  }],
  ConfigMapEnvSource: ['A ConfigMap whose keys become environment variables.', { name: NAME_REF, optional: OPTIONAL('ConfigMap') }],
  SecretEnvSource: ['A Secret whose keys become environment variables.', { name: NAME_REF, optional: OPTIONAL('Secret') }],
  ResourceRequirements: ['Compute resources requested and allowed.', {
    limits: 'map[Quantity]|Most of each resource the container may use.',
    requests: 'map[Quantity]|Least of each resource the container needs; defaults to the limits.',
    claims: '[]ResourceClaim @map:name|Dynamic resource claims of the pod this container uses.',
  }],
  ResourceClaim: ['A reference to a pod resource claim.', {
    name: 'string|Name of an entry of pod.spec.resourceClaims.', request: 'string|A single request of the claim.',
  }, { req: ['name'] }],
  ContainerResizePolicy: ['How a resource of a container is resized.', {
    resourceName: 'string|cpu or memory.', restartPolicy: 'string|NotRequired or RestartContainer.',
  }, { req: ['resourceName', 'restartPolicy'] }],
  VolumeMount: ['Mounts a volume into a container.', {
    name: 'string|Name of a pod volume.', readOnly: 'boolean|Mount read-only.',
    recursiveReadOnly: 'string @since:1.30|Disabled, IfPossible or Enabled.',
    mountPath: 'string|Path in the container; must not contain ":".',
    subPath: 'string|Path within the volume to mount instead of its root.',
    mountPropagation: 'string|None, HostToContainer or Bidirectional.',
    subPathExpr: 'string|Like subPath, with $(VAR) expansion.',
  }, { req: ['name', 'mountPath'] }],
  VolumeDevice: ['A raw block device in a container.', {
    name: 'string|Name of a persistentVolumeClaim of the pod.', devicePath: 'string|Path of the device in the container.',
  }, { req: ['name', 'devicePath'] }],
  Probe: ['A health check the kubelet runs against a container; exactly one handler.', {
    exec: 'ExecAction|Runs a command in the container.', httpGet: 'HTTPGetAction|Sends an HTTP GET.',
    tcpSocket: 'TCPSocketAction|Opens a TCP connection.', grpc: 'GRPCAction|Calls the gRPC health service.',
    initialDelaySeconds: 'int32|Seconds after start before the first probe.',
    timeoutSeconds: 'int32|Seconds before a probe times out; defaults to 1.',
    periodSeconds: 'int32|Seconds between probes; defaults to 10.',
    successThreshold: 'int32|Consecutive successes counted as success after a failure; defaults to 1.',
    failureThreshold: 'int32|Consecutive failures counted as failure; defaults to 3.',
    terminationGracePeriodSeconds: 'int64|Grace period when a failed probe kills the container.',
  }],
  ExecAction: ['Runs a command.', { command: '[]string @atomic|Command and arguments, run without a shell; exit 0 is success.' }],
  HTTPGetAction: ['An HTTP GET request.', {
    path: 'string|Path to request.', port: INT_OR_PORT, host: 'string|Host name; defaults to the pod IP.',
    scheme: 'string|HTTP (default) or HTTPS.', httpHeaders: '[]HTTPHeader @atomic|Extra request headers.',
  }, { req: ['port'] }],
  HTTPHeader: ['An HTTP header.', { name: 'string|Header name.', value: 'string|Header value.' }, { req: ['name', 'value'] }],
  TCPSocketAction: ['A TCP connection attempt.', { port: INT_OR_PORT, host: 'string|Host; defaults to the pod IP.' }, { req: ['port'] }],
  GRPCAction: ['A gRPC health check.', {
    port: 'int32|Port of the gRPC service.', service: 'string|Service name sent in the HealthCheckRequest.',
  }, { req: ['port'] }],
  Lifecycle: ['Actions taken at container lifecycle events.', {
    postStart: 'LifecycleHandler|Runs right after the container starts.',
    preStop: 'LifecycleHandler|Runs before the container is stopped.',
    stopSignal: 'string @since:1.33|Signal sent to stop the container.',
  }],
  LifecycleHandler: ['One lifecycle action; exactly one field.', {
    exec: 'ExecAction|Runs a command.', httpGet: 'HTTPGetAction|Sends an HTTP GET.',
    tcpSocket: 'TCPSocketAction|Deprecated; kept for compatibility.', sleep: 'SleepAction @since:1.29|Waits.',
  }],
  SleepAction: ['Waits for a while.', { seconds: 'int64|Seconds to sleep.' }, { req: ['seconds'] }],
  SecurityContext: ['Security options of a container.', {
    capabilities: 'Capabilities|Capabilities to add or drop.', privileged: 'boolean|Run as privileged.',
    seLinuxOptions: 'SELinuxOptions|SELinux context.', windowsOptions: 'WindowsSecurityContextOptions|Windows options.',
    runAsUser: 'int64|UID to run the entrypoint as.', runAsGroup: 'int64|GID to run the entrypoint as.',
    runAsNonRoot: 'boolean|Refuse to start when the image would run as UID 0.',
    readOnlyRootFilesystem: 'boolean|Mount the root file system read-only.',
    allowPrivilegeEscalation: 'boolean|Whether a process may gain more privileges than its parent.',
    procMount: 'string|Default or Unmasked.', seccompProfile: 'SeccompProfile|Seccomp profile.',
    appArmorProfile: 'AppArmorProfile @since:1.30|AppArmor profile.',
  }],
  Capabilities: ['POSIX capabilities.', { add: '[]string @atomic|Capabilities to add.', drop: '[]string @atomic|Capabilities to drop.' }],
  SELinuxOptions: ['SELinux labels.', { user: 'string|User label.', role: 'string|Role label.', type: 'string|Type label.', level: 'string|Level label.' }],
  WindowsSecurityContextOptions: ['Windows-specific options.', {
    gmsaCredentialSpecName: 'string|Name of the GMSA credential spec.', gmsaCredentialSpec: 'string|Inlined GMSA credential spec.',
    runAsUserName: 'string|User name to run as.', hostProcess: 'boolean|Run as a host process container.',
  }],
  SeccompProfile: ['A seccomp profile.', {
    type: 'string|Localhost, RuntimeDefault or Unconfined.', localhostProfile: 'string|Profile file on the node, for Localhost.',
  }, { req: ['type'] }],
  AppArmorProfile: ['An AppArmor profile.', {
    type: 'string|Localhost, RuntimeDefault or Unconfined.', localhostProfile: 'string|Profile loaded on the node, for Localhost.',
  }, { req: ['type'] }],
  PodSecurityContext: ['Pod-level security attributes; container settings take precedence.', {
    seLinuxOptions: 'SELinuxOptions|SELinux context for all containers.', windowsOptions: 'WindowsSecurityContextOptions|Windows options.',
    runAsUser: 'int64|UID for all containers.', runAsGroup: 'int64|GID for all containers.',
    runAsNonRoot: 'boolean|Refuse containers that would run as UID 0.',
    supplementalGroups: '[]int64 @atomic|Extra groups for the first process of each container.',
    supplementalGroupsPolicy: 'string @since:1.31|Merge or Strict.',
    fsGroup: 'int64|Group that owns volumes and is added to every container.',
    sysctls: '[]Sysctl @atomic|Namespaced sysctls to set.',
    fsGroupChangePolicy: 'string|OnRootMismatch or Always.', seccompProfile: 'SeccompProfile|Seccomp profile.',
    appArmorProfile: 'AppArmorProfile @since:1.30|AppArmor profile.',
    seLinuxChangePolicy: 'string @since:1.32|MountOption or Recursive.',
  }],
  Sysctl: ['A kernel parameter.', { name: 'string|Parameter name.', value: 'string|Value.' }, { req: ['name', 'value'] }],
  Volume: ['A named volume of a pod; exactly one source.', {
    name: 'string|Volume name, a DNS label unique within the pod.',
    emptyDir: 'EmptyDirVolumeSource|A directory that lives as long as the pod.',
    configMap: 'ConfigMapVolumeSource|The keys of a ConfigMap as files.',
    secret: 'SecretVolumeSource|The keys of a Secret as files.',
    hostPath: 'HostPathVolumeSource|A file or directory of the node.',
    persistentVolumeClaim: 'PersistentVolumeClaimVolumeSource|A PersistentVolumeClaim in the namespace.',
    projected: 'ProjectedVolumeSource|Several sources in one directory.',
    downwardAPI: 'DownwardAPIVolumeSource|Fields of the pod as files.',
    nfs: 'NFSVolumeSource|An NFS export.', csi: 'CSIVolumeSource|An ephemeral volume from a CSI driver.',
    ephemeral: 'object|A volume provisioned for the pod from a claim template.',
    image: 'object @since:1.31|An OCI image or artifact.',
    awsElasticBlockStore: 'object|Deprecated in-tree AWS EBS volume.', azureDisk: 'object|Deprecated in-tree Azure disk.',
    azureFile: 'object|Deprecated in-tree Azure file share.', cephfs: 'object|A CephFS mount.',
    cinder: 'object|Deprecated in-tree Cinder volume.', fc: 'object|A Fibre Channel volume.',
    flexVolume: 'object|A FlexVolume plugin volume.', flocker: 'object|A Flocker volume.',
    gcePersistentDisk: 'object|Deprecated in-tree GCE persistent disk.', gitRepo: 'object|Deprecated git repository clone.',
    glusterfs: 'object|A GlusterFS mount.', iscsi: 'object|An iSCSI disk.', photonPersistentDisk: 'object|A Photon disk.',
    portworxVolume: 'object|A Portworx volume.', quobyte: 'object|A Quobyte mount.', rbd: 'object|A Rados block device.',
    scaleIO: 'object|A ScaleIO volume.', storageos: 'object|A StorageOS volume.', vsphereVolume: 'object|A vSphere volume.',
  }, { req: ['name'] }],
  EmptyDirVolumeSource: ['An empty directory for the life of the pod.', {
    medium: 'string|"" for node storage or "Memory" for tmpfs.', sizeLimit: 'Quantity|Most storage the volume may use.',
  }],
  ConfigMapVolumeSource: ['A ConfigMap as files.', {
    name: NAME_REF, items: '[]KeyToPath @atomic|Keys to project, and their paths; all keys when empty.',
    defaultMode: MODE, optional: OPTIONAL('ConfigMap or its keys'),
  }],
  SecretVolumeSource: ['A Secret as files.', {
    secretName: 'string|Name of the Secret in the namespace.', items: '[]KeyToPath @atomic|Keys to project; all when empty.',
    defaultMode: MODE, optional: OPTIONAL('Secret or its keys'),
  }],
  KeyToPath: ['Maps a key to a file path.', {
    key: 'string|The key.', path: 'string|Relative file path.', mode: 'int32|File mode bits for this file.',
  }, { req: ['key', 'path'] }],
  HostPathVolumeSource: ['A path of the node.', {
    path: 'string|Path on the node.', type: 'string|Check before mounting: "", DirectoryOrCreate, Directory, File, Socket, ...',
  }, { req: ['path'] }],
  PersistentVolumeClaimVolumeSource: ['A claim in the pod namespace.', {
    claimName: 'string|Name of the PersistentVolumeClaim.', readOnly: 'boolean|Mount read-only.',
  }, { req: ['claimName'] }],
  ProjectedVolumeSource: ['Several volume sources projected into one directory.', {
    sources: '[]VolumeProjection @atomic|The sources.', defaultMode: MODE,
  }],
  VolumeProjection: ['One projected source; exactly one field.', {
    secret: 'SecretProjection|Keys of a Secret.', configMap: 'ConfigMapProjection|Keys of a ConfigMap.',
    downwardAPI: 'DownwardAPIProjection|Fields of the pod.', serviceAccountToken: 'ServiceAccountTokenProjection|A bound service account token.',
    clusterTrustBundle: 'object @since:1.29|Certificates of ClusterTrustBundles.',
  }],
  SecretProjection: ['Secret keys in a projected volume.', { name: NAME_REF, items: '[]KeyToPath @atomic|Keys to project.', optional: OPTIONAL('Secret') }],
  ConfigMapProjection: ['ConfigMap keys in a projected volume.', { name: NAME_REF, items: '[]KeyToPath @atomic|Keys to project.', optional: OPTIONAL('ConfigMap') }],
  DownwardAPIProjection: ['Pod fields in a projected volume.', { items: '[]DownwardAPIVolumeFile @atomic|Files to create.' }],
  ServiceAccountTokenProjection: ['A service account token, refreshed by the kubelet.', {
    audience: 'string|Intended audience; defaults to the API server.', expirationSeconds: 'int64|Requested lifetime; defaults to 1 hour.',
    path: 'string|File path relative to the mount point.',
  }, { req: ['path'] }],
  DownwardAPIVolumeSource: ['Pod fields as files.', { items: '[]DownwardAPIVolumeFile @atomic|Files to create.', defaultMode: MODE }],
  DownwardAPIVolumeFile: ['A file holding a pod field.', {
    path: 'string|Relative file path.', fieldRef: 'ObjectFieldSelector|Pod field: metadata name, namespace, labels, annotations.',
    resourceFieldRef: 'ResourceFieldSelector|A container resource.', mode: 'int32|File mode bits.',
  }, { req: ['path'] }],
  NFSVolumeSource: ['An NFS export.', { server: 'string|NFS server.', path: 'string|Exported path.', readOnly: 'boolean|Mount read-only.' }, { req: ['server', 'path'] }],
  CSIVolumeSource: ['An inline CSI volume.', {
    driver: 'string|CSI driver name.', readOnly: 'boolean|Mount read-only.', fsType: 'string|File system type.',
    volumeAttributes: 'map[string]|Driver-specific properties.', nodePublishSecretRef: 'LocalObjectReference|Secret passed to the driver.',
  }, { req: ['driver'] }],
  LocalObjectReference: ['A reference to an object in the same namespace.', { name: NAME_REF }, { atomic: true }],
  Toleration: ['Lets the pod schedule onto nodes with a matching taint.', {
    key: 'string|Taint key; empty with Exists matches every taint.', operator: 'string|Exists or Equal (default).',
    value: 'string|Taint value to match with Equal.', effect: 'string|NoSchedule, PreferNoSchedule or NoExecute; empty matches all.',
    tolerationSeconds: 'int64|For NoExecute, how long the pod stays bound after the taint appears.',
  }],
  Affinity: ['Affinity scheduling rules.', {
    nodeAffinity: 'NodeAffinity|Rules about nodes.', podAffinity: 'PodAffinity|Rules to co-locate with other pods.',
    podAntiAffinity: 'PodAntiAffinity|Rules to keep away from other pods.',
  }],
  NodeAffinity: ['Node affinity rules.', {
    requiredDuringSchedulingIgnoredDuringExecution: 'NodeSelector|Hard requirement at scheduling time.',
    preferredDuringSchedulingIgnoredDuringExecution: '[]PreferredSchedulingTerm @atomic|Weighted preferences.',
  }],
  NodeSelector: ['Terms of which at least one must match.', { nodeSelectorTerms: '[]NodeSelectorTerm @atomic|The terms, ORed.' }, { req: ['nodeSelectorTerms'], atomic: true }],
  NodeSelectorTerm: ['Requirements that must all match.', {
    matchExpressions: '[]NodeSelectorRequirement @atomic|Requirements on node labels.',
    matchFields: '[]NodeSelectorRequirement @atomic|Requirements on node fields.',
  }, { atomic: true }],
  NodeSelectorRequirement: ['A requirement on a node label or field.', {
    key: 'string|Label key or field.', operator: 'string|In, NotIn, Exists, DoesNotExist, Gt or Lt.', values: '[]string @atomic|Values.',
  }, { req: ['key', 'operator'] }],
  PreferredSchedulingTerm: ['A weighted node preference.', {
    weight: 'int32|Weight, 1-100.', preference: 'NodeSelectorTerm|The preferred term.',
  }, { req: ['weight', 'preference'] }],
  PodAffinity: ['Co-location rules.', {
    requiredDuringSchedulingIgnoredDuringExecution: '[]PodAffinityTerm @atomic|Hard requirements.',
    preferredDuringSchedulingIgnoredDuringExecution: '[]WeightedPodAffinityTerm @atomic|Weighted preferences.',
  }],
  PodAntiAffinity: ['Anti-co-location rules.', {
    requiredDuringSchedulingIgnoredDuringExecution: '[]PodAffinityTerm @atomic|Hard requirements.',
    preferredDuringSchedulingIgnoredDuringExecution: '[]WeightedPodAffinityTerm @atomic|Weighted preferences.',
  }],
  PodAffinityTerm: ['A set of pods and the topology domain to share (or not) with them.', {
    labelSelector: 'LabelSelector|Pods to consider.', namespaces: '[]string @atomic|Namespaces to look in; defaults to the pod namespace.',
    topologyKey: 'string|Node label whose value defines the domain.', namespaceSelector: 'LabelSelector|Namespaces to look in, by label.',
    matchLabelKeys: '[]string @atomic @since:1.29|Pod label keys whose values are added to labelSelector.',
    mismatchLabelKeys: '[]string @atomic @since:1.29|Pod label keys whose values must differ.',
  }, { req: ['topologyKey'] }],
  WeightedPodAffinityTerm: ['A weighted pod affinity term.', {
    weight: 'int32|Weight, 1-100.', podAffinityTerm: 'PodAffinityTerm|The term.',
  }, { req: ['weight', 'podAffinityTerm'] }],
  TopologySpreadConstraint: ['How to spread matching pods across a topology.', {
    maxSkew: 'int32|Largest allowed difference in matching pods between domains.', topologyKey: 'string|Node label that defines the domains.',
    whenUnsatisfiable: 'string|DoNotSchedule or ScheduleAnyway.', labelSelector: 'LabelSelector|Pods to count.',
    minDomains: 'int32|Minimum number of eligible domains.', nodeAffinityPolicy: 'string|Honor or Ignore.',
    nodeTaintsPolicy: 'string|Honor or Ignore.', matchLabelKeys: '[]string @atomic|Pod label keys added to labelSelector.',
  }, { req: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'] }],
  HostAlias: ['An /etc/hosts entry.', { ip: 'string|IP address.', hostnames: '[]string @atomic|Host names for the IP.' }, { req: ['ip'] }],
  PodDNSConfig: ['DNS settings of a pod.', {
    nameservers: '[]string @atomic|DNS servers.', searches: '[]string @atomic|Search domains.',
    options: '[]PodDNSConfigOption @atomic|Resolver options.',
  }],
  PodDNSConfigOption: ['A resolver option.', { name: 'string|Option name.', value: 'string|Option value.' }],
  PodReadinessGate: ['A condition that must be true for readiness.', { conditionType: 'string|Condition type in the pod conditions.' }, { req: ['conditionType'] }],
  PodOS: ['Operating system of a pod.', { name: 'string|linux or windows.' }, { req: ['name'] }],
  PodSchedulingGate: ['A scheduling gate.', { name: 'string|Gate name, unique within the pod.' }, { req: ['name'] }],
  PodStatus: ['Observed state of a pod.', {
    phase: 'string|Pending, Running, Succeeded, Failed or Unknown.',
    conditions: '[]PodCondition @merge:type @map:type|Current conditions, such as Ready.',
    message: 'string|Why the pod is in this state.', reason: 'string|Brief CamelCase reason, such as Evicted.',
    nominatedNodeName: 'string|Node the pod may run on after a preemption.',
    hostIP: 'string|IP of the node the pod runs on.', hostIPs: '[]HostIP @atomic @since:1.28|IPs of the node.',
    podIP: 'string|IP of the pod.', podIPs: '[]PodIP @merge:ip @map:ip|IPs of the pod, one per family.',
    startTime: 'Time|When the kubelet acknowledged the pod.',
    initContainerStatuses: '[]ContainerStatus @atomic|Status of each init container.',
    containerStatuses: '[]ContainerStatus @atomic|Status of each container.',
    qosClass: 'string|Guaranteed, Burstable or BestEffort.',
    ephemeralContainerStatuses: '[]ContainerStatus @atomic|Status of each ephemeral container.',
    resize: 'string|Status of an in-place resize.',
  }],
  PodCondition: ['A condition of a pod.', {
    type: 'string|PodScheduled, Initialized, ContainersReady, Ready, ...', status: 'string|True, False or Unknown.',
    lastProbeTime: 'Time|When last probed.', lastTransitionTime: 'Time|When the status last changed.',
    reason: 'string|CamelCase reason of the last transition.', message: 'string|Details of the last transition.',
  }, { req: ['type', 'status'] }],
  PodIP: ['An IP address of a pod.', { ip: 'string|The address.' }, { req: ['ip'] }],
  HostIP: ['An IP address of the node.', { ip: 'string|The address.' }, { req: ['ip'] }],
  ContainerStatus: ['Observed state of a container.', {
    name: 'string|Container name.', state: 'ContainerState|Current state.', lastState: 'ContainerState|State of the last termination.',
    ready: 'boolean|Whether the readiness probe passes.', restartCount: 'int32|Times the container was restarted.',
    image: 'string|Image the container runs.', imageID: 'string|Image digest.', containerID: 'string|<runtime>://<id>.',
    started: 'boolean|Whether the startup probe passed.',
  }, { req: ['name', 'ready', 'restartCount', 'image', 'imageID'] }],
  ContainerState: ['A container state; exactly one field.', {
    waiting: 'ContainerStateWaiting|Not running yet.', running: 'ContainerStateRunning|Running.',
    terminated: 'ContainerStateTerminated|Finished.',
  }],
  ContainerStateWaiting: ['A waiting container.', { reason: 'string|Why it waits.', message: 'string|Details.' }],
  ContainerStateRunning: ['A running container.', { startedAt: 'Time|When it started.' }],
  ContainerStateTerminated: ['A finished container.', {
    exitCode: 'int32|Exit status.', signal: 'int32|Signal that ended it.', reason: 'string|Why it ended.',
    message: 'string|Details.', startedAt: 'Time|When it started.', finishedAt: 'Time|When it ended.',
    containerID: 'string|<runtime>://<id>.',
  }, { req: ['exitCode'] }],
  Namespace: kind('A namespace: a scope for names, policies and quotas.', {
    spec: 'NamespaceSpec|Finalizers of the namespace.', status: 'NamespaceStatus|Phase of the namespace. Read-only.',
  }),
  NamespaceList: list('Namespace', 'namespaces'),
  NamespaceSpec: ['Desired state of a namespace.', { finalizers: '[]string @atomic|Must be empty before the namespace is removed.' }],
  NamespaceStatus: ['Observed state of a namespace.', {
    phase: 'string|Active or Terminating.', conditions: '[]NamespaceCondition @merge:type @map:type|Current conditions.',
  }],
  NamespaceCondition: ['A condition of a namespace.', {
    type: 'string|Condition type.', status: 'string|True, False or Unknown.', lastTransitionTime: 'Time|When it last changed.',
    reason: 'string|CamelCase reason.', message: 'string|Details.',
  }, { req: ['type', 'status'] }],
  Secret: kind('Secret data, such as passwords, tokens or keys; values are base64 in data.', {
    immutable: 'boolean|When true, data cannot change; only metadata can.',
    data: 'map[byte]|The secret values, base64-encoded in JSON. Keys may hold letters, digits, "-", "_" and ".".',
    stringData: 'map[string]|Write-only plain-text values merged into data on write; never returned.',
    type: 'string|How the data is used, such as Opaque, kubernetes.io/tls or kubernetes.io/dockerconfigjson.',
  }),
  SecretList: list('Secret', 'secrets'),
  ConfigMap: kind('Non-confidential configuration data as key/value pairs.', {
    immutable: 'boolean|When true, data cannot change; only metadata can.',
    data: 'map[string]|UTF-8 configuration values.', binaryData: 'map[byte]|Binary values, base64-encoded in JSON.',
  }),
  ConfigMapList: list('ConfigMap', 'config maps'),
  ServiceAccount: kind('An identity for processes in pods, with tokens the API server can verify.', {
    secrets: '[]ObjectReference @merge:name|Deprecated: secrets holding legacy tokens.',
    imagePullSecrets: '[]LocalObjectReference @atomic|Image pull secrets added to pods using this account.',
    automountServiceAccountToken: 'boolean|Whether pods mount a token of this account by default.',
  }),
  ServiceAccountList: list('ServiceAccount', 'service accounts'),
  ObjectReference: ['A reference to any object.', {
    kind: 'string|Kind of the referent.', namespace: 'string|Namespace of the referent.', name: NAME_REF,
    uid: 'string|UID of the referent.', apiVersion: 'string|API version of the referent.',
    resourceVersion: 'string|Version of the referent the reference was made at.',
    fieldPath: 'string|Part of the object referred to, such as spec.containers{name}.',
  }, { atomic: true }],
  Event: kind('A report of something that happened to an object.', {
    involvedObject: 'ObjectReference|The object the event is about.', reason: 'string|Short CamelCase reason.',
    message: 'string|Human-readable description.', source: 'EventSource|Component that reported it.',
    firstTimestamp: 'Time|First time it was recorded.', lastTimestamp: 'Time|Most recent time it was recorded.',
    count: 'int32|Times it occurred.', type: 'string|Normal or Warning.', eventTime: 'MicroTime|When it first occurred.',
    series: 'EventSeries|Data about a series of such events.', action: 'string|What was done, or failed.',
    related: 'ObjectReference|A secondary object.', reportingComponent: 'string|Controller that emitted it.',
    reportingInstance: 'string|Instance of that controller.',
  }, { req: ['metadata', 'involvedObject'] }),
  EventList: list('Event', 'events'),
  EventSource: ['The reporter of an event.', { component: 'string|Component.', host: 'string|Node.' }],
  EventSeries: ['A series of repeated events.', { count: 'int32|Occurrences so far.', lastObservedTime: 'MicroTime|Last occurrence.' }],
  Node: kind('A worker node. kube-sim nodes are records only; no kubelet runs.', {
    spec: 'NodeSpec|How the node is configured.', status: 'NodeStatus|Observed state of the node. Read-only.',
  }),
  NodeList: list('Node', 'nodes'),
  NodeSpec: ['Configuration of a node.', {
    podCIDR: 'string|Pod IP range of the node.', podCIDRs: '[]string @strategy:merge @set|Pod IP ranges, one per family.',
    providerID: 'string|Cloud provider id of the node.', unschedulable: 'boolean|Keep new pods off the node.',
    taints: '[]Taint @atomic|Taints of the node.', configSource: 'object|Deprecated.', externalID: 'string|Deprecated.',
  }],
  Taint: ['A taint repelling pods that do not tolerate it.', {
    key: 'string|Taint key.', value: 'string|Taint value.', effect: 'string|NoSchedule, PreferNoSchedule or NoExecute.',
    timeAdded: 'Time|When a NoExecute taint was added.',
  }, { req: ['key', 'effect'] }],
  NodeStatus: ['Observed state of a node.', {
    capacity: 'map[Quantity]|Total resources of the node.', allocatable: 'map[Quantity]|Resources available to pods.',
    phase: 'string|Deprecated.', conditions: '[]NodeCondition @merge:type @map:type|Current conditions, such as Ready.',
    addresses: '[]NodeAddress @merge:type @map:type|Addresses of the node.',
    daemonEndpoints: 'NodeDaemonEndpoints|Ports of the node daemons.', nodeInfo: 'NodeSystemInfo|Versions and ids of the node.',
    images: '[]ContainerImage @atomic|Images on the node.', volumesInUse: '[]string @atomic|Volumes in use.',
    volumesAttached: '[]object @atomic|Volumes attached.', config: 'object|Kubelet config status.',
    runtimeHandlers: '[]object @atomic @since:1.30|Runtime handlers.', features: 'object @since:1.31|Supported features.',
  }],
  NodeCondition: ['A condition of a node.', {
    type: 'string|Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable.', status: 'string|True, False or Unknown.',
    lastHeartbeatTime: 'Time|Last heartbeat.', lastTransitionTime: 'Time|Last change.', reason: 'string|CamelCase reason.',
    message: 'string|Details.',
  }, { req: ['type', 'status'] }],
  NodeAddress: ['An address of a node.', { type: 'string|Hostname, InternalIP, ExternalIP, ...', address: 'string|The address.' }, { req: ['type', 'address'] }],
  NodeDaemonEndpoints: ['Ports of daemons on the node.', { kubeletEndpoint: 'DaemonEndpoint|The kubelet.' }],
  DaemonEndpoint: ['A daemon port.', { Port: 'int32|Port number.' }, { req: ['Port'] }],
  NodeSystemInfo: ['Identity and versions of a node.', {
    machineID: 'string|Machine id.', systemUUID: 'string|System UUID.', bootID: 'string|Boot id.',
    kernelVersion: 'string|Kernel version.', osImage: 'string|OS image.', containerRuntimeVersion: 'string|Runtime and version.',
    kubeletVersion: 'string|Kubelet version.', kubeProxyVersion: 'string|Deprecated.', operatingSystem: 'string|OS.',
    architecture: 'string|CPU architecture.',
  }, { req: ['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture'] }],
  ContainerImage: ['An image on a node.', { names: '[]string @atomic|Names of the image.', sizeBytes: 'int64|Size.' }],
};

const CONDITION = (of) => ({
  type: `string|Type of ${of} condition.`, status: 'string|True, False or Unknown.',
  lastUpdateTime: 'Time|Last time it was updated.', lastTransitionTime: 'Time|Last time the status changed.',
  reason: 'string|CamelCase reason of the last transition.', message: 'string|Details of the last transition.',
});

const apps = {
  Deployment: kind('Declarative updates for a set of identical pods, through ReplicaSets.', {
    spec: 'DeploymentSpec|Desired state of the deployment.', status: 'DeploymentStatus|Most recently observed state. Read-only.',
  }),
  DeploymentList: list('Deployment', 'deployments'),
  DeploymentSpec: ['Desired state of a deployment.', {
    replicas: 'int32|Number of desired pods; defaults to 1.',
    selector: 'LabelSelector|Selects the pods of the deployment; must match the template labels. Immutable.',
    template: 'PodTemplateSpec|Template of the pods; only restartPolicy Always is allowed.',
    strategy: 'DeploymentStrategy @strategy:retainKeys|How old pods are replaced by new ones.',
    minReadySeconds: 'int32|Seconds a new pod must be ready before it counts as available.',
    revisionHistoryLimit: 'int32|Old ReplicaSets kept for rollback; defaults to 10.',
    paused: 'boolean|Whether the rollout is paused.',
    progressDeadlineSeconds: 'int32|Seconds before a stalled rollout is reported as failed; defaults to 600.',
  }, { req: ['selector', 'template'] }],
  DeploymentStrategy: ['How a deployment replaces pods.', {
    type: 'string|Recreate or RollingUpdate (default).', rollingUpdate: 'RollingUpdateDeployment|Parameters of RollingUpdate.',
  }],
  RollingUpdateDeployment: ['Parameters of a rolling update.', {
    maxUnavailable: 'IntOrString|Pods (or percent) that may be unavailable during the update; defaults to 25%.',
    maxSurge: 'IntOrString|Pods (or percent) that may be created above the desired count; defaults to 25%.',
  }],
  DeploymentStatus: ['Observed state of a deployment.', {
    observedGeneration: 'int64|Generation the controller last observed.', replicas: 'int32|Pods targeted.',
    updatedReplicas: 'int32|Pods with the current template.', readyReplicas: 'int32|Ready pods.',
    availableReplicas: 'int32|Pods available for minReadySeconds.', unavailableReplicas: 'int32|Pods still missing.',
    terminatingReplicas: 'int32 @since:1.33|Pods being terminated.',
    conditions: '[]DeploymentCondition @merge:type @map:type|Available, Progressing, ReplicaFailure.',
    collisionCount: 'int32|Count of hash collisions of the template.',
  }],
  DeploymentCondition: ['A condition of a deployment.', CONDITION('deployment'), { req: ['type', 'status'] }],
  ReplicaSet: kind('Keeps a number of identical pods running; deployments own them, one per pod template.', {
    spec: 'ReplicaSetSpec|Desired state of the replica set.', status: 'ReplicaSetStatus|Most recently observed state. Read-only.' }),
  ReplicaSetList: list('ReplicaSet', 'replica sets'),
  ReplicaSetSpec: ['Desired state of a replica set.', {
    replicas: 'int32|Number of desired pods; defaults to 1.', minReadySeconds: 'int32|Seconds a new pod must be ready to count as available.',
    selector: 'LabelSelector|Selects the pods of the replica set; must match the template labels. Immutable.',
    template: 'PodTemplateSpec|Template of the pods created when too few exist.' }, { req: ['selector'] }],
  ReplicaSetStatus: ['Observed state of a replica set.', {
    replicas: 'int32|Non-terminating pods.', fullyLabeledReplicas: 'int32|Pods with all the template labels.',
    readyReplicas: 'int32|Ready pods.', availableReplicas: 'int32|Pods ready for minReadySeconds.',
    terminatingReplicas: 'int32 @since:1.33|Pods being terminated.', observedGeneration: 'int64|Generation the controller last observed.',
    conditions: '[]ReplicaSetCondition @merge:type @map:type|ReplicaFailure, when pods cannot be created or deleted.' },
  { req: ['replicas'] }],
  ReplicaSetCondition: ['A condition of a replica set.', (({ lastUpdateTime, ...rest }) => rest)(CONDITION('replica set')), { req: ['type', 'status'] }],
};

const autoscaling = {
  Scale: kind('The scale subresource of a scalable object.', {
    spec: 'ScaleSpec|Desired scale.', status: 'ScaleStatus|Current scale. Read-only.',
  }),
  ScaleSpec: ['Desired scale.', { replicas: 'int32|Desired number of instances.' }],
  ScaleStatus: ['Current scale.', {
    replicas: 'int32|Observed number of instances.', selector: 'string|Label query over the pods, in string form.',
  }, { req: ['replicas'] }],
};

const policy = {
  Eviction: kind('A request to evict a pod, honouring its PodDisruptionBudgets; POSTed to pods/eviction.', {
    deleteOptions: 'DeleteOptions|Options for the deletion of the pod.',
  }),
};

const RULE_VERBS = '[]string @atomic|Verbs allowed, such as get or list; "*" means all.';
const rbac = {
  Role: kind('A namespaced set of permissions.', { rules: '[]PolicyRule @atomic|The permissions.' }),
  RoleList: list('Role', 'roles'),
  ClusterRole: kind('A cluster-wide set of permissions, grantable by RoleBinding or ClusterRoleBinding.', {
    rules: '[]PolicyRule @atomic|The permissions.',
    aggregationRule: 'AggregationRule|When set, rules are the union of the selected ClusterRoles, maintained by the controller.',
  }),
  ClusterRoleList: list('ClusterRole', 'cluster roles'),
  PolicyRule: ['Permissions on resources or non-resource URLs.', {
    verbs: RULE_VERBS, apiGroups: '[]string @atomic|API groups of the resources; "" is the core group.',
    resources: '[]string @atomic|Resources, "resource/subresource" or "*".', resourceNames: '[]string @atomic|Object names; empty means all.',
    nonResourceURLs: '[]string @atomic|URL paths, for ClusterRoles only; may end in "*".',
  }, { req: ['verbs'] }],
  AggregationRule: ['Selects the ClusterRoles to combine.', { clusterRoleSelectors: '[]LabelSelector @atomic|Selectors, ORed.' }],
  RoleBinding: kind('Grants the permissions of a Role or ClusterRole within a namespace.', {
    subjects: '[]Subject @atomic|Users, groups and service accounts granted.',
    roleRef: 'RoleRef|The Role or ClusterRole granted. Cannot be updated.',
  }, { req: ['roleRef'] }),
  RoleBindingList: list('RoleBinding', 'role bindings'),
  ClusterRoleBinding: kind('Grants the permissions of a ClusterRole across the cluster.', {
    subjects: '[]Subject @atomic|Users, groups and service accounts granted.',
    roleRef: 'RoleRef|The ClusterRole granted. Cannot be updated.',
  }, { req: ['roleRef'] }),
  ClusterRoleBindingList: list('ClusterRoleBinding', 'cluster role bindings'),
  Subject: ['Who a binding grants to.', {
    kind: 'string|User, Group or ServiceAccount.', apiGroup: 'string|rbac.authorization.k8s.io for User and Group, "" for ServiceAccount.',
    name: 'string|Name of the subject.', namespace: 'string|Namespace of a ServiceAccount.',
  }, { req: ['kind', 'name'], atomic: true }],
  RoleRef: ['The role a binding grants.', {
    apiGroup: 'string|Group of the role.', kind: 'string|Role or ClusterRole.', name: 'string|Name of the role.',
  }, { req: ['apiGroup', 'kind', 'name'], atomic: true }],
};

const authorization = {
  SelfSubjectAccessReview: kind('Asks whether the caller may perform an action. Create-only; the answer is in status.', {
    spec: 'SelfSubjectAccessReviewSpec|The action to check.', status: 'SubjectAccessReviewStatus|The answer. Read-only.',
  }, { req: ['spec'] }),
  SelfSubjectAccessReviewSpec: ['An action; exactly one of the attributes.', {
    resourceAttributes: 'ResourceAttributes|A request on a resource.', nonResourceAttributes: 'NonResourceAttributes|A request on a URL path.',
  }],
  ResourceAttributes: ['A resource request, as the authorizer sees it.', {
    namespace: 'string|Namespace; empty for cluster scope or all namespaces.', verb: 'string|Verb, such as get, list or create; "*" for all.',
    group: 'string|API group; "*" for all.', version: 'string|API version; "*" for all.', resource: 'string|Resource; "*" for all.',
    subresource: 'string|Subresource.', name: 'string|Object name; empty for all.',
    fieldSelector: 'FieldSelectorAttributes @since:1.31|Field selector of a list or watch.',
    labelSelector: 'LabelSelectorAttributes @since:1.31|Label selector of a list or watch.',
  }],
  FieldSelectorAttributes: ['A field selector, raw or parsed.', {
    rawSelector: 'string|The selector as in a query.', requirements: '[]FieldSelectorRequirement @atomic|The parsed requirements.',
  }],
  LabelSelectorAttributes: ['A label selector, raw or parsed.', {
    rawSelector: 'string|The selector as in a query.', requirements: '[]LabelSelectorRequirement @atomic|The parsed requirements.',
  }],
  NonResourceAttributes: ['A request on a non-resource URL.', { path: 'string|URL path.', verb: 'string|HTTP verb, lower case.' }],
  SubjectAccessReviewStatus: ['The authorizer answer.', {
    allowed: 'boolean|Whether the action is allowed.', denied: 'boolean|Whether it is explicitly denied.',
    reason: 'string|Why.', evaluationError: 'string|An error met while evaluating.',
  }, { req: ['allowed'] }],
  SelfSubjectRulesReview: kind('Lists the actions the caller may perform in a namespace. Create-only.', {
    spec: 'SelfSubjectRulesReviewSpec|The namespace to check.', status: 'SubjectRulesReviewStatus|The rules. Read-only.',
  }, { req: ['spec'] }),
  SelfSubjectRulesReviewSpec: ['What to review.', { namespace: 'string|Namespace to evaluate rules for.' }],
  SubjectRulesReviewStatus: ['The rules that apply.', {
    resourceRules: '[]ResourceRule @atomic|Allowed actions on resources.',
    nonResourceRules: '[]NonResourceRule @atomic|Allowed actions on URLs.',
    incomplete: 'boolean|Whether the list may miss rules the authorizer cannot enumerate.',
    evaluationError: 'string|An error met while evaluating.',
  }, { req: ['resourceRules', 'nonResourceRules', 'incomplete'] }],
  ResourceRule: ['Allowed actions on resources.', {
    verbs: RULE_VERBS, apiGroups: '[]string @atomic|API groups.', resources: '[]string @atomic|Resources.',
    resourceNames: '[]string @atomic|Object names.',
  }, { req: ['verbs'] }],
  NonResourceRule: ['Allowed actions on URLs.', { verbs: RULE_VERBS, nonResourceURLs: '[]string @atomic|URL paths.' }, { req: ['verbs'] }],
};

const SELF_REVIEW = 'Returns the caller\'s user information as the API server authenticated it, after impersonation. Create-only.';
const authentication = {
  SelfSubjectReview: kind(SELF_REVIEW, { status: 'SelfSubjectReviewStatus|The user information. Read-only.' }),
  SelfSubjectReviewStatus: ['The caller\'s identity.', { userInfo: 'UserInfo|User name, UID, groups and extra attributes.' }],
  UserInfo: ['An authenticated user.', {
    username: 'string|Unique user name.', uid: 'string|Unique id across time.', groups: '[]string @atomic|Groups of the user.',
    extra: 'map[[]string]|Extra attributes from the authenticator.',
  }],
  TokenRequest: kind('Requests a token for a service account; POSTed to serviceaccounts/token.', {
    spec: 'TokenRequestSpec|The token wanted.', status: 'TokenRequestStatus|The token issued. Read-only.',
  }, { req: ['spec'] }),
  TokenRequestSpec: ['The token wanted.', {
    audiences: '[]string @atomic|Audiences the token is meant for; defaults to the API server.',
    expirationSeconds: 'int64|Requested lifetime in seconds.', boundObjectRef: 'BoundObjectReference|Object the token is bound to.',
  }, { req: ['audiences'] }],
  BoundObjectReference: ['An object a token is bound to.', {
    kind: 'string|Pod, Secret or Node.', apiVersion: 'string|API version.', name: NAME_REF, uid: 'string|UID of the referent.',
  }],
  TokenRequestStatus: ['An issued token.', {
    token: 'string|The bearer token.', expirationTimestamp: 'Time|When the token expires.',
  }, { req: ['token', 'expirationTimestamp'] }],
};

const authenticationBeta = {
  SelfSubjectReview: kind(SELF_REVIEW, { status: 'SelfSubjectReviewStatus|The user information. Read-only.' }),
  SelfSubjectReviewStatus: ['The caller\'s identity.', { userInfo: 'UserInfo|User name, UID, groups and extra attributes.' }],
};

// Package key -> types; openapi.js maps each key to its schema name prefix.
const packages = {
  'meta.v1': meta, version, 'core.v1': core, 'apps.v1': apps, 'autoscaling.v1': autoscaling, 'policy.v1': policy,
  'rbac.v1': rbac, 'authorization.v1': authorization, 'authentication.v1': authentication,
  'authentication.v1beta1': authenticationBeta,
};

module.exports = { packages, special };
