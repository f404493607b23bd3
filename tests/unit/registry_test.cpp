// JobRegistry: typed perform functions and how job args are converted to their parameters.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resque/error.hpp"
#include "resque/registry.hpp"

using resque::ArgumentError;
using resque::ConfigError;
using resque::decode_json;
using resque::decode_payload;
using resque::Job;
using resque::JobRegistry;
using resque::Json;

namespace {

Job job_with(const std::string& klass, Json args) {
  Job job;
  job.klass = klass;
  job.queue = "exports";
  job.args = std::move(args);
  return job;
}

// Runs `klass` from `registry` with `args`; returns the ArgumentError message ("" if none).
std::string perform_error(const JobRegistry& registry, const std::string& klass, Json args) {
  const auto* def = registry.find(klass);
  if (def == nullptr) return "<undefined>";
  try {
    def->perform(job_with(klass, std::move(args)));
  } catch (const ArgumentError& e) {
    return e.what();
  }
  return "";
}

void free_function(int a, const std::string& b) {
  if (a != 1 || b != "x") throw std::runtime_error("wrong args");
}

}  // namespace

TEST(Registry, TypedInt64AndString) {
  JobRegistry r;
  std::int64_t got_id = 0;
  std::string got_email;
  r.define("ExportJob", [&](std::int64_t id, const std::string& email) {
    got_id = id;
    got_email = email;
  });
  // Exactly what a node-resque enqueue writes.
  r.find("ExportJob")
      ->perform(decode_payload(R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})"));
  EXPECT_EQ(got_id, 42);
  EXPECT_EQ(got_email, "a@b.pt");
  // The full 64-bit range.
  r.find("ExportJob")
      ->perform(decode_payload(R"({"class":"ExportJob","args":[-9223372036854775808,""]})"));
  EXPECT_EQ(got_id, INT64_MIN);
  EXPECT_EQ(got_email, "");
}

TEST(Registry, WrongArgumentCount) {
  JobRegistry r;
  r.define("ExportJob", [](std::int64_t, const std::string&) {});
  r.define("OneArg", [](int) {});
  r.define("NoArgs", [] {});
  EXPECT_EQ(perform_error(r, "ExportJob", Json::array({1, "a", 3})),
            "ExportJob expects 2 arguments, got 3");
  EXPECT_EQ(perform_error(r, "ExportJob", Json::array()), "ExportJob expects 2 arguments, got 0");
  EXPECT_EQ(perform_error(r, "OneArg", Json::array({1, 2})), "OneArg expects 1 argument, got 2");
  EXPECT_EQ(perform_error(r, "NoArgs", Json::array()), "");
  EXPECT_EQ(perform_error(r, "NoArgs", Json::array({1})), "NoArgs expects 0 arguments, got 1");
}

TEST(Registry, WrongArgumentType) {
  JobRegistry r;
  r.define("ExportJob", [](std::int64_t, const std::string&) {});
  EXPECT_EQ(perform_error(r, "ExportJob", Json::array({"x", "a"})),
            "ExportJob: argument 1 must be integer, got string \"x\"");
  EXPECT_EQ(perform_error(r, "ExportJob", Json::array({1, 2})),
            "ExportJob: argument 2 must be string, got integer 2");
  EXPECT_EQ(perform_error(r, "ExportJob", Json::array({1.5, "a"})),
            "ExportJob: argument 1 must be integer, got number 1.5");
  EXPECT_EQ(perform_error(r, "ExportJob", Json::array({nullptr, "a"})),
            "ExportJob: argument 1 must be integer, got null null");
}

TEST(Registry, FirstBadArgumentIsReported) {
  // Arguments are converted left to right, so the message always names the first bad one.
  JobRegistry r;
  r.define("Pair", [](std::int64_t, const std::string&) {});
  EXPECT_EQ(perform_error(r, "Pair", Json::array({"x", 5})),
            "Pair: argument 1 must be integer, got string \"x\"");
}

TEST(Registry, BadArgumentMessageSurvivesInvalidUtf8) {
  // A job built in C++ (not decoded) can hold bytes that are not UTF-8; the message must still
  // be an ArgumentError, not a JSON library exception.
  JobRegistry r;
  r.define("N", [](int) {});
  const std::string msg = perform_error(r, "N", Json::array({"\xff"}));
  EXPECT_NE(msg.find("N: argument 1 must be integer, got string"), std::string::npos) << msg;
}

TEST(Registry, LongValuesAreShortenedInMessages) {
  JobRegistry r;
  r.define("N", [](int) {});
  const std::string msg = perform_error(r, "N", Json::array({std::string(500, 'a')}));
  EXPECT_LT(msg.size(), 140u) << msg;
  EXPECT_NE(msg.find("..."), std::string::npos) << msg;
}

TEST(Registry, IntegerRanges) {
  JobRegistry r;
  int32_t got32 = 0;
  unsigned got_u = 0;
  std::uint64_t got_u64 = 0;
  std::uint8_t got_u8 = 0;
  r.define("I32", [&](std::int32_t v) { got32 = v; });
  r.define("U", [&](unsigned v) { got_u = v; });
  r.define("U64", [&](std::uint64_t v) { got_u64 = v; });
  r.define("U8", [&](std::uint8_t v) { got_u8 = v; });

  EXPECT_EQ(perform_error(r, "I32", Json::array({2147483647})), "");
  EXPECT_EQ(got32, 2147483647);
  EXPECT_EQ(perform_error(r, "I32", Json::array({-2147483648LL})), "");
  EXPECT_EQ(got32, -2147483647 - 1);
  EXPECT_EQ(perform_error(r, "I32", Json::array({2147483648LL})),
            "I32: argument 1 must be integer in range, got integer 2147483648");
  EXPECT_EQ(perform_error(r, "I32", Json::array({-2147483649LL})),
            "I32: argument 1 must be integer in range, got integer -2147483649");
  // As decoded from text, a large positive number is unsigned inside nlohmann.
  EXPECT_NE(perform_error(r, "I32", decode_payload(R"({"class":"I32","args":[3000000000]})").args),
            "");
  EXPECT_NE(perform_error(r, "I32",
                          decode_payload(R"({"class":"I32","args":[18446744073709551615]})").args),
            "");

  EXPECT_EQ(perform_error(r, "U", Json::array({-1})),
            "U: argument 1 must be non-negative integer, got integer -1");
  EXPECT_EQ(perform_error(r, "U", Json::array({7})), "");
  EXPECT_EQ(got_u, 7u);
  EXPECT_NE(perform_error(r, "U", Json::array({4294967296LL})), "");
  EXPECT_EQ(perform_error(r, "U64",
                          decode_payload(R"({"class":"U","args":[18446744073709551615]})").args),
            "");
  EXPECT_EQ(got_u64, UINT64_MAX);
  EXPECT_NE(perform_error(r, "U8", Json::array({256})), "");
  EXPECT_EQ(perform_error(r, "U8", Json::array({255})), "");
  EXPECT_EQ(got_u8, 255);
}

TEST(Registry, DoubleAcceptsIntegers) {
  JobRegistry r;
  double got = 0;
  float gotf = 0;
  r.define("D", [&](double d) { got = d; });
  r.define("F", [&](float f) { gotf = f; });
  EXPECT_EQ(perform_error(r, "D", Json::array({3})), "");
  EXPECT_EQ(got, 3.0);
  EXPECT_EQ(perform_error(r, "D", Json::array({0.25})), "");
  EXPECT_EQ(got, 0.25);
  EXPECT_EQ(perform_error(r, "D", decode_payload(R"({"class":"D","args":[1.0e+20]})").args), "");
  EXPECT_EQ(got, 1e20);
  EXPECT_EQ(perform_error(r, "F", Json::array({1.5})), "");
  EXPECT_EQ(gotf, 1.5f);
  EXPECT_EQ(perform_error(r, "D", Json::array({"1"})),
            "D: argument 1 must be number, got string \"1\"");
}

TEST(Registry, Bool) {
  JobRegistry r;
  bool got = false;
  r.define("B", [&](bool b) { got = b; });
  EXPECT_EQ(perform_error(r, "B", Json::array({true})), "");
  EXPECT_TRUE(got);
  EXPECT_EQ(perform_error(r, "B", Json::array({false})), "");
  EXPECT_FALSE(got);
  // No truthiness: 1 and "true" are not booleans.
  EXPECT_EQ(perform_error(r, "B", Json::array({1})),
            "B: argument 1 must be boolean, got integer 1");
  EXPECT_NE(perform_error(r, "B", Json::array({"true"})), "");
}

TEST(Registry, JsonPassthrough) {
  JobRegistry r;
  Json got;
  std::string got_s;
  r.define("J", [&](const Json& v, std::string s) {
    got = v;
    got_s = std::move(s);
  });
  const Json obj = Json{{"z", 1}, {"a", Json::array({nullptr, 2.5})}};
  EXPECT_EQ(perform_error(r, "J", Json::array({obj, "s"})), "");
  EXPECT_EQ(got, obj);
  EXPECT_EQ(resque::encode_json(got), R"({"z":1,"a":[null,2.5]})");
  EXPECT_EQ(got_s, "s");
  EXPECT_EQ(perform_error(r, "J", Json::array({nullptr, "s"})), "");
  EXPECT_TRUE(got.is_null());
}

TEST(Registry, NlohmannConvertibleTypes) {
  JobRegistry r;
  std::vector<int> got;
  r.define("V", [&](std::vector<int> v) { got = std::move(v); });
  EXPECT_EQ(perform_error(r, "V", Json::array({Json::array({1, 2, 3})})), "");
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
  const std::string msg = perform_error(r, "V", Json::array({"nope"}));
  EXPECT_NE(msg.find("V: argument 1 could not be converted"), std::string::npos) << msg;
}

// Ruby's `def self.perform(a, b = nil)`: trailing std::optional parameters may be left out or
// be null; the ones before them may not.
TEST(Registry, TrailingOptionalParameters) {
  JobRegistry r;
  std::vector<std::string> seen;
  r.define("Opt", [&](std::string a, std::optional<std::string> b, std::optional<int> c) {
    seen.push_back(a + "=" + b.value_or("nullopt") + "/" + (c ? std::to_string(*c) : "nullopt"));
  });
  EXPECT_EQ(perform_error(r, "Opt", Json::array({"a"})), "");
  EXPECT_EQ(perform_error(r, "Opt", Json::array({"b", nullptr})), "");
  EXPECT_EQ(perform_error(r, "Opt", Json::array({"c", "d"})), "");
  EXPECT_EQ(perform_error(r, "Opt", Json::array({"e", nullptr, 7})), "");
  EXPECT_EQ(seen, (std::vector<std::string>{"a=nullopt/nullopt", "b=nullopt/nullopt", "c=d/nullopt",
                                            "e=nullopt/7"}));
  EXPECT_EQ(perform_error(r, "Opt", Json::array()), "Opt expects 1 to 3 arguments, got 0");
  EXPECT_EQ(perform_error(r, "Opt", Json::array({"a", "b", 1, 2})),
            "Opt expects 1 to 3 arguments, got 4");
  // A present value of the wrong type is still an error, naming the argument.
  EXPECT_EQ(perform_error(r, "Opt", Json::array({"a", 5})),
            "Opt: argument 2 must be string, got integer 5");
  EXPECT_EQ(seen.size(), 4u);
  // An optional before a required parameter is not trailing: it must be given (null is fine).
  int calls = 0;
  r.define("Mid", [&](std::optional<int> a, int b) { calls += a.value_or(100) + b; });
  EXPECT_EQ(perform_error(r, "Mid", Json::array({nullptr, 1})), "");
  EXPECT_EQ(calls, 101);
  EXPECT_EQ(perform_error(r, "Mid", Json::array({1})), "Mid expects 2 arguments, got 1");
}

namespace {
struct Address {
  std::string street;
  int number = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Address, street, number)
}  // namespace

// Plain nlohmann::json parameters, and types whose from_json takes a plain nlohmann::json.
TEST(Registry, PlainNlohmannJsonAndItsTypes) {
  JobRegistry r;
  nlohmann::json got;
  Address addr;
  std::vector<Address> many;
  r.define("Plain", [&](nlohmann::json v) { got = std::move(v); });
  r.define("Addr", [&](Address a, std::vector<Address> v) {
    addr = std::move(a);
    many = std::move(v);
  });
  EXPECT_EQ(perform_error(r, "Plain", decode_json(R"([{"z":1,"a":[null,2.5,"s"]}])")), "");
  EXPECT_EQ(got, nlohmann::json::parse(R"({"z":1,"a":[null,2.5,"s"]})"));
  EXPECT_EQ(
      perform_error(r, "Addr",
                    decode_json(R"([{"street":"Main","number":7},[{"number":1,"street":"A"}]])")),
      "");
  EXPECT_EQ(addr.street, "Main");
  EXPECT_EQ(addr.number, 7);
  ASSERT_EQ(many.size(), 1u);
  EXPECT_EQ(many[0].street, "A");
  const std::string msg = perform_error(r, "Addr", decode_json(R"([{"street":"Main"},[]])"));
  EXPECT_NE(msg.find("Addr: argument 1 could not be converted"), std::string::npos) << msg;
  // std::optional of such a type.
  std::optional<Address> maybe;
  r.define("MaybeAddr", [&](std::optional<Address> a) { maybe = std::move(a); });
  EXPECT_EQ(perform_error(r, "MaybeAddr", Json::array()), "");
  EXPECT_FALSE(maybe);
  EXPECT_EQ(perform_error(r, "MaybeAddr", decode_json(R"([{"street":"B","number":2}])")), "");
  ASSERT_TRUE(maybe);
  EXPECT_EQ(maybe->number, 2);
}

// An integer beyond 64 bits (a Ruby bignum) is never handed over as a double or a truncated
// integer: every typed parameter but the JSON ones refuses it, naming the argument.
TEST(Registry, BigIntegersAreRefusedNamingTheArgument) {
  JobRegistry r;
  int calls = 0;
  Json seen;
  r.define("D", [&](double) { ++calls; });
  r.define("I", [&](std::int64_t, std::uint64_t) { ++calls; });
  r.define("OptD", [&](std::optional<double>) { ++calls; });
  r.define("Vec", [&](std::vector<double>) { ++calls; });
  r.define("J", [&](Json v) { seen = std::move(v); });
  const Json big = decode_json("[18446744073709551621]");
  EXPECT_EQ(perform_error(r, "D", big),
            "D: argument 1 (args[0]): integer 18446744073709551621 does not fit in 64 bits");
  EXPECT_EQ(perform_error(r, "I", decode_json("[1,-1180591620717411303424]")),
            "I: argument 2 (args[1]): integer -1180591620717411303424 does not fit in 64 bits");
  EXPECT_NE(perform_error(r, "OptD", big).find("does not fit in 64 bits"), std::string::npos);
  EXPECT_NE(perform_error(r, "Vec", decode_json("[[1.5,18446744073709551621]]")), "");
  EXPECT_EQ(calls, 0);
  // A JSON parameter receives it exactly.
  EXPECT_EQ(perform_error(r, "J", big), "");
  EXPECT_EQ(resque::big_integer_text(seen), "18446744073709551621");
  EXPECT_EQ(resque::encode_json(seen), "18446744073709551621");
  // And a string parameter names its type as integer.
  r.define("S", [&](std::string) { ++calls; });
  EXPECT_EQ(perform_error(r, "S", big),
            "S: argument 1 must be string, got integer 18446744073709551621");
}

TEST(Registry, CallableKinds) {
  JobRegistry r;
  r.define("Free", free_function);
  r.define("FreePtr", &free_function);
  int calls = 0;
  r.define("Mutable", [calls](int) mutable { ++calls; });
  r.define("Noexcept", [&calls](int v) noexcept { calls += v; });
  r.define("StdFunction", std::function<void(int)>([&calls](int v) { calls += v; }));
  EXPECT_EQ(perform_error(r, "Free", Json::array({1, "x"})), "");
  EXPECT_THROW(r.find("Free")->perform(job_with("Free", Json::array({2, "x"}))),
               std::runtime_error);
  EXPECT_EQ(perform_error(r, "FreePtr", Json::array({1, "x"})), "");
  EXPECT_EQ(perform_error(r, "Mutable", Json::array({1})), "");
  EXPECT_EQ(perform_error(r, "Noexcept", Json::array({2})), "");
  EXPECT_EQ(perform_error(r, "StdFunction", Json::array({3})), "");
  EXPECT_EQ(calls, 5);
}

TEST(Registry, DefineRawReceivesTheJob) {
  JobRegistry r;
  Job seen;
  r.define_raw("Raw", [&](const Job& job) { seen = job; });
  const Job job = decode_payload(R"({"class":"Raw","queue":"q","args":[1,"two"],"jid":"j1"})");
  r.find("Raw")->perform(job);
  EXPECT_EQ(seen.klass, "Raw");
  EXPECT_EQ(seen.queue, "q");
  EXPECT_EQ(seen.args, Json::array({1, "two"}));
  EXPECT_EQ(seen.extra, Json({{"jid", "j1"}}));
}

TEST(Registry, FindAndNames) {
  JobRegistry r;
  EXPECT_EQ(r.find("Nope"), nullptr);
  auto& def = r.define("B", [](int) {});
  r.define_raw("A", [](const Job&) {});
  EXPECT_EQ(def.name, "B");
  ASSERT_NE(r.find("A"), nullptr);
  EXPECT_EQ(r.find("A")->name, "A");
  EXPECT_EQ(r.find("b"), nullptr);  // names are case-sensitive, as Ruby constants
  EXPECT_EQ(r.names(), (std::vector<std::string>{"A", "B"}));
  EXPECT_THROW(r.define("", [] {}), ConfigError);
  // Defining twice is a mistake; replace() redefines on purpose.
  EXPECT_THROW(r.define("A", [] {}), ConfigError);
  EXPECT_THROW(r.define_raw("B", [](const Job&) {}), ConfigError);
  int which = 0;
  r.replace("A", [&] { which = 2; });
  r.find("A")->perform(job_with("A", Json::array()));
  EXPECT_EQ(which, 2);
}
