// Just-in-time grants on the gateway's side (approvals/grant.h, docs/approvals.md): opening a grant
// request for the reviewers, and finding the approved grant that lets a request through.
#include <spdlog/spdlog.h>

#include "admin/approvals_api.h"
#include "admin/json_log.h"
#include "approvals/approval_json.h"
#include "approvals/request_digest.h"
#include "proxy/approval_gate.h"

namespace kubegate::proxy {

approvals::Result<approvals::Approval> ApprovalGate::requestGrant(const approvals::GrantScope& grant,
                                                                  const identity::Identity& who,
                                                                  std::string_view requestId) {
  const auto now = approvals::Clock::now();
  const auto requester = admin::approvalsPerson(who);
  const auto hashed = approvals::grantDigest(requester, grant);
  if (!hashed) return approvals::StoreError{approvals::StoreError::Kind::storage, std::string(approvals::kDigestUnavailable)};
  const std::string& digest = *hashed;
  auto pending = store_->findPending(digest, requester, now);
  if (!pending) return pending.error();
  if (*pending) return std::move(**pending);
  approvals::NewApproval a;
  a.digest = digest;
  a.requester = requester;
  a.purpose = who.purpose;
  a.cluster = grant.cluster;
  a.summaryJson = approvals::grantSummaryJson(grant);
  a.ruleId = std::string(approvals::kGrantRuleId);
  a.ruleMessage = grant.reason;
  a.approverGroups = settings_.grants.approverGroups;
  a.approvalsNeeded = settings_.grants.approvals;
  a.hold = false;
  a.expiresAt = now + settings_.pendingTimeout;
  a.ttl = grant.duration;  // the window starts when the grant is approved
  a.requestId = std::string(requestId);
  auto created = store_->create(a, now);
  if (!created) return created;
  announce(*created, grant.reason, approvals::humanSummary(*created));
  spdlog::info(R"({{"msg":"grant requested","approval":"{}","requestId":"{}","user":"{}"}})", created->id,
               admin::JsonText{requestId}, admin::JsonText{requester.subject});
  return created;
}

std::optional<approvals::Approval> ApprovalGate::grantCovering(const RequestScope& scope) {
  const auto requester = admin::approvalsPerson(scope.identity);
  auto grants = store_->activeGrants(requester, scope.cluster->name(), approvals::Clock::now());
  if (!grants) {
    spdlog::warn(R"({{"msg":"grants could not be read; the request is decided without them","error":"{}"}})",
                 admin::JsonText{grants.error().message});
    return std::nullopt;
  }
  for (auto& grant : *grants) {
    const auto grantScope = approvals::grantFromSummary(grant.request.summaryJson);
    if (grantScope && approvals::grantCovers(*grantScope, scope.cluster->name(), scope.info)) return std::move(grant);
  }
  return std::nullopt;
}

}  // namespace kubegate::proxy
