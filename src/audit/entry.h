// One entry of the audit log, as the data path hands it over and as the store keeps it. The meaning
// lives in `document` (JSON, schema in docs/audit.md); the index columns are copies of a few of its
// fields so auditors' queries need not parse every document, and they are hashed into the leaf like
// the document itself, so a changed column is as detectable as a changed document.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kubegate::audit {

enum class EntryKind : std::uint8_t {
  request = 1,   // a request as decided, written before anything is forwarded
  response = 2,  // the completion of a forwarded request
  session = 3,   // a chunk of a terminal or port-forward session recording
  approval = 4,  // an approval opened, decided, expired or used (docs/approvals.md)
};

std::string_view toString(EntryKind kind);
std::optional<EntryKind> entryKindFromString(std::string_view s);

// Copies of document fields that queries filter on. Empty means "not applicable".
struct EntryIndex {
  std::string requestId;  // ties request, response and session entries together
  std::string sessionId;  // the gateway session (one agent connection)
  std::string username;   // the identity as the gateway established it; empty when unauthenticated
  std::string subject;    // oidc sub
  std::string cluster;
  std::string namespace_;
  std::string resource;
  std::string verb;
  std::string decision;   // allow | deny | review | "" for response and session entries
  std::string approvalId;
  int status = 0;         // HTTP status, when known
};

struct Entry {
  EntryKind kind = EntryKind::request;
  std::int64_t timeMicros = 0;  // UTC, microseconds since the epoch
  EntryIndex index;
  std::string document;    // a JSON object
  std::string attachment;  // raw bytes (a body, asciicast lines); the writer seals (compresses) them
};

using Digest = std::array<unsigned char, 32>;  // SHA-256

struct StoredEntry {
  std::uint64_t seq = 0;  // 0-based position in the log, gap-free
  Entry entry;
  Digest leafHash{};      // as stored; the verifier recomputes it
  // The attachment as the store keeps it (compression.h), empty when there is none; what a sealed
  // one inflates to is entry.attachment, and attachmentSize is its stored length column.
  std::string storedAttachment;
  std::uint64_t attachmentSize = 0;
};

// A signed statement that the log's first `size` entries hash to `root` (RFC 6962 Merkle tree hash).
struct TreeHead {
  std::uint64_t size = 0;
  Digest root{};
  std::int64_t timeMicros = 0;
  std::string signature;  // Ed25519 over treeHeadMessage(); empty when no signing key is configured
  std::string keyId;      // hex SHA-256 of the raw public key, first 16 characters
};

// What auditors filter on; every set field must match (AND). Times are inclusive bounds.
struct QueryFilter {
  std::optional<EntryKind> kind;          // usually request
  std::optional<std::string> identity;    // matches username or subject
  std::optional<std::string> cluster, namespace_, resource, verb, decision, approvalId, sessionId, requestId;
  std::optional<std::int64_t> fromMicros, toMicros;
  std::size_t limit = 1000;               // newest first when `newestFirst`
  bool newestFirst = false;
};

}  // namespace kubegate::audit
