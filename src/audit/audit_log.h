// The gateway's tamper-evident audit log: entries go to a writer thread that commits them in groups
// (one transaction, one fsync with sync: full, per batch), gives each a gap-free sequence number and
// an RFC 6962 leaf hash, keeps the Merkle tree's right edge, and signs a tree head at intervals with
// the configured Ed25519 key. A request's own entry is durable before anything is forwarded: written
// to the journal (journal.h) when there is one, else committed while the request waits (bounded).
// Completions and session chunks are appended without waiting, still in order.
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
  // How long an entry nobody waits for may sit in the queue before it is committed: larger batches
  // cost less per entry. An entry a caller waits for is committed at once.
  std::chrono::milliseconds commitInterval{0};
  // The journal's directory (journal.h): its lock keeps other writers off the store, and what a
  // stopped writer left in it is committed at open. Empty: none (tests, benchmarks).
  std::string journalDirectory;
  // sync: full. Requests wait for their fsynced commit instead of being journaled.
  bool requestsWaitForCommit = false;
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

enum class JournalAppend {
  written,  // durable in the journal (the entry was moved from); the writer commits it soon
  failed,   // the journal or the store is failing: refuse the request (the entry is untouched)
  wait,     // no journal, or the writer is far behind: wait for the commit instead (untouched)
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Queues an entry; `done` (may be empty) runs on the writer thread after its batch commits.
  virtual void append(Entry entry, Durable done) = 0;
  // Writes a request's entry to the journal and queues it, without waiting for the writer.
  virtual JournalAppend appendJournaled(Entry& entry) = 0;
  // Whether the last commit succeeded (a failing store makes the gateway refuse with 503).
  virtual bool healthy() const = 0;
  // Commits what is queued, signs a final head, stops the writer. Idempotent.
  virtual void stop() = 0;
  // The latest signed (or unsigned, without a key) tree head.
  virtual TreeHead latestHead() const = 0;
};

// Throws std::runtime_error when the key cannot be loaded or the store's existing log does not
// continue consistently (its right edge is recomputed from the stored leaf hashes at start), or
// when the journal is locked by another process or what a crash left in it cannot be committed.
std::unique_ptr<AuditLog> openAuditLog(std::unique_ptr<Store> store, AuditLogOptions options);

// The data path's side: completes on the caller's executor once the entry is durable (in the
// journal, or committed); false when the journal or store failed or `timeout` passed first.
asio::awaitable<bool> appendDurably(AuditLog& log, Entry entry, std::chrono::milliseconds timeout);

}  // namespace kubegate::audit
