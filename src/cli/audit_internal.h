// What the audit and sessions commands share: opening the record read-only and reading documents.
#pragma once

#include <boost/json/object.hpp>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/k8s_event.h"
#include "audit/store.h"
#include "cli/audit_command.h"
#include "config/config.h"

namespace kubegate::cli {

struct OpenedRecord {
  std::unique_ptr<audit::Store> store;
  std::string database;                   // the file opened
  std::optional<config::Audit> settings;  // when opened through a config
  std::string error;
};

struct RecordLocation {
  std::string database;
  std::optional<config::Audit> settings;  // when a config was read
  std::string error;
};
// --database wins; otherwise the config's audit.database.
RecordLocation locateRecord(const std::string& database, const std::string& configFlag);
OpenedRecord openRecord(const std::string& database, const std::string& configFlag);

// The string at a path of keys, or "" when any step is missing or not an object.
std::string documentString(const boost::json::object& doc, std::initializer_list<std::string_view> path);

int runSessionsCommand(const AuditCommands& which, const AuditCommandOptions& options, audit::Store& store,
                       std::ostream& out, std::ostream& err);

}  // namespace kubegate::cli
