// What a rule can ask of the object a request carries: `when` conditions on its fields and a
// label selector on its metadata.labels. Both are compiled once and evaluated without allocating.
//
// A path names fields with dots (`spec.hostNetwork`), list elements with `[N]` or `[*]` (every
// element), and keys that contain dots with `["kubernetes.io/name"]`. A test holds when ANY value
// the path reaches passes it; the negated operators (notEquals, notIn, notMatches, exists: false)
// hold when NO value does. So `spec.containers[*].securityContext.privileged equals true` means
// "some container is privileged", and its notEquals means "no container is".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "policy/glob.h"

namespace YAML {
class Node;
}

namespace kubegate::policy {

struct PathSegment {
  enum class Kind { key, index, everyElement };
  Kind kind = Kind::key;
  std::string key;
  std::size_t index = 0;
};

struct ObjectPath {
  std::string text;
  std::vector<PathSegment> segments;
  // Whether the path reaches beyond apiVersion, kind and metadata, which a metadata-only decode
  // (a protobuf body of a kind without a schema) cannot provide.
  bool beyondMetadata = false;

  // The path, or nothing with `why` set.
  static std::optional<ObjectPath> parse(const std::string& text, std::string& why);
};

enum class TestOp { equals, notEquals, in, notIn, exists, notExists, matches, notMatches };

struct Condition {
  enum class Kind { all, any, test };
  Kind kind = Kind::test;
  std::vector<Condition> children;      // all, any
  std::vector<ObjectPath> paths;        // test: any of these paths
  TestOp op = TestOp::equals;
  std::vector<boost::json::value> values;  // equals (one), in, notIn
  std::vector<Glob> patterns;              // matches, notMatches
  bool beyondMetadata = false;             // some path (here or below) reaches past metadata

  bool holds(const boost::json::value& object) const;
};

// A Kubernetes label selector (matchLabels and matchExpressions, ANDed) on metadata.labels.
struct LabelSelector {
  enum class Op { in, notIn, exists, doesNotExist };
  struct Requirement {
    std::string key;
    Op op = Op::in;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements;  // matchLabels become `In [value]`

  bool matches(const boost::json::value& object) const;
};

// A YAML value as JSON, typed as Kubernetes reads YAML: quoted scalars are strings; plain ones are
// null, booleans, integers or floats when they look like one (YAML 1.2 core schema), else strings.
boost::json::value yamlToJson(const YAML::Node& node);

// The string at metadata.<field> of an object, or empty.
std::string_view metadataString(const boost::json::value& object, std::string_view field);

}  // namespace kubegate::policy
