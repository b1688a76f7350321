// What the policy engine decides on: one request as the gateway read it. Built once per request in
// the data path (src/proxy/downstream_session.cc) from the verified identity, the classification
// and the decoded body; the engine only reads it.
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "identity/identity.h"
#include "k8s/request_info.h"

namespace kubegate::policy {

struct RequestFacts {
  const identity::Identity& identity;  // user, groups, issuer, purpose
  std::string_view cluster;            // the cluster name from /clusters/<name>
  const k8s::RequestInfo& info;        // verb, effectiveVerb, group, resource, subresource, namespace, name
  // The object the request carries (create, update, patch, apply), decoded from JSON, YAML or
  // protobuf by k8s/object_body.h; nullptr when the request carries none. For a patch it is the
  // patch as a partial object (see that header).
  const boost::json::value* object = nullptr;
  // Non-empty when the request carries a body the gateway could not decode: any rule that needs
  // the body then cannot be evaluated, and the request is denied with this reason.
  std::string_view objectError;
  // Set when only the envelope and metadata of the object could be decoded (a protobuf body of a
  // kind the gateway has no schema for): conditions on any other field cannot be evaluated.
  bool objectMetadataOnly = false;
};

}  // namespace kubegate::policy
