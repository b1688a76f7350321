// The review step of the request path (docs/approvals.md, ARCHITECTURE.md step 6e). A request a
// `review` rule holds is bound to the digest of exactly that request and either
//   - goes through at once, when an approval for that digest and requester is usable (consumed:
//     one approval, one request), or
//   - opens (or finds) a pending approval, tells the reviewers, and then, in hold mode, keeps the
//     client's request open until a decision, the hold timeout, or the client leaving; in retry
//     mode, answers 403 at once with the approval id and the command that decides it.
// The gateway forwards the request it holds, which is the one the digest was made of; a client
// that sends anything else makes a different digest and needs a new approval.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "approvals/approval_store.h"
#include "approvals/grant.h"
#include "approvals/notifier.h"
#include "audit/audit_log.h"
#include "config/config.h"
#include "http/request_reader.h"
#include "policy/decision.h"
#include "proxy/forwarder.h"
#include "proxy/review_preview.h"

namespace kubegate::proxy {

struct GateOutcome {
  std::string approvalId;                     // the approval involved, when there is one
  std::optional<k8s::GatewayError> refusal;   // set: answer this; unset: the request may go
  bool clientGone = false;                    // the client left while its request was held
};

class ApprovalGate {
 public:
  ApprovalGate(std::shared_ptr<approvals::ApprovalStore> store, std::unique_ptr<approvals::Notifier> notifier,
               config::Approvals settings, audit::AuditLog* log);
  ~ApprovalGate();

  asio::awaitable<GateOutcome> admit(TlsStream& client, beast::flat_buffer& clientBuffer,
                                     const http_io::InboundRequest& in, const RequestScope& scope,
                                     const policy::Decision& decision, std::string_view requestId,
                                     PreviewContext* preview);

  // A reviewer decided (the admin API): the decision (the approval's newest) goes into the audit
  // trail and, when it settles the approval, the reviewers' webhooks hear of it.
  void decided(const approvals::Approval& approval);

  // Just-in-time grants (approvals/grant.h, proxy/approval_grants.cc). An agent's request for a
  // grant opens an approval for the configured grant reviewers, or finds the identical pending one.
  approvals::Result<approvals::Approval> requestGrant(const approvals::GrantScope& grant,
                                                      const identity::Identity& who, std::string_view requestId);
  // The approved, unexpired grant of this request's identity that covers it, if any (the one that
  // ends first). A store error finds none: without a readable grant the request stays refused.
  std::optional<approvals::Approval> grantCovering(const RequestScope& scope);

  const std::shared_ptr<approvals::ApprovalStore>& store() const { return store_; }
  // The configured command that decides approval `id` (shown to agents and in notices).
  std::string reviewCommand(const std::string& id) const;
  const config::Approvals& settings() const { return settings_; }

 private:
  approvals::Result<approvals::Approval> openApproval(const http_io::InboundRequest& in, const RequestScope& scope,
                                                      const policy::Decision& decision, const std::string& digest,
                                                      const approvals::Person& requester, std::string_view requestId,
                                                      const std::string& previewJson);
  asio::awaitable<GateOutcome> hold(TlsStream& client, beast::flat_buffer& clientBuffer, const approvals::Approval& approval,
                                    const std::string& digest, const approvals::Person& requester);
  void recordEvent(const approvals::Approval& approval, std::string_view event, const approvals::Person* who,
                   const std::string& reason);
  // A new approval (or grant request): on the record, and the reviewers' webhooks hear of it.
  void announce(const approvals::Approval& created, const std::string& reason, std::string summary);

  std::shared_ptr<approvals::ApprovalStore> store_;
  std::unique_ptr<approvals::Notifier> notifier_;
  config::Approvals settings_;
  audit::AuditLog* log_;
};

}  // namespace kubegate::proxy
