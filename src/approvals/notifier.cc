#include "approvals/notifier.h"
#include "approvals/approval_json.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "net/asio.h"
#include "net/https_client.h"

namespace kubegate::approvals {
namespace {

namespace json = boost::json;
using FetchResult = boost::system::result<net::HttpsResponse, net::FetchError>;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kRequestTimeout{10};
constexpr std::size_t kMaxResponseBytes = 64 * 1024;
constexpr std::chrono::milliseconds kMaxBackoff{30'000};
// An agent can ask for approvals faster than a receiver takes them; beyond this many deliveries
// waiting or under way, new notices are dropped (and logged) instead of growing without bound.
constexpr std::size_t kMaxOutstandingDeliveries = 1000;
// Long names push the decision out of a chat message's view; Slack also limits a section to 3000.
constexpr std::size_t kMaxShownCodePoints = 500;

std::string formatName(WebhookTarget::Format f) { return f == WebhookTarget::Format::slack ? "slack" : "generic"; }

std::string jsonQuoted(std::string_view s) { return json::serialize(json::value(json::string(s))); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unixSeconds(std::chrono::system_clock::time_point at) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
}

// Header values come from notices; a CR or LF would start a header of the caller's choosing.
std::string headerSafe(std::string_view v) {
  std::string out;
  for (char c : v)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  return out;
}

std::string readSecret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the webhook secret file " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string secret = bytes.str();
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) throw std::invalid_argument("the webhook secret file " + path + " is empty");
  return secret;
}

struct Endpoint {
  bool tls = true;
  std::string host;        // without brackets; the only part of the URL that may be logged
  std::string port;
  std::string target;      // path and query: may carry a secret (Slack), never logged
  std::string hostHeader;  // host[:port] as written in the URL
};

bool isLoopbackName(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || lower(host) == "localhost";
}

// Messages name the host at most: the rest of a webhook URL is often the credential itself.
Endpoint parseWebhookUrl(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->host().empty()) throw std::invalid_argument("a webhook URL is not an absolute URL with a host");
  // Boost.URL 1.81 reads "http://127.0.0.1.evil.example/x" as host 127.0.0.1 and path
  // ".evil.example/x"; after an authority the path must be empty or start with '/'.
  if (!parsed->encoded_path().empty() && parsed->encoded_path().front() != '/')
    throw std::invalid_argument("a webhook URL has a host that is not a valid name or address");
  Endpoint ep;
  ep.host = std::string(parsed->encoded_host());
  if (ep.host.size() > 2 && ep.host.front() == '[') ep.host = ep.host.substr(1, ep.host.size() - 2);
  std::string scheme = lower(std::string(parsed->scheme()));
  if (scheme == "http") {
    if (!isLoopbackName(ep.host))
      throw std::invalid_argument("webhook URL for host " + ep.host +
                                  ": http:// is allowed only for 127.0.0.1, localhost and ::1; use https://");
    ep.tls = false;
  } else if (scheme != "https") {
    throw std::invalid_argument("webhook URL for host " + ep.host + ": only https:// is allowed");
  }
  ep.port = parsed->has_port() ? std::string(parsed->port()) : (ep.tls ? "443" : "80");
  ep.target = std::string(parsed->encoded_path());
  if (ep.target.empty()) ep.target = "/";
  if (parsed->has_query()) ep.target += "?" + std::string(parsed->encoded_query());
  ep.hostHeader = std::string(parsed->encoded_host_and_port());
  return ep;
}

// --- What reviewers see -------------------------------------------------------------------------

bool hiddenFromHumans(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return true;              // C0, DEL, C1 (ANSI CSI too)
  if (cp >= 0x202a && cp <= 0x202e) return true;                          // bidi embeddings, overrides
  if (cp >= 0x2066 && cp <= 0x2069) return true;                          // bidi isolates
  return cp == 0x200e || cp == 0x200f || cp == 0x061c;                    // bidi marks
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Decodes one UTF-8 sequence at `i`. A malformed one yields U+FFFD and consumes only its first byte,
// so no valid character after it is lost and what a reviewer sees is always valid text (Slack
// refuses a payload that is not).
char32_t nextCodePoint(std::string_view s, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
  bool valid = length != 0 && i + length <= s.size();
  char32_t cp = length == 1 ? lead : lead & (0x7f >> length);
  for (std::size_t k = 1; valid && k < length; ++k) {
    valid = (byte(i + k) & 0xc0) == 0x80;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  static constexpr char32_t kSmallestOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
  valid = valid && cp >= kSmallestOfLength[length] && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
  i += valid ? length : 1;
  return valid ? cp : 0xfffd;
}

// One value as a Slack reviewer sees it: no control or bidi characters, bounded length, and
// mrkdwn's control characters escaped so a value cannot become a link or a mention.
std::string shown(std::string_view value) {
  std::string out;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < value.size();) {
    char32_t cp = nextCodePoint(value, i);
    if (hiddenFromHumans(cp)) continue;
    if (++kept > kMaxShownCodePoints) {
      out += "\xe2\x80\xa6";  // …
      break;
    }
    if (cp == '&') out += "&amp;";
    else if (cp == '<') out += "&lt;";
    else if (cp == '>') out += "&gt;";
    else appendUtf8(out, cp);
  }
  return out;
}

std::string slackHeading(const std::string& event) {
  if (event == "approval.requested") return "kubegate approval";
  if (event == "approval.decided") return "kubegate approval decided";
  if (event == "grant.requested") return "kubegate grant request";
  return "kubegate " + shown(event);
}

std::chrono::milliseconds backoffBefore(int nextAttempt, std::chrono::milliseconds first) {
  auto wait = first;
  for (int k = 2; k < nextAttempt && wait < kMaxBackoff; ++k) wait *= 2;
  return std::min(wait, kMaxBackoff);
}

bool worthRetrying(unsigned status) { return status >= 500 || status == 429; }

net::FetchError fetchError(std::string message) {
  net::FetchError e;
  e.message = std::move(message);
  return e;
}

// For receivers on this host only (the constructor refuses other http:// URLs).
asio::awaitable<FetchResult> postPlain(const Endpoint& ep, std::map<std::string, std::string> headers, std::string body) {
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  stream.expires_after(kRequestTimeout);
  tcp::resolver resolver(ex);
  auto [resolveEc, endpoints] = co_await resolver.async_resolve(ep.host, ep.port, kAsTuple);
  if (resolveEc) co_return fetchError("cannot resolve " + ep.host + ": " + resolveEc.message());
  auto [connectEc, connected] = co_await stream.async_connect(endpoints, kAsTuple);
  if (connectEc) co_return fetchError("cannot connect to " + ep.host + ": " + connectEc.message());

  http::request<http::string_body> req{http::verb::post, ep.target, 11};
  req.set(http::field::host, ep.hostHeader);
  req.set(http::field::user_agent, "kubegate");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();
  req.keep_alive(false);
  auto [writeEc, written] = co_await http::async_write(stream, req, kAsTuple);
  if (writeEc) co_return fetchError("sending to " + ep.host + " failed: " + writeEc.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  auto [readEc, read] = co_await http::async_read(stream, buffer, parser, kAsTuple);
  if (readEc) co_return fetchError("reading from " + ep.host + " failed: " + readEc.message());
  net::HttpsResponse out;
  out.status = parser.get().result_int();
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return out;
}

// --- The delivery thread ------------------------------------------------------------------------

struct PreparedTarget {
  WebhookTarget::Format format;
  std::string formatName;
  std::string url;
  Endpoint endpoint;
  std::shared_ptr<ssl::context> tls;  // https only: built once, shared by every delivery
  std::string secret;                 // generic only; empty: unsigned
  int maxAttempts;
  std::chrono::milliseconds firstBackoff;

  explicit PreparedTarget(const WebhookTarget& t)
      : format(t.format),
        formatName(approvals::formatName(t.format)),
        url(t.url),
        endpoint(parseWebhookUrl(t.url)),
        maxAttempts(std::max(1, t.maxAttempts)),
        firstBackoff(std::max(std::chrono::milliseconds(1), t.firstBackoff)) {
    if (endpoint.tls) tls = net::makeClientTlsContext(t.caFile);
    if (format == WebhookTarget::Format::generic && !t.secretFile.empty()) secret = readSecret(t.secretFile);
  }
};

}  // namespace

struct Notifier::Impl {
  std::vector<PreparedTarget> targets;
  DeliveryCounters counters;
  std::mutex mutex;
  std::deque<std::shared_ptr<const Notice>> queue;  // guarded by mutex
  // Deliveries queued or under way, one per notice and target; read after the thread has ended.
  std::atomic<std::size_t> outstanding{0};
  // Declared after everything its handlers use, so that it is destroyed (with any suspended
  // deliveries) first.
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> keepRunning{io.get_executor()};
  std::thread thread;

  void enqueue(Notice notice);
  void drain();
  asio::awaitable<void> deliver(std::shared_ptr<const Notice> notice, const PreparedTarget& target);
  asio::awaitable<FetchResult> attempt(const Notice& notice, const PreparedTarget& target);
  void countAttempt(const PreparedTarget& target, bool ok) {
    if (counters.attempt) counters.attempt(target.formatName, ok);
  }
};

void Notifier::Impl::enqueue(Notice notice) {
  if (targets.empty()) return;
  std::size_t expected = outstanding.load();
  do {
    if (expected + targets.size() > kMaxOutstandingDeliveries) {
      spdlog::warn(R"({{"msg":"webhook notice dropped: too many deliveries waiting","waiting":{}}})", expected);
      return;
    }
  } while (!outstanding.compare_exchange_weak(expected, expected + targets.size()));
  bool wasEmpty = false;
  {
    std::lock_guard lock(mutex);
    wasEmpty = queue.empty();
    queue.push_back(std::make_shared<const Notice>(std::move(notice)));
  }
  if (wasEmpty) asio::post(io, [this] { drain(); });
}

void Notifier::Impl::drain() {
  std::deque<std::shared_ptr<const Notice>> taken;
  {
    std::lock_guard lock(mutex);
    taken.swap(queue);
  }
  for (const auto& notice : taken)
    for (const auto& target : targets)
      asio::co_spawn(io, deliver(notice, target), [this, &target](std::exception_ptr e) {
        if (e) spdlog::error(R"({{"msg":"webhook delivery failed unexpectedly","target":{}}})", jsonQuoted(target.endpoint.host));
        outstanding.fetch_sub(1);
      });
}

asio::awaitable<FetchResult> Notifier::Impl::attempt(const Notice& notice, const PreparedTarget& target) {
  auto now = std::chrono::system_clock::now();
  std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
  std::string body;
  if (target.format == WebhookTarget::Format::slack) {
    body = Notifier::slackBody(notice);
  } else {
    // Timestamp and body are made per attempt, so a retry is still inside the receiver's window.
    body = Notifier::genericBody(notice, now);
    std::string timestamp = unixSeconds(now);
    headers["Kubegate-Event"] = headerSafe(notice.event);
    headers["Kubegate-Timestamp"] = timestamp;
    if (!target.secret.empty()) headers["Kubegate-Signature"] = Notifier::signature(target.secret, timestamp, body);
  }
  if (!target.endpoint.tls) co_return co_await postPlain(target.endpoint, std::move(headers), std::move(body));
  net::HttpsRequest request;
  request.method = "POST";
  request.url = target.url;
  request.headers = std::move(headers);
  request.body = std::move(body);
  request.timeout = kRequestTimeout;
  request.maxResponseBytes = kMaxResponseBytes;
  co_return co_await net::httpsFetch(std::move(request), *target.tls);
}

asio::awaitable<void> Notifier::Impl::deliver(std::shared_ptr<const Notice> notice, const PreparedTarget& target) {
  const std::string host = jsonQuoted(target.endpoint.host);
  for (int attemptNo = 1; attemptNo <= target.maxAttempts; ++attemptNo) {
    if (attemptNo > 1) {
      asio::steady_timer pause(io, backoffBefore(attemptNo, target.firstBackoff));
      co_await pause.async_wait(kAsTuple);
    }
    FetchResult result = co_await attempt(*notice, target);
    bool ok = result && result->status >= 200 && result->status < 300;
    countAttempt(target, ok);
    if (ok) co_return;
    bool retry = !result || worthRetrying(result->status);
    if (result) {
      spdlog::warn(R"({{"msg":"webhook delivery refused","format":"{}","target":{},"attempt":{},"status":{},"retry":{}}})",
                   target.formatName, host, attemptNo, result->status, retry && attemptNo < target.maxAttempts);
    } else {
      spdlog::warn(R"({{"msg":"webhook delivery failed","format":"{}","target":{},"attempt":{},"status":null,"why":{}}})",
                   target.formatName, host, attemptNo, jsonQuoted(result.error().message));
    }
    if (!retry) break;
  }
  spdlog::error(R"({{"msg":"webhook delivery given up","format":"{}","target":{}}})", target.formatName, host);
  if (counters.givenUp) counters.givenUp(target.formatName);
}

Notifier::Notifier(std::vector<WebhookTarget> targets, DeliveryCounters counters) : impl_(std::make_unique<Impl>()) {
  for (const auto& t : targets) impl_->targets.emplace_back(t);
  impl_->counters = std::move(counters);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

Notifier::~Notifier() {
  impl_->keepRunning.reset();
  impl_->io.stop();
  impl_->thread.join();
  if (auto dropped = impl_->outstanding.load())
    spdlog::warn(R"({{"msg":"webhook notices not delivered at shutdown","deliveries":{}}})", dropped);
}

void Notifier::notify(Notice notice) { impl_->enqueue(std::move(notice)); }

// --- Bodies and signature -----------------------------------------------------------------------

std::string Notifier::genericBody(const Notice& notice, std::chrono::system_clock::time_point at) {
  json::value approval;  // null when the detail is not a JSON object
  boost::system::error_code ec;
  json::value detail = json::parse(notice.detailJson, ec);
  if (!ec && detail.is_object()) approval = std::move(detail);
  json::object body;
  body["event"] = notice.event;
  body["approvalId"] = notice.approvalId;
  body["requester"] = notice.requester;
  body["purpose"] = notice.purpose;
  body["cluster"] = notice.cluster;
  body["summary"] = notice.summary;
  body["decideCommand"] = notice.decideCommand;
  body["approval"] = std::move(approval);
  body["sentAt"] = rfc3339(at);
  return json::serialize(body);
}

std::string Notifier::slackBody(const Notice& notice) {
  const std::string id = shown(notice.approvalId);
  const std::string requester = shown(notice.requester);
  const std::string summary = shown(notice.summary);
  const std::string cluster = shown(notice.cluster);
  const std::string heading = slackHeading(notice.event);
  json::object text{{"type", "mrkdwn"},
                    {"text", "*" + heading + "* `" + id + "`\n*" + requester + "* wants to " + summary + " on *" +
                                 cluster + "*\nPurpose: " + shown(notice.purpose)}};
  json::object decide{{"type", "mrkdwn"}, {"text", "Decide: `" + shown(notice.decideCommand) + "`"}};
  json::array blocks;
  blocks.push_back(json::object{{"type", "section"}, {"text", std::move(text)}});
  blocks.push_back(json::object{{"type", "section"}, {"text", std::move(decide)}});
  json::object body;
  body["text"] = heading + " " + id + ": " + requester + " wants to " + summary + " on " + cluster;
  body["blocks"] = std::move(blocks);
  return json::serialize(body);
}

std::string Notifier::signature(const std::string& secret, const std::string& timestamp, const std::string& body) {
  const std::string signedText = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLength = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(signedText.data()),
       signedText.size(), mac, &macLength);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < macLength; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

}  // namespace kubegate::approvals
