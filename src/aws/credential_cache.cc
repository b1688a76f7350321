#include "aws/credential_cache.h"

#include <algorithm>

#include "aws/sigv4.h"

namespace kubegate::aws {
namespace {

enum class Freshness { fresh, refreshDue, unusable };

template <class Value>
using Outcome = boost::system::result<Value, AwsError>;

AwsError abandonedRefresh() {
  AwsError e;
  e.kind = AwsError::Kind::transport;
  e.message = "the credential refresh was abandoned before it finished";
  return e;
}

// Resumes every waiter on its own executor (never inline: the refresher may be on another thread).
// (asio 1.81's any_completion_executor cannot be posted to, so the executor is kept beside the handler.)
void wake(std::vector<detail::FlightWaiter> waiters) {
  for (auto& waiter : waiters)
    asio::post(waiter.executor, [resume = std::move(waiter.resume)]() mutable { std::move(resume)(); });
}

template <class Value>
void finishRefresh(std::mutex& mutex, detail::FlightSlot<Value>& slot, Outcome<Value> outcome) {
  std::vector<detail::FlightWaiter> waiters;
  {
    std::lock_guard lock(mutex);
    slot.lastOutcome = std::move(outcome);
    slot.refreshing = false;
    ++slot.completedRefreshes;
    waiters.swap(slot.waiters);
  }
  wake(std::move(waiters));
}

// Releases the waiters even when the refreshing coroutine is destroyed mid-flight (its io_context
// stopped): otherwise they, and every later caller, would wait forever.
template <class Value>
struct RefreshGuard {
  RefreshGuard(std::mutex& m, detail::FlightSlot<Value>& s) : mutex(m), slot(s) {}
  RefreshGuard(const RefreshGuard&) = delete;
  ~RefreshGuard() {
    if (!finished) finishRefresh<Value>(mutex, slot, abandonedRefresh());
  }
  std::mutex& mutex;
  detail::FlightSlot<Value>& slot;
  bool finished = false;
};

// Suspends until the refresh that was running when `seenRefreshes` was read has finished.
template <class Value>
asio::awaitable<void> waitForRefresh(std::mutex& mutex, detail::FlightSlot<Value>& slot, std::uint64_t seenRefreshes) {
  // Not a work-tracking executor: co_spawn already holds work on the waiter's io_context for as long
  // as its coroutine lives, so run() does not return while the refresh runs on another thread.
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [&mutex, &slot, seenRefreshes, executor](auto handler) {
        detail::FlightWaiter waiter{executor, asio::any_completion_handler<void()>(std::move(handler))};
        std::unique_lock lock(mutex);
        if (slot.refreshing && slot.completedRefreshes == seenRefreshes) {
          slot.waiters.push_back(std::move(waiter));
          return;
        }
        lock.unlock();  // the refresh finished between our check and now
        std::vector<detail::FlightWaiter> now;
        now.push_back(std::move(waiter));
        wake(std::move(now));
      },
      asio::use_awaitable);
}

// The single-flight core shared by both caches. `classify` says what the slot's value is good for
// now; `fetch` produces a new value. One caller at a time runs `fetch` for a slot; callers holding a
// value that is only due for refresh keep it, callers without a usable one wait for that refresh.
template <class Value, class Classify>
asio::awaitable<Outcome<Value>> obtain(std::mutex& mutex, detail::FlightSlot<Value>& slot, Classify classify,
                                       std::function<Clock::time_point()> clock,
                                       std::function<asio::awaitable<Outcome<Value>>()> fetch) {
  for (;;) {
    bool refresher = false;
    std::uint64_t seenRefreshes = 0;
    {
      std::lock_guard lock(mutex);
      const auto freshness = classify(slot, clock());
      if (freshness == Freshness::fresh) co_return *slot.current;
      if (!slot.refreshing) {
        slot.refreshing = true;
        refresher = true;
      } else if (freshness == Freshness::refreshDue) {
        co_return *slot.current;
      } else {
        seenRefreshes = slot.completedRefreshes;
      }
    }
    if (refresher) {
      RefreshGuard<Value> guard(mutex, slot);
      const auto requestedAt = clock();  // STS counts the lifetime from about here
      auto fetched = co_await fetch();
      Outcome<Value> outcome = abandonedRefresh();
      {
        std::lock_guard lock(mutex);
        if (fetched) {
          slot.current = *fetched;
          slot.obtainedAt = requestedAt;
          outcome = *fetched;
        } else if (slot.current && classify(slot, clock()) != Freshness::unusable) {
          outcome = *slot.current;  // an early refresh failed: what we have is still good, try again later
        } else {
          outcome = fetched.error();
        }
      }
      guard.finished = true;
      finishRefresh<Value>(mutex, slot, outcome);
      co_return outcome;
    }
    co_await waitForRefresh(mutex, slot, seenRefreshes);
    {
      std::lock_guard lock(mutex);
      if (slot.completedRefreshes != seenRefreshes && slot.lastOutcome) co_return *slot.lastOutcome;
    }
  }
}

Clock::time_point nowOrSystem(const std::function<Clock::time_point()>& clock) { return clock ? clock() : Clock::now(); }

}  // namespace

// ---------------------------------------------------------------------------------------------

RefreshingCredentials::RefreshingCredentials(std::shared_ptr<CredentialProvider> provider)
    : RefreshingCredentials(std::move(provider), Options{}) {}

RefreshingCredentials::RefreshingCredentials(std::shared_ptr<CredentialProvider> provider, Options options)
    : provider_(std::move(provider)), options_(std::move(options)) {}

asio::awaitable<boost::system::result<Credentials, AwsError>> RefreshingCredentials::get() {
  const auto advisory = options_.advisoryWindow;
  const auto mandatory = options_.mandatoryWindow;
  auto classify = [advisory, mandatory](const detail::FlightSlot<Credentials>& slot, Clock::time_point now) {
    if (!slot.current) return Freshness::unusable;
    if (!slot.current->expiration) return Freshness::fresh;  // long-term keys
    const auto left = *slot.current->expiration - now;
    if (left > advisory) return Freshness::fresh;
    if (left > mandatory) return Freshness::refreshDue;
    return Freshness::unusable;
  };
  auto clock = [this] { return nowOrSystem(options_.now); };
  auto fetch = [provider = provider_]() { return provider->fetch(); };
  co_return co_await obtain<Credentials>(mutex_, slot_, classify, clock, fetch);
}

// ---------------------------------------------------------------------------------------------

std::string sessionPolicyDigest(std::string_view policy) { return policy.empty() ? std::string{} : sha256Hex(policy); }

RoleSessionCache::RoleSessionCache() : RoleSessionCache(Options{}) {}
RoleSessionCache::RoleSessionCache(Options options) : options_(std::move(options)) {}

std::shared_ptr<RoleSessionCache::Slot> RoleSessionCache::slotFor(const RoleSessionKey& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  if (entries_.size() >= options_.maxEntries) {
    auto expiration = [](const Slot& slot) {
      return slot.current && slot.current->credentials.expiration ? *slot.current->credentials.expiration
                                                                  : Clock::time_point::min();
    };
    std::erase_if(entries_, [&](const auto& entry) { return !entry.second->refreshing && expiration(*entry.second) <= now; });
    while (entries_.size() >= options_.maxEntries) {
      auto victim = entries_.end();
      for (auto it = entries_.begin(); it != entries_.end(); ++it)
        if (!it->second->refreshing && (victim == entries_.end() || expiration(*it->second) < expiration(*victim->second)))
          victim = it;
      if (victim == entries_.end()) break;  // all busy: grow rather than drop a refresh in flight
      entries_.erase(victim);
    }
  }
  auto slot = std::make_shared<Slot>();
  entries_.emplace(key, slot);
  return slot;
}

asio::awaitable<boost::system::result<AssumedRole, AwsError>> RoleSessionCache::credentialsFor(RoleSessionKey key,
                                                                                               AssumeFn assume) {
  auto clock = [this] { return nowOrSystem(options_.now); };
  // Held by this frame: a forget() or an eviction must not free the slot under a running refresh.
  std::shared_ptr<Slot> slot = slotFor(key, clock());
  const double fraction = options_.refreshAtFraction;
  const auto margin = options_.expiryMargin;
  auto classify = [fraction, margin](const Slot& s, Clock::time_point now) {
    if (!s.current) return Freshness::unusable;
    if (!s.current->credentials.expiration) return Freshness::fresh;
    const auto expiration = *s.current->credentials.expiration;
    if (now >= expiration - margin) return Freshness::unusable;
    const auto life = std::chrono::duration_cast<Clock::duration>((expiration - s.obtainedAt) * fraction);
    return now < s.obtainedAt + life ? Freshness::fresh : Freshness::refreshDue;
  };
  co_return co_await obtain<AssumedRole>(mutex_, *slot, classify, clock, std::move(assume));
}

void RoleSessionCache::forget(const RoleSessionKey& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

std::size_t RoleSessionCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace kubegate::aws
