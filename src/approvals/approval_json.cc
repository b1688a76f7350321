#include "approvals/approval_json.h"

#include <boost/json.hpp>

#include <cstdio>
#include <cctype>
#include <algorithm>
#include <ctime>

namespace kubegate::approvals {
namespace {

namespace json = boost::json;

json::value optionalTime(const std::optional<Clock::time_point>& time) {
  if (!time) return nullptr;
  return json::value(rfc3339(*time));
}

json::array stringArray(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& item : items) a.emplace_back(item);
  return a;
}

json::object personObject(const Person& person) {
  return json::object{{"issuer", person.issuer}, {"subject", person.subject}, {"groups", stringArray(person.groups)}};
}

json::value summaryValue(const std::string& summaryJson) {
  boost::system::error_code ec;
  auto parsed = json::parse(summaryJson, ec);
  if (ec || !parsed.is_object()) return json::value(summaryJson);
  return parsed;
}

std::string field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

void appendEscape(std::string& out, const char* format, unsigned value) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, format, value);
  out += buffer;
}

// Characters that change how the surrounding text is ordered or hide between others.
bool isInvisibleFormatting(char32_t c) {
  return c == 0x061C || (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF;
}

// The code point starting at text[i] and its length in bytes; length 0 when the bytes there are not
// well-formed UTF-8 (overlong forms and surrogates included).
std::pair<char32_t, std::size_t> decodeUtf8(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned lead = byte(i);
  std::size_t length = 0;
  char32_t c = 0;
  char32_t minimum = 0;
  if (lead < 0x80) return {lead, 1};
  if (lead >= 0xC2 && lead <= 0xDF) length = 2, c = lead & 0x1F, minimum = 0x80;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, c = lead & 0x0F, minimum = 0x800;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, c = lead & 0x07, minimum = 0x10000;
  else return {0, 0};
  if (i + length > text.size()) return {0, 0};
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {0, 0};
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  if (c < minimum || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return {0, 0};
  return {c, length};
}

}  // namespace

std::string rfc3339(Clock::time_point time) {
  const std::time_t seconds = Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string approvalJson(const Approval& a) {
  const auto& r = a.request;
  json::array approvals;
  json::array denials;
  for (const auto& d : a.decisions) {
    json::object decision{{"reviewer", personObject(d.reviewer)}, {"at", rfc3339(d.at)}, {"reason", d.reason}};
    (d.approve ? approvals : denials).push_back(std::move(decision));
  }
  json::object o{{"id", a.id},
                 {"kind", a.request.digest.starts_with("grant:") ? "grant" : "request"},
                 {"state", toString(a.state)},
                 {"mode", r.hold ? "hold" : "retry"},
                 {"requester", personObject(r.requester)},
                 {"purpose", r.purpose},
                 {"cluster", r.cluster},
                 {"summary", humanSummary(a)},
                 {"request", summaryValue(r.summaryJson)},
                 {"rule", json::object{{"id", r.ruleId}, {"message", r.ruleMessage}}},
                 {"approverGroups", stringArray(r.approverGroups)},
                 {"approvalsNeeded", r.approvalsNeeded},
                 {"approvals", std::move(approvals)},
                 {"denials", std::move(denials)},
                 {"createdAt", rfc3339(a.createdAt)},
                 {"decidedAt", optionalTime(a.decidedAt)},
                 {"expiresAt", rfc3339(r.expiresAt)},
                 {"usableUntil", optionalTime(a.usableUntil)},
                 {"usedAt", optionalTime(a.usedAt)},
                 {"denyReason", a.denyReason},
                 {"requestId", r.requestId},
                 {"digest", r.digest}};
  return json::serialize(o);
}

namespace {

std::string joined(const json::value* list) {
  std::string out;
  if (!list || !list->is_array()) return out;
  for (const auto& item : list->get_array()) {
    if (!item.is_string()) continue;
    if (!out.empty()) out += ",";
    out += std::string(item.get_string());
  }
  return out;
}

// "grant get,patch deployments in staging on demo for 15m0s"
std::string grantSummary(const json::object& grant, const std::string& cluster) {
  std::string line = "grant " + joined(grant.if_contains("verbs")) + " " + joined(grant.if_contains("resources"));
  if (const auto names = joined(grant.if_contains("names")); !names.empty()) line += " named " + names;
  const auto ns = field(grant, "namespace");
  line += ns.empty() ? " (cluster-scoped)" : " in " + ns;
  line += " on " + cluster;
  if (const auto* d = grant.if_contains("durationSeconds"); d && d->is_int64()) {
    const auto s = d->get_int64();
    line += " for ";
    if (s >= 3600) line += std::to_string(s / 3600) + "h";
    if (s % 3600 >= 60) line += std::to_string(s % 3600 / 60) + "m";
    if (s % 60 || s == 0) line += std::to_string(s % 60) + "s";
  }
  return line;
}

}  // namespace

std::string humanSummary(const Approval& approval) {
  boost::system::error_code ec;
  const auto parsed = json::parse(approval.request.summaryJson, ec);
  json::object summary;
  if (!ec && parsed.is_object()) summary = parsed.get_object();
  if (field(summary, "kind") == "grant") return grantSummary(summary, approval.request.cluster);
  std::string verb = field(summary, "verb");
  if (verb.empty()) verb = field(summary, "method");
  std::string what = field(summary, "resource");
  if (!what.empty()) {
    if (const auto name = field(summary, "name"); !name.empty()) what += "/" + name;
    if (const auto sub = field(summary, "subresource"); !sub.empty()) what += "/" + sub;
  } else {
    what = field(summary, "path");  // a non-resource URL such as /version
  }
  std::string line = verb.empty() ? "request" : verb;
  if (!what.empty()) line += " " + what;
  if (const auto ns = field(summary, "namespace"); !ns.empty()) line += " in " + ns;
  if (!approval.request.cluster.empty()) line += " on " + approval.request.cluster;
  return line;
}

std::string displayField(const json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  if (!v || v->is_null()) return "";
  if (v->is_string()) return displaySafe(v->get_string());
  return displaySafe(json::serialize(*v));
}

bool plausibleApprovalId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

std::string displaySafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto [c, length] = decodeUtf8(text, i);
    if (length == 0) {
      appendEscape(out, "\\x%02x", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || isInvisibleFormatting(c)) {
      appendEscape(out, "\\u%04x", static_cast<unsigned>(c));
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace kubegate::approvals
