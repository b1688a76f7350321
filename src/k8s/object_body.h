// The object a request carries, decoded the way kube-apiserver will decode it, for the policy
// engine (policy/request_facts.h). The rule is that policy must see exactly what the server will
// apply: where the gateway cannot be sure of that (duplicate member names, invalid UTF-8, YAML
// scalars whose type depends on the YAML version, protobuf it cannot parse), the result is an
// error, never a guess, and a rule that needs the body then denies (fail closed).
// Each case and the source it follows is in docs/adr/0004-request-body-decoding.md.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "k8s/request_info.h"

namespace kubegate::k8s {

// kube-apiserver reads JSON up to Go's nesting limit of 10000; real objects nest below 30 (CRD
// schemas being the deepest), so anything deeper is refused rather than walked.
inline constexpr std::size_t kMaxObjectNestingDepth = 100;
// kube-apiserver refuses JSON patches with more operations (apiserver handlers/patch.go).
inline constexpr std::size_t kMaxJsonPatchOperations = 10000;

struct DecodedObject {
  // The object (always a JSON object) for create, update and apply; for other patches the patch
  // as a partial object. Empty when the request carries no object or on error.
  std::optional<boost::json::value> object;
  // Why the body could not be decoded; empty on success. A fixed phrase plus at most a field path
  // or kind: never body content, so it is safe in logs and in the message to the agent.
  std::string error;
  // Only the envelope and metadata could be decoded (protobuf of a kind without a schema here).
  bool metadataOnly = false;
};

// Whether a request's body is the object it acts on: create, update and patch (apply included) of
// a resource, except the streaming subresources (exec, attach, portforward, proxy) whose bodies are
// not objects. Other bodies (DeleteOptions on delete) are not the object.
bool carriesObject(const RequestInfo& info);

// Decodes the body of a request that carriesObject(). An empty body yields no object and no error
// (the server refuses it itself). Never throws.
DecodedObject decodeRequestObject(std::string_view contentType, std::string_view body, const RequestInfo& info);

}  // namespace kubegate::k8s
