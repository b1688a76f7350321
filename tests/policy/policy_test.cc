// The policy engine decides as docs/policy.md promises: what each field matches, deny over review
// over allow, fail-closed when the body cannot be read, and the rule id and digest on every decision.
#include "policy/policy.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "k8s/request_info.h"

namespace kubegate::policy {
namespace {

PolicyPtr compileOrDie(const std::string& yaml) {
  auto result = compilePolicy(yaml, "test.yaml");
  for (const auto& e : result.errors) ADD_FAILURE() << formatDiagnostic("test.yaml", e);
  return result.policy;
}

std::string firstError(const std::string& yaml) {
  auto result = compilePolicy(yaml, "test.yaml");
  return result.errors.empty() ? "" : formatDiagnostic("test.yaml", result.errors.front());
}

// One request as the gateway would present it to the engine.
struct Request {
  identity::Identity who;
  k8s::RequestInfo info;
  std::string cluster = "demo";
  std::optional<boost::json::value> object;
  std::string objectError;
  bool metadataOnly = false;

  Request(std::string method, std::string path, std::vector<std::string> groups = {"agents"}) {
    who.username = "agent-1";
    who.groups = std::move(groups);
    who.issuer = "https://idp.example";
    const auto q = path.find('?');
    k8s::QueryParams query;
    if (q != std::string::npos) {
      const auto eq = path.find('=', q);
      query.emplace_back(path.substr(q + 1, eq - q - 1), path.substr(eq + 1));
      path.resize(q);
    }
    auto classified = k8s::classify(method, path, query);
    if (!classified) ADD_FAILURE() << method << " " << path << ": " << classified.error().message;
    if (classified) info = std::move(*classified);
  }
  Request& with(const std::string& json) {
    object = boost::json::parse(json);
    return *this;
  }
  Decision decideOn(const Policy& p) const {
    return p.decide(RequestFacts{who, cluster, info, object ? &*object : nullptr, objectError, metadataOnly});
  }
};

const char* kLayered = R"(
rules:
  - id: allow-reads
    effect: allow
    match: {verbs: [get, list, watch], resources: ["*"]}
  - id: review-secrets
    effect: review
    message: secrets need a second pair of eyes
    match: {resources: [secrets]}
    review: {approverGroups: [sre], approvals: 2, mode: retry, ttl: 10m}
  - id: deny-kube-system-secrets
    effect: deny
    message: not kube-system's secrets
    match: {resources: [secrets], namespaces: [kube-system]}
  - id: allow-secrets-too
    effect: allow
    match: {resources: [secrets]}
    maskingProfile: strict
)";

TEST(PolicyDecide, DenyBeatsReviewBeatsAllowWhateverTheirOrder) {
  auto p = compileOrDie(kLayered);
  auto d = Request("GET", "/api/v1/namespaces/kube-system/secrets/x").decideOn(*p);
  EXPECT_EQ(d.effect, Effect::deny);
  EXPECT_EQ(d.ruleId, "deny-kube-system-secrets");
  EXPECT_EQ(d.message, "not kube-system's secrets");

  d = Request("GET", "/api/v1/namespaces/dev/secrets/x").decideOn(*p);
  EXPECT_EQ(d.effect, Effect::review);
  EXPECT_EQ(d.ruleId, "review-secrets");
  ASSERT_NE(d.review, nullptr);
  EXPECT_EQ(d.review->approverGroups, std::vector<std::string>{"sre"});
  EXPECT_EQ(d.review->approvals, 2);
  EXPECT_FALSE(d.review->hold);
  EXPECT_EQ(d.review->ttlSeconds, 600);

  d = Request("GET", "/api/v1/namespaces/dev/pods/x").decideOn(*p);
  EXPECT_EQ(d.effect, Effect::allow);
  EXPECT_EQ(d.ruleId, "allow-reads");
  EXPECT_EQ(d.maskingProfile, "");
}

TEST(PolicyDecide, NothingMatchedIsDeniedAndSaysSo) {
  auto p = compileOrDie(kLayered);
  const auto d = Request("DELETE", "/api/v1/namespaces/dev/pods/x").decideOn(*p);
  EXPECT_EQ(d.effect, Effect::deny);
  EXPECT_EQ(d.ruleId, kRuleDefaultDeny);
  EXPECT_NE(d.message.find("no policy rule allows"), std::string_view::npos);
  EXPECT_NE(refusalMessage(d).find(kRuleDefaultDeny), std::string::npos);
}

TEST(PolicyDecide, EveryDecisionCarriesTheDigestOfTheSourceBytes) {
  auto a = compileOrDie(kLayered);
  auto b = compileOrDie(std::string(kLayered) + "# a comment changes the bytes\n");
  EXPECT_EQ(a->digest().rfind("sha256:", 0), 0u);
  EXPECT_EQ(a->digest().size(), 7u + 64u);
  EXPECT_NE(a->digest(), b->digest());
  EXPECT_EQ(Request("GET", "/api/v1/pods").decideOn(*a).policyDigest, a->digest());
  EXPECT_EQ(Request("GET", "/metrics").decideOn(*a).policyDigest, a->digest());
}

TEST(PolicyDecide, SubjectsPurposesAndClustersMatchByGlob) {
  auto p = compileOrDie(R"(
rules:
  - id: ci-on-staging
    effect: allow
    match:
      subjects: {users: ["ci-*"], groups: [builders], issuers: ["https://idp.example"]}
      purposes: ["deploy:*"]
      clusters: ["staging-*"]
)");
  Request r("GET", "/api/v1/pods", {"builders"});
  r.who.username = "ci-42";
  r.who.purpose = "deploy:web";
  r.cluster = "staging-eu";
  EXPECT_EQ(r.decideOn(*p).effect, Effect::allow);
  auto other = r;
  other.who.purpose = "debug";
  EXPECT_EQ(other.decideOn(*p).effect, Effect::deny);
  other = r;
  other.cluster = "prod-eu";
  EXPECT_EQ(other.decideOn(*p).effect, Effect::deny);
  other = r;
  other.who.groups = {"readers"};
  EXPECT_EQ(other.decideOn(*p).effect, Effect::deny);
  other = r;
  other.who.issuer = "https://evil.example";
  EXPECT_EQ(other.decideOn(*p).effect, Effect::deny);
}

TEST(PolicyDecide, ResourcesMatchAsRbacReadsThem) {
  auto p = compileOrDie(R"(
rules:
  - {id: pods-only, effect: allow, match: {resources: [pods]}}
  - {id: any-scale, effect: allow, match: {resources: ["*/scale"]}}
  - {id: deploy-subs, effect: allow, match: {resources: ["deployments/*"]}}
)");
  EXPECT_EQ(Request("GET", "/api/v1/namespaces/d/pods/x").decideOn(*p).ruleId, "pods-only");
  EXPECT_EQ(Request("POST", "/api/v1/namespaces/d/pods/x/exec").decideOn(*p).ruleId, kRuleDefaultDeny);
  EXPECT_EQ(Request("PATCH", "/apis/apps/v1/namespaces/d/statefulsets/x/scale").decideOn(*p).ruleId, "any-scale");
  EXPECT_EQ(Request("GET", "/apis/apps/v1/namespaces/d/deployments/x/status").decideOn(*p).ruleId, "deploy-subs");
  EXPECT_EQ(Request("GET", "/apis/apps/v1/namespaces/d/deployments/x").decideOn(*p).ruleId, kRuleDefaultDeny);
}

TEST(PolicyDecide, ExecIsACreateWhateverTheMethod) {
  auto p = compileOrDie(R"(
rules:
  - {id: reads, effect: allow, match: {verbs: [get, list, watch], resources: ["*"]}}
)");
  // A WebSocket exec arrives as GET; a read-only rule must not let it through.
  EXPECT_EQ(Request("GET", "/api/v1/namespaces/d/pods/x/exec?command=sh").decideOn(*p).effect, Effect::deny);
  EXPECT_EQ(Request("GET", "/api/v1/namespaces/d/pods/x/log").decideOn(*p).effect, Effect::allow);
}

TEST(PolicyDecide, AnUnknownVerbIsDeniedBeforeAnyRule) {
  auto p = compileOrDie("rules: [{id: all, effect: allow}]\n");
  Request r("GET", "/api/v1/pods");
  r.info.effectiveVerb = "";
  EXPECT_EQ(r.decideOn(*p).ruleId, kRuleUnknownVerb);
  r.info.effectiveVerb = "escalate";
  EXPECT_EQ(r.decideOn(*p).ruleId, kRuleUnknownVerb);
}

TEST(PolicyDecide, NonResourceUrlsDefaultToReadOnlyDiscovery) {
  auto p = compileOrDie(R"(
rules:
  - {id: no-version, effect: deny, message: hidden, match: {nonResourceURLs: [/version]}}
  - {id: metrics, effect: allow, match: {subjects: {groups: [monitoring]}, nonResourceURLs: [/metrics]}}
)");
  for (const char* path : {"/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/openapi/v2", "/openapi/v3",
                           "/openapi/v3/apis/apps/v1", "/healthz", "/livez", "/readyz"}) {
    EXPECT_EQ(Request("GET", path).decideOn(*p).ruleId, kRuleNonResourceRead) << path;
  }
  EXPECT_EQ(Request("POST", "/apis").decideOn(*p).effect, Effect::deny);
  EXPECT_EQ(Request("GET", "/version").decideOn(*p).ruleId, "no-version");
  EXPECT_EQ(Request("GET", "/metrics").decideOn(*p).ruleId, kRuleDefaultDeny);
  EXPECT_EQ(Request("GET", "/metrics", {"monitoring"}).decideOn(*p).ruleId, "metrics");
  EXPECT_EQ(Request("GET", "/debug/pprof/profile").decideOn(*p).ruleId, kRuleDefaultDeny);
  EXPECT_EQ(Request("GET", "/logs/kube-apiserver.log").decideOn(*p).ruleId, kRuleDefaultDeny);
}

const char* kPrivileged = R"(
rules:
  - id: deny-privileged
    effect: deny
    message: no privileged pods
    match: {verbs: [create, update, patch], resources: [pods]}
    when: {path: "spec.containers[*].securityContext.privileged", equals: true}
  - {id: allow-pods, effect: allow, match: {resources: [pods]}}
)";

TEST(PolicyConditions, AWildcardPathHoldsWhenAnyElementMatches) {
  auto p = compileOrDie(kPrivileged);
  Request r("POST", "/api/v1/namespaces/d/pods");
  r.with(R"({"metadata":{"name":"x"},"spec":{"containers":[{"name":"a"},{"name":"b","securityContext":{"privileged":true}}]}})");
  EXPECT_EQ(r.decideOn(*p).ruleId, "deny-privileged");
  r.with(R"({"metadata":{"name":"x"},"spec":{"containers":[{"name":"a","securityContext":{"privileged":false}}]}})");
  EXPECT_EQ(r.decideOn(*p).ruleId, "allow-pods");
  // "true" the string is not true the boolean: the API server would reject it, not run it privileged.
  r.with(R"({"spec":{"containers":[{"securityContext":{"privileged":"true"}}]}})");
  EXPECT_EQ(r.decideOn(*p).ruleId, "allow-pods");
}

TEST(PolicyConditions, OperatorsAndTheirNegations) {
  auto p = compileOrDie(R"(
rules:
  - id: hit
    effect: allow
    when:
      all:
        - {path: metadata.name, matches: "web-*"}
        - {path: "metadata.labels[\"app.kubernetes.io/tier\"]", in: [frontend, edge]}
        - {path: spec.replicas, notIn: [0]}
        - {path: spec.nodeName, exists: false}
        - any:
            - {path: "spec.template.spec.containers[0].image", notMatches: "*:latest"}
            - {path: metadata.annotations.pinned, equals: "yes"}
)");
  const std::string good =
      R"({"metadata":{"name":"web-1","labels":{"app.kubernetes.io/tier":"edge"}},"spec":{"replicas":3,)"
      R"("template":{"spec":{"containers":[{"image":"nginx:1.27"}]}}}})";
  Request r("POST", "/apis/apps/v1/namespaces/d/deployments");
  EXPECT_EQ(r.with(good).decideOn(*p).effect, Effect::allow);
  auto variant = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return r.with(s).decideOn(*p).effect;
  };
  EXPECT_EQ(variant("web-1", "api-1"), Effect::deny);
  EXPECT_EQ(variant("\"edge\"", "\"backend\""), Effect::deny);
  EXPECT_EQ(variant("\"replicas\":3", "\"replicas\":0"), Effect::deny);
  EXPECT_EQ(variant("\"replicas\":3", "\"replicas\":3,\"nodeName\":\"cp-1\""), Effect::deny);
  EXPECT_EQ(variant("nginx:1.27", "nginx:latest"), Effect::deny);
}

TEST(PolicyConditions, ObjectLabelsUseKubernetesSelectorSemantics) {
  auto p = compileOrDie(R"(
rules:
  - id: protected
    effect: deny
    message: protected objects are hands-off
    match:
      objectLabels:
        matchLabels: {protected: "true"}
        matchExpressions: [{key: tier, operator: NotIn, values: [scratch]}]
  - {id: rest, effect: allow}
)");
  Request r("PUT", "/api/v1/namespaces/d/configmaps/c");
  EXPECT_EQ(r.with(R"({"metadata":{"labels":{"protected":"true"}}})").decideOn(*p).ruleId, "protected");
  EXPECT_EQ(r.with(R"({"metadata":{"labels":{"protected":"true","tier":"scratch"}}})").decideOn(*p).ruleId, "rest");
  EXPECT_EQ(r.with(R"({"metadata":{"labels":{"protected":"false"}}})").decideOn(*p).ruleId, "rest");
  // Labels are metadata: a metadata-only decode is enough to decide.
  r.metadataOnly = true;
  EXPECT_EQ(r.with(R"({"metadata":{"labels":{"protected":"true"}}})").decideOn(*p).ruleId, "protected");
}

TEST(PolicyFailClosed, AnUndecodableBodyDeniesWhateverTheRulesEffect) {
  auto p = compileOrDie(R"(
rules:
  - id: allow-small
    effect: allow
    match: {resources: [configmaps]}
    when: {path: data.big, exists: false}
)");
  Request r("POST", "/api/v1/namespaces/d/configmaps");
  r.objectError = "unknown protobuf kind";
  const auto d = r.decideOn(*p);
  EXPECT_EQ(d.effect, Effect::deny);
  EXPECT_EQ(d.ruleId, "allow-small");
  EXPECT_NE(d.message.find("could not decode"), std::string_view::npos);
}

TEST(PolicyFailClosed, AMetadataOnlyObjectCannotSatisfyAFieldCondition) {
  auto p = compileOrDie(kPrivileged);
  Request r("POST", "/api/v1/namespaces/d/pods");
  r.with(R"({"metadata":{"name":"x"}})");
  r.metadataOnly = true;
  const auto d = r.decideOn(*p);
  EXPECT_EQ(d.effect, Effect::deny);
  EXPECT_EQ(d.ruleId, "deny-privileged");
  EXPECT_NE(d.message.find("beyond the object's metadata"), std::string_view::npos);
}

TEST(PolicyFailClosed, WhatCannotBeCheckedWidensDenyAndNarrowsAllow) {
  auto p = compileOrDie(R"(
rules:
  - id: keep-aws-auth
    effect: deny
    message: hands off aws-auth
    match: {resources: [configmaps], namespaces: [kube-system], names: [aws-auth], verbs: [update, patch, delete, deletecollection]}
  - id: only-team-secrets
    effect: allow
    match: {resources: [secrets], names: ["team-*"], namespaces: [dev]}
  - id: deny-labelled
    effect: deny
    message: labelled objects stay
    match: {resources: [services], verbs: [delete]}
    when: {path: metadata.labels.keep, exists: true}
  - {id: rest-of-services, effect: allow, match: {resources: [services]}}
)");
  // A collection delete could remove aws-auth: the name it cannot check counts as a match.
  EXPECT_EQ(Request("DELETE", "/api/v1/namespaces/kube-system/configmaps").decideOn(*p).ruleId, "keep-aws-auth");
  // A list names no secret, so a rule allowing only some names does not allow it.
  EXPECT_EQ(Request("GET", "/api/v1/namespaces/dev/secrets").decideOn(*p).effect, Effect::deny);
  EXPECT_EQ(Request("GET", "/api/v1/namespaces/dev/secrets/team-a").decideOn(*p).effect, Effect::allow);
  // Nor does a list across every namespace match `namespaces: [dev]` for an allow rule.
  EXPECT_EQ(Request("GET", "/api/v1/secrets?fieldSelector=metadata.name%3Dteam-a").decideOn(*p).effect, Effect::deny);
  // A delete carries no object: the label condition cannot be checked, so the deny rule applies.
  EXPECT_EQ(Request("DELETE", "/api/v1/namespaces/d/services/web").decideOn(*p).ruleId, "deny-labelled");
  EXPECT_EQ(Request("GET", "/api/v1/namespaces/d/services/web").decideOn(*p).ruleId, "rest-of-services");
}

TEST(PolicyDecide, ACreateIsNamedByItsObject) {
  auto p = compileOrDie(R"(
rules:
  - {id: no-aws-auth, effect: deny, message: no, match: {resources: [configmaps], names: [aws-auth]}}
  - {id: rest, effect: allow}
)");
  Request r("POST", "/api/v1/namespaces/kube-system/configmaps");
  EXPECT_EQ(r.with(R"({"metadata":{"name":"aws-auth"}})").decideOn(*p).ruleId, "no-aws-auth");
  EXPECT_EQ(r.with(R"({"metadata":{"name":"other"}})").decideOn(*p).ruleId, "rest");
}

TEST(PolicyDecide, WithoutAPolicyEverythingIsRefused) {
  auto p = Policy::refuseAll("no policy configured");
  const auto d = Request("GET", "/api").decideOn(*p);
  EXPECT_EQ(d.effect, Effect::deny);
  EXPECT_EQ(d.ruleId, kRuleNoPolicy);
  EXPECT_EQ(d.message, "no policy configured");
}

TEST(PolicyCompile, NamesTheLineAndFieldOfEveryMistake) {
  EXPECT_EQ(firstError("rules:\n  - id: a\n    effect: allow\n    match: {verbz: [get]}\n"),
            "test.yaml:4: rules[0] (a).match.verbz: unknown field");
  EXPECT_EQ(firstError("rules:\n  - id: a\n    effect: permit\n"), "test.yaml:3: rules[0] (a).effect: must be allow, deny or review");
  EXPECT_NE(firstError("rules:\n  - {id: a, effect: allow, match: {names: [\"x[0]\"]}}\n").find("only * and ? are wildcards"),
            std::string::npos);
  EXPECT_NE(firstError("rules:\n  - {id: a, effect: allow, when: {path: \"spec..x\", exists: true}}\n").find("empty field name"),
            std::string::npos);
  EXPECT_NE(firstError("rules:\n  - {id: a, effect: deny}\n").find("message: is required"), std::string::npos);
  EXPECT_NE(firstError("rules:\n  - {id: a, effect: review, message: m}\n").find("review: is required"), std::string::npos);
  EXPECT_NE(firstError("rules:\n  - {id: a, effect: allow, match: {verbs: [get, escalate]}}\n").find("unknown verb"),
            std::string::npos);
  EXPECT_NE(firstError("rules:\n  - {id: a, effect: allow, match: {verbs: []}}\n").find("empty list"), std::string::npos);
  EXPECT_NE(firstError("rules:\n  - {id: a, effect: allow}\n  - {id: a, effect: allow}\n").find("duplicate rule id"),
            std::string::npos);
  EXPECT_NE(firstError("rules:\n  - {id: a, effect: allow, match: {resources: [pods], nonResourceURLs: [/x]}}\n")
                .find("cannot be combined"),
            std::string::npos);
}

TEST(PolicyCompile, ReportsEveryBadRuleNotJustTheFirst) {
  auto result = compilePolicy("rules:\n  - {id: a, effect: nope}\n  - {id: b, effect: allow, match: {x: 1}}\n", "t");
  EXPECT_EQ(result.policy, nullptr);
  EXPECT_EQ(result.errors.size(), 2u);
}

TEST(PolicyLint, FindsRulesThatCanNeverDecide) {
  auto p = compileOrDie(R"(
rules:
  - {id: reads, effect: allow, match: {verbs: [get, list]}}
  - {id: pod-reads, effect: allow, match: {verbs: [get], resources: [pods]}}
  - {id: no-secrets, effect: deny, message: no, match: {resources: [secrets]}}
  - {id: secret-gets, effect: review, match: {verbs: [get], resources: [secrets]}, review: {approverGroups: [sre]}}
  - {id: labelled, effect: allow, match: {verbs: [create], resources: [pods]}, when: {path: metadata.name, exists: true}}
  - {id: creates, effect: allow, match: {verbs: [create], resources: [pods]}}
)");
  const auto findings = p->lint();
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].where, "rule pod-reads");
  EXPECT_NE(findings[0].message.find("shadowed by rule reads"), std::string::npos);
  EXPECT_EQ(findings[1].where, "rule secret-gets");
  EXPECT_NE(findings[1].message.find("no-secrets"), std::string::npos);
}

TEST(Glob, MatchesStarsAndQuestionMarks) {
  std::string why;
  auto g = Glob::parse("prod-*-e?", why);
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->matches("prod-web-eu"));
  EXPECT_TRUE(g->matches("prod--eu"));
  EXPECT_FALSE(g->matches("prod-web-eur"));
  EXPECT_FALSE(g->matches("staging-web-eu"));
  auto star = Glob::parse("*", why);
  EXPECT_TRUE(star->matches(""));
  EXPECT_TRUE(star->matches("/a/b"));
  EXPECT_TRUE(star->covers(*g));
  EXPECT_FALSE(g->covers(*star));
}

}  // namespace
}  // namespace kubegate::policy
