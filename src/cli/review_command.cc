#include "cli/review_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "approvals/approval_json.h"
#include "net/asio.h"

extern char** environ;

namespace kubegate::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using approvals::displayField;
using approvals::displaySafe;

using Text = ReviewResult<std::string>;
Text value(std::string s) { return {boost::system::in_place_value, std::move(s)}; }
ReviewError failure(std::string message) { return ReviewError{std::move(message)}; }

constexpr std::size_t kMaxResponseBytes = 8 * 1024 * 1024;

// ---- The admin listener.

struct AdminEndpoint {
  std::string host;
  std::string port;
};

ReviewResult<AdminEndpoint> parseAdminUrl(const std::string& url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->encoded_host().empty() ||
      !(parsed->encoded_path().empty() || parsed->encoded_path() == "/") || parsed->has_query() ||
      parsed->has_userinfo()) {
    return failure("--admin must be http://HOST:PORT (the admin listener is plain HTTP)");
  }
  AdminEndpoint endpoint;
  endpoint.host = parsed->host_address();
  endpoint.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  return endpoint;
}

struct ApiResponse {
  unsigned status = 0;
  std::string body;
};

struct ApiCall {
  http::verb method = http::verb::get;
  std::string target;
  std::string token;
  std::string body;
};

asio::awaitable<ReviewResult<ApiResponse>> exchange(const AdminEndpoint& endpoint, const ApiCall& call,
                                                    std::chrono::seconds timeout) {
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  const auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);  // one deadline for the whole exchange
  const std::string where = endpoint.host + ":" + endpoint.port;
  auto [resolveEc, addresses] = co_await resolver.async_resolve(endpoint.host, endpoint.port, kTuple);
  if (resolveEc) co_return failure("cannot resolve the admin listener " + where + ": " + resolveEc.message());
  auto [connectEc, connected] = co_await stream.async_connect(addresses, kTuple);
  if (connectEc) co_return failure("cannot connect to the admin listener " + where + ": " + connectEc.message());
  http::request<http::string_body> request(call.method, call.target, 11);
  request.set(http::field::host, where);
  request.set(http::field::user_agent, "kubegate-review");
  request.set(http::field::accept, "application/json");
  request.set(http::field::authorization, "Bearer " + call.token);
  if (!call.body.empty()) request.set(http::field::content_type, "application/json");
  request.body() = call.body;
  request.prepare_payload();
  auto [writeEc, written] = co_await http::async_write(stream, request, kTuple);
  if (writeEc) co_return failure("cannot send to the admin listener " + where + ": " + writeEc.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  auto [readEc, read] = co_await http::async_read(stream, buffer, parser, kTuple);
  if (readEc) co_return failure("no answer from the admin listener " + where + ": " + readEc.message());
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  ApiResponse response;
  response.status = parser.get().result_int();
  response.body = std::move(parser.get().body());
  co_return response;
}

ReviewResult<ApiResponse> callApi(const AdminEndpoint& endpoint, const ApiCall& call, std::chrono::seconds timeout) {
  asio::io_context io;
  std::optional<ReviewResult<ApiResponse>> result;
  asio::co_spawn(io, exchange(endpoint, call, timeout), [&](std::exception_ptr e, ReviewResult<ApiResponse> r) {
    if (e) result.emplace(failure("the call to the admin listener failed"));
    else result.emplace(std::move(r));
  });
  io.run();
  if (!result) return failure("the call to the admin listener did not complete");
  return std::move(*result);
}

// ---- What the reviewer reads.

std::string person(const json::value* v) {
  if (!v || !v->is_object()) return "";
  const auto& p = v->get_object();
  std::string text = displayField(p, "subject");
  if (const auto issuer = displayField(p, "issuer"); !issuer.empty()) text += " (" + issuer + ")";
  return text;
}

std::string groupsOf(const json::value* v) {
  std::string text;
  if (!v || !v->is_array()) return text;
  for (const auto& g : v->get_array()) {
    if (!g.is_string()) continue;
    text += (text.empty() ? "" : ", ") + displaySafe(g.get_string());
  }
  return text;
}

// JSON, indented two spaces; every key and scalar escaped for the terminal (JSON already escapes
// ASCII controls; bidi and C1 characters it leaves as they are).
void prettyJson(const json::value& v, std::string& out, std::size_t indent) {
  const std::string pad(indent + 2, ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [key, item] : v.get_object()) {
      out += (first ? "" : ",\n") + pad + displaySafe(json::serialize(json::string(key))) + ": ";
      prettyJson(item, out, indent + 2);
      first = false;
    }
    out += "\n" + std::string(indent, ' ') + "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& item : v.get_array()) {
      out += (first ? "" : ",\n") + pad;
      prettyJson(item, out, indent + 2);
      first = false;
    }
    out += "\n" + std::string(indent, ' ') + "]";
  } else {
    out += displaySafe(json::serialize(v));
  }
}

std::optional<std::time_t> parseRfc3339(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return timegm(&tm);
}

std::string age(std::string_view createdAt) {
  const auto created = parseRfc3339(createdAt);
  if (!created) return "-";
  const auto seconds = std::max<long long>(0, static_cast<long long>(std::time(nullptr) - *created));
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 2 * 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

std::size_t codePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string clip(const std::string& s, std::size_t maxCodePoints) {
  if (codePoints(s) <= maxCodePoints) return s;
  std::size_t bytes = 0;
  for (std::size_t kept = 0; bytes < s.size(); ++bytes) {
    if ((static_cast<unsigned char>(s[bytes]) & 0xC0) != 0x80 && kept++ == maxCodePoints - 3) break;
  }
  return s.substr(0, bytes) + "...";
}

void printTable(const json::array& items, std::ostream& out) {
  std::vector<std::vector<std::string>> rows{{"ID", "STATE", "REQUESTER", "PURPOSE", "REQUEST", "AGE"}};
  for (const auto& item : items) {
    if (!item.is_object()) continue;
    const auto& a = item.get_object();
    const auto* requester = a.if_contains("requester");
    const std::string who = requester && requester->is_object() ? displayField(requester->get_object(), "subject") : "";
    const auto* created = a.if_contains("createdAt");
    rows.push_back({displayField(a, "id"), displayField(a, "state"), clip(who, 24), clip(displayField(a, "purpose"), 40),
                    clip(displayField(a, "summary"), 60), age(created && created->is_string() ? created->get_string() : "")});
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], codePoints(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - codePoints(row[i]) + 3, ' ');
    }
    out << line << "\n";
  }
}

std::size_t printDecisions(const json::object& a, std::string_view key, std::string_view verb, std::ostream& out) {
  const auto* list = a.if_contains(key);
  if (!list || !list->is_array()) return 0;
  std::size_t printed = 0;
  for (const auto& d : list->get_array()) {
    if (!d.is_object()) continue;
    const auto& decision = d.get_object();
    const auto reason = displayField(decision, "reason");
    out << "  " << verb << " by " << person(decision.if_contains("reviewer")) << " at " << displayField(decision, "at")
        << (reason.empty() ? "" : ": " + reason) << "\n";
    ++printed;
  }
  return printed;
}

// The cluster's own answer to the same request with dryRun=All, diffed against the object as it is.
void printDryRun(const json::object& d, std::ostream& out) {
  out << "Dry run (asked as the requester; the cluster changed nothing):\n";
  if (const auto error = displayField(d, "error"); !error.empty()) {
    out << "  " << error << "\n";
    return;
  }
  const auto* diff = d.if_contains("diff");
  if (!diff || !diff->is_string() || diff->get_string().empty()) {
    out << "  no change to the object\n";
    return;
  }
  std::string_view text = diff->get_string();
  while (!text.empty()) {
    const auto end = text.find('\n');
    out << "  " << displaySafe(text.substr(0, end)) << "\n";
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
}

void printApproval(const json::object& a, std::ostream& out) {
  const auto* requester = a.if_contains("requester");
  const auto* rule = a.if_contains("rule");
  const auto ruleField = [&](std::string_view k) { return rule && rule->is_object() ? displayField(rule->get_object(), k) : ""; };
  const auto requesterGroups = requester && requester->is_object() ? groupsOf(requester->get_object().if_contains("groups")) : "";
  out << "Approval:    " << displayField(a, "id") << "\n";
  const bool grant = displayField(a, "kind") == "grant";
  out << "State:       " << displayField(a, "state") << (grant ? " (just-in-time grant)" : " (" + displayField(a, "mode") + " mode)") << "\n";
  out << "Who:         " << person(requester) << (requesterGroups.empty() ? "" : ", groups: " + requesterGroups) << "\n";
  out << "What:        " << displayField(a, "summary") << "\n";
  out << "Why:         " << displayField(a, "purpose") << "\n";
  out << "Rule:        " << ruleField("id") << (ruleField("message").empty() ? "" : ": " + ruleField("message")) << "\n";
  out << "Reviewers:   " << displayField(a, "approvalsNeeded") << " approval(s) from " << groupsOf(a.if_contains("approverGroups")) << "\n";
  out << "Requested:   " << displayField(a, "createdAt") << ", expires " << displayField(a, "expiresAt") << "\n";
  if (const auto until = displayField(a, "usableUntil"); !until.empty())
    out << (grant ? "Grant ends:  " : "Usable until: ") << until << "\n";
  if (const auto used = displayField(a, "usedAt"); !used.empty()) out << "Used:        " << used << "\n";
  if (const auto reason = displayField(a, "denyReason"); !reason.empty()) out << "Deny reason: " << reason << "\n";
  out << "Request id:  " << displayField(a, "requestId") << "\n";
  out << "Decisions:\n";
  const auto decisions = printDecisions(a, "approvals", "approved", out) + printDecisions(a, "denials", "denied", out);
  if (decisions == 0) out << "  none yet\n";
  json::value shownRequest;
  if (const auto* r = a.if_contains("request")) shownRequest = *r;
  json::value dryRun;
  if (auto* r = shownRequest.if_object(); r && r->contains("dryRun")) {
    dryRun = r->at("dryRun");
    r->erase("dryRun");
  }
  std::string request;
  prettyJson(shownRequest, request, 0);
  out << "Request:\n" << request << "\n";
  if (const auto* d = dryRun.if_object()) printDryRun(*d, out);
}

// The Status message of a refusal, or the HTTP status when the body is not a Status.
std::string refusalMessage(const ApiResponse& response) {
  boost::system::error_code ec;
  const auto parsed = json::parse(response.body, ec);
  if (!ec && parsed.is_object()) {
    if (const auto* m = parsed.get_object().if_contains("message"); m && m->is_string()) return displaySafe(m->get_string());
  }
  return "the admin listener answered HTTP " + std::to_string(response.status);
}

int printResult(const ReviewCommands& which, const ReviewCommandOptions& o, const json::value& body, std::ostream& out,
                std::ostream& err) {
  if (o.output == "json") {
    std::string text;
    prettyJson(body, text, 0);
    out << text << "\n";
    return 0;
  }
  if (!body.is_object()) {
    err << "kubegate: the admin listener answered something other than a JSON object\n";
    return 2;
  }
  const auto& object = body.get_object();
  if (*which.list) {
    const auto* items = object.if_contains("items");
    if (!items || !items->is_array() || items->get_array().empty()) {
      err << (o.all ? "no approvals for you to see\n" : "no pending approvals for you to decide or follow\n");
      return 0;
    }
    printTable(items->get_array(), out);
  } else if (*which.show) {
    printApproval(object, out);
  } else {
    out << displayField(object, "id") << ": your " << (*which.approve ? "approval" : "denial") << " is recorded; it is now "
        << displayField(object, "state") << "\n";
  }
  return 0;
}

}  // namespace

ReviewResult<std::string> adminUrlFromConfig(const std::string& configPath) {
  std::string listen;
  try {
    listen = scalar(YAML::LoadFile(configPath)["admin"]["listen"]);
  } catch (const YAML::Exception& e) {
    return failure("cannot read the config " + configPath + ": " + e.what());
  }
  if (listen.empty()) return failure("the config " + configPath + " has no admin.listen: the gateway serves no approvals API");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return failure("admin.listen in " + configPath + " must be HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return value("http://" + host + ":" + listen.substr(colon + 1));
}

ReviewCommands addReviewCommands(CLI::App& app, ReviewCommandOptions& o, std::string& configFlag) {
  ReviewCommands c;
  auto* review = app.add_subcommand("review", "list, inspect, approve or deny requests held for a reviewer's decision");
  review->require_subcommand(1);
  // `kubegate review list --admin URL`: options of `review` may follow its subcommand.
  review->fallthrough();
  review->add_option("--admin", o.admin, "the admin listener, http://HOST:PORT (default: admin.listen from --config)");
  review->add_option("--config", configFlag, "config file (default: $KUBEGATE_CONFIG)");
  review->add_option("--kubeconfig", o.kubeconfig, "kubeconfig with your own token (default: $KUBECONFIG, else ~/.kube/config)");
  review->add_option("--context", o.context, "kubeconfig context (default: its current-context)");
  review->add_option("-o,--output", o.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  c.list = review->add_subcommand("list", "approvals waiting for you (and the ones you asked for)");
  c.list->add_flag("--all", o.all, "every state, not only pending");
  c.list->add_option("--limit", o.limit, "at most this many (default 100)");
  c.show = review->add_subcommand("show", "who asks, what, why, the request and the decisions so far");
  c.show->add_option("ID", o.id, "the approval id")->required();
  c.approve = review->add_subcommand("approve", "approve a request");
  c.approve->add_option("ID", o.id, "the approval id")->required();
  c.approve->add_option("--reason", o.reason, "why (recorded in the audit trail)");
  c.deny = review->add_subcommand("deny", "deny a request; the requester is shown the reason");
  c.deny->add_option("ID", o.id, "the approval id")->required();
  c.deny->add_option("--reason", o.reason, "why (required; shown to the requester)");
  return c;
}

int runReviewCommand(const ReviewCommands& which, const ReviewCommandOptions& o, const std::string& configFlag,
                     std::ostream& out, std::ostream& err) {
  const bool decision = *which.approve || *which.deny;
  if ((*which.show || decision) && !approvals::plausibleApprovalId(o.id)) {
    err << "kubegate: " << displaySafe(o.id) << " is not an approval id\n";
    return 2;
  }
  if (*which.deny && trim(o.reason).empty()) {
    err << "kubegate: deny needs --reason: the requester is shown it\n";
    return 2;
  }
  std::string url = o.admin;
  if (url.empty()) {
    std::string configPath = configFlag;
    if (configPath.empty()) {
      if (const char* env = std::getenv("KUBEGATE_CONFIG"); env && *env) configPath = env;
    }
    if (configPath.empty()) {
      err << "kubegate: give --admin http://HOST:PORT or --config FILE (for its admin.listen)\n";
      return 2;
    }
    auto fromConfig = adminUrlFromConfig(configPath);
    if (!fromConfig) {
      err << "kubegate: " << displaySafe(fromConfig.error().message) << "\n";
      return 2;
    }
    url = std::move(*fromConfig);
  }
  auto endpoint = parseAdminUrl(url);
  auto token = endpoint ? kubeconfigToken(o.kubeconfig.empty() ? defaultKubeconfigPath() : o.kubeconfig, o.context)
                        : Text(endpoint.error());
  if (!token) {
    err << "kubegate: " << displaySafe(token.error().message) << "\n";
    return 2;
  }
  ApiCall call;
  call.token = std::move(*token);
  call.target = "/approvals/v1/requests";
  if (*which.list) {
    call.target += o.all ? "?all=true" : "?all=false";
    if (o.limit) call.target += "&limit=" + std::to_string(o.limit);
  } else {
    call.target += "/" + o.id;
  }
  if (decision) {
    call.method = http::verb::post;
    call.target += *which.approve ? "/approve" : "/deny";
    call.body = json::serialize(json::object{{"reason", o.reason}});
  }
  auto response = callApi(*endpoint, call, o.timeout);
  if (!response) {
    err << "kubegate: " << displaySafe(response.error().message) << "\n";
    return 2;
  }
  if (response->status != 200) {
    err << "kubegate: " << refusalMessage(*response) << "\n";
    return 1;
  }
  boost::system::error_code ec;
  const auto body = json::parse(response->body, ec);
  if (ec) {
    err << "kubegate: the admin listener's answer is not JSON\n";
    return 2;
  }
  return printResult(which, o, body, out, err);
}

}  // namespace kubegate::cli
