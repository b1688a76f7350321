// Decoders behind decodeRequestObject (k8s/object_body.h), one per wire form, shared with the tests.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "k8s/request_info.h"
#include "k8s/utf8.h"

namespace kubegate::k8s::body {

struct BodyError {
  BodyError() = default;
  explicit BodyError(std::string text) : message(std::move(text)) {}
  std::string message;  // fixed phrase, optionally a field path or kind; never body content
};

template <typename T>
using BodyResult = boost::system::result<T, BodyError>;

inline BodyError bodyError(std::string message) { return BodyError{std::move(message)}; }


// A JSON document as sigs.k8s.io/json reads it, refusing what it would read differently.
BodyResult<boost::json::value> parseJson(std::string_view text);
// A single YAML document as sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 scalars) converts it to JSON.
BodyResult<boost::json::value> parseYaml(std::string_view text);
// An RFC 6902 operation list as the partial object its add and replace operations write.
BodyResult<boost::json::value> synthesizeJsonPatchObject(const boost::json::value& operations);

struct ProtobufObject {
  boost::json::value object;
  bool metadataOnly = false;
};
// A `k8s\0` protobuf envelope (runtime.Unknown) and the object in it, with JSON field names.
BodyResult<ProtobufObject> decodeProtobuf(std::string_view body, const RequestInfo& info);

}  // namespace kubegate::k8s::body
