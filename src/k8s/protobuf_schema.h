// The protobuf layouts of the kinds policy inspects, as data: field number, JSON name, and how the
// value is written in JSON. Sources: k8s.io/api v0.33.13 core/v1, authentication/v1 and
// authorization/v1 generated.proto; k8s.io/apimachinery v0.33.13 pkg/apis/meta/v1,
// pkg/runtime, pkg/api/resource and pkg/util/intstr generated.proto; pointer-ness from types.go.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "k8s/request_info.h"

namespace kubegate::k8s::proto {

enum class FieldKind : std::uint8_t {
  string,
  bytes,        // base64 in JSON
  boolean,
  int64,
  int32,
  message,      // a nested object
  inlined,      // an embedded Go struct whose members appear in the parent's JSON object
  time,         // meta/v1 Time: RFC 3339 string, or null when zero
  quantity,     // resource.Quantity: its string form
  intOrString,  // intstr.IntOrString: a number or a string
  stringMap,    // map<string,string>
  bytesMap,     // map<string,bytes>, values base64
  quantityMap,  // map<string,Quantity>
  extraMap,     // map<string,ExtraValue>, values lists of strings
};

struct MessageSpec;

struct FieldSpec {
  std::uint32_t number;
  std::string_view jsonName;
  FieldKind kind;
  bool repeated = false;
  // A Go pointer field: an explicit zero (privileged: false) is kept. Zero values of non-pointer
  // fields are dropped, as the JSON form's omitempty does.
  bool pointer = false;
  const MessageSpec* message = nullptr;
};

struct MessageSpec {
  std::string_view name;
  std::span<const FieldSpec> fields;

  const FieldSpec* find(std::uint32_t number) const {
    for (const FieldSpec& field : fields) {
      if (field.number == number) return &field;
    }
    return nullptr;
  }
};

// The full schema for a kind, or nullptr when only metadata can be decoded.
const MessageSpec* schemaFor(std::string_view apiVersion, std::string_view kind);
// Any top-level object: field 1 is ObjectMeta, everything else is skipped.
const MessageSpec& metadataOnlyObject();
// runtime.TypeMeta in the envelope {1 apiVersion, 2 kind} (not meta/v1's {1 kind, 2 apiVersion}).
const MessageSpec& runtimeTypeMeta();

struct ExpectedKind {
  std::string_view apiVersion;
  std::string_view kind;
};
// The kind an endpoint takes, for the endpoints whose kinds have a schema here.
std::optional<ExpectedKind> expectedKind(const RequestInfo& info);

}  // namespace kubegate::k8s::proto
