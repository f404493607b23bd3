// No password in any error, log line or what() (issue 12).
#include <gtest/gtest.h>

#include <string>

#include "resque/error.hpp"
#include "resque/options.hpp"

using namespace resque;

namespace {
std::string error_of(const std::string& url) {
  try {
    parse_redis_url(url);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Redact, UrlPasswordsAndSecretQueryValues) {
  EXPECT_EQ(redact_url("redis://user:s3cret@h:6379/2"), "redis://user:***@h:6379/2");
  EXPECT_EQ(redact_url("redis://s3cret@h"), "redis://***@h");
  EXPECT_EQ(redact_url("redis://h:6379"), "redis://h:6379");
  EXPECT_EQ(redact_url("rediss://u:p@ss:w@rd@h?tls_ca_file=/ca"),
            "rediss://u:***@h?tls_ca_file=/ca");
  EXPECT_EQ(redact_url("redis+sentinel://:pw1@s1,s2/m?sentinel_password=pw2&db=1"),
            "redis+sentinel://:***@s1,s2/m?sentinel_password=***&db=1");
  EXPECT_EQ(redact_url("not a url:pw@x"), "not a url:***@x");
  EXPECT_EQ(redact_url("redis://h/m?sentinel_password=ab&cd&db=1"),
            "redis://h/m?sentinel_password=***&***&db=1");
}

TEST(Redact, MessagesLoseEveryPassword) {
  ConnectionOptions o;
  o.password = "hunter22";
  o.sentinel_password = "sentinel-pw";
  EXPECT_EQ(redact("AUTH hunter22 failed; sentinel-pw too", o), "AUTH *** failed; *** too");
  o.password = "ab";  // too short to tell from ordinary text: left alone
  EXPECT_EQ(redact("about", o), "about");
}

// The parser's own errors never show a password, even a malformed one whose pieces end up in
// the "port" or the "database", or split by '&' in the query.
TEST(Redact, ParserErrorsNeverQuoteAPassword) {
  for (const std::string url :
       {"redis://user:pa/ss9word@h", "redis://user:topsecret@h:port", "redis://:topsecret@",
        "redis://u:pa:ss@h:6379/x", "foo://user:topsecret@h",
        "redis+sentinel://s1/m?sentinel_password=ab&topsecret", "redis://u:top%zzsecret@h",
        "redis://u:pa?ss/top@h:99999"}) {
    const std::string msg = error_of(url);
    ASSERT_FALSE(msg.empty()) << url << " parsed";
    for (const std::string piece : {"topsecret", "pa/ss", "ss9word", "top%zz", "pa:ss", "ss/top"})
      EXPECT_EQ(msg.find(piece), std::string::npos) << url << " -> " << msg;
    EXPECT_NE(msg.find("invalid Redis URL"), std::string::npos) << msg;
  }
  // Without credentials the reason is still given in full.
  EXPECT_NE(error_of("redis://h:port").find("port 'port' is not a number"), std::string::npos);
  // With credentials, a reason that quotes nothing of them is kept too.
  EXPECT_NE(error_of("redis://u:pw@h:70000").find("out of range"), std::string::npos);
}
