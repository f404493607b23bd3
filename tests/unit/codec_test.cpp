// The wire codec. Every expected string below was produced by node v20 with
// `node -e 'console.log(JSON.stringify(<value>))'` when these tests were written, and is
// hard-coded so that the unit tests need no node.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "resque/error.hpp"
#include "resque/job.hpp"
#include "resque/json.hpp"

using namespace std::string_literals;
using resque::ConfigError;
using resque::decode_json;
using resque::decode_payload;
using resque::Dialect;
using resque::encode_delayed;
using resque::encode_json;
using resque::encode_payload;
using resque::encode_ruby_delayed;
using resque::encode_ruby_payload;
using resque::EncodingError;
using resque::Job;
using resque::js_number;
using resque::Json;
using resque::ruby_number;

namespace {

// The message of the EncodingError that `f` throws ("" when it throws nothing).
template <class F>
std::string encoding_error(F f) {
  try {
    f();
  } catch (const EncodingError& e) {
    return e.what();
  }
  return "";
}

std::string enc_double(double d) {
  return encode_json(Json(d));
}

}  // namespace

// ---- numbers ------------------------------------------------------------------------------

TEST(EncodeJson, Integers) {
  EXPECT_EQ(encode_json(Json(0)), "0");
  EXPECT_EQ(encode_json(Json(-1)), "-1");
  EXPECT_EQ(encode_json(Json(42u)), "42");
  // Integers are written exactly over the whole 64-bit range. node itself cannot hold them
  // (JSON.stringify(2**53+1) gives "9007199254740992", INT64_MIN "-9223372036854776000",
  // UINT64_MAX "18446744073709552000"); exact digits are what Ruby writes and what node's
  // JSON.parse reads back to the same double, so nothing is lost by writing them exactly.
  EXPECT_EQ(encode_json(Json(std::int64_t{9007199254740993})), "9007199254740993");
  EXPECT_EQ(encode_json(Json(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(encode_json(Json(std::numeric_limits<std::uint64_t>::max())), "18446744073709551615");
}

TEST(EncodeJson, DoublesAsJavaScriptPrintsThem) {
  EXPECT_EQ(enc_double(1.0), "1");
  EXPECT_EQ(enc_double(0.1), "0.1");
  EXPECT_EQ(enc_double(1e21), "1e+21");
  EXPECT_EQ(enc_double(1e20), "100000000000000000000");
  EXPECT_EQ(enc_double(1.5e-7), "1.5e-7");
  EXPECT_EQ(enc_double(1e-6), "0.000001");
  EXPECT_EQ(enc_double(1e-7), "1e-7");
  EXPECT_EQ(enc_double(123.456), "123.456");
  EXPECT_EQ(enc_double(-0.0), "0");
  EXPECT_EQ(enc_double(5e-324), "5e-324");
  EXPECT_EQ(enc_double(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(enc_double(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(enc_double(-1e-7), "-1e-7");
  EXPECT_EQ(enc_double(1e-5), "0.00001");
  EXPECT_EQ(enc_double(123e-20), "1.23e-18");
  EXPECT_EQ(enc_double(2.5), "2.5");
  EXPECT_EQ(enc_double(-3.75e-10), "-3.75e-10");
  EXPECT_EQ(enc_double(0.000001234), "0.000001234");
  EXPECT_EQ(enc_double(1e300), "1e+300");
  EXPECT_EQ(enc_double(4.35), "4.35");
  EXPECT_EQ(enc_double(1.2345678901234567e+21), "1.2345678901234568e+21");
  EXPECT_EQ(enc_double(9.999999999999999e20), "999999999999999900000");
  EXPECT_EQ(enc_double(9223372036854775808.0), "9223372036854776000");
  EXPECT_EQ(enc_double(18446744073709551616.0), "18446744073709552000");
  EXPECT_EQ(enc_double(1e16), "10000000000000000");
  EXPECT_EQ(enc_double(12345678901234567890.0), "12345678901234567000");
  EXPECT_EQ(js_number(-2.5), "-2.5");
}

// Every expected string below was printed by Ruby 3.1's JSON.generate (json 2.6.1, which writes
// Float#to_s): `ruby -rjson -e 'puts JSON.generate([1.0, ...])'`.
TEST(EncodeJson, DoublesAsRubyPrintsThem) {
  const std::vector<std::pair<double, const char*>> cases = {
      {1.0, "1.0"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {100.0, "100.0"},
      {1e20, "1.0e+20"},
      {1e15, "1.0e+15"},
      {1e14, "100000000000000.0"},
      {1e16, "1.0e+16"},
      {1e-4, "0.0001"},
      {1e-5, "1.0e-05"},
      {0.1, "0.1"},
      {0.001, "0.001"},
      {0.00012, "0.00012"},
      {0.00001234, "1.234e-05"},
      {123.456, "123.456"},
      {2.5, "2.5"},
      {-0.125, "-0.125"},
      {2.5e-7, "2.5e-07"},
      {1e-7, "1.0e-07"},
      {123456789012345.6, "123456789012345.6"},
      {1234567890123456.8, "1234567890123456.8"},
      {123456789012345.0, "123456789012345.0"},
      {999999999999999.0, "999999999999999.0"},
      {1234567890123456.0, "1.234567890123456e+15"},
      {12345678901234567.8, "1.2345678901234568e+16"},
      {9007199254740993.0, "9.007199254740992e+15"},
      {1.5e15, "1.5e+15"},
      {-1e16, "-1.0e+16"},
      {1e22, "1.0e+22"},
      {1e100, "1.0e+100"},
      {1.5e300, "1.5e+300"},
      {5e-324, "5.0e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {0.1 + 0.2, "0.30000000000000004"},
  };
  for (const auto& [d, want] : cases) {
    EXPECT_EQ(ruby_number(d), want) << d;
    EXPECT_EQ(encode_json(Json(d), Dialect::ruby), want) << d;
  }
  // Everything else is written as in the node dialect (integers, strings, literals).
  const Json mixed = decode_json(R"([0,-1,18446744073709551615,"a/bé",true,null,{"k":[]}])");
  EXPECT_EQ(encode_json(mixed, Dialect::ruby), encode_json(mixed));
  // NaN and infinities are refused in both dialects.
  EXPECT_NE(encoding_error(
                [] { encode_json(Json(std::numeric_limits<double>::quiet_NaN()), Dialect::ruby); }),
            "");
}

// An integer literal beyond 64 bits (a Ruby bignum) is never made a double: decoded as a big
// integer, written back as the same digits in either dialect, equal only to itself.
TEST(DecodeJson, BigIntegersKeepTheirDigits) {
  const std::string text =
      R"([18446744073709551616,-9223372036854775809,1180591620717411303424,)"
      R"({"n":-123456789012345678901234567890},18446744073709551615,-9223372036854775808])";
  const Json v = decode_json(text);
  ASSERT_TRUE(v.is_array());
  EXPECT_TRUE(resque::is_big_integer(v[0]));
  EXPECT_FALSE(v[0].is_number());
  EXPECT_EQ(resque::big_integer_text(v[0]), "18446744073709551616");
  EXPECT_EQ(resque::big_integer_text(v[1]), "-9223372036854775809");
  EXPECT_EQ(resque::big_integer_text(v[3]["n"]), "-123456789012345678901234567890");
  // The 64-bit edges stay ordinary integers.
  EXPECT_TRUE(v[4].is_number_unsigned());
  EXPECT_TRUE(v[5].is_number_integer());
  EXPECT_EQ(encode_json(v), text);
  EXPECT_EQ(encode_json(v, Dialect::ruby), text);
  EXPECT_EQ(v[0], resque::big_integer("18446744073709551616"));
  EXPECT_NE(v[0], Json(18446744073709551616.0));
  EXPECT_EQ(resque::big_integer_text(Json(1)), "");
  EXPECT_THROW(resque::big_integer("1.5"), EncodingError);
  EXPECT_THROW(resque::big_integer("-"), EncodingError);
  // Literals with a fraction or exponent are doubles, as before.
  EXPECT_TRUE(decode_json("[1e19]")[0].is_number_float());
  EXPECT_TRUE(decode_json("[18446744073709551616.0]")[0].is_number_float());
  // Other binary values still cannot be JSON.
  EXPECT_NE(encoding_error([] { encode_json(Json::binary({1, 2})); }), "");
  // Through a payload: the job's args hold it, and re-encoding keeps the bytes.
  const std::string payload = R"({"class":"Big","args":[18446744073709551621,1.0]})";
  EXPECT_EQ(encode_payload(decode_payload(payload)), payload);
}

TEST(EncodeJson, NonFiniteNumbersNameThePath) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::string msg = encoding_error([&] { encode_json(Json::array({1, nan})); });
  EXPECT_NE(msg.find("[1]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("NaN"), std::string::npos) << msg;
  msg = encoding_error([&] { encode_json(Json{{"a", Json::array({Json{{"b", -inf}}})}}); });
  EXPECT_NE(msg.find("a[0].b"), std::string::npos) << msg;
  EXPECT_NE(msg.find("infinite"), std::string::npos) << msg;
  EXPECT_NE(encoding_error([&] { encode_json(Json(inf)); }), "");

  // Through the payload encoder the path starts at "args".
  Job job;
  job.klass = "ExportJob";
  job.queue = "exports";
  job.args = Json::array({42, nan});
  msg = encoding_error([&] { encode_payload(job); });
  EXPECT_NE(msg.find("args[1]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ExportJob"), std::string::npos) << msg;
  EXPECT_NE(encoding_error([&] { encode_ruby_payload(job); }), "");
  EXPECT_NE(encoding_error([&] { encode_ruby_delayed(job); }), "");
}

// ---- strings ------------------------------------------------------------------------------

TEST(EncodeJson, SlashAndUnicodeStayRaw) {
  EXPECT_EQ(encode_json(Json("a/b")), R"("a/b")");
  EXPECT_EQ(encode_json(Json("\xc3\xa9")), "\"\xc3\xa9\"");                                  // é
  EXPECT_EQ(encode_json(Json("\xe6\x97\xa5\xe6\x9c\xac")), "\"\xe6\x97\xa5\xe6\x9c\xac\"");  // 日本
  EXPECT_EQ(encode_json(Json("\xf0\x9f\x98\x80")), "\"\xf0\x9f\x98\x80\"");                  // 😀
  // U+2028 / U+2029 / DEL are written raw by JSON.stringify (hex 22 e280a8 e280a9 7f 22).
  EXPECT_EQ(encode_json(Json("\xe2\x80\xa8\xe2\x80\xa9\x7f")), "\"\xe2\x80\xa8\xe2\x80\xa9\x7f\"");
}

TEST(EncodeJson, ControlCharactersQuotesBackslashes) {
  EXPECT_EQ(encode_json(Json("\0\x1f\b\f\n\r\t"s)), R"("\u0000\u001f\b\f\n\r\t")");
  EXPECT_EQ(encode_json(Json("\x01\x0b\x0e\x1b"s)), R"("\u0001\u000b\u000e\u001b")");
  EXPECT_EQ(encode_json(Json("q\"b\\s")), R"("q\"b\\s")");
  EXPECT_EQ(encode_json(Json("")), R"("")");
}

TEST(EncodeJson, InvalidUtf8IsRefused) {
  const char* bad[] = {
      "\xff",              // never valid
      "a\x80",             // lone continuation byte
      "\xc0\xaf",          // overlong '/'
      "\xe0\x80\xaf",      // overlong, 3 bytes
      "\xed\xa0\x80",      // UTF-16 surrogate D800
      "\xe6\x97",          // truncated 日
      "\xf0\x9f\x98",      // truncated emoji
      "\xf4\x90\x80\x80",  // above U+10FFFF
  };
  for (const char* s : bad) {
    const std::string msg = encoding_error([&] { encode_json(Json::array({"ok", s})); });
    EXPECT_NE(msg.find("[1]"), std::string::npos) << "input " << testing::PrintToString(s);
    EXPECT_NE(msg.find("UTF-8"), std::string::npos) << msg;
  }
  // In an object key too.
  EXPECT_NE(encoding_error([&] { encode_json(Json{{"\xff", 1}}); }), "");
}

// ---- structure ----------------------------------------------------------------------------

TEST(EncodeJson, NestedObjectsKeepKeyOrder) {
  Json v = Json::object();
  v["b"] = 1;
  v["a"] = Json{{"z", Json::array({1, Json{{"y", nullptr}, {"x", true}}})}, {"c", false}};
  v[""] = Json::array();
  EXPECT_EQ(encode_json(v), R"({"b":1,"a":{"z":[1,{"y":null,"x":true}],"c":false},"":[]})");
}

TEST(EncodeJson, EmptyContainers) {
  EXPECT_EQ(encode_json(Json::array()), "[]");
  EXPECT_EQ(encode_json(Json::object()), "{}");
  EXPECT_EQ(encode_json(Json::array({Json::array(), Json::object()})), "[[],{}]");
  EXPECT_EQ(encode_json(Json(nullptr)), "null");
  EXPECT_EQ(encode_json(Json(true)), "true");
}

TEST(EncodeJson, ArrayIndexKeysComeFirstAsInJavaScript) {
  // JavaScript objects list integer-index keys (0 .. 2^32-2) first, ascending, then the other
  // keys in insertion order; JSON.stringify(JSON.parse(<this input>)) gives the expected text.
  // node-resque's byte-matching operations (del, removeFailed, lock keys) depend on it.
  const Json v = decode_json(
      R"({"b":1,"2":2,"1":3,"01":4,"-1":5,"4294967294":6,"4294967295":7,"1.5":8,"a":9})");
  EXPECT_EQ(encode_json(v),
            R"({"1":3,"2":2,"4294967294":6,"b":1,"01":4,"-1":5,"4294967295":7,"1.5":8,"a":9})");
  EXPECT_EQ(encode_json(decode_json(R"({"10":1,"9":2,"0":3})")), R"({"0":3,"9":2,"10":1})");
}

TEST(DecodeJson, RoundTripsAndRefuses) {
  const std::string text =
      R"({"s":"\u00e9\ud83d\ude00\u2028","n":[0,-1,1.5,1e-7,18446744073709551615,-9223372036854775808]})";
  EXPECT_EQ(encode_json(decode_json(text)),
            "{\"s\":\"\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\",\"n\":[0,-1,1.5,1e-7,"
            "18446744073709551615,-9223372036854775808]}");
  EXPECT_THROW(decode_json("{"), EncodingError);
  EXPECT_THROW(decode_json(""), EncodingError);
  EXPECT_THROW(decode_json("[1,]"), EncodingError);
  EXPECT_THROW(decode_json("\"\xff\""), EncodingError);  // invalid UTF-8 inside a string
  EXPECT_THROW(decode_json("[1e400]"), EncodingError);   // beyond double range
  EXPECT_THROW(decode_json("[1] x"), EncodingError);
}

TEST(DecodeJson, ANulByteAnywhereIsRefused) {
  // A complete payload followed by a NUL and junk must not decode as the payload (hostile
  // input: the job would be performed as if its bytes were clean).
  const std::string trailing =
      std::string(R"({"class":"Noop","args":[]})") + std::string("\0junk", 5);
  EXPECT_THROW(decode_json(trailing), EncodingError);
  EXPECT_THROW(decode_payload(trailing), EncodingError);
  EXPECT_THROW(decode_json(std::string("[1]\0", 4)), EncodingError);
  EXPECT_THROW(decode_json(std::string("[\"a\0b\"]", 7)), EncodingError);
}

TEST(DecodeJson, LongStringsDecodeAsTheParserReadsThem) {
  // Long plain strings take a faster path (json.cpp): every shape must decode exactly as the
  // byte-by-byte parser reads it, and what it refuses stays refused.
  const std::string big(5000, 'x');
  const std::string big2 = std::string(4095, 'a') + "/b{}[],:";
  Json want = Json::object();
  want["a"] = Json::array({big, 1, big2, Json::object({{"k", big}}), "short"});
  want["b"] = big + "tail";
  const std::string text = encode_json(want);
  EXPECT_EQ(decode_json(text), want);
  // Escapes, non-ASCII and control characters inside a long string: the plain parser.
  for (const std::string& inner :
       {big + "\\\"q", big + "\\n", big + "\\u0000", big + "\xc3\xa9", "\\\\" + big}) {
    const std::string t = "[\"" + inner + "\",\"" + big + "\"]";
    const Json j = decode_json(t);
    ASSERT_TRUE(j.is_array());
    EXPECT_EQ(j[1].get<std::string>(), big);
    EXPECT_EQ(j[0].get<std::string>().size() > big.size(), true);
  }
  // A string that looks like the placeholder, next to a long one, comes back as it was.
  const Json tricky = Json::array({std::string("\0"
                                               "0",
                                               2),
                                   big});
  EXPECT_EQ(decode_json(encode_json(tricky)), tricky);
  // A long object key.
  const Json keyed = Json::object({{big, big}});
  EXPECT_EQ(decode_json(encode_json(keyed)), keyed);
  // Refusals: an unterminated long string, a raw control byte, invalid UTF-8, trailing junk,
  // depth beyond the limit.
  EXPECT_THROW(decode_json("[\"" + big), EncodingError);
  EXPECT_THROW(decode_json("[\"" + big + "\x01\"]"), EncodingError);
  EXPECT_THROW(decode_json("[\"" + big + "\xff\"]"), EncodingError);
  EXPECT_THROW(decode_json("[\"" + big + "\"] x"), EncodingError);
  EXPECT_THROW(decode_json("[\"" + big + "\",]"), EncodingError);
  EXPECT_THROW(decode_json(std::string(600, '[') + "\"" + big + "\"" + std::string(600, ']')),
               EncodingError);
  // Payloads: a 1 MB argument.
  const std::string mb(1 << 20, 'p');
  const Job job = decode_payload(R"({"class":"Big","queue":"q","args":[")" + mb + R"("]})");
  EXPECT_EQ(job.klass, "Big");
  EXPECT_EQ(job.args, Json::array({mb}));
}

TEST(EncodeJson, LongStringsWithEveryKindOfByte) {
  std::string s(6000, 'x');
  s[0] = '"';
  s[100] = '\\';
  s[2000] = '\n';
  s[3000] = '\x01';
  s.replace(4000, 2, "\xc3\xa9");
  s.back() = '/';
  const std::string out = encode_json(Json(s));
  EXPECT_EQ(out.substr(0, 3), "\"\\\"");
  EXPECT_NE(out.find("\\\\"), std::string::npos);
  EXPECT_NE(out.find("\\n"), std::string::npos);
  EXPECT_NE(out.find("\\u0001"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 2), "/\"");
  EXPECT_EQ(decode_json(out).get<std::string>(), s);
}

// ---- payloads -----------------------------------------------------------------------------

namespace {
Job export_job() {
  Job job;
  job.klass = "ExportJob";
  job.queue = "exports";
  job.args = Json::array({42, "a@b.pt"});
  return job;
}
}  // namespace

TEST(Payload, EncodeMatchesNodeFixture01) {
  // tests/fixtures/node/01_enqueue.json, resque:queue:exports
  EXPECT_EQ(encode_payload(export_job(), Dialect::node),
            R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})");
  EXPECT_EQ(encode_delayed(export_job(), Dialect::node),
            R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})");
  EXPECT_EQ(encode_ruby_payload(export_job()), R"({"class":"ExportJob","args":[42,"a@b.pt"]})");
  EXPECT_EQ(encode_ruby_delayed(export_job()),
            R"({"class":"ExportJob","args":[42,"a@b.pt"],"queue":"exports"})");
}

// Ruby is the default dialect: Resque.encode's {"class","args"} and resque-scheduler's
// {"class","args","queue"} (tests/fixtures/ruby/01 and 02), numbers as Ruby writes them.
TEST(Payload, RubyDialectIsTheDefault) {
  EXPECT_EQ(encode_payload(export_job()), R"({"class":"ExportJob","args":[42,"a@b.pt"]})");
  EXPECT_EQ(encode_payload(export_job(), Dialect::ruby), encode_payload(export_job()));
  EXPECT_EQ(encode_delayed(export_job()),
            R"({"class":"ExportJob","args":[42,"a@b.pt"],"queue":"exports"})");
  EXPECT_EQ(resque::ConnectionOptions{}.dialect, Dialect::ruby);
  Job job = export_job();
  job.args = Json::array({1.0, -0.0, 100.0, 1e20, Json{{"9", 2.5}, {"a", 1}, {"1", 0.5}}});
  EXPECT_EQ(encode_payload(job),
            R"({"class":"ExportJob","args":[1.0,-0.0,100.0,1.0e+20,{"9":2.5,"a":1,"1":0.5}]})");
  EXPECT_EQ(encode_payload(job, Dialect::node),
            R"({"class":"ExportJob","queue":"exports","args":[1,0,100,100000000000000000000,)"
            R"({"1":0.5,"9":2.5,"a":1}]})");
  EXPECT_EQ(encode_ruby_delayed(job),
            R"({"class":"ExportJob","args":[1.0,-0.0,100.0,1.0e+20,{"9":2.5,"a":1,"1":0.5}],)"
            R"("queue":"exports"})");
  // Extra fields follow args in both dialects; a delayed item has none.
  job.extra = Json{{"jid", "j1"}, {"at", 2.0}};
  job.args = Json::array({1.0});
  EXPECT_EQ(encode_payload(job), R"({"class":"ExportJob","args":[1.0],"jid":"j1","at":2.0})");
  EXPECT_EQ(encode_payload(job, Dialect::node),
            R"({"class":"ExportJob","queue":"exports","args":[1],"jid":"j1","at":2})");
  EXPECT_EQ(encode_delayed(job, Dialect::node).find("jid"), std::string::npos);
}
TEST(Payload, DecodeNodePayloadRoundTrips) {
  const std::string stored = R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})";
  const Job job = decode_payload(stored);
  EXPECT_EQ(job.klass, "ExportJob");
  EXPECT_EQ(job.queue, "exports");
  EXPECT_EQ(job.args, Json::array({42, "a@b.pt"}));
  EXPECT_TRUE(job.extra.empty());
  EXPECT_EQ(encode_payload(job, Dialect::node), stored);
}

TEST(Payload, DecodeRubyPayloadHasNoQueue) {
  const Job job = decode_payload(R"({"class":"X","args":[1]})");
  EXPECT_EQ(job.klass, "X");
  EXPECT_EQ(job.queue, "");
  EXPECT_EQ(job.args, Json::array({1}));
}

TEST(Payload, DecodeRubyFloats) {
  const Job job = decode_payload(R"({"class":"X","args":[1.0e+20,2.5E-3,1.0]})");
  EXPECT_EQ(encode_json(job.args), "[100000000000000000000,0.0025,1]");
  // In the Ruby dialect they go back as Ruby wrote them.
  EXPECT_EQ(encode_json(job.args, Dialect::ruby), "[1.0e+20,0.0025,1.0]");
  EXPECT_EQ(encode_payload(job), R"({"class":"X","args":[1.0e+20,0.0025,1.0]})");
}

TEST(Payload, DecodeCjsonQuirks) {
  // Lua cjson writes an empty array as {} and escapes '/'.
  Job job = decode_payload(R"({"class":"X","args":{},"queue":"q"})");
  EXPECT_EQ(job.args, Json::array());
  EXPECT_EQ(job.queue, "q");
  job = decode_payload(R"({"class":"a\/b","args":["a\/b"]})");
  EXPECT_EQ(job.klass, "a/b");
  EXPECT_EQ(job.args, Json::array({"a/b"}));
  EXPECT_EQ(encode_json(job.args), R"(["a/b"])");
}

TEST(Payload, ExtraFieldsKeptInOrderAndWrittenAfterArgs) {
  const Job job = decode_payload(
      R"({"jid":"abc123","class":"HardWorker","retry":true,"args":[1],"queue":"default","enqueued_at":1700000000.5})");
  EXPECT_EQ(job.klass, "HardWorker");
  EXPECT_EQ(job.queue, "default");
  ASSERT_EQ(job.extra.size(), 3u);
  EXPECT_EQ(encode_json(job.extra), R"({"jid":"abc123","retry":true,"enqueued_at":1700000000.5})");
  EXPECT_EQ(
      encode_payload(job, Dialect::node),
      R"({"class":"HardWorker","queue":"default","args":[1],"jid":"abc123","retry":true,"enqueued_at":1700000000.5})");
  EXPECT_EQ(
      encode_payload(job),
      R"({"class":"HardWorker","args":[1],"jid":"abc123","retry":true,"enqueued_at":1700000000.5})");
}

TEST(Payload, ArgsShapes) {
  EXPECT_EQ(decode_payload(R"({"class":"X"})").args, Json::array());
  EXPECT_EQ(decode_payload(R"({"class":"X","args":null})").args, Json::array());
  EXPECT_EQ(decode_payload(R"({"class":"X","args":5})").args, Json::array({5}));
  EXPECT_EQ(decode_payload(R"({"class":"X","args":"s"})").args, Json::array({"s"}));
  EXPECT_EQ(decode_payload(R"({"class":"X","args":{"a":1}})").args, Json::array({Json{{"a", 1}}}));
  EXPECT_EQ(decode_payload(R"({"class":"X","args":[[],{}]})").args,
            Json::array({Json::array(), Json::object()}));
}

TEST(Payload, RefusesWhatIsNotAJob) {
  EXPECT_THROW(decode_payload("not json"), EncodingError);
  EXPECT_THROW(decode_payload(""), EncodingError);
  EXPECT_THROW(decode_payload(R"([{"class":"X"}])"), EncodingError);
  EXPECT_THROW(decode_payload(R"("X")"), EncodingError);
  EXPECT_THROW(decode_payload(R"({"args":[1],"queue":"q"})"), EncodingError);
  EXPECT_THROW(decode_payload(R"({"class":7,"args":[]})"), EncodingError);
  EXPECT_THROW(decode_payload(R"({"class":null,"args":[]})"), EncodingError);
  EXPECT_THROW(decode_payload(R"({"class":"X","args":[1e400]})"), EncodingError);
  const std::string msg = encoding_error([] { decode_payload(R"({"queue":"q"})"); });
  EXPECT_NE(msg.find("class"), std::string::npos) << msg;
}

// ---- names --------------------------------------------------------------------------------

TEST(Names, QueueNames) {
  EXPECT_NO_THROW(resque::validate_queue_name("exports"));
  EXPECT_NO_THROW(resque::validate_queue_name("high-priority_1.x"));
  EXPECT_THROW(resque::validate_queue_name(""), ConfigError);
  EXPECT_THROW(resque::validate_queue_name("a:b"), ConfigError);
  EXPECT_THROW(resque::validate_queue_name("a,b"), ConfigError);
  try {
    resque::validate_queue_name("a,b");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("a,b"), std::string::npos) << e.what();
  }
}

TEST(Names, ClassNames) {
  EXPECT_NO_THROW(resque::validate_class_name("ExportJob"));
  EXPECT_NO_THROW(resque::validate_class_name("Admin::ExportJob"));
  EXPECT_THROW(resque::validate_class_name(""), ConfigError);
}
