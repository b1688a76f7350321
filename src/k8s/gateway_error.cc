#include "k8s/gateway_error.h"

#include <boost/json.hpp>

namespace kubegate::k8s {
namespace {

struct Row {
  ErrorKind kind;
  unsigned status;
  std::string_view reason;  // metav1.StatusReason
  bool closes;
};

// The one table: kind -> HTTP status, Kubernetes reason, whether the connection is closed.
constexpr Row kTable[] = {
    {ErrorKind::BadRequest, 400, "BadRequest", true},
    {ErrorKind::Unauthorized, 401, "Unauthorized", false},
    {ErrorKind::Forbidden, 403, "Forbidden", false},
    {ErrorKind::NotFound, 404, "NotFound", false},
    {ErrorKind::MethodNotAllowed, 405, "MethodNotAllowed", true},
    {ErrorKind::NotAcceptable, 406, "NotAcceptable", false},
    {ErrorKind::RequestTooLarge, 413, "RequestEntityTooLarge", true},
    {ErrorKind::UriTooLong, 414, "RequestURITooLong", true},
    {ErrorKind::HeaderTooLarge, 431, "RequestHeaderFieldsTooLarge", true},
    {ErrorKind::TooManyRequests, 429, "TooManyRequests", false},
    {ErrorKind::BadGateway, 502, "BadGateway", false},
    {ErrorKind::ServiceUnavailable, 503, "ServiceUnavailable", false},
    {ErrorKind::GatewayTimeout, 504, "Timeout", false},
};

const Row& rowFor(ErrorKind kind) {
  for (const auto& row : kTable) {
    if (row.kind == kind) return row;
  }
  return kTable[0];
}

}  // namespace

unsigned httpStatus(ErrorKind kind) { return rowFor(kind).status; }
std::string_view statusReason(ErrorKind kind) { return rowFor(kind).reason; }
bool closesConnection(ErrorKind kind) { return rowFor(kind).closes; }

std::string statusBody(const GatewayError& error) {
  const Row& row = rowFor(error.kind);
  // Field order follows metav1.Status, as kube-apiserver writes it.
  boost::json::object status;
  status["kind"] = "Status";
  status["apiVersion"] = "v1";
  status["metadata"] = boost::json::object{};
  status["status"] = "Failure";
  status["message"] = error.message;
  status["reason"] = row.reason;
  status["code"] = row.status;
  return boost::json::serialize(status) + "\n";
}

}  // namespace kubegate::k8s
