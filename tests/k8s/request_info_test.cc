// The gateway must classify a request exactly as kube-apiserver's NewRequestInfo does
// (shared/notes/kubernetes-wire.md §1, security.md §2.2-2.5). Expected values come from the wire
// notes' worked examples, apiserver's requestinfo_test.go and reading the apimachinery sources.
#include "k8s/request_info.h"

#include <gtest/gtest.h>

namespace kubegate::k8s {
namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hexDigit(in[i + 1]) >= 0 && hexDigit(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexDigit(in[i + 1]) * 16 + hexDigit(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// Splits "path?query" the way the hygiene layer hands it over: decoded pairs, in order. Kept local
// so these tests depend on classification only.
std::pair<std::string, QueryParams> splitTarget(std::string_view target) {
  const auto q = target.find('?');
  QueryParams query;
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const auto pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      const auto eq = pair.find('=');
      query.emplace_back(percentDecode(pair.substr(0, eq)),
                         eq == std::string_view::npos ? "" : percentDecode(pair.substr(eq + 1)));
    }
  }
  return {std::string(target.substr(0, q)), std::move(query)};
}

boost::system::result<RequestInfo, GatewayError> classifyTarget(std::string_view method, std::string_view target) {
  auto [path, query] = splitTarget(target);
  return classify(method, path, query);
}

RequestInfo mustClassify(std::string_view method, std::string_view target) {
  auto r = classifyTarget(method, target);
  EXPECT_TRUE(r) << method << " " << target << ": " << (r ? "" : r.error().message);
  return r ? *r : RequestInfo{};
}

struct Row {
  const char* method;
  const char* target;
  bool resource;
  const char* verb;
  const char* group;
  const char* ns;
  const char* res;
  const char* name;
  const char* sub;
  const char* effectiveVerb;
  bool exec;
};

// clang-format off
// method, target, isResource, verb, group, namespace, resource, name, subresource, effectiveVerb, execClass
const Row kRows[] = {
    // wire §1.2, row by row
    {"GET", "/api/v1/namespaces/default/pods?limit=500", true, "list", "", "default", "pods", "", "", "list", false},
    {"GET", "/api/v1/pods?watch=true", true, "watch", "", "", "pods", "", "", "watch", false},
    {"GET", "/api/v1/pods?watch=1", true, "watch", "", "", "pods", "", "", "watch", false},
    {"GET", "/api/v1/pods?watch=True", true, "watch", "", "", "pods", "", "", "watch", false},
    {"GET", "/api/v1/pods?watch=", true, "watch", "", "", "pods", "", "", "watch", false},
    {"GET", "/api/v1/pods?watch", true, "watch", "", "", "pods", "", "", "watch", false},
    {"GET", "/api/v1/namespaces/d/pods?fieldSelector=metadata.name%3Dx&watch=true", true, "watch", "", "d", "pods", "x", "", "watch", false},
    {"GET", "/api/v1/watch/namespaces/d/pods/x", true, "watch", "", "d", "pods", "x", "", "watch", false},
    {"GET", "/api/v1/namespaces/d/pods/x?watch=true", true, "get", "", "d", "pods", "x", "", "get", false},
    {"GET", "/apis/apps/v1/namespaces/d/deployments/x/scale", true, "get", "apps", "d", "deployments", "x", "scale", "get", false},
    {"POST", "/api/v1/namespaces/d/pods/x/eviction", true, "create", "", "d", "pods", "x", "eviction", "create", false},
    {"POST", "/api/v1/namespaces/d/pods/x/exec?command=sh", true, "create", "", "d", "pods", "x", "exec", "create", true},
    {"GET", "/api/v1/namespaces/d/pods/x/exec?command=sh&stdin=true", true, "get", "", "d", "pods", "x", "exec", "create", true},
    {"GET", "/api/v1/namespaces/d/pods/x/log?follow=true", true, "get", "", "d", "pods", "x", "log", "get", false},
    {"GET", "/api/v1/namespaces/d/pods/x:8080/proxy/metrics", true, "get", "", "d", "pods", "x:8080", "proxy", "get", true},
    {"GET", "/api/v1/proxy/namespaces/d/pods/x/a/b", true, "proxy", "", "d", "pods", "x", "", "proxy", true},
    {"GET", "/api/v1/namespaces/d", true, "get", "", "d", "namespaces", "d", "", "get", false},
    {"PUT", "/api/v1/namespaces/d/finalize", true, "update", "", "d", "namespaces", "d", "finalize", "update", false},
    {"DELETE", "/api/v1/namespaces/d/configmaps", true, "deletecollection", "", "d", "configmaps", "", "", "deletecollection", false},
    {"POST", "/api/v1/namespaces/d/serviceaccounts/sa/token", true, "create", "", "d", "serviceaccounts", "sa", "token", "create", false},
    {"GET", "/apis/apps/v1", false, "get", "", "", "", "", "", "get", false},
    {"GET", "/api", false, "get", "", "", "", "", "", "get", false},
    {"GET", "/apis", false, "get", "", "", "", "", "", "get", false},
    {"GET", "/version", false, "get", "", "", "", "", "", "get", false},
    {"GET", "/healthz", false, "get", "", "", "", "", "", "get", false},
    {"GET", "/openapi/v3/api/v1", false, "get", "", "", "", "", "", "get", false},

    // watch values: only absent, 0 and case-insensitive false are false
    {"GET", "/api/v1/pods?watch=false", true, "list", "", "", "pods", "", "", "list", false},
    {"GET", "/api/v1/pods?watch=FALSE", true, "list", "", "", "pods", "", "", "list", false},
    {"GET", "/api/v1/pods?watch=0", true, "list", "", "", "pods", "", "", "list", false},
    {"GET", "/api/v1/pods?watch=yes", true, "watch", "", "", "pods", "", "", "watch", false},
    {"GET", "/api/v1/pods?watch=false&watch=true", true, "list", "", "", "pods", "", "", "list", false},
    {"GET", "/api/v1/pods?watch=true&watch=false", true, "watch", "", "", "pods", "", "", "watch", false},
    {"HEAD", "/api/v1/pods", true, "list", "", "", "pods", "", "", "list", false},
    {"HEAD", "/api/v1/namespaces/d/secrets/s", true, "get", "", "d", "secrets", "s", "", "get", false},

    // more verbs and shapes (apiserver requestinfo_test.go)
    {"GET", "/api/v1/namespaces", true, "list", "", "", "namespaces", "", "", "list", false},
    {"PUT", "/api/v1/namespaces/d/status", true, "update", "", "d", "namespaces", "d", "status", "update", false},
    {"PATCH", "/api/v1/namespaces/d/pods/x", true, "patch", "", "d", "pods", "x", "", "patch", false},
    {"DELETE", "/api/v1/namespaces/d/pods/x", true, "delete", "", "d", "pods", "x", "", "delete", false},
    {"DELETE", "/api/v1/nodes", true, "deletecollection", "", "", "nodes", "", "", "deletecollection", false},
    {"DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x", true, "delete", "apiextensions.k8s.io", "", "customresourcedefinitions", "x", "", "delete", false},
    {"POST", "/apis/batch/v1/namespaces/d/jobs", true, "create", "batch", "d", "jobs", "", "", "create", false},
    {"GET", "/api/v1/watch/pods", true, "watch", "", "", "pods", "", "", "watch", false},
    {"GET", "/api/v1/namespaces/d/pods/x/status?watch=1", true, "get", "", "d", "pods", "x", "status", "get", false},
    // a name-less DELETE never reads the field selector: it stays a deletecollection
    {"DELETE", "/api/v1/namespaces/d/secrets?fieldSelector=metadata.name%3Dx", true, "deletecollection", "", "d", "secrets", "", "", "deletecollection", false},
    // the deprecated path verb skips ListOptions: no name promotion (TestSelectorParsing)
    {"GET", "/api/v1/watch/pods?fieldSelector=metadata.name%3Dfoo", true, "watch", "", "", "pods", "", "", "watch", false},
    // deprecated verbs come from the path whatever the method
    {"POST", "/api/v1/watch/namespaces/d/pods", true, "watch", "", "d", "pods", "", "", "watch", false},
    {"DELETE", "/api/v1/proxy/nodes/n/metrics", true, "proxy", "", "", "nodes", "n", "", "proxy", true},

    // kubegate's normalisation: exec class and effective verbs
    {"GET", "/api/v1/namespaces/d/pods/x/attach?stdout=1", true, "get", "", "d", "pods", "x", "attach", "create", true},
    {"GET", "/api/v1/namespaces/d/pods/x/portforward?ports=80", true, "get", "", "d", "pods", "x", "portforward", "create", true},
    {"POST", "/api/v1/namespaces/d/pods/x/portforward", true, "create", "", "d", "pods", "x", "portforward", "create", true},
    {"PATCH", "/api/v1/namespaces/d/pods/x/ephemeralcontainers", true, "patch", "", "d", "pods", "x", "ephemeralcontainers", "patch", true},
    {"PUT", "/api/v1/namespaces/d/pods/x/ephemeralcontainers", true, "update", "", "d", "pods", "x", "ephemeralcontainers", "update", true},
    {"GET", "/api/v1/nodes/x/proxy/y", true, "get", "", "", "nodes", "x", "proxy", "get", true},
    {"POST", "/api/v1/namespaces/d/services/https:svc:443/proxy/admin", true, "create", "", "d", "services", "https:svc:443", "proxy", "create", true},
    {"GET", "/api/v1/nodes/x/status", true, "get", "", "", "nodes", "x", "status", "get", false},
    {"GET", "/api/v1/namespaces/d/services/x", true, "get", "", "d", "services", "x", "", "get", false},
    // a look-alike in another group is over-classified rather than missed
    {"GET", "/apis/evil.example/v1/namespaces/d/pods/x/exec", true, "get", "evil.example", "d", "pods", "x", "exec", "create", true},
    // non-resource requests keep the lowercase method
    {"OPTIONS", "/version", false, "options", "", "", "", "", "", "options", false},
    {"POST", "/apis/apps", false, "post", "", "", "", "", "", "post", false},
};
// clang-format on

TEST(RequestInfoTable, EveryRowClassifiesAsKubeApiserverDoes) {
  for (const Row& row : kRows) {
    SCOPED_TRACE(std::string(row.method) + " " + row.target);
    const RequestInfo info = mustClassify(row.method, row.target);
    EXPECT_EQ(info.isResourceRequest, row.resource);
    EXPECT_EQ(info.verb, row.verb);
    EXPECT_EQ(info.apiGroup, row.group);
    EXPECT_EQ(info.namespace_, row.ns);
    EXPECT_EQ(info.resource, row.res);
    EXPECT_EQ(info.name, row.name);
    EXPECT_EQ(info.subresource, row.sub);
    EXPECT_EQ(info.effectiveVerb, row.effectiveVerb);
    EXPECT_EQ(info.execClass, row.exec);
    EXPECT_EQ(info.path, splitTarget(row.target).first);
  }
}

TEST(RequestInfoFields, PrefixVersionAndParts) {
  auto info = mustClassify("GET", "/api/v1/proxy/namespaces/d/pods/x/a/b");
  EXPECT_EQ(info.apiPrefix, "api");
  EXPECT_EQ(info.apiVersion, "v1");
  EXPECT_EQ(info.parts, (std::vector<std::string>{"pods", "x", "a", "b"}));

  info = mustClassify("GET", "/apis/apps/v1/namespaces/d/deployments/x/scale");
  EXPECT_EQ(info.apiPrefix, "apis");
  EXPECT_EQ(info.apiGroup, "apps");
  EXPECT_EQ(info.apiVersion, "v1");
  EXPECT_EQ(info.parts, (std::vector<std::string>{"deployments", "x", "scale"}));

  info = mustClassify("GET", "/api/v1/nodes/x/proxy/y");
  EXPECT_EQ(info.parts, (std::vector<std::string>{"nodes", "x", "proxy", "y"}));

  // namespace subresources keep "namespaces" at the head of the parts
  info = mustClassify("PUT", "/api/v1/namespaces/d/finalize");
  EXPECT_EQ(info.parts, (std::vector<std::string>{"namespaces", "d", "finalize"}));

  // group discovery: the prefix is known, the request is not a resource request
  info = mustClassify("GET", "/apis/apps/v1");
  EXPECT_EQ(info.apiPrefix, "apis");
  EXPECT_EQ(info.apiGroup, "");
  EXPECT_TRUE(info.parts.empty());
  info = mustClassify("GET", "/apis/apps");
  EXPECT_EQ(info.apiPrefix, "");
}

TEST(RequestInfoFields, ShapesThatAreNotResourceRequests) {
  for (const char* path : {"", "/", "/api/v1", "/apis/extensions/v1beta1", "/not-api/v1/pods", "/logs/x/y", "/readyz/etcd/x"}) {
    const RequestInfo info = mustClassify("GET", path);
    EXPECT_FALSE(info.isResourceRequest) << path;
    EXPECT_EQ(info.verb, "get") << path;
  }
  EXPECT_TRUE(mustClassify("GET", "/apis/batch/v1/job").isResourceRequest);
  EXPECT_TRUE(mustClassify("GET", "/api/version/resource").isResourceRequest);
}

TEST(RequestInfoErrors, LegacyPathVerbWithNothingAfterIt) {
  for (const char* path : {"/api/v1/watch", "/api/v1/proxy", "/apis/apps/v1/watch", "/apis/apps/v1/proxy"}) {
    auto r = classifyTarget("GET", path);
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(r.error().kind, ErrorKind::BadRequest);
    EXPECT_NE(r.error().message.find("unable to determine kind and namespace from url"), std::string::npos);
  }
  // one more segment is enough
  EXPECT_EQ(mustClassify("GET", "/api/v1/watch/pods").verb, "watch");
}

TEST(RequestInfoErrors, MethodsWithoutAKubernetesVerb) {
  for (const char* method : {"OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get", "Post"}) {
    auto r = classifyTarget(method, "/api/v1/namespaces/d/pods");
    ASSERT_FALSE(r) << method;
    EXPECT_EQ(r.error().kind, ErrorKind::MethodNotAllowed);
    EXPECT_NE(r.error().message.find(method), std::string::npos) << r.error().message;
  }
  // the exec normalisation does not rescue an unknown method
  EXPECT_FALSE(classifyTarget("OPTIONS", "/api/v1/namespaces/d/pods/x/exec"));
}

// The name the authorizer sees for a list or watch narrowed by fieldSelector.
std::string promotedName(std::string_view query) {
  const RequestInfo info = mustClassify("GET", "/api/v1/namespaces/d/secrets?" + std::string(query));
  EXPECT_TRUE(info.verb == "list" || info.verb == "watch") << info.verb;
  return info.name;
}

TEST(RequestInfoSelectors, OnlyAnExactMetadataNameIsPromoted) {
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx"), "x");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3D%3Dx"), "x");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%21%3Dx"), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.namespace%3Dx"), "");
  EXPECT_EQ(promotedName("fieldSelector=spec.nodeName%3Dn"), "");
  EXPECT_EQ(promotedName("fieldSelector="), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3D"), "");
  // conjunctions: any exact metadata.name term narrows the request
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx,spec.nodeName%3Dn"), "x");
  EXPECT_EQ(promotedName("fieldSelector=spec.nodeName%3Dn,metadata.name%3Dx"), "x");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%21%3Dy,metadata.name%3Dx"), "x");
  // terms are sorted before the first match is taken
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Db,metadata.name%3Da"), "a");
  // the first fieldSelector parameter is the one decoded
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dfoo&fieldSelector=metadata.name%3Dbar"), "foo");
}

TEST(RequestInfoSelectors, NamesThatAreNotPathSegmentsAreNotPromoted) {
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da/b"), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da%25b"), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3D.."), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3D."), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3D..."), "...");
}

TEST(RequestInfoSelectors, EscapesInFieldSelectorValues) {
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da%5C,b"), "a,b");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da%5C%3Db"), "a=b");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da%5C%5Cb"), "a\\b");
  // an unknown escape, a trailing backslash or an unescaped '=' is a parse error: no name
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da%5Cx"), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da%5C"), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da%3Db"), "");
  // a term without an operator spoils the whole selector (TestSelectorParsing)
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dname1,foo"), "");
  // Go re-encodes runes while unescaping: invalid UTF-8 becomes U+FFFD only on that path
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dab%FF"), "ab\xFF");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da%5C%3Db%FF"), "a=b\xEF\xBF\xBD");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Da%5C%3D%C3%A9"), "a=\xC3\xA9");
}

TEST(RequestInfoListOptions, MalformedParametersDropThePromotionButKeepWatch) {
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&limit=500"), "x");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&limit=abc"), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&limit="), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&limit=1_000"), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&limit=9223372036854775808"), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&limit=9223372036854775807"), "x");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&limit=-9223372036854775808"), "x");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&limit=%2B5"), "x");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&timeoutSeconds=x"), "");
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&timeoutSeconds=300"), "x");
  // only the first value is converted
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&limit=5&limit=abc"), "x");
  // other parameters take any string
  EXPECT_EQ(promotedName("fieldSelector=metadata.name%3Dx&resourceVersion=abc&resourceVersionMatch=zz&sendInitialEvents=q"), "x");

  const RequestInfo watch = mustClassify("GET", "/api/v1/pods?watch=true&limit=abc");
  EXPECT_EQ(watch.verb, "watch");
  EXPECT_EQ(mustClassify("GET", "/api/v1/pods?watch=0&limit=abc").verb, "list");
  EXPECT_EQ(mustClassify("GET", "/api/v1/pods?limit=abc").verb, "list");
}

TEST(RequestInfoListOptions, LabelSelectorsMustParseForThePromotionToStand) {
  for (const char* ok : {"app%3Dweb", "app%3D%3Dweb", "app%21%3Dweb", "app", "%21app", "app%20in%20(a,b)", "x%20notin%20(in)",
                         "a%20in%20(b,,c)", "a%20in%20()", "a%3E5", "example.com/app%3Dweb", "a%3D", "a,b", "%20"}) {
    EXPECT_EQ(promotedName(std::string("fieldSelector=metadata.name%3Dx&labelSelector=") + ok), "x") << ok;
  }
  const std::vector<std::string> bads = {
      "app%20in", "a%20in%20(,,)", "a%3Db%3Dc", "a%3Ex", "a%3E-5", "-app",        "app%3D-web",        "Example.com/a",
      "a/b/c",    "a%20b",         "%21a%3Db",  "a,",    "(",      "a%20in%20(b", std::string(64, 'k')};
  for (const std::string& bad : bads) {
    EXPECT_EQ(promotedName(std::string("fieldSelector=metadata.name%3Dx&labelSelector=") + bad), "") << bad;
  }
}

TEST(RequestInfoListOptions, ParseAndFallbackReadFalseDifferentlyAsGoDoes) {
  // Decoded ListOptions use strings.EqualFold, where U+017F (long s) folds to 's' ...
  EXPECT_EQ(mustClassify("GET", "/api/v1/pods?watch=fal%C5%BFe").verb, "list");
  // ... while the fallback after a decode error uses strings.ToLower, where it does not.
  EXPECT_EQ(mustClassify("GET", "/api/v1/pods?watch=fal%C5%BFe&limit=abc").verb, "watch");
  EXPECT_EQ(mustClassify("GET", "/api/v1/pods?watch=FaLsE&limit=abc").verb, "list");
}

QueryParams params(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  QueryParams q;
  for (const auto& [k, v] : pairs) q.emplace_back(k, v);
  return q;
}

TEST(RequestInfoBoolParam, ApimachinerySemantics) {
  EXPECT_FALSE(parseBoolParam({}, "watch"));
  EXPECT_FALSE(parseBoolParam(params({{"stdin", "true"}}), "watch"));
  for (const char* f : {"0", "false", "FALSE", "False", "fAlSe",
                        "fal\xC5\xBF"
                        "e"}) {
    EXPECT_FALSE(parseBoolParam(params({{"watch", f}}), "watch")) << f;
  }
  for (const char* t : {"", "1", "true", "True", "yes", "no", "00", "false ", " false", "f", "falsee", "fal\xC5\xBF"}) {
    EXPECT_TRUE(parseBoolParam(params({{"watch", t}}), "watch")) << t;
  }
  EXPECT_FALSE(parseBoolParam(params({{"tty", "False"}, {"tty", "true"}}), "tty"));
  EXPECT_TRUE(parseBoolParam(params({{"tty", "True"}, {"tty", "false"}}), "tty"));
  EXPECT_FALSE(parseBoolParam(params({{"Watch", "true"}}), "watch"));
}

TEST(RequestInfoLongRunning, BasicLongRunningRequestCheck) {
  const auto longRunning = [](const char* method, const char* target) { return isLongRunning(mustClassify(method, target)); };
  EXPECT_TRUE(longRunning("GET", "/api/v1/pods?watch=1"));
  EXPECT_TRUE(longRunning("GET", "/api/v1/watch/namespaces/d/pods"));
  EXPECT_TRUE(longRunning("GET", "/api/v1/proxy/namespaces/d/pods/x/a"));
  EXPECT_TRUE(longRunning("POST", "/api/v1/namespaces/d/pods/x/exec"));
  EXPECT_TRUE(longRunning("GET", "/api/v1/namespaces/d/pods/x/attach"));
  EXPECT_TRUE(longRunning("GET", "/api/v1/namespaces/d/pods/x/log"));
  EXPECT_TRUE(longRunning("POST", "/api/v1/namespaces/d/pods/x/portforward"));
  EXPECT_TRUE(longRunning("GET", "/api/v1/nodes/n/proxy/stats"));
  EXPECT_TRUE(longRunning("GET", "/debug/pprof/profile"));
  EXPECT_FALSE(longRunning("GET", "/debug/pprof"));
  EXPECT_FALSE(longRunning("GET", "/api/v1/pods"));
  EXPECT_FALSE(longRunning("GET", "/api/v1/namespaces/d/pods/x?watch=true"));
  EXPECT_FALSE(longRunning("PATCH", "/api/v1/namespaces/d/pods/x/ephemeralcontainers"));
  EXPECT_FALSE(longRunning("GET", "/logs/kube-apiserver.log"));
}

}  // namespace
}  // namespace kubegate::k8s
