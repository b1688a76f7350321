#include "cli/review_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "admin/approvals_api.h"
#include "../admin/fake_approval_store.h"

namespace kubegate::cli {
namespace {

namespace fs = std::filesystem;
using testing::FakeApprovalStore;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kubegate-review-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content, fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) const {
    const auto file = (fs::path(path_) / name).string();
    std::ofstream(file) << content;
    fs::permissions(file, perms);
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The value, or the error's message, so that a failure says why.
std::string textOf(const ReviewResult<std::string>& result) { return result ? *result : "error: " + result.error().message; }

std::string kubeconfigWithUser(const std::string& user) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: reviewer\ncontexts:\n"
         "- name: other\n  context: {cluster: gw, user: nobody}\n"
         "- name: reviewer\n  context: {cluster: gw, user: rev}\n"
         "users:\n- name: nobody\n  user: {token: wrong}\n- name: rev\n  user:\n" + user;
}

TEST(ReviewCommandKubeconfig, TakesTheCurrentContextsToken) {
  TempDir dir;
  const auto file = dir.write("config", kubeconfigWithUser("    token: reviewer-a\n"));
  EXPECT_EQ(textOf(kubeconfigToken(file, "")), "reviewer-a");
  EXPECT_EQ(textOf(kubeconfigToken(file, "other")), "wrong");
  EXPECT_FALSE(kubeconfigToken(file, "missing"));
}

TEST(ReviewCommandKubeconfig, ReadsATokenFileRelativeToTheKubeconfig) {
  TempDir dir;
  dir.write("token", "reviewer-b\n");
  const auto file = dir.write("config", kubeconfigWithUser("    tokenFile: token\n"));
  EXPECT_EQ(textOf(kubeconfigToken(file, "")), "reviewer-b");
}

TEST(ReviewCommandKubeconfig, MergesAColonSeparatedList) {
  TempDir dir;
  const auto users = dir.write("users", "users:\n- name: rev\n  user: {token: from-second-file}\n");
  const auto contexts = dir.write("contexts", "current-context: reviewer\ncontexts:\n- name: reviewer\n  context: {user: rev}\n");
  EXPECT_EQ(textOf(kubeconfigToken(contexts + ":" + dir.path() + "/absent:" + users, "")), "from-second-file");
}

TEST(ReviewCommandKubeconfig, RunsAnExecPluginWithItsArgsEnvAndExecInfo) {
  TempDir dir;
  // Prints a token built from its argument, its env entry, and the exec info client-go would pass.
  dir.write("plugin.sh",
            "#!/bin/sh\n"
            "case \"$KUBERNETES_EXEC_INFO\" in *'\"interactive\":false'*) ;; *) exit 3 ;; esac\n"
            "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
            "\"status\":{\"token\":\"%s-%s\"}}' \"$1\" \"$REVIEW_SUFFIX\"\n",
            fs::perms::owner_all);
  const auto file = dir.write("config", kubeconfigWithUser("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                                           "      command: ./plugin.sh\n      args: [reviewer]\n"
                                                           "      env: [{name: REVIEW_SUFFIX, value: a}]\n"));
  EXPECT_EQ(textOf(kubeconfigToken(file, "")), "reviewer-a");
}

TEST(ReviewCommandKubeconfig, AFailingPluginIsReportedWithoutItsOutput) {
  TempDir dir;
  dir.write("plugin.sh", "#!/bin/sh\necho '{\"status\":{\"token\":\"secret-token-value\"}}'\nexit 4\n", fs::perms::owner_all);
  const auto file = dir.write("config", kubeconfigWithUser("    exec: {command: ./plugin.sh}\n"));
  const auto token = kubeconfigToken(file, "");
  ASSERT_FALSE(token);
  EXPECT_NE(token.error().message.find("exit status 4"), std::string::npos) << token.error().message;
  EXPECT_EQ(token.error().message.find("secret-token-value"), std::string::npos);

  dir.write("empty.sh", "#!/bin/sh\necho '{\"kind\":\"ExecCredential\",\"status\":{}}'\n", fs::perms::owner_all);
  const auto noToken = dir.write("config2", kubeconfigWithUser("    exec: {command: ./empty.sh}\n"));
  EXPECT_FALSE(kubeconfigToken(noToken, ""));
  const auto missing = dir.write("config3", kubeconfigWithUser("    exec: {command: ./absent.sh, installHint: install it}\n"));
  const auto notRun = kubeconfigToken(missing, "");
  ASSERT_FALSE(notRun);
  EXPECT_NE(notRun.error().message.find("install it"), std::string::npos);
}

TEST(ReviewCommandConfig, FindsTheAdminListenerInTheGatewayConfig) {
  TempDir dir;
  EXPECT_EQ(textOf(adminUrlFromConfig(dir.write("a.yaml", "listen: 0.0.0.0:8443\nadmin:\n  listen: 127.0.0.1:9091\n"))),
            "http://127.0.0.1:9091");
  EXPECT_EQ(textOf(adminUrlFromConfig(dir.write("b.yaml", "admin: {listen: '0.0.0.0:9091'}\n"))), "http://127.0.0.1:9091");
  EXPECT_EQ(textOf(adminUrlFromConfig(dir.write("c.yaml", "admin: {listen: '[::]:9091'}\n"))), "http://[::1]:9091");
  EXPECT_FALSE(adminUrlFromConfig(dir.write("d.yaml", "listen: 0.0.0.0:8443\n")));
}

// The approvals API over HTTP on a loopback port, served from its own thread.
class ApiServer {
 public:
  explicit ApiServer(std::shared_ptr<admin::ApprovalsApi> api) : api_(std::move(api)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(io_, acceptLoop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ApiServer() {
    io_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  asio::awaitable<void> acceptLoop() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
      beast::tcp_stream stream(std::move(socket));
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      co_await http::async_read(stream, buffer, request, asio::use_awaitable);
      auto response = co_await api_->handle(request);
      response.prepare_payload();
      co_await http::async_write(stream, response, asio::use_awaitable);
      stream.close();
    }
  }

  std::shared_ptr<admin::ApprovalsApi> api_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

class ReviewCommandTest : public ::testing::Test {
 protected:
  ReviewCommandTest()
      : store_(std::make_shared<FakeApprovalStore>()),
        server_(std::make_shared<admin::ApprovalsApi>(store_, testing::fakeAuthenticate(), [this](const approvals::Approval&) { ++decided_; })) {}

  std::string kubeconfigFor(const std::string& token) {
    return dir_.write("kubeconfig-" + token, kubeconfigWithUser("    token: " + token + "\n"));
  }

  int run(std::vector<std::string> args) {
    CLI::App app;
    std::string configFlag;
    ReviewCommandOptions options;
    const auto commands = addReviewCommands(app, options, configFlag);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
    out_.str("");
    err_.str("");
    return runReviewCommand(commands, options, configFlag, out_, err_);
  }

  std::string createDeletePod(approvals::NewApproval request) {
    return store_->create(request, approvals::Clock::now())->id;
  }

  TempDir dir_;
  std::shared_ptr<FakeApprovalStore> store_;
  int decided_ = 0;
  ApiServer server_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(ReviewCommandTest, ApproveReachesTheStoreWithTheReviewersReason) {
  const auto id = createDeletePod(testing::deletePodRequest(approvals::Clock::now()));
  EXPECT_EQ(run({"review", "approve", id, "--reason", "rollout is stuck", "--admin", server_.url(), "--kubeconfig",
                 kubeconfigFor("reviewer-a")}),
            0)
      << err_.str();
  const auto stored = store_->snapshot(id);
  EXPECT_EQ(stored.state, approvals::State::approved);
  ASSERT_EQ(stored.decisions.size(), 1u);
  EXPECT_EQ(stored.decisions[0].reviewer.subject, "alice");
  EXPECT_EQ(stored.decisions[0].reason, "rollout is stuck");
  EXPECT_EQ(decided_, 1);
  EXPECT_NE(out_.str().find("approved"), std::string::npos);

  ASSERT_EQ(run({"review", "show", id, "--admin", server_.url(), "--kubeconfig", kubeconfigFor("reviewer-b")}), 0);
  EXPECT_NE(out_.str().find("approved by alice (https://idp.example) at "), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find(": rollout is stuck\n"), std::string::npos) << out_.str();
}

TEST_F(ReviewCommandTest, RefusalsPrintTheApisMessageAndExitOne) {
  const auto id = createDeletePod(testing::deletePodRequest(approvals::Clock::now()));
  EXPECT_EQ(run({"review", "approve", id, "--admin", server_.url(), "--kubeconfig", kubeconfigFor("agent")}), 1);
  EXPECT_NE(err_.str().find("own request"), std::string::npos) << err_.str();
  EXPECT_EQ(run({"review", "deny", id, "--admin", server_.url(), "--kubeconfig", kubeconfigFor("reviewer-a")}), 2);
  EXPECT_NE(err_.str().find("--reason"), std::string::npos);
  EXPECT_EQ(store_->decideCalls(), 1);
  EXPECT_EQ(store_->snapshot(id).state, approvals::State::pending);
}

TEST_F(ReviewCommandTest, TransportAndConfigProblemsExitTwo) {
  asio::io_context io;
  tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = closed.local_endpoint().port();
  closed.close();
  EXPECT_EQ(run({"review", "list", "--admin", "http://127.0.0.1:" + std::to_string(port), "--kubeconfig",
                 kubeconfigFor("reviewer-a")}),
            2);
  EXPECT_EQ(run({"review", "list", "--admin", "https://127.0.0.1:1", "--kubeconfig", kubeconfigFor("reviewer-a")}), 2);
  const auto config = dir_.write("gateway.yaml", "admin:\n  listen: " + server_.url().substr(7) + "\n");
  EXPECT_EQ(run({"review", "list", "--config", config, "--kubeconfig", kubeconfigFor("reviewer-a")}), 0) << err_.str();
}

TEST_F(ReviewCommandTest, ListAndShowEscapeWhatACraftedRequestCouldHide) {
  auto request = testing::deletePodRequest(approvals::Clock::now());
  request.purpose = "tidy up\x1b[2K\rapproved by security";
  request.summaryJson = R"({"verb":"delete","resource":"pods","namespace":"staging","name":"web-1\u202e1-bew"})";
  const auto id = createDeletePod(request);
  const auto kubeconfig = kubeconfigFor("reviewer-a");

  ASSERT_EQ(run({"review", "list", "--admin", server_.url(), "--kubeconfig", kubeconfig}), 0) << err_.str();
  const auto table = out_.str();
  EXPECT_NE(table.find(id), std::string::npos);
  EXPECT_NE(table.find("web-1\\u202e1-bew"), std::string::npos) << table;
  EXPECT_NE(table.find("tidy up\\u001b[2K\\u000d"), std::string::npos) << table;

  ASSERT_EQ(run({"review", "show", id, "--admin", server_.url(), "--kubeconfig", kubeconfig}), 0) << err_.str();
  const auto shown = out_.str();
  EXPECT_NE(shown.find("agent-1"), std::string::npos);
  EXPECT_NE(shown.find("\"name\": \"web-1\\u202e1-bew\""), std::string::npos) << shown;
  for (const auto& text : {table, shown}) {
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    EXPECT_EQ(text.find('\r'), std::string::npos);
    EXPECT_EQ(text.find("\u202e"), std::string::npos);
  }

  ASSERT_EQ(run({"review", "show", id, "-o", "json", "--admin", server_.url(), "--kubeconfig", kubeconfig}), 0);
  EXPECT_EQ(out_.str().find("\u202e"), std::string::npos);
  EXPECT_EQ(boost::json::parse(out_.str()).at("request").at("name"), "web-1\u202e1-bew");  // still valid JSON
}

}  // namespace
}  // namespace kubegate::cli
