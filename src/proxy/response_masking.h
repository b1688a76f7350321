// The masking stage of the request path (docs/masking.md, ARCHITECTURE.md step 8): which profile
// the client's bytes go through and which the record's, what the cluster is asked to send so that
// the answer can be masked at all, and the per-response masker the relay feeds chunk by chunk.
// Nothing here ever hands back bytes it could not mask: a failure is an error value, and the relay
// then resets the stream instead of sending the rest.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/hygiene.h"
#include "k8s/request_info.h"
#include "mask/detectors.h"
#include "mask/json_masker.h"
#include "mask/profile.h"
#include "net/asio.h"
#include "policy/decision.h"

namespace kubegate::proxy {

struct MaskingScope {
  std::shared_ptr<const mask::ProfileSet> profiles;  // keeps the profiles alive for the request
  const mask::Profile* client = nullptr;  // null: the client sees the answer as the cluster sent it
  const mask::Profile* record = nullptr;  // null: the record keeps the answer as the cluster sent it

  bool active() const { return client || record; }
};

// Resource requests are masked (the client with the deciding rule's profile, the record always
// with the default profile, so an identity allowed to see a value does not write it into the
// trail). Discovery, OpenAPI and other non-resource URLs carry no object values and pass.
MaskingScope maskingFor(std::shared_ptr<const mask::ProfileSet> profiles, const policy::Decision& decision,
                        const k8s::RequestInfo& info);

// The Accept header to send upstream when the answer will be masked: the client's JSON media
// ranges (Table and PartialObjectMetadata parameters kept), protobuf, CBOR and YAML dropped, a
// wildcard narrowed to application/json. A client that accepts nothing JSON gets 406: it would
// otherwise receive bytes the gateway cannot read.
http_hygiene::Result<std::string> upstreamAccept(std::string_view clientAccept);

// Whether the request's answer is a byte stream (logs, proxied traffic) rather than an object.
bool answersWithByteStream(const k8s::RequestInfo& info);

// Masks one response. Each call appends to clientBytes() (what the client gets now) and, when the
// record has its own profile, recordBytes(); otherwise the record keeps what the client got.
class ResponseMasker {
 public:
  // Null with no error when nothing needs masking (no profile applies, or no body). An error when
  // the answer cannot be masked (an encoding or a content type the maskers do not read): the
  // caller answers it instead of the body.
  static http_hygiene::Result<std::unique_ptr<ResponseMasker>> start(const MaskingScope& scope,
                                                                     const k8s::RequestInfo& info,
                                                                     const http::fields& upstreamHead,
                                                                     bool recording);
  ~ResponseMasker();

  bool write(std::string_view piece);
  bool finish();
  const std::string& error() const { return error_; }

  std::string& clientBytes() { return toClient_; }
  // Null when the record takes the client's bytes.
  std::string* recordBytes() { return separateRecord_ ? &toRecord_ : nullptr; }
  // The record's masker stops once the record has what it keeps.
  void stopRecording() { recordStopped_ = true; }

  struct Lane;
  enum class BodyKind { json, byteStream };

 private:
  ResponseMasker() = default;
  bool run(Lane& lane, std::string_view piece, std::string& out, bool last);
  void makeLanes();

  // Lanes are made with the first piece of body: an idle watch holds no masker state until an
  // event comes.
  const mask::Profile* clientProfile_ = nullptr;
  const mask::Profile* recordProfile_ = nullptr;
  BodyKind kind_ = BodyKind::json;
  mask::MaskTarget target_;
  std::unique_ptr<Lane> clientLane_;
  std::unique_ptr<Lane> recordLane_;
  bool separateRecord_ = false;
  bool recordStopped_ = false;
  std::string toClient_;
  std::string toRecord_;
  std::string error_;
};

}  // namespace kubegate::proxy
