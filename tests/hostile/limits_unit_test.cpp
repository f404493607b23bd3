// Depth and size limits on JSON from Redis (issue 12): nothing recursive without a bound.
// Built with PRIVATE (reaches src/json_limits.hpp and src/protocol/).
#include <gtest/gtest.h>

#include <string>

#include "json_limits.hpp"
#include "protocol/worker.hpp"
#include "resque/error.hpp"
#include "resque/failure.hpp"
#include "resque/job.hpp"
#include "resque/json.hpp"
#include "time/cron.hpp"
#include "time/timefmt.hpp"

using namespace resque;

namespace {
std::string nested(std::size_t depth, const std::string& inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}
}  // namespace

TEST(JsonLimits, DepthCountsBracketsOutsideStringsOnly) {
  EXPECT_EQ(detail::json_text_depth("1"), 0u);
  EXPECT_EQ(detail::json_text_depth("[1,{\"a\":[2]}]"), 3u);
  EXPECT_EQ(detail::json_text_depth("[\"[[[[{{{\"]"), 1u);
  EXPECT_EQ(detail::json_text_depth(R"(["\"[[[", {"k\\":[1]}])"), 3u);
  // Unbalanced closers never wrap the count around.
  EXPECT_EQ(detail::json_text_depth("]]]][["), 2u);
  // It stops as soon as the limit is passed.
  EXPECT_EQ(detail::json_text_depth(nested(100000), 10), 11u);
}

TEST(JsonLimits, DecodeAcceptsTheLimitAndRefusesOneMore) {
  EXPECT_NO_THROW(decode_json(nested(detail::kMaxJsonDepth)));
  try {
    decode_json(nested(detail::kMaxJsonDepth + 1));
    FAIL() << "513 levels decoded";
  } catch (const EncodingError& e) {
    EXPECT_NE(std::string(e.what()).find("deeper than 512"), std::string::npos) << e.what();
  }
}

TEST(JsonLimits, HundredThousandDeepPayloadIsAnEncodingErrorNotACrash) {
  const std::string args = nested(100000);
  const std::string payload = "{\"class\":\"Typed\",\"args\":" + args + "}";
  EXPECT_THROW(decode_json(payload), EncodingError);
  EXPECT_THROW(decode_payload(payload), EncodingError);
  EXPECT_FALSE(protocol::decode_status("{\"queue\":\"q\",\"payload\":" + payload + "}"));
  EXPECT_FALSE(protocol::decode_ping(nested(100000)).time);
  EXPECT_TRUE(decode_failure(payload).is_null());
}

TEST(JsonLimits, FailureRecordKeepsATooDeepPayloadAsAString) {
  const std::string payload = "{\"class\":\"Typed\",\"args\":" + nested(100000) + "}";
  const std::string record =
      encode_failure({"", payload, "EncodingError", "too deep", {}, "w", "q"});
  const Json r = decode_json(record);  // the record itself stays shallow and decodable
  ASSERT_TRUE(r["payload"].is_string());
  EXPECT_EQ(r["payload"].get<std::string>(), payload);  // every byte kept
  // A payload within the limits is still embedded as JSON.
  const std::string ok = "{\"class\":\"A\",\"args\":" + nested(10) + "}";
  const Json r2 = decode_json(encode_failure({"", ok, "E", "e", {}, "w", "q"}));
  EXPECT_TRUE(r2["payload"].is_object());
  // At exactly the limit the payload decodes, but the record around it would not: a string.
  const std::string edge = nested(detail::kMaxJsonDepth);
  const Json r3 = decode_json(encode_failure({"", edge, "E", "e", {}, "w", "q"}));
  EXPECT_EQ(r3["payload"], edge);
}

TEST(JsonLimits, EncodeRefusesATreeBuiltTooDeepInProcess) {
  Json v = 1;
  for (int i = 0; i < 100000; ++i) {
    Json outer = Json::array();
    outer.push_back(std::move(v));
    v = std::move(outer);
  }
  EXPECT_THROW(encode_json(v), EncodingError);
  Job job{"Deep", "q", Json::array({std::move(v)}), Json::object()};
  EXPECT_THROW(encode_payload(job), EncodingError);
}

TEST(JsonLimits, SizeLimit) {
  EXPECT_THROW(detail::check_json_limits("[1,2,3]", 10, 5), EncodingError);
  EXPECT_NO_THROW(detail::check_json_limits("[1,2,3]", 10, 7));
  EXPECT_FALSE(detail::within_json_limits("[[1]]", 1));
  EXPECT_TRUE(detail::within_json_limits("[[1]]", 2));
}

TEST(JsonLimits, TruncateForRecordKeepsWholeCharactersAndSaysHowMuchWasCut) {
  EXPECT_EQ(detail::truncate_for_record("short", 10), "short");
  const std::string s =
      "ab\xC3\xA9"
      "cdef";  // "abécdef", é is 2 bytes at offset 2
  const std::string t = detail::truncate_for_record(s, 3);
  EXPECT_EQ(t.rfind("ab...", 0), 0u) << t;
  EXPECT_NE(t.find("6 more bytes"), std::string::npos) << t;
}

// Regression inputs of the fuzzers (fuzz/corpus/ keeps them too).
TEST(FuzzRegressions, EpochSecondsPastTimePointRangeAreUnreadable) {
  EXPECT_FALSE(detail::parse_time("202022020222"));  // fuzz_ping: signed overflow in chrono
  EXPECT_FALSE(protocol::decode_heartbeat("999999999999"));
  EXPECT_FALSE(detail::parse_time("1026-01-01 00:00:00 +0000"));  // and before ~1678
  EXPECT_FALSE(detail::parse_time("9999-01-01T00:00:00Z"));
  EXPECT_TRUE(detail::parse_time("1767225600"));
}

TEST(FuzzRegressions, EveryBeyondAThousandYearsIsAConfigError) {
  // fuzz_cron: a double past 2^63 converted to int64.
  EXPECT_THROW(detail::parse_every_seconds("1444444444444444444444"), ConfigError);
  EXPECT_THROW(detail::parse_every_seconds("99999999999999999999y"), ConfigError);
  EXPECT_EQ(detail::parse_every_seconds("1000y"), 1000LL * 365 * 86400);
}
