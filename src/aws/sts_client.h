// STS over the network: AssumeRole (SigV4-signed) and AssumeRoleWithWebIdentity (unsigned), built by
// sts_requests.h, sent over net::httpsFetch, answers parsed from awsQuery XML, retried the way the
// AWS SDKs' "standard" retry mode does. Errors are values; no message carries a secret.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "aws/aws_types.h"
#include "aws/sts_requests.h"
#include "net/asio.h"

namespace kubegate::aws {

struct AssumedRole {
  Credentials credentials;     // source "sts:<role ARN>"; expiration always set
  std::string assumedRoleArn;  // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
  std::string assumedRoleId;   // AROA…:SESSION
  std::string sourceIdentity;  // empty when none was set
  std::string requestId;       // STS RequestId, to join with CloudTrail
};

// botocore's standard retry mode: at most `maxAttempts` attempts, sleeping
// jitter() * min(2^(attempt-1) s, maxBackoff) after failed attempt number `attempt` (1-based).
struct StsRetryPolicy {
  int maxAttempts = 3;
  std::chrono::milliseconds maxBackoff{20000};
  std::function<double()> jitter;  // uniform in [0, 1]; empty = a thread-local random generator
  // Waits on the calling coroutine's executor; empty = an asio::steady_timer. Tests record instead.
  std::function<asio::awaitable<void>(std::chrono::milliseconds)> sleep;
};

struct StsClientOptions {
  StsEndpoint endpoint;               // requests go to https://<endpoint.host>/
  std::shared_ptr<ssl::context> tls;  // verifies STS (system roots in production, a local CA in tests)
  std::chrono::seconds timeout{10};   // per attempt
  std::size_t maxResponseBytes = 256 * 1024;
  StsRetryPolicy retry;
  std::function<Clock::time_point()> now;  // signing time; empty = Clock::now
};

// Holds its options only; calls may run concurrently on any executors. Must outlive its calls.
class StsClient {
 public:
  explicit StsClient(StsClientOptions options);

  asio::awaitable<boost::system::result<AssumedRole, AwsError>> assumeRole(AssumeRoleParams params,
                                                                          Credentials caller) const;
  asio::awaitable<boost::system::result<AssumedRole, AwsError>> assumeRoleWithWebIdentity(
      AssumeRoleWithWebIdentityParams params) const;

  const StsClientOptions& options() const { return options_; }

 private:
  // One attempt's request, rebuilt per attempt (a retried AssumeRole is signed again at that time).
  using BuildRequest = std::function<boost::system::result<StsHttpRequest, AwsError>()>;
  asio::awaitable<boost::system::result<AssumedRole, AwsError>> callWithRetries(
      BuildRequest build, std::string resultElement, std::string roleArn, std::vector<std::string> secrets) const;

  StsClientOptions options_;
};

// Exposed for tests and for the STS stand-in's own checks.

// Reads `<XResponse><XResult>…</XResult><ResponseMetadata><RequestId>` where X is the operation
// (`resultElement` is "AssumeRoleResult" or "AssumeRoleWithWebIdentityResult"); namespace-tolerant.
boost::system::result<AssumedRole, AwsError> parseAssumeRoleResponse(std::string_view xml,
                                                                     std::string_view resultElement);
// An error answer: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>` with or
// without a namespace; a body that is not such a document gives kind malformed with the status.
AwsError parseStsErrorResponse(unsigned httpStatus, std::string_view body);
// Throttling codes, HTTP 500/502/503/504, transport errors, IDPCommunicationError, and the SDKs'
// transient codes (RequestTimeout, RequestTimeoutException, PriorRequestNotComplete).
bool isRetryableStsError(const AwsError& error);

}  // namespace kubegate::aws
