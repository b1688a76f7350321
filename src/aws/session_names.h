// RoleSessionName and SourceIdentity for an assumed role, derived from the *verified* agent identity
// (OIDC issuer + subject). They end up in the assumed-role ARN, CloudTrail and the Kubernetes
// username on EKS, so they are readable (a sanitised prefix of the subject) and unique (a hash of
// issuer and subject, so two subjects that sanitise alike never share a session name).
#pragma once

#include <string>
#include <string_view>

namespace kubegate::aws {

// `kg-<subject prefix>-<12 hex>`: 2..64 characters of [A-Za-z0-9_+=,.-]. No '@', because EKS's
// {{SessionName}} template rewrites '@' to '-', and the username should equal the session name.
std::string roleSessionNameFor(std::string_view issuer, std::string_view subject);

// Same shape, '@' kept (CloudTrail shows it verbatim); never starts with the reserved `aws:`.
std::string sourceIdentityFor(std::string_view issuer, std::string_view subject);

}  // namespace kubegate::aws
