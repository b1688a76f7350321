// `kubegate policy test POLICY CASES` and `kubegate policy check POLICY` (docs/policy.md).
// test evaluates YAML cases offline through the same classifier and engine the gateway uses and
// prints a diff for each case whose decision differs from its expectation, like `opa test`;
// check compiles the policy and reports unknown fields, bad globs or paths, and shadowed rules.
#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace kubegate::cli {

struct PolicyCommandOptions {
  std::string policyFile;
  std::string casesFile;
};

struct PolicyCommands {
  CLI::App* test = nullptr;
  CLI::App* check = nullptr;
};

// Registers `policy test` and `policy check`; main runs the one that was given.
PolicyCommands addPolicyCommand(CLI::App& app, PolicyCommandOptions& options);

// Exit codes: 0 every case passed / no finding; 1 a case failed / a finding; 2 unreadable or
// invalid input (policy or cases).
int runPolicyTest(const std::string& policyFile, const std::string& casesFile, std::ostream& out);
int runPolicyCheck(const std::string& policyFile, std::ostream& out);

}  // namespace kubegate::cli
