// The gateway's tamper-evident audit log: entries go to a writer thread that commits them in groups
// (one transaction, one fsync, per batch), gives each a gap-free sequence number and an RFC 6962
// leaf hash, keeps the Merkle tree's right edge, and signs a tree head at intervals with the
// configured Ed25519 key. Requests wait (bounded) for their own entry to be durable before anything
// is forwarded; completions and session chunks are appended without waiting, still in order.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "audit/entry.h"
#include "audit/store.h"
#include "net/asio.h"

namespace kubegate::audit {

struct AuditLogOptions {
  // The writer never waits on purpose while entries are queued: it commits whatever is queued, and
  // the next batch forms while that commit runs. So an entry waits at most for one commit in progress
  // plus its own, and batches grow with load by themselves.
  std::size_t maxBatchEntries = 4096;
  std::chrono::milliseconds treeHeadInterval{1000};  // a signed head at most this often (and at stop)
  std::string signingKeyPem;                         // Ed25519 private key (PEM); empty: heads unsigned
  std::string treeHeadsFile;                         // each signed head also appended here (JSON line); empty: none
  // Retention: entries older than this, or beyond this many stored bytes, are pruned (0: keep all).
  std::chrono::seconds retentionMaxAge{0};
  std::uint64_t retentionMaxBytes = 0;
  std::chrono::seconds retentionCheckInterval{60};
};

// Called on the writer thread once the entry is durable (true) or could not be written (false).
using Durable = std::function<void(bool ok)>;

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Queues an entry; `done` (may be empty) runs on the writer thread after its batch commits.
  virtual void append(Entry entry, Durable done) = 0;
  // Whether the last commit succeeded (a failing store makes the gateway refuse with 503).
  virtual bool healthy() const = 0;
  // Commits what is queued, signs a final head, stops the writer. Idempotent.
  virtual void stop() = 0;
  // The latest signed (or unsigned, without a key) tree head.
  virtual TreeHead latestHead() const = 0;
};

// Throws std::runtime_error when the key cannot be loaded or the store's existing log does not
// continue consistently (its right edge is recomputed from the stored leaf hashes at start).
std::unique_ptr<AuditLog> openAuditLog(std::unique_ptr<Store> store, AuditLogOptions options);

// The data path's side: completes on the caller's executor once the entry is durable; false when
// the store failed or `timeout` passed first.
asio::awaitable<bool> appendDurably(AuditLog& log, Entry entry, std::chrono::milliseconds timeout);

}  // namespace kubegate::audit
