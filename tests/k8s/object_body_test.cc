// The policy must see the object kube-apiserver will apply. Each test feeds a body as a client
// sends it and checks what the policy engine would read, or that the gateway refuses to guess.
#include "k8s/object_body.h"

#include <gtest/gtest.h>


#include <boost/json.hpp>

namespace kubegate::k8s {
namespace {

namespace json = boost::json;

RequestInfo requestFor(std::string_view method, std::string_view path) {
  auto info = classify(method, path, {});
  EXPECT_TRUE(info) << path;
  return *info;
}

const RequestInfo& createPod() {
  static const RequestInfo info = requestFor("POST", "/api/v1/namespaces/d/pods");
  return info;
}

const RequestInfo& patchPod() {
  static const RequestInfo info = requestFor("PATCH", "/api/v1/namespaces/d/pods/web");
  return info;
}

// The value at a dotted path ("spec.containers.0.image"), or nullptr.
const json::value* at(const json::value& root, std::string_view path) {
  const json::value* node = &root;
  while (!path.empty()) {
    const auto dot = path.find('.');
    const std::string part(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (node->is_object()) {
      node = node->get_object().if_contains(part);
    } else if (node->is_array() && std::isdigit(static_cast<unsigned char>(part[0]))) {
      const auto index = std::stoul(part);
      node = index < node->get_array().size() ? &node->get_array()[index] : nullptr;
    } else {
      node = nullptr;
    }
    if (node == nullptr) return nullptr;
  }
  return node;
}

json::value valueAt(const DecodedObject& decoded, std::string_view path) {
  EXPECT_TRUE(decoded.error.empty()) << decoded.error << " at " << path;
  if (!decoded.object) return json::value("<no object>");
  const json::value* found = at(*decoded.object, path);
  return found ? *found : json::value("<absent>");
}

std::string textAt(const DecodedObject& decoded, std::string_view path) {
  const json::value value = valueAt(decoded, path);
  return value.is_string() ? std::string(value.get_string()) : "<not a string: " + json::serialize(value) + ">";
}

constexpr std::string_view kPrivilegedPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"d",
  "labels":{"app":"web"}},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"nginx",
  "securityContext":{"privileged":true,"runAsUser":0}}],"volumes":[{"name":"root","hostPath":{"path":"/"}}]}})";

// ---- which requests carry an object ----

TEST(ObjectBody, OnlyCreateUpdateAndPatchOfResourcesCarryTheObject) {
  EXPECT_TRUE(carriesObject(createPod()));
  EXPECT_TRUE(carriesObject(requestFor("PUT", "/api/v1/namespaces/d/pods/web")));
  EXPECT_TRUE(carriesObject(patchPod()));
  EXPECT_TRUE(carriesObject(requestFor("POST", "/api/v1/namespaces/d/pods/web/eviction")));
  EXPECT_FALSE(carriesObject(requestFor("DELETE", "/api/v1/namespaces/d/pods/web")));
  EXPECT_FALSE(carriesObject(requestFor("GET", "/api/v1/namespaces/d/pods")));
  EXPECT_FALSE(carriesObject(requestFor("POST", "/api/v1/namespaces/d/pods/web/exec")));
  EXPECT_FALSE(carriesObject(requestFor("POST", "/api/v1/namespaces/d/services/s/proxy")));
  EXPECT_FALSE(carriesObject(requestFor("POST", "/version")));
}

TEST(ObjectBody, ADeleteOptionsBodyIsNotTheObject) {
  const auto decoded = decodeRequestObject("application/json", R"({"propagationPolicy":"Background"})",
                                           requestFor("DELETE", "/api/v1/namespaces/d/pods/web"));
  EXPECT_FALSE(decoded.object);
  EXPECT_TRUE(decoded.error.empty());
}

TEST(ObjectBody, AnEmptyBodyIsNoObjectAndNoError) {
  const auto decoded = decodeRequestObject("application/json", "", createPod());
  EXPECT_FALSE(decoded.object);
  EXPECT_TRUE(decoded.error.empty());
}

// ---- JSON ----

TEST(ObjectBodyJson, ShowsThePodFieldsASecurityPolicyReads) {
  const auto decoded = decodeRequestObject("application/json", kPrivilegedPod, createPod());
  EXPECT_EQ(textAt(decoded, "kind"), "Pod");
  EXPECT_EQ(textAt(decoded, "metadata.name"), "web");
  EXPECT_EQ(textAt(decoded, "metadata.labels.app"), "web");
  EXPECT_EQ(valueAt(decoded, "spec.hostNetwork"), true);
  EXPECT_EQ(valueAt(decoded, "spec.containers.0.securityContext.privileged"), true);
  EXPECT_EQ(valueAt(decoded, "spec.containers.0.securityContext.runAsUser"), 0);
  EXPECT_EQ(textAt(decoded, "spec.volumes.0.hostPath.path"), "/");
  EXPECT_FALSE(decoded.metadataOnly);
}

TEST(ObjectBodyJson, ContentTypeIsMatchedAsTheServerParsesIt) {
  EXPECT_TRUE(decodeRequestObject("Application/JSON; charset=utf-8", kPrivilegedPod, createPod()).object);
  EXPECT_TRUE(decodeRequestObject("", kPrivilegedPod, createPod()).object) << "no Content-Type means JSON";
  EXPECT_FALSE(decodeRequestObject("text/plain", kPrivilegedPod, createPod()).error.empty());
  EXPECT_FALSE(decodeRequestObject("application/cbor", kPrivilegedPod, createPod()).error.empty());
}

TEST(ObjectBodyJson, RefusesDuplicateMemberNamesAtAnyDepth) {
  // The server keeps the last "privileged" (or refuses with fieldValidation=Strict); a checker
  // reading the first would let a privileged pod through.
  const auto decoded = decodeRequestObject(
      "application/json",
      R"({"kind":"Pod","spec":{"containers":[{"securityContext":{"privileged":false,"privileged":true}}]}})",
      createPod());
  EXPECT_FALSE(decoded.object);
  EXPECT_NE(decoded.error.find("duplicate"), std::string::npos) << decoded.error;
}

TEST(ObjectBodyJson, MemberNamesAreCaseSensitiveAsInTheServer) {
  const auto decoded = decodeRequestObject("application/json", R"({"spec":{"hostNetwork":false,"HostNetwork":true}})",
                                           createPod());
  EXPECT_EQ(valueAt(decoded, "spec.hostNetwork"), false);
  EXPECT_EQ(valueAt(decoded, "spec.HostNetwork"), true);
}

TEST(ObjectBodyJson, RefusesInvalidUtf8WhichTheServerWouldRewrite) {
  const auto decoded = decodeRequestObject("application/json", "{\"metadata\":{\"name\":\"a\xff\"}}", createPod());
  EXPECT_FALSE(decoded.object);
  EXPECT_FALSE(decoded.error.empty());
  EXPECT_FALSE(decodeRequestObject("application/json", R"({"a":"\ud800"})", createPod()).object)
      << "a lone surrogate escape becomes U+FFFD in Go";
}

TEST(ObjectBodyJson, RefusesNumbersGoCannotRead) {
  EXPECT_FALSE(decodeRequestObject("application/json", R"({"spec":{"priority":1e400}})", createPod()).object);
}

TEST(ObjectBodyJson, IntegersAboveInt64BecomeFloatsAsInTheServer) {
  const auto decoded = decodeRequestObject("application/json", R"({"n":18446744073709551615,"m":-5})", createPod());
  EXPECT_TRUE(valueAt(decoded, "n").is_double());
  EXPECT_EQ(valueAt(decoded, "m"), -5);
}

TEST(ObjectBodyJson, RefusesNonObjectsTrailingContentAndComments) {
  EXPECT_FALSE(decodeRequestObject("application/json", "[1]", createPod()).object);
  EXPECT_FALSE(decodeRequestObject("application/json", "{} {}", createPod()).object);
  EXPECT_FALSE(decodeRequestObject("application/json", "{/*c*/}", createPod()).object);
  EXPECT_FALSE(decodeRequestObject("application/json", "{\"a\":1,}", createPod()).object);
}

TEST(ObjectBodyJson, BoundsNesting) {
  auto nested = [](std::size_t depth) {
    return std::string(depth - 1, '[').insert(0, "{\"a\":") + std::string(depth - 1, ']') + "}";
  };
  EXPECT_TRUE(decodeRequestObject("application/json", nested(kMaxObjectNestingDepth), createPod()).object);
  const auto deep = decodeRequestObject("application/json", nested(kMaxObjectNestingDepth + 1), createPod());
  EXPECT_FALSE(deep.object);
  EXPECT_NE(deep.error.find("deep"), std::string::npos) << deep.error;
}

// ---- patches ----

TEST(ObjectBodyPatch, MergeAndStrategicPatchesAreThePartialObject) {
  const std::string_view patch = R"({"spec":{"containers":[{"name":"c","securityContext":{"privileged":true}}]}})";
  for (std::string_view type : {"application/merge-patch+json", "application/strategic-merge-patch+json",
                                "application/strategic-merge-patch+json; charset=utf-8"}) {
    const auto decoded = decodeRequestObject(type, patch, patchPod());
    EXPECT_EQ(valueAt(decoded, "spec.containers.0.securityContext.privileged"), true) << type;
  }
}

TEST(ObjectBodyPatch, PatchContentTypeIsComparedExactlyAsThePatchHandlerDoes) {
  const std::string_view patch = R"({"spec":{}})";
  EXPECT_FALSE(decodeRequestObject("Application/Merge-Patch+JSON", patch, patchPod()).error.empty());
  EXPECT_FALSE(decodeRequestObject("application/merge-patch+json ; x=y", patch, patchPod()).error.empty());
  EXPECT_FALSE(decodeRequestObject("application/json", patch, patchPod()).error.empty());
}

TEST(ObjectBodyPatch, JsonPatchAddAndReplaceBuildAPartialObject) {
  const auto decoded = decodeRequestObject("application/json-patch+json", R"([
      {"op":"test","path":"/metadata/name","value":"web"},
      {"op":"add","path":"/spec/containers/0/securityContext/privileged","value":true},
      {"op":"replace","path":"/spec/containers/0/image","value":"evil"},
      {"op":"add","path":"/spec/containers/-","value":{"name":"side","image":"busybox"}},
      {"op":"add","path":"/metadata/annotations/a~1b~0c","value":"x"},
      {"op":"remove","path":"/spec/securityContext/runAsNonRoot"}])",
                                           patchPod());
  EXPECT_EQ(valueAt(decoded, "spec.containers.0.securityContext.privileged"), true);
  EXPECT_EQ(textAt(decoded, "spec.containers.0.image"), "evil") << "ops on one index share an element";
  EXPECT_EQ(textAt(decoded, "spec.containers.1.name"), "side");
  EXPECT_EQ(textAt(decoded, "metadata.annotations.a/b~c"), "x");
  EXPECT_TRUE(valueAt(decoded, "spec.securityContext.runAsNonRoot").is_null()) << "a removal reads as null";
  EXPECT_EQ(textAt(decoded, "metadata.name"), "<absent>") << "test operations write nothing";
}

TEST(ObjectBodyPatch, AJsonPatchValueObjectCanCarryTheForbiddenField) {
  const auto decoded = decodeRequestObject(
      "application/json-patch+json",
      R"([{"op":"add","path":"/spec/volumes/0","value":{"name":"r","hostPath":{"path":"/"}}}])", patchPod());
  EXPECT_EQ(textAt(decoded, "spec.volumes.0.hostPath.path"), "/");
}

TEST(ObjectBodyPatch, AJsonPatchThatReplacesTheWholeObjectIsThatObject) {
  const auto decoded = decodeRequestObject("application/json-patch+json",
                                           R"([{"op":"replace","path":"","value":{"spec":{"hostPID":true}}}])", patchPod());
  EXPECT_EQ(valueAt(decoded, "spec.hostPID"), true);
}

TEST(ObjectBodyPatch, RefusesJsonPatchOperationsWhoseValueIsNotInTheRequest) {
  for (std::string_view op : {"move", "copy"}) {
    const std::string patch =
        R"([{"op":")" + std::string(op) + R"(","from":"/metadata/labels/x","path":"/spec/nodeName"}])";
    const auto decoded = decodeRequestObject("application/json-patch+json", patch, patchPod());
    EXPECT_FALSE(decoded.object) << op;
    EXPECT_NE(decoded.error.find(op), std::string::npos) << decoded.error;
  }
}

TEST(ObjectBodyPatch, RefusesMalformedJsonPatches) {
  for (std::string_view patch : {R"({"op":"add"})", R"([{"op":"add","path":"spec","value":1}])",
                                 R"([{"op":"add","path":"/a~2","value":1}])", R"([{"op":"add","path":"/a"}])",
                                 R"([{"op":"frobnicate","path":"/a","value":1}])", R"([{"path":"/a","value":1}])",
                                 R"([{"op":"add","path":"/a","value":1},{"op":"add","path":"/a/b","value":2}])"}) {
    EXPECT_FALSE(decodeRequestObject("application/json-patch+json", patch, patchPod()).error.empty()) << patch;
  }
}

TEST(ObjectBodyPatch, RefusesMoreJsonPatchOperationsThanTheServerAccepts) {
  std::string patch = "[";
  for (std::size_t i = 0; i <= kMaxJsonPatchOperations; ++i) patch += R"({"op":"test","path":"/a","value":1},)";
  patch.back() = ']';
  EXPECT_FALSE(decodeRequestObject("application/json-patch+json", patch, patchPod()).error.empty());
}

// ---- YAML ----

DecodedObject applyYaml(std::string_view yaml) {
  return decodeRequestObject("application/apply-patch+yaml", yaml, patchPod());
}

TEST(ObjectBodyYaml, ServerSideApplyOfKubectlsJsonText) {
  const auto decoded = applyYaml(kPrivilegedPod);
  EXPECT_EQ(valueAt(decoded, "spec.containers.0.securityContext.privileged"), true);
  EXPECT_EQ(textAt(decoded, "spec.volumes.0.hostPath.path"), "/");
}

TEST(ObjectBodyYaml, ResolvesYaml11BooleansAsGoYamlV2Does) {
  const auto decoded = applyYaml(
      "spec:\n  hostNetwork: yes\n  hostPID: On\n  hostIPC: n\n  containers:\n  - name: c\n    securityContext:\n"
      "      privileged: Y\n      runAsUser: 0\n");
  EXPECT_EQ(valueAt(decoded, "spec.hostNetwork"), true);
  EXPECT_EQ(valueAt(decoded, "spec.hostPID"), true);
  EXPECT_EQ(valueAt(decoded, "spec.hostIPC"), false);
  EXPECT_EQ(valueAt(decoded, "spec.containers.0.securityContext.privileged"), true);
  EXPECT_EQ(valueAt(decoded, "spec.containers.0.securityContext.runAsUser"), 0);
}

TEST(ObjectBodyYaml, QuotedAndOtherPlainScalarsStayStrings) {
  const auto decoded = applyYaml("a: \"yes\"\nb: 'on'\nc: yEs\nd: 2001-12-14\ne: 1.2.3\nf: |\n  true\ng: ~\nh: 1e3\ni: -0.5\n");
  EXPECT_EQ(textAt(decoded, "a"), "yes");
  EXPECT_EQ(textAt(decoded, "b"), "on");
  EXPECT_EQ(textAt(decoded, "c"), "yEs");
  EXPECT_EQ(textAt(decoded, "d"), "2001-12-14") << "go-yaml v2 keeps timestamps as the original string";
  EXPECT_EQ(textAt(decoded, "e"), "1.2.3");
  EXPECT_EQ(textAt(decoded, "f"), "true\n");
  EXPECT_TRUE(valueAt(decoded, "g").is_null());
  EXPECT_EQ(valueAt(decoded, "h"), 1000) << "Go writes 1e3 as JSON 1000, read back as an integer";
  EXPECT_EQ(valueAt(decoded, "i"), -0.5);
}

TEST(ObjectBodyYaml, MapKeysBecomeJsonNamesAsSigsYamlConvertsThem) {
  const auto decoded = applyYaml("labels:\n  yes: a\n  1: b\n");
  EXPECT_EQ(textAt(decoded, "labels.true"), "a");
  EXPECT_EQ(textAt(decoded, "labels.1"), "b");
  EXPECT_FALSE(applyYaml("labels:\n  yes: a\n  true: b\n").error.empty()) << "both keys are true";
}

TEST(ObjectBodyYaml, RefusesScalarsWhoseValueDependsOnTheYamlVersion) {
  for (std::string_view yaml : {"runAsUser: 0x1F\n", "runAsUser: 1_000\n", "runAsUser: 0777\n", "runAsUser: 0o17\n",
                                "runAsUser: 0b101\n", "x: .inf\n", "x: .NaN\n", "runAsUser: 99999999999999999999\n"}) {
    const auto decoded = applyYaml(yaml);
    EXPECT_FALSE(decoded.object) << yaml;
    EXPECT_FALSE(decoded.error.empty()) << yaml;
  }
}

TEST(ObjectBodyYaml, RefusesAnchorsAliasesMergeKeysAndTags) {
  for (std::string_view yaml : {"a: &x {privileged: true}\nb: *x\n", "base: &b {a: 1}\nc:\n  <<: *b\n",
                                "a: !!str 1\n", "a: !custom x\n", "a: !!binary aGk=\n"}) {
    EXPECT_FALSE(applyYaml(yaml).error.empty()) << yaml;
  }
}

TEST(ObjectBodyYaml, RefusesDuplicateKeysAndSeveralDocuments) {
  EXPECT_FALSE(applyYaml("spec:\n  hostPID: false\n  hostPID: true\n").error.empty());
  const auto multi = applyYaml("kind: ConfigMap\n---\nkind: Pod\nspec: {hostPID: true}\n");
  EXPECT_FALSE(multi.object) << "go-yaml v2 reads only the first document";
  EXPECT_NE(multi.error.find("more than one document"), std::string::npos) << multi.error;
}

TEST(ObjectBodyYaml, RefusesInvalidInput) {
  EXPECT_FALSE(applyYaml("a: [1, 2\n").error.empty());
  EXPECT_FALSE(applyYaml("a: \"\xff\"\n").error.empty());
  EXPECT_FALSE(applyYaml("a: \"\\ud800\"\n").error.empty());
  EXPECT_FALSE(applyYaml("a: b\x01\n").error.empty());
  EXPECT_FALSE(applyYaml("- 1\n- 2\n").error.empty()) << "an object is required";
  EXPECT_FALSE(applyYaml("[a]: 1\n").error.empty());
}

TEST(ObjectBodyYaml, CreateWithApplicationYaml) {
  const auto decoded = decodeRequestObject("application/yaml", "kind: Pod\nmetadata:\n  name: web\n", createPod());
  EXPECT_EQ(textAt(decoded, "metadata.name"), "web");
}

TEST(ObjectBodyYaml, BoundsNesting) {
  std::string deep = "a: ";
  for (std::size_t i = 0; i < kMaxObjectNestingDepth + 5; ++i) deep += "[";
  EXPECT_FALSE(applyYaml(deep).error.empty());
}

}  // namespace
}  // namespace kubegate::k8s
