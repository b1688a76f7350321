#include "audit/request_record.h"

#include "policy/policy.h"

#include <boost/json.hpp>

#include <algorithm>
#include <ctime>

namespace kubegate::audit {
namespace {

namespace json = boost::json;

// Documents are built in a per-call arena (`json::monotonic_resource` over a stack buffer): two
// are built for every request on its io thread, and node by node allocation was most of their cost.
constexpr std::size_t kDocumentArenaBytes = 4096;

json::array strings(const std::vector<std::string>& values, json::storage_ptr sp) {
  json::array out(sp);
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

json::value identityJson(const identity::Identity* id, const std::string& failure, json::storage_ptr sp) {
  json::object o(sp);
  o["authenticated"] = id != nullptr;
  if (!id) {
    if (!failure.empty()) o["failure"] = failure;
    return o;
  }
  o["authenticator"] = id->authenticator;
  o["username"] = id->username;
  o["groups"] = strings(id->groups, sp);
  if (!id->issuer.empty()) o["issuer"] = id->issuer;
  if (!id->subject.empty()) o["subject"] = id->subject;
  if (!id->tokenId.empty()) o["tokenId"] = id->tokenId;
  if (!id->purpose.empty()) o["purpose"] = id->purpose;
  return o;
}

json::value requestInfoJson(const k8s::RequestInfo& i, json::storage_ptr sp) {
  json::object o(sp);
  o["resourceRequest"] = i.isResourceRequest;
  o["verb"] = i.verb;
  o["effectiveVerb"] = i.effectiveVerb;
  if (i.isResourceRequest) {
    o["apiGroup"] = i.apiGroup;
    o["apiVersion"] = i.apiVersion;
    o["resource"] = i.resource;
    o["subresource"] = i.subresource;
    o["namespace"] = i.namespace_;
    o["name"] = i.name;
  }
  o["execClass"] = i.execClass;
  o["longRunning"] = k8s::isLongRunning(i);
  return o;
}

json::value bodyJson(const BodyRecord& b, json::storage_ptr sp) {
  json::object o(sp);
  o["size"] = b.size;
  o["kept"] = b.kept.size();
  if (b.truncated) o["truncated"] = true;
  if (!b.withheld.empty()) o["withheld"] = b.withheld;
  if (!b.contentType.empty()) o["contentType"] = b.contentType;
  if (!b.contentEncoding.empty()) o["contentEncoding"] = b.contentEncoding;
  return o;
}

void indexIdentity(EntryIndex& index, const identity::Identity* id, const k8s::RequestInfo* info) {
  if (id) {
    index.username = id->username;
    index.subject = id->subject;
  }
  if (info) {
    index.namespace_ = info->namespace_;
    index.resource = info->subresource.empty() ? info->resource : info->resource + "/" + info->subresource;
    index.verb = info->verb;
  }
}

// The index columns of a response or session entry.
Entry followingEntry(EntryKind kind, std::int64_t timeMicros, const RequestContext& c) {
  Entry e;
  e.kind = kind;
  e.timeMicros = timeMicros;
  e.index.requestId = c.requestId;
  e.index.sessionId = c.sessionId;
  e.index.cluster = c.cluster;
  indexIdentity(e.index, c.identity, c.info);
  return e;
}

}  // namespace

std::int64_t unixMicros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::string rfc3339Micros(std::int64_t micros) {
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  long fraction = static_cast<long>(micros % 1000000);
  if (fraction < 0) {
    fraction += 1000000;
    --seconds;
  }
  // Every record carries a time or two; the calendar part changes once a second per thread.
  thread_local std::time_t cachedSecond = 0;
  thread_local char cachedPrefix[96];
  thread_local std::size_t cachedLength = 0;  // 0: nothing cached yet (every second has a prefix)
  if (cachedLength == 0 || seconds != cachedSecond) {
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    const int n = std::snprintf(cachedPrefix, sizeof(cachedPrefix), "%04d-%02d-%02dT%02d:%02d:%02d.",
                                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
    cachedLength = n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof(cachedPrefix) - 1) : 0;
    cachedSecond = seconds;
  }
  std::string out(cachedPrefix, cachedLength);
  char digits[7];
  for (int i = 5; i >= 0; --i, fraction /= 10) digits[i] = static_cast<char>('0' + fraction % 10);
  out.append(digits, 6);
  out.push_back('Z');
  return out;
}

std::string bodyWithheldReason(const k8s::RequestInfo* info) {
  if (!info || !info->isResourceRequest) return {};
  // A token review's request carries the token to review in spec.token, which is not an object
  // value masking profiles describe; its body stays out of the record whatever the profile.
  if (info->resource == "tokenreviews") return "token reviews carry tokens";
  return {};
}

BodyRecord keepBody(std::string_view body, std::size_t limit, const k8s::RequestInfo* info) {
  BodyRecord b;
  b.size = body.size();
  b.withheld = bodyWithheldReason(info);
  if (!b.withheld.empty()) return b;
  b.truncated = body.size() > limit;
  b.kept.assign(body.substr(0, limit));
  return b;
}

Entry requestEntry(RequestFacts& f) {
  unsigned char arenaBuffer[kDocumentArenaBytes];
  json::monotonic_resource arena(arenaBuffer, sizeof(arenaBuffer));
  const json::storage_ptr sp(&arena);
  json::object doc(sp);
  doc["kind"] = "request";
  doc["time"] = rfc3339Micros(unixMicros(f.received));
  doc["requestId"] = f.requestId;
  doc["session"] = f.sessionId;
  doc["identity"] = identityJson(f.identity, f.authenticationFailure, sp);
  doc["source"] = f.sourceAddress;
  if (!f.userAgent.empty()) doc["userAgent"] = f.userAgent;
  doc["cluster"] = f.cluster;
  json::object request(sp);
  request["method"] = f.method;
  request["uri"] = f.uri;
  if (f.info) request["classified"] = requestInfoJson(*f.info, sp);
  if (!f.execCommand.empty()) request["command"] = strings(f.execCommand, sp);
  request["body"] = bodyJson(f.body, sp);
  doc["request"] = std::move(request);
  if (f.decision) {
    json::object d(sp);
    d["effect"] = policy::toString(f.decision->effect);
    d["rule"] = f.decision->ruleId;
    d["policy"] = f.decision->policyDigest;
    if (!f.decision->message.empty()) d["message"] = f.decision->message;
    doc["decision"] = std::move(d);
  }
  if (!f.approvalId.empty()) doc["approval"] = f.approvalId;
  if (f.upstreamUser) {
    json::object up(sp);
    up["user"] = *f.upstreamUser;
    up["groups"] = strings(f.upstreamGroups, sp);
    if (!f.awsRoleArn.empty()) {
      up["awsRole"] = f.awsRoleArn;
      up["awsSessionName"] = f.awsSessionName;
    }
    doc["upstream"] = std::move(up);
  }
  if (f.refusal) {
    json::object r(sp);
    r["status"] = f.refusal->status;
    r["reason"] = f.refusal->reason;
    r["message"] = f.refusal->message;
    // The gateway also answers some requests itself without refusing them (an agent's grant request).
    doc[f.refusal->status < 400 ? "answer" : "refusal"] = std::move(r);
  }

  Entry e;
  e.kind = EntryKind::request;
  e.timeMicros = unixMicros(f.received);
  e.index.requestId = f.requestId;
  e.index.sessionId = f.sessionId;
  e.index.cluster = f.cluster;
  indexIdentity(e.index, f.identity, f.info);
  if (f.decision) e.index.decision = std::string(policy::toString(f.decision->effect));
  e.index.approvalId = f.approvalId;
  if (f.refusal) e.index.status = static_cast<int>(f.refusal->status);
  e.document = json::serialize(doc);
  e.attachment = std::move(f.body.kept);
  return e;
}

Entry responseEntry(CompletionFacts& f) {
  unsigned char arenaBuffer[kDocumentArenaBytes];
  json::monotonic_resource arena(arenaBuffer, sizeof(arenaBuffer));
  const json::storage_ptr sp(&arena);
  json::object doc(sp);
  doc["kind"] = "response";
  doc["time"] = rfc3339Micros(unixMicros(f.finished));
  doc["requestId"] = f.context.requestId;
  doc["status"] = f.status;
  doc["bytesIn"] = f.bytesIn;
  doc["bytesOut"] = f.bytesOut;
  doc["seconds"] = f.seconds;
  if (!f.error.empty()) doc["error"] = f.error;
  doc["body"] = bodyJson(f.body, sp);

  Entry e = followingEntry(EntryKind::response, unixMicros(f.finished), f.context);
  e.index.status = static_cast<int>(f.status);
  e.document = json::serialize(doc);
  e.attachment = std::move(f.body.kept);
  return e;
}

Entry sessionEntry(SessionChunkFacts f) {
  json::object doc;
  const auto now = std::chrono::system_clock::now();
  doc["kind"] = "session";
  doc["time"] = rfc3339Micros(unixMicros(now));
  doc["requestId"] = f.context.requestId;
  doc["protocol"] = f.protocol;
  doc["chunk"] = f.chunk;
  doc["final"] = f.final;
  doc["format"] = "asciicast-v2";
  if (!f.summaryJson.empty()) {
    boost::system::error_code ec;
    auto summary = json::parse(f.summaryJson, ec);
    // The summary comes from our own recorder; an unparsable one is kept verbatim rather than lost.
    if (ec) doc["summaryText"] = f.summaryJson;
    else doc["summary"] = std::move(summary);
  }

  Entry e = followingEntry(EntryKind::session, unixMicros(now), f.context);
  e.document = json::serialize(doc);
  e.attachment = std::move(f.asciicast);
  return e;
}

Entry approvalEntry(const ApprovalEventFacts& f) {
  json::object doc;
  doc["kind"] = "approval";
  doc["time"] = rfc3339Micros(unixMicros(f.at));
  doc["approval"] = f.approvalId;
  doc["event"] = f.event;
  doc["state"] = f.state;
  if (!f.requestId.empty()) doc["requestId"] = f.requestId;
  json::object actor;
  actor["issuer"] = f.actorIssuer;
  actor["user"] = f.actorUser;
  json::array groups;
  for (const auto& g : f.actorGroups) groups.emplace_back(g);
  actor["groups"] = std::move(groups);
  doc["actor"] = std::move(actor);
  if (!f.reason.empty()) doc["reason"] = f.reason;

  Entry e;
  e.kind = EntryKind::approval;
  e.timeMicros = unixMicros(f.at);
  e.index.requestId = f.requestId;
  e.index.username = f.actorUser;
  e.index.cluster = f.cluster;
  e.index.approvalId = f.approvalId;
  e.document = json::serialize(doc);
  return e;
}

}  // namespace kubegate::audit
