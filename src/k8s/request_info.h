// Request classification: what kube-apiserver's authorizer will see for a request. The gateway must
// decide on exactly the verb, resource, namespace and name the API server decides on, or a policy
// written for one request would be applied to another (shared/notes/security.md §2.2, §2.4).
//
// classify() is a port of NewRequestInfo (apiserver pkg/endpoints/request/requestinfo.go, identical
// in behaviour across 1.27-1.33), including the ListOptions decoding that turns a name-less GET into
// list or watch and narrows it to one object through fieldSelector=metadata.name=X
// (shared/notes/kubernetes-wire.md §1). On top of that sits kubegate's own normalisation
// (execClass, effectiveVerb) for operations whose HTTP method understates what they do (§2.5).
#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "k8s/gateway_error.h"

namespace kubegate::k8s {

// Decoded (name, value) query pairs in request order: the same type as http_hygiene::QueryParams,
// spelled out so the k8s layer does not depend on the HTTP layer.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// What a non-resource URL is for, so policy can allow the harmless ones by name and deny the rest
// (/metrics, /logs, /debug/pprof, anything an aggregator or a future version adds). Decided on the
// path alone; policy still decides on the verb.
enum class NonResourceClass {
  notApplicable,  // a resource request
  discovery,      // /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>
  openapi,        // /openapi/v2, /openapi/v3 and the documents under it
  version,        // /version
  health,         // /healthz, /livez, /readyz and their named checks
  other,
};

std::string_view toString(NonResourceClass c);

struct RequestInfo {
  // Fields as kube-apiserver's RequestInfo has them.
  bool isResourceRequest = false;
  std::string path;
  std::string verb;  // kube verb for resource requests; the lowercase HTTP method otherwise
  std::string apiPrefix, apiGroup, apiVersion;
  std::string namespace_;
  std::string resource, subresource, name;
  std::vector<std::string> parts;  // path parts from {resource} on, for resource requests
  // The raw first fieldSelector / labelSelector values, kept for list, watch and deletecollection
  // when the verb did not come from a /watch/ path prefix: what 1.32+ hands to authorizers
  // (AuthorizeWithSelectors, beta and on by default from 1.32; absent in 1.27-1.31).
  std::string fieldSelector, labelSelector;

  // kubegate's normalisation on top.
  // Code execution or proxying into the cluster: pods/exec, pods/attach, pods/portforward,
  // pods/ephemeralcontainers, nodes/proxy, services/proxy, pods/proxy and the legacy proxy verb.
  bool execClass = false;
  // The verb policy decides on. Equal to verb, except that pods exec/attach/portforward count as
  // create whatever the method: WebSocket clients reach them with GET (kubernetes#133515).
  std::string effectiveVerb;
  NonResourceClass nonResourceClass = NonResourceClass::notApplicable;
};

// Classifies a request. `path` is the canonical path (no cluster prefix, no query); `query` the
// decoded parameters in order. Errors: BadRequest for a legacy /watch/ or /proxy/ path with nothing
// after the verb, MethodNotAllowed for a resource request whose method has no Kubernetes verb.
boost::system::result<RequestInfo, GatewayError> classify(std::string_view method, std::string_view path,
                                                          const QueryParams& query);

// A boolean query parameter as apimachinery converts it (runtime.Convert_Slice_string_To_bool):
// absent, "0" or case-insensitively "false" is false; anything else, "" and "True" included, is true.
// The first value wins.
bool parseBoolParam(const QueryParams& query, std::string_view name);

// Whether kube-apiserver treats the request as long-running (no request timeout, audit stage
// ResponseStarted): BasicLongRunningRequestCheck with verbs watch, proxy and subresources attach,
// exec, proxy, log, portforward, plus non-resource /debug/pprof/.
bool isLongRunning(const RequestInfo& info);

}  // namespace kubegate::k8s
