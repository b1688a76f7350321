#include "k8s/protobuf_schema.h"

#include <array>

namespace kubegate::k8s::proto {
namespace {

using K = FieldKind;

constexpr FieldSpec str(std::uint32_t n, std::string_view name, bool pointer = false) {
  return {n, name, K::string, false, pointer};
}
constexpr FieldSpec strings(std::uint32_t n, std::string_view name) { return {n, name, K::string, true}; }
constexpr FieldSpec boolean(std::uint32_t n, std::string_view name, bool pointer = false) {
  return {n, name, K::boolean, false, pointer};
}
constexpr FieldSpec i64(std::uint32_t n, std::string_view name, bool pointer = false) {
  return {n, name, K::int64, false, pointer};
}
constexpr FieldSpec i32(std::uint32_t n, std::string_view name, bool pointer = false) {
  return {n, name, K::int32, false, pointer};
}
constexpr FieldSpec msg(std::uint32_t n, std::string_view name, const MessageSpec& spec) {
  return {n, name, K::message, false, true, &spec};
}
constexpr FieldSpec msgs(std::uint32_t n, std::string_view name, const MessageSpec& spec) {
  return {n, name, K::message, true, false, &spec};
}
constexpr FieldSpec inlined(std::uint32_t n, const MessageSpec& spec) { return {n, "", K::inlined, false, false, &spec}; }
constexpr FieldSpec of(std::uint32_t n, std::string_view name, FieldKind kind) { return {n, name, kind, false, true}; }

template <std::size_t N>
constexpr MessageSpec spec(std::string_view name, const std::array<FieldSpec, N>& fields) {
  return MessageSpec{name, std::span<const FieldSpec>(fields)};
}

// ---- apimachinery meta/v1, runtime ----
constexpr std::array kOwnerReferenceFields{str(5, "apiVersion"), str(1, "kind"), str(3, "name"), str(4, "uid"),
                                           boolean(6, "controller", true), boolean(7, "blockOwnerDeletion", true)};
constexpr MessageSpec kOwnerReference = spec("OwnerReference", kOwnerReferenceFields);
constexpr std::array kObjectMetaFields{
    str(1, "name"), str(2, "generateName"), str(3, "namespace"), str(4, "selfLink"), str(5, "uid"),
    str(6, "resourceVersion"), i64(7, "generation"), of(8, "creationTimestamp", K::time),
    of(9, "deletionTimestamp", K::time), i64(10, "deletionGracePeriodSeconds", true), of(11, "labels", K::stringMap),
    of(12, "annotations", K::stringMap), msgs(13, "ownerReferences", kOwnerReference), strings(14, "finalizers")};
constexpr MessageSpec kObjectMeta = spec("ObjectMeta", kObjectMetaFields);
constexpr std::array kTypeMetaFields{str(1, "apiVersion"), str(2, "kind")};
constexpr MessageSpec kRuntimeTypeMeta = spec("TypeMeta", kTypeMetaFields);
constexpr std::array kMetadataOnlyFields{msg(1, "metadata", kObjectMeta)};
constexpr MessageSpec kMetadataOnly = spec("object", kMetadataOnlyFields);

// ---- core/v1: Secret, ConfigMap ----
constexpr std::array kSecretFields{msg(1, "metadata", kObjectMeta), boolean(5, "immutable", true),
                                   of(2, "data", K::bytesMap), of(4, "stringData", K::stringMap), str(3, "type")};
constexpr MessageSpec kSecret = spec("Secret", kSecretFields);
constexpr std::array kConfigMapFields{msg(1, "metadata", kObjectMeta), boolean(4, "immutable", true),
                                      of(2, "data", K::stringMap), of(3, "binaryData", K::bytesMap)};
constexpr MessageSpec kConfigMap = spec("ConfigMap", kConfigMapFields);

// ---- core/v1: Pod, the fields a security policy looks at ----
constexpr std::array kLocalObjectReferenceFields{str(1, "name")};
constexpr MessageSpec kLocalObjectReference = spec("LocalObjectReference", kLocalObjectReferenceFields);
constexpr std::array kCapabilitiesFields{strings(1, "add"), strings(2, "drop")};
constexpr MessageSpec kCapabilities = spec("Capabilities", kCapabilitiesFields);
constexpr std::array kSELinuxOptionsFields{str(1, "user"), str(2, "role"), str(3, "type"), str(4, "level")};
constexpr MessageSpec kSELinuxOptions = spec("SELinuxOptions", kSELinuxOptionsFields);
constexpr std::array kProfileFields{str(1, "type"), str(2, "localhostProfile", true)};
constexpr MessageSpec kProfile = spec("SeccompProfile", kProfileFields);
constexpr std::array kSecurityContextFields{
    msg(1, "capabilities", kCapabilities), boolean(2, "privileged", true), msg(3, "seLinuxOptions", kSELinuxOptions),
    i64(4, "runAsUser", true), i64(8, "runAsGroup", true), boolean(5, "runAsNonRoot", true),
    boolean(6, "readOnlyRootFilesystem", true), boolean(7, "allowPrivilegeEscalation", true),
    str(9, "procMount", true), msg(11, "seccompProfile", kProfile), msg(12, "appArmorProfile", kProfile)};
constexpr MessageSpec kSecurityContext = spec("SecurityContext", kSecurityContextFields);
constexpr std::array kSysctlFields{str(1, "name"), str(2, "value")};
constexpr MessageSpec kSysctl = spec("Sysctl", kSysctlFields);
constexpr std::array kPodSecurityContextFields{
    msg(1, "seLinuxOptions", kSELinuxOptions), i64(2, "runAsUser", true), i64(6, "runAsGroup", true),
    boolean(3, "runAsNonRoot", true), FieldSpec{4, "supplementalGroups", K::int64, true},
    str(12, "supplementalGroupsPolicy", true), i64(5, "fsGroup", true), msgs(7, "sysctls", kSysctl),
    str(9, "fsGroupChangePolicy", true), msg(10, "seccompProfile", kProfile), msg(11, "appArmorProfile", kProfile),
    str(13, "seLinuxChangePolicy", true)};
constexpr MessageSpec kPodSecurityContext = spec("PodSecurityContext", kPodSecurityContextFields);
constexpr std::array kContainerPortFields{str(1, "name"), i32(2, "hostPort"), i32(3, "containerPort"),
                                          str(4, "protocol"), str(5, "hostIP")};
constexpr MessageSpec kContainerPort = spec("ContainerPort", kContainerPortFields);
constexpr std::array kKeySelectorFields{inlined(1, kLocalObjectReference), str(2, "key"), boolean(3, "optional", true)};
constexpr MessageSpec kKeySelector = spec("KeySelector", kKeySelectorFields);
constexpr std::array kObjectFieldSelectorFields{str(1, "apiVersion"), str(2, "fieldPath")};
constexpr MessageSpec kObjectFieldSelector = spec("ObjectFieldSelector", kObjectFieldSelectorFields);
constexpr std::array kEnvVarSourceFields{msg(1, "fieldRef", kObjectFieldSelector), msg(3, "configMapKeyRef", kKeySelector),
                                         msg(4, "secretKeyRef", kKeySelector)};
constexpr MessageSpec kEnvVarSource = spec("EnvVarSource", kEnvVarSourceFields);
constexpr std::array kEnvVarFields{str(1, "name"), str(2, "value"), msg(3, "valueFrom", kEnvVarSource)};
constexpr MessageSpec kEnvVar = spec("EnvVar", kEnvVarFields);
constexpr std::array kResourceRequirementsFields{of(1, "limits", K::quantityMap), of(2, "requests", K::quantityMap)};
constexpr MessageSpec kResourceRequirements = spec("ResourceRequirements", kResourceRequirementsFields);
constexpr std::array kVolumeMountFields{str(1, "name"), boolean(2, "readOnly"), str(7, "recursiveReadOnly", true),
                                        str(3, "mountPath"), str(4, "subPath"), str(5, "mountPropagation", true),
                                        str(6, "subPathExpr")};
constexpr MessageSpec kVolumeMount = spec("VolumeMount", kVolumeMountFields);
// Container and EphemeralContainerCommon share their field numbers.
constexpr std::array kContainerFields{
    str(1, "name"), str(2, "image"), strings(3, "command"), strings(4, "args"), str(5, "workingDir"),
    msgs(6, "ports", kContainerPort), msgs(7, "env", kEnvVar), msg(8, "resources", kResourceRequirements),
    str(24, "restartPolicy", true), msgs(9, "volumeMounts", kVolumeMount), str(14, "imagePullPolicy"),
    msg(15, "securityContext", kSecurityContext), boolean(16, "stdin"), boolean(17, "stdinOnce"), boolean(18, "tty")};
constexpr MessageSpec kContainer = spec("Container", kContainerFields);
constexpr std::array kEphemeralContainerFields{inlined(1, kContainer), str(2, "targetContainerName")};
constexpr MessageSpec kEphemeralContainer = spec("EphemeralContainer", kEphemeralContainerFields);
constexpr std::array kHostPathFields{str(1, "path"), str(2, "type", true)};
constexpr MessageSpec kHostPath = spec("HostPathVolumeSource", kHostPathFields);
constexpr std::array kEmptyDirFields{str(1, "medium"), of(2, "sizeLimit", K::quantity)};
constexpr MessageSpec kEmptyDir = spec("EmptyDirVolumeSource", kEmptyDirFields);
constexpr std::array kSecretVolumeFields{str(1, "secretName"), i32(3, "defaultMode", true), boolean(4, "optional", true)};
constexpr MessageSpec kSecretVolume = spec("SecretVolumeSource", kSecretVolumeFields);
constexpr std::array kConfigMapVolumeFields{inlined(1, kLocalObjectReference), i32(3, "defaultMode", true),
                                            boolean(4, "optional", true)};
constexpr MessageSpec kConfigMapVolume = spec("ConfigMapVolumeSource", kConfigMapVolumeFields);
constexpr std::array kClaimVolumeFields{str(1, "claimName"), boolean(2, "readOnly")};
constexpr MessageSpec kClaimVolume = spec("PersistentVolumeClaimVolumeSource", kClaimVolumeFields);
constexpr std::array kVolumeSourceFields{msg(1, "hostPath", kHostPath), msg(2, "emptyDir", kEmptyDir),
                                         msg(6, "secret", kSecretVolume), msg(10, "persistentVolumeClaim", kClaimVolume),
                                         msg(19, "configMap", kConfigMapVolume)};
constexpr MessageSpec kVolumeSource = spec("VolumeSource", kVolumeSourceFields);
constexpr std::array kVolumeFields{str(1, "name"), inlined(2, kVolumeSource)};
constexpr MessageSpec kVolume = spec("Volume", kVolumeFields);
constexpr std::array kTolerationFields{str(1, "key"), str(2, "operator"), str(3, "value"), str(4, "effect"),
                                       i64(5, "tolerationSeconds", true)};
constexpr MessageSpec kToleration = spec("Toleration", kTolerationFields);
constexpr std::array kPodSpecFields{
    msgs(1, "volumes", kVolume), msgs(20, "initContainers", kContainer), msgs(2, "containers", kContainer),
    msgs(34, "ephemeralContainers", kEphemeralContainer), str(3, "restartPolicy"),
    i64(4, "terminationGracePeriodSeconds", true), i64(5, "activeDeadlineSeconds", true), str(6, "dnsPolicy"),
    of(7, "nodeSelector", K::stringMap), str(8, "serviceAccountName"), str(9, "serviceAccount"),
    boolean(21, "automountServiceAccountToken", true), str(10, "nodeName"), boolean(11, "hostNetwork"),
    boolean(12, "hostPID"), boolean(13, "hostIPC"), boolean(27, "shareProcessNamespace", true),
    msg(14, "securityContext", kPodSecurityContext), msgs(15, "imagePullSecrets", kLocalObjectReference),
    str(16, "hostname"), str(17, "subdomain"), str(19, "schedulerName"), msgs(22, "tolerations", kToleration),
    str(24, "priorityClassName"), i32(25, "priority", true), str(29, "runtimeClassName", true),
    boolean(30, "enableServiceLinks", true), str(31, "preemptionPolicy", true), boolean(35, "setHostnameAsFQDN", true),
    boolean(37, "hostUsers", true)};
constexpr MessageSpec kPodSpec = spec("PodSpec", kPodSpecFields);
constexpr std::array kPodFields{msg(1, "metadata", kObjectMeta), msg(2, "spec", kPodSpec)};
constexpr MessageSpec kPod = spec("Pod", kPodFields);

// ---- authentication/v1 TokenRequest ----
constexpr std::array kBoundObjectReferenceFields{str(1, "kind"), str(2, "apiVersion"), str(3, "name"), str(4, "uid")};
constexpr MessageSpec kBoundObjectReference = spec("BoundObjectReference", kBoundObjectReferenceFields);
constexpr std::array kTokenRequestSpecFields{strings(1, "audiences"), i64(4, "expirationSeconds", true),
                                             msg(3, "boundObjectRef", kBoundObjectReference)};
constexpr MessageSpec kTokenRequestSpec = spec("TokenRequestSpec", kTokenRequestSpecFields);
constexpr std::array kTokenRequestStatusFields{str(1, "token"), of(2, "expirationTimestamp", K::time)};
constexpr MessageSpec kTokenRequestStatus = spec("TokenRequestStatus", kTokenRequestStatusFields);
constexpr std::array kTokenRequestFields{msg(1, "metadata", kObjectMeta), msg(2, "spec", kTokenRequestSpec),
                                         msg(3, "status", kTokenRequestStatus)};
constexpr MessageSpec kTokenRequest = spec("TokenRequest", kTokenRequestFields);

// ---- authorization/v1 access reviews ----
constexpr std::array kResourceAttributesFields{str(1, "namespace"), str(2, "verb"), str(3, "group"),
                                               str(4, "version"), str(5, "resource"), str(6, "subresource"),
                                               str(7, "name")};
constexpr MessageSpec kResourceAttributes = spec("ResourceAttributes", kResourceAttributesFields);
constexpr std::array kNonResourceAttributesFields{str(1, "path"), str(2, "verb")};
constexpr MessageSpec kNonResourceAttributes = spec("NonResourceAttributes", kNonResourceAttributesFields);
constexpr std::array kSelfReviewSpecFields{msg(1, "resourceAttributes", kResourceAttributes),
                                           msg(2, "nonResourceAttributes", kNonResourceAttributes)};
constexpr MessageSpec kSelfReviewSpec = spec("SelfSubjectAccessReviewSpec", kSelfReviewSpecFields);
constexpr std::array kReviewSpecFields{msg(1, "resourceAttributes", kResourceAttributes),
                                       msg(2, "nonResourceAttributes", kNonResourceAttributes), str(3, "user"),
                                       strings(4, "groups"), of(5, "extra", K::extraMap), str(6, "uid")};
constexpr MessageSpec kReviewSpec = spec("SubjectAccessReviewSpec", kReviewSpecFields);
constexpr std::array kReviewStatusFields{boolean(1, "allowed"), boolean(4, "denied"), str(2, "reason"),
                                         str(3, "evaluationError")};
constexpr MessageSpec kReviewStatus = spec("SubjectAccessReviewStatus", kReviewStatusFields);
constexpr std::array kSelfReviewFields{msg(1, "metadata", kObjectMeta), msg(2, "spec", kSelfReviewSpec),
                                       msg(3, "status", kReviewStatus)};
constexpr MessageSpec kSelfReview = spec("SelfSubjectAccessReview", kSelfReviewFields);
constexpr std::array kReviewFields{msg(1, "metadata", kObjectMeta), msg(2, "spec", kReviewSpec),
                                   msg(3, "status", kReviewStatus)};
constexpr MessageSpec kReview = spec("SubjectAccessReview", kReviewFields);

struct KindSchema {
  std::string_view apiVersion, kind, resource, subresource;
  const MessageSpec* schema;
};

constexpr std::array kKinds{
    KindSchema{"v1", "Pod", "pods", "", &kPod},
    KindSchema{"v1", "Pod", "pods", "ephemeralcontainers", &kPod},
    KindSchema{"v1", "Secret", "secrets", "", &kSecret},
    KindSchema{"v1", "ConfigMap", "configmaps", "", &kConfigMap},
    KindSchema{"authentication.k8s.io/v1", "TokenRequest", "serviceaccounts", "token", &kTokenRequest},
    KindSchema{"authorization.k8s.io/v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", "", &kSelfReview},
    KindSchema{"authorization.k8s.io/v1", "SubjectAccessReview", "subjectaccessreviews", "", &kReview},
    KindSchema{"authorization.k8s.io/v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", "", &kReview},
};

}  // namespace

const MessageSpec* schemaFor(std::string_view apiVersion, std::string_view kind) {
  for (const KindSchema& entry : kKinds) {
    if (entry.apiVersion == apiVersion && entry.kind == kind) return entry.schema;
  }
  return nullptr;
}

const MessageSpec& metadataOnlyObject() { return kMetadataOnly; }
const MessageSpec& runtimeTypeMeta() { return kRuntimeTypeMeta; }

std::optional<ExpectedKind> expectedKind(const RequestInfo& info) {
  // Endpoints live at the group-version of their kind except serviceaccounts/token (core/v1 path,
  // authentication.k8s.io/v1 body).
  const bool core = info.apiGroup.empty() && info.apiVersion == "v1";
  const bool authorization = info.apiGroup == "authorization.k8s.io" && info.apiVersion == "v1";
  if (!core && !authorization) return std::nullopt;
  for (const KindSchema& entry : kKinds) {
    const bool entryIsAuthorization = entry.apiVersion == "authorization.k8s.io/v1";
    if (entryIsAuthorization != authorization) continue;
    if (entry.resource == info.resource && entry.subresource == info.subresource) {
      return ExpectedKind{entry.apiVersion, entry.kind};
    }
  }
  return std::nullopt;
}

}  // namespace kubegate::k8s::proto
