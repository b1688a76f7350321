// Pattern detectors for secrets in free text, compiled into one Hyperscan database per profile:
// AWS access and secret keys, PEM private keys, JWTs, GitHub/GitLab/Slack/Stripe tokens,
// `password=`-style pairs, credentials inside connection strings, card numbers (Luhn-checked),
// and user-defined patterns. Scanning never allocates once a thread's scratch exists.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mask/profile.h"

namespace kubegate::mask {

// A half-open byte range [begin, end) of a scanned text that holds a secret.
struct Range {
  std::size_t begin = 0;
  std::size_t end = 0;
};

class Detectors {
 public:
  // Compiles the named built-ins ("all" selects every one) and the user patterns. Throws
  // std::invalid_argument naming an unknown detector or a pattern Hyperscan refuses. Returns
  // null when there is nothing to detect.
  static std::shared_ptr<const Detectors> compile(const std::vector<std::string>& builtins,
                                                  const std::vector<PatternSpec>& patterns);
  ~Detectors();

  // Appends to `found` the secret ranges in `text`, sorted and merged (overlaps joined). Only the
  // secret part of a pair is reported: for `password=hunter2` the range covers `hunter2`.
  void find(std::string_view text, std::vector<Range>& found) const;
  // Whether `text` holds anything `find` would report (cheaper: stops at the first).
  bool any(std::string_view text) const;

  // Replaces every found range of `text` with kMaskedText; returns how many were replaced.
  std::size_t redact(std::string& text) const;

  // The longest secret a stream scanner must be able to see whole (bounds what it holds back).
  static constexpr std::size_t kMaxHeldBytes = 8 * 1024;

  struct Impl;

 private:
  explicit Detectors(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Masks secrets in a raw byte stream (pods/log, exec/attach stdout or stderr) that arrives in
// pieces. A secret split across pieces is still caught: the redactor holds back the unfinished
// tail (the current line, at most Detectors::kMaxHeldBytes) until more bytes or a flush come. An
// unterminated PEM private key masks everything up to its END line, however long.
class StreamRedactor {
 public:
  // After a pause, a trailing word this long or longer stays held: it may be the first part of a
  // token a pause cut (`AKIA…`, `eyJ…`, a user pattern), and released it would not be recognised.
  static constexpr std::size_t kMinHeldWord = 3;
  // How much of the released part of an unfinished line later pieces are scanned with.
  static constexpr std::size_t kLineContextBytes = 256;
  // How long a stream must be quiet before its owner calls releaseAfterPause: short enough that an
  // interactive shell feels immediate. The tunnel's output and the recording's stdin share it.
  static constexpr std::chrono::milliseconds kPause{50};

  explicit StreamRedactor(const Detectors& detectors);

  // Takes the next piece of the stream; appends to `out` what can be released now.
  void write(std::string_view piece, std::string& out);
  // The stream paused (the owner waited a short idle time): releases what is held, so an
  // interactive prompt without a newline still shows, except a trailing word of kMinHeldWord or
  // more characters that is not in `echoOf` (what the client recently sent: a terminal echoes
  // it, and bytes the client sent reveal nothing) and a partial private-key BEGIN line. The rest
  // of the line is scanned together with its released part, so whatever of a secret the pause
  // cut off is masked when it comes (`password: ` released, then `hunter2`).
  void releaseAfterPause(std::string& out, std::string_view echoOf = {});
  // The stream ended: releases everything held, masked; an unfinished private key is dropped.
  void flush(std::string& out);
  bool holding() const { return !held_.empty(); }
  // Whether releaseAfterPause would release anything: false once a pause kept all that is held,
  // until more bytes come.
  bool pauseWouldRelease() const { return !held_.empty() && !keptThroughPause_; }
  std::size_t redactions() const { return redactions_; }

 private:
  void dropPrivateKeyBytes();
  // Releases held_[0, cut), scanned with the line's released part.
  void releaseHeld(std::size_t cut, std::string& out);

  const Detectors& detectors_;
  std::string held_;
  // The released bytes of the line still unfinished (at most kLineContextBytes, raw).
  std::string lineReleased_;
  bool insidePrivateKey_ = false;
  bool keptThroughPause_ = false;
  std::size_t redactions_ = 0;
};

}  // namespace kubegate::mask
