// Shared by the audit tests: scratch directories, entries, keys, a store that fails on demand, and
// raw SQL against the database file (how an attacker with file access would edit it).
#pragma once

// Tests name only the options they change, with designated initializers; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "audit/store.h"
#include "audit/tree_head.h"
#include "delegating_store.h"  // beside this file

namespace kubegate::audit::testing {

// Raw deflate (no zlib header), as gateways before zstd stored attachments: behind marker 0
// (leaf format 1) or 1 (sealed, leaf format 2).
inline std::string rawDeflate(const std::string& raw) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, raw.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  stream.avail_in = static_cast<uInt>(raw.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}


class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("h1-audit-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Polls `condition` until it holds or `within` passes; the writer thread works on its own time.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds within = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

inline Entry makeEntry(int i, std::int64_t timeMicros = 1'700'000'000'000'000) {
  Entry e;
  e.kind = i % 3 == 0 ? EntryKind::request : (i % 3 == 1 ? EntryKind::response : EntryKind::session);
  e.timeMicros = timeMicros + i;
  e.index.requestId = "req-" + std::to_string(i / 3);
  e.index.sessionId = "sess-" + std::to_string(i % 4);
  e.index.username = i % 2 ? "alice" : "bob";
  e.index.subject = i % 2 ? "sub-alice" : "sub-bob";
  e.index.cluster = i % 5 ? "prod" : "staging";
  e.index.namespace_ = "ns-" + std::to_string(i % 2);
  e.index.resource = "pods";
  e.index.verb = "get";
  e.index.decision = e.kind == EntryKind::request ? "allow" : "";
  e.index.status = 200;
  e.document = R"({"n":)" + std::to_string(i) + R"(,"path":"/api/v1/namespaces/default/pods"})";
  if (i % 4 == 0) e.attachment = std::string(300, 'x') + std::to_string(i);
  return e;
}

struct KeyPair {
  std::string privatePem, publicPem;
};

inline KeyPair generateKeyPair() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  std::shared_ptr<BIO> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  KeyPair pair{std::string(data, static_cast<std::size_t>(len)), {}};
  EVP_PKEY_free(key);
  pair.publicPem = publicKeyPemFromPrivateKeyPem(pair.privatePem).value();
  return pair;
}

inline std::unique_ptr<Store> openStore(const std::string& path, bool readOnly = false) {
  auto store = openSqliteStore({.path = path, .readOnly = readOnly, .syncFull = false});
  EXPECT_TRUE(store.has_value()) << (store ? "" : store.error().message);
  return store ? std::move(*store) : nullptr;
}

// Runs SQL on the database file directly, binding the given blobs to ?1, ?2, ...
inline void rawSql(const std::string& path, const std::string& sql, std::vector<std::string> blobs = {}) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  for (std::size_t i = 0; i < blobs.size(); ++i)
    sqlite3_bind_blob(stmt, static_cast<int>(i + 1), blobs[i].data(), static_cast<int>(blobs[i].size()),
                      SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// Delegates to a real store; appendBatch can be made to fail, or to block until released.
class ControllableStore final : public DelegatingStore {
 public:
  explicit ControllableStore(std::unique_ptr<Store> inner) : DelegatingStore(std::move(inner)) {}
  std::atomic<bool> failAppends{false};
  std::atomic<int> batches{0};

  void holdAppends() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void releaseAppends() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    cv_.notify_all();
  }

  StoreResult<void> appendBatch(std::span<const StoredEntry> entries, const TreeHead* head) override {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return !held_; });
    }
    if (failAppends) return StoreError{"disk on fire (test)"};
    ++batches;
    return inner_->appendBatch(entries, head);
  }
 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool held_ = false;
};

}  // namespace kubegate::audit::testing
