#include "cli/audit_command.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "audit/audit_log.h"
#include "audit/audit_setup.h"
#include "audit/journal.h"
#include "audit/auditor_queries.h"
#include "audit/k8s_event.h"
#include "audit/request_record.h"
#include "audit/tree_head.h"
#include "audit/verify.h"
#include "cli/audit_internal.h"
#include "config/config.h"

namespace kubegate::cli {
namespace {

namespace json = boost::json;

void addFilterOptions(CLI::App* cmd, audit::AuditorFilter& f) {
  cmd->add_option("--identity", f.identity, "user name or OIDC subject");
  cmd->add_option("--cluster", f.cluster, "cluster name");
  cmd->add_option("--namespace", f.namespace_, "namespace");
  cmd->add_option("--resource", f.resource, "resource, or resource/subresource (pods/exec)");
  cmd->add_option("--verb", f.verb, "Kubernetes verb (get, list, create, ...)");
  cmd->add_option("--decision", f.decision, "allow, deny or review");
  cmd->add_option("--approval", f.approval, "approval id");
  cmd->add_option("--session", f.session, "gateway session id");
  cmd->add_option("--request", f.request, "request id (Kubegate-Request-Id)");
  cmd->add_option("--since", f.since, "from this time (RFC 3339) or this long ago (15m, 2h, 7d)");
  cmd->add_option("--until", f.until, "up to this time (RFC 3339) or this long ago");
  cmd->add_option("--limit", f.limit, "at most this many requests (default 1000)");
}

std::string shortTime(const std::string& rfc3339) { return rfc3339.size() >= 19 ? rfc3339.substr(0, 19) + "Z" : rfc3339; }

void printTable(const std::vector<audit::RecordedRequest>& requests, std::ostream& out) {
  out << std::left << std::setw(21) << "TIME" << std::setw(26) << "REQUEST" << std::setw(22) << "IDENTITY"
      << std::setw(10) << "CLUSTER" << std::setw(9) << "VERB" << std::setw(34) << "RESOURCE" << std::setw(8)
      << "DECISION" << " STATUS\n";
  for (const auto& r : requests) {
    const auto doc = audit::parseDocument(r.request.entry.document);
    const auto& idx = r.request.entry.index;
    std::string target = idx.resource;
    if (target.empty()) target = documentString(doc, {"request", "uri"});
    if (!idx.namespace_.empty()) target = idx.namespace_ + "/" + target;
    const auto name = documentString(doc, {"request", "classified", "name"});
    if (!name.empty()) target += "/" + name;
    const int status = r.response ? r.response->entry.index.status : idx.status;
    out << std::left << std::setw(21) << shortTime(documentString(doc, {"time"})) << std::setw(26) << idx.requestId
        << std::setw(22) << (idx.username.empty() ? "(unauthenticated)" : idx.username) << std::setw(10) << idx.cluster
        << std::setw(9) << (idx.verb.empty() ? "-" : idx.verb) << std::setw(34) << target << std::setw(8)
        << (idx.decision.empty() ? "-" : idx.decision) << " " << (status ? std::to_string(status) : "-") << "\n";
  }
}

void printJson(const std::vector<audit::RecordedRequest>& requests, std::ostream& out) {
  for (const auto& r : requests) out << audit::recordedRequestJson(r) << "\n";
}

// The log verifies only what it holds: entries still in the journal are named, so an auditor
// reading a stopped gateway's files knows to run `audit recover` first; so are segments that ended
// early, which hold a record cut short (its request was not forwarded) and are worth keeping.
void warnAboutJournal(audit::Store& store, const std::string& database, std::ostream& err) {
  const auto directory = audit::journalDirectoryFor(database);
  auto leftovers = audit::journalLeftovers(store, directory);
  if (!leftovers) {
    err << "warning: the journal " << directory << " could not be read: " << leftovers.error().message << "\n";
    return;
  }
  if (!leftovers->missing.empty()) {
    err << "warning: " << leftovers->missing.size() << " request entries are in the journal " << directory
        << " and not yet in the log (a running gateway commits them within audit.commitInterval; after a gateway "
           "stopped, `kubegate audit recover` adds them)\n";
  }
  for (const auto& [segment, why] : leftovers->damaged) {
    err << "warning: the journal segment " << segment << " ends early (" << why
        << "): the record cut short there was never written whole, so its request was not forwarded; `kubegate "
           "audit recover` commits the records before it and keeps the segment aside\n";
  }
  auto aside = audit::damagedJournalSegments(directory);
  if (aside && !aside->empty()) {
    err << "warning: " << aside->size() << " journal segment(s) that ended early are kept aside in " << directory
        << " (" << aside->front() << (aside->size() > 1 ? ", ..." : "")
        << "); their whole records are in the log, the record cut short in each was not forwarded; keep them with "
           "the log as evidence\n";
  }
}

int runVerify(const AuditCommandOptions& o, const config::Audit* settings, audit::Store& store,
              const std::string& database, std::ostream& out, std::ostream& err) {
  audit::VerifyOptions verify;
  try {
    if (!o.publicKeyFile.empty()) {
      verify.publicKeyPem = audit::readKeyFile(o.publicKeyFile, "--public-key");
    } else if (settings && !settings->signingKeyFile.empty()) {
      verify.publicKeyPem = audit::configuredVerifyOptions({.signingKeyFile = settings->signingKeyFile}).publicKeyPem;
    }
  } catch (const std::exception& e) {
    err << "kubegate: " << e.what() << "\n";
    return 2;
  }
  std::string headsFile = o.trustedHeadsFile;
  if (headsFile.empty() && settings) {
    headsFile = settings->treeHeadsFile;
    // The gateway writes it with its first tree head; before that there is nothing to trust yet.
    if (!headsFile.empty() && !std::filesystem::exists(headsFile)) {
      err << "warning: no tree heads file yet at " << headsFile << "; checked without trusted heads\n";
      headsFile.clear();
    }
  }
  if (!headsFile.empty()) {
    auto heads = audit::readTreeHeadsFile(headsFile);
    if (!heads) {
      err << "kubegate: " << heads.error().message << "\n";
      return 2;
    }
    verify.trustedHeads = std::move(*heads);
  }
  const auto report = audit::verifyLog(store, verify);
  for (const auto& w : report.warnings) err << "warning: " << w << "\n";
  warnAboutJournal(store, database, err);
  if (!report.ok) {
    out << "FAILED: " << report.problem << "\n";
    return 1;
  }
  out << "OK: " << report.entriesChecked << " entries and " << report.headsChecked << " tree heads verified"
      << (verify.trustedHeads.empty() ? "" : " (" + std::to_string(verify.trustedHeads.size()) + " trusted)") << "\n";
  return 0;
}

int runHead(audit::Store& store, std::ostream& out) {
  auto heads = store.treeHeads();
  if (!heads) {
    out << "kubegate: " << heads.error().message << "\n";
    return 2;
  }
  if (heads->empty()) {
    out << "no tree head yet\n";
    return 1;
  }
  out << audit::treeHeadJsonLine(heads->back()) << "\n";
  return 0;
}

// Commits what a gateway that was killed left in the journal, as its next start would (ADR 0012).
int runRecover(const AuditCommandOptions& o, const std::string& configFlag, std::ostream& out, std::ostream& err) {
  auto location = locateRecord(o.database, configFlag);
  if (!location.error.empty()) {
    err << "kubegate: " << location.error << "\n";
    return 2;
  }
  const bool configured = location.settings && location.settings->database == location.database;
  audit::AuditLogOptions options;
  options.journalDirectory = audit::journalDirectoryFor(location.database);
  std::string keyFile = o.signingKeyFile;
  if (keyFile.empty() && location.settings) keyFile = location.settings->signingKeyFile;
  if (configured) options.treeHeadsFile = location.settings->treeHeadsFile;
  try {
    if (!keyFile.empty()) options.signingKeyPem = audit::readKeyFile(keyFile, "--signing-key");
    else err << "warning: no signing key (--signing-key or audit.signingKeyFile): the new tree head is unsigned\n";
    auto entriesHeld = [&] {
      auto reader = audit::openSqliteStore({.path = location.database, .readOnly = true, .syncFull = false});
      if (!reader) throw std::runtime_error(reader.error().message);
      return (*reader)->nextSeq().value();
    };
    const std::uint64_t before = entriesHeld();
    auto store = audit::openSqliteStore({.path = location.database, .readOnly = false, .syncFull = true});
    if (!store) throw std::runtime_error(store.error().message);
    audit::openAuditLog(std::move(*store), std::move(options))->stop();
    const std::uint64_t after = entriesHeld();
    out << "recovered " << (after >= before ? after - before : 0) << " entries from the journal into the log\n";
    return 0;
  } catch (const std::exception& e) {
    err << "kubegate: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace

AuditCommands addAuditCommands(CLI::App& app, AuditCommandOptions& o, std::string& configFlag) {
  AuditCommands c;
  auto* audit = app.add_subcommand("audit", "read and verify the record, without access to any cluster");
  audit->require_subcommand(1);
  // `kubegate audit query --config F`: options of `audit` may follow its subcommand.
  audit->fallthrough();
  audit->add_option("--database", o.database, "the record's SQLite file (default: audit.database from --config)");
  audit->add_option("--config", configFlag, "config file (default: $KUBEGATE_CONFIG)");
  c.verify = audit->add_subcommand("verify", "check every entry and tree head; name the first entry that was tampered with");
  c.verify->add_option("--public-key", o.publicKeyFile, "Ed25519 public key PEM (default: from audit.signingKeyFile)");
  c.verify->add_option("--trusted-heads", o.trustedHeadsFile, "tree heads kept outside the database (default: audit.treeHeadsFile)");
  c.query = audit->add_subcommand("query", "list recorded requests matching filters");
  c.query->add_option("-o,--output", o.output, "table or json")->check(CLI::IsMember({"table", "json"}));
  addFilterOptions(c.query, o.filter);
  c.exportEvents = audit->add_subcommand("export", "write recorded requests as Kubernetes audit events (JSON lines)");
  c.exportEvents->add_option("--format", o.format, "k8s: audit.k8s.io/v1 Event, stage ResponseComplete")->check(CLI::IsMember({"k8s"}));
  addFilterOptions(c.exportEvents, o.filter);
  c.head = audit->add_subcommand("head", "print the latest tree head (keep it somewhere safe to catch a rollback)");
  c.recover = audit->add_subcommand(
      "recover", "commit what a stopped gateway left in the journal (the gateway also does it when it starts)");
  c.recover->add_option("--signing-key", o.signingKeyFile, "Ed25519 private key PEM for the tree head (default: audit.signingKeyFile)");
  auto* sessions = app.add_subcommand("sessions", "terminal and port-forward recordings");
  sessions->require_subcommand(1);
  sessions->fallthrough();
  sessions->add_option("--database", o.database, "the record's SQLite file (default: audit.database from --config)");
  sessions->add_option("--config", configFlag, "config file (default: $KUBEGATE_CONFIG)");
  c.sessionsList = sessions->add_subcommand("list", "list recorded exec, attach and port-forward sessions");
  addFilterOptions(c.sessionsList, o.filter);
  c.sessionsShow = sessions->add_subcommand("show", "print a session's request, summary and recording");
  c.sessionsShow->add_option("REQUEST", o.sessionRequestId, "the request id")->required();
  c.sessionsShow->add_option("--format", o.sessionFormat, "text or asciicast (the .cast file)")->check(CLI::IsMember({"text", "asciicast"}));
  c.sessionsReplay = sessions->add_subcommand("replay", "play a terminal session back at its original pace");
  c.sessionsReplay->add_option("REQUEST", o.sessionRequestId, "the request id")->required();
  c.sessionsReplay->add_option("--speed", o.speed, "2 plays twice as fast; 0 plays without pauses");
  c.sessionsReplay->add_option("--max-idle", o.maxIdle, "longest pause in seconds (default 2)");
  return c;
}

int runAuditCommand(const AuditCommands& which, const AuditCommandOptions& o, const std::string& configFlag,
                    std::ostream& out, std::ostream& err) {
  if (*which.recover) return runRecover(o, configFlag, out, err);
  auto opened = openRecord(o.database, configFlag);
  if (!opened.error.empty()) {
    err << "kubegate: " << opened.error << "\n";
    return 2;
  }
  auto& store = *opened.store;
  const config::Audit* settings = opened.settings ? &*opened.settings : nullptr;
  if (*which.verify) return runVerify(o, settings, store, opened.database, out, err);
  if (*which.head) return runHead(store, out);
  if (*which.sessionsList || *which.sessionsShow || *which.sessionsReplay) return runSessionsCommand(which, o, store, out, err);
  audit::QueryFilter filter;
  if (auto bad = audit::toQueryFilter(o.filter, filter); !bad.empty()) {
    err << "kubegate: " << bad << "\n";
    return 2;
  }
  auto requests = audit::recordedRequests(store, filter);
  if (!requests) {
    err << "kubegate: " << requests.error().message << "\n";
    return 2;
  }
  if (*which.exportEvents) {
    for (const auto& r : *requests) out << audit::kubernetesAuditEvent(r) << "\n";
  } else if (o.output == "json") {
    printJson(*requests, out);
  } else {
    printTable(*requests, out);
  }
  return 0;
}

}  // namespace kubegate::cli
