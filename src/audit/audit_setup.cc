#include "audit/audit_setup.h"

#include <spdlog/spdlog.h>

#include "audit/journal.h"
#include "audit/tree_head.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kubegate::audit {

std::string readKeyFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config::ConfigError(what + ": cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

VerifyOptions configuredVerifyOptions(const config::Audit& settings) {
  VerifyOptions options;
  if (!settings.signingKeyFile.empty()) {
    auto pem = publicKeyPemFromPrivateKeyPem(readKeyFile(settings.signingKeyFile, "audit.signingKeyFile"));
    if (!pem) throw config::ConfigError("audit.signingKeyFile: " + pem.error().message);
    options.publicKeyPem = std::move(*pem);
  }
  // Written with the gateway's first tree head: before that there is nothing to trust yet.
  if (!settings.treeHeadsFile.empty() && std::filesystem::exists(settings.treeHeadsFile)) {
    auto heads = readTreeHeadsFile(settings.treeHeadsFile);
    if (!heads) throw config::ConfigError("audit.treeHeadsFile: " + heads.error().message);
    options.trustedHeads = std::move(*heads);
  }
  return options;
}

void validateAuditSettings(const config::Audit& settings) {
  if (!settings.configured) {
    throw config::ConfigError(
        "audit: the config has no audit section; kubegate records every request (docs/audit.md). Set audit.database, "
        "or audit.enabled: false to run without a record");
  }
  if (settings.enabled && !settings.signingKeyFile.empty()) {
    auto signer = TreeHeadSigner::fromPrivateKeyPem(readKeyFile(settings.signingKeyFile, "audit.signingKeyFile"));
    if (!signer) throw config::ConfigError("audit.signingKeyFile: " + signer.error().message);
  }
}

std::unique_ptr<AuditLog> openConfiguredAuditLog(const config::Audit& settings) {
  validateAuditSettings(settings);
  if (!settings.enabled) {
    spdlog::warn("{}", R"({"msg":"audit.enabled is false: requests are not recorded"})");
    return nullptr;
  }
  auto store = openSqliteStore({.path = settings.database, .readOnly = false, .syncFull = settings.syncFull});
  if (!store) throw config::ConfigError("audit.database: " + store.error().message);
  AuditLogOptions options;
  options.treeHeadInterval = std::chrono::duration_cast<std::chrono::milliseconds>(settings.treeHeadInterval);
  if (!settings.signingKeyFile.empty()) options.signingKeyPem = readKeyFile(settings.signingKeyFile, "audit.signingKeyFile");
  else spdlog::warn("{}", R"({"msg":"audit.signingKeyFile is not set: tree heads are not signed"})");
  options.treeHeadsFile = settings.treeHeadsFile;
  options.commitInterval = settings.commitInterval;
  // sync: full keeps requests waiting for their fsynced commit; normal journals them (ADR 0012).
  // Either way the journal's lock is taken and its leftovers committed: a gateway may have been
  // killed under the other setting.
  options.journalDirectory = journalDirectoryFor(settings.database);
  options.requestsWaitForCommit = settings.syncFull;
  options.retentionMaxAge = settings.retention.maxAge;
  options.retentionMaxBytes = settings.retention.maxBytes;
  try {
    return openAuditLog(std::move(*store), std::move(options));
  } catch (const std::exception& e) {
    throw config::ConfigError(std::string("audit: ") + e.what());
  }
}

}  // namespace kubegate::audit
