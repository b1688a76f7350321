// AWS Signature Version 4 (AWS4-HMAC-SHA256), in header mode (Authorization header) and presign mode
// (query-string authentication). Pure: no clock, no I/O; the caller passes the signing time.
// The intermediate strings (canonical request, string to sign) are returned so tests can compare them
// with the published vectors line by line: every signing mistake shows up as SignatureDoesNotMatch,
// and only the intermediate strings say which line is wrong.
#pragma once

#include <boost/system/result.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/aws_types.h"

namespace kubegate::aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryList = std::vector<std::pair<std::string, std::string>>;

// What gets signed. Nothing here is percent-encoded: the signer encodes path and query itself.
struct SigningRequest {
  std::string method = "GET";
  std::string path = "/";  // raw bytes of the path; encoded once when canonicalised
  QueryList query;         // decoded key/value pairs, in the order they go on the URL
  HeaderList headers;      // every one is signed; must contain Host; no X-Amz-Date/Authorization/X-Amz-Security-Token
  std::string body;
};

struct SigningScope {
  std::string region;
  std::string service;
  Clock::time_point time;
};

struct SigningOptions {
  bool normalizePath = true;            // false only for S3-style services (no dot-segment removal, no slash collapsing)
  bool signSessionToken = true;         // false: the token is added after signing (S3/IoT style); STS needs it signed
  bool addContentSha256Header = false;  // header mode: add and sign x-amz-content-sha256 (S3 style)
  std::chrono::seconds expires{3600};   // presign mode: X-Amz-Expires
};

struct HeaderSignature {
  std::string canonicalRequest;
  std::string stringToSign;
  std::string signature;      // lower-case hex
  std::string authorization;  // value of the Authorization header
  // Headers the caller appends to the request, in this order: X-Amz-Date, [x-amz-content-sha256],
  // [X-Amz-Security-Token], Authorization.
  HeaderList headersToAdd;
};

struct QuerySignature {
  std::string canonicalRequest;
  std::string stringToSign;
  std::string signature;
  // The request's own query, then X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
  // [-Security-Token], -Signature: the order botocore and awscli print, so URLs match them byte for byte.
  QueryList query;
  std::string queryString;  // `query` percent-encoded and joined with '&'
};

boost::system::result<HeaderSignature, AwsError> signWithHeaders(const SigningRequest& request,
                                                                const Credentials& credentials,
                                                                const SigningScope& scope,
                                                                const SigningOptions& options = {});

boost::system::result<QuerySignature, AwsError> presignWithQuery(const SigningRequest& request,
                                                                const Credentials& credentials,
                                                                const SigningScope& scope,
                                                                const SigningOptions& options = {});

// Building blocks, shared with the STS body encoder and exposed for tests.

// RFC 3986: every byte except A-Za-z0-9-_.~ becomes %XX (upper-case hex); '/' kept when keepSlash.
std::string uriEncode(std::string_view bytes, bool keepSlash = false);
std::string canonicalUriPath(std::string_view rawPath, bool normalize);
// Pairs encoded, sorted by (key, value), joined: `a=1&b=2`.
std::string canonicalQueryString(const QueryList& query);
// `YYYYMMDDTHHMMSSZ`, UTC, seconds truncated.
std::string formatAmzDate(Clock::time_point time);
std::string sha256Hex(std::string_view bytes);

}  // namespace kubegate::aws
