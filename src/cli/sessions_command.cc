// `kubegate sessions list|show|replay`, and the record-opening helpers the audit commands share.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <set>
#include <thread>

#include "audit/asciicast.h"
#include "audit/auditor_queries.h"
#include "cli/audit_internal.h"

namespace kubegate::cli {
namespace {

namespace json = boost::json;

struct RecordedSession {
  audit::StoredEntry request;
  std::vector<audit::StoredEntry> chunks;  // in seq order
};

audit::StoreResult<RecordedSession> sessionOf(audit::Store& store, const std::string& requestId) {
  auto entries = store.entriesOfRequest(requestId);
  if (!entries) return entries.error();
  RecordedSession s;
  bool haveRequest = false;
  for (auto& e : *entries) {
    if (e.entry.kind == audit::EntryKind::request) {
      s.request = std::move(e);
      haveRequest = true;
    } else if (e.entry.kind == audit::EntryKind::session) {
      s.chunks.push_back(std::move(e));
    }
  }
  if (!haveRequest) return audit::StoreError{"no request " + requestId + " in the record"};
  std::sort(s.chunks.begin(), s.chunks.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  return s;
}

std::string castOf(const RecordedSession& s) {
  std::string cast;
  for (const auto& c : s.chunks) cast += c.entry.attachment;
  return cast;
}

std::string commandText(const json::object& doc) {
  std::string text;
  const auto* request = doc.if_contains("request");
  const auto* command = request && request->is_object() ? request->get_object().if_contains("command") : nullptr;
  if (!command || !command->is_array()) return text;
  for (const auto& part : command->get_array()) {
    if (!text.empty()) text += ' ';
    if (part.is_string()) text += std::string(part.get_string());
  }
  return text;
}

int listSessions(const AuditCommandOptions& o, audit::Store& store, std::ostream& out, std::ostream& err) {
  audit::QueryFilter filter;
  if (auto bad = audit::toQueryFilter(o.filter, filter); !bad.empty()) {
    err << "kubegate: " << bad << "\n";
    return 2;
  }
  filter.kind = audit::EntryKind::session;
  filter.limit = std::numeric_limits<std::size_t>::max();
  auto chunks = store.query(filter);
  if (!chunks) {
    err << "kubegate: " << chunks.error().message << "\n";
    return 2;
  }
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& c : *chunks) {
    if (seen.insert(c.entry.index.requestId).second) ids.push_back(c.entry.index.requestId);
  }
  if (ids.size() > o.filter.limit) ids.resize(o.filter.limit);
  out << std::left << std::setw(21) << "TIME" << std::setw(26) << "REQUEST" << std::setw(22) << "IDENTITY"
      << std::setw(10) << "CLUSTER" << std::setw(18) << "KIND" << std::setw(30) << "POD" << "COMMAND\n";
  for (const auto& id : ids) {
    auto s = sessionOf(store, id);
    if (!s) continue;
    const auto doc = audit::parseDocument(s->request.entry.document);
    const auto& idx = s->request.entry.index;
    const auto time = documentString(doc, {"time"});
    out << std::left << std::setw(21) << (time.size() >= 19 ? time.substr(0, 19) + "Z" : time) << std::setw(26) << id
        << std::setw(22) << idx.username << std::setw(10) << idx.cluster << std::setw(18) << idx.resource << std::setw(30)
        << (idx.namespace_ + "/" + documentString(doc, {"request", "classified", "name"})) << commandText(doc) << "\n";
  }
  return 0;
}

int showSession(const AuditCommandOptions& o, audit::Store& store, std::ostream& out, std::ostream& err) {
  auto s = sessionOf(store, o.sessionRequestId);
  if (!s) {
    err << "kubegate: " << s.error().message << "\n";
    return 1;
  }
  const auto cast = castOf(*s);
  if (o.sessionFormat == "asciicast") {
    out << cast;
    return 0;
  }
  const auto doc = audit::parseDocument(s->request.entry.document);
  out << "request:  " << o.sessionRequestId << "\n"
      << "time:     " << documentString(doc, {"time"}) << "\n"
      << "identity: " << documentString(doc, {"identity", "username"}) << "\n"
      << "cluster:  " << documentString(doc, {"cluster"}) << "\n"
      << "target:   " << s->request.entry.index.resource << " " << s->request.entry.index.namespace_ << "/"
      << documentString(doc, {"request", "classified", "name"}) << "\n"
      << "command:  " << commandText(doc) << "\n";
  if (!s->chunks.empty()) {
    const auto last = audit::parseDocument(s->chunks.back().entry.document);
    if (const auto* summary = last.if_contains("summary")) out << "summary:  " << json::serialize(*summary) << "\n";
  }
  // Port-forward keeps counts, not payload: the summary above is the whole recording.
  if (cast.empty()) return 0;
  std::string error;
  auto events = audit::parseAsciicast(cast, &error);
  if (!events) {
    err << "kubegate: the recording cannot be read: " << error << "\n";
    return 2;
  }
  out << "--- recording (" << events->events.size() << " events) ---\n";
  const auto write = [&out](std::string_view b) { out << b; };
  audit::replaySession(events->events, 0, 0, {write, write, [](std::chrono::microseconds) {}});
  return 0;
}

int replaySession(const AuditCommandOptions& o, audit::Store& store, std::ostream& out, std::ostream& err) {
  auto s = sessionOf(store, o.sessionRequestId);
  if (!s) {
    err << "kubegate: " << s.error().message << "\n";
    return 1;
  }
  const auto cast = castOf(*s);
  if (cast.empty()) {
    err << "kubegate: request " << o.sessionRequestId << " has no terminal recording (port-forward keeps counts only; "
        << "see sessions show)\n";
    return 1;
  }
  std::string error;
  auto events = audit::parseAsciicast(cast, &error);
  if (!events) {
    err << "kubegate: the recording cannot be read: " << error << "\n";
    return 2;
  }
  audit::replaySession(events->events, o.speed, o.maxIdle,
                       {[&out](std::string_view b) { out << b << std::flush; },
                        [&err](std::string_view b) { err << b << std::flush; },
                        [](std::chrono::microseconds pause) { std::this_thread::sleep_for(pause); }});
  return 0;
}

}  // namespace

RecordLocation locateRecord(const std::string& database, const std::string& configFlag) {
  RecordLocation r;
  // The config also says which key signed the heads and where the heads file is, so verify reads
  // it even when --database names another copy of the record.
  try {
    r.settings = config::loadConfigFile(config::resolveConfigPath(configFlag)).audit;
  } catch (const config::ConfigError& e) {
    if (database.empty()) {
      r.error = std::string(e.what()) + " (or pass --database)";
      return r;
    }
  }
  r.database = database.empty() ? r.settings->database : database;
  if (r.database.empty()) r.error = "the config names no audit.database";
  return r;
}

OpenedRecord openRecord(const std::string& database, const std::string& configFlag) {
  OpenedRecord r;
  auto location = locateRecord(database, configFlag);
  r.settings = std::move(location.settings);
  r.error = std::move(location.error);
  if (!r.error.empty()) return r;
  auto store = audit::openSqliteStore({.path = location.database, .readOnly = true, .syncFull = false});
  if (!store) {
    r.error = store.error().message;
    return r;
  }
  r.store = std::move(*store);
  r.database = std::move(location.database);
  return r;
}

std::string documentString(const json::object& doc, std::initializer_list<std::string_view> path) {
  const json::object* at = &doc;
  const json::value* v = nullptr;
  for (auto key : path) {
    if (!at) return {};
    v = at->if_contains(key);
    if (!v) return {};
    at = v->if_object();
  }
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int runSessionsCommand(const AuditCommands& which, const AuditCommandOptions& o, audit::Store& store, std::ostream& out,
                       std::ostream& err) {
  if (*which.sessionsList) return listSessions(o, store, out, err);
  if (*which.sessionsShow) return showSession(o, store, out, err);
  return replaySession(o, store, out, err);
}

}  // namespace kubegate::cli
