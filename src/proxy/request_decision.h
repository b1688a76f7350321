// The guardrail step of the request path: the object a request carries is decoded, the facts the
// policy decides on are gathered, and the runtime's policy answers allow, deny or review. Runs
// after authentication and before anything is sent upstream (ARCHITECTURE.md, step 6).
#pragma once

#include <string>

#include "http/request_reader.h"
#include "policy/decision.h"
#include "proxy/forwarder.h"
#include "proxy/runtime.h"

namespace kubegate::proxy {

struct RequestVerdict {
  policy::Decision decision;  // views into rt.policy, which the caller's runtime keeps alive
  std::string objectError;    // why the body could not be decoded, when it could not
};

RequestVerdict decideRequest(const Runtime& rt, const http_io::InboundRequest& in, const RequestScope& scope);

// The 403 message for a refused verdict: the rule, its message, and the body problem if any.
std::string refusalMessage(const RequestVerdict& verdict);

}  // namespace kubegate::proxy
