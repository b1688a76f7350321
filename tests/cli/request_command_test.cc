#include "cli/request_command.h"

#include <gtest/gtest.h>

#include <sstream>

namespace kubegate::cli {
namespace {

TEST(RequestCommand, FindsTheGatewayAndClusterInTheKubeconfigsServer) {
  auto s = splitGatewayServer("https://gw.example:8443/clusters/demo");
  EXPECT_EQ(s.base, "https://gw.example:8443");
  EXPECT_EQ(s.cluster, "demo");
  s = splitGatewayServer("https://gw.example:8443/clusters/eks-demo/purpose/fix-web");
  EXPECT_EQ(s.base, "https://gw.example:8443");
  EXPECT_EQ(s.cluster, "eks-demo");
  s = splitGatewayServer("https://gw.example/");
  EXPECT_EQ(s.base, "https://gw.example");
  EXPECT_EQ(s.cluster, "");
}

TEST(RequestCommand, ABadKubeconfigIsExitTwoWithAReason) {
  RequestCommandOptions o;
  o.kubeconfig = "/nonexistent/kubeconfig";
  o.verbs = "get";
  o.resources = "pods";
  o.duration = "5m";
  o.reason = "x";
  std::ostringstream out, err;
  EXPECT_EQ(runRequestCommand(o, out, err), 2);
  EXPECT_NE(err.str().find("no kubeconfig at /nonexistent/kubeconfig"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace kubegate::cli
