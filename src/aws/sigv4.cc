#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <map>
#include <optional>

namespace kubegate::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string toHex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0x0F]);
  }
  return out;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out.data(), &size);
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string lowerCase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isTokenChar(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

AwsError invalid(std::string message) {
  AwsError error;
  error.kind = AwsError::Kind::invalidInput;
  error.code = "InvalidSigningInput";
  error.message = std::move(message);
  return error;
}

// Trimmed, inner runs of blanks collapsed to one space (the SigV4 rule; obs-folds were unfolded to a
// space by whoever parsed the message).
std::string canonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pendingSpace = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      pendingSpace = !out.empty();
      continue;
    }
    if (pendingSpace) out.push_back(' ');
    pendingSpace = false;
    out.push_back(c);
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;          // "name:value\n" per header, sorted by name
  std::string signedHeaders;  // "name;name"
};

// Same-named headers join with ',' in arrival order; names sort byte-wise after lower-casing.
CanonicalHeaders canonicalizeHeaders(const HeaderList& headers) {
  std::map<std::string, std::string> joined;
  for (const auto& [name, value] : headers) {
    auto [it, inserted] = joined.try_emplace(lowerCase(name), canonicalHeaderValue(value));
    if (!inserted) it->second += "," + canonicalHeaderValue(value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : joined) {
    out.block += name + ":" + value + "\n";
    if (!out.signedHeaders.empty()) out.signedHeaders += ";";
    out.signedHeaders += name;
  }
  return out;
}

std::optional<AwsError> checkRequest(const SigningRequest& request, const Credentials& credentials,
                                     const SigningScope& scope) {
  if (credentials.empty()) {
    AwsError error = invalid("no credentials to sign with");
    error.kind = AwsError::Kind::noCredentials;
    return error;
  }
  if (scope.region.empty() || scope.service.empty()) return invalid("signing scope needs a region and a service");
  if (request.method.empty() ||
      !std::all_of(request.method.begin(), request.method.end(), [](unsigned char c) { return isTokenChar(c); }))
    return invalid("method is not an HTTP token");
  bool hasHost = false;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](unsigned char c) { return isTokenChar(c); }))
      return invalid("header name is not an HTTP token");
    // A CR or LF would let a signed value smuggle another header onto the wire.
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      return invalid("header " + name + " contains CR, LF or NUL");
    const std::string lower = lowerCase(name);
    if (lower == "host") hasHost = true;
    if (lower == "authorization" || lower == "x-amz-date" || lower == "x-amz-security-token")
      return invalid("header " + name + " is set by the signer");
  }
  if (!hasHost) return invalid("the Host header must be signed");
  return std::nullopt;
}

std::string credentialScope(const SigningScope& scope, std::string_view amzDate) {
  return std::string(amzDate.substr(0, 8)) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

std::string canonicalRequestText(const SigningRequest& request, const QueryList& query, const CanonicalHeaders& headers,
                                 std::string_view payloadHash, bool normalizePath) {
  std::string text = request.method + "\n";
  text += canonicalUriPath(request.path, normalizePath) + "\n";
  text += canonicalQueryString(query) + "\n";
  text += headers.block + "\n";
  text += headers.signedHeaders + "\n";
  text += payloadHash;
  return text;
}

struct Signed {
  std::string stringToSign;
  std::string signature;
};

Signed sign(const std::string& canonicalRequest, const Credentials& credentials, const SigningScope& scope,
            std::string_view amzDate) {
  const std::string scopeText = credentialScope(scope, amzDate);
  Signed out;
  out.stringToSign = std::string(kAlgorithm) + "\n" + std::string(amzDate) + "\n" + scopeText + "\n" +
                     sha256Hex(canonicalRequest);
  std::string key = hmacSha256("AWS4" + credentials.secretAccessKey, amzDate.substr(0, 8));
  key = hmacSha256(key, scope.region);
  key = hmacSha256(key, scope.service);
  key = hmacSha256(key, "aws4_request");
  const std::string mac = hmacSha256(key, out.stringToSign);
  out.signature = toHex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  return out;
}

std::string joinQuery(const QueryList& query) {
  std::string out;
  for (const auto& [key, value] : query) {
    if (!out.empty()) out += "&";
    out += uriEncode(key) + "=" + uriEncode(value);
  }
  return out;
}

}  // namespace

std::string uriEncode(std::string_view bytes, bool keepSlash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0x0F]);
    }
  }
  return out;
}

// normalize: RFC 3986 dot-segment removal plus collapsing empty segments ("//"), as aws-c-auth's
// `normalize` flag does; a trailing slash survives.
std::string canonicalUriPath(std::string_view rawPath, bool normalize) {
  if (rawPath.empty()) return "/";
  if (!normalize) return uriEncode(rawPath, true);
  std::vector<std::string_view> segments;
  bool trailingSlash = false;
  std::size_t start = 0;
  while (start <= rawPath.size()) {
    const std::size_t end = std::min(rawPath.find('/', start), rawPath.size());
    const std::string_view segment = rawPath.substr(start, end - start);
    const bool last = end == rawPath.size();
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    if (last) trailingSlash = segment.empty() || segment == "." || segment == "..";
    start = end + 1;
  }
  std::string path;
  for (const auto segment : segments) path += "/" + uriEncode(segment);
  if (path.empty() || trailingSlash) path += "/";
  return path;
}

std::string canonicalQueryString(const QueryList& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [key, value] : query) encoded.emplace_back(uriEncode(key), uriEncode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [key, value] : encoded) {
    if (!out.empty()) out += "&";
    out += key + "=" + value;
  }
  return out;
}

std::string formatAmzDate(Clock::time_point time) {
  const std::time_t seconds = Clock::to_time_t(std::chrono::floor<std::chrono::seconds>(time));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  const std::size_t size = std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return std::string(text, size);
}

std::string sha256Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return toHex(digest.data(), size);
}

boost::system::result<HeaderSignature, AwsError> signWithHeaders(const SigningRequest& request,
                                                                const Credentials& credentials,
                                                                const SigningScope& scope,
                                                                const SigningOptions& options) {
  if (auto error = checkRequest(request, credentials, scope)) return *error;
  const std::string amzDate = formatAmzDate(scope.time);
  const std::string payloadHash = sha256Hex(request.body);
  const bool tokenSigned = !credentials.sessionToken.empty() && options.signSessionToken;

  HeaderList signedHeaders = request.headers;
  HeaderList added{{"X-Amz-Date", amzDate}};
  if (options.addContentSha256Header) added.emplace_back("x-amz-content-sha256", payloadHash);
  if (tokenSigned) added.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
  signedHeaders.insert(signedHeaders.end(), added.begin(), added.end());

  const CanonicalHeaders canonical = canonicalizeHeaders(signedHeaders);
  HeaderSignature out;
  out.canonicalRequest = canonicalRequestText(request, request.query, canonical, payloadHash, options.normalizePath);
  Signed result = sign(out.canonicalRequest, credentials, scope, amzDate);
  out.stringToSign = std::move(result.stringToSign);
  out.signature = std::move(result.signature);
  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.accessKeyId + "/" +
                      credentialScope(scope, amzDate) + ", SignedHeaders=" + canonical.signedHeaders +
                      ", Signature=" + out.signature;
  if (!credentials.sessionToken.empty() && !options.signSessionToken)
    added.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
  added.emplace_back("Authorization", out.authorization);
  out.headersToAdd = std::move(added);
  return out;
}

boost::system::result<QuerySignature, AwsError> presignWithQuery(const SigningRequest& request,
                                                                const Credentials& credentials,
                                                                const SigningScope& scope,
                                                                const SigningOptions& options) {
  if (auto error = checkRequest(request, credentials, scope)) return *error;
  for (const auto& [key, value] : request.query) {
    if (lowerCase(key).starts_with("x-amz-")) return invalid("query parameter " + key + " is set by the signer");
  }
  const std::string amzDate = formatAmzDate(scope.time);
  const CanonicalHeaders canonical = canonicalizeHeaders(request.headers);

  QueryList query = request.query;
  query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  query.emplace_back("X-Amz-Credential", credentials.accessKeyId + "/" + credentialScope(scope, amzDate));
  query.emplace_back("X-Amz-Date", amzDate);
  query.emplace_back("X-Amz-Expires", std::to_string(options.expires.count()));
  query.emplace_back("X-Amz-SignedHeaders", canonical.signedHeaders);
  if (!credentials.sessionToken.empty() && options.signSessionToken)
    query.emplace_back("X-Amz-Security-Token", credentials.sessionToken);

  QuerySignature out;
  out.canonicalRequest =
      canonicalRequestText(request, query, canonical, sha256Hex(request.body), options.normalizePath);
  Signed result = sign(out.canonicalRequest, credentials, scope, amzDate);
  out.stringToSign = std::move(result.stringToSign);
  out.signature = std::move(result.signature);
  if (!credentials.sessionToken.empty() && !options.signSessionToken)
    query.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
  query.emplace_back("X-Amz-Signature", out.signature);
  out.queryString = joinQuery(query);
  out.query = std::move(query);
  return out;
}

}  // namespace kubegate::aws
