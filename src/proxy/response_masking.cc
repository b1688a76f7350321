#include "proxy/response_masking.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace kubegate::proxy {
namespace {

using k8s::ErrorKind;
using k8s::makeError;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The media type of a Content-Type or Accept range, without parameters, lowercased.
std::string mediaType(std::string_view range) { return lowercase(trim(range.substr(0, range.find(';')))); }

std::vector<std::string_view> splitList(std::string_view header) {
  std::vector<std::string_view> out;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const auto item = trim(header.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

const mask::Profile* unlessRevealing(const mask::Profile& p) { return p.revealsEverything() ? nullptr : &p; }

}  // namespace

MaskingScope maskingFor(std::shared_ptr<const mask::ProfileSet> profiles, const policy::Decision& decision,
                        const k8s::RequestInfo& info) {
  MaskingScope scope;
  if (!profiles || !info.isResourceRequest) return scope;
  scope.client = unlessRevealing(profiles->forDecision(decision.maskingProfile));
  scope.record = unlessRevealing(profiles->defaultProfile());
  scope.profiles = std::move(profiles);
  return scope;
}

http_hygiene::Result<std::string> upstreamAccept(std::string_view clientAccept) {
  if (trim(clientAccept).empty()) return std::string("application/json");
  std::string kept;
  bool wildcard = false;
  for (auto range : splitList(clientAccept)) {
    const auto type = mediaType(range);
    if (type == "application/json") {
      if (!kept.empty()) kept += ", ";
      kept += std::string(range);
    } else if (type == "*/*" || type == "application/*") {
      wildcard = true;
    }
  }
  if (kept.empty() && wildcard) kept = "application/json";
  if (kept.empty()) {
    return makeError(ErrorKind::NotAcceptable,
                     "kubegate masks secret values in this answer and can only do so in JSON; accept "
                     "application/json (protobuf, CBOR and YAML are not served through the gateway)");
  }
  return kept;
}

bool answersWithByteStream(const k8s::RequestInfo& info) {
  return info.isResourceRequest && (info.subresource == "log" || info.subresource == "proxy");
}

// One masking pass over the body: JSON objects, a raw byte stream, or bytes that pass as they are
// (a byte stream under a profile that does not scan streams).
struct ResponseMasker::Lane {
  std::optional<mask::JsonMasker> json;
  std::optional<mask::StreamRedactor> stream;
};

namespace {

using BodyKind = ResponseMasker::BodyKind;

std::optional<BodyKind> bodyKind(const k8s::RequestInfo& info, const http::fields& head) {
  if (mediaType(head[http::field::content_type]) == "application/json") return BodyKind::json;
  if (answersWithByteStream(info)) return BodyKind::byteStream;
  return std::nullopt;
}

std::unique_ptr<ResponseMasker::Lane> makeLane(const mask::Profile* profile, BodyKind kind, mask::MaskTarget target) {
  auto lane = std::make_unique<ResponseMasker::Lane>();
  if (!profile) return lane;  // bytes pass as they are
  if (kind == BodyKind::json) {
    lane->json.emplace(*profile, target);
  } else if (profile->spec().streams && profile->detectors()) {
    lane->stream.emplace(*profile->detectors());
  }
  return lane;
}

}  // namespace

http_hygiene::Result<std::unique_ptr<ResponseMasker>> ResponseMasker::start(const MaskingScope& scope,
                                                                            const k8s::RequestInfo& info,
                                                                            const http::fields& upstreamHead,
                                                                            bool recording) {
  const mask::Profile* record = recording ? scope.record : nullptr;
  if (!scope.client && !record) return std::unique_ptr<ResponseMasker>();
  const auto encoding = lowercase(trim(upstreamHead[http::field::content_encoding]));
  if (!encoding.empty() && encoding != "identity") {
    return makeError(ErrorKind::BadGateway, "the cluster answered with Content-Encoding " + encoding +
                                                " although kubegate asked for none; it cannot mask that, so it sends nothing");
  }
  const auto kind = bodyKind(info, upstreamHead);
  if (!kind) {
    return makeError(ErrorKind::BadGateway, "the cluster answered " + std::string(upstreamHead[http::field::content_type]) +
                                                ", which kubegate cannot mask; it sends nothing");
  }
  std::unique_ptr<ResponseMasker> masker(new ResponseMasker());
  masker->clientProfile_ = scope.client;
  masker->kind_ = *kind;
  masker->target_ = mask::MaskTarget{info.apiGroup, info.resource, info.subresource};
  // One pass serves both when the record's profile is the client's (or the record has none).
  if (record && record != scope.client) {
    masker->recordProfile_ = record;
    masker->separateRecord_ = true;
  }
  return masker;
}

void ResponseMasker::makeLanes() {
  clientLane_ = makeLane(clientProfile_, kind_, target_);
  if (separateRecord_) recordLane_ = makeLane(recordProfile_, kind_, target_);
}

ResponseMasker::~ResponseMasker() = default;

bool ResponseMasker::run(Lane& lane, std::string_view piece, std::string& out, bool last) {
  if (lane.json) {
    const bool ok = last ? lane.json->write(piece, out) && lane.json->finish(out) : lane.json->write(piece, out);
    if (!ok) error_ = "masking failed: " + lane.json->error();
    return ok;
  }
  if (lane.stream) {
    lane.stream->write(piece, out);
    if (last) lane.stream->flush(out);
    return true;
  }
  out.append(piece);
  return true;
}

bool ResponseMasker::write(std::string_view piece) {
  if (!clientLane_) makeLanes();
  if (!run(*clientLane_, piece, toClient_, false)) return false;
  if (separateRecord_ && !recordStopped_ && !run(*recordLane_, piece, toRecord_, false)) {
    // The record's masker failing must not cut the client's answer; the record keeps nothing more.
    recordStopped_ = true;
    toRecord_.clear();
  }
  return true;
}

bool ResponseMasker::finish() {
  if (!clientLane_) makeLanes();
  if (!run(*clientLane_, {}, toClient_, true)) return false;
  if (separateRecord_ && !recordStopped_ && !run(*recordLane_, {}, toRecord_, true)) {
    recordStopped_ = true;
    toRecord_.clear();
  }
  return true;
}

}  // namespace kubegate::proxy
