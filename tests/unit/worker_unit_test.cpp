// White-box tests of the worker's pure helpers: Ruby's queue list semantics, the failure
// record, exception naming and the time formats the worker writes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <regex>
#include <stdexcept>

#include "queue_patterns.hpp"
#include "resque/failure.hpp"
#include "resque/json.hpp"
#include "resque/registry.hpp"
#include "time/timefmt.hpp"

using namespace resque;
using resque::detail::resolve_queues;
using V = std::vector<std::string>;

namespace app {
struct QuotaExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace app

namespace {
std::exception_ptr capture(void (*f)()) {
  try {
    f();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

class UtcZone : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    had_tz_ = tz != nullptr;
    if (had_tz_) old_tz_ = tz;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  void TearDown() override {
    if (had_tz_)
      ::setenv("TZ", old_tz_.c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }
  bool had_tz_ = false;
  std::string old_tz_;
};
using FailureRecordFormat = UtcZone;
using WorkerTimeFormats = UtcZone;
}  // namespace

TEST(ResolveQueues, LiteralNamesKeepPriorityOrder) {
  // Literal queues are polled even when `queues` does not list them (Ruby does the same).
  EXPECT_EQ(resolve_queues({"c", "a", "b"}, {}), (V{"c", "a", "b"}));
  EXPECT_EQ(resolve_queues({"c", "a", "b"}, {"a", "b", "c", "d"}), (V{"c", "a", "b"}));
}

TEST(ResolveQueues, StarIsEveryKnownQueueInByteOrder) {
  EXPECT_EQ(resolve_queues({"*"}, {"c", "a", "b"}), (V{"a", "b", "c"}));
  // Byte order, not locale order: upper case before '_' before lower case.
  EXPECT_EQ(resolve_queues({"*"}, {"a", "_x", "B", "b2", "b10"}), (V{"B", "_x", "a", "b10", "b2"}));
  EXPECT_TRUE(resolve_queues({"*"}, {}).empty());
}

TEST(ResolveQueues, LiteralBeforeStarAndDuplicatesDropped) {
  EXPECT_EQ(resolve_queues({"b", "*"}, {"a", "b", "c"}), (V{"b", "a", "c"}));
  EXPECT_EQ(resolve_queues({"a", "b", "a"}, {}), (V{"a", "b"}));
  EXPECT_EQ(resolve_queues({"*", "*"}, {"b", "a"}), (V{"a", "b"}));
}

TEST(ResolveQueues, GlobsMatchAndSortEachPattern) {
  const V known{"mail_b", "other", "mail_a", "sms_1", "mail"};
  EXPECT_EQ(resolve_queues({"mail_*"}, known), (V{"mail_a", "mail_b"}));
  // Each pattern's matches are sorted; the patterns keep their listed order.
  EXPECT_EQ(resolve_queues({"sms_*", "mail_*"}, known), (V{"sms_1", "mail_a", "mail_b"}));
  EXPECT_EQ(resolve_queues({"mail_?"}, known), (V{"mail_a", "mail_b"}));
  EXPECT_EQ(resolve_queues({"mail_[b]"}, known), (V{"mail_b"}));
}

TEST(ResolveQueues, ExclusionsRemoveMatches) {
  const V known{"high", "low", "low_bulk", "mid"};
  EXPECT_EQ(resolve_queues({"*", "!low"}, known), (V{"high", "low_bulk", "mid"}));
  EXPECT_EQ(resolve_queues({"*", "!low*"}, known), (V{"high", "mid"}));
  // An exclusion also removes a literal name, wherever the exclusion is listed.
  EXPECT_EQ(resolve_queues({"!mid", "mid", "high"}, known), (V{"high"}));
}

TEST(ResolveQueues, DynamicOnlyWithGlobsOrExclusions) {
  EXPECT_FALSE(detail::queues_are_dynamic({"a", "b"}));
  EXPECT_TRUE(detail::queues_are_dynamic({"a", "*"}));
  EXPECT_TRUE(detail::queues_are_dynamic({"mail_?"}));
  EXPECT_TRUE(detail::queues_are_dynamic({"a", "!b"}));
}

// The Ruby record through the one encoder (resque/failure.hpp).
std::string record(const std::string& payload, const std::string& exc, const std::string& err,
                   std::vector<std::string> backtrace, const std::string& worker,
                   const std::string& queue) {
  return encode_failure({{}, payload, exc, err, std::move(backtrace), worker, queue});
}

TEST_F(FailureRecordFormat, RubyFieldOrderAndFormats) {
  const std::string payload = R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})";
  const std::string rec =
      record(payload, "std::runtime_error", "boom", {"frame 1"}, "h:1:exports", "exports");
  const Json j = Json::parse(rec);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys,
            (V{"failed_at", "payload", "exception", "error", "backtrace", "worker", "queue"}));
  EXPECT_TRUE(std::regex_match(j["failed_at"].get<std::string>(),
                               std::regex(R"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} UTC)")))
      << j["failed_at"];
  // The payload object is embedded exactly as stored, not re-encoded.
  EXPECT_NE(rec.find(",\"payload\":" + payload + ","), std::string::npos) << rec;
  EXPECT_EQ(j["exception"], "std::runtime_error");
  EXPECT_EQ(j["error"], "boom");
  EXPECT_EQ(j["backtrace"], Json::array({"frame 1"}));
  EXPECT_EQ(j["worker"], "h:1:exports");
  EXPECT_EQ(j["queue"], "exports");
}

TEST_F(FailureRecordFormat, FailedAtIsLocalTimeWithZoneAbbreviation) {
  ::setenv("TZ", "CET-1CEST", 1);
  ::tzset();
  const Json j = Json::parse(record("{}", "E", "m", {}, "w", "q"));
  EXPECT_TRUE(std::regex_match(j["failed_at"].get<std::string>(),
                               std::regex(R"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} CES?T)")))
      << j["failed_at"];
}

TEST_F(FailureRecordFormat, PayloadThatIsNotJsonIsKeptAsString) {
  const std::string rec = record("not json{", "E", "m", {}, "w", "q");
  const Json j = Json::parse(rec);
  EXPECT_EQ(j["payload"], "not json{");
  // A JSON value that is not an object is embedded as it is.
  EXPECT_EQ(Json::parse(record("[1,2]", "E", "m", {}, "w", "q"))["payload"], Json::array({1, 2}));
}

TEST_F(FailureRecordFormat, PayloadWithANulByteIsKeptAsAStringSoTheRecordStaysJson) {
  const std::string payload = std::string(R"({"class":"Noop","args":[]})") + std::string("\0x", 2);
  const std::string rec = record(payload, "E", "m", {}, "w", "q");
  Json j;
  ASSERT_NO_THROW(j = Json::parse(rec)) << rec;
  EXPECT_TRUE(j["payload"].is_string());
}

TEST_F(FailureRecordFormat, InvalidUtf8MessageStillGivesValidJson) {
  const std::string rec = record("{}", "E", "bad \xff\xfe bytes", {}, "w", "q");
  Json j;
  ASSERT_NO_THROW(j = Json::parse(rec)) << rec;
  EXPECT_TRUE(j["error"].is_string());
}

TEST_F(FailureRecordFormat, UnknownQueueIsNull) {
  const Json j = Json::parse(encode_failure({{}, "{}", "E", "m", {}, "w", std::nullopt}));
  EXPECT_TRUE(j["queue"].is_null());
}

TEST_F(FailureRecordFormat, NodeRetryRecordHasNodesFields) {
  const Json j = Json::parse(
      encode_node_retry_failure("Export", "exports", Json::array({1, "x"}), "E: boom \xff"));
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys,
            (V{"failed_at", "payload", "exception", "error", "backtrace", "worker", "queue"}));
  EXPECT_EQ(j["payload"], Json::array({1, "x"}));
  EXPECT_EQ(j["worker"], "Export");  // node writes the class name there
  EXPECT_TRUE(std::regex_match(j["failed_at"].get<std::string>(),
                               std::regex(R"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})")))
      << j["failed_at"];
}

TEST(DescribeException, StdExceptionsAreDemangled) {
  auto [exc, err] = describe_exception(capture([] { throw std::runtime_error("boom"); }));
  EXPECT_EQ(exc, "std::runtime_error");
  EXPECT_EQ(err, "boom");
  auto [exc2, err2] = describe_exception(capture([] { throw std::out_of_range("idx"); }));
  EXPECT_EQ(exc2, "std::out_of_range");
  EXPECT_EQ(err2, "idx");
}

TEST(DescribeException, UserTypesAreDemangled) {
  auto [exc, err] = describe_exception(capture([] { throw app::QuotaExceeded("over quota"); }));
  EXPECT_EQ(exc, "app::QuotaExceeded");
  EXPECT_EQ(err, "over quota");
  auto [exc2, err2] =
      describe_exception(capture([] { throw ArgumentError("X expects 1 argument"); }));
  EXPECT_EQ(exc2, "resque::ArgumentError");
  EXPECT_EQ(err2, "X expects 1 argument");
}

TEST(DescribeException, NonStdThrowsNameTheirType) {
  auto [exc, err] = describe_exception(capture([] { throw 42; }));
  EXPECT_EQ(exc, "int");
  EXPECT_FALSE(err.empty());
  auto [exc2, err2] = describe_exception(capture([] { throw "text"; }));
  EXPECT_EQ(exc2, "char const*");
}

TEST_F(WorkerTimeFormats, RubyFormats) {
  const auto t = std::chrono::system_clock::from_time_t(1795848410);  // 2026-11-28 06:46:50 UTC
  EXPECT_EQ(detail::iso_utc_z(t), "2026-11-28T06:46:50Z");
  EXPECT_EQ(detail::iso_offset(t), "2026-11-28T06:46:50+00:00");
  EXPECT_EQ(detail::ruby_started(t), "2026-11-28 06:46:50 +0000");
  EXPECT_EQ(detail::ruby_failed_at(t), "2026/11/28 06:46:50 UTC");
  EXPECT_EQ(detail::parse_time("2026-11-28T06:46:50+00:00"), t);
}
