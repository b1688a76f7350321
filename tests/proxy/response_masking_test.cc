#include "proxy/response_masking.h"

#include <gtest/gtest.h>

namespace kubegate::proxy {
namespace {

k8s::RequestInfo resourceInfo(std::string resource, std::string subresource = "") {
  k8s::RequestInfo info;
  info.isResourceRequest = true;
  info.verb = "get";
  info.apiVersion = "v1";
  info.resource = std::move(resource);
  info.subresource = std::move(subresource);
  return info;
}

std::shared_ptr<const mask::ProfileSet> profiles() {
  mask::ProfileSpec reveal;
  reveal.secretValues = false;
  reveal.lastAppliedConfiguration = false;
  reveal.envNames.clear();
  reveal.configMapKeys.clear();
  reveal.detectors.clear();
  reveal.streams = false;
  return mask::ProfileSet::compile({{"default", mask::ProfileSpec{}}, {"reveal", reveal}});
}

TEST(MaskingAccept, KeepsJsonRangesWithTheirParameters) {
  auto accept = upstreamAccept(
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json");
  ASSERT_TRUE(accept);
  EXPECT_EQ(*accept, "application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, "
                     "application/json");
}

TEST(MaskingAccept, DropsProtobufWhenJsonIsAlsoAccepted) {
  auto accept = upstreamAccept("application/vnd.kubernetes.protobuf, application/json");
  ASSERT_TRUE(accept);
  EXPECT_EQ(*accept, "application/json");
}

TEST(MaskingAccept, NarrowsWildcardsAndEmptyToJson) {
  EXPECT_EQ(*upstreamAccept(""), "application/json");
  EXPECT_EQ(*upstreamAccept("*/*"), "application/json");
  EXPECT_EQ(*upstreamAccept("application/yaml, application/*"), "application/json");
}

TEST(MaskingAccept, RefusesWhatCannotBeMaskedWith406) {
  for (const char* only : {"application/vnd.kubernetes.protobuf", "application/yaml", "application/cbor",
                           "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io"}) {
    auto accept = upstreamAccept(only);
    ASSERT_FALSE(accept) << only;
    EXPECT_EQ(k8s::httpStatus(accept.error().kind), 406u) << only;
  }
}

TEST(MaskingScopeFor, ResourceRequestsGetTheRulesProfileAndTheRecordTheDefault) {
  auto set = profiles();
  policy::Decision allowed;
  allowed.effect = policy::Effect::allow;
  auto scope = maskingFor(set, allowed, resourceInfo("secrets"));
  ASSERT_NE(scope.client, nullptr);
  EXPECT_EQ(scope.client->name(), "default");
  EXPECT_EQ(scope.record, scope.client);

  allowed.maskingProfile = "reveal";
  scope = maskingFor(set, allowed, resourceInfo("secrets"));
  EXPECT_EQ(scope.client, nullptr) << "a profile that reveals everything masks nothing for the client";
  ASSERT_NE(scope.record, nullptr) << "the record is still masked";
  EXPECT_EQ(scope.record->name(), "default");

  k8s::RequestInfo discovery;
  discovery.path = "/apis";
  EXPECT_FALSE(maskingFor(set, allowed, discovery).active());
}

http::fields head(std::string contentType, std::string encoding = "") {
  http::fields f;
  if (!contentType.empty()) f.set(http::field::content_type, contentType);
  if (!encoding.empty()) f.set(http::field::content_encoding, encoding);
  return f;
}

TEST(ResponseMaskerTest, MasksASecretForTheClient) {
  auto set = profiles();
  policy::Decision allowed;
  auto info = resourceInfo("secrets");
  auto masker = ResponseMasker::start(maskingFor(set, allowed, info), info, head("application/json"), true);
  ASSERT_TRUE(masker && *masker);
  const std::string body =
      R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"password":"aHVudGVyMg=="}})";
  ASSERT_TRUE((*masker)->write(std::string_view(body).substr(0, 70)));
  ASSERT_TRUE((*masker)->write(std::string_view(body).substr(70)));
  ASSERT_TRUE((*masker)->finish());
  const auto& out = (*masker)->clientBytes();
  EXPECT_EQ(out.find("aHVudGVyMg=="), std::string::npos) << out;
  EXPECT_NE(out.find(std::string(mask::kMaskedBase64)), std::string::npos) << out;
  EXPECT_EQ((*masker)->recordBytes(), nullptr) << "same profile: the record keeps the client's bytes";
}

TEST(ResponseMaskerTest, ARevealingClientGetsTheValueAndTheRecordDoesNot) {
  auto set = profiles();
  policy::Decision allowed;
  allowed.maskingProfile = "reveal";
  auto info = resourceInfo("secrets");
  auto masker = ResponseMasker::start(maskingFor(set, allowed, info), info, head("application/json"), true);
  ASSERT_TRUE(masker && *masker);
  const std::string body = R"({"kind":"Secret","data":{"password":"aHVudGVyMg=="}})";
  ASSERT_TRUE((*masker)->write(body));
  ASSERT_TRUE((*masker)->finish());
  EXPECT_EQ((*masker)->clientBytes(), body);
  ASSERT_NE((*masker)->recordBytes(), nullptr);
  EXPECT_EQ((*masker)->recordBytes()->find("aHVudGVyMg=="), std::string::npos);
}

TEST(ResponseMaskerTest, RefusesAnswersItCannotRead) {
  auto set = profiles();
  policy::Decision allowed;
  auto info = resourceInfo("secrets");
  auto scope = maskingFor(set, allowed, info);
  auto protobuf = ResponseMasker::start(scope, info, head("application/vnd.kubernetes.protobuf"), true);
  ASSERT_FALSE(protobuf);
  EXPECT_EQ(k8s::httpStatus(protobuf.error().kind), 502u);
  auto gzip = ResponseMasker::start(scope, info, head("application/json", "gzip"), true);
  ASSERT_FALSE(gzip);
  EXPECT_EQ(k8s::httpStatus(gzip.error().kind), 502u);
}

TEST(ResponseMaskerTest, AMalformedBodyFailsInsteadOfPassing) {
  auto set = profiles();
  policy::Decision allowed;
  auto info = resourceInfo("secrets");
  auto masker = ResponseMasker::start(maskingFor(set, allowed, info), info, head("application/json"), false);
  ASSERT_TRUE(masker && *masker);
  const bool ok = (*masker)->write(R"({"data":{"password":"aHVudGVy}]})") && (*masker)->finish();
  EXPECT_FALSE(ok);
  EXPECT_FALSE((*masker)->error().empty());
}

TEST(ResponseMaskerTest, LogsGoThroughTheDetectors) {
  auto set = profiles();
  policy::Decision allowed;
  auto info = resourceInfo("pods", "log");
  auto masker = ResponseMasker::start(maskingFor(set, allowed, info), info, head("text/plain"), false);
  ASSERT_TRUE(masker && *masker);
  ASSERT_TRUE((*masker)->write("starting with key AKIAIOSF"));
  ASSERT_TRUE((*masker)->write("ODNN7EXAMPLE\nready\n"));
  ASSERT_TRUE((*masker)->finish());
  const auto& out = (*masker)->clientBytes();
  EXPECT_EQ(out.find("AKIAIOSF"), std::string::npos) << out;
  EXPECT_NE(out.find("ready\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace kubegate::proxy
