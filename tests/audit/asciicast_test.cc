// asciicast v2 lines as the recorder writes them, exact bytes through invalid and split UTF-8,
// the reader, and replay at the recorded pace with a fake clock.
#include "audit/asciicast.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kubegate::audit {
namespace {

TEST(Asciicast, HeaderLine) {
  AsciicastHeader header{.width = 120, .height = 40, .timestamp = 1700000000, .command = "sh -c \"ls\"",
                         .term = "xterm-256color"};
  EXPECT_EQ(asciicastHeaderLine(header),
            "{\"version\": 2, \"width\": 120, \"height\": 40, \"timestamp\": 1700000000, \"command\": \"sh -c \\\"ls\\\"\", "
            "\"env\": {\"TERM\": \"xterm-256color\"}}\n");
}

TEST(Asciicast, EventLineEscapesControlCharacters) {
  AsciicastWriter writer;
  EXPECT_EQ(writer.event(1500000, "o", "a\"b\\\r\n\x1b[0m\x7f"),
            "[1.500000, \"o\", \"a\\\"b\\\\\\r\\n\\u001b[0m\\u007f\"]\n");
  EXPECT_EQ(writer.event(12, "i", "\xC3\xA9"), "[0.000012, \"i\", \"\xC3\xA9\"]\n");
}

TEST(Asciicast, CarriesSplitUtf8ToNextEventOfSameStream) {
  AsciicastWriter writer;
  EXPECT_EQ(writer.event(1000000, "o", "price \xE2\x82"), "[1.000000, \"o\", \"price \"]\n");
  EXPECT_EQ(writer.carriedBytes(), 2u);
  // Another stream's event does not take the carried bytes.
  EXPECT_EQ(writer.event(1100000, "e", "err"), "[1.100000, \"e\", \"err\"]\n");
  EXPECT_EQ(writer.event(1200000, "o", "\xAC!"), "[1.200000, \"o\", \"\xE2\x82\xAC!\"]\n");
  EXPECT_EQ(writer.event(1300000, "o", "\xF0\x9F"), "");
  EXPECT_EQ(writer.event(1400000, "o", "\x98"), "");
  EXPECT_EQ(writer.event(1500000, "o", "\x80"), "[1.500000, \"o\", \"\xF0\x9F\x98\x80\"]\n");
  EXPECT_EQ(writer.carriedBytes(), 0u);
}

TEST(Asciicast, KeepsInvalidBytesAsBase64) {
  AsciicastWriter writer;
  EXPECT_EQ(writer.event(0, "o", "a\xFF" "b\xC0\xAF"),
            "[0.000000, \"o\", \"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\", {\"b64\": \"Yf9iwK8=\"}]\n");
  // A carried start that the next event does not continue is invalid too.
  EXPECT_EQ(writer.event(1, "o", "\xE2"), "");
  EXPECT_EQ(writer.event(2, "o", "x"), "[0.000002, \"o\", \"\xEF\xBF\xBDx\", {\"b64\": \"4ng=\"}]\n");
  EXPECT_EQ(writer.event(3, "x", "\xE2\x82"), "");
  EXPECT_EQ(writer.flush(4, "x"), "[0.000004, \"x\", \"\xEF\xBF\xBD\", {\"b64\": \"4oI=\"}]\n");
  EXPECT_EQ(writer.flush(5, "x"), "");
}

TEST(Asciicast, ReaderReturnsExactBytes) {
  AsciicastWriter writer;
  std::string text = asciicastHeaderLine({.width = 100, .height = 30, .timestamp = 5, .command = "bash", .term = "t"});
  text += writer.event(250000, "o", "ok \xE2\x82");
  text += writer.event(500000, "o", "\xAC \xFF\xFE\n");
  text += writer.event(750000, "r", "90x20");
  text += writer.flush(800000, "o");
  std::string error;
  const std::optional<AsciicastRecording> recording = parseAsciicast(text, &error);
  ASSERT_TRUE(recording) << error;
  EXPECT_EQ(recording->header.width, 100);
  EXPECT_EQ(recording->header.height, 30);
  EXPECT_EQ(recording->header.timestamp, 5);
  EXPECT_EQ(recording->header.command, "bash");
  EXPECT_EQ(recording->header.term, "t");
  ASSERT_EQ(recording->events.size(), 3u);
  EXPECT_DOUBLE_EQ(recording->events[0].time, 0.25);
  EXPECT_EQ(recording->events[0].data, "ok ");
  EXPECT_EQ(recording->events[1].data, "\xE2\x82\xAC \xFF\xFE\n");
  EXPECT_EQ(recording->events[2].code, "r");
  EXPECT_EQ(recording->events[2].data, "90x20");
}

TEST(Asciicast, ReaderRejectsWhatIsNotARecording) {
  std::string error;
  EXPECT_FALSE(parseAsciicast("", &error));
  EXPECT_EQ(error, "no asciicast header");
  EXPECT_FALSE(parseAsciicast("{\"version\": 1}\n", &error));
  EXPECT_FALSE(parseAsciicast("{\"version\": 2}\n[1, \"o\"]\n", &error));
  EXPECT_EQ(error, "line 2 is not an asciicast event");
  EXPECT_FALSE(parseAsciicast("{\"version\": 2}\n[1, \"o\", \"x\", {\"b64\": \"!!\"}]\n", &error));
  EXPECT_FALSE(parseAsciicast("{\"version\": 2}\nnot json\n", &error));
  EXPECT_TRUE(parseAsciicast("{\"version\": 2}\n\n[1, \"o\", \"x\"]\n"));
}

struct ReplayLog {
  std::string out;
  std::string err;
  std::vector<long long> sleeps;
  ReplayCallbacks callbacks() {
    return {[this](std::string_view s) { out += s; }, [this](std::string_view s) { err += s; },
            [this](std::chrono::microseconds d) { sleeps.push_back(d.count()); }};
  }
};

const std::vector<AsciicastEvent> kEvents = {
    {0.5, "o", "one"}, {0.6, "i", "typed"}, {1.5, "e", "two"}, {11.5, "o", "three"}, {11.5, "r", "80x24"},
    {12.0, "x", "{}"}, {12.25, "o", "\xFF"}};

TEST(Asciicast, ReplayKeepsThePaceAndSeparatesStreams) {
  ReplayLog log;
  replaySession(kEvents, 1.0, 0, log.callbacks());
  EXPECT_EQ(log.out, "onethree\xFF");
  EXPECT_EQ(log.err, "two");
  EXPECT_EQ(log.sleeps, (std::vector<long long>{500000, 1000000, 10000000, 750000}));
}

TEST(Asciicast, ReplaySpeedAndIdleCap) {
  ReplayLog fast;
  replaySession(kEvents, 2.0, 2.0, fast.callbacks());
  EXPECT_EQ(fast.sleeps, (std::vector<long long>{250000, 500000, 1000000, 375000}));
  ReplayLog instant;
  replaySession(kEvents, 0, 0, instant.callbacks());
  EXPECT_TRUE(instant.sleeps.empty());
  EXPECT_EQ(instant.out, "onethree\xFF");
}


}  // namespace
}  // namespace kubegate::audit
