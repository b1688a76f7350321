// How an approval is shown: the admin API's JSON (which notices also carry as their detail), the
// one-line summary a reviewer reads first, and the escaping that keeps a crafted name from
// deceiving the person reading either on a terminal (shared/notes/security.md §6, "UI deception").
#pragma once

#include <string>

#include <boost/json/object.hpp>
#include <string_view>

#include "approvals/approval_store.h"

namespace kubegate::approvals {

// {id, state, mode, requester:{issuer,subject,groups}, purpose, cluster, summary, request:{…},
//  rule:{id,message}, approverGroups, approvalsNeeded, approvals:[{reviewer,at,reason}], denials:[…],
//  createdAt, decidedAt, expiresAt, usableUntil, usedAt, denyReason, requestId, digest}
// Times are RFC 3339 UTC to the second; a time that has not happened (yet) is null. `request` is the
// stored summary as a JSON object (a summary that is not valid JSON is shown as a string).
std::string approvalJson(const Approval& approval);

// "delete pods/web-1 in staging on demo", from the summary's verb, resource, subresource, name and
// namespace and the approval's cluster. Not escaped: escape it where it is displayed.
std::string humanSummary(const Approval& approval);

// "2024-05-01T12:00:00Z"
std::string rfc3339(Clock::time_point time);

// The text with everything a terminal would act on or reorder made visible: ASCII and C1 control
// characters (ESC, CSI, CR, LF, …), bidirectional overrides, embeddings and isolates (U+202A–U+202E,
// U+2066–U+2069), directional and zero-width marks become \u202e-style escapes; bytes that are not
// UTF-8 become \xff-style escapes. Everything else, including other non-ASCII letters, is kept.
std::string displaySafe(std::string_view text);

// A member of an approval's JSON (approvalJson's output, or the API's answer) ready for a terminal:
// strings escaped with displaySafe, other values serialised and escaped, absent or null empty.
std::string displayField(const boost::json::object& object, std::string_view key);

// Whether `id` can be an approval id at all ("apr-" + hex today; up to 64 letters, digits and '-'),
// checked before it is used in a URL or a store lookup.
bool plausibleApprovalId(std::string_view id);

}  // namespace kubegate::approvals
