// The record as Kubernetes audit events (audit.k8s.io/v1 Event, stage ResponseComplete), one JSON
// object per line: what `kubegate audit export --format k8s` writes and what Falco's k8saudit
// plugin reads (shared field names: auditID, stage, verb, requestURI, user, sourceIPs, userAgent,
// objectRef, responseStatus, requestObject, responseObject, annotations, stageTimestamp).
#pragma once

#include <optional>
#include <string>

#include "audit/entry.h"

namespace kubegate::audit {

// One request as the record holds it: its request entry and, when it was forwarded and completed,
// its response entry.
struct RecordedRequest {
  StoredEntry request;
  std::optional<StoredEntry> response;
};

// The Event for one recorded request. Bodies are embedded as requestObject / responseObject when
// they were kept whole and are JSON; level is RequestResponse then, Metadata otherwise.
std::string kubernetesAuditEvent(const RecordedRequest& recorded);

}  // namespace kubegate::audit
