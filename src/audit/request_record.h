// Turns what the gateway learned about a request into audit entries: the `request` entry written
// (and made durable) before anything is forwarded, the `response` entry once it completed, and the
// `session` entries of a terminal or port-forward recording. The documents' schema is in
// docs/audit.md; `kubegate audit export` reads them back.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/entry.h"
#include "identity/identity.h"
#include "k8s/request_info.h"
#include "policy/decision.h"

namespace kubegate::audit {

// A body as the record keeps it: at most `limit` bytes, or nothing when it is withheld.
struct BodyRecord {
  std::string kept;          // the bytes stored as the entry's attachment
  std::uint64_t size = 0;    // the whole body's size
  bool truncated = false;
  std::string withheld;      // why nothing was kept (e.g. the resource carries secret values)
  std::string contentType;
  std::string contentEncoding;
};

// Bodies the record keeps only the size of, whatever the masking profile (token reviews).
std::string bodyWithheldReason(const k8s::RequestInfo* info);

// Keeps up to `limit` bytes of `body` unless the request's resource withholds it.
BodyRecord keepBody(std::string_view body, std::size_t limit, const k8s::RequestInfo* info);

struct RequestFacts {
  std::string requestId;
  std::string sessionId;
  std::chrono::system_clock::time_point received;
  std::string sourceAddress;
  std::string userAgent;
  std::string method;
  std::string uri;      // as the client sent it, cluster prefix included
  std::string cluster;  // empty when the path named none
  const identity::Identity* identity = nullptr;  // null: not (yet) authenticated
  std::string authenticationFailure;             // why, when authentication failed
  const k8s::RequestInfo* info = nullptr;        // null: refused before it was classified
  std::vector<std::string> execCommand;          // pods/exec ?command=...
  const policy::Decision* decision = nullptr;    // null: refused before the policy decided
  std::string approvalId;
  // Who the cluster is told the request is from, when it is forwarded.
  std::optional<std::string> upstreamUser;
  std::vector<std::string> upstreamGroups;
  std::string awsRoleArn;      // EKS: the IAM role assumed for the request
  std::string awsSessionName;  // and its RoleSessionName
  BodyRecord body;
  // Set when the gateway answered itself instead of forwarding (a refusal, or below 400 an answer of
  // its own such as a grant request's); no response entry follows then.
  struct Refusal {
    unsigned status = 0;
    std::string reason;
    std::string message;
  };
  std::optional<Refusal> refusal;
};

// Moves the kept body into the entry's attachment: a body is never held twice.
Entry requestEntry(RequestFacts& facts);

// Which request the entries after its `request` entry belong to.
struct RequestContext {
  std::string requestId;
  std::string sessionId;
  std::string cluster;
  const identity::Identity* identity = nullptr;
  const k8s::RequestInfo* info = nullptr;
};

struct CompletionFacts {
  RequestContext context;
  std::chrono::system_clock::time_point finished;
  double seconds = 0;
  unsigned status = 0;
  std::uint64_t bytesIn = 0;
  std::uint64_t bytesOut = 0;
  std::string error;  // why the response broke off or never came
  BodyRecord body;
};

// Moves the kept body into the entry's attachment.
Entry responseEntry(CompletionFacts& facts);

struct SessionChunkFacts {
  RequestContext context;
  std::string protocol;    // the negotiated subprotocol
  std::uint64_t chunk = 0;
  bool final = false;
  std::string summaryJson; // the recording's summary, on the final chunk
  std::string asciicast;   // the lines of this chunk
};

Entry sessionEntry(SessionChunkFacts facts);

// An approval's life on the record: opened (by the request that needed it), approved or denied
// (by a reviewer, with the reason), used (by the request it let through).
struct ApprovalEventFacts {
  std::string approvalId;
  std::string event;  // requested | approved | denied | decided (a vote that did not settle it) | used
  std::string state;  // the approval's state after the event
  std::string requestId;
  std::string cluster;
  std::string actorIssuer;  // who: the requester for requested/used, the reviewer otherwise
  std::string actorUser;
  std::vector<std::string> actorGroups;
  std::string reason;
  std::chrono::system_clock::time_point at;
};

Entry approvalEntry(const ApprovalEventFacts& facts);

// RFC 3339 with microseconds, UTC: what the documents and the Kubernetes audit export use.
std::string rfc3339Micros(std::int64_t unixMicros);
std::int64_t unixMicros(std::chrono::system_clock::time_point t);

}  // namespace kubegate::audit
