// Values shared by the AWS half of the gateway: credentials, and the error every AWS call returns
// instead of throwing (the data plane does not throw).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace kubegate::aws {

using Clock = std::chrono::system_clock;

// Credentials as AWS hands them out. Never logged, never recorded: only `source` and the access key
// id's first characters (accessKeyHint) may appear in logs.
struct Credentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;                // empty for long-term keys
  std::optional<Clock::time_point> expiration;  // none for long-term keys
  std::string source;                      // "environment", "profile:NAME", "web-identity", "container", "imds", "sts:ROLE"

  bool empty() const { return accessKeyId.empty() || secretAccessKey.empty(); }
  // "ASIA…7C": enough to join a log line with CloudTrail, not enough to use.
  std::string accessKeyHint() const {
    if (accessKeyId.size() < 8) return "…";
    return accessKeyId.substr(0, 4) + "…" + accessKeyId.substr(accessKeyId.size() - 2);
  }
};

struct AwsError {
  enum class Kind {
    invalidInput,   // our own request would break AWS's rules (name too long, bad characters…)
    transport,      // could not reach the endpoint, timed out, TLS failure
    service,        // AWS answered with an error document
    malformed,      // AWS answered something we cannot read
    noCredentials,  // the chain found nothing
  };
  Kind kind = Kind::service;
  std::string code;     // AWS error code (e.g. AccessDenied, Throttling) when kind == service
  std::string message;  // says what failed, never a secret
  unsigned httpStatus = 0;
  std::string requestId;
};

}  // namespace kubegate::aws
