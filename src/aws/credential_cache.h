// Credentials kept across requests and refreshed before they run out, one refresh at a time.
//
// RefreshingCredentials holds the gateway's own base credentials (from the default chain) with the
// SDKs' windows (botocore RefreshableCredentials): less than 15 min left starts a refresh by one caller
// while the others keep using what they have; less than 10 min left makes every caller wait for that
// refresh (and a failed refresh is then an error rather than old credentials).
//
// RoleSessionCache holds AssumeRole results per (role, session name, session policy), refreshed at
// half their life (issue 9), so an EKS token (alive 15 min after signing) is never signed with
// credentials about to expire. Concurrent callers for one key share one AssumeRole call.
//
// Both are safe to call from coroutines on any number of io_contexts and threads: state is behind a
// mutex that is never held across a suspension, and a waiting caller is resumed on its own executor.
// Both must outlive every get()/credentialsFor() in flight.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/result.hpp>

#include "aws/aws_types.h"
#include "aws/credential_chain.h"
#include "aws/sts_client.h"
#include "net/asio.h"

namespace kubegate::aws {

namespace detail {
// A suspended caller: its continuation and the executor it must resume on.
struct FlightWaiter {
  asio::any_io_executor executor;
  asio::any_completion_handler<void()> resume;
};

// One cached value with its single-flight refresh state. Guarded by its owner's mutex.
template <class Value>
struct FlightSlot {
  std::optional<Value> current;
  Clock::time_point obtainedAt{};
  bool refreshing = false;
  std::uint64_t completedRefreshes = 0;
  std::optional<boost::system::result<Value, AwsError>> lastOutcome;  // of the latest refresh
  std::vector<FlightWaiter> waiters;
};
}  // namespace detail

class RefreshingCredentials {
 public:
  struct Options {
    std::chrono::seconds advisoryWindow{15 * 60};
    std::chrono::seconds mandatoryWindow{10 * 60};
    std::function<Clock::time_point()> now;  // empty = Clock::now
  };

  explicit RefreshingCredentials(std::shared_ptr<CredentialProvider> provider);
  RefreshingCredentials(std::shared_ptr<CredentialProvider> provider, Options options);
  RefreshingCredentials(const RefreshingCredentials&) = delete;
  RefreshingCredentials& operator=(const RefreshingCredentials&) = delete;

  // Credentials with more than the mandatory window left (or without expiry), or the error of the
  // refresh that could not produce them.
  asio::awaitable<boost::system::result<Credentials, AwsError>> get();

 private:
  std::shared_ptr<CredentialProvider> provider_;
  Options options_;
  std::mutex mutex_;
  detail::FlightSlot<Credentials> slot_;
};

struct RoleSessionKey {
  std::string roleArn;
  std::string sessionName;
  std::string policyDigest;  // sessionPolicyDigest(policy); empty policy -> empty digest

  auto operator<=>(const RoleSessionKey&) const = default;
};

// Hex SHA-256 of a session policy (empty for no policy): the key must change when the policy does,
// without keeping policy text in every key.
std::string sessionPolicyDigest(std::string_view policy);

class RoleSessionCache {
 public:
  struct Options {
    double refreshAtFraction = 0.5;  // of (expiration - obtained)
    // Below this much left, cached credentials are not handed out; callers wait for the refresh.
    std::chrono::seconds expiryMargin{60};
    std::size_t maxEntries = 10000;  // beyond it, expired idle entries, then the soonest-expiring idle ones, go
    std::function<Clock::time_point()> now;  // empty = Clock::now
  };
  using AssumeFn = std::function<asio::awaitable<boost::system::result<AssumedRole, AwsError>>()>;

  RoleSessionCache();
  explicit RoleSessionCache(Options options);
  RoleSessionCache(const RoleSessionCache&) = delete;
  RoleSessionCache& operator=(const RoleSessionCache&) = delete;

  // The cached AssumeRole result for `key`, calling `assume` (once, whoever else is asking) when there
  // is none, when half its life has passed, or when it is about to expire. Errors are not cached: the
  // next call tries again.
  asio::awaitable<boost::system::result<AssumedRole, AwsError>> credentialsFor(RoleSessionKey key, AssumeFn assume);

  // Drops a key (e.g. the role's credentials were refused); a refresh in flight still completes for
  // its waiters.
  void forget(const RoleSessionKey& key);
  std::size_t size() const;

 private:
  using Slot = detail::FlightSlot<AssumedRole>;
  std::shared_ptr<Slot> slotFor(const RoleSessionKey& key, Clock::time_point now);

  Options options_;
  mutable std::mutex mutex_;
  std::map<RoleSessionKey, std::shared_ptr<Slot>> entries_;
};

}  // namespace kubegate::aws
