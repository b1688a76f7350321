// `kubegate kubeconfig`: the kubeconfig must be one kubectl reads as intended, parsed back here
// with yaml-cpp, and the purpose must never make a URL the gateway would route differently.
#include "cli/kubeconfig_writer.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace kubegate::cli {
namespace {

TEST(KubeconfigPurpose, IsAShortLowercaseSlug) {
  for (const auto& ok : std::vector<std::string>{"a", "0", "fix-dns", "incident-4711", std::string(63, 'x')}) {
    EXPECT_TRUE(validatePurpose(ok)) << ok;
  }
  for (const auto& bad : std::vector<std::string>{"", std::string(64, 'x'), "Fix", "fix_dns", "fix dns", "a/b", "..", "%2e", "a.b",
                                "é", "a\n", "a?x=1", "a#b"}) {
    EXPECT_FALSE(validatePurpose(bad)) << bad;
  }
  EXPECT_EQ(validatePurpose("Fix").error().message,
            "purpose 'Fix' is not 1 to 63 characters of lowercase letters, digits and '-'");
}

TEST(KubeconfigClusterName, IsAPathSegmentTheGatewayAccepts) {
  EXPECT_TRUE(validateClusterName("prod-eu-1"));
  EXPECT_FALSE(validateClusterName(""));
  EXPECT_FALSE(validateClusterName("Prod"));
  EXPECT_FALSE(validateClusterName("a/b"));
}

TEST(KubeconfigGateway, IsAnAuthorityOnly) {
  EXPECT_EQ(*gatewayAuthority("gw.example:8443"), "gw.example:8443");
  EXPECT_EQ(*gatewayAuthority("https://gw.example:8443/"), "gw.example:8443");
  EXPECT_EQ(*gatewayAuthority("gw.example"), "gw.example");
  EXPECT_EQ(*gatewayAuthority("[::1]:8443"), "[::1]:8443");
  EXPECT_EQ(*gatewayAuthority("127.0.0.1:8443"), "127.0.0.1:8443");
  for (const char* bad : {"", "http://gw:80", "gw:8443/clusters", "user@gw:8443", "gw:8443?x", "gw :1", "https://"}) {
    EXPECT_FALSE(gatewayAuthority(bad)) << bad;
  }
}

TEST(KubeconfigServerUrl, CarriesTheClusterAndThePurpose) {
  EXPECT_EQ(clusterServerUrl("gw:8443", "prod-eu", ""), "https://gw:8443/clusters/prod-eu");
  EXPECT_EQ(clusterServerUrl("gw:8443", "prod-eu", "fix-dns"), "https://gw:8443/clusters/prod-eu/purpose/fix-dns");
}

TEST(KubeconfigCredentialArgs, PassOnlyWhatIsSetWithAbsolutePaths) {
  CredentialOptions o;
  o.issuer = "https://idp.example";
  o.clientId = "demo-agent";
  o.clientSecretFile = "secrets/demo-agent.secret";
  o.caFile = "/etc/idp/ca.crt";
  o.resource = "urn:kubegate";
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  const std::string here(cwd);
  EXPECT_EQ(credentialArgs(o), (std::vector<std::string>{"--issuer=https://idp.example", "--client-id=demo-agent",
                                                         "--client-secret-file=" + here + "/secrets/demo-agent.secret",
                                                         "--resource=urn:kubegate", "--ca-file=/etc/idp/ca.crt"}));

  CredentialOptions k;
  k.tokenEndpoint = "https://idp.example/token";
  k.clientId = "jwt-agent";
  k.privateKeyFile = "/keys/jwt-agent.key";
  k.keyId = "kid-1";
  k.scope = "kubernetes";
  k.refreshMargin = "2m";
  k.noCache = true;
  EXPECT_EQ(credentialArgs(k), (std::vector<std::string>{"--token-endpoint=https://idp.example/token",
                                                         "--client-id=jwt-agent", "--private-key-file=/keys/jwt-agent.key",
                                                         "--key-id=kid-1", "--scope=kubernetes", "--refresh-margin=2m",
                                                         "--no-cache"}));
  CredentialOptions f;
  f.tokenFile = "/var/run/secrets/tokens/kubegate";
  f.authMethod = "client_secret_post";
  EXPECT_EQ(credentialArgs(f), (std::vector<std::string>{"--auth-method=client_secret_post",
                                                         "--token-file=/var/run/secrets/tokens/kubegate"}));
}

KubeconfigSpec twoClusters() {
  KubeconfigSpec spec;
  spec.authority = "gw.example:8443";
  spec.caData = "LS0tLS1CRUdJTg==";
  spec.clusters = {"prod-eu", "staging"};
  spec.command = "/usr/local/bin/kubegate";
  spec.args = {"credential", "--issuer=https://idp.example", "--client-id=demo-agent"};
  return spec;
}

TEST(Kubeconfig, HasAContextPerClusterAndThePluginWiredIn) {
  const auto doc = YAML::Load(renderKubeconfig(twoClusters()));
  EXPECT_EQ(doc["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(doc["kind"].as<std::string>(), "Config");
  EXPECT_EQ(doc["current-context"].as<std::string>(), "prod-eu");

  ASSERT_EQ(doc["clusters"].size(), 2u);
  EXPECT_EQ(doc["clusters"][0]["name"].as<std::string>(), "prod-eu");
  EXPECT_EQ(doc["clusters"][0]["cluster"]["server"].as<std::string>(), "https://gw.example:8443/clusters/prod-eu");
  EXPECT_EQ(doc["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>(), "LS0tLS1CRUdJTg==");
  EXPECT_EQ(doc["clusters"][1]["cluster"]["server"].as<std::string>(), "https://gw.example:8443/clusters/staging");

  ASSERT_EQ(doc["contexts"].size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& ctx = doc["contexts"][i];
    EXPECT_EQ(ctx["name"].as<std::string>(), twoClusters().clusters[i]);
    EXPECT_EQ(ctx["context"]["cluster"].as<std::string>(), twoClusters().clusters[i]);
    EXPECT_EQ(ctx["context"]["user"].as<std::string>(), "kubegate");
  }

  ASSERT_EQ(doc["users"].size(), 1u);
  EXPECT_EQ(doc["users"][0]["name"].as<std::string>(), "kubegate");
  const auto exec = doc["users"][0]["user"]["exec"];
  EXPECT_EQ(exec["apiVersion"].as<std::string>(), "client.authentication.k8s.io/v1");
  EXPECT_EQ(exec["command"].as<std::string>(), "/usr/local/bin/kubegate");
  EXPECT_EQ(exec["args"].as<std::vector<std::string>>(), twoClusters().args);
  EXPECT_EQ(exec["interactiveMode"].as<std::string>(), "Never");
  EXPECT_FALSE(exec["provideClusterInfo"].as<bool>());
  EXPECT_NE(exec["installHint"].as<std::string>().find("/usr/local/bin/kubegate"), std::string::npos);
  EXPECT_FALSE(exec["env"]) << "no secret may be written into the kubeconfig";
}

TEST(Kubeconfig, PutsThePurposeInEveryServerUrl) {
  auto spec = twoClusters();
  spec.purpose = "fix-dns";
  spec.caData.clear();
  const auto doc = YAML::Load(renderKubeconfig(spec));
  EXPECT_EQ(doc["clusters"][0]["cluster"]["server"].as<std::string>(),
            "https://gw.example:8443/clusters/prod-eu/purpose/fix-dns");
  EXPECT_EQ(doc["clusters"][1]["cluster"]["server"].as<std::string>(),
            "https://gw.example:8443/clusters/staging/purpose/fix-dns");
  EXPECT_FALSE(doc["clusters"][0]["cluster"]["certificate-authority-data"]) << "no CA: the system's trust store";
}

TEST(Kubeconfig, QuotesValuesYamlWouldMisread) {
  auto spec = twoClusters();
  spec.command = "/opt/kube gate/bin: kubegate";
  spec.args = {"credential", "--scope=a b: c", "--client-id=#yes", "true", "123"};
  // Valid cluster names that YAML 1.1 (what kubectl reads) takes for booleans, numbers or null.
  spec.clusters = {"123", "on", "no", "yes", "0x1f", "1e3", "null", "true", "0755"};
  const auto text = renderKubeconfig(spec);
  const auto doc = YAML::Load(text);
  const auto exec = doc["users"][0]["user"]["exec"];
  EXPECT_EQ(exec["command"].as<std::string>(), spec.command);
  EXPECT_EQ(exec["args"].as<std::vector<std::string>>(), spec.args);
  for (const auto& name : spec.clusters) {
    EXPECT_NE(text.find("name: \"" + name + "\""), std::string::npos) << name << " must be quoted";
    EXPECT_NE(text.find("cluster: \"" + name + "\""), std::string::npos) << name << " must be quoted";
  }
  EXPECT_NE(text.find("current-context: \"123\""), std::string::npos);
}

}  // namespace
}  // namespace kubegate::cli
