// What a reviewer reads for a mutation: the object as it is now and as the API server's dry run says
// it would be, both rendered as YAML in the manner of `kubectl diff` and compared line by line in
// unified diff format. Both inputs are JSON texts the gateway has already masked.
//
// Rendering: keys sorted bytewise, block style, two-space indentation, sequences not indented under
// their key (as kubectl prints them). Strings are plain unless a YAML 1.1 or 1.2 reader would take
// them for something else (a number, bool, null, timestamp, a comment or a mapping), then
// double-quoted; multi-line strings are `|` block scalars. Anything a terminal would act on or that
// reorders or hides text (control characters, bidi overrides and isolates, zero-width and tag
// characters) forces double quotes and is written as a YAML escape (\e, \x85, \u202E, …), in keys
// as in values, so a crafted value cannot make one object look like another.
//
// Fields that change on every write and tell a reviewer nothing are dropped from both sides before
// the comparison: metadata.managedFields, metadata.resourceVersion and metadata.generation always;
// metadata.uid and metadata.creationTimestamp when only one side has them (a dry-run create invents
// both; when both sides have them they stay, so a different uid, i.e. a different object, shows);
// and `status` when it is an object, unless includeStatus. The same fields go from each element of a
// list's `items`, except uid and creationTimestamp, which are not paired across a list.
#pragma once

#include <boost/system/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace kubegate::approvals {

struct DiffOptions {
  std::size_t contextLines = 3;
  // The diff text is cut on a line boundary so that it and a last line saying so fit in this many
  // bytes (a limit smaller than that line yields the line alone).
  std::size_t maxBytes = 64 * 1024;
  std::string currentLabel = "current";
  std::string proposedLabel = "after dry run";
  bool includeStatus = false;
  // Above this many lines on the two sides together, or when the sides differ in more lines than a
  // line diff is worth computing, the diff shows the whole current object removed and the whole
  // proposed one added.
  std::size_t maxLinesForLineDiff = 20000;
};

struct ObjectDiff {
  std::string text;  // empty when nothing a reviewer cares about changes
  bool truncated = false;
  // Lines added and removed in the whole diff, including any part cut from `text`.
  std::size_t added = 0;
  std::size_t removed = 0;
};

// An empty (or all-whitespace) currentJson: the object does not exist yet (a create); an empty
// proposedJson: it will be deleted. Invalid JSON or nesting deeper than 100 levels on either side
// is an error naming the side.
boost::system::result<ObjectDiff, std::string> diffObjects(std::string_view currentJson, std::string_view proposedJson,
                                                          const DiffOptions& options = {});

// One JSON value as the YAML text diffObjects compares (no fields dropped), ending in a newline.
boost::system::result<std::string, std::string> objectAsYaml(std::string_view json);

}  // namespace kubegate::approvals
