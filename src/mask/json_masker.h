// Streaming masker for Kubernetes JSON: a push tokenizer that takes a response body in whatever
// pieces the upstream sends and emits the same JSON with secret values replaced, holding at most
// one string value (or one small env entry) at a time, never the whole body. One body is one JSON
// value (an object, a list, a Table, a Status) or, for a watch, a sequence of them separated by
// whitespace; both are handled the same way.
//
// What is masked, per the Profile:
//   - objects of resource `secrets` (top level, list items, watch event objects, Table row
//     objects): every value of `data` (kMaskedBase64) and `stringData` (kMaskedText);
//   - `serviceaccounts/token` (TokenRequest) responses: status.token;
//   - `configmaps`: values of data/binaryData keys the profile names;
//   - env entries anywhere ({"name":…, "value":…} inside an `env` array) whose name the profile
//     names, whichever order name and value come in;
//   - the kubectl.kubernetes.io/last-applied-configuration annotation: the embedded document is
//     masked with the same rules (as the resource of the object it sits on) and written back;
//   - every other string value (keys excepted) goes through the profile's detectors.
// Output is valid JSON whenever the input was; numbers, literals and structure pass unchanged
// (whitespace between tokens may too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mask/profile.h"

namespace kubegate::mask {

// What the body is about, from the classified request (k8s::RequestInfo).
struct MaskTarget {
  std::string_view apiGroup;     // "" for core
  std::string_view resource;     // "secrets", "configmaps", "pods", … ("" for non-resource)
  std::string_view subresource;  // "token" for serviceaccounts/token
};

class JsonMasker {
 public:
  // Bounds the memory one masker holds: a string value (or env entry, or annotation) longer than
  // this fails the stream rather than growing without limit.
  static constexpr std::size_t kMaxHeldValue = 1024 * 1024;

  JsonMasker(const Profile& profile, MaskTarget target);
  ~JsonMasker();
  JsonMasker(JsonMasker&&) noexcept;
  JsonMasker& operator=(JsonMasker&&) noexcept;

  // Consumes `piece`, appending masked output to `out`. False on malformed JSON or a value over
  // kMaxHeldValue: the stream must then be reset, and `error()` says why. Nothing of a value
  // still being read is ever written before it is decided.
  bool write(std::string_view piece, std::string& out);
  // The body ended: false when it ended inside a value.
  bool finish(std::string& out);

  const std::string& error() const;
  std::uint64_t maskedValues() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// A whole document at once (request bodies for the record, the last-applied annotation).
// Returns false with `error` set when `json` is not valid JSON.
bool maskJsonDocument(const Profile& profile, MaskTarget target, std::string_view json, std::string& out,
                      std::string& error);

}  // namespace kubegate::mask
