#include "proxy/request_decision.h"

#include "k8s/object_body.h"
#include "policy/policy.h"
#include "policy/request_facts.h"

namespace kubegate::proxy {

RequestVerdict decideRequest(const Runtime& rt, const http_io::InboundRequest& in, const RequestScope& scope) {
  // Only a body that is the object acted on is decoded (k8s::carriesObject); the policy reads it,
  // and the upstream request carries the very bytes it was decoded from (parse once, decide, rebuild).
  k8s::DecodedObject decoded =
      k8s::decodeRequestObject(in.message[http::field::content_type], in.message.body(), scope.info);
  const policy::RequestFacts facts{
      .identity = scope.identity,
      .cluster = scope.cluster->name(),
      .info = scope.info,
      .object = decoded.object ? &*decoded.object : nullptr,
      .objectError = decoded.error,
      .objectMetadataOnly = decoded.metadataOnly,
  };
  return RequestVerdict{rt.policy->decide(facts), std::move(decoded.error)};
}

std::string refusalMessage(const RequestVerdict& verdict) {
  std::string message = policy::refusalMessage(verdict.decision);
  if (!verdict.objectError.empty()) message += " (request body: " + verdict.objectError + ")";
  return message;
}

}  // namespace kubegate::proxy
