// Errors on the data plane are values, never exceptions. Every refusal the gateway writes goes
// through one table (gateway_error.cc) that maps it to an HTTP status and a Kubernetes Status body,
// so clients such as kubectl print a message a person understands.
#pragma once

#include <string>
#include <string_view>

namespace kubegate::k8s {

enum class ErrorKind {
  BadRequest,          // malformed or ambiguous HTTP, non-canonical path
  Unauthorized,        // no or unverifiable credentials
  Forbidden,           // policy or gateway rules refuse
  NotFound,            // unknown cluster prefix
  MethodNotAllowed,    // a method the Kubernetes API does not use
  NotAcceptable,       // only encodings the gateway cannot mask were accepted
  RequestTooLarge,     // body over the limit
  UriTooLong,          // request target over the limit
  HeaderTooLarge,      // header block over the limit
  TooManyRequests,     // gateway-side limits
  BadGateway,          // upstream unreachable or answered garbage
  ServiceUnavailable,  // draining, or a dependency is down
  GatewayTimeout,      // upstream did not answer in time
};

struct GatewayError {
  ErrorKind kind;
  std::string message;  // shown to the client; must never contain secrets
};

inline GatewayError makeError(ErrorKind kind, std::string message) { return {kind, std::move(message)}; }

// The HTTP status and Status.reason for a kind.
unsigned httpStatus(ErrorKind kind);
std::string_view statusReason(ErrorKind kind);

// The Kubernetes Status JSON body (with the trailing newline kube-apiserver writes).
std::string statusBody(const GatewayError& error);

// Whether the downstream connection must be closed after answering: framing errors leave the
// byte stream in an unknown state, so nothing more may be read from it.
bool closesConnection(ErrorKind kind);

}  // namespace kubegate::k8s
