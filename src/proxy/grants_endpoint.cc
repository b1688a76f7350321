#include "proxy/grants_endpoint.h"

#include <algorithm>

#include <boost/json.hpp>

#include "admin/approvals_api.h"
#include "approvals/approval_json.h"
#include "proxy/approval_gate.h"

namespace kubegate::proxy {
namespace {

using k8s::ErrorKind;
using k8s::makeError;
namespace json = boost::json;

// The approval as reviewers see it, plus what the agent does next.
std::string grantBody(const approvals::Approval& grant, const std::string& decideCommand) {
  boost::system::error_code ec;
  auto value = json::parse(approvals::approvalJson(grant), ec);
  if (ec || !value.is_object()) return approvals::approvalJson(grant);
  value.get_object()["decideCommand"] = decideCommand;
  return json::serialize(value);
}

http_hygiene::Result<GatewayAnswer> createGrant(ApprovalGate& gate, const Runtime& rt, const http_io::InboundRequest& in,
                                                const identity::Identity& who, std::string_view requestId) {
  const auto contentType = in.message[http::field::content_type];
  if (!contentType.starts_with("application/json"))
    return makeError(ErrorKind::BadRequest, "a grant request is a JSON body (Content-Type: application/json)");
  approvals::GrantLimits limits;
  limits.maxDuration = gate.settings().grants.maxDuration;
  auto grant = approvals::parseGrantRequest(in.message.body(), limits);
  if (!grant) return makeError(ErrorKind::BadRequest, "kubegate: grant request: " + grant.error());
  if (!rt.clusters.contains(grant->cluster))
    return makeError(ErrorKind::NotFound, "no cluster named \"" + grant->cluster + "\" behind this gateway");
  auto created = gate.requestGrant(*grant, who, requestId);
  if (!created) return makeError(ErrorKind::ServiceUnavailable, "kubegate cannot open the grant request: " + created.error().message);
  return GatewayAnswer{201, "Created", grantBody(*created, gate.reviewCommand(created->id)), created->id};
}

http_hygiene::Result<GatewayAnswer> showGrant(ApprovalGate& gate, std::string_view id, const identity::Identity& who) {
  const std::string notFound = "no grant request " + std::string(id) + " of yours";
  auto found = gate.store()->get(std::string(id), approvals::Clock::now());
  if (!found) {
    if (found.error().kind == approvals::StoreError::Kind::notFound) return makeError(ErrorKind::NotFound, notFound);
    return makeError(ErrorKind::ServiceUnavailable, "kubegate cannot read the grant: " + found.error().message);
  }
  const auto me = admin::approvalsPerson(who);
  // Somebody else's grant, or a held request, is not the caller's business: it does not exist for them.
  if (!approvals::isGrant(*found) || found->request.requester.issuer != me.issuer ||
      found->request.requester.subject != me.subject)
    return makeError(ErrorKind::NotFound, notFound);
  return GatewayAnswer{200, "OK", approvals::approvalJson(*found), found->id};
}

}  // namespace

bool isGrantsPath(std::string_view path) {
  return path == kGrantsPath || (path.starts_with(kGrantsPath) && path[kGrantsPath.size()] == '/');
}

http_hygiene::Result<GatewayAnswer> answerGrantCall(ApprovalGate* gate, const Runtime& rt,
                                                    const http_io::InboundRequest& in, const identity::Identity& who,
                                                    std::string_view requestId) {
  if (!gate || !gate->settings().grants.enabled)
    return makeError(ErrorKind::Forbidden, "kubegate: this gateway gives no just-in-time grants (approvals.grants is not configured)");
  if (!in.target.query.empty()) return makeError(ErrorKind::BadRequest, "the grants API takes no query parameters");
  const std::string_view path = in.target.path;
  if (path == kGrantsPath) {
    if (in.message.method() != http::verb::post)
      return makeError(ErrorKind::MethodNotAllowed, "POST a grant request to " + std::string(kGrantsPath));
    return createGrant(*gate, rt, in, who, requestId);
  }
  const auto id = path.substr(kGrantsPath.size() + 1);
  if (!approvals::plausibleApprovalId(id)) return makeError(ErrorKind::NotFound, "no grant request " + std::string(id));
  if (in.message.method() != http::verb::get) return makeError(ErrorKind::MethodNotAllowed, "GET a grant request");
  return showGrant(*gate, id, who);
}

}  // namespace kubegate::proxy
