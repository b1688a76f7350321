#include "mask/detectors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace kubegate::mask {
namespace {

// Secrets are assembled at run time so the source holds nothing a secret scanner would flag.
std::string repeated(std::string_view unit, std::size_t length) {
  std::string text;
  while (text.size() < length) text.append(unit);
  text.resize(length);
  return text;
}

const std::string kAwsAccessKey = "AKIA" + repeated("IOSFODNN7EXAMPLE", 16);
const std::string kAwsSecretKey = repeated("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 40);
const std::string kJwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string kPrivateKey = "-----BEGIN RSA PRIVATE KEY-----\n" + repeated("MIIEowIBAAKCAQEA", 64) + "\n" +
                                repeated("x4Yd9q1Zk2+/", 64) + "\n-----END RSA PRIVATE KEY-----";

std::shared_ptr<const Detectors> all() {
  static const auto detectors = Detectors::compile({"all"}, {});
  return detectors;
}

std::vector<std::string> found(const Detectors& detectors, std::string_view text) {
  std::vector<Range> ranges;
  detectors.find(text, ranges);
  std::vector<std::string> secrets;
  for (const Range& range : ranges) secrets.emplace_back(text.substr(range.begin, range.end - range.begin));
  return secrets;
}

std::vector<std::string> found(std::string_view text) { return found(*all(), text); }

std::string redacted(std::string text) {
  all()->redact(text);
  return text;
}

using Secrets = std::vector<std::string>;

TEST(MaskDetectors, AwsAccessKeyInsideText) {
  EXPECT_EQ(found("export AWS_ACCESS_KEY_ID=" + kAwsAccessKey + "\n"), Secrets{kAwsAccessKey});
  const std::string temporary = "ASIA" + kAwsAccessKey.substr(4);
  EXPECT_EQ(found("{\"id\":\"" + temporary + "\"}"), Secrets{temporary});
}

TEST(MaskDetectors, AwsAccessKeyOneCharacterShortIsNotReported) {
  EXPECT_TRUE(found("key " + kAwsAccessKey.substr(0, 19) + " end").empty());
}

TEST(MaskDetectors, AwsSecretKeyReportsOnlyTheValue) {
  EXPECT_EQ(found("aws_secret_access_key = " + kAwsSecretKey + "\n"), Secrets{kAwsSecretKey});
  EXPECT_EQ(found("AWS_SECRET_ACCESS_KEY=" + kAwsSecretKey), Secrets{kAwsSecretKey});
  EXPECT_EQ(found("{\"SecretAccessKey\": \"" + kAwsSecretKey + "\"}"), Secrets{kAwsSecretKey});
}

TEST(MaskDetectors, PrivateKeyBlockIsMaskedWhole) {
  EXPECT_EQ(found("key:\n" + kPrivateKey + "\nafter"), Secrets{kPrivateKey});
  EXPECT_EQ(redacted("key:\n" + kPrivateKey + "\nafter"), "key:\nkubegate:masked\nafter");
}

TEST(MaskDetectors, PrivateKeyWithoutEndMasksToTheEnd) {
  const std::string begun = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nmore lines";
  EXPECT_EQ(found("cat id_ed25519\n" + begun), Secrets{begun});
}

TEST(MaskDetectors, CertificateIsNotAPrivateKey) {
  EXPECT_TRUE(found("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----").empty());
}

TEST(MaskDetectors, JwtInsideText) {
  EXPECT_EQ(found("Authorization: Bearer " + kJwt + " trailing"), Secrets{kJwt});
  EXPECT_TRUE(found("eyJhbGciOiJIUzI1NiJ9 alone").empty());
}

TEST(MaskDetectors, GithubAndGitlabTokens) {
  const std::string classic = "ghp_" + repeated("a1B2c3D4e5", 36);
  const std::string fineGrained = "github_pat_" + repeated("11ABCDEFG0_abcdefghij", 82);
  const std::string gitlab = "glpat-" + repeated("xY9-zW8_v", 20);
  EXPECT_EQ(found("token " + classic + "."), Secrets{classic});
  EXPECT_EQ(found("GH=" + fineGrained + "\n"), Secrets{fineGrained});
  EXPECT_EQ(found("\"" + gitlab + "\""), Secrets{gitlab});
  EXPECT_TRUE(found("ghp_" + repeated("a1B2c3", 35) + " ").empty());
}

TEST(MaskDetectors, SlackTokensAndWebhooks) {
  const std::string bot = "xoxb-" + repeated("1234567890-", 30);
  EXPECT_EQ(found("SLACK=" + bot + " next"), Secrets{bot});
  const std::string hookPath = "T00000000/B00000000/" + repeated("XyZ", 24);
  EXPECT_EQ(found("post https://hooks.slack.com/services/" + hookPath + " done"), Secrets{hookPath});
}

TEST(MaskDetectors, StripeKeys) {
  const std::string live = "sk_live_" + repeated("4eC39HqLyjW", 24);
  const std::string restricted = "rk_test_" + repeated("Zx81", 30);
  EXPECT_EQ(found("stripe " + live + ", " + restricted), (Secrets{live, restricted}));
  EXPECT_TRUE(found("sk_live_" + repeated("abc", 23) + " ").empty());
}

TEST(MaskDetectors, PasswordPairsReportOnlyTheValue) {
  EXPECT_EQ(found("login user=bob password=hunter2 ok"), Secrets{"hunter2"});
  EXPECT_EQ(found("{\"user\":\"bob\",\"password\": \"hunter2\"}"), Secrets{"hunter2"});
  EXPECT_EQ(found("DB_PASSWD: 'correct horse'"), Secrets{"correct"});
  EXPECT_EQ(found("GET /cb?api_key=abc123&x=1"), Secrets{"abc123"});
  EXPECT_EQ(found("{\"msg\":\"{\\\"token\\\":\\\"s3cr3t\\\"}\"}"), Secrets{"s3cr3t"});
}

TEST(MaskDetectors, PasswordWithoutValueIsNotReported) {
  EXPECT_TRUE(found("password: \nnext").empty());
  EXPECT_TRUE(found("password=").empty());
  EXPECT_TRUE(found("please enter your password").empty());
  EXPECT_TRUE(found("secret: {\"name\": \"x\"}").empty());
}

TEST(MaskDetectors, ConnectionStringReportsOnlyThePassword) {
  EXPECT_EQ(found("DATABASE_URL=postgres://app:s3cr3t@db.local:5432/app"), Secrets{"s3cr3t"});
  EXPECT_EQ(found("redis://:only-a-password@cache:6379"), Secrets{"only-a-password"});
  EXPECT_TRUE(found("see https://example.com:8443/path@v2").empty());
}

TEST(MaskDetectors, CardNumbersAreLuhnChecked) {
  EXPECT_EQ(found("card 4111 1111 1111 1111 exp 12/29"), Secrets{"4111 1111 1111 1111"});
  EXPECT_EQ(found("card=4111-1111-1111-1111;"), Secrets{"4111-1111-1111-1111"});
  EXPECT_EQ(found("\"5500000000000004\""), Secrets{"5500000000000004"});
  const std::string afterDate = redacted("2024-01-15 4111 1111 1111 1111 paid");
  EXPECT_EQ(afterDate.find("1111"), std::string::npos) << afterDate;
  EXPECT_TRUE(afterDate.starts_with("2024-") && afterDate.ends_with("kubegate:masked paid")) << afterDate;
}

TEST(MaskDetectors, CardNumberFoundAtEveryOffset) {
  const auto cardsOnly = Detectors::compile({"card-number"}, {});
  ASSERT_NE(cardsOnly, nullptr);
  for (const std::string card : {"4111 1111 1111 1111", "378282246310005", "6011-0009-9013-9424"}) {
    for (std::size_t offset = 0; offset < 140; ++offset) {
      const std::string before = repeated("log line: ok; ", offset) + " ";
      EXPECT_EQ(found(*cardsOnly, before + card), Secrets{card}) << offset;
      EXPECT_EQ(found(*cardsOnly, before + card + " done"), Secrets{card}) << offset;
    }
  }
}

TEST(MaskDetectors, NumbersFailingLuhnAreNotCards) {
  EXPECT_TRUE(found("order 4111111111111112 shipped").empty());
  EXPECT_TRUE(found("id 41111111111111111111111 (too long)").empty());
  EXPECT_TRUE(found("hash a4111111111111111").empty());
}

TEST(MaskDetectors, OverlappingAndAdjacentRangesAreMerged) {
  // Two secrets back to back become one range and one mask.
  EXPECT_EQ(found("x " + kAwsAccessKey + kJwt + " y"), Secrets{kAwsAccessKey + kJwt});
  EXPECT_EQ(redacted("a " + kAwsAccessKey + " b " + kJwt), "a kubegate:masked b kubegate:masked");
}

TEST(MaskDetectors, AnyAgreesWithFind) {
  EXPECT_TRUE(all()->any("x " + kJwt));
  EXPECT_FALSE(all()->any("nothing to see here 4111111111111112"));
  EXPECT_TRUE(all()->any("nothing here but 4111111111111111"));
}

TEST(MaskDetectors, RedactCountsAndLeavesCleanTextAlone) {
  std::string text = "user=bob password=hunter2 key=" + kAwsAccessKey;
  EXPECT_EQ(all()->redact(text), 2u);
  EXPECT_EQ(text, "user=bob password=kubegate:masked key=kubegate:masked");
  std::string clean = "plain log line\n";
  EXPECT_EQ(all()->redact(clean), 0u);
  EXPECT_EQ(clean, "plain log line\n");
}

TEST(MaskDetectors, OnlyTheChosenBuiltinsRun) {
  const auto jwtOnly = Detectors::compile({"jwt"}, {});
  ASSERT_NE(jwtOnly, nullptr);
  EXPECT_EQ(found(*jwtOnly, "a " + kAwsAccessKey + " b " + kJwt), Secrets{kJwt});
  EXPECT_EQ(Detectors::compile({}, {}), nullptr);
}

TEST(MaskDetectors, UserPatternReportsTheWholeMatch) {
  const auto detectors = Detectors::compile({}, {PatternSpec{"employee-id", "EMP-[0-9]{6}"}});
  ASSERT_NE(detectors, nullptr);
  EXPECT_EQ(found(*detectors, "assigned to EMP-123456 and EMP-654321."), (Secrets{"EMP-123456", "EMP-654321"}));
  EXPECT_TRUE(found(*detectors, "EMP-12345").empty());
}

TEST(MaskDetectors, BadPatternAndUnknownDetectorAreRefused) {
  try {
    Detectors::compile({"all"}, {PatternSpec{"broken", "(unclosed"}});
    FAIL() << "compiled a broken pattern";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("pattern \"broken\""), std::string::npos) << e.what();
  }
  try {
    Detectors::compile({"jwt", "aws-key"}, {});
    FAIL() << "compiled an unknown detector";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "unknown detector \"aws-key\"");
  }
}

TEST(MaskDetectors, EveryBuiltinNameCompiles) {
  for (std::string_view name : builtinDetectorNames()) {
    EXPECT_NE(Detectors::compile({std::string(name)}, {}), nullptr) << name;
  }
}

// --- StreamRedactor ----------------------------------------------------------------------------

std::string streamed(const std::vector<std::string>& pieces, std::size_t* redactions = nullptr) {
  StreamRedactor redactor(*all());
  std::string out;
  for (const std::string& piece : pieces) redactor.write(piece, out);
  redactor.flush(out);
  if (redactions != nullptr) *redactions = redactor.redactions();
  return out;
}

void expectMaskedAtEverySplit(const std::string& before, const std::string& secret, const std::string& after) {
  const std::string text = before + secret + after;
  const std::string expected = redacted(text);
  ASSERT_EQ(expected.find(secret.substr(0, 8)), std::string::npos);
  for (std::size_t split = 0; split <= text.size(); ++split) {
    StreamRedactor redactor(*all());
    std::string out;
    redactor.write(std::string_view(text).substr(0, split), out);
    EXPECT_EQ(out.find(secret.substr(0, 4)), std::string::npos) << "split " << split;
    redactor.write(std::string_view(text).substr(split), out);
    redactor.flush(out);
    EXPECT_EQ(out, expected) << "split " << split;
  }
}

TEST(MaskStreamRedactor, PromptWithoutNewlineWaitsForAPause) {
  StreamRedactor redactor(*all());
  std::string out;
  redactor.write("total 0\n", out);
  redactor.write("root@pod:/# ", out);
  EXPECT_EQ(out, "total 0\n");
  EXPECT_TRUE(redactor.pauseWouldRelease());
  redactor.releaseAfterPause(out);
  EXPECT_EQ(out, "total 0\nroot@pod:/# ");
  EXPECT_FALSE(redactor.holding());
  EXPECT_FALSE(redactor.pauseWouldRelease());
}

// A pod writes a secret in two pieces and the second comes after the quiet time: at whatever byte
// the pause falls, no more than the secret's first kMinHeldWord - 1 characters leave unmasked.
void expectAPauseAnywhereKeepsTheSecret(const std::string& before, const std::string& secret, const std::string& after) {
  const std::string text = before + secret + after;
  const std::string head = secret.substr(0, StreamRedactor::kMinHeldWord);
  for (std::size_t split = 0; split <= text.size(); ++split) {
    StreamRedactor redactor(*all());
    std::string out;
    redactor.write(std::string_view(text).substr(0, split), out);
    redactor.releaseAfterPause(out);
    EXPECT_EQ(out.find(head), std::string::npos) << "split " << split << ": " << out;
    redactor.write(std::string_view(text).substr(split), out);
    redactor.flush(out);
    EXPECT_EQ(out.find(head), std::string::npos) << "split " << split << ": " << out;
    EXPECT_EQ(out.find(secret.substr(secret.size() - 8)), std::string::npos) << "split " << split << ": " << out;
    EXPECT_NE(out.find(kMaskedText), std::string::npos) << "split " << split << ": " << out;
    EXPECT_TRUE(out.ends_with(after)) << "split " << split << ": " << out;
  }
}

TEST(MaskStreamRedactor, AwsKeySplitAnywhereIsMasked) {
  expectMaskedAtEverySplit("starting\nexport AWS_ACCESS_KEY_ID=", kAwsAccessKey, "\ndone\n");
  expectAPauseAnywhereKeepsTheSecret("$ cat /etc/creds/aws\nkey ", kAwsAccessKey, " end\n");
  expectAPauseAnywhereKeepsTheSecret("", kAwsAccessKey, "");
}

TEST(MaskStreamRedactor, JwtSplitAnywhereIsMasked) {
  expectMaskedAtEverySplit("{\"level\":\"info\",\"token\":\"", kJwt, "\"}\n");
  expectAPauseAnywhereKeepsTheSecret("Authorization: Bearer ", kJwt, "\n");
}

TEST(MaskStreamRedactor, APauseAfterAPasswordPromptStillMasksTheValue) {
  StreamRedactor redactor(*all());
  std::string out;
  redactor.write("db password: ", out);
  redactor.releaseAfterPause(out);
  EXPECT_EQ(out, "db password: ") << "the prompt shows";
  // Each piece of the value is masked with the key before it, the first as the second.
  redactor.write("hu", out);
  redactor.releaseAfterPause(out);
  redactor.write("nter2 (from vault)\n", out);
  EXPECT_EQ(out, "db password: kubegate:maskedkubegate:masked (from vault)\n");
}

TEST(MaskStreamRedactor, APauseReleasesWordsTheClientSent) {
  StreamRedactor redactor(*all());
  std::string out;
  redactor.write("$ kubectl", out);
  redactor.releaseAfterPause(out, "kubectl get pods\r");
  EXPECT_EQ(out, "$ kubectl");
  redactor.write(" get pods", out);
  redactor.releaseAfterPause(out, "kubectl get p");
  EXPECT_EQ(out, "$ kubectl get ") << "a word longer than what was sent stays";
  redactor.write("\r\n", out);
  EXPECT_EQ(out, "$ kubectl get pods\r\n");
}

// Full-screen programs (top, vim, less) end a screen with a cursor move or a colour reset; a pause
// releases it, so the terminal is not a sequence behind. A token after the sequence still waits.
TEST(MaskStreamRedactor, APauseReleasesTerminalControlSequences) {
  StreamRedactor redactor(*all());
  std::string out;
  const std::string screen = "\x1b[H\x1b[2Jtop - 12:00:01 up 3 days\x1b[K\r\n  PID USER\x1b[7m(END)\x1b[27m\x1b[24;1H";
  redactor.write(screen, out);
  redactor.releaseAfterPause(out);
  EXPECT_EQ(out, screen);
  redactor.write("\xe2\x94\x82 cpu \xe2\x94\x80\xe2\x94\x80\xe2\x94\x80", out);
  redactor.releaseAfterPause(out);
  EXPECT_EQ(out, screen + "\xe2\x94\x82 cpu \xe2\x94\x80\xe2\x94\x80\xe2\x94\x80") << "box drawing is not a token";
  const std::string half = kAwsAccessKey.substr(0, 10);
  redactor.write("\r\n\x1b[1;31m" + half, out);
  redactor.releaseAfterPause(out);
  EXPECT_EQ(out.find(half), std::string::npos);
  EXPECT_FALSE(redactor.pauseWouldRelease());
  redactor.write(kAwsAccessKey.substr(10) + "\x1b[0m\r\n", out);
  EXPECT_TRUE(out.ends_with("\r\n\x1b[1;31mkubegate:masked\x1b[0m\r\n")) << out;
}

// A shell session cut into random pieces with pauses at random places: no pause releases a
// secret's first kMinHeldWord characters or its end, and every line still arrives.
TEST(MaskStreamRedactor, RandomPiecesAndPausesNeverReleaseASecret) {
  const std::string text = "$ env | grep KEY\nAWS_ACCESS_KEY_ID=" + kAwsAccessKey + "\n$ cat token\n" + kJwt +
                           "\n$ cat creds\nDB_PASSWORD: s3cr3t-value-123 user: app\nkey " + kAwsAccessKey +
                           " end\n$ cat key.pem\n" + kPrivateKey + "\n$ ";
  const std::vector<std::string> secretParts = {kAwsAccessKey.substr(0, StreamRedactor::kMinHeldWord),
                                                kAwsAccessKey.substr(kAwsAccessKey.size() - 8),
                                                kJwt.substr(0, StreamRedactor::kMinHeldWord), kJwt.substr(kJwt.size() - 8),
                                                "s3c", "value-123", "MIIEowIBAAKCAQEA"};
  std::mt19937 random(11);
  for (int round = 0; round < 300; ++round) {
    StreamRedactor redactor(*all());
    std::string out;
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t length = 1 + random() % 40;
      redactor.write(std::string_view(text).substr(at, length), out);
      at += length;
      if (random() % 3 == 0) redactor.releaseAfterPause(out);
    }
    redactor.flush(out);
    for (const std::string& part : secretParts) EXPECT_EQ(out.find(part), std::string::npos) << part << " in " << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), std::count(text.begin(), text.end(), '\n') -
                                                              std::count(kPrivateKey.begin(), kPrivateKey.end(), '\n'));
    EXPECT_TRUE(out.ends_with("\n$ ")) << out;
  }
}

TEST(MaskStreamRedactor, PrivateKeyOverManyWritesIsOneMask) {
  const std::string text = "$ cat key.pem\n" + kPrivateKey + "\n$ ";
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size() - 1) + 1;
    lines.push_back(text.substr(at, end - at));
    at = end;
  }
  std::size_t redactions = 0;
  EXPECT_EQ(streamed(lines, &redactions), "$ cat key.pem\nkubegate:masked\n$ ");
  EXPECT_EQ(redactions, 1u);

  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  EXPECT_EQ(streamed(bytes), "$ cat key.pem\nkubegate:masked\n$ ");
}

TEST(MaskStreamRedactor, UnterminatedPrivateKeyMasksEverythingAfter) {
  StreamRedactor redactor(*all());
  std::string out;
  redactor.write("before\n-----BEGIN PRIVATE KEY-----\n", out);
  redactor.write("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n", out);
  redactor.flush(out);
  redactor.write("S2V5IG1hdGVyaWFs\nno end in sight\n", out);
  redactor.flush(out);
  EXPECT_EQ(out, "before\nkubegate:masked");
  redactor.write("-----END PRIV", out);
  redactor.write("ATE KEY-----\nvisible again\n", out);
  EXPECT_EQ(out, "before\nkubegate:masked\nvisible again\n");
}

TEST(MaskStreamRedactor, LongLineIsReleasedBeforeItEnds) {
  StreamRedactor redactor(*all());
  std::string out;
  const std::string words = repeated("lorem ipsum dolor sit amet ", 3 * Detectors::kMaxHeldBytes);
  redactor.write(words, out);
  EXPECT_GE(out.size(), words.size() - Detectors::kMaxHeldBytes);
  redactor.write("password=hunter2\n", out);
  EXPECT_FALSE(redactor.holding());
  EXPECT_EQ(out, words + "password=kubegate:masked\n");
}

TEST(MaskStreamRedactor, LongLineIsNotCutBetweenKeyAndValue) {
  // Without care, the split forced at kMaxHeldBytes would fall right after `password:`.
  const std::string line = repeated("abc ", Detectors::kMaxHeldBytes - 11) + " password: hunter2 and more\n";
  ASSERT_EQ(line.find("password: ") + 10, Detectors::kMaxHeldBytes);
  // Everything but the newline first: over the limit, so part of it must go out before the rest.
  EXPECT_EQ(streamed({line.substr(0, line.size() - 1), "\n"}), redacted(line));
  EXPECT_EQ(redacted(line).find("hunter2"), std::string::npos);
}

TEST(MaskStreamRedactor, CleanBytesPassUnchanged) {
  std::mt19937 random(7);
  std::string text;
  for (int i = 0; i < 200000; ++i) {
    // Control bytes, newlines and bytes that are not UTF-8; no letters or digits to match.
    const unsigned byte = random() % 64;
    text.push_back(static_cast<char>(byte < 32 ? byte : 0x80 + byte * 2));
  }
  text += "\nplain text and nothing else";
  ASSERT_FALSE(all()->any(text));
  std::vector<std::string> pieces;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = 1 + random() % 5000;
    pieces.push_back(text.substr(at, length));
    at += length;
  }
  std::size_t redactions = 7;
  EXPECT_EQ(streamed(pieces, &redactions), text);
  EXPECT_EQ(redactions, 0u);
}

}  // namespace
}  // namespace kubegate::mask
