// What the AWS tests sign with when they are not checking an official vector: credentials in the
// shape of real ones, an instant and a cluster of our own. The official suites' and vectors' own
// values are read where they lie ($KUBEGATE_SHARED_DIR/testdata), never copied here.
#pragma once

#include <chrono>
#include <string>

#include "aws/aws_types.h"

namespace kubegate::aws::fixture {

inline constexpr const char* kAccessKeyId = "AKIAKUBEGATEFIXTURE1";
inline constexpr const char* kSecretAccessKey = "kubegate/fixture+secret/NotARealKey00001";  // 40 characters
inline constexpr const char* kCluster = "agents-prod";
inline const Clock::time_point kTime{std::chrono::seconds{1795960800}};  // 2026-11-29T14:00:00Z
inline constexpr const char* kAmzDate = "20261129T140000Z";
inline constexpr const char* kFrozenClock = "2026-11-29 14:00:00";  // the same instant for faketime

inline Credentials credentials(std::string sessionToken = {}) {
  Credentials out;
  out.accessKeyId = kAccessKeyId;
  out.secretAccessKey = kSecretAccessKey;
  out.sessionToken = std::move(sessionToken);
  return out;
}

}  // namespace kubegate::aws::fixture
