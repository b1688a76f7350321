// The agents' side of just-in-time grants (approvals/grant.h, docs/approvals.md): on the gateway's
// own listener, where agents already are and already authenticate, not on the admin listener.
//
//   POST /kubegate/v1/grants       {cluster, namespace, verbs, resources, names?, duration, reason}
//                                  → 201 the grant request as the approvals API shows it, pending
//   GET  /kubegate/v1/grants/<id>  → 200 the caller's own grant (404 for anybody else's)
//
// Reviewers decide on grants with `kubegate review` like on any approval.
#pragma once

#include <string>
#include <string_view>

#include "http/hygiene.h"
#include "http/request_reader.h"
#include "identity/identity.h"
#include "proxy/runtime.h"

namespace kubegate::proxy {

class ApprovalGate;

inline constexpr std::string_view kGrantsPath = "/kubegate/v1/grants";

bool isGrantsPath(std::string_view path);

struct GatewayAnswer {
  unsigned status = 200;
  std::string reason;  // "Created", "OK": for the record
  std::string body;    // JSON
  std::string approvalId;  // the grant's, for the record
};

// The answer to an authenticated agent's grant call, or the error to refuse it with. `gate` is null
// when approvals are not configured.
http_hygiene::Result<GatewayAnswer> answerGrantCall(ApprovalGate* gate, const Runtime& rt,
                                                    const http_io::InboundRequest& in, const identity::Identity& who,
                                                    std::string_view requestId);

}  // namespace kubegate::proxy
