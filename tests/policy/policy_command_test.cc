// `kubegate policy test` fails, with a diff, when a case expects what the policy does not decide;
// `kubegate policy check` reports what is wrong with a policy.
#include "cli/policy_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kubegate::cli {
namespace {

class PolicyCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kubegate-policy-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

const char* kPolicy = R"(
rules:
  - {id: no-ns-delete, effect: deny, message: keep namespaces, match: {verbs: [delete], resources: [namespaces]}}
  - {id: reads, effect: allow, match: {verbs: [get, list, watch]}}
)";

TEST_F(PolicyCommandTest, PassesWhenEveryExpectationHolds) {
  const auto policy = write("p.yaml", kPolicy);
  write("pod.json", R"({"kind":"Pod","metadata":{"name":"x"}})");
  const auto cases = write("c.yaml", R"(
cases:
  - name: delete ns
    identity: {user: a, groups: [agents]}
    request: {method: DELETE, path: /clusters/demo/api/v1/namespaces/prod}
    expect: {effect: deny, rule: no-ns-delete, message: keep namespaces}
  - name: create pod with a body file
    identity: {user: a}
    request: {method: POST, path: /api/v1/namespaces/d/pods}
    objectFile: pod.json
    expect: {effect: deny, rule: "builtin:default-deny"}
)");
  std::ostringstream out;
  EXPECT_EQ(runPolicyTest(policy, cases, out), 0) << out.str();
  EXPECT_NE(out.str().find("PASS: 2/2"), std::string::npos);
}

TEST_F(PolicyCommandTest, AWrongExpectationFailsWithADiff) {
  const auto policy = write("p.yaml", kPolicy);
  const auto cases = write("c.yaml", R"(
cases:
  - name: passes
    request: {method: GET, path: /api/v1/pods}
    expect: {effect: allow, rule: reads}
  - name: expects the wrong thing
    request: {method: DELETE, path: /api/v1/namespaces/prod}
    expect: {effect: allow, rule: reads}
)");
  std::ostringstream out;
  EXPECT_EQ(runPolicyTest(policy, cases, out), 1);
  const auto text = out.str();
  EXPECT_NE(text.find("FAIL " + cases + ":6: expects the wrong thing"), std::string::npos) << text;
  EXPECT_NE(text.find("- expected: allow by rule reads"), std::string::npos) << text;
  EXPECT_NE(text.find("+ actual:   deny by rule no-ns-delete, message \"keep namespaces\""), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL: 1/2"), std::string::npos) << text;
  EXPECT_EQ(text.find("FAIL " + cases + ":3"), std::string::npos) << text;
}

TEST_F(PolicyCommandTest, InvalidInputIsNotAPass) {
  const auto policy = write("p.yaml", kPolicy);
  std::ostringstream out;
  EXPECT_EQ(runPolicyTest(policy, write("c.yaml", "cases:\n  - name: x\n    request: {method: GET, path: /api}\n    expect: {effect: maybe}\n"), out), 2);
  EXPECT_EQ(runPolicyTest(write("bad.yaml", "rules: [{id: a, effect: allow, typo: 1}]\n"), write("c2.yaml", "cases: []\n"), out), 2);
}

TEST_F(PolicyCommandTest, CheckReportsShadowedRulesAndUnknownFields) {
  std::ostringstream out;
  EXPECT_EQ(runPolicyCheck(write("p.yaml", kPolicy), out), 0) << out.str();
  out.str("");
  EXPECT_EQ(runPolicyCheck(write("s.yaml", "rules:\n  - {id: all, effect: allow}\n  - {id: pods, effect: allow, match: {resources: [pods]}}\n"), out), 1);
  EXPECT_NE(out.str().find(":3: rule pods: is shadowed by rule all"), std::string::npos) << out.str();
  out.str("");
  EXPECT_EQ(runPolicyCheck(write("u.yaml", "rules:\n  - {id: a, effect: allow, match: {namespace: [x]}}\n"), out), 1);
  EXPECT_NE(out.str().find("match.namespace: unknown field"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace kubegate::cli
