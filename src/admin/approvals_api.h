// The reviewers' side of approvals (docs/approvals.md), on the admin listener:
//   GET  /approvals/v1/requests[?all=true&limit=N]   {"items":[…]}, newest first
//   GET  /approvals/v1/requests/<id>                 the approval
//   POST /approvals/v1/requests/<id>/approve         body {"reason":"…"} (optional)
//   POST /approvals/v1/requests/<id>/deny            body {"reason":"…"} (required)
// Callers authenticate with their own OIDC bearer token, verified as on the data path. A caller sees
// the approvals they may decide on (they are in an approver group) and the ones they asked for.
// Only POST changes state, so a link scanner or chat unfurler that follows an approve URL cannot
// approve; a browser cannot be made to POST here cross-site either, since it would have to send the
// Authorization header. The store enforces who may decide (approvals/approval_store.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "admin/audit_api.h"
#include "approvals/approval_store.h"
#include "identity/identity.h"
#include "net/asio.h"

namespace kubegate::admin {

// The largest request body the approvals API reads; the admin listener should read at most this
// much for paths under /approvals/ (a reason is a sentence, not a document).
inline constexpr std::size_t kMaxApprovalsBodyBytes = 64 * 1024;

// The person an identity is in approvals: the OIDC issuer (or "x509" for a client certificate) and
// the user name, with its groups. Requesters and reviewers must be mapped alike, or the store
// cannot tell that someone is deciding on their own request.
approvals::Person approvalsPerson(const identity::Identity& identity);

class ApprovalsApi {
 public:
  using OnDecided = std::function<void(const approvals::Approval&)>;
  using Now = std::function<approvals::Clock::time_point()>;

  // `onDecided` is called once for each decision the store recorded (not for a repeated approval by
  // the same person), on the admin listener's executor, with the approval as it now stands.
  ApprovalsApi(std::shared_ptr<approvals::ApprovalStore> store, AuthenticateCaller authenticate, OnDecided onDecided,
               Now now = approvals::Clock::now);

  // For any path under /approvals/. Store calls are short SQLite transactions.
  asio::awaitable<http::response<http::string_body>> handle(const http::request<http::string_body>& request);

 private:
  http::response<http::string_body> list(const approvals::Person& caller, std::string_view target);
  http::response<http::string_body> show(const approvals::Person& caller, const std::string& id);
  http::response<http::string_body> decide(const approvals::Person& caller, const std::string& id, bool approve,
                                           const std::string& body);

  std::shared_ptr<approvals::ApprovalStore> store_;
  AuthenticateCaller authenticate_;
  OnDecided onDecided_;
  Now now_;
};

}  // namespace kubegate::admin
