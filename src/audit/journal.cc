#include "audit/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "net/byte_order.h"

namespace kubegate::audit {
namespace {

constexpr std::string_view kMagic = "kubegate-journal 1\n";
constexpr std::string_view kSegmentPrefix = "segment-";
constexpr std::string_view kSegmentSuffix = ".log";
// Far above any entry (request bodies are cut at audit.requestBodyLimit): a larger length is damage.
constexpr std::uint32_t kLargestRecord = 256u << 20;

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

// Numbers are little-endian; a string is its 4-byte length, then its bytes.
void putString(std::string& out, std::string_view s) {
  net::appendLittleEndian<4>(out, s.size());
  out.append(s);
}

// Reads what encodeJournalRecord wrote; any overrun makes it fail and stay failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <int Width>
  std::uint64_t number() {
    if (failed_ || bytes_.size() < static_cast<std::size_t>(Width)) return fail();
    const std::uint64_t v = net::loadLittleEndian<Width>(bytes_.data());
    bytes_.remove_prefix(Width);
    return v;
  }
  std::string string() {
    auto n = number<4>();
    if (failed_ || bytes_.size() < n) return fail(), std::string();
    std::string s(bytes_.substr(0, n));
    bytes_.remove_prefix(n);
    return s;
  }
  bool complete() const { return !failed_ && bytes_.empty(); }

 private:
  std::uint64_t fail() {
    failed_ = true;
    return 0;
  }
  std::string_view bytes_;
  bool failed_ = false;
};

std::uint32_t crcOf(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

std::optional<Entry> decodePayload(std::string_view payload) {
  Reader r(payload);
  Entry e;
  auto kind = static_cast<EntryKind>(r.number<1>());
  e.kind = kind;
  e.timeMicros = static_cast<std::int64_t>(r.number<8>());
  EntryIndex& x = e.index;
  for (std::string* field : {&x.requestId, &x.sessionId, &x.username, &x.subject, &x.cluster, &x.namespace_,
                             &x.resource, &x.verb, &x.decision, &x.approvalId})
    *field = r.string();
  x.status = static_cast<int>(static_cast<std::int32_t>(r.number<4>()));
  e.document = r.string();
  e.attachment = r.string();
  if (!r.complete() || !entryKindFromString(toString(kind))) return std::nullopt;
  return e;
}

// The segment number in `segment-<n>.log`, or 0 for any other name.
std::uint64_t segmentNumber(const std::string& name) {
  if (!name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) return 0;
  std::string_view digits(name);
  digits.remove_prefix(kSegmentPrefix.size());
  digits.remove_suffix(kSegmentSuffix.size());
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return ec == std::errc() && end == digits.data() + digits.size() ? n : 0;
}

bool writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string journalDirectoryFor(const std::string& databasePath) { return databasePath + ".journal"; }

std::string encodeJournalRecord(const Entry& entry) {
  // One buffer: the header's length and CRC are filled in once the payload behind them is written,
  // so a request body is copied once on the io thread, not twice.
  std::string record(8, '\0');
  record.reserve(8 + 128 + entry.document.size() + entry.attachment.size());
  record.push_back(static_cast<char>(entry.kind));
  net::appendLittleEndian<8>(record, static_cast<std::uint64_t>(entry.timeMicros));
  const EntryIndex& x = entry.index;
  for (const std::string* field : {&x.requestId, &x.sessionId, &x.username, &x.subject, &x.cluster, &x.namespace_,
                                   &x.resource, &x.verb, &x.decision, &x.approvalId})
    putString(record, *field);
  net::appendLittleEndian<4>(record, static_cast<std::uint32_t>(x.status));
  putString(record, entry.document);
  putString(record, entry.attachment);
  std::string header;
  net::appendLittleEndian<4>(header, static_cast<std::uint32_t>(record.size() - 8));
  net::appendLittleEndian<4>(header, crcOf(std::string_view(record).substr(8)));
  record.replace(0, 8, header);
  return record;
}

StoreResult<JournalSegmentContents> readJournalSegment(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return StoreError{errnoText("cannot read the journal segment " + path)};
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return StoreError{"cannot read the journal segment " + path};
  JournalSegmentContents out;
  std::string_view rest(bytes);
  if (!rest.starts_with(kMagic)) {
    // A segment is created with its magic line in one write; shorter means it died being created.
    if (!kMagic.starts_with(rest)) out.damage = "it does not start with the journal's magic line";
    return out;
  }
  rest.remove_prefix(kMagic.size());
  std::uint64_t offset = kMagic.size();
  while (!rest.empty()) {
    Reader header(rest.substr(0, 8));
    auto length = header.number<4>();
    auto crc = static_cast<std::uint32_t>(header.number<4>());
    if (rest.size() < 8 || length > kLargestRecord || rest.size() - 8 < length) {
      out.damage = "the record at byte " + std::to_string(offset) + " is cut short";
      break;
    }
    std::string_view payload = rest.substr(8, length);
    auto entry = crcOf(payload) == crc ? decodePayload(payload) : std::nullopt;
    if (!entry) {
      out.damage = "the record at byte " + std::to_string(offset) + " is damaged";
      break;
    }
    out.entries.push_back(std::move(*entry));
    rest.remove_prefix(8 + length);
    offset += 8 + length;
  }
  return out;
}

namespace {

// The files of a journal directory whose names, after `prefix`, are segment names; oldest first.
StoreResult<std::vector<std::string>> segmentsNamed(const std::string& directory, std::string_view prefix) {
  std::vector<std::pair<std::uint64_t, std::string>> found;
  std::error_code ec;
  if (!std::filesystem::exists(directory, ec)) return std::vector<std::string>();
  for (std::filesystem::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    if (auto n = segmentNumber(name.substr(prefix.size()))) found.emplace_back(n, it->path().string());
  }
  if (ec) return StoreError{"cannot list the audit journal " + directory + ": " + ec.message()};
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  for (auto& [n, path] : found) paths.push_back(std::move(path));
  return paths;
}

constexpr std::string_view kDamagedPrefix = "damaged-";

}  // namespace

StoreResult<std::vector<std::string>> journalSegments(const std::string& directory) {
  return segmentsNamed(directory, "");
}

StoreResult<std::vector<std::string>> damagedJournalSegments(const std::string& directory) {
  return segmentsNamed(directory, kDamagedPrefix);
}

StoreResult<JournalLeftovers> journalLeftovers(Store& store, const std::string& directory) {
  JournalLeftovers out;
  auto segments = journalSegments(directory);
  if (!segments) return segments.error();
  for (const auto& path : *segments) {
    auto contents = readJournalSegment(path);
    if (!contents) return contents.error();
    if (!contents->damage.empty()) out.damaged.emplace_back(path, contents->damage);
    for (Entry& entry : contents->entries) {
      auto known = store.entriesOfRequest(entry.index.requestId);
      if (!known) return known.error();
      bool recorded = !entry.index.requestId.empty() &&
                      std::any_of(known->begin(), known->end(), [&](const StoredEntry& s) {
                        return s.entry.kind == entry.kind && s.entry.timeMicros == entry.timeMicros &&
                               s.entry.document == entry.document;
                      });
      if (!recorded) out.missing.push_back(std::move(entry));
    }
  }
  out.segments = std::move(*segments);
  return out;
}

StoreResult<Journal> Journal::open(const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return StoreError{"cannot create the audit journal directory " + directory + ": " + ec.message()};
  std::filesystem::permissions(directory, std::filesystem::perms::owner_all, ec);
  const std::string lockPath = directory + "/lock";
  int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return StoreError{errnoText("cannot open " + lockPath)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int why = errno;
    ::close(fd);
    if (why == EWOULDBLOCK)
      return StoreError{"another process writes this audit log (it holds " + lockPath + "); one writer per database"};
    errno = why;
    return StoreError{errnoText("cannot lock " + lockPath)};
  }
  Journal journal(directory, fd);
  auto existing = journal.segments();
  if (!existing) return existing.error();
  for (const auto& path : *existing)
    journal.nextSegment_ = std::max(journal.nextSegment_, segmentNumber(std::filesystem::path(path).filename()) + 1);
  return journal;
}

Journal::Journal(Journal&& other) noexcept
    : directory_(std::move(other.directory_)),
      lockFd_(std::exchange(other.lockFd_, -1)),
      segmentFd_(std::exchange(other.segmentFd_, -1)),
      segmentPath_(std::move(other.segmentPath_)),
      nextSegment_(other.nextSegment_),
      segmentBytes_(other.segmentBytes_),
      broken_(other.broken_) {}

Journal& Journal::operator=(Journal&& other) noexcept {
  if (this != &other) {
    closeAll();
    directory_ = std::move(other.directory_);
    lockFd_ = std::exchange(other.lockFd_, -1);
    segmentFd_ = std::exchange(other.segmentFd_, -1);
    segmentPath_ = std::move(other.segmentPath_);
    nextSegment_ = other.nextSegment_;
    segmentBytes_ = other.segmentBytes_;
    broken_ = other.broken_;
  }
  return *this;
}

Journal::~Journal() { closeAll(); }

void Journal::closeAll() {
  if (segmentFd_ >= 0) ::close(segmentFd_);
  if (lockFd_ >= 0) ::close(lockFd_);  // releases the lock
  segmentFd_ = lockFd_ = -1;
}

StoreResult<std::vector<std::string>> Journal::segments() const { return journalSegments(directory_); }

StoreResult<std::string> Journal::startSegment() {
  const std::string path =
      directory_ + "/" + std::string(kSegmentPrefix) + std::to_string(nextSegment_) + std::string(kSegmentSuffix);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return StoreError{errnoText("cannot create the audit journal segment " + path)};
  if (!writeAll(fd, kMagic)) {
    auto error = StoreError{errnoText("cannot write the audit journal segment " + path)};
    ::close(fd);
    ::unlink(path.c_str());
    return error;
  }
  ++nextSegment_;
  std::string closed = std::exchange(segmentPath_, path);
  if (segmentFd_ >= 0) ::close(segmentFd_);
  segmentFd_ = fd;
  segmentBytes_ = kMagic.size();
  broken_ = false;
  return StoreResult<std::string>(boost::system::in_place_value, std::move(closed));
}

StoreResult<void> Journal::write(std::string_view record) {
  if (segmentFd_ < 0) return StoreError{"the audit journal has no open segment"};
  if (broken_) return StoreError{"the audit journal segment " + segmentPath_ + " failed a write; start a new one"};
  if (!writeAll(segmentFd_, record)) {
    // A partial record ends what the reader takes from this segment, so nothing more goes into it.
    broken_ = true;
    return StoreError{errnoText("cannot write the audit journal segment " + segmentPath_)};
  }
  segmentBytes_ += record.size();
  return {};
}

void Journal::remove(const std::string& segmentPath) {
  if (!segmentPath.empty()) ::unlink(segmentPath.c_str());
}

std::string Journal::keepAside(const std::string& segmentPath) {
  const std::filesystem::path from(segmentPath);
  const auto to = from.parent_path() / (std::string(kDamagedPrefix) + from.filename().string());
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  return ec ? segmentPath : to.string();
}

}  // namespace kubegate::audit
