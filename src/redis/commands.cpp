#include "redis/commands.hpp"

#include <fmt/format.h>

#include <charconv>
#include <set>

#include "resque/error.hpp"

namespace resque::detail {

std::int64_t server_time(Connection& conn) {
  const Reply r = conn.command({"TIME"});
  if (r.type() != Reply::Type::Array || r.size() < 1)
    throw ProtocolError("TIME: expected an array reply");
  const std::string_view s = r.element(0).str();
  std::int64_t v = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size())
    throw ProtocolError(fmt::format("TIME: '{}' is not a number of seconds", s));
  return v;
}

std::string glob_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 4);
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> scan_keys(Connection& conn, const std::string& pattern) {
  std::set<std::string> found;
  std::string cursor = "0";
  do {
    const Reply r = conn.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = r.element(0).string();
    for (auto& k : r.element(1).strings()) found.insert(std::move(k));
  } while (cursor != "0");
  return {found.begin(), found.end()};
}

std::vector<std::optional<std::string>> get_many(Connection& conn,
                                                 const std::vector<std::string>& keys,
                                                 std::size_t batch) {
  std::vector<std::optional<std::string>> out(keys.size());
  if (keys.empty()) return out;
  if (batch == 0) batch = 1;
  std::vector<std::vector<std::string>> cmds;
  for (std::size_t i = 0; i < keys.size(); i += batch) {
    std::vector<std::string> cmd{"MGET"};
    for (std::size_t j = i; j < keys.size() && j < i + batch; ++j) cmd.push_back(keys[j]);
    cmds.push_back(std::move(cmd));
  }
  const auto replies = conn.pipeline(cmds);
  for (std::size_t b = 0; b < replies.size(); ++b) {
    const Reply& r = replies[b];
    if (r.is_error())
      throw ReplyError(fmt::format("MGET on {}: {}", conn.options().describe(), r.str()));
    for (std::size_t j = 0; j < r.size(); ++j) {
      const Reply e = r.element(j);
      if (e.type() == Reply::Type::String) out[b * batch + j] = e.string();
    }
  }
  return out;
}

}  // namespace resque::detail
