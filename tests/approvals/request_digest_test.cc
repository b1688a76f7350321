#include "approvals/request_digest.h"

#include <gtest/gtest.h>

#include <array>

namespace kubegate::approvals {
namespace {

struct Fields {
  std::string issuer = "https://idp.example";
  std::string subject = "agent-1";
  std::string cluster = "staging";
  std::string method = "DELETE";
  std::string path = "/api/v1/namespaces/web/pods/web-1";
  std::string query = "dryRun=All";
  std::string body = R"({"kind":"DeleteOptions"})";

  std::string digest() const { return requestDigest({issuer, subject}, cluster, method, path, query, body).value(); }
};

// The encoding is fixed: approvals stored by one gateway version are matched by the next. Computed with
//   python3 -c "import hashlib,struct; f=[b'https://idp.example',b'agent-1',b'staging',b'DELETE',
//     b'/api/v1/namespaces/web/pods/web-1',b'dryRun=All',b'{\"kind\":\"DeleteOptions\"}'];
//     print(hashlib.sha256(b''.join(struct.pack('>Q',len(x))+x for x in f)).hexdigest())"
TEST(ApprovalStoreRequestDigest, KnownValueForFixedFields) {
  EXPECT_EQ(Fields{}.digest(), "8e1b4e944f72387c086d495c521b572f64c56ea451f2a1aaf4250015d4dbd06c");
}

TEST(ApprovalStoreRequestDigest, EveryFieldChangesTheDigest) {
  const std::string original = Fields{}.digest();
  std::array<std::string Fields::*, 7> members = {&Fields::issuer, &Fields::subject, &Fields::cluster, &Fields::method,
                                                  &Fields::path,   &Fields::query,   &Fields::body};
  for (auto member : members) {
    Fields changed;
    (changed.*member).push_back(' ');
    EXPECT_NE(changed.digest(), original) << changed.*member;
    Fields emptied;
    (emptied.*member).clear();
    EXPECT_NE(emptied.digest(), original);
  }
}

TEST(ApprovalStoreRequestDigest, MovingBytesAcrossAFieldBoundaryChangesTheDigest) {
  Fields left, right;
  left.path = "/api/v1/ab";
  left.query = "c";
  right.path = "/api/v1/a";
  right.query = "bc";
  EXPECT_NE(left.digest(), right.digest());

  Fields queryInBody, bodyInQuery;
  queryInBody.query = "";
  queryInBody.body = "dryRun=All";
  bodyInQuery.query = "dryRun=All";
  bodyInQuery.body = "";
  EXPECT_NE(queryInBody.digest(), bodyInQuery.digest());
}

}  // namespace
}  // namespace kubegate::approvals
