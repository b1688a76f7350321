// The official SigV4 vectors, read from $KUBEGATE_SHARED_DIR/testdata/sigv4 (never copied into the repo):
// aws-c-auth's v4 suite in header and presign mode, and botocore's aws4_testsuite. Each case directory is
// its own test, so a failure names the case and the first intermediate string that differs.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "aws/sigv4.h"

namespace kubegate::aws {
namespace {

namespace fs = std::filesystem;

struct SuiteCase {
  std::string name;  // the case directory, relative to the suite root
  fs::path dir;      // empty when the shared data is not available
  std::string skipReason;
};

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<fs::path> sigv4Root(std::string* whyNot) {
  const char* shared = std::getenv("KUBEGATE_SHARED_DIR");
  if (shared == nullptr || *shared == '\0') {
    *whyNot = "KUBEGATE_SHARED_DIR is not set; the SigV4 suites live in $KUBEGATE_SHARED_DIR/testdata/sigv4";
    return std::nullopt;
  }
  const fs::path root = fs::path(shared) / "testdata" / "sigv4";
  if (!fs::is_directory(root)) {
    *whyNot = root.string() + " does not exist; SigV4 suite vectors unavailable";
    return std::nullopt;
  }
  return root;
}

// Every directory under `suiteDir` holding context.json (aws-c-auth) or <dir>.req (classic layout) is a case.
std::vector<SuiteCase> discover(const std::string& suiteDir, bool classicLayout) {
  std::string whyNot;
  const auto root = sigv4Root(&whyNot);
  if (!root) return {SuiteCase{"unavailable", {}, whyNot}};
  if (!fs::is_directory(*root / suiteDir))
    return {SuiteCase{"unavailable", {}, (*root / suiteDir).string() + " does not exist; suite vectors unavailable"}};
  std::vector<SuiteCase> cases;
  const fs::path base = *root / suiteDir;
  for (const auto& entry : fs::recursive_directory_iterator(base)) {
    if (!entry.is_directory()) continue;
    const fs::path dir = entry.path();
    const bool isCase = classicLayout ? fs::exists(dir / (dir.filename().string() + ".req"))
                                      : fs::exists(dir / "context.json");
    if (isCase) cases.push_back(SuiteCase{fs::relative(dir, base).generic_string(), dir, {}});
  }
  std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return cases;
}

std::string testName(const testing::TestParamInfo<SuiteCase>& info) {
  std::string name = info.param.name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// --- the raw HTTP requests of the suites ----------------------------------------------------------

std::string percentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string trimBlanks(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// "METHOD target HTTP/1.1", headers (obs-folds unfolded to one space, RFC 9112 §5.2), blank line, body.
// The target may contain a space (get-space), so it runs from the first to the last space.
SigningRequest parseRawRequest(const std::string& text) {
  const auto headEnd = text.find("\n\n");
  const std::string head = text.substr(0, headEnd);
  SigningRequest request;
  if (headEnd != std::string::npos) request.body = text.substr(headEnd + 2);
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  const auto firstSpace = line.find(' ');
  const auto lastSpace = line.rfind(' ');
  request.method = line.substr(0, firstSpace);
  const std::string target = line.substr(firstSpace + 1, lastSpace - firstSpace - 1);
  const auto question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) {
    std::istringstream pairs(target.substr(question + 1));
    std::string pair;
    while (std::getline(pairs, pair, '&')) {
      const auto equals = pair.find('=');
      request.query.emplace_back(percentDecode(pair.substr(0, equals)),
                                 equals == std::string::npos ? "" : percentDecode(pair.substr(equals + 1)));
    }
  }
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      request.headers.back().second += " " + trimBlanks(line);
      continue;
    }
    const auto colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), trimBlanks(line.substr(colon + 1)));
  }
  return request;
}

Clock::time_point parseIsoTime(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s);
  const auto day = std::chrono::sys_days{std::chrono::year{y} / mo / d};
  return Clock::time_point{day + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s}};
}

// --- aws-c-auth v4: context.json + request.txt, header and query expectations ----------------------

struct AwsCAuthCase {
  SigningRequest request;
  Credentials credentials;
  SigningScope scope;
  SigningOptions options;
};

AwsCAuthCase loadAwsCAuthCase(const fs::path& dir) {
  const auto context = boost::json::parse(readFile(dir / "context.json")).as_object();
  const auto& creds = context.at("credentials").as_object();
  AwsCAuthCase out;
  out.request = parseRawRequest(readFile(dir / "request.txt"));
  out.credentials.accessKeyId = creds.at("access_key_id").as_string().c_str();
  out.credentials.secretAccessKey = creds.at("secret_access_key").as_string().c_str();
  if (const auto* token = creds.if_contains("token")) out.credentials.sessionToken = token->as_string().c_str();
  out.scope = SigningScope{context.at("region").as_string().c_str(), context.at("service").as_string().c_str(),
                           parseIsoTime(context.at("timestamp").as_string().c_str())};
  out.options.normalizePath = context.at("normalize").as_bool();
  out.options.addContentSha256Header = context.at("sign_body").as_bool();
  if (const auto* omit = context.if_contains("omit_session_token")) out.options.signSessionToken = !omit->as_bool();
  out.options.expires = std::chrono::seconds{context.at("expiration_in_seconds").to_number<long>()};
  return out;
}

std::string authorizationLine(const std::string& signedRequest) {
  std::istringstream lines(signedRequest);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("Authorization:")) return line.substr(std::string_view("Authorization:").size());
  }
  return {};
}

class AwsCAuthV4 : public testing::TestWithParam<SuiteCase> {};

TEST_P(AwsCAuthV4, HeaderMode) {
  if (GetParam().dir.empty()) GTEST_SKIP() << GetParam().skipReason;
  const fs::path dir = GetParam().dir;
  const AwsCAuthCase c = loadAwsCAuthCase(dir);
  const auto signature = signWithHeaders(c.request, c.credentials, c.scope, c.options);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(signature->canonicalRequest, readFile(dir / "header-canonical-request.txt"));
  EXPECT_EQ(signature->stringToSign, readFile(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(signature->signature, readFile(dir / "header-signature.txt"));
  EXPECT_EQ(signature->authorization, authorizationLine(readFile(dir / "header-signed-request.txt")));
}

TEST_P(AwsCAuthV4, QueryMode) {
  if (GetParam().dir.empty()) GTEST_SKIP() << GetParam().skipReason;
  const fs::path dir = GetParam().dir;
  const AwsCAuthCase c = loadAwsCAuthCase(dir);
  const auto presigned = presignWithQuery(c.request, c.credentials, c.scope, c.options);
  ASSERT_TRUE(presigned) << presigned.error().message;
  EXPECT_EQ(presigned->canonicalRequest, readFile(dir / "query-canonical-request.txt"));
  EXPECT_EQ(presigned->stringToSign, readFile(dir / "query-string-to-sign.txt"));
  EXPECT_EQ(presigned->signature, readFile(dir / "query-signature.txt"));
  EXPECT_NE(readFile(dir / "query-signed-request.txt").find("X-Amz-Signature=" + presigned->signature),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Suite, AwsCAuthV4, testing::ValuesIn(discover("aws-c-auth/v4", false)), testName);

// --- botocore aws4_testsuite: .req/.creq/.sts/.authz, header mode only -----------------------------

class BotocoreAws4 : public testing::TestWithParam<SuiteCase> {};

// The botocore suite's files do not state its credentials; they are the fixed inputs all the suites
// share, which aws-c-auth's cases carry in their context.json.
std::optional<Credentials> sharedSuiteCredentials(std::string* whyNot) {
  const auto root = sigv4Root(whyNot);
  if (!root) return std::nullopt;
  const fs::path vanilla = *root / "aws-c-auth" / "v4" / "get-vanilla";
  if (!fs::exists(vanilla / "context.json")) {
    *whyNot = (vanilla / "context.json").string() + " does not exist; the suites' credentials are unknown";
    return std::nullopt;
  }
  return loadAwsCAuthCase(vanilla).credentials;
}

// A string to sign's second and third lines: the signing time and the scope
// (date/region/service/aws4_request), which is what the case was signed with.
SigningScope scopeOfStringToSign(const std::string& stringToSign) {
  std::istringstream lines(stringToSign);
  std::string algorithm, amzDate, scope;
  std::getline(lines, algorithm);
  std::getline(lines, amzDate);
  std::getline(lines, scope);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::sscanf(amzDate.c_str(), "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &s);
  const auto day = std::chrono::sys_days{std::chrono::year{y} / mo / d};
  const auto first = scope.find('/'), second = scope.find('/', first + 1), third = scope.find('/', second + 1);
  return SigningScope{scope.substr(first + 1, second - first - 1), scope.substr(second + 1, third - second - 1),
                      Clock::time_point{day + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s}}};
}

TEST_P(BotocoreAws4, HeaderMode) {
  if (GetParam().dir.empty()) GTEST_SKIP() << GetParam().skipReason;
  const fs::path dir = GetParam().dir;
  const fs::path stem = dir / dir.filename();
  const std::string canonical = readFile(stem.string() + ".creq");

  SigningRequest request = parseRawRequest(readFile(stem.string() + ".req"));
  // The .req files carry the X-Amz-Date (and, for post-sts-header-before, the token) the signer adds itself;
  // botocore's runner likewise lets the signer set them, taking the token from the .creq.
  std::erase_if(request.headers, [](const auto& header) {
    return header.first == "X-Amz-Date" || header.first == "X-Amz-Security-Token";
  });
  std::string whyNot;
  auto shared = sharedSuiteCredentials(&whyNot);
  if (!shared) GTEST_SKIP() << whyNot;
  Credentials credentials = *shared;
  if (const auto at = canonical.find("\nx-amz-security-token:"); at != std::string::npos) {
    const auto start = at + std::string_view("\nx-amz-security-token:").size();
    credentials.sessionToken = canonical.substr(start, canonical.find('\n', start) - start);
  }
  const std::string stringToSign = readFile(stem.string() + ".sts");
  const SigningScope scope = scopeOfStringToSign(stringToSign);

  const auto signature = signWithHeaders(request, credentials, scope);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(signature->canonicalRequest, canonical);
  EXPECT_EQ(signature->stringToSign, stringToSign);
  EXPECT_EQ(signature->authorization, readFile(stem.string() + ".authz"));
}

INSTANTIATE_TEST_SUITE_P(Suite, BotocoreAws4, testing::ValuesIn(discover("botocore-aws4_testsuite", true)), testName);

}  // namespace
}  // namespace kubegate::aws
