// Opens the audit log the config describes: the SQLite store, the signing key, retention.
#pragma once

#include <memory>

#include "audit/audit_log.h"
#include "audit/verify.h"
#include "config/config.h"

namespace kubegate::audit {

// Null when recording is disabled (audit.enabled: false). Throws config::ConfigError when the
// config has no audit section, the key cannot be read, or the store cannot be opened.
std::unique_ptr<AuditLog> openConfiguredAuditLog(const config::Audit& settings);

// What `kubegate check-config` can check without opening the database: an audit section is there
// and the signing key reads as an Ed25519 key. Throws config::ConfigError.
void validateAuditSettings(const config::Audit& settings);

// What `kubegate audit verify` checks against, from the config: the public half of the signing key
// and the tree heads file. Throws config::ConfigError when they cannot be read.
VerifyOptions configuredVerifyOptions(const config::Audit& settings);

// Reads a whole (small) file; throws config::ConfigError naming `what` when it cannot.
std::string readKeyFile(const std::string& path, const std::string& what);

}  // namespace kubegate::audit
