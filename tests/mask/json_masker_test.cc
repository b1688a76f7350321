// The streaming JSON masker on the bodies kube-apiserver sends: secrets as an object, a list, watch
// events and Table rows; env literals, kubectl's last-applied annotation, ConfigMap keys, Helm
// release storage and TokenRequest; and the same output however the body is cut into pieces.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mask/json_masker.h"
#include "mask/profile.h"

namespace kubegate::mask {
namespace {

namespace json = boost::json;

constexpr MaskTarget kSecrets{"", "secrets", ""};
constexpr MaskTarget kPods{"", "pods", ""};
constexpr MaskTarget kConfigMaps{"", "configmaps", ""};
constexpr MaskTarget kTokenRequest{"", "serviceaccounts", "token"};

const Profile& profileWith(const ProfileSpec& spec) {
  // Kept alive for the whole test binary: Profiles are referenced, not owned, by maskers.
  static std::vector<std::shared_ptr<const ProfileSet>> sets;
  sets.push_back(ProfileSet::compile({{"default", spec}}));
  return sets.back()->defaultProfile();
}

const Profile& safeDefault() {
  static const Profile& profile = profileWith(ProfileSpec{});
  return profile;
}

std::string maskInPieces(const Profile& profile, MaskTarget target, std::string_view body, std::size_t pieceSize) {
  JsonMasker masker(profile, target);
  std::string out;
  for (std::size_t at = 0; at < body.size(); at += pieceSize) {
    EXPECT_TRUE(masker.write(body.substr(at, pieceSize), out)) << masker.error();
  }
  EXPECT_TRUE(masker.finish(out)) << masker.error();
  return out;
}

std::string mask(const Profile& profile, MaskTarget target, std::string_view body) {
  return maskInPieces(profile, target, body, body.size() + 1);
}

std::string mask(MaskTarget target, std::string_view body) { return mask(safeDefault(), target, body); }

// Strict padded base64, decoded here so the test needs no crypto library: a typed client must be
// able to decode what replaces Secret data.
std::optional<std::string> decodeBase64(std::string_view text) {
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string bytes;
  std::uint32_t bits = 0;
  int bitCount = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      if (i + 2 < text.size() || (i + 1 < text.size() && text[i + 1] != '=')) {
        return std::nullopt;
      }
      break;
    }
    const auto value = kAlphabet.find(text[i]);
    if (value == std::string_view::npos) {
      return std::nullopt;
    }
    bits = bits << 6 | static_cast<std::uint32_t>(value);
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      bytes += static_cast<char>(bits >> bitCount & 0xFF);
    }
  }
  return bytes;
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string errorOf(const Profile& profile, MaskTarget target, std::string_view body) {
  JsonMasker masker(profile, target);
  std::string out;
  if (masker.write(body, out) && masker.finish(out)) {
    return {};
  }
  EXPECT_FALSE(masker.error().empty());
  return masker.error().empty() ? "(no message)" : masker.error();
}

constexpr std::string_view kSecret =
    R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","namespace":"shop","uid":"0b9c",)"
    R"("labels":{"app":"db"},"managedFields":[{"manager":"kubectl","fieldsV1":{"f:data":{".":{},"f:password":{}}}}]},)"
    R"("data":{"password":"aHVudGVyMg==","user":"YWRtaW4=","tls.key":"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t"},)"
    R"("stringData":{"note":"plain \"quoted\" text"},"type":"Opaque"})";

const std::string kSecretMasked =
    R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","namespace":"shop","uid":"0b9c",)"
    R"("labels":{"app":"db"},"managedFields":[{"manager":"kubectl","fieldsV1":{"f:data":{".":{},"f:password":{}}}}]},)"
    R"("data":{"password":"a3ViZWdhdGU6bWFza2Vk","user":"a3ViZWdhdGU6bWFza2Vk","tls.key":"a3ViZWdhdGU6bWFza2Vk"},)"
    R"("stringData":{"note":"kubegate:masked"},"type":"Opaque"})";

TEST(MaskJsonSecret, GetMasksEveryDataValueAndLeavesEverythingElseByteIdentical) {
  JsonMasker masker(safeDefault(), kSecrets);
  std::string out;
  ASSERT_TRUE(masker.write(kSecret, out));
  ASSERT_TRUE(masker.finish(out));
  EXPECT_EQ(out, kSecretMasked);
  EXPECT_EQ(masker.maskedValues(), 4u);
  const json::object secret = json::parse(out).as_object();
  for (const auto& [key, value] : secret.at("data").as_object()) {
    EXPECT_EQ(decodeBase64(value.as_string()), std::optional<std::string>(kMaskedText)) << key;
  }
}

TEST(MaskJsonSecret, ListMasksEveryItem) {
  const std::string list = std::string(R"({"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"7"},)") +
                           R"("items":[)" + std::string(kSecret) + "," + std::string(kSecret) + "]}";
  const std::string expected = std::string(R"({"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"7"},)") +
                               R"("items":[)" + kSecretMasked + "," + kSecretMasked + "]}";
  EXPECT_EQ(mask(kSecrets, list), expected);
  EXPECT_NO_THROW(json::parse(expected));
}

TEST(MaskJsonSecret, WatchEventsAreMaskedOneByOne) {
  const std::string events = R"({"type":"ADDED","object":)" + std::string(kSecret) + "}\n" +
                             R"({"type":"BOOKMARK","object":{"kind":"Secret","metadata":{"resourceVersion":"9"}}})" + "\n" +
                             R"({"type":"MODIFIED","object":)" + std::string(kSecret) + "}\n";
  const std::string out = mask(kSecrets, events);
  EXPECT_EQ(out, replaceAll(events, kSecret, kSecretMasked));
  json::stream_parser parser;
  std::size_t parsed = 0;
  for (std::size_t begin = 0, end; (end = out.find('\n', begin)) != std::string::npos; begin = end + 1) {
    EXPECT_NO_THROW(json::parse(std::string_view(out).substr(begin, end - begin)));
    ++parsed;
  }
  EXPECT_EQ(parsed, 3u);
  EXPECT_EQ(maskInPieces(safeDefault(), kSecrets, events, 1), out);
}

TEST(MaskJsonSecret, TableRowObjectsAreMaskedAndCellsKept) {
  const std::string table =
      R"({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"3"},)"
      R"("columnDefinitions":[{"name":"Name","type":"string","format":"name","description":"","priority":0}],)"
      R"("rows":[{"cells":["db","Opaque",3,"5m"],"object":)" + std::string(kSecret) + "}]}";
  EXPECT_EQ(mask(kSecrets, table), replaceAll(table, kSecret, kSecretMasked));
}

TEST(MaskJsonSecret, NullDataStaysNullAndOtherShapesAreMaskedWhole) {
  EXPECT_EQ(mask(kSecrets, R"({"data":{"a":null,"b":12,"c":{"x":["y"]},"d":[1,{"z":"w"}],"e":true}})"),
            R"({"data":{"a":null,"b":"a3ViZWdhdGU6bWFza2Vk","c":"a3ViZWdhdGU6bWFza2Vk","d":"a3ViZWdhdGU6bWFza2Vk",)"
            R"("e":"a3ViZWdhdGU6bWFza2Vk"}})");
  EXPECT_EQ(mask(kSecrets, R"({"data":null,"stringData":{}})"), R"({"data":null,"stringData":{}})");
}

TEST(MaskJsonSecret, SecretValuesOffPassesDataThrough) {
  ProfileSpec spec;
  spec.secretValues = false;
  EXPECT_EQ(mask(profileWith(spec), kSecrets, kSecret), kSecret);
}

TEST(MaskJsonSecret, AProfileRevealingEverythingChangesNothing) {
  ProfileSpec spec;
  spec.secretValues = false;
  spec.lastAppliedConfiguration = false;
  spec.envNames.clear();
  spec.configMapKeys.clear();
  spec.detectors.clear();
  const Profile& reveal = profileWith(spec);
  ASSERT_TRUE(reveal.revealsEverything());
  EXPECT_EQ(maskInPieces(reveal, kSecrets, kSecret, 3), kSecret);
}

TEST(MaskJsonSecret, OnlyTheSecretsResourceHasItsDataMasked) {
  EXPECT_EQ(mask(kPods, kSecret), kSecret);
}

TEST(MaskJsonStatus, PassesThroughExceptWhatDetectorsFind) {
  const std::string status =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
      R"("message":"secrets \"db\" not found","reason":"NotFound","details":{"name":"db","kind":"secrets"},"code":404})";
  EXPECT_EQ(mask(kSecrets, status), status);
  const std::string leaky = replaceAll(status, R"(\"db\" not found)", "key AKIAIOSFODNN7EXAMPLE rejected");
  EXPECT_EQ(mask(kSecrets, leaky), replaceAll(status, R"(\"db\" not found)", "key kubegate:masked rejected"));
}

TEST(MaskJsonSplits, EverySplitPointGivesTheWholeBodysOutput) {
  const std::string body = std::string(kSecret).insert(kSecret.rfind('}'),
      R"(,"x":[1.5e-3,-0,true,false,null,"\u00e9\n",{"AKIA":"AKIAIOSFODNN7EXAMPLE"}])");
  const std::string whole = mask(kSecrets, body);
  ASSERT_NE(whole.find("kubegate:masked"), std::string::npos);
  for (std::size_t split = 0; split <= body.size(); ++split) {
    JsonMasker masker(safeDefault(), kSecrets);
    std::string out;
    ASSERT_TRUE(masker.write(std::string_view(body).substr(0, split), out)) << split;
    ASSERT_TRUE(masker.write(std::string_view(body).substr(split), out)) << split;
    ASSERT_TRUE(masker.finish(out)) << split;
    ASSERT_EQ(out, whole) << "split at " << split;
  }
  for (std::size_t pieceSize : {1, 2, 3, 7, 16, 33}) {
    EXPECT_EQ(maskInPieces(safeDefault(), kSecrets, body, pieceSize), whole) << pieceSize;
  }
}

TEST(MaskJsonSplits, NothingOfAHeldValueIsWrittenBeforeItCloses) {
  JsonMasker masker(safeDefault(), kPods);
  std::string out;
  ASSERT_TRUE(masker.write(R"({"metadata":{"annotations":{"note":"key AKIAIOSF)", out));
  EXPECT_EQ(out, R"({"metadata":{"annotations":{"note":)");
  ASSERT_TRUE(masker.write(R"(ODNN7EXAMPLE"}}})", out));
  ASSERT_TRUE(masker.finish(out));
  EXPECT_EQ(out, R"({"metadata":{"annotations":{"note":"key kubegate:masked"}}})");
}

constexpr std::string_view kPod =
    R"({"kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"web","image":"web:1",)"
    R"("env":[{"name":"DB_PASSWORD","value":"hunter2"},{"value":"s3cr3t","name":"api_token"},)"
    R"({"name":"MODE","value":"production"},{"name":"DB_SECRET","valueFrom":{"secretKeyRef":{"name":"db","key":"k"}}}]}]}})";

TEST(MaskJsonEnv, LiteralValueIsMaskedWhicheverOrderNameAndValueCome) {
  const std::string out = mask(kPods, kPod);
  EXPECT_EQ(out, replaceAll(replaceAll(std::string(kPod), R"("hunter2")", R"("kubegate:masked")"), R"("s3cr3t")",
                            R"("kubegate:masked")"));
  EXPECT_NO_THROW(json::parse(out));
  EXPECT_EQ(maskInPieces(safeDefault(), kPods, kPod, 1), out);
}

TEST(MaskJsonEnv, WorksInWorkloadTemplatesAndInitContainers) {
  const std::string deployment =
      R"({"kind":"Deployment","spec":{"template":{"spec":{"initContainers":[{"env":[)"
      R"({"name":"MIGRATE_PASSWD","value":"pw"},{"name":"LOG","value":"debug"}]}]}}}})";
  EXPECT_EQ(mask(kPods, deployment), replaceAll(deployment, R"("pw")", R"("kubegate:masked")"));
}

TEST(MaskJsonEnv, NameListFromTheProfileDecides) {
  ProfileSpec spec;
  spec.envNames = {"MODE"};
  spec.detectors.clear();  // values then stream through unread, and are still replaced
  const std::string expected = replaceAll(std::string(kPod), R"("production")", R"("kubegate:masked")");
  EXPECT_EQ(mask(profileWith(spec), kPods, kPod), expected);
  EXPECT_EQ(maskInPieces(profileWith(spec), kPods, kPod, 1), expected);
}

std::string secretWithLastApplied(std::string_view embeddedJsonString) {
  return std::string(R"({"kind":"Secret","metadata":{"name":"db","annotations":{)") +
         R"("kubectl.kubernetes.io/last-applied-configuration":")" + std::string(embeddedJsonString) +
         R"("}},"data":{"password":"aHVudGVyMg=="}})";
}

TEST(MaskJsonLastApplied, EmbeddedSecretIsMaskedAndStaysAJsonStringOfJson) {
  const std::string body = secretWithLastApplied(
      R"({\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"annotations\":{},\"name\":\"db\"},)"
      R"(\"stringData\":{\"password\":\"hunter2\"},\"data\":{\"user\":\"YWRtaW4=\"}}\n)");
  const std::string out = mask(kSecrets, body);
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
  EXPECT_EQ(out.find("YWRtaW4="), std::string::npos);
  const json::value parsed = json::parse(out);
  const json::string& embedded =
      parsed.at("metadata").at("annotations").at("kubectl.kubernetes.io/last-applied-configuration").as_string();
  const json::value inner = json::parse(embedded);
  EXPECT_EQ(inner.at("stringData").at("password").as_string(), kMaskedText);
  EXPECT_EQ(inner.at("data").at("user").as_string(), kMaskedBase64);
  EXPECT_EQ(inner.at("metadata").at("name").as_string(), "db");
  EXPECT_EQ(parsed.at("data").at("password").as_string(), kMaskedBase64);
}

TEST(MaskJsonLastApplied, EmbeddedPodEnvIsMaskedAndUnchangedDocumentsKeepTheirBytes) {
  const std::string pod = std::string(R"({"kind":"Pod","metadata":{"annotations":{)") +
                          R"("kubectl.kubernetes.io/last-applied-configuration":")" +
                          R"({\"spec\":{\"containers\":[{\"env\":[{\"name\":\"TOKEN\",\"value\":\"t0k\"}]}]}}\n"}}})";
  EXPECT_EQ(mask(kPods, pod), replaceAll(pod, R"(\"t0k\")", R"(\"kubegate:masked\")"));
  const std::string harmless = replaceAll(pod, "TOKEN", "MODE");
  EXPECT_EQ(mask(kPods, harmless), harmless);
}

TEST(MaskJsonLastApplied, MaskedInTableRowsOfObjectMetadata) {
  const std::string table =
      R"({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{},"columnDefinitions":[],"rows":[{"cells":["db"],)"
      R"("object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"db","annotations":{)"
      R"("kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}}}}]})";
  EXPECT_EQ(mask(kSecrets, table), replaceAll(table, "aHVudGVyMg==", "a3ViZWdhdGU6bWFza2Vk"));
}

TEST(MaskJsonLastApplied, TextThatIsNotJsonIsReplacedWhole) {
  const std::string body = secretWithLastApplied(R"({\"stringData\":{\"password\":\"hunter2\")");
  const std::string out = mask(kSecrets, body);
  EXPECT_EQ(json::parse(out).at("metadata").at("annotations").at("kubectl.kubernetes.io/last-applied-configuration").as_string(),
            kMaskedText);
}

TEST(MaskJsonLastApplied, ProfileCanLeaveItAlone) {
  ProfileSpec spec;
  spec.lastAppliedConfiguration = false;
  spec.detectors.clear();  // the password-pair detector would find the value in the text otherwise
  const std::string body = secretWithLastApplied(R"({\"stringData\":{\"password\":\"hunter2\"}})");
  EXPECT_NE(mask(profileWith(spec), kSecrets, body).find("hunter2"), std::string::npos);
}

TEST(MaskJsonConfigMap, KeysTheProfileNamesAreMasked) {
  const std::string configMap =
      R"({"kind":"ConfigMap","metadata":{"name":"web"},"data":{"db_password":"pw","app.properties":"x=1",)"
      R"("server.key":"KEY","Api_Token_File":"t"},"binaryData":{"tls.pem":"AAEC","logo.png":"iVBO"}})";
  EXPECT_EQ(mask(kConfigMaps, configMap),
            R"({"kind":"ConfigMap","metadata":{"name":"web"},"data":{"db_password":"kubegate:masked","app.properties":"x=1",)"
            R"("server.key":"kubegate:masked","Api_Token_File":"kubegate:masked"},)"
            R"("binaryData":{"tls.pem":"a3ViZWdhdGU6bWFza2Vk","logo.png":"iVBO"}})");
  EXPECT_EQ(mask(kPods, configMap), configMap);  // the request's resource decides, not the body
}

TEST(MaskJsonConfigMap, HelmReleaseStorageIsMasked) {
  const std::string byName =
      R"({"kind":"ConfigMap","metadata":{"name":"sh.helm.release.v1.shop.v3"},"data":{"release":"H4sIAAAA"}})";
  EXPECT_EQ(mask(kConfigMaps, byName), replaceAll(byName, "H4sIAAAA", "kubegate:masked"));
  const std::string byLabel =
      R"({"items":[{"metadata":{"name":"shop.v3","labels":{"name":"shop","owner":"helm"}},"data":{"release":"H4s"}},)"
      R"({"metadata":{"name":"other"},"data":{"release":"v1.2"}}]})";
  EXPECT_EQ(mask(kConfigMaps, byLabel), replaceAll(byLabel, "H4s\"", "kubegate:masked\""));
}

TEST(MaskJsonToken, TokenRequestStatusTokenIsMasked) {
  const std::string tokenRequest =
      R"({"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","metadata":{"name":"builder"},)"
      R"("spec":{"audiences":["https://kubernetes.default.svc"],"expirationSeconds":3600},)"
      R"("status":{"token":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln","expirationTimestamp":"2026-11-29T18:00:00Z"}})";
  EXPECT_EQ(mask(kTokenRequest, tokenRequest), replaceAll(tokenRequest, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "kubegate:masked"));
  EXPECT_EQ(mask(MaskTarget{"", "serviceaccounts", ""}, tokenRequest), tokenRequest);
}

TEST(MaskJsonDetectors, FindAnAwsKeyInAPodAnnotationButNotInKeys) {
  const std::string pod =
      R"({"kind":"Pod","metadata":{"name":"web","annotations":{"AKIAIOSFODNN7EXAMPLE":"aws AKIAIOSFODNN7EXAMPLE\n"}}})";
  JsonMasker masker(safeDefault(), kPods);
  std::string out;
  ASSERT_TRUE(masker.write(pod, out) && masker.finish(out));
  EXPECT_EQ(out, R"({"kind":"Pod","metadata":{"name":"web","annotations":{"AKIAIOSFODNN7EXAMPLE":"aws kubegate:masked\n"}}})");
  EXPECT_EQ(masker.maskedValues(), 1u);
}

TEST(MaskJsonDetectors, StringsWithEscapesKeepThemWhenNothingIsFound) {
  const std::string pod = R"({"a":"\u003cb\u003e \"q\" \\ \/ \ud83d\ude00","b":["\t",""]})";
  EXPECT_EQ(mask(kPods, pod), pod);
  EXPECT_EQ(mask(kPods, R"({"a":"\u0041KIAIOSFODNN7EXAMPLE\t!"})"), R"({"a":"kubegate:masked\t!"})");
}

TEST(MaskJsonMalformed, BrokenBodiesFailTheStream) {
  for (const char* body : {R"({"a":1)", R"({"a":1}})", R"([1,2})", R"({"a" 1})", R"({"a":tru})", R"({"a":nul1})",
                           "{\"a\":\"x\ty\"}", R"({"a":01})", R"({"a":-})", R"({"a":1.})", R"({"a":1e})", R"({"a":"\x"})",
                           R"({"a":"\u12g4"})", R"({,})", R"({"a":1,})", R"(["a" "b"])", R"({"a":"open)", "}", "@"}) {
    EXPECT_NE(errorOf(safeDefault(), kPods, body), "") << body;
  }
}

TEST(MaskJsonMalformed, OneDocumentMeansExactlyOneValue) {
  std::string out;
  std::string error;
  EXPECT_TRUE(maskJsonDocument(safeDefault(), kSecrets, " {\"data\":{\"k\":\"dg==\"}}\n", out, error));
  EXPECT_EQ(out, " {\"data\":{\"k\":\"a3ViZWdhdGU6bWFza2Vk\"}}\n");
  for (const char* body : {R"({"a":1} {"b":2})", R"({"a":1} x)", "", "  ", "[1] ]"}) {
    out.clear();
    EXPECT_FALSE(maskJsonDocument(safeDefault(), kSecrets, body, out, error)) << body;
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(out, "");
  }
  EXPECT_EQ(errorOf(safeDefault(), kPods, R"({"a":1} {"b":2} 3)"), "");  // a watch body: a sequence
}

TEST(MaskJsonMalformed, AHeldValueOverTheBoundFailsAndSecretDataOfAnySizeDoesNot) {
  const std::string big(JsonMasker::kMaxHeldValue + 1, 'x');
  const std::string annotated = R"({"metadata":{"annotations":{"big":")" + big + R"("}}})";
  JsonMasker masker(safeDefault(), kPods);
  std::string out;
  bool ok = true;
  for (std::size_t at = 0; ok && at < annotated.size(); at += 16384) {
    ok = masker.write(std::string_view(annotated).substr(at, 16384), out);
  }
  EXPECT_FALSE(ok && masker.finish(out));
  EXPECT_NE(masker.error(), "");
  EXPECT_LT(out.size(), 100u);
  const std::string secret = R"({"data":{"big":")" + big + R"("}})";
  EXPECT_EQ(maskInPieces(safeDefault(), kSecrets, secret, 16384), R"({"data":{"big":"a3ViZWdhdGU6bWFza2Vk"}})");
}

// Every one-byte change of a valid document: the masker accepts exactly what a strict parser accepts,
// and whatever it accepts it turns into valid JSON.
TEST(MaskJsonMalformed, AcceptsExactlyWhatAStrictParserAccepts) {
  const std::string original = std::string(kSecret).insert(kSecret.rfind('}'), R"(,"n":[-1.5e+3,0,true,null,"\u00e9"])");
  for (std::size_t at = 0; at < original.size(); ++at) {
    for (char replacement : {'"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', 'e', 'x', ' ', '\n', '\x01'}) {
      std::string body = original;
      body[at] = replacement;
      boost::system::error_code parseError;
      json::parse(body, parseError);
      std::string out;
      std::string error;
      const bool masked = maskJsonDocument(safeDefault(), kSecrets, body, out, error);
      ASSERT_EQ(masked, !parseError) << body << " | " << error;
      if (masked) {
        json::parse(out, parseError);
        ASSERT_FALSE(parseError) << out;
      }
    }
  }
}

}  // namespace
}  // namespace kubegate::mask
