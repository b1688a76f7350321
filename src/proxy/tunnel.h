// Upgrades: exec, attach and port-forward over WebSocket or SPDY. The connection becomes a tunnel
// only after the upstream answers 101 (CVE-2018-1002105); any other answer is relayed and that
// upstream connection is closed, never reused. Bytes the client sent early wait until then.
#pragma once

#include "proxy/forwarder.h"

namespace kubegate::proxy {

struct TunnelLimits {
  std::chrono::seconds idle;         // no byte in either direction
  std::chrono::seconds maxDuration;  // absolute
  std::chrono::steady_clock::time_point sessionDeadline;  // the credential's end (plus grace)
};

// Returns after the tunnel has ended, or after a refused upgrade has been relayed.
asio::awaitable<ForwardOutcome> forwardUpgrade(TlsStream& downstream, beast::flat_buffer& downstreamBuffer,
                                               http_io::InboundRequest& in, const RequestScope& scope,
                                               UpstreamPool& pool, const config::Limits& limits);

}  // namespace kubegate::proxy
