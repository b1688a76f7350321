// Tells reviewers that a request waits for them: a generic webhook (JSON, body signed with
// HMAC-SHA256) and a Slack-compatible incoming-webhook payload. Deliveries run on the notifier's
// own thread with retries and exponential backoff, so the data path never waits on a webhook;
// failures are counted and logged (never with the secret or the body's values).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kubegate::approvals {

struct WebhookTarget {
  enum class Format { generic, slack } format = Format::generic;
  std::string url;          // https:// (http:// only for 127.0.0.1/localhost/::1)
  std::string caFile;       // CA bundle for https; empty: the system's
  std::string secretFile;   // generic: HMAC key (the file's bytes, trailing newline dropped); empty: unsigned
  int maxAttempts = 5;
  std::chrono::milliseconds firstBackoff{500};  // doubled after each failed attempt, at most 30 s
};

// What a notification says. `decideCommand` is the command a reviewer runs (or a link).
struct Notice {
  std::string event;  // "approval.requested", "approval.decided", "grant.requested"
  std::string approvalId;
  std::string requester;
  std::string purpose;
  std::string cluster;
  std::string summary;      // one line: "delete pods/web-1 in staging"
  std::string detailJson;   // the approval as the admin API shows it (JSON object)
  std::string decideCommand;
};

struct DeliveryCounters {
  std::function<void(const std::string& format, bool ok)> attempt;  // one call per attempt
  std::function<void(const std::string& format)> givenUp;          // after maxAttempts
};

class Notifier {
 public:
  Notifier(std::vector<WebhookTarget> targets, DeliveryCounters counters = {});
  ~Notifier();  // stops the thread; undelivered notices are dropped (logged)
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Queues the notice for every target; returns at once.
  void notify(Notice notice);

  // The bodies, as sent (exposed for tests and docs).
  static std::string genericBody(const Notice& notice, std::chrono::system_clock::time_point at);
  static std::string slackBody(const Notice& notice);
  // "sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>", sent as Kubegate-Signature with
  // Kubegate-Timestamp: <unix seconds>, so a receiver can refuse replays outside a time window.
  static std::string signature(const std::string& secret, const std::string& timestamp, const std::string& body);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kubegate::approvals
