#include "audit/tree_head.h"
#include "http/base64.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>

#include "audit/merkle.h"
#include "audit/verify.h"

namespace kubegate::audit {
namespace {

StoreError error(std::string message) { return StoreError{std::move(message)}; }

std::shared_ptr<EVP_PKEY> ownKey(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

std::shared_ptr<BIO> memoryBio(std::string_view text) {
  return {BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free};
}

std::optional<std::string> rawPublicKey(EVP_PKEY* key) {
  std::string raw(32, '\0');
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &len) != 1) return std::nullopt;
  raw.resize(len);
  return raw;
}

std::optional<std::string> keyIdOf(EVP_PKEY* key) {
  auto raw = rawPublicKey(key);
  if (!raw) return std::nullopt;
  Digest d = sha256(*raw);
  return toHex(d).substr(0, 16);
}

std::string publicPemOf(EVP_PKEY* key) {
  std::shared_ptr<BIO> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

std::string treeHeadMessage(const TreeHead& head) {
  return "kubegate-audit-tree-head/v1\n" + std::to_string(head.size) + "\n" + toHex(head.root) + "\n" +
         std::to_string(head.timeMicros) + "\n";
}

StoreResult<TreeHeadSigner> TreeHeadSigner::fromPrivateKeyPem(std::string_view pem) {
  auto bio = memoryBio(pem);
  auto key = ownKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return error("the audit signing key is not a PEM private key");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) return error("the audit signing key is not an Ed25519 key");
  TreeHeadSigner signer;
  signer.key_ = key;
  signer.keyId_ = keyIdOf(key.get()).value_or("");
  return signer;
}

void TreeHeadSigner::sign(TreeHead& head) const {
  std::string message = treeHeadMessage(head);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string signature(64, '\0');
  std::size_t len = signature.size();
  // Ed25519 hashes internally: no digest is named.
  bool ok = EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
            EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  head.signature = ok ? signature.substr(0, len) : std::string();
  head.keyId = keyId_;
}

std::string TreeHeadSigner::publicKeyPem() const { return publicPemOf(key_.get()); }

StoreResult<TreeHeadVerifier> TreeHeadVerifier::fromPublicKeyPem(std::string_view pem) {
  auto bio = memoryBio(pem);
  auto key = ownKey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return error("the audit public key is not a PEM public key");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) return error("the audit public key is not an Ed25519 key");
  TreeHeadVerifier verifier;
  verifier.key_ = key;
  verifier.keyId_ = keyIdOf(key.get()).value_or("");
  return verifier;
}

bool TreeHeadVerifier::verify(const TreeHead& head) const {
  if (head.signature.empty()) return false;
  std::string message = treeHeadMessage(head);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(head.signature.data()),
                          head.signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

StoreResult<std::string> publicKeyPemFromPrivateKeyPem(std::string_view privatePem) {
  auto signer = TreeHeadSigner::fromPrivateKeyPem(privatePem);
  if (!signer) return signer.error();
  return StoreResult<std::string>(boost::system::in_place_value, signer->publicKeyPem());
}

std::string treeHeadJsonLine(const TreeHead& head) {
  boost::json::object o;
  o["size"] = head.size;
  o["root"] = toHex(head.root);
  o["time"] = head.timeMicros;
  o["signature"] = encodeBase64(head.signature);
  o["keyId"] = head.keyId;
  return boost::json::serialize(o);
}

StoreResult<TreeHead> parseTreeHeadJsonLine(std::string_view line) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return error("not a JSON object");
  const auto& o = v.get_object();
  const auto* size = o.if_contains("size");
  const auto* root = o.if_contains("root");
  const auto* time = o.if_contains("time");
  const auto* signature = o.if_contains("signature");
  const auto* keyId = o.if_contains("keyId");
  if (!size || !size->is_number() || !root || !root->is_string() || !time || !time->is_number())
    return error("\"size\", \"root\" and \"time\" are required");
  TreeHead head;
  auto sizeValue = size->to_number<std::uint64_t>(ec);
  auto timeValue = time->to_number<std::int64_t>(ec);
  if (ec) return error("\"size\" or \"time\" is not an integer");
  head.size = sizeValue;
  head.timeMicros = timeValue;
  auto rootDigest = digestFromHex(root->get_string());
  if (!rootDigest) return error("\"root\" is not 64 hex digits");
  head.root = *rootDigest;
  if (signature) {
    if (!signature->is_string()) return error("\"signature\" is not a string");
    auto decoded = decodeBase64(signature->get_string());
    if (!decoded) return error("\"signature\" is not base64");
    head.signature = std::move(*decoded);
  }
  if (keyId) {
    if (!keyId->is_string()) return error("\"keyId\" is not a string");
    head.keyId = std::string(keyId->get_string());
  }
  return head;
}

StoreResult<void> appendTreeHeadToFile(const std::string& path, const TreeHead& head) {
  std::string line = treeHeadJsonLine(head) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return error("cannot open " + path + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return error("cannot write " + path + ": " + std::strerror(saved));
    }
    written += static_cast<std::size_t>(n);
  }
  int syncResult = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (syncResult != 0) return error("cannot fsync " + path + ": " + std::strerror(saved));
  return {};
}

StoreResult<std::vector<TreeHead>> readTreeHeadsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return error("cannot open the tree heads file " + path);
  std::vector<TreeHead> heads;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto head = parseTreeHeadJsonLine(line);
    if (!head) return error(path + " line " + std::to_string(number) + ": " + head.error().message);
    heads.push_back(std::move(*head));
  }
  return heads;
}

std::string formatMicros(std::int64_t timeMicros) {
  std::time_t seconds = static_cast<std::time_t>(timeMicros / 1000000);
  long micros = static_cast<long>(timeMicros % 1000000);
  if (micros < 0) {
    micros += 1000000;
    --seconds;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06ldZ", micros);
  return buf;
}

}  // namespace kubegate::audit
