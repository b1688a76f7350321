// The notifier against real receivers on 127.0.0.1 (plain HTTP, and HTTPS with a certificate made
// by the openssl tool): what arrives, how it is signed, and how failures are retried.
#include "approvals/notifier.h"

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "net/asio.h"

namespace kubegate::approvals {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

struct Received {
  std::string target;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  SteadyClock::time_point at;
};

// Answers each request with the next scripted status (200 once the script is used up) and keeps
// what it was sent.
class Receiver {
 public:
  explicit Receiver(std::vector<unsigned> statuses, std::shared_ptr<ssl::context> tls = nullptr)
      : statuses_(std::move(statuses)), tls_(std::move(tls)), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io_, acceptLoop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Receiver() {
    io_.stop();
    thread_.join();
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port()) + "/hooks/T000/B000/XXXXsecretpath";
  }

  std::vector<Received> waitFor(std::size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
    return received_;
  }

 private:
  asio::awaitable<void> acceptLoop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
      if (ec) co_return;
      if (tls_) asio::co_spawn(io_, serveTls(std::move(socket)), asio::detached);
      else asio::co_spawn(io_, serve(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> serveTls(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls_);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kAsTuple);
    if (!ec) co_await serve(std::move(stream));
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream stream) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [readEc, read] = co_await http::async_read(stream, buffer, req, kAsTuple);
    if (readEc) co_return;
    Received got;
    got.target = std::string(req.target());
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      got.headers[name] = std::string(field.value());
    }
    got.body = req.body();
    got.at = SteadyClock::now();
    unsigned status = 200;
    {
      std::lock_guard lock(mutex_);
      if (received_.size() < statuses_.size()) status = statuses_[received_.size()];
      received_.push_back(std::move(got));
    }
    changed_.notify_all();
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.body() = "{}";
    res.prepare_payload();
    res.keep_alive(false);
    co_await http::async_write(stream, res, kAsTuple);
  }

  std::vector<unsigned> statuses_;
  std::shared_ptr<ssl::context> tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Received> received_;
};

// The counters as a metrics exporter would see them.
class CounterLog {
 public:
  DeliveryCounters counters() {
    DeliveryCounters c;
    c.attempt = [this](const std::string& format, bool ok) {
      std::lock_guard lock(mutex_);
      attempts_.push_back(format + (ok ? ":ok" : ":failed"));
      changed_.notify_all();
    };
    c.givenUp = [this](const std::string& format) {
      std::lock_guard lock(mutex_);
      givenUp_.push_back(format);
      changed_.notify_all();
    };
    return c;
  }
  std::vector<std::string> waitForAttempts(std::size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return attempts_.size() >= count; });
    return attempts_;
  }
  std::vector<std::string> waitForGivenUp(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return !givenUp_.empty(); });
    return givenUp_;
  }
  std::vector<std::string> attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> attempts_;
  std::vector<std::string> givenUp_;
};

class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("h9-notifier-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& content) const {
    auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

Notice sampleNotice() {
  Notice n;
  n.event = "approval.requested";
  n.approvalId = "apr-7f3a";
  n.requester = "agent-ci";
  n.purpose = "clean up the crashed pod";
  n.cluster = "prod";
  n.summary = "delete pods/web-1 in staging";
  n.detailJson = R"({"id":"apr-7f3a","state":"pending","approvalsNeeded":2})";
  n.decideCommand = "kubegate review approve apr-7f3a";
  return n;
}

WebhookTarget target(std::string url, WebhookTarget::Format format = WebhookTarget::Format::generic) {
  WebhookTarget t;
  t.format = format;
  t.url = std::move(url);
  t.firstBackoff = 50ms;
  return t;
}

std::string hmacHex(const std::string& key, const std::string& text) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()),
       text.size(), mac, &length);
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(two, sizeof two, "%02x", mac[i]);
    hex += two;
  }
  return hex;
}

long long unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string slackText(const json::value& body, std::size_t block) {
  return std::string(body.at("blocks").at(block).at("text").at("text").as_string());
}

TEST(NotifierGeneric, DeliversSignedBodyWithHeaders) {
  ScratchDir dir;
  Receiver receiver({});
  CounterLog log;
  WebhookTarget t = target(receiver.url());
  t.secretFile = dir.write("secret", "s3cret-key\n");
  Notifier notifier({t}, log.counters());
  notifier.notify(sampleNotice());

  auto got = receiver.waitFor(1);
  ASSERT_EQ(got.size(), 1u);
  const Received& r = got[0];
  EXPECT_EQ(r.target, "/hooks/T000/B000/XXXXsecretpath");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("kubegate-event"), "approval.requested");
  const std::string timestamp = r.headers.at("kubegate-timestamp");
  EXPECT_NEAR(std::stoll(timestamp), unixNow(), 60);
  // The trailing newline of the secret file is not part of the key.
  EXPECT_EQ(r.headers.at("kubegate-signature"), "sha256=" + hmacHex("s3cret-key", timestamp + "." + r.body));
  EXPECT_NE(r.headers.at("kubegate-signature"), "sha256=" + hmacHex("s3cret-key\n", timestamp + "." + r.body));

  json::value body = json::parse(r.body);
  EXPECT_EQ(body.at("event"), "approval.requested");
  EXPECT_EQ(body.at("approvalId"), "apr-7f3a");
  EXPECT_EQ(body.at("requester"), "agent-ci");
  EXPECT_EQ(body.at("purpose"), "clean up the crashed pod");
  EXPECT_EQ(body.at("cluster"), "prod");
  EXPECT_EQ(body.at("summary"), "delete pods/web-1 in staging");
  EXPECT_EQ(body.at("decideCommand"), "kubegate review approve apr-7f3a");
  EXPECT_EQ(body.at("approval").at("approvalsNeeded"), 2);
  std::time_t sent = std::stoll(timestamp);
  std::tm utc{};
  gmtime_r(&sent, &utc);
  char expected[32];
  std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%SZ", &utc);
  EXPECT_EQ(body.at("sentAt"), expected);  // the signed timestamp and the body agree

  EXPECT_EQ(log.waitForAttempts(1), std::vector<std::string>{"generic:ok"});
}

TEST(NotifierGeneric, UnsignedWithoutSecretFile) {
  Receiver receiver({});
  Notifier notifier({target(receiver.url())});
  notifier.notify(sampleNotice());
  auto got = receiver.waitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].headers.count("kubegate-signature"), 0u);
  EXPECT_EQ(got[0].headers.count("kubegate-timestamp"), 1u);
}

TEST(NotifierGeneric, EveryTargetGetsEveryNotice) {
  Receiver generic({});
  Receiver slack({});
  Notifier notifier({target(generic.url()), target(slack.url(), WebhookTarget::Format::slack)});
  Notice second = sampleNotice();
  second.approvalId = "apr-second";
  notifier.notify(sampleNotice());
  notifier.notify(second);
  ASSERT_EQ(generic.waitFor(2).size(), 2u);
  auto slackGot = slack.waitFor(2);
  ASSERT_EQ(slackGot.size(), 2u);
  EXPECT_EQ(slackGot[0].headers.count("kubegate-event"), 0u);
  EXPECT_TRUE(json::parse(slackGot[0].body).at("blocks").is_array());
}

TEST(NotifierBodies, GenericBodyAtAGivenTime) {
  auto at = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 3min + 4s + 500ms;
  json::value body = json::parse(Notifier::genericBody(sampleNotice(), at));
  EXPECT_EQ(body.at("sentAt"), "2024-05-01T12:03:04Z");
  EXPECT_TRUE(body.at("approval").is_object());
  EXPECT_EQ(body.at("approval").at("state"), "pending");

  Notice broken = sampleNotice();
  broken.detailJson = "not json";
  EXPECT_TRUE(json::parse(Notifier::genericBody(broken, at)).at("approval").is_null());
}

TEST(NotifierBodies, SlackBodyHasSummaryAndDecideCommand) {
  json::value body = json::parse(Notifier::slackBody(sampleNotice()));
  EXPECT_NE(std::string(body.at("text").as_string()).find("apr-7f3a"), std::string::npos);
  ASSERT_EQ(body.at("blocks").as_array().size(), 2u);
  EXPECT_EQ(body.at("blocks").at(0).at("type"), "section");
  EXPECT_EQ(body.at("blocks").at(0).at("text").at("type"), "mrkdwn");
  EXPECT_EQ(slackText(body, 0),
            "*kubegate approval* `apr-7f3a`\n*agent-ci* wants to delete pods/web-1 in staging on *prod*\n"
            "Purpose: clean up the crashed pod");
  EXPECT_EQ(slackText(body, 1), "Decide: `kubegate review approve apr-7f3a`");
}

TEST(NotifierBodies, SlackEscapesLinksAndMentions) {
  Notice n = sampleNotice();
  n.purpose = "ping <!channel> & see <https://evil.example|the docs>";
  n.requester = "a<b>";
  json::value body = json::parse(Notifier::slackBody(n));
  const std::string section = slackText(body, 0);
  EXPECT_NE(section.find("Purpose: ping &lt;!channel&gt; &amp; see &lt;https://evil.example|the docs&gt;"), std::string::npos);
  EXPECT_NE(section.find("*a&lt;b&gt;*"), std::string::npos);
  const std::string text(body.at("text").as_string());
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_NE(text.find("a&lt;b&gt;"), std::string::npos);
}

TEST(NotifierBodies, SlackStripsBidiOverridesAndAnsiEscapes) {
  Notice n = sampleNotice();
  n.summary = "delete pods/\xe2\x80\xae" "fdp.1-bew";             // U+202E RIGHT-TO-LEFT OVERRIDE
  n.requester = "\x1b[2K\x1b[1Aagent";                             // erases and rewrites a terminal line
  n.cluster = "prod\xe2\x81\xa6x\xe2\x81\xa9";                     // U+2066 ... U+2069 isolate
  n.purpose = "line one\nline two\r\x7f";
  n.approvalId = "apr-1\xe2\x80\xaa";                              // U+202A
  const std::string raw = Notifier::slackBody(n);
  for (const char* hidden : {"\xe2\x80\xae", "\xe2\x80\xaa", "\xe2\x81\xa6", "\xe2\x81\xa9", "\x1b", "\\u001b", "\\u007f", "\\r"})
    EXPECT_EQ(raw.find(hidden), std::string::npos) << "found " << hidden;
  json::value body = json::parse(raw);
  EXPECT_EQ(slackText(body, 0),
            "*kubegate approval* `apr-1`\n*[2K[1Aagent* wants to delete pods/fdp.1-bew on *prodx*\n"
            "Purpose: line oneline two");
}

TEST(NotifierBodies, SlackKeepsOrdinaryUnicodeAndRepairsBrokenUtf8) {
  Notice n = sampleNotice();
  n.requester = "J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac";  // Jürgen 日本
  n.purpose = "bad \xff\xc0\xaf bytes";
  json::value body = json::parse(Notifier::slackBody(n));  // would throw on invalid UTF-8 output
  const std::string section = slackText(body, 0);
  EXPECT_NE(section.find("*J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac*"), std::string::npos);
  EXPECT_NE(section.find("Purpose: bad \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd bytes"), std::string::npos);
}

TEST(NotifierBodies, SlackShortensVeryLongValues) {
  Notice n = sampleNotice();
  n.summary = "delete pods/" + std::string(5000, 'a');
  json::value body = json::parse(Notifier::slackBody(n));
  EXPECT_LT(slackText(body, 0).size(), 1000u);  // Slack refuses a section text over 3000
  EXPECT_NE(slackText(body, 0).find("a\xe2\x80\xa6 on *prod*"), std::string::npos);
}

TEST(NotifierSignature, MatchesKnownVector) {
  // python3 -c 'import hmac,hashlib;print(hmac.new(b"k",b"1.{}",hashlib.sha256).hexdigest())'
  EXPECT_EQ(Notifier::signature("k", "1", "{}"),
            "sha256=3dd49b2593d0f9a349e9e71c4bde3e2b862c2be4003fe9b4ba81332029310158");
  EXPECT_NE(Notifier::signature("k", "2", "{}"), Notifier::signature("k", "1", "{}"));
}

TEST(NotifierRetry, ServerErrorsAreRetriedWithGrowingGaps) {
  Receiver receiver({500, 500, 200});
  CounterLog log;
  WebhookTarget t = target(receiver.url(), WebhookTarget::Format::slack);
  Notifier notifier({t}, log.counters());
  notifier.notify(sampleNotice());

  auto got = receiver.waitFor(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_GE(got[1].at - got[0].at, 50ms);
  EXPECT_GE(got[2].at - got[1].at, 100ms);
  EXPECT_EQ(log.waitForAttempts(3), (std::vector<std::string>{"slack:failed", "slack:failed", "slack:ok"}));
  std::this_thread::sleep_for(300ms);  // longer than the next backoff would have been
  EXPECT_EQ(receiver.waitFor(4, 0ms).size(), 3u);
}

TEST(NotifierRetry, TooManyRequestsIsRetried) {
  Receiver receiver({429});
  CounterLog log;
  Notifier notifier({target(receiver.url())}, log.counters());
  notifier.notify(sampleNotice());
  EXPECT_EQ(receiver.waitFor(2).size(), 2u);
  EXPECT_EQ(log.waitForAttempts(2), (std::vector<std::string>{"generic:failed", "generic:ok"}));
}

TEST(NotifierRetry, ClientErrorIsNotRetried) {
  Receiver receiver({400, 400, 400});
  CounterLog log;
  Notifier notifier({target(receiver.url())}, log.counters());
  notifier.notify(sampleNotice());
  EXPECT_EQ(log.waitForGivenUp(), std::vector<std::string>{"generic"});
  EXPECT_EQ(log.attempts(), std::vector<std::string>{"generic:failed"});
  EXPECT_EQ(receiver.waitFor(2, 200ms).size(), 1u);
}

unsigned short closedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();  // closed again when the acceptor goes
}

TEST(NotifierRetry, UnreachableReceiverGivesUpAfterMaxAttempts) {
  CounterLog log;
  WebhookTarget t = target("http://127.0.0.1:" + std::to_string(closedPort()) + "/hook");
  t.maxAttempts = 3;
  t.firstBackoff = 10ms;
  Notifier notifier({t}, log.counters());
  notifier.notify(sampleNotice());
  EXPECT_EQ(log.waitForGivenUp(), std::vector<std::string>{"generic"});
  EXPECT_EQ(log.attempts(), (std::vector<std::string>{"generic:failed", "generic:failed", "generic:failed"}));
}

TEST(NotifierLifecycle, NotifyReturnsAtOnceAndShutdownDoesNotWaitForRetries) {
  CounterLog log;
  WebhookTarget t = target("http://localhost:" + std::to_string(closedPort()) + "/hook");
  t.firstBackoff = 10s;
  auto notifier = std::make_unique<Notifier>(std::vector<WebhookTarget>{t}, log.counters());
  auto before = SteadyClock::now();
  for (int i = 0; i < 50; ++i) notifier->notify(sampleNotice());
  EXPECT_LT(SteadyClock::now() - before, 500ms);
  log.waitForAttempts(50);
  before = SteadyClock::now();
  notifier.reset();  // every delivery now sleeps 10 s before its second attempt
  EXPECT_LT(SteadyClock::now() - before, 2s);
  EXPECT_EQ(log.attempts().size(), 50u);
}

TEST(NotifierConfig, PlainHttpOnlyForLoopbackHosts) {
  try {
    Notifier notifier({target("http://hooks.example.com/services/T000/B000/XXXXsecretpath")});
    FAIL() << "plain http to another host was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("hooks.example.com"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("secretpath"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("services"), std::string::npos);
  }
  EXPECT_THROW(Notifier({target("http://10.0.0.1:8080/hook")}), std::invalid_argument);
  EXPECT_THROW(Notifier({target("http://127.0.0.1@evil.example/hook")}), std::invalid_argument);
  // Boost.URL 1.81 alone would read these as host 127.0.0.1 with a path not starting with '/'.
  EXPECT_THROW(Notifier({target("http://127.0.0.1.evil.example/hook")}), std::invalid_argument);
  EXPECT_THROW(Notifier({target("https://127.0.0.1.evil.example/hook")}), std::invalid_argument);
  EXPECT_THROW(Notifier({target("ftp://127.0.0.1/hook")}), std::invalid_argument);
  EXPECT_THROW(Notifier({target("hooks.example.com/hook")}), std::invalid_argument);
  EXPECT_NO_THROW(Notifier({target("http://127.0.0.1:9/hook")}));
  EXPECT_NO_THROW(Notifier({target("http://LOCALHOST:9/hook")}));
  EXPECT_NO_THROW(Notifier({target("http://[::1]:9/hook")}));
  EXPECT_NO_THROW(Notifier({target("https://hooks.example.com/services/T000")}));
}

TEST(NotifierConfig, UnreadableSecretFileIsRefused) {
  ScratchDir dir;
  WebhookTarget t = target("http://127.0.0.1:9/hook");
  t.secretFile = dir.file("missing");
  EXPECT_ANY_THROW(Notifier({t}));
  t.secretFile = dir.write("empty", "\n");
  EXPECT_ANY_THROW(Notifier({t}));
}

// A self-signed certificate for 127.0.0.1, made by the openssl tool in `dir`.
bool makeLoopbackCertificate(const ScratchDir& dir) {
  std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1"
                        " -addext subjectAltName=IP:127.0.0.1 -keyout " +
                        dir.file("key.pem") + " -out " + dir.file("cert.pem") + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

TEST(NotifierHttps, DeliversToAVerifiedReceiverOnly) {
  ScratchDir dir;
  if (!makeLoopbackCertificate(dir)) GTEST_SKIP() << "the openssl tool is not available";
  auto serverTls = std::make_shared<ssl::context>(ssl::context::tls_server);
  serverTls->use_certificate_chain_file(dir.file("cert.pem"));
  serverTls->use_private_key_file(dir.file("key.pem"), ssl::context::pem);
  Receiver receiver({}, serverTls);

  CounterLog trusted;
  WebhookTarget t = target(receiver.url("https"), WebhookTarget::Format::slack);
  t.caFile = dir.file("cert.pem");
  {
    Notifier notifier({t}, trusted.counters());
    notifier.notify(sampleNotice());
    EXPECT_EQ(trusted.waitForAttempts(1), std::vector<std::string>{"slack:ok"});
  }
  auto got = receiver.waitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/hooks/T000/B000/XXXXsecretpath");
  EXPECT_EQ(json::parse(got[0].body).at("blocks").as_array().size(), 2u);

  CounterLog untrusted;  // the system store does not know the self-signed certificate
  t.caFile.clear();
  t.maxAttempts = 1;
  Notifier notifier({t}, untrusted.counters());
  notifier.notify(sampleNotice());
  EXPECT_EQ(untrusted.waitForGivenUp(), std::vector<std::string>{"slack"});
  EXPECT_EQ(receiver.waitFor(2, 100ms).size(), 1u);
}

}  // namespace
}  // namespace kubegate::approvals
