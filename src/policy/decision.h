// What the policy engine answers for one request. Views point into the compiled policy, which the
// runtime keeps alive for as long as any request that was decided on it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kubegate::policy {

enum class Effect { allow, deny, review };

// How a `review` rule wants the request held (enforced by the approvals issue; until then a review
// is answered 403 "requires approval").
struct ReviewSpec {
  std::vector<std::string> approverGroups;
  int approvals = 1;
  bool hold = true;            // hold the request open until decided; false: answer and let the agent retry
  std::int64_t ttlSeconds = 0;  // how long an approval stays usable
};

struct Decision {
  Effect effect = Effect::deny;
  std::string_view ruleId;          // the deciding rule, or a builtin: id (policy.h) when no rule decided
  std::string_view message;         // for the agent: the rule's message, or why nothing matched
  std::string_view maskingProfile;  // for the masking issue; empty: the default profile
  const ReviewSpec* review = nullptr;  // set when effect == review
  std::string_view policyDigest;    // sha256 of the policy source the decision was made on
};

}  // namespace kubegate::policy
