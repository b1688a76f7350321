// The claim rules of verifyToken (verifier.h documents them), applied to a claim set whose
// signature has already been verified. Separate from verifier.cc so each stays readable.
#pragma once

#include <chrono>
#include <string_view>

#include <boost/system/result.hpp>

#include "identity/jwt/json_strict.h"
#include "identity/jwt/verifier.h"

namespace kubegate::identity::jwt {

// Finds a claim by path. The whole path is first looked up as one top-level name, so names that
// contain dots or colons work as they are ("cognito:groups", "https://example.com/roles"). Only if
// there is no such member is the path split on every '.' and walked through nested objects
// ("realm_access.roles"). ':' never splits. Null when nothing is found.
const JsonValue* resolveClaimPath(const JsonValue& claims, std::string_view path);

boost::system::result<VerifiedToken, TokenError> checkClaims(const JsonValue& claims, const IssuerPolicy& policy,
                                                             std::chrono::system_clock::time_point now);

}  // namespace kubegate::identity::jwt
