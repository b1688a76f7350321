// Protobuf bodies (application/vnd.kubernetes.protobuf), as kubectl and client-go 1.32+ send them
// for typed clients. The envelope is `k8s\0` and a runtime.Unknown message; its raw bytes are the
// object, decoded here into the JSON form (JSON member names, bytes as base64, Time as RFC 3339).
// Field numbers come from k8s.io/api v0.33.13 core/v1, authentication/v1 and authorization/v1
// generated.proto, and k8s.io/apimachinery v0.33.13 pkg/apis/meta/v1 and pkg/runtime
// generated.proto. Decoding follows the generated Go code: a repeated occurrence of a singular
// message field merges into the first, of a scalar replaces it, of a repeated field appends; unknown
// fields are skipped by wire type; a known field with the wrong wire type is an error.
#include <array>
#include <cstdio>
#include <span>

#include <boost/json.hpp>

#include "http/base64.h"
#include "k8s/object_body.h"
#include "k8s/object_body_internal.h"
#include "k8s/protobuf_reader.h"
#include "k8s/protobuf_schema.h"

namespace kubegate::k8s::body {
namespace {

using proto::FieldKind;
using proto::FieldSpec;
using proto::MessageSpec;


// metav1.Time as its JSON form writes it (UTC, whole seconds: the Go Unmarshal drops nanos).
std::string rfc3339(std::int64_t seconds) {
  std::int64_t days = seconds / 86400;
  std::int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t dayOfEra = days - era * 146097;
  const std::int64_t yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
  const std::int64_t dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
  const std::int64_t mp = (5 * dayOfYear + 2) / 153;
  const std::int64_t day = dayOfYear - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yearOfEra + era * 400 + (month <= 2);
  char text[96];
  std::snprintf(text, sizeof text, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(year),
                static_cast<long long>(month), static_cast<long long>(day), static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60));
  return text;
}

class ObjectDecoder {
 public:
  bool decodeMessage(std::string_view bytes, const MessageSpec& spec, boost::json::object& out, std::size_t depth) {
    if (depth > kMaxObjectNestingDepth) return fail("protobuf body nests too deep", {});
    ProtobufReader reader(bytes);
    while (!reader.atEnd()) {
      const auto tag = reader.readTag();
      if (!tag) return fail(reader.error(), spec.name);
      const FieldSpec* field = spec.find(tag->number);
      if (field == nullptr) {
        if (!reader.skip(tag->wireType)) return fail(reader.error(), spec.name);
        continue;
      }
      if (!decodeField(reader, tag->wireType, *field, out, depth)) return false;
    }
    return true;
  }

  std::string error;

 private:
  bool fail(std::string_view what, std::string_view where) {
    if (error.empty()) {
      error = "protobuf body refused: ";
      error += what;
      if (!where.empty()) {
        error += " in ";
        error += where;
      }
    }
    return false;
  }

  static bool isLengthDelimitedKind(FieldKind kind) {
    return kind != FieldKind::boolean && kind != FieldKind::int64 && kind != FieldKind::int32;
  }

  bool decodeField(ProtobufReader& reader, WireType wireType, const FieldSpec& field, boost::json::object& out,
                   std::size_t depth) {
    if (!isLengthDelimitedKind(field.kind)) {
      if (wireType == WireType::lengthDelimited && field.repeated) return decodePackedVarints(reader, field, out);
      if (wireType != WireType::varint) return fail("wrong wire type for field", field.jsonName);
      const auto raw = reader.readVarint();
      if (!raw) return fail(reader.error(), field.jsonName);
      store(field, out, varintValue(field.kind, *raw));
      return true;
    }
    if (wireType != WireType::lengthDelimited) return fail("wrong wire type for field", field.jsonName);
    const auto bytes = reader.readLengthDelimited();
    if (!bytes) return fail(reader.error(), field.jsonName);
    return decodeLengthDelimited(*bytes, field, out, depth);
  }

  static boost::json::value varintValue(FieldKind kind, std::uint64_t raw) {
    if (kind == FieldKind::boolean) return raw != 0;
    if (kind == FieldKind::int32) return static_cast<std::int64_t>(static_cast<std::int32_t>(raw));
    return static_cast<std::int64_t>(raw);
  }

  bool decodePackedVarints(ProtobufReader& reader, const FieldSpec& field, boost::json::object& out) {
    const auto bytes = reader.readLengthDelimited();
    if (!bytes) return fail(reader.error(), field.jsonName);
    ProtobufReader packed(*bytes);
    while (!packed.atEnd()) {
      const auto raw = packed.readVarint();
      if (!raw) return fail(packed.error(), field.jsonName);
      store(field, out, varintValue(field.kind, *raw));
    }
    return true;
  }

  // Singular scalars replace; non-pointer zero values are dropped as the JSON form's omitempty does.
  static void store(const FieldSpec& field, boost::json::object& out, boost::json::value value) {
    if (field.repeated) {
      auto& slot = out[field.jsonName];
      if (!slot.is_array()) slot = boost::json::array{};
      slot.get_array().push_back(std::move(value));
      return;
    }
    const bool zero = (value.is_string() && value.get_string().empty()) || (value.is_bool() && !value.get_bool()) ||
                      (value.is_int64() && value.get_int64() == 0);
    if (zero && !field.pointer) {
      out.erase(field.jsonName);
      return;
    }
    out[field.jsonName] = std::move(value);
  }

  bool decodeLengthDelimited(std::string_view bytes, const FieldSpec& field, boost::json::object& out,
                             std::size_t depth) {
    switch (field.kind) {
      case FieldKind::string:
        if (!isValidUtf8(bytes)) return fail("string is not valid UTF-8", field.jsonName);
        store(field, out, boost::json::string_view(bytes.data(), bytes.size()));
        return true;
      case FieldKind::bytes:
        store(field, out, boost::json::string(encodeBase64(bytes)));
        return true;
      case FieldKind::inlined:
        return decodeMessage(bytes, *field.message, out, depth + 1);
      case FieldKind::message:
        return decodeNested(bytes, field, out, depth);
      case FieldKind::time:
      case FieldKind::quantity:
      case FieldKind::intOrString: {
        auto value = decodeWellKnown(bytes, field);
        if (!value) return false;
        store(field, out, std::move(*value));
        return true;
      }
      case FieldKind::stringMap:
      case FieldKind::bytesMap:
      case FieldKind::quantityMap:
      case FieldKind::extraMap:
        return decodeMapEntry(bytes, field, out);
      default:
        return fail("unexpected field kind", field.jsonName);
    }
  }

  bool decodeNested(std::string_view bytes, const FieldSpec& field, boost::json::object& out, std::size_t depth) {
    if (field.repeated) {
      boost::json::object element;
      if (!decodeMessage(bytes, *field.message, element, depth + 1)) return false;
      store(field, out, std::move(element));
      return true;
    }
    auto& slot = out[field.jsonName];
    if (!slot.is_object()) slot = boost::json::object{};
    return decodeMessage(bytes, *field.message, slot.get_object(), depth + 1);
  }

  // The two fields of a tiny message, as (number -> bytes or varint); the last occurrence wins.
  struct SmallMessage {
    std::array<std::optional<std::string_view>, 4> bytes;
    std::array<std::optional<std::uint64_t>, 4> varints;
  };

  std::optional<SmallMessage> readSmallMessage(std::string_view data, std::string_view where) {
    SmallMessage message;
    ProtobufReader reader(data);
    while (!reader.atEnd()) {
      const auto tag = reader.readTag();
      if (!tag) return fail(reader.error(), where), std::nullopt;
      const bool known = tag->number < message.bytes.size();
      if (known && tag->wireType == WireType::lengthDelimited) {
        message.bytes[tag->number] = reader.readLengthDelimited();
        if (!message.bytes[tag->number]) return fail(reader.error(), where), std::nullopt;
      } else if (known && tag->wireType == WireType::varint) {
        message.varints[tag->number] = reader.readVarint();
        if (!message.varints[tag->number]) return fail(reader.error(), where), std::nullopt;
      } else if (!reader.skip(tag->wireType)) {
        return fail(reader.error(), where), std::nullopt;
      }
    }
    return message;
  }

  std::optional<boost::json::value> decodeWellKnown(std::string_view bytes, const FieldSpec& field) {
    const auto message = readSmallMessage(bytes, field.jsonName);
    if (!message) return std::nullopt;
    if (field.kind == FieldKind::time) {
      if (bytes.empty()) return boost::json::value(nullptr);  // a zero Time is JSON null
      return boost::json::value(rfc3339(static_cast<std::int64_t>(message->varints[1].value_or(0))));
    }
    if (field.kind == FieldKind::quantity) {
      const std::string_view text = message->bytes[1].value_or("");
      if (!isValidUtf8(text)) return fail("string is not valid UTF-8", field.jsonName), std::nullopt;
      return boost::json::value(boost::json::string_view(text.data(), text.size()));
    }
    // IntOrString {1 type, 2 intVal, 3 strVal}: type 1 is a string.
    if (message->varints[1].value_or(0) == 1) {
      const std::string_view text = message->bytes[3].value_or("");
      if (!isValidUtf8(text)) return fail("string is not valid UTF-8", field.jsonName), std::nullopt;
      return boost::json::value(boost::json::string_view(text.data(), text.size()));
    }
    return boost::json::value(static_cast<std::int64_t>(static_cast<std::int32_t>(message->varints[2].value_or(0))));
  }

  bool decodeMapEntry(std::string_view bytes, const FieldSpec& field, boost::json::object& out) {
    const auto entry = readSmallMessage(bytes, field.jsonName);
    if (!entry) return false;
    const std::string_view key = entry->bytes[1].value_or("");
    const std::string_view raw = entry->bytes[2].value_or("");
    if (!isValidUtf8(key)) return fail("map key is not valid UTF-8", field.jsonName);
    boost::json::value value;
    if (field.kind == FieldKind::bytesMap) {
      value = boost::json::string(encodeBase64(raw));
    } else if (field.kind == FieldKind::stringMap) {
      if (!isValidUtf8(raw)) return fail("string is not valid UTF-8", field.jsonName);
      value = boost::json::string_view(raw.data(), raw.size());
    } else {
      const auto inner = readSmallMessage(raw, field.jsonName);
      if (!inner) return false;
      if (field.kind == FieldKind::quantityMap) {
        value = boost::json::string_view(inner->bytes[1].value_or("").data(), inner->bytes[1].value_or("").size());
      } else if (!decodeExtraValue(raw, value, field)) {
        return false;
      }
    }
    auto& slot = out[field.jsonName];
    if (!slot.is_object()) slot = boost::json::object{};
    slot.get_object()[boost::json::string_view(key.data(), key.size())] = std::move(value);
    return true;
  }

  // authorization/v1 ExtraValue {repeated string items = 1}, a list in JSON.
  bool decodeExtraValue(std::string_view raw, boost::json::value& value, const FieldSpec& field) {
    boost::json::array items;
    ProtobufReader reader(raw);
    while (!reader.atEnd()) {
      const auto tag = reader.readTag();
      if (!tag) return fail(reader.error(), field.jsonName);
      if (tag->number != 1) {
        if (!reader.skip(tag->wireType)) return fail(reader.error(), field.jsonName);
        continue;
      }
      if (tag->wireType != WireType::lengthDelimited) return fail("wrong wire type for field", field.jsonName);
      const auto item = reader.readLengthDelimited();
      if (!item) return fail(reader.error(), field.jsonName);
      if (!isValidUtf8(*item)) return fail("string is not valid UTF-8", field.jsonName);
      items.emplace_back(boost::json::string_view(item->data(), item->size()));
    }
    value = std::move(items);
    return true;
  }
};

struct Envelope {
  std::string apiVersion, kind;
  std::string_view raw;
  std::string_view contentEncoding, contentType;
};

BodyResult<Envelope> readEnvelope(std::string_view body) {
  static constexpr std::string_view kMagic{"k8s\0", 4};
  if (body.substr(0, 4) != kMagic) return bodyError("protobuf body lacks the k8s envelope prefix");
  Envelope envelope;
  ProtobufReader reader(body.substr(4));
  ObjectDecoder typeMetaDecoder;
  while (!reader.atEnd()) {
    const auto tag = reader.readTag();
    if (!tag) return bodyError(std::string("protobuf envelope refused: ") + std::string(reader.error()));
    if (tag->number > 4) {
      if (!reader.skip(tag->wireType)) return bodyError(std::string("protobuf envelope refused: ") + std::string(reader.error()));
      continue;
    }
    if (tag->wireType != WireType::lengthDelimited) return bodyError("protobuf envelope refused: wrong wire type");
    const auto bytes = reader.readLengthDelimited();
    if (!bytes) return bodyError(std::string("protobuf envelope refused: ") + std::string(reader.error()));
    if (tag->number == 1) {
      boost::json::object typeMeta;
      if (!typeMetaDecoder.decodeMessage(*bytes, proto::runtimeTypeMeta(), typeMeta, 1)) return bodyError(typeMetaDecoder.error);
      // A second typeMeta merges into the first, as in the generated code.
      if (const auto* v = typeMeta.if_contains("apiVersion")) envelope.apiVersion = v->as_string();
      if (const auto* k = typeMeta.if_contains("kind")) envelope.kind = k->as_string();
    } else if (tag->number == 2) {
      envelope.raw = *bytes;
    } else if (tag->number == 3) {
      envelope.contentEncoding = *bytes;
    } else {
      envelope.contentType = *bytes;
    }
  }
  if (!envelope.contentEncoding.empty()) return bodyError("protobuf envelope with a content encoding");
  if (!envelope.contentType.empty() && envelope.contentType != "application/vnd.kubernetes.protobuf") {
    return bodyError("protobuf envelope with a foreign content type");
  }
  return envelope;
}

}  // namespace

BodyResult<ProtobufObject> decodeProtobuf(std::string_view body, const RequestInfo& info) {
  auto envelope = readEnvelope(body);
  if (!envelope) return envelope.error();
  // kube-apiserver decodes by the envelope's kind and fills an empty one from the endpoint's; a
  // kind that disagrees with the endpoint fails there, so the gateway refuses it rather than guess.
  const auto expected = proto::expectedKind(info);
  if (envelope->kind.empty() && envelope->apiVersion.empty() && expected) {
    envelope->apiVersion = expected->apiVersion;
    envelope->kind = expected->kind;
  }
  if (envelope->kind.empty()) return bodyError("protobuf envelope without a kind");
  if (expected && (expected->kind != envelope->kind || expected->apiVersion != envelope->apiVersion)) {
    return bodyError("protobuf envelope kind " + envelope->apiVersion + " " + envelope->kind +
                     " does not match the resource");
  }
  ProtobufObject result;
  boost::json::object object;
  object["kind"] = envelope->kind;
  object["apiVersion"] = envelope->apiVersion;
  const MessageSpec* schema = proto::schemaFor(envelope->apiVersion, envelope->kind);
  if (schema == nullptr) {
    schema = &proto::metadataOnlyObject();
    result.metadataOnly = true;
  }
  ObjectDecoder decoder;
  if (!decoder.decodeMessage(envelope->raw, *schema, object, 1)) return bodyError(decoder.error);
  result.object = std::move(object);
  return result;
}

}  // namespace kubegate::k8s::body
