'use strict';
// Kubernetes protobuf message layouts, as data, so that supporting another kind means adding rows here.
//
// Facts come from k8s.io/api and k8s.io/apimachinery at v0.33.13: field numbers and element types from
// generated.proto, JSON names, `omitempty` and pointer-ness from the types.go json tags. Both matter:
// gogo-protobuf writes every non-pointer field, even when empty, so deciding what the JSON form holds
// needs Go's view of the field, not just what arrived on the wire.
//
// One row per field, in Go struct order (which is the JSON member order):
//   <number> <json name> <Go type> [omitempty | inline]
// Go types: string bool int32 int64 []byte Time MicroTime Quantity IntOrString FieldsV1 ExtraValue, a
// message name, and the shapes *T, []T, map[string]T. `inline` is an embedded struct whose members
// appear in the parent's JSON (json:",inline"); its json name is written `-`.
// Enum-like Go string types (RestartPolicy, UID, ...) are written `string`: the wire does not know them.

const MESSAGES = {
  // ---- meta/v1 ----
  ObjectMeta: `
    1 name string omitempty
    2 generateName string omitempty
    3 namespace string omitempty
    4 selfLink string omitempty
    5 uid string omitempty
    6 resourceVersion string omitempty
    7 generation int64 omitempty
    8 creationTimestamp Time omitempty
    9 deletionTimestamp *Time omitempty
    10 deletionGracePeriodSeconds *int64 omitempty
    11 labels map[string]string omitempty
    12 annotations map[string]string omitempty
    13 ownerReferences []OwnerReference omitempty
    14 finalizers []string omitempty
    17 managedFields []ManagedFieldsEntry omitempty`,
  DeleteOptions: `
    1 gracePeriodSeconds *int64 omitempty
    2 preconditions *Preconditions omitempty
    3 orphanDependents *bool omitempty
    4 propagationPolicy *string omitempty
    5 dryRun []string omitempty
    6 ignoreStoreReadErrorWithClusterBreakingPotential *bool omitempty`,
  OwnerReference: `
    5 apiVersion string
    1 kind string
    3 name string
    4 uid string
    6 controller *bool omitempty
    7 blockOwnerDeletion *bool omitempty`,
  ManagedFieldsEntry: `
    1 manager string omitempty
    2 operation string omitempty
    3 apiVersion string omitempty
    4 time *Time omitempty
    6 fieldsType string omitempty
    7 fieldsV1 *FieldsV1 omitempty
    8 subresource string omitempty`,
  Preconditions: `
    1 uid *string omitempty
    2 resourceVersion *string omitempty`,
  LabelSelector: `
    1 matchLabels map[string]string omitempty
    2 matchExpressions []LabelSelectorRequirement omitempty`,
  LabelSelectorRequirement: `
    1 key string
    2 operator string
    3 values []string omitempty`,
  Condition: `
    1 type string
    2 status string
    3 observedGeneration int64 omitempty
    4 lastTransitionTime Time
    5 reason string
    6 message string`,
  FieldSelectorRequirement: `
    1 key string
    2 operator string
    3 values []string omitempty`,

  // ---- core/v1 ----
  Secret: `
    1 metadata ObjectMeta omitempty
    5 immutable *bool omitempty
    2 data map[string][]byte omitempty
    4 stringData map[string]string omitempty
    3 type string omitempty`,
  ConfigMap: `
    1 metadata ObjectMeta omitempty
    4 immutable *bool omitempty
    2 data map[string]string omitempty
    3 binaryData map[string][]byte omitempty`,
  Namespace: `
    1 metadata ObjectMeta omitempty
    2 spec NamespaceSpec omitempty
    3 status NamespaceStatus omitempty`,
  ServiceAccount: `
    1 metadata ObjectMeta omitempty
    2 secrets []ObjectReference omitempty
    3 imagePullSecrets []LocalObjectReference omitempty
    4 automountServiceAccountToken *bool omitempty`,
  Pod: `
    1 metadata ObjectMeta omitempty
    2 spec PodSpec omitempty
    3 status PodStatus omitempty`,
  Event: `
    1 metadata ObjectMeta
    2 involvedObject ObjectReference
    3 reason string omitempty
    4 message string omitempty
    5 source EventSource omitempty
    6 firstTimestamp Time omitempty
    7 lastTimestamp Time omitempty
    8 count int32 omitempty
    9 type string omitempty
    10 eventTime MicroTime omitempty
    11 series *EventSeries omitempty
    12 action string omitempty
    13 related *ObjectReference omitempty
    14 reportingComponent string
    15 reportingInstance string`,
  NamespaceSpec: `
    1 finalizers []string omitempty`,
  NamespaceStatus: `
    1 phase string omitempty
    2 conditions []NamespaceCondition omitempty`,
  ObjectReference: `
    1 kind string omitempty
    2 namespace string omitempty
    3 name string omitempty
    4 uid string omitempty
    5 apiVersion string omitempty
    6 resourceVersion string omitempty
    7 fieldPath string omitempty`,
  LocalObjectReference: `
    1 name string omitempty`,
  PodSpec: `
    1 volumes []Volume omitempty
    20 initContainers []Container omitempty
    2 containers []Container
    34 ephemeralContainers []EphemeralContainer omitempty
    3 restartPolicy string omitempty
    4 terminationGracePeriodSeconds *int64 omitempty
    5 activeDeadlineSeconds *int64 omitempty
    6 dnsPolicy string omitempty
    7 nodeSelector map[string]string omitempty
    8 serviceAccountName string omitempty
    9 serviceAccount string omitempty
    21 automountServiceAccountToken *bool omitempty
    10 nodeName string omitempty
    11 hostNetwork bool omitempty
    12 hostPID bool omitempty
    13 hostIPC bool omitempty
    27 shareProcessNamespace *bool omitempty
    14 securityContext *PodSecurityContext omitempty
    15 imagePullSecrets []LocalObjectReference omitempty
    16 hostname string omitempty
    17 subdomain string omitempty
    18 affinity *Affinity omitempty
    19 schedulerName string omitempty
    22 tolerations []Toleration omitempty
    23 hostAliases []HostAlias omitempty
    24 priorityClassName string omitempty
    25 priority *int32 omitempty
    26 dnsConfig *PodDNSConfig omitempty
    28 readinessGates []PodReadinessGate omitempty
    29 runtimeClassName *string omitempty
    30 enableServiceLinks *bool omitempty
    31 preemptionPolicy *string omitempty
    32 overhead map[string]Quantity omitempty
    33 topologySpreadConstraints []TopologySpreadConstraint omitempty
    35 setHostnameAsFQDN *bool omitempty
    36 os *PodOS omitempty
    37 hostUsers *bool omitempty
    38 schedulingGates []PodSchedulingGate omitempty
    39 resourceClaims []PodResourceClaim omitempty
    40 resources *ResourceRequirements omitempty`,
  // not modelled (read as unknown fields): 15 resourceClaimStatuses
  PodStatus: `
    17 observedGeneration int64 omitempty
    1 phase string omitempty
    2 conditions []PodCondition omitempty
    3 message string omitempty
    4 reason string omitempty
    11 nominatedNodeName string omitempty
    5 hostIP string omitempty
    16 hostIPs []HostIP omitempty
    6 podIP string omitempty
    12 podIPs []PodIP omitempty
    7 startTime *Time omitempty
    10 initContainerStatuses []ContainerStatus omitempty
    8 containerStatuses []ContainerStatus omitempty
    9 qosClass string omitempty
    13 ephemeralContainerStatuses []ContainerStatus omitempty
    14 resize string omitempty`,
  EventSource: `
    1 component string omitempty
    2 host string omitempty`,
  EventSeries: `
    1 count int32 omitempty
    2 lastObservedTime MicroTime omitempty`,
  NamespaceCondition: `
    1 type string
    2 status string
    4 lastTransitionTime Time omitempty
    5 reason string omitempty
    6 message string omitempty`,
  Volume: `
    1 name string
    2 - VolumeSource inline`,
  Container: `
    1 name string
    2 image string omitempty
    3 command []string omitempty
    4 args []string omitempty
    5 workingDir string omitempty
    6 ports []ContainerPort omitempty
    19 envFrom []EnvFromSource omitempty
    7 env []EnvVar omitempty
    8 resources ResourceRequirements omitempty
    23 resizePolicy []ContainerResizePolicy omitempty
    24 restartPolicy *string omitempty
    9 volumeMounts []VolumeMount omitempty
    21 volumeDevices []VolumeDevice omitempty
    10 livenessProbe *Probe omitempty
    11 readinessProbe *Probe omitempty
    22 startupProbe *Probe omitempty
    12 lifecycle *Lifecycle omitempty
    13 terminationMessagePath string omitempty
    20 terminationMessagePolicy string omitempty
    14 imagePullPolicy string omitempty
    15 securityContext *SecurityContext omitempty
    16 stdin bool omitempty
    17 stdinOnce bool omitempty
    18 tty bool omitempty`,
  EphemeralContainer: `
    1 - EphemeralContainerCommon inline
    2 targetContainerName string omitempty`,
  PodSecurityContext: `
    1 seLinuxOptions *SELinuxOptions omitempty
    8 windowsOptions *WindowsSecurityContextOptions omitempty
    2 runAsUser *int64 omitempty
    6 runAsGroup *int64 omitempty
    3 runAsNonRoot *bool omitempty
    4 supplementalGroups []int64 omitempty
    12 supplementalGroupsPolicy *string omitempty
    5 fsGroup *int64 omitempty
    7 sysctls []Sysctl omitempty
    9 fsGroupChangePolicy *string omitempty
    10 seccompProfile *SeccompProfile omitempty
    11 appArmorProfile *AppArmorProfile omitempty
    13 seLinuxChangePolicy *string omitempty`,
  Affinity: `
    1 nodeAffinity *NodeAffinity omitempty
    2 podAffinity *PodAffinity omitempty
    3 podAntiAffinity *PodAntiAffinity omitempty`,
  Toleration: `
    1 key string omitempty
    2 operator string omitempty
    3 value string omitempty
    4 effect string omitempty
    5 tolerationSeconds *int64 omitempty`,
  HostAlias: `
    1 ip string
    2 hostnames []string omitempty`,
  PodDNSConfig: `
    1 nameservers []string omitempty
    2 searches []string omitempty
    3 options []PodDNSConfigOption omitempty`,
  PodReadinessGate: `
    1 conditionType string`,
  TopologySpreadConstraint: `
    1 maxSkew int32
    2 topologyKey string
    3 whenUnsatisfiable string
    4 labelSelector *LabelSelector omitempty
    5 minDomains *int32 omitempty
    6 nodeAffinityPolicy *string omitempty
    7 nodeTaintsPolicy *string omitempty
    8 matchLabelKeys []string omitempty`,
  PodOS: `
    1 name string`,
  PodSchedulingGate: `
    1 name string`,
  PodResourceClaim: `
    1 name string
    3 resourceClaimName *string omitempty
    4 resourceClaimTemplateName *string omitempty`,
  ResourceRequirements: `
    1 limits map[string]Quantity omitempty
    2 requests map[string]Quantity omitempty
    3 claims []ResourceClaim omitempty`,
  PodCondition: `
    1 type string
    7 observedGeneration int64 omitempty
    2 status string
    3 lastProbeTime Time omitempty
    4 lastTransitionTime Time omitempty
    5 reason string omitempty
    6 message string omitempty`,
  HostIP: `
    1 ip string`,
  PodIP: `
    1 ip string`,
  // not modelled (read as unknown fields): 12 volumeMounts, 13 user, 14 allocatedResourcesStatus
  ContainerStatus: `
    1 name string
    2 state ContainerState omitempty
    3 lastState ContainerState omitempty
    4 ready bool
    5 restartCount int32
    6 image string
    7 imageID string
    8 containerID string omitempty
    9 started *bool omitempty
    10 allocatedResources map[string]Quantity omitempty
    11 resources *ResourceRequirements omitempty
    15 stopSignal *string omitempty`,
  PodTemplateSpec: `
    1 metadata ObjectMeta omitempty
    2 spec PodSpec omitempty`,
  // not modelled (read as unknown fields): the in-tree and legacy volume plugins, 3-5, 7-9, 11-15, 17, 18,
  // 20-25, 27-29 (gcePersistentDisk, nfs, iscsi, csi, ephemeral, ...)
  VolumeSource: `
    1 hostPath *HostPathVolumeSource omitempty
    2 emptyDir *EmptyDirVolumeSource omitempty
    6 secret *SecretVolumeSource omitempty
    10 persistentVolumeClaim *PersistentVolumeClaimVolumeSource omitempty
    16 downwardAPI *DownwardAPIVolumeSource omitempty
    19 configMap *ConfigMapVolumeSource omitempty
    26 projected *ProjectedVolumeSource omitempty
    30 image *ImageVolumeSource omitempty`,
  ContainerPort: `
    1 name string omitempty
    2 hostPort int32 omitempty
    3 containerPort int32
    4 protocol string omitempty
    5 hostIP string omitempty`,
  EnvFromSource: `
    1 prefix string omitempty
    2 configMapRef *ConfigMapEnvSource omitempty
    3 secretRef *SecretEnvSource omitempty`,
  EnvVar: `
    1 name string
    2 value string omitempty
    3 valueFrom *EnvVarSource omitempty`,
  ContainerResizePolicy: `
    1 resourceName string
    2 restartPolicy string`,
  VolumeMount: `
    1 name string
    2 readOnly bool omitempty
    7 recursiveReadOnly *string omitempty
    3 mountPath string
    4 subPath string omitempty
    5 mountPropagation *string omitempty
    6 subPathExpr string omitempty`,
  VolumeDevice: `
    1 name string
    2 devicePath string`,
  Probe: `
    1 - ProbeHandler inline
    2 initialDelaySeconds int32 omitempty
    3 timeoutSeconds int32 omitempty
    4 periodSeconds int32 omitempty
    5 successThreshold int32 omitempty
    6 failureThreshold int32 omitempty
    7 terminationGracePeriodSeconds *int64 omitempty`,
  Lifecycle: `
    1 postStart *LifecycleHandler omitempty
    2 preStop *LifecycleHandler omitempty
    3 stopSignal *string omitempty`,
  SecurityContext: `
    1 capabilities *Capabilities omitempty
    2 privileged *bool omitempty
    3 seLinuxOptions *SELinuxOptions omitempty
    10 windowsOptions *WindowsSecurityContextOptions omitempty
    4 runAsUser *int64 omitempty
    8 runAsGroup *int64 omitempty
    5 runAsNonRoot *bool omitempty
    6 readOnlyRootFilesystem *bool omitempty
    7 allowPrivilegeEscalation *bool omitempty
    9 procMount *string omitempty
    11 seccompProfile *SeccompProfile omitempty
    12 appArmorProfile *AppArmorProfile omitempty`,
  SELinuxOptions: `
    1 user string omitempty
    2 role string omitempty
    3 type string omitempty
    4 level string omitempty`,
  WindowsSecurityContextOptions: `
    1 gmsaCredentialSpecName *string omitempty
    2 gmsaCredentialSpec *string omitempty
    3 runAsUserName *string omitempty
    4 hostProcess *bool omitempty`,
  Sysctl: `
    1 name string
    2 value string`,
  SeccompProfile: `
    1 type string
    2 localhostProfile *string omitempty`,
  AppArmorProfile: `
    1 type string
    2 localhostProfile *string omitempty`,
  NodeAffinity: `
    1 requiredDuringSchedulingIgnoredDuringExecution *NodeSelector omitempty
    2 preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm omitempty`,
  PodAffinity: `
    1 requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm omitempty
    2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm omitempty`,
  PodAntiAffinity: `
    1 requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm omitempty
    2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm omitempty`,
  PodDNSConfigOption: `
    1 name string omitempty
    2 value *string omitempty`,
  ResourceClaim: `
    1 name string
    2 request string omitempty`,
  ContainerState: `
    1 waiting *ContainerStateWaiting omitempty
    2 running *ContainerStateRunning omitempty
    3 terminated *ContainerStateTerminated omitempty`,
  HostPathVolumeSource: `
    1 path string
    2 type *string omitempty`,
  EmptyDirVolumeSource: `
    1 medium string omitempty
    2 sizeLimit *Quantity omitempty`,
  SecretVolumeSource: `
    1 secretName string omitempty
    2 items []KeyToPath omitempty
    3 defaultMode *int32 omitempty
    4 optional *bool omitempty`,
  PersistentVolumeClaimVolumeSource: `
    1 claimName string
    2 readOnly bool omitempty`,
  DownwardAPIVolumeSource: `
    1 items []DownwardAPIVolumeFile omitempty
    2 defaultMode *int32 omitempty`,
  ConfigMapVolumeSource: `
    1 - LocalObjectReference inline
    2 items []KeyToPath omitempty
    3 defaultMode *int32 omitempty
    4 optional *bool omitempty`,
  ProjectedVolumeSource: `
    1 sources []VolumeProjection
    2 defaultMode *int32 omitempty`,
  ImageVolumeSource: `
    1 reference string omitempty
    2 pullPolicy string omitempty`,
  ConfigMapEnvSource: `
    1 - LocalObjectReference inline
    2 optional *bool omitempty`,
  SecretEnvSource: `
    1 - LocalObjectReference inline
    2 optional *bool omitempty`,
  EnvVarSource: `
    1 fieldRef *ObjectFieldSelector omitempty
    2 resourceFieldRef *ResourceFieldSelector omitempty
    3 configMapKeyRef *ConfigMapKeySelector omitempty
    4 secretKeyRef *SecretKeySelector omitempty`,
  ProbeHandler: `
    1 exec *ExecAction omitempty
    2 httpGet *HTTPGetAction omitempty
    3 tcpSocket *TCPSocketAction omitempty
    4 grpc *GRPCAction omitempty`,
  LifecycleHandler: `
    1 exec *ExecAction omitempty
    2 httpGet *HTTPGetAction omitempty
    3 tcpSocket *TCPSocketAction omitempty
    4 sleep *SleepAction omitempty`,
  Capabilities: `
    1 add []string omitempty
    2 drop []string omitempty`,
  NodeSelector: `
    1 nodeSelectorTerms []NodeSelectorTerm`,
  PreferredSchedulingTerm: `
    1 weight int32
    2 preference NodeSelectorTerm`,
  PodAffinityTerm: `
    1 labelSelector *LabelSelector omitempty
    2 namespaces []string omitempty
    3 topologyKey string
    4 namespaceSelector *LabelSelector omitempty
    5 matchLabelKeys []string omitempty
    6 mismatchLabelKeys []string omitempty`,
  WeightedPodAffinityTerm: `
    1 weight int32
    2 podAffinityTerm PodAffinityTerm`,
  ContainerStateWaiting: `
    1 reason string omitempty
    2 message string omitempty`,
  ContainerStateRunning: `
    1 startedAt Time omitempty`,
  ContainerStateTerminated: `
    1 exitCode int32
    2 signal int32 omitempty
    3 reason string omitempty
    4 message string omitempty
    5 startedAt Time omitempty
    6 finishedAt Time omitempty
    7 containerID string omitempty`,
  KeyToPath: `
    1 key string
    2 path string
    3 mode *int32 omitempty`,
  DownwardAPIVolumeFile: `
    1 path string
    2 fieldRef *ObjectFieldSelector omitempty
    3 resourceFieldRef *ResourceFieldSelector omitempty
    4 mode *int32 omitempty`,
  // not modelled (read as unknown fields): 5 clusterTrustBundle
  VolumeProjection: `
    1 secret *SecretProjection omitempty
    2 downwardAPI *DownwardAPIProjection omitempty
    3 configMap *ConfigMapProjection omitempty
    4 serviceAccountToken *ServiceAccountTokenProjection omitempty`,
  ObjectFieldSelector: `
    1 apiVersion string omitempty
    2 fieldPath string`,
  ResourceFieldSelector: `
    1 containerName string omitempty
    2 resource string
    3 divisor Quantity omitempty`,
  ConfigMapKeySelector: `
    1 - LocalObjectReference inline
    2 key string
    3 optional *bool omitempty`,
  SecretKeySelector: `
    1 - LocalObjectReference inline
    2 key string
    3 optional *bool omitempty`,
  ExecAction: `
    1 command []string omitempty`,
  HTTPGetAction: `
    1 path string omitempty
    2 port IntOrString
    3 host string omitempty
    4 scheme string omitempty
    5 httpHeaders []HTTPHeader omitempty`,
  TCPSocketAction: `
    1 port IntOrString
    2 host string omitempty`,
  GRPCAction: `
    1 port int32
    2 service *string`,
  SleepAction: `
    1 seconds int64`,
  NodeSelectorTerm: `
    1 matchExpressions []NodeSelectorRequirement omitempty
    2 matchFields []NodeSelectorRequirement omitempty`,
  SecretProjection: `
    1 - LocalObjectReference inline
    2 items []KeyToPath omitempty
    4 optional *bool omitempty`,
  DownwardAPIProjection: `
    1 items []DownwardAPIVolumeFile omitempty`,
  ConfigMapProjection: `
    1 - LocalObjectReference inline
    2 items []KeyToPath omitempty
    4 optional *bool omitempty`,
  ServiceAccountTokenProjection: `
    1 audience string omitempty
    2 expirationSeconds *int64 omitempty
    3 path string`,
  HTTPHeader: `
    1 name string
    2 value string`,
  NodeSelectorRequirement: `
    1 key string
    2 operator string
    3 values []string omitempty`,

  Service: `
    1 metadata ObjectMeta omitempty
    2 spec ServiceSpec omitempty
    3 status ServiceStatus omitempty`,
  ServiceSpec: `
    1 ports []ServicePort omitempty
    2 selector map[string]string omitempty
    3 clusterIP string omitempty
    18 clusterIPs []string omitempty
    4 type string omitempty
    5 externalIPs []string omitempty
    7 sessionAffinity string omitempty
    8 loadBalancerIP string omitempty
    9 loadBalancerSourceRanges []string omitempty
    10 externalName string omitempty
    11 externalTrafficPolicy string omitempty
    12 healthCheckNodePort int32 omitempty
    13 publishNotReadyAddresses bool omitempty
    14 sessionAffinityConfig *SessionAffinityConfig omitempty
    19 ipFamilies []string omitempty
    17 ipFamilyPolicy *string omitempty
    20 allocateLoadBalancerNodePorts *bool omitempty
    21 loadBalancerClass *string omitempty
    22 internalTrafficPolicy *string omitempty
    23 trafficDistribution *string omitempty`,
  ServicePort: `
    1 name string omitempty
    2 protocol string omitempty
    6 appProtocol *string omitempty
    3 port int32
    4 targetPort IntOrString omitempty
    5 nodePort int32 omitempty`,
  SessionAffinityConfig: `
    1 clientIP *ClientIPConfig omitempty`,
  ClientIPConfig: `
    1 timeoutSeconds *int32 omitempty`,
  ServiceStatus: `
    1 loadBalancer LoadBalancerStatus omitempty
    2 conditions []Condition omitempty`,
  LoadBalancerStatus: `
    1 ingress []LoadBalancerIngress omitempty`,
  LoadBalancerIngress: `
    1 ip string omitempty
    2 hostname string omitempty
    3 ipMode *string omitempty
    4 ports []PortStatus omitempty`,
  PortStatus: `
    1 port int32
    2 protocol string
    3 error *string omitempty`,

  // ---- apps/v1 ----
  Deployment: `
    1 metadata ObjectMeta omitempty
    2 spec DeploymentSpec omitempty
    3 status DeploymentStatus omitempty`,
  DeploymentSpec: `
    1 replicas *int32 omitempty
    2 selector *LabelSelector
    3 template PodTemplateSpec
    4 strategy DeploymentStrategy omitempty
    5 minReadySeconds int32 omitempty
    6 revisionHistoryLimit *int32 omitempty
    7 paused bool omitempty
    9 progressDeadlineSeconds *int32 omitempty`,
  DeploymentStatus: `
    1 observedGeneration int64 omitempty
    2 replicas int32 omitempty
    3 updatedReplicas int32 omitempty
    7 readyReplicas int32 omitempty
    4 availableReplicas int32 omitempty
    5 unavailableReplicas int32 omitempty
    9 terminatingReplicas *int32 omitempty
    6 conditions []DeploymentCondition omitempty
    8 collisionCount *int32 omitempty`,
  DeploymentStrategy: `
    1 type string omitempty
    2 rollingUpdate *RollingUpdateDeployment omitempty`,
  DeploymentCondition: `
    1 type string
    2 status string
    6 lastUpdateTime Time omitempty
    7 lastTransitionTime Time omitempty
    4 reason string omitempty
    5 message string omitempty`,
  RollingUpdateDeployment: `
    1 maxUnavailable *IntOrString omitempty
    2 maxSurge *IntOrString omitempty`,

  // ---- autoscaling/v1 ----
  Scale: `
    1 metadata ObjectMeta omitempty
    2 spec ScaleSpec omitempty
    3 status ScaleStatus omitempty`,
  ScaleSpec: `
    1 replicas int32 omitempty`,
  ScaleStatus: `
    1 replicas int32
    2 selector string omitempty`,

  // ---- policy/v1 ----
  Eviction: `
    1 metadata ObjectMeta omitempty
    2 deleteOptions *DeleteOptions omitempty`,

  // ---- authorization/v1 ----
  SelfSubjectAccessReview: `
    1 metadata ObjectMeta omitempty
    2 spec SelfSubjectAccessReviewSpec
    3 status SubjectAccessReviewStatus omitempty`,
  SelfSubjectRulesReview: `
    1 metadata ObjectMeta omitempty
    2 spec SelfSubjectRulesReviewSpec
    3 status SubjectRulesReviewStatus omitempty`,
  SelfSubjectAccessReviewSpec: `
    1 resourceAttributes *ResourceAttributes omitempty
    2 nonResourceAttributes *NonResourceAttributes omitempty`,
  SubjectAccessReviewStatus: `
    1 allowed bool
    4 denied bool omitempty
    2 reason string omitempty
    3 evaluationError string omitempty`,
  SelfSubjectRulesReviewSpec: `
    1 namespace string omitempty`,
  SubjectRulesReviewStatus: `
    1 resourceRules []ResourceRule
    2 nonResourceRules []NonResourceRule
    3 incomplete bool
    4 evaluationError string omitempty`,
  ResourceAttributes: `
    1 namespace string omitempty
    2 verb string omitempty
    3 group string omitempty
    4 version string omitempty
    5 resource string omitempty
    6 subresource string omitempty
    7 name string omitempty
    8 fieldSelector *FieldSelectorAttributes omitempty
    9 labelSelector *LabelSelectorAttributes omitempty`,
  NonResourceAttributes: `
    1 path string omitempty
    2 verb string omitempty`,
  ResourceRule: `
    1 verbs []string
    2 apiGroups []string omitempty
    3 resources []string omitempty
    4 resourceNames []string omitempty`,
  NonResourceRule: `
    1 verbs []string
    2 nonResourceURLs []string omitempty`,
  FieldSelectorAttributes: `
    1 rawSelector string omitempty
    2 requirements []FieldSelectorRequirement omitempty`,
  LabelSelectorAttributes: `
    1 rawSelector string omitempty
    2 requirements []LabelSelectorRequirement omitempty`,

  // ---- authentication/v1 ----
  SelfSubjectReview: `
    1 metadata ObjectMeta omitempty
    2 status SelfSubjectReviewStatus omitempty`,
  TokenRequest: `
    1 metadata ObjectMeta omitempty
    2 spec TokenRequestSpec
    3 status TokenRequestStatus omitempty`,
  SelfSubjectReviewStatus: `
    1 userInfo UserInfo omitempty`,
  TokenRequestSpec: `
    1 audiences []string
    4 expirationSeconds *int64
    3 boundObjectRef *BoundObjectReference`,
  TokenRequestStatus: `
    1 token string
    2 expirationTimestamp Time`,
  UserInfo: `
    1 username string omitempty
    2 uid string omitempty
    3 groups []string omitempty
    4 extra map[string]ExtraValue omitempty`,
  BoundObjectReference: `
    1 kind string omitempty
    2 apiVersion string omitempty
    3 name string omitempty
    4 uid string omitempty`,

  // ---- rbac/v1 ----
  Role: `
    1 metadata ObjectMeta omitempty
    2 rules []PolicyRule`,
  ClusterRole: `
    1 metadata ObjectMeta omitempty
    2 rules []PolicyRule
    3 aggregationRule *AggregationRule omitempty`,
  RoleBinding: `
    1 metadata ObjectMeta omitempty
    2 subjects []Subject omitempty
    3 roleRef RoleRef`,
  PolicyRule: `
    1 verbs []string
    2 apiGroups []string omitempty
    3 resources []string omitempty
    4 resourceNames []string omitempty
    5 nonResourceURLs []string omitempty`,
  AggregationRule: `
    1 clusterRoleSelectors []LabelSelector omitempty`,
  Subject: `
    1 kind string
    2 apiGroup string omitempty
    3 name string
    4 namespace string omitempty`,
  RoleRef: `
    1 apiGroup string
    2 kind string
    3 name string`,
};

// Messages whose layout is another's, field for field.
const ALIASES = {
  EphemeralContainerCommon: 'Container',
  ClusterRoleBinding: 'RoleBinding',
};

// apiVersion/kind -> top-level message.
const KINDS = {
  'v1/Secret': 'Secret',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Namespace': 'Namespace',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Pod': 'Pod',
  'v1/Event': 'Event',
  'v1/Service': 'Service',
  'apps/v1/Deployment': 'Deployment',
  'autoscaling/v1/Scale': 'Scale',
  'policy/v1/Eviction': 'Eviction',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  // v1beta1 has the same layout (its UserInfo is authentication/v1's); kubectl falls back to it.
  'authentication.k8s.io/v1beta1/SelfSubjectReview': 'SelfSubjectReview',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
  // kubectl >= 1.32 creates these as protobuf too (create role|rolebinding|clusterrole|clusterrolebinding).
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
};

// metav1.AddToGroupVersion registers the option kinds into every group version, so a typed client
// sends DeleteOptions as "v1", "apps/v1", "meta.k8s.io/v1", ...
const ANY_VERSION_KINDS = {
  DeleteOptions: 'DeleteOptions',
};

module.exports = { MESSAGES, ALIASES, KINDS, ANY_VERSION_KINDS };
