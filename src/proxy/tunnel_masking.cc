#include "proxy/tunnel_masking.h"

namespace kubegate::proxy {
namespace {

bool scansStreams(const mask::Profile* p) { return p && p->spec().streams && p->detectors(); }

std::unique_ptr<mask::TunnelMasker> makeMasker(const mask::Profile& p, bool websocket, std::string_view subprotocol) {
  return std::make_unique<mask::TunnelMasker>(*p.detectors(),
                                              websocket ? mask::TunnelFraming::websocket : mask::TunnelFraming::spdy,
                                              subprotocol);
}

}  // namespace

std::unique_ptr<SessionMasking> SessionMasking::start(const MaskingScope& scope, bool websocket,
                                                      std::string_view subprotocol) {
  const bool client = scansStreams(scope.client);
  const bool record = scansStreams(scope.record);
  if (!client && !record) return nullptr;
  auto m = std::make_unique<SessionMasking>();
  if (client) m->client_ = makeMasker(*scope.client, websocket, subprotocol);
  if (record && scope.record != scope.client) m->record_ = makeMasker(*scope.record, websocket, subprotocol);
  return m;
}

const mask::Detectors* recordStreamDetectors(const MaskingScope& scope) {
  return scansStreams(scope.record) ? scope.record->detectors() : nullptr;
}

bool SessionMasking::fromServer(std::span<const char> bytes, std::string& toClient) {
  if (client_) {
    if (!client_->fromServer(bytes, toClient)) return false;
  } else {
    toClient.append(bytes.data(), bytes.size());
  }
  if (record_ && !recordBroken_ && !record_->fromServer(bytes, toRecord_)) {
    recordBroken_ = true;
    toRecord_.clear();
  }
  return true;
}

void SessionMasking::fromClient(std::span<const char> bytes) {
  if (client_) client_->fromClient(bytes);
  if (record_ && !recordBroken_) record_->fromClient(bytes);
}

bool SessionMasking::pauseWouldRelease() const {
  return (client_ && client_->pauseWouldRelease()) || (record_ && !recordBroken_ && record_->pauseWouldRelease());
}

void SessionMasking::releaseAfterPause(std::string& toClient) {
  if (client_) client_->releaseAfterPause(toClient);
  if (record_ && !recordBroken_) record_->releaseAfterPause(toRecord_);
}

void SessionMasking::flush(std::string& toClient) {
  if (client_) client_->flush(toClient);
  if (record_ && !recordBroken_) record_->flush(toRecord_);
}

std::string_view SessionMasking::forRecord(const std::string& toClient) const {
  if (record_) return recordBroken_ ? std::string_view() : std::string_view(toRecord_);
  // Without a masker of its own the record takes the client's bytes, which a client masker has
  // masked; when the client's bytes pass unmasked, the record's profile scans nothing either.
  return toClient;
}

}  // namespace kubegate::proxy
