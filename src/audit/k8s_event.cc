#include "audit/k8s_event.h"

#include <boost/json.hpp>

#include "audit/auditor_queries.h"
#include "audit/request_record.h"

namespace kubegate::audit {
namespace {

namespace json = boost::json;

const json::object* objectAt(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

std::string stringAt(const json::object* o, std::string_view key) {
  if (!o) return {};
  const auto* v = o->if_contains(key);
  if (!v || !v->is_string()) return {};
  return std::string(v->get_string());
}

// What kube-apiserver would have seen: the URI without the gateway's /clusters/<name>[/purpose/<p>].
std::string apiServerUri(std::string uri, const std::string& cluster) {
  const std::string prefix = "/clusters/" + cluster;
  if (!cluster.empty() && uri.starts_with(prefix)) uri.erase(0, prefix.size());
  if (uri.starts_with("/purpose/")) {
    const auto next = uri.find_first_of("/?", 9);
    uri.erase(0, next == std::string::npos ? uri.size() : next);
  }
  if (uri.empty() || uri.front() != '/') uri.insert(0, "/");
  return uri;
}

json::object userOf(const json::object* identity, const json::object& doc) {
  json::object user;
  if (!identity || !identity->if_contains("authenticated") || !identity->at("authenticated").as_bool()) {
    user["username"] = "system:anonymous";
    user["groups"] = json::array{"system:unauthenticated"};
    return user;
  }
  user["username"] = stringAt(identity, "username");
  if (const auto* groups = identity->if_contains("groups")) user["groups"] = *groups;
  json::object extra;
  for (const char* key : {"issuer", "subject", "purpose", "authenticator", "tokenId"}) {
    const auto value = stringAt(identity, key);
    if (!value.empty()) extra[std::string("kubegate.dev/") + key] = json::array{json::string(value)};
  }
  extra["kubegate.dev/session"] = json::array{json::string(stringAt(&doc, "session"))};
  user["extra"] = std::move(extra);
  return user;
}

json::object objectRefOf(const json::object* classified) {
  json::object ref;
  for (const char* key : {"resource", "namespace", "name", "apiGroup", "apiVersion", "subresource"}) {
    const auto value = stringAt(classified, key);
    if (!value.empty()) ref[key] = value;
  }
  return ref;
}

// A body becomes requestObject/responseObject only when it was kept whole and is a JSON object.
std::optional<json::value> embeddedBody(const json::object* body, const std::string& attachment) {
  if (!body || attachment.empty()) return std::nullopt;
  if (body->if_contains("truncated") || body->if_contains("withheld")) return std::nullopt;
  if (!stringAt(body, "contentEncoding").empty()) return std::nullopt;
  boost::system::error_code ec;
  auto value = json::parse(attachment, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return value;
}

json::object responseStatusOf(const json::object& doc, const json::object* response) {
  json::object status;
  status["metadata"] = json::object{};
  if (const auto* refusal = objectAt(doc, "refusal")) {
    status["status"] = "Failure";
    status["code"] = refusal->at("status");
    status["reason"] = refusal->at("reason");
    status["message"] = refusal->at("message");
    return status;
  }
  if (const auto* answer = objectAt(doc, "answer")) {
    status["status"] = "Success";
    status["code"] = answer->at("status");
    return status;
  }
  if (!response) return status;  // forwarded, completion not recorded (cut off)
  status["code"] = response->at("status");
  if (const auto error = stringAt(response, "error"); !error.empty()) {
    status["status"] = "Failure";
    status["message"] = error;
  }
  return status;
}

}  // namespace

std::string kubernetesAuditEvent(const RecordedRequest& recorded) {
  const auto doc = parseDocument(recorded.request.entry.document);
  const auto responseDoc = recorded.response ? parseDocument(recorded.response->entry.document) : json::object{};
  const json::object* response = recorded.response ? &responseDoc : nullptr;
  const auto* request = objectAt(doc, "request");
  const auto* classified = request ? objectAt(*request, "classified") : nullptr;
  const auto* decision = objectAt(doc, "decision");

  json::object event;
  event["kind"] = "Event";
  event["apiVersion"] = "audit.k8s.io/v1";
  event["auditID"] = stringAt(&doc, "requestId");
  event["stage"] = "ResponseComplete";
  const auto cluster = stringAt(&doc, "cluster");
  event["requestURI"] = apiServerUri(stringAt(request, "uri"), cluster);
  auto verb = stringAt(classified, "verb");
  if (verb.empty()) {
    // As kube-apiserver names non-resource requests: the lowercase method; a request too malformed
    // to have one still needs a verb for consumers that require it.
    verb = stringAt(request, "method");
    for (auto& c : verb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (verb.empty()) verb = "unknown";
  }
  event["verb"] = verb;
  event["user"] = userOf(objectAt(doc, "identity"), doc);
  if (const auto* upstream = objectAt(doc, "upstream")) {
    json::object impersonated;
    impersonated["username"] = upstream->at("user");
    impersonated["groups"] = upstream->at("groups");
    event["impersonatedUser"] = std::move(impersonated);
  }
  event["sourceIPs"] = json::array{json::string(stringAt(&doc, "source"))};
  if (const auto ua = stringAt(&doc, "userAgent"); !ua.empty()) event["userAgent"] = ua;
  if (classified && classified->if_contains("resourceRequest") && classified->at("resourceRequest").as_bool()) {
    event["objectRef"] = objectRefOf(classified);
  }
  event["responseStatus"] = responseStatusOf(doc, response);
  auto requestObject = embeddedBody(request ? objectAt(*request, "body") : nullptr, recorded.request.entry.attachment);
  std::optional<json::value> responseObject;
  if (recorded.response) responseObject = embeddedBody(objectAt(responseDoc, "body"), recorded.response->entry.attachment);
  event["level"] = requestObject || responseObject ? "RequestResponse" : "Metadata";
  if (requestObject) event["requestObject"] = std::move(*requestObject);
  if (responseObject) event["responseObject"] = std::move(*responseObject);
  event["requestReceivedTimestamp"] = stringAt(&doc, "time");
  event["stageTimestamp"] = response ? stringAt(response, "time") : stringAt(&doc, "time");
  json::object annotations;
  const auto effect = stringAt(decision, "effect");
  annotations["authorization.k8s.io/decision"] = effect == "allow" ? "allow" : "forbid";
  if (decision) {
    annotations["authorization.k8s.io/reason"] = "kubegate rule " + stringAt(decision, "rule") +
                                                 (stringAt(decision, "message").empty() ? "" : ": " + stringAt(decision, "message"));
    annotations["kubegate.dev/rule"] = stringAt(decision, "rule");
    annotations["kubegate.dev/policy"] = stringAt(decision, "policy");
    annotations["kubegate.dev/decision"] = effect;
  } else {
    annotations["authorization.k8s.io/reason"] = "refused before a policy decision";
  }
  annotations["kubegate.dev/cluster"] = cluster;
  if (const auto approval = stringAt(&doc, "approval"); !approval.empty()) annotations["kubegate.dev/approval"] = approval;
  event["annotations"] = std::move(annotations);
  return json::serialize(event);
}

}  // namespace kubegate::audit
