#include "aws/sts_client.h"

#include <algorithm>
#include <random>
#include <sstream>

// Boost.PropertyTree's XML reader (a bundled rapidxml) parses STS's awsQuery answers: it ships with
// Debian's Boost headers, so no new dependency (libxml2, expat) enters the build for a few small, flat
// documents; and it never fetches DTDs or expands external entities, so an answer cannot make the
// gateway read files or call out.
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "aws/aws_timestamp.h"
#include "net/https_client.h"

namespace kubegate::aws {
namespace {

namespace pt = boost::property_tree;

// rapidxml recurses per nesting level; a hostile or broken body must not exhaust the stack.
// A real AssumeRole answer has about 30 elements.
constexpr std::size_t kMaxXmlTags = 2000;
constexpr std::size_t kMaxAwsMessageChars = 512;

std::string trimmed(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string_view localName(std::string_view name) {
  const auto colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool isMarkup(std::string_view key) { return !key.empty() && key.front() == '<'; }  // <xmlattr>, <xmlcomment>

const pt::ptree* child(const pt::ptree& tree, std::string_view name) {
  for (const auto& [key, value] : tree)
    if (!isMarkup(key) && localName(key) == name) return &value;
  return nullptr;
}

const pt::ptree* descendant(const pt::ptree& tree, std::string_view name) {
  if (auto* direct = child(tree, name)) return direct;
  for (const auto& [key, value] : tree) {
    if (isMarkup(key)) continue;
    if (auto* found = descendant(value, name)) return found;
  }
  return nullptr;
}

std::string textOf(const pt::ptree* node) { return node ? trimmed(node->data()) : std::string{}; }

std::optional<pt::ptree> parseXml(std::string_view body) {
  if (static_cast<std::size_t>(std::count(body.begin(), body.end(), '<')) > kMaxXmlTags) return std::nullopt;
  try {
    std::istringstream in{std::string(body)};
    pt::ptree tree;
    pt::read_xml(in, tree);
    return tree;
  } catch (const pt::ptree_error&) {
    return std::nullopt;
  }
}

// The root element, whatever its name or namespace prefix.
const pt::ptree* rootElement(const pt::ptree& document, std::string& nameOut) {
  for (const auto& [key, value] : document) {
    if (isMarkup(key)) continue;
    nameOut = std::string(localName(key));
    return &value;
  }
  return nullptr;
}

AwsError makeError(AwsError::Kind kind, std::string code, std::string message, unsigned status = 0) {
  AwsError e;
  e.kind = kind;
  e.code = std::move(code);
  e.message = std::move(message);
  e.httpStatus = status;
  return e;
}

// STS's own messages never quote secrets, but a message is text from the network: cut it short and
// blank out anything we sent that must stay secret, in case a stand-in or proxy echoes it.
std::string scrubbed(std::string message, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    for (auto pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos))
      message.replace(pos, secret.size(), "[redacted]");
  }
  if (message.size() > kMaxAwsMessageChars) message = message.substr(0, kMaxAwsMessageChars) + "…";
  for (auto& c : message)
    if (c == '\r' || c == '\n') c = ' ';
  return message;
}

double defaultJitter() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

asio::awaitable<void> defaultSleep(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  (void)ec;
}

std::chrono::milliseconds backoffAfter(int failedAttempt, const StsRetryPolicy& policy) {
  const auto exponential = std::chrono::milliseconds(1000LL << std::min(failedAttempt - 1, 20));
  const auto ceiling = std::min(exponential, policy.maxBackoff);
  const double jitter = std::clamp(policy.jitter ? policy.jitter() : defaultJitter(), 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(jitter * static_cast<double>(ceiling.count())));
}

net::HttpsRequest toHttpsRequest(const StsHttpRequest& request, const StsClientOptions& options) {
  net::HttpsRequest out;
  out.method = request.method;
  out.url = "https://" + request.host + request.path;
  for (const auto& [name, value] : request.headers) out.headers[name] = value;
  out.body = request.body;
  out.timeout = options.timeout;
  out.maxResponseBytes = options.maxResponseBytes;
  return out;
}

}  // namespace

boost::system::result<AssumedRole, AwsError> parseAssumeRoleResponse(std::string_view xml,
                                                                     std::string_view resultElement) {
  auto document = parseXml(xml);
  if (!document) return makeError(AwsError::Kind::malformed, "", "STS answered with unreadable XML", 200);
  std::string rootName;
  const auto* root = rootElement(*document, rootName);
  const auto* result = root ? child(*root, resultElement) : nullptr;
  const auto* credentials = result ? child(*result, "Credentials") : nullptr;
  if (!credentials)
    return makeError(AwsError::Kind::malformed, "", "STS answer has no " + std::string(resultElement) + "/Credentials",
                     200);
  AssumedRole out;
  out.credentials.accessKeyId = textOf(child(*credentials, "AccessKeyId"));
  out.credentials.secretAccessKey = textOf(child(*credentials, "SecretAccessKey"));
  out.credentials.sessionToken = textOf(child(*credentials, "SessionToken"));
  const auto expiration = parseAwsTimestamp(textOf(child(*credentials, "Expiration")));
  if (out.credentials.empty() || out.credentials.sessionToken.empty() || !expiration)
    return makeError(AwsError::Kind::malformed, "", "STS answer lacks a credential field or a valid Expiration", 200);
  out.credentials.expiration = *expiration;
  if (const auto* user = child(*result, "AssumedRoleUser")) {
    out.assumedRoleArn = textOf(child(*user, "Arn"));
    out.assumedRoleId = textOf(child(*user, "AssumedRoleId"));
  }
  out.sourceIdentity = textOf(child(*result, "SourceIdentity"));
  if (const auto* metadata = child(*root, "ResponseMetadata")) out.requestId = textOf(child(*metadata, "RequestId"));
  return out;
}

AwsError parseStsErrorResponse(unsigned httpStatus, std::string_view body) {
  auto document = parseXml(body);
  const auto* error = document ? descendant(*document, "Error") : nullptr;
  const std::string code = error ? textOf(child(*error, "Code")) : std::string{};
  if (code.empty())
    return makeError(AwsError::Kind::malformed, "",
                     "STS answered HTTP " + std::to_string(httpStatus) + " without an STS error document", httpStatus);
  AwsError out = makeError(AwsError::Kind::service, code, textOf(child(*error, "Message")), httpStatus);
  const auto* requestId = descendant(*document, "RequestId");
  if (!requestId) requestId = descendant(*document, "RequestID");  // EC2-style error documents
  out.requestId = textOf(requestId);
  return out;
}

bool isRetryableStsError(const AwsError& error) {
  static const char* const kRetryableCodes[] = {
      // botocore retries/standard.py: throttling
      "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
      "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
      "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
      // transient
      "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
      // STS says of it: "often a transient error ... retry the request a limited number of times"
      "IDPCommunicationError"};
  if (error.kind == AwsError::Kind::transport) return true;
  if (error.kind == AwsError::Kind::invalidInput || error.kind == AwsError::Kind::noCredentials) return false;
  const unsigned s = error.httpStatus;
  if (s == 500 || s == 502 || s == 503 || s == 504) return true;
  return std::any_of(std::begin(kRetryableCodes), std::end(kRetryableCodes),
                     [&](const char* code) { return error.code == code; });
}

StsClient::StsClient(StsClientOptions options) : options_(std::move(options)) {}

asio::awaitable<boost::system::result<AssumedRole, AwsError>> StsClient::assumeRole(AssumeRoleParams params,
                                                                                   Credentials caller) const {
  const auto now = options_.now ? options_.now : std::function<Clock::time_point()>(&Clock::now);
  BuildRequest build = [this, params, caller, now] {
    return buildAssumeRoleRequest(params, caller, options_.endpoint, now());
  };
  std::vector<std::string> secrets{caller.secretAccessKey, caller.sessionToken};
  co_return co_await callWithRetries(std::move(build), "AssumeRoleResult", params.roleArn, std::move(secrets));
}

asio::awaitable<boost::system::result<AssumedRole, AwsError>> StsClient::assumeRoleWithWebIdentity(
    AssumeRoleWithWebIdentityParams params) const {
  BuildRequest build = [this, params] { return buildAssumeRoleWithWebIdentityRequest(params, options_.endpoint); };
  std::vector<std::string> secrets{params.webIdentityToken};
  co_return co_await callWithRetries(std::move(build), "AssumeRoleWithWebIdentityResult", params.roleArn,
                                     std::move(secrets));
}

asio::awaitable<boost::system::result<AssumedRole, AwsError>> StsClient::callWithRetries(
    BuildRequest build, std::string resultElement, std::string roleArn, std::vector<std::string> secrets) const {
  if (!options_.tls) co_return makeError(AwsError::Kind::invalidInput, "", "STS client has no TLS context");
  const int maxAttempts = std::max(1, options_.retry.maxAttempts);
  AwsError last;
  for (int attempt = 1; attempt <= maxAttempts; ++attempt) {
    auto request = build();
    if (!request) co_return request.error();  // our own request breaks STS's rules: retrying cannot help
    auto response = co_await net::httpsFetch(toHttpsRequest(*request, options_), *options_.tls);
    if (!response) {
      last = makeError(AwsError::Kind::transport, "", "STS at " + options_.endpoint.host + ": " + response.error().message);
    } else if (response->status == 200) {
      auto parsed = parseAssumeRoleResponse(response->body, resultElement);
      if (!parsed) co_return parsed.error();
      parsed->credentials.source = "sts:" + roleArn;
      co_return std::move(*parsed);
    } else {
      last = parseStsErrorResponse(response->status, response->body);
      last.message = scrubbed(last.message, secrets);
    }
    if (!isRetryableStsError(last) || attempt == maxAttempts) break;
    const auto delay = backoffAfter(attempt, options_.retry);
    if (options_.retry.sleep) co_await options_.retry.sleep(delay);
    else co_await defaultSleep(delay);
  }
  co_return last;
}

}  // namespace kubegate::aws
