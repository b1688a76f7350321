// What a reviewer sees beside a held mutation (issue 8, "What the reviewer sees"; docs/approvals.md):
// the object as it is now (a GET) and as the cluster says it would become (the very same request
// with dryRun=All), both asked as the agent, masked with the record's profile, and diffed
// (approvals/object_diff.h). Both calls are recorded before they go, like every request the gateway
// sends upstream; neither changes anything in the cluster.
#pragma once

#include <string>

#include "audit/audit_log.h"
#include "config/config.h"
#include "http/request_reader.h"
#include "policy/decision.h"
#include "proxy/forwarder.h"
#include "proxy/upstream_pool.h"

namespace kubegate::proxy {

struct PreviewContext {
  // A constructor, not aggregate initialisation: GCC 12 mishandles braced aggregates in coroutines.
  PreviewContext(UpstreamPool& p, const config::Limits& l, audit::AuditLog* g, const config::Audit& a, std::string s)
      : pool(p), limits(l), log(g), audit(a), sessionId(std::move(s)) {}
  UpstreamPool& pool;
  const config::Limits& limits;
  audit::AuditLog* log;           // null: recording is off
  const config::Audit& audit;
  std::string sessionId;
};

// Whether a held request gets a dry-run preview: creates, updates, patches and deletes of an
// object (or its status or scale), not connects, collection deletes or non-resource requests.
bool wantsPreview(const k8s::RequestInfo& info);

// {"current": "exists"|"absent"|"unreadable", "diff": "...", "added": n, "removed": n, "truncated": b}
// or {"error": "why there is no preview"}: a failed dry run is itself worth showing (admission
// would refuse the request). Never throws; never holds an unmasked value.
asio::awaitable<std::string> reviewPreviewJson(const http_io::InboundRequest& in, const RequestScope& scope,
                                               PreviewContext& context);

}  // namespace kubegate::proxy
