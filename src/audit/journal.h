// The journal of request entries on their way into the Merkle log. With `audit.sync: normal` a
// request is forwarded once its entry is written here (one write(2) on the io thread, so it
// survives a killed gateway), not once the writer thread has committed it: the request's latency
// does not wait for another thread, and the writer commits in larger, cheaper batches. The writer
// removes a segment once everything in it is committed; what a crash leaves behind is committed at
// the next start (or by `kubegate audit recover`), each entry once. ADR 0012.
//
// Layout: a directory beside the database (`<database>.journal/`) holding a `lock` file, locked
// (flock) by the one process that writes the log, and segments `segment-<n>.log`. A segment is a
// magic line and records: payload length and CRC-32 (both u32, little-endian), then the entry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audit/entry.h"
#include "audit/store.h"

namespace kubegate::audit {

std::string journalDirectoryFor(const std::string& databasePath);

// One record's bytes: what Journal::write writes with a single write(2).
std::string encodeJournalRecord(const Entry& entry);

struct JournalSegmentContents {
  std::vector<Entry> entries;  // the complete records, in order
  std::string damage;          // why reading stopped before the end (a torn or damaged tail); empty: clean
};
// Reads a segment. A record cut short or failing its CRC ends the segment: it was never fully
// written, so its request was never forwarded. Fails only when the file cannot be read at all.
StoreResult<JournalSegmentContents> readJournalSegment(const std::string& path);

// The segments in a journal directory, oldest first; none when the directory does not exist.
StoreResult<std::vector<std::string>> journalSegments(const std::string& directory);
// The segments that ended early and were kept aside (Journal::keepAside), oldest first.
StoreResult<std::vector<std::string>> damagedJournalSegments(const std::string& directory);

// What a journal holds that the store lacks: the records of requests forwarded by a gateway that
// stopped before committing them. A record is in the store already when its request has an entry
// of the same kind, time and document.
struct JournalLeftovers {
  std::vector<std::string> segments;  // every segment read
  std::vector<Entry> missing;         // in journal order
  std::vector<std::pair<std::string, std::string>> damaged;  // (segment, why it ends early)
};
StoreResult<JournalLeftovers> journalLeftovers(Store& store, const std::string& directory);

class Journal {
 public:
  // Creates the directory if needed and takes its lock; fails when another process holds it.
  static StoreResult<Journal> open(const std::string& directory);
  Journal(Journal&& other) noexcept;
  Journal& operator=(Journal&& other) noexcept;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

  // Segment files present now, oldest first (what a crash left, before the first startSegment).
  StoreResult<std::vector<std::string>> segments() const;
  // Closes the current segment (it stays until removed) and starts the next one; returns the
  // closed segment's path (empty when there was none).
  StoreResult<std::string> startSegment();
  // Appends one encoded record to the current segment; the caller serialises calls.
  StoreResult<void> write(std::string_view record);
  std::uint64_t segmentBytes() const { return segmentBytes_; }
  // After a failed write the segment takes nothing more (a partial record would hide later ones).
  bool needsNewSegment() const { return segmentFd_ < 0 || broken_; }
  const std::string& segmentPath() const { return segmentPath_; }
  static void remove(const std::string& segmentPath);
  // Renames a segment that ends early to `damaged-<name>` beside it, out of every later reading, so
  // what it holds stays for an operator to inspect; returns the new path (the old one on failure).
  static std::string keepAside(const std::string& segmentPath);

 private:
  Journal(std::string directory, int lockFd) : directory_(std::move(directory)), lockFd_(lockFd) {}
  void closeAll();

  std::string directory_;
  int lockFd_ = -1;
  int segmentFd_ = -1;
  std::string segmentPath_;
  std::uint64_t nextSegment_ = 1;
  std::uint64_t segmentBytes_ = 0;
  bool broken_ = false;
};

}  // namespace kubegate::audit
