#include "aws/sts_requests.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "aws/sigv4.h"

namespace kubegate::aws {
namespace {

constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded; charset=utf-8";
constexpr std::string_view kApiVersion = "2011-06-15";

using Check = std::optional<AwsError>;

AwsError invalidParameter(std::string_view field, std::string_view problem) {
  AwsError error;
  error.kind = AwsError::Kind::invalidInput;
  error.code = "ValidationError";  // what STS itself would answer
  error.message = std::string(field) + ": " + std::string(problem);
  return error;
}

// Code points of a UTF-8 string, or nothing when it is not UTF-8 (STS counts characters, not bytes).
std::optional<std::u32string> decodeUtf8(std::string_view text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return std::nullopt;
    char32_t point = length == 1 ? lead : lead & (0x7F >> length);
    for (int k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      point = (point << 6) | (next & 0x3F);
    }
    static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (point < smallest[length] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) return std::nullopt;
    out.push_back(point);
    i += static_cast<std::size_t>(length);
  }
  return out;
}

Check checkLength(std::string_view field, std::string_view value, std::size_t min, std::size_t max) {
  const auto points = decodeUtf8(value);
  if (!points) return invalidParameter(field, "is not valid UTF-8");
  if (points->size() < min || points->size() > max)
    return invalidParameter(field, "must be " + std::to_string(min) + " to " + std::to_string(max) +
                                       " characters, is " + std::to_string(points->size()));
  return std::nullopt;
}

// `[\w+=,.@-]` plus `extra`, ASCII only (the model's \w is Java's ASCII word class).
Check checkCharacters(std::string_view field, std::string_view value, std::string_view extra) {
  const std::string allowed = "+=,.@-_" + std::string(extra);
  for (const char c : value) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && allowed.find(c) == std::string::npos)
      return invalidParameter(field, "may only contain A-Z a-z 0-9 and " + allowed);
  }
  return std::nullopt;
}

Check checkSessionNameLike(std::string_view field, std::string_view value) {
  if (auto error = checkLength(field, value, 2, 64)) return error;
  return checkCharacters(field, value, "");
}

Check checkRoleArn(std::string_view value) {
  if (auto error = checkLength("RoleArn", value, 20, 2048)) return error;
  if (!value.starts_with("arn:")) return invalidParameter("RoleArn", "must be an ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)");
  if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; }))
    return invalidParameter("RoleArn", "contains control characters");
  return std::nullopt;
}

Check checkDuration(int seconds, bool roleChaining) {
  const int max = roleChaining ? 3600 : 43200;
  if (seconds < 900 || seconds > max)
    return invalidParameter("DurationSeconds", "must be 900 to " + std::to_string(max) +
                                                   (roleChaining ? " (role chaining caps sessions at one hour)" : ""));
  return std::nullopt;
}

// Session policies: 1..2048 characters of TAB, LF, CR and U+0020..U+00FF.
Check checkPolicy(std::string_view value) {
  if (auto error = checkLength("Policy", value, 1, 2048)) return error;
  const std::u32string points = decodeUtf8(value).value();  // valid: checkLength decoded it
  for (const char32_t c : points) {
    if (!(c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0xFF)))
      return invalidParameter("Policy", "may only contain TAB, LF, CR and characters U+0020 to U+00FF");
  }
  return std::nullopt;
}

// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: ASCII is checked here; non-ASCII letters, digits and spaces cannot be
// told apart without Unicode tables, so valid UTF-8 beyond ASCII is left to STS to judge.
Check checkTagText(std::string_view field, std::string_view value, std::size_t min, std::size_t max) {
  if (auto error = checkLength(field, value, min, max)) return error;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u) || std::string_view(" _.:/=+-@").find(c) != std::string_view::npos) continue;
    return invalidParameter(field, "may only contain letters, digits, spaces and _.:/=+-@");
  }
  return std::nullopt;
}

Check checkTags(const AssumeRoleParams& params) {
  if (params.tags.size() > 50) return invalidParameter("Tags", "at most 50 session tags");
  std::set<std::string> seenKeys;
  for (const auto& [key, value] : params.tags) {
    if (auto error = checkTagText("Tags.Key", key, 1, 128)) return error;
    if (auto error = checkTagText("Tags.Value", value, 0, 256)) return error;
    std::string folded = key;
    std::transform(folded.begin(), folded.end(), folded.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!seenKeys.insert(folded).second) return invalidParameter("Tags", "tag keys are case-insensitive and must be unique");
  }
  if (params.transitiveTagKeys.size() > 50) return invalidParameter("TransitiveTagKeys", "at most 50 keys");
  for (const auto& key : params.transitiveTagKeys) {
    if (auto error = checkTagText("TransitiveTagKeys", key, 1, 128)) return error;
  }
  return std::nullopt;
}

Check checkAssumeRole(const AssumeRoleParams& params, const Credentials& caller) {
  if (auto error = checkRoleArn(params.roleArn)) return error;
  if (auto error = checkSessionNameLike("RoleSessionName", params.roleSessionName)) return error;
  // Credentials we obtained from STS ourselves are a role session: assuming a role with them chains.
  if (auto error = checkDuration(params.durationSeconds, caller.source.starts_with("sts:"))) return error;
  if (!params.sourceIdentity.empty()) {
    if (auto error = checkSessionNameLike("SourceIdentity", params.sourceIdentity)) return error;
    std::string prefix = params.sourceIdentity.substr(0, 4);
    std::transform(prefix.begin(), prefix.end(), prefix.begin(), [](unsigned char c) { return std::tolower(c); });
    if (prefix == "aws:") return invalidParameter("SourceIdentity", "must not begin with aws:");
  }
  if (!params.externalId.empty()) {
    if (auto error = checkLength("ExternalId", params.externalId, 2, 1224)) return error;
    if (auto error = checkCharacters("ExternalId", params.externalId, ":/")) return error;
  }
  if (auto error = checkTags(params)) return error;
  if (params.policyArns.size() > 10) return invalidParameter("PolicyArns", "at most 10 managed session policies");
  for (const auto& arn : params.policyArns) {
    if (auto error = checkLength("PolicyArns", arn, 20, 2048)) return error;
  }
  if (!params.policy.empty()) return checkPolicy(params.policy);
  return std::nullopt;
}

std::string formBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [key, value] : fields) {
    if (!body.empty()) body += "&";
    body += uriEncode(key) + "=" + uriEncode(value);
  }
  return body;
}

// Member order: the order botocore serialises the keyword arguments in (it walks the caller's dict,
// serialize.py `_serialize_type_structure`), as recorded in the shared AssumeRole vectors. STS does not
// care; byte-for-byte comparison with botocore does.
std::string assumeRoleBody(const AssumeRoleParams& params) {
  std::vector<std::pair<std::string, std::string>> fields{
      {"Action", "AssumeRole"}, {"Version", std::string(kApiVersion)}, {"RoleArn", params.roleArn},
      {"RoleSessionName", params.roleSessionName}, {"DurationSeconds", std::to_string(params.durationSeconds)}};
  if (!params.sourceIdentity.empty()) fields.emplace_back("SourceIdentity", params.sourceIdentity);
  if (!params.externalId.empty()) fields.emplace_back("ExternalId", params.externalId);
  for (std::size_t i = 0; i < params.tags.size(); ++i) {
    const std::string prefix = "Tags.member." + std::to_string(i + 1);
    fields.emplace_back(prefix + ".Key", params.tags[i].first);
    fields.emplace_back(prefix + ".Value", params.tags[i].second);
  }
  for (std::size_t i = 0; i < params.transitiveTagKeys.size(); ++i)
    fields.emplace_back("TransitiveTagKeys.member." + std::to_string(i + 1), params.transitiveTagKeys[i]);
  for (std::size_t i = 0; i < params.policyArns.size(); ++i)
    fields.emplace_back("PolicyArns.member." + std::to_string(i + 1) + ".arn", params.policyArns[i]);
  if (!params.policy.empty()) fields.emplace_back("Policy", params.policy);
  return formBody(fields);
}

Check checkEndpoint(const StsEndpoint& endpoint) {
  if (endpoint.region.empty() || endpoint.host.empty()) return invalidParameter("endpoint", "needs a region and a host");
  if (std::any_of(endpoint.host.begin(), endpoint.host.end(),
                  [](unsigned char c) { return c <= 0x20 || c == 0x7F || c == '/' || c == '@'; }))
    return invalidParameter("endpoint", "host must be a bare host[:port]");
  return std::nullopt;
}

}  // namespace

StsEndpoint regionalStsEndpoint(std::string_view region) {
  // Partition domains from the SDK partition table (aws-iam-authenticator pkg/endpoints/partitions.go).
  std::string_view domain = "amazonaws.com";
  if (region.starts_with("cn-")) domain = "amazonaws.com.cn";
  else if (region.starts_with("us-isob-")) domain = "sc2s.sgov.gov";
  else if (region.starts_with("us-isof-")) domain = "csp.hci.ic.gov";
  else if (region.starts_with("us-iso-")) domain = "c2s.ic.gov";
  else if (region.starts_with("eu-isoe-")) domain = "cloud.adc-e.uk";
  else if (region.starts_with("eusc-")) domain = "amazonaws.eu";
  return StsEndpoint{std::string(region), "sts." + std::string(region) + "." + std::string(domain)};
}

boost::system::result<StsHttpRequest, AwsError> buildAssumeRoleRequest(const AssumeRoleParams& params,
                                                                      const Credentials& caller,
                                                                      const StsEndpoint& endpoint,
                                                                      Clock::time_point now) {
  if (auto error = checkEndpoint(endpoint)) return *error;
  if (auto error = checkAssumeRole(params, caller)) return *error;

  SigningRequest signing;
  signing.method = "POST";
  signing.path = "/";
  signing.headers = {{"Host", endpoint.host}, {"Content-Type", std::string(kFormContentType)}};
  signing.body = assumeRoleBody(params);
  auto signature = signWithHeaders(signing, caller, SigningScope{endpoint.region, "sts", now});
  if (!signature) return signature.error();

  StsHttpRequest request;
  request.method = "POST";
  request.host = endpoint.host;
  request.path = "/";
  request.headers = std::move(signing.headers);
  for (auto& header : signature->headersToAdd) request.headers.push_back(std::move(header));
  request.body = std::move(signing.body);
  return request;
}

boost::system::result<StsHttpRequest, AwsError> buildAssumeRoleWithWebIdentityRequest(
    const AssumeRoleWithWebIdentityParams& params, const StsEndpoint& endpoint) {
  if (auto error = checkEndpoint(endpoint)) return *error;
  if (auto error = checkRoleArn(params.roleArn)) return *error;
  if (auto error = checkSessionNameLike("RoleSessionName", params.roleSessionName)) return *error;
  if (auto error = checkLength("WebIdentityToken", params.webIdentityToken, 4, 20000)) return *error;
  if (!params.policy.empty()) {
    if (auto error = checkPolicy(params.policy)) return *error;
  }
  if (auto error = checkDuration(params.durationSeconds, false)) return *error;

  // Model member order (botocore's own web-identity fetcher passes RoleArn, RoleSessionName, then the token).
  std::vector<std::pair<std::string, std::string>> fields{
      {"Action", "AssumeRoleWithWebIdentity"}, {"Version", std::string(kApiVersion)}, {"RoleArn", params.roleArn},
      {"RoleSessionName", params.roleSessionName}, {"WebIdentityToken", params.webIdentityToken}};
  if (!params.policy.empty()) fields.emplace_back("Policy", params.policy);
  fields.emplace_back("DurationSeconds", std::to_string(params.durationSeconds));

  StsHttpRequest request;
  request.method = "POST";
  request.host = endpoint.host;
  request.path = "/";
  request.headers = {{"Host", endpoint.host}, {"Content-Type", std::string(kFormContentType)}};
  request.body = formBody(fields);
  return request;
}

}  // namespace kubegate::aws
