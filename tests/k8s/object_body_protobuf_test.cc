// Protobuf bodies: real captures from kubectl 1.33 (tests/k8s/testdata/kubectl133_*.pb, the same
// commands run with kubectl 1.31, which sends JSON, in kubectl131_*.json) and hand-built messages
// whose field numbers are taken from k8s.io/api v0.33.13 generated.proto.
#include "k8s/object_body.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "protobuf_test_writer.h"

namespace kubegate::k8s {
namespace {

namespace json = boost::json;
using testing::bytesField;
using testing::envelope;
using testing::mapEntry;
using testing::varintField;

constexpr std::string_view kProtobuf = "application/vnd.kubernetes.protobuf";

RequestInfo requestFor(std::string_view method, std::string_view path) {
  auto info = classify(method, path, {});
  EXPECT_TRUE(info) << path;
  return *info;
}

std::string readTestdata(std::string_view name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "testdata" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Every non-empty leaf of `expected` (the JSON kubectl 1.31 sent) must be in `actual` with the same
// value: the protobuf form of the same command shows policy everything the JSON form does.
void expectCovers(const json::value& actual, const json::value& expected, const std::string& path = "") {
  if (expected.is_object()) {
    for (const auto& member : expected.get_object()) {
      const json::value& want = member.value();
      const bool empty = want.is_null() || (want.is_string() && want.get_string().empty()) ||
                         (want.is_bool() && !want.get_bool());
      if (empty) continue;
      const json::value* got = actual.is_object() ? actual.get_object().if_contains(member.key()) : nullptr;
      ASSERT_NE(got, nullptr) << "missing " << path << "." << member.key();
      expectCovers(*got, want, path + "." + std::string(member.key()));
    }
    return;
  }
  if (expected.is_array()) {
    ASSERT_TRUE(actual.is_array()) << path;
    ASSERT_EQ(actual.get_array().size(), expected.get_array().size()) << path;
    for (std::size_t i = 0; i < expected.get_array().size(); ++i) {
      expectCovers(actual.get_array()[i], expected.get_array()[i], path + "." + std::to_string(i));
    }
    return;
  }
  EXPECT_EQ(actual, expected) << path;
}

struct Capture {
  std::string_view protobufFile, jsonFile, method, path;
};

TEST(ObjectBodyProtobuf, KubectlCapturesDecodeToWhatTheJsonFormSays) {
  for (const Capture& capture : {
           Capture{"kubectl133_create_secret.pb", "kubectl131_create_secret.json", "POST",
                   "/api/v1/namespaces/default/secrets"},
           Capture{"kubectl133_create_configmap.pb", "kubectl131_create_configmap.json", "POST",
                   "/api/v1/namespaces/default/configmaps"},
           Capture{"kubectl133_create_token.pb", "kubectl131_create_token.json", "POST",
                   "/api/v1/namespaces/default/serviceaccounts/builder/token"},
           Capture{"kubectl133_auth_can_i.pb", "kubectl131_auth_can_i.json", "POST",
                   "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"},
       }) {
    SCOPED_TRACE(capture.protobufFile);
    const auto decoded = decodeRequestObject(kProtobuf, readTestdata(capture.protobufFile),
                                             requestFor(capture.method, capture.path));
    ASSERT_TRUE(decoded.error.empty()) << decoded.error;
    ASSERT_TRUE(decoded.object);
    EXPECT_FALSE(decoded.metadataOnly);
    expectCovers(*decoded.object, json::parse(readTestdata(capture.jsonFile)));
  }
}

TEST(ObjectBodyProtobuf, SecretDataBytesBecomeBase64AsInJson) {
  const auto decoded = decodeRequestObject(kProtobuf, readTestdata("kubectl133_create_secret.pb"),
                                           requestFor("POST", "/api/v1/namespaces/default/secrets"));
  ASSERT_TRUE(decoded.object) << decoded.error;
  const auto& object = decoded.object->get_object();
  EXPECT_EQ(object.at("kind"), "Secret");
  EXPECT_EQ(object.at("metadata").at("name"), "s1");
  EXPECT_EQ(object.at("data").at("password"), "aHVudGVyMg==");  // "hunter2"
}

TEST(ObjectBodyProtobuf, DockerRegistrySecretKeepsItsType) {
  const auto decoded = decodeRequestObject(kProtobuf, readTestdata("kubectl133_create_secret_docker_registry.pb"),
                                           requestFor("POST", "/api/v1/namespaces/default/secrets"));
  ASSERT_TRUE(decoded.object) << decoded.error;
  EXPECT_EQ(decoded.object->at("type"), "kubernetes.io/dockerconfigjson");
  EXPECT_TRUE(decoded.object->at("data").get_object().contains(".dockerconfigjson"));
}

// A Pod with the fields the baseline pack denies, as client-go 1.32+ typed clients send it.
std::string privilegedPodMessage() {
  const std::string metadata = bytesField(1, "web") + bytesField(3, "d") + mapEntry(11, "app", "web");
  const std::string securityContext = varintField(2, 1) + varintField(4, 0) + bytesField(1, bytesField(1, "SYS_ADMIN"));
  const std::string container = bytesField(1, "c") + bytesField(2, "nginx") + bytesField(15, securityContext);
  const std::string ephemeral = bytesField(1, bytesField(1, "debug") + bytesField(2, "busybox") +
                                                  bytesField(15, varintField(2, 1))) +
                                bytesField(2, "c");
  const std::string volume = bytesField(1, "root") + bytesField(2, bytesField(1, bytesField(1, "/")));
  const std::string spec = bytesField(1, volume) + bytesField(2, container) + bytesField(34, ephemeral) +
                           varintField(11, 1) + varintField(12, 1) + bytesField(8, "admin");
  return bytesField(1, metadata) + bytesField(2, spec);
}

TEST(ObjectBodyProtobuf, PodShowsThePodSecurityFields) {
  const auto decoded = decodeRequestObject(kProtobuf, envelope("v1", "Pod", privilegedPodMessage()),
                                           requestFor("POST", "/api/v1/namespaces/d/pods"));
  ASSERT_TRUE(decoded.object) << decoded.error;
  const json::value expected = json::parse(R"({"kind":"Pod","apiVersion":"v1",
    "metadata":{"name":"web","namespace":"d","labels":{"app":"web"}},
    "spec":{"volumes":[{"name":"root","hostPath":{"path":"/"}}],
      "containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true,"runAsUser":0,
        "capabilities":{"add":["SYS_ADMIN"]}}}],
      "ephemeralContainers":[{"name":"debug","image":"busybox","securityContext":{"privileged":true},
        "targetContainerName":"c"}],
      "hostNetwork":true,"hostPID":true,"serviceAccountName":"admin"}})");
  EXPECT_EQ(*decoded.object, expected) << json::serialize(*decoded.object);
}

TEST(ObjectBodyProtobuf, ARepeatedMessageFieldMergesAsTheGeneratedCodeDoes) {
  // Go's Unmarshal merges a second securityContext into the first: privileged stays true.
  const std::string container = bytesField(1, "c") + bytesField(15, varintField(2, 1)) + bytesField(15, varintField(4, 1000));
  const auto decoded = decodeRequestObject(kProtobuf, envelope("v1", "Pod", bytesField(2, bytesField(2, container))),
                                           requestFor("POST", "/api/v1/namespaces/d/pods"));
  ASSERT_TRUE(decoded.object) << decoded.error;
  const auto& securityContext = decoded.object->at("spec").at("containers").at(0).at("securityContext");
  EXPECT_EQ(securityContext.at("privileged"), true);
  EXPECT_EQ(securityContext.at("runAsUser"), 1000);
}

TEST(ObjectBodyProtobuf, ALaterScalarReplacesAnEarlierOne) {
  const std::string spec = varintField(11, 1) + varintField(11, 0) + varintField(12, 0) + varintField(12, 1);
  const auto decoded = decodeRequestObject(kProtobuf, envelope("v1", "Pod", bytesField(2, spec)),
                                           requestFor("POST", "/api/v1/namespaces/d/pods"));
  ASSERT_TRUE(decoded.object) << decoded.error;
  EXPECT_FALSE(decoded.object->at("spec").get_object().contains("hostNetwork"));
  EXPECT_EQ(decoded.object->at("spec").at("hostPID"), true);
}

TEST(ObjectBodyProtobuf, UnknownFieldsAreSkippedByWireType) {
  const std::string metadata = bytesField(1, "web") + varintField(99, 7) + bytesField(98, "x") +
                               std::string("\xF9\x06", 2) + std::string(8, '\0');  // field 111, fixed64
  const auto decoded = decodeRequestObject(kProtobuf, envelope("v1", "Pod", bytesField(1, metadata) + bytesField(50, "?")),
                                           requestFor("POST", "/api/v1/namespaces/d/pods"));
  ASSERT_TRUE(decoded.object) << decoded.error;
  EXPECT_EQ(decoded.object->at("metadata").at("name"), "web");
}

TEST(ObjectBodyProtobuf, OtherKindsDecodeMetadataOnly) {
  const std::string deployment = bytesField(1, bytesField(1, "api") + mapEntry(11, "tier", "prod")) +
                                 bytesField(2, "spec bytes this gateway has no schema for");
  const auto decoded = decodeRequestObject(kProtobuf, envelope("apps/v1", "Deployment", deployment),
                                           requestFor("POST", "/apis/apps/v1/namespaces/d/deployments"));
  ASSERT_TRUE(decoded.object) << decoded.error;
  EXPECT_TRUE(decoded.metadataOnly);
  EXPECT_EQ(decoded.object->at("kind"), "Deployment");
  EXPECT_EQ(decoded.object->at("metadata").at("labels").at("tier"), "prod");
  EXPECT_FALSE(decoded.object->get_object().contains("spec"));
}

TEST(ObjectBodyProtobuf, RefusesAKindThatDoesNotMatchTheEndpoint) {
  const auto decoded = decodeRequestObject(kProtobuf, envelope("v1", "ConfigMap", privilegedPodMessage()),
                                           requestFor("POST", "/api/v1/namespaces/d/pods"));
  EXPECT_FALSE(decoded.object);
  EXPECT_NE(decoded.error.find("does not match"), std::string::npos) << decoded.error;
}

TEST(ObjectBodyProtobuf, AnEmptyEnvelopeKindTakesTheEndpointsKind) {
  const std::string body = std::string("k8s\0", 4) + bytesField(2, privilegedPodMessage());
  const auto decoded = decodeRequestObject(kProtobuf, body, requestFor("POST", "/api/v1/namespaces/d/pods"));
  ASSERT_TRUE(decoded.object) << decoded.error;
  EXPECT_EQ(decoded.object->at("kind"), "Pod");
  EXPECT_EQ(decoded.object->at("spec").at("hostNetwork"), true);
}

TEST(ObjectBodyProtobuf, RefusesMalformedBodies) {
  const auto pods = requestFor("POST", "/api/v1/namespaces/d/pods");
  const std::string wrongWireType = envelope("v1", "Pod", bytesField(2, varintField(2, 5)));  // containers as varint
  const std::string badUtf8 = envelope("v1", "Pod", bytesField(1, bytesField(1, "\xC0\xAF")));
  const std::string encoded = std::string("k8s\0", 4) + bytesField(1, bytesField(1, "v1") + bytesField(2, "Pod")) +
                              bytesField(2, "") + bytesField(3, "gzip");
  const std::string group = envelope("v1", "Pod", std::string("\x0B", 1));
  for (const std::string& body : {std::string("{\"kind\":\"Pod\"}"), wrongWireType, badUtf8, encoded, group}) {
    const auto decoded = decodeRequestObject(kProtobuf, body, pods);
    EXPECT_FALSE(decoded.object);
    EXPECT_FALSE(decoded.error.empty());
  }
}

TEST(ObjectBodyProtobuf, DeeplyNestedUnknownFieldsAreSkippedNotWalked) {
  // The schemas do not recurse, so nesting is bounded by them; bytes nested deeper inside a field
  // the schema does not know are skipped whole.
  std::string nested = varintField(2, 1);
  for (std::size_t i = 0; i < 10000; ++i) nested = bytesField(15, nested);
  const auto decoded = decodeRequestObject(kProtobuf, envelope("v1", "Pod", bytesField(2, bytesField(2, nested))),
                                           requestFor("POST", "/api/v1/namespaces/d/pods"));
  ASSERT_TRUE(decoded.object) << decoded.error;
  EXPECT_TRUE(decoded.object->at("spec").at("containers").at(0).at("securityContext").get_object().empty());
}

TEST(ObjectBodyProtobuf, EveryTruncationIsAnErrorOrAnObjectNeverACrash) {
  const auto pods = requestFor("POST", "/api/v1/namespaces/d/pods");
  const std::string full = envelope("v1", "Pod", privilegedPodMessage());
  std::size_t refused = 0;
  for (std::size_t length = 1; length < full.size(); ++length) {  // 0: no body, no object
    const auto decoded = decodeRequestObject(kProtobuf, std::string_view(full).substr(0, length), pods);
    EXPECT_NE(decoded.object.has_value(), !decoded.error.empty()) << length;
    if (!decoded.object) ++refused;
  }
  EXPECT_GT(refused, full.size() / 2) << "a cut inside a length-delimited field must be refused";
  // The captures too, and every single-byte corruption of one of them.
  for (std::string_view file : {"kubectl133_create_secret.pb", "kubectl133_auth_can_i.pb"}) {
    const std::string capture = readTestdata(file);
    const auto info = requestFor("POST", file.find("secret") != std::string_view::npos
                                             ? "/api/v1/namespaces/default/secrets"
                                             : "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
    for (std::size_t length = 1; length < capture.size(); ++length) {
      const auto decoded = decodeRequestObject(kProtobuf, std::string_view(capture).substr(0, length), info);
      EXPECT_NE(decoded.object.has_value(), !decoded.error.empty());
    }
    for (std::size_t i = 0; i < capture.size(); ++i) {
      for (unsigned char flip : {0x00, 0x80, 0xFF}) {
        std::string corrupt = capture;
        corrupt[i] = static_cast<char>(flip);
        const auto decoded = decodeRequestObject(kProtobuf, corrupt, info);
        EXPECT_NE(decoded.object.has_value(), !decoded.error.empty());
      }
    }
  }
}

}  // namespace
}  // namespace kubegate::k8s
