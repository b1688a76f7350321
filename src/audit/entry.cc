#include "audit/entry.h"

namespace kubegate::audit {

std::string_view toString(EntryKind kind) {
  switch (kind) {
    case EntryKind::request:
      return "request";
    case EntryKind::response:
      return "response";
    case EntryKind::session:
      return "session";
    case EntryKind::approval:
      return "approval";
  }
  return "unknown";
}

std::optional<EntryKind> entryKindFromString(std::string_view s) {
  if (s == "request") return EntryKind::request;
  if (s == "response") return EntryKind::response;
  if (s == "session") return EntryKind::session;
  if (s == "approval") return EntryKind::approval;
  return std::nullopt;
}

}  // namespace kubegate::audit
