#include "approvals/object_diff.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace kubegate::approvals {
namespace {

namespace json = boost::json;

json::object deployment() {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "uid": "6f1c", "resourceVersion": "100", "generation": 4,
                 "creationTimestamp": "2024-05-01T12:00:00Z", "labels": {"app": "web"},
                 "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx:1.25", "args": ["--port=80"]}]}}},
    "status": {"replicas": 1, "readyReplicas": 1}})")
      .as_object();
}

std::string text(const json::value& v) { return json::serialize(v); }

ObjectDiff diffOf(const json::value& current, const json::value& proposed, const DiffOptions& options = {}) {
  auto diff = diffObjects(text(current), text(proposed), options);
  EXPECT_TRUE(diff.has_value()) << diff.error();
  return diff.has_value() ? *diff : ObjectDiff{};
}

std::string yamlOf(std::string_view jsonText) {
  auto yaml = objectAsYaml(jsonText);
  EXPECT_TRUE(yaml.has_value()) << yaml.error();
  return yaml.has_value() ? *yaml : std::string();
}

// A dry run of a scale also bumps resourceVersion and generation: the reviewer sees the one line.
TEST(ObjectDiff, ScaleShowsTheReplicasLineWithThreeLinesOfContext) {
  json::object after = deployment();
  after["spec"].as_object()["replicas"] = 3;
  after["metadata"].as_object()["resourceVersion"] = "101";
  after["metadata"].as_object()["generation"] = 5;
  after["status"].as_object()["replicas"] = 3;

  const ObjectDiff diff = diffOf(deployment(), after);
  EXPECT_EQ(diff.text,
            "--- current\n"
            "+++ after dry run\n"
            "@@ -8,7 +8,7 @@\n"
            "   namespace: shop\n"
            "   uid: 6f1c\n"
            " spec:\n"
            "-  replicas: 1\n"
            "+  replicas: 3\n"
            "   selector:\n"
            "     matchLabels:\n"
            "       app: web\n");
  EXPECT_EQ(diff.added, 1u);
  EXPECT_EQ(diff.removed, 1u);
  EXPECT_FALSE(diff.truncated);
}

TEST(ObjectDiff, LabelsForTheTwoSidesAndTheContextAreTheCallers) {
  json::object after = deployment();
  after["spec"].as_object()["replicas"] = 3;
  DiffOptions options;
  options.contextLines = 0;
  options.currentLabel = "shop/web (live)";
  options.proposedLabel = "shop/web (patched)";
  EXPECT_EQ(diffOf(deployment(), after, options).text,
            "--- shop/web (live)\n+++ shop/web (patched)\n@@ -11 +11 @@\n-  replicas: 1\n+  replicas: 3\n");
}

TEST(ObjectDiff, AddedLabelIsOneAddedLineInItsPlace) {
  json::object after = deployment();
  after["metadata"].as_object()["labels"].as_object()["tier"] = "front";
  const ObjectDiff diff = diffOf(deployment(), after);
  EXPECT_NE(diff.text.find("@@ -4,6 +4,7 @@\n"
                           "   creationTimestamp: \"2024-05-01T12:00:00Z\"\n"
                           "   labels:\n"
                           "     app: web\n"
                           "+    tier: front\n"
                           "   name: web\n"),
            std::string::npos)
      << diff.text;
  EXPECT_EQ(diff.added, 1u);
  EXPECT_EQ(diff.removed, 0u);
}

TEST(ObjectDiff, ChangesFarApartAreSeparateHunksAndNearOnesShareOne) {
  json::object after = deployment();
  after["metadata"].as_object()["labels"].as_object()["tier"] = "front";
  after["spec"].as_object()["template"].as_object()["spec"].as_object()["containers"].as_array()[0].as_object()["image"] =
      "nginx:1.26";
  const ObjectDiff far = diffOf(deployment(), after);
  EXPECT_NE(far.text.find("@@ -4,6 +4,7 @@\n"), std::string::npos) << far.text;
  EXPECT_NE(far.text.find("@@ -20,5 +21,5 @@\n"), std::string::npos) << far.text;

  json::object near = deployment();
  near["metadata"].as_object()["namespace"] = "shop-2";
  near["spec"].as_object()["replicas"] = 2;
  const ObjectDiff one = diffOf(deployment(), near);
  EXPECT_TRUE(one.text.starts_with("--- current\n+++ after dry run\n@@ -5,10 +5,10 @@\n")) << one.text;
  EXPECT_EQ(one.text.find("\n@@", 40), std::string::npos) << one.text;
}

// A dry-run create invents a uid and a creationTimestamp the real create will not have.
TEST(ObjectDiff, CreateShowsEveryLineAddedWithoutInventedIdentity) {
  json::object created = deployment();
  created.erase("status");
  const auto diff = diffObjects("", text(created));
  ASSERT_TRUE(diff.has_value()) << diff.error();
  EXPECT_TRUE(diff->text.starts_with("--- current\n+++ after dry run\n@@ -0,0 +1,22 @@\n+apiVersion: apps/v1\n"))
      << diff->text;
  EXPECT_EQ(diff->added, 22u);
  EXPECT_EQ(diff->removed, 0u);
  EXPECT_EQ(diff->text.find("uid"), std::string::npos);
  EXPECT_EQ(diff->text.find("creationTimestamp"), std::string::npos);
  EXPECT_EQ(diff->text.find("resourceVersion"), std::string::npos);
}

TEST(ObjectDiff, DeleteShowsEveryLineRemoved) {
  const auto diff = diffObjects(text(deployment()), "");
  ASSERT_TRUE(diff.has_value()) << diff.error();
  EXPECT_TRUE(diff->text.starts_with("--- current\n+++ after dry run\n@@ -1,22 +0,0 @@\n-apiVersion: apps/v1\n"))
      << diff->text;
  EXPECT_EQ(diff->removed, 22u);
  EXPECT_EQ(diff->added, 0u);
  EXPECT_NE(diff->text.find("-        - --port=80\n"), std::string::npos);
}

TEST(ObjectDiff, WriteNoiseAloneIsNoDiff) {
  json::object after = deployment();
  auto& metadata = after["metadata"].as_object();
  metadata["resourceVersion"] = "205";
  metadata["generation"] = 9;
  metadata["managedFields"] = json::array{json::object{{"manager", "kube-controller-manager"}}};
  after["status"].as_object()["readyReplicas"] = 0;
  const ObjectDiff diff = diffOf(deployment(), after);
  EXPECT_EQ(diff.text, "");
  EXPECT_EQ(diff.added, 0u);
  EXPECT_EQ(diff.removed, 0u);
  EXPECT_EQ(diffOf(deployment(), deployment()).text, "");
}

TEST(ObjectDiff, StatusIsShownWhenAsked) {
  json::object after = deployment();
  after["status"].as_object()["readyReplicas"] = 0;
  DiffOptions options;
  options.includeStatus = true;
  const ObjectDiff diff = diffOf(deployment(), after, options);
  EXPECT_NE(diff.text.find("-  readyReplicas: 1\n+  readyReplicas: 0\n"), std::string::npos) << diff.text;
}

// Both sides carry a uid: a different one means a different object, which a reviewer must see.
TEST(ObjectDiff, DifferentUidOnBothSidesIsShown) {
  json::object after = deployment();
  after["metadata"].as_object()["uid"] = "9a2e";
  const ObjectDiff diff = diffOf(deployment(), after);
  EXPECT_NE(diff.text.find("-  uid: 6f1c\n+  uid: 9a2e\n"), std::string::npos) << diff.text;
}

TEST(ObjectDiff, KeyOrderInTheInputDoesNotMatter) {
  const auto diff = diffObjects(R"({"kind":"ConfigMap","data":{"b":"2","a":"1"},"apiVersion":"v1"})",
                                R"({"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap"})");
  ASSERT_TRUE(diff.has_value()) << diff.error();
  EXPECT_EQ(diff->text, "");
  EXPECT_EQ(yamlOf(R"({"kind":"ConfigMap","data":{"b":"x","a":"z"},"apiVersion":"v1"})"),
            "apiVersion: v1\ndata:\n  a: z\n  b: x\nkind: ConfigMap\n");
}

// The expected renderings were checked to read back as the same strings with PyYAML (YAML 1.1).
TEST(ObjectDiff, StringsAreQuotedExactlyWhenYamlWouldMisreadThem) {
  const std::pair<const char*, const char*> cases[] = {
      {"yes", "\"yes\""},       {"Off", "\"Off\""},           {"y", "\"y\""},
      {"null", "\"null\""},     {"~", "\"~\""},               {"", "\"\""},
      {"1.0", "\"1.0\""},       {"1", "\"1\""},               {"0x1F", "\"0x1F\""},
      {"1e3", "\"1e3\""},       {"1:20", "\"1:20\""},         {".inf", "\".inf\""},
      {"2024-05-01", "\"2024-05-01\""}, {" lead", "\" lead\""}, {"trail ", "\"trail \""},
      {"a: b", "\"a: b\""},     {"ends:", "\"ends:\""},       {"a #b", "\"a #b\""},
      {"#x", "\"#x\""},         {"*ref", "\"*ref\""},         {"- x", "\"- x\""},
      {"{a}", "\"{a}\""},       {"---", "\"---\""},           {"say \"hi\"", "say \"hi\""},
      {"'q'", "\"'q'\""},       {"\"q\"", "\"\\\"q\\\"\""},   {"<<", "\"<<\""},
      {"100m", "100m"},         {"2Gi", "2Gi"},               {"10.96.0.1", "10.96.0.1"},
      {"nginx:1.25", "nginx:1.25"}, {"--port=8080", "--port=8080"}, {"a#b", "a#b"},
      {"http://x/y?a=b#c", "http://x/y?a=b#c"}, {"é日本", "é日本"},
  };
  for (const auto& [value, rendered] : cases) {
    const std::string input = text(json::object{{"k", value}});
    EXPECT_EQ(yamlOf(input), std::string("k: ") + rendered + "\n") << value;
    // The same rules hold for keys: a label key "on" must stay a string.
    const std::string asKey = text(json::object{{value, 1}});
    EXPECT_EQ(yamlOf(asKey), std::string(rendered) + ": 1\n") << value;
  }
}

TEST(ObjectDiff, NonStringScalarsAndEmptyCollections) {
  EXPECT_EQ(yamlOf(R"({"a":1,"b":-2,"c":1.5,"d":1.0,"e":true,"f":null,"g":{},"h":[],"i":1e300})"),
            "a: 1\nb: -2\nc: 1.5\nd: 1.0\ne: true\nf: null\ng: {}\nh: []\ni: 1.0e+300\n");
  EXPECT_EQ(yamlOf(R"({"s":[[1,2],{"a":1,"b":[]},[]]})"), "s:\n- - 1\n  - 2\n- a: 1\n  b: []\n- []\n");
}

TEST(ObjectDiff, MultiLineStringsAreBlockScalarsAndDiffLineByLine) {
  EXPECT_EQ(yamlOf(R"({"data":{"a":"one\ntwo\n","b":"one\ntwo","c":"one\n\n","d":"  indented\nnext\n"}})"),
            "data:\n"
            "  a: |\n    one\n    two\n"
            "  b: |-\n    one\n    two\n"
            "  c: |+\n    one\n\n"
            "  d: |2\n      indented\n    next\n");

  const auto diff = diffObjects(R"({"data":{"run.sh":"#!/bin/sh\nset -e\necho start\nexec server --port 80\n"}})",
                                R"({"data":{"run.sh":"#!/bin/sh\nset -e\necho start\nexec server --port 81\n"}})");
  ASSERT_TRUE(diff.has_value()) << diff.error();
  EXPECT_EQ(diff->text,
            "--- current\n+++ after dry run\n@@ -3,4 +3,4 @@\n"
            "     #!/bin/sh\n     set -e\n     echo start\n"
            "-    exec server --port 80\n+    exec server --port 81\n");
}

TEST(ObjectDiff, ControlAndBidiCharactersNeverReachTheReviewerRaw) {
  const std::string before = text(json::object{{"data", json::object{{"motd", "hello"}}}});
  const std::string after = text(json::object{
      {"data", json::object{{"motd", "\x1b]0;owned\x07hello\rgood\u202Edab"},
                            {"script", "line one\n\x1b[2Kline two\n"},
                            {"key\u2067x", "v"}}}});
  DiffOptions options;
  options.proposedLabel = "after\n+++ forged";
  const auto diff = diffObjects(before, after, options);
  ASSERT_TRUE(diff.has_value()) << diff.error();
  for (char c : diff->text) EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << int(c);
  EXPECT_EQ(diff->text.find("\u202E"), std::string::npos);
  EXPECT_EQ(diff->text.find("\u2067"), std::string::npos);
  EXPECT_NE(diff->text.find("+  motd: \"\\e]0;owned\\ahello\\rgood\\u202Edab\"\n"), std::string::npos) << diff->text;
  EXPECT_NE(diff->text.find("+  script: \"line one\\n\\e[2Kline two\\n\"\n"), std::string::npos) << diff->text;
  EXPECT_NE(diff->text.find("+  \"key\\u2067x\": v\n"), std::string::npos) << diff->text;
  EXPECT_NE(diff->text.find("+++ \"after\\n+++ forged\"\n"), std::string::npos) << diff->text;
}

TEST(ObjectDiff, LongDiffIsCutOnALineBoundaryWithANote) {
  json::object before, after;
  for (int i = 0; i < 200; ++i) {
    before["key-" + std::to_string(1000 + i)] = "value " + std::to_string(i);
    after["key-" + std::to_string(1000 + i)] = "changed " + std::to_string(i);
  }
  DiffOptions unlimited;
  unlimited.maxBytes = 1 << 20;
  const ObjectDiff whole = diffOf(before, after, unlimited);
  ASSERT_FALSE(whole.truncated);

  DiffOptions options;
  options.maxBytes = 1000;
  const ObjectDiff cut = diffOf(before, after, options);
  EXPECT_TRUE(cut.truncated);
  EXPECT_LE(cut.text.size(), 1000u);
  EXPECT_GT(cut.text.size(), 900u);
  const std::size_t noteStart = cut.text.rfind('\n', cut.text.size() - 2) + 1;
  const std::string shown = cut.text.substr(0, noteStart);
  EXPECT_EQ(whole.text.substr(0, shown.size()), shown);
  const std::size_t linesShown = std::count(shown.begin(), shown.end(), '\n');
  const std::size_t linesInAll = std::count(whole.text.begin(), whole.text.end(), '\n');
  EXPECT_EQ(cut.text.substr(noteStart), "\\ diff cut at 1000 bytes: " + std::to_string(linesInAll - linesShown) +
                                            " more lines not shown\n");
  EXPECT_EQ(cut.added, 200u);
  EXPECT_EQ(cut.removed, 200u);
}

TEST(ObjectDiff, InvalidOrTooDeepJsonIsAnErrorNamingTheSide) {
  const auto badCurrent = diffObjects("{\"kind\": ", "{}");
  ASSERT_FALSE(badCurrent.has_value());
  EXPECT_TRUE(badCurrent.error().starts_with("current object is not valid JSON")) << badCurrent.error();
  const auto badProposed = diffObjects("{}", "{\"a\":1}}");
  ASSERT_FALSE(badProposed.has_value());
  EXPECT_TRUE(badProposed.error().starts_with("proposed object is not valid JSON")) << badProposed.error();

  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(diffObjects(nested(100), "").has_value());
  const auto tooDeep = diffObjects("", nested(101));
  ASSERT_FALSE(tooDeep.has_value());
  EXPECT_EQ(tooDeep.error(), "proposed object is nested deeper than 100 levels");
}

TEST(ObjectDiff, HugeObjectsAreShownAsAWholeReplacement) {
  json::object before, after;
  for (int i = 0; i < 50; ++i) {
    before["k" + std::to_string(i)] = i;
    after["k" + std::to_string(i)] = i == 25 ? 0 : i;
  }
  DiffOptions options;
  options.maxLinesForLineDiff = 60;
  const ObjectDiff diff = diffOf(before, after, options);
  EXPECT_TRUE(diff.text.starts_with("--- current\n+++ after dry run\n@@ -1,50 +1,50 @@\n-k0: 0\n")) << diff.text;
  EXPECT_NE(diff.text.find("-k9: 9\n+k0: 0\n"), std::string::npos) << diff.text;
  EXPECT_EQ(diff.removed, 50u);
  EXPECT_EQ(diff.added, 50u);
}

TEST(ObjectDiff, NeitherSideIsNothingToShow) {
  const auto diff = diffObjects("", " \n");
  ASSERT_TRUE(diff.has_value()) << diff.error();
  EXPECT_EQ(diff->text, "");
}

}  // namespace
}  // namespace kubegate::approvals
