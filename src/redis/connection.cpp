#include "resque/connection.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <thread>

#include "redis/cluster.hpp"
#include "redis/sha1.hpp"
#include "redis/transport.hpp"
#include "resque/error.hpp"

namespace resque {

// ---------------------------------------------------------------- Reply

namespace {
struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
}  // namespace

Reply::Reply(redisReply* r) : owner_(r, ReplyDeleter{}), r_(r) {}
Reply::Reply(const redisReply* view, std::shared_ptr<redisReply> owner)
    : owner_(std::move(owner)), r_(view) {}

Reply::Type Reply::type() const {
  if (r_ == nullptr) return Type::Nil;
  switch (r_->type) {
    case REDIS_REPLY_STRING: return Type::String;
    case REDIS_REPLY_ARRAY: return Type::Array;
    case REDIS_REPLY_INTEGER: return Type::Integer;
    case REDIS_REPLY_NIL: return Type::Nil;
    case REDIS_REPLY_STATUS: return Type::Status;
    case REDIS_REPLY_ERROR: return Type::Error;
    default: return Type::Other;
  }
}

std::string_view Reply::str() const {
  auto t = type();
  if (t != Type::String && t != Type::Status && t != Type::Error)
    throw ProtocolError(fmt::format("expected a string reply, got type {}", static_cast<int>(t)));
  return {r_->str, static_cast<std::size_t>(r_->len)};
}

std::optional<std::string> Reply::opt_string() const {
  if (is_nil()) return std::nullopt;
  return std::string(str());
}

long long Reply::integer() const {
  auto t = type();
  if (t == Type::Integer) return r_->integer;
  if (t == Type::String) {
    try {
      std::size_t pos = 0;
      std::string s(str());
      long long v = std::stoll(s, &pos);
      if (pos == s.size()) return v;
    } catch (const std::exception&) {
    }
  }
  if (t == Type::Nil) throw ProtocolError("expected an integer reply, got nil");
  throw ProtocolError(fmt::format("expected an integer reply, got type {}", static_cast<int>(t)));
}

std::optional<long long> Reply::opt_integer() const {
  if (is_nil()) return std::nullopt;
  return integer();
}

std::size_t Reply::size() const {
  if (type() == Type::Nil) return 0;
  if (type() != Type::Array) throw ProtocolError("expected an array reply");
  return r_->elements;
}

Reply Reply::element(std::size_t i) const {
  if (i >= size()) throw ProtocolError("array reply index out of range");
  return Reply(r_->element[i], owner_);
}

std::vector<std::string> Reply::strings() const {
  std::vector<std::string> out;
  const std::size_t n = size();
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const redisReply* e = r_->element[i];
    if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS)
      out.emplace_back(e->str, static_cast<std::size_t>(e->len));
    else if (e->type == REDIS_REPLY_INTEGER)
      out.push_back(std::to_string(e->integer));
    else if (e->type == REDIS_REPLY_NIL)
      throw ProtocolError(fmt::format("expected an array of strings, element {} is nil", i));
    else
      throw ProtocolError(
          fmt::format("expected an array of strings, element {} has type {}", i, e->type));
  }
  return out;
}

std::vector<std::optional<std::string>> Reply::opt_strings() const {
  std::vector<std::optional<std::string>> out;
  const std::size_t n = size();
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Reply e = element(i);
    if (e.is_nil())
      out.emplace_back();
    else if (e.type() == Type::Integer)
      out.emplace_back(std::to_string(e.integer()));
    else
      out.emplace_back(e.string());
  }
  return out;
}

// ---------------------------------------------------------------- Script

Script::Script(std::string source) : source_(std::move(source)), sha1_(detail::sha1_hex(source_)) {}

// ---------------------------------------------------------------- Connection

namespace detail {
// What a connected Connection owns: the byte stream and hiredis' reply parser for it.
class Link {
 public:
  explicit Link(const ConnectionOptions& o) : transport(o), reader(redisReaderCreate()) {
    if (reader == nullptr) throw ConnectionError("out of memory creating a reply reader");
  }
  ~Link() { redisReaderFree(reader); }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  Transport transport;
  redisReader* reader;
};
}  // namespace detail

namespace {
// The RESP request is built here rather than by hiredis: 0.14's redisFormatSdsCommandArgv
// grows an sds with sdscatfmt one argument at a time, which callgrind showed as a fifth of a
// worker step's client-side instructions. The bytes sent are identical. Sized exactly first,
// then written with memcpy.
std::size_t digits(std::size_t n) {
  std::size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

char* put_len(char* p, char kind, std::size_t n) {
  *p++ = kind;
  p = std::to_chars(p, p + 20, n).ptr;
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

// Arguments this large are sent from the caller's memory (writev), not copied into the
// request: before, a 1 MB payload was copied into the buffer on its way to the socket.
constexpr std::size_t kGatherBytes = 16 * 1024;

// A request: RESP framing and small arguments in `buf`, large ones by reference.
struct Request {
  std::string buf;
  std::vector<std::pair<std::size_t, std::string_view>> big;  // (offset in buf, argument)

  void send(detail::Transport& t, std::chrono::milliseconds timeout, const char* what) const {
    if (big.empty()) return t.write_all(buf, timeout, what);
    std::vector<std::string_view> pieces;
    pieces.reserve(2 * big.size() + 1);
    std::size_t at = 0;
    for (const auto& [off, arg] : big) {
      pieces.emplace_back(buf.data() + at, off - at);
      pieces.push_back(arg);
      at = off;
    }
    pieces.emplace_back(buf.data() + at, buf.size() - at);
    t.write_all(pieces, timeout, what);
  }
};

template <class Args>
void append_resp(Request& req, const Args& argv) {
  std::string& out = req.buf;
  std::size_t need = 3 + digits(argv.size());
  for (const auto& a : argv)
    need += 5 + digits(a.size()) + (a.size() >= kGatherBytes ? 0 : a.size());
  const std::size_t at = out.size();
  out.resize(at + need);
  char* const base = out.data();
  char* p = base + at;
  p = put_len(p, '*', argv.size());
  for (const auto& a : argv) {
    p = put_len(p, '$', a.size());
    if (a.size() >= kGatherBytes) {
      req.big.emplace_back(static_cast<std::size_t>(p - base), std::string_view(a));
    } else {
      if (!a.empty()) std::memcpy(p, a.data(), a.size());
      p += a.size();
    }
    *p++ = '\r';
    *p++ = '\n';
  }
}
}  // namespace

Connection::Connection(ConnectionOptions options) : options_(std::move(options)) {
  detail::check_cluster_options(options_);
}

Connection::~Connection() = default;
Connection::Connection(Connection&& o) noexcept = default;
Connection& Connection::operator=(Connection&& o) noexcept = default;

void Connection::disconnect() {
  link_.reset();
}

int Connection::native_handle() const {
  return link_ ? link_->transport.fd() : -1;
}

namespace {
// "host:port" or "[v6]:port" into options' host and port.
void set_address(ConnectionOptions& o, const std::string& addr) {
  auto colon = addr.rfind(':');
  std::string host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  o.host = host;
  o.port = colon == std::string::npos ? 26379 : std::atoi(addr.c_str() + colon + 1);
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// Cluster error replies after which the command did not run and can be sent again once the
// connection reconnected (with backoff): the slot has no master yet, a multi-key command met a
// slot in migration, the node is a (demoted) replica or still loading.
bool cluster_down(std::string_view e) {
  return starts_with(e, "CLUSTERDOWN") || starts_with(e, "TRYAGAIN") ||
         starts_with(e, "READONLY") || starts_with(e, "LOADING") || starts_with(e, "MASTERDOWN");
}

bool redirected(std::string_view e) {
  return starts_with(e, "MOVED ") || starts_with(e, "ASK ");
}

// "MOVED 3999 127.0.0.1:6381" -> 3999 (-1 when malformed)
int redirect_slot(std::string_view e) {
  const auto first = e.find(' ');
  if (first == std::string_view::npos) return -1;
  int slot = -1;
  const char* begin = e.data() + first + 1;
  const auto [end, ec] = std::from_chars(begin, e.data() + e.size(), slot);
  return ec == std::errc() && end != begin ? slot : -1;
}

// The slot of the namespace of a cluster connection's options (checked to have a tag).
int namespace_slot(const ConnectionOptions& o) {
  return detail::hash_slot(detail::namespace_hash_tag(o.key_namespace).value_or(""));
}

// "MOVED 3999 127.0.0.1:6381" -> "127.0.0.1:6381"
std::string redirect_address(std::string_view e) {
  const auto space = e.rfind(' ');
  return std::string(e.substr(space == std::string_view::npos ? 0 : space + 1));
}

std::string address(const std::string& host, long long port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// True when no command of a pipeline took effect: each was refused with a redirect or a
// cluster-down error, or sat in a MULTI whose EXEC failed (EXECABORT, or EXEC redirected).
// Only such a pipeline is sent again whole.
bool nothing_ran(const std::vector<std::vector<std::string_view>>& commands,
                 const std::vector<Reply>& replies) {
  bool in_multi = false;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const std::string_view name =
        commands[i].empty() ? std::string_view() : std::string_view(commands[i][0]);
    if (same_name(name, "MULTI")) {
      in_multi = true;
    } else if (in_multi) {
      if (same_name(name, "EXEC")) {
        if (!replies[i].is_error()) return false;
        in_multi = false;
      } else if (same_name(name, "DISCARD")) {
        in_multi = false;
      }
    } else if (!replies[i].is_error() ||
               !(redirected(replies[i].str()) || cluster_down(replies[i].str()))) {
      return false;
    }
  }
  return true;
}
}  // namespace

ConnectionOptions Connection::node_options(const std::string& addr) const {
  ConnectionOptions o = options_;
  o.cluster = false;
  o.cluster_nodes.clear();
  o.sentinels.clear();
  o.unix_socket.clear();
  set_address(o, addr);
  o.reconnect_attempts = 1;
  return o;
}

void Connection::connect_cluster() {
  detail::check_cluster_options(options_);
  const auto tag = detail::namespace_hash_tag(options_.key_namespace);
  const int slot = detail::hash_slot(*tag);

  // Who to ask for the slot map: the node a MOVED named (it holds the slot now), the node of
  // the last connection, the nodes of the last map, then the seeds.
  std::vector<std::string> candidates;
  const auto add = [&](const std::string& a) {
    if (!a.empty() && std::find(candidates.begin(), candidates.end(), a) == candidates.end())
      candidates.push_back(a);
  };
  add(moved_to_);
  add(node_);
  for (const auto& a : known_nodes_) add(a);
  for (const auto& a : options_.cluster_nodes) add(a);
  if (options_.cluster_nodes.empty()) add(address(options_.host, options_.port));

  std::string errors;
  for (const auto& addr : candidates) {
    try {
      ConnectionOptions po = node_options(addr);
      po.command_timeout = options_.connect_timeout;
      Connection probe(po);
      Reply map = probe.command_raw({"CLUSTER", "SLOTS"});
      if (map.is_error()) {
        if (map.str().find("cluster support disabled") != std::string_view::npos)
          throw ConfigError(fmt::format(
              "{} is not a Redis Cluster node ({}): connect without ConnectionOptions::cluster "
              "(a redis:// URL) instead",
              addr, map.str()));
        errors += fmt::format("; {}: {}", addr, map.str());
        continue;
      }
      // [[first slot, last slot, [host, port, id...] (the master), replicas...]...]
      std::string master;
      std::vector<std::string> nodes;
      for (std::size_t i = 0; i < map.size(); ++i) {
        const Reply range = map.element(i);
        const long long lo = range.element(0).integer(), hi = range.element(1).integer();
        for (std::size_t j = 2; j < range.size(); ++j) {
          const Reply n = range.element(j);
          std::string host = n.element(0).string();
          if (host.empty() || host == "?") host = po.host;  // "the node you asked"
          const std::string a = address(host, n.element(1).integer());
          if (std::find(nodes.begin(), nodes.end(), a) == nodes.end()) nodes.push_back(a);
          if (j == 2 && slot >= lo && slot <= hi) master = a;
        }
      }
      if (master.empty()) {
        errors += fmt::format("; {}: slot {} has no master", addr, slot);
        continue;
      }
      known_nodes_ = std::move(nodes);
      if (master == addr) {
        link_ = std::move(probe.link_);  // the node asked holds the slot: keep its connection
      } else {
        Connection m(node_options(master));
        try {
          m.ensure_connected();
        } catch (const ConnectionError& e) {
          // A master that died: the others name it until its replica is elected.
          errors += fmt::format("; {} names {} as the master: {}", addr, master, e.what());
          continue;
        }
        link_ = std::move(m.link_);
      }
      node_ = master;
      moved_to_.clear();
      return;
    } catch (const ConfigError&) {
      throw;
    } catch (const Error& e) {
      errors += "; ";
      errors += e.what();
    }
  }
  throw ConnectionError(
      fmt::format("finding the master of slot {} (namespace '{}') on {}: no node "
                  "answered{}",
                  slot, options_.key_namespace, options_.describe(), errors));
}

Reply Connection::ask(const std::string& addr, const std::vector<std::string_view>& argv) {
  // ASK: the slot is being migrated and this key is already on `addr`. One command goes there,
  // after ASKING; the connection stays on the slot's owner until a MOVED says otherwise.
  Connection target(node_options(addr));
  auto replies = target.pipeline_views({{"ASKING"}, argv});
  return replies.at(1);
}

Reply Connection::cluster_retry(const std::vector<std::string_view>& argv, Reply r) {
  auto delay = options_.reconnect_backoff_min;
  int waits = 0;
  for (int hop = 0; r.is_error() && hop < 16; ++hop) {
    const std::string_view e = r.str();
    // A key of another slot (not under the namespace's tag): following it would not help, the
    // connection serves the namespace's slot only. The caller sees the MOVED error.
    if (redirected(e) && redirect_slot(e) != namespace_slot(options_)) break;
    if (starts_with(e, "MOVED ")) {
      moved_to_ = redirect_address(e);  // reconnect there (it is asked for the map first)
      disconnect();
    } else if (starts_with(e, "ASK ")) {
      r = ask(redirect_address(e), argv);
      continue;
    } else if (cluster_down(e)) {
      if (++waits > std::max(1, options_.reconnect_attempts)) break;
      disconnect();
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, options_.reconnect_backoff_max);
    } else {
      break;
    }
    r = send_and_read(argv);
  }
  return r;
}

ConnectionOptions Connection::ask_sentinels() const {
  if (options_.sentinel_master.empty())
    throw ConfigError(
        fmt::format("sentinels are set for {} but sentinel_master is empty", options_.describe()));
  std::string errors;
  for (const auto& addr : options_.sentinels) {
    ConnectionOptions so;
    set_address(so, addr);
    so.username = options_.sentinel_username;
    so.password = options_.sentinel_password;
    so.connect_timeout = options_.connect_timeout;
    so.command_timeout = options_.connect_timeout;
    so.reconnect_attempts = 1;
    so.keepalive = false;
    so.tls = options_.tls;
    so.tls_ca_file = options_.tls_ca_file;
    so.tls_ca_dir = options_.tls_ca_dir;
    so.tls_cert_file = options_.tls_cert_file;
    so.tls_key_file = options_.tls_key_file;
    so.tls_insecure_skip_verify = options_.tls_insecure_skip_verify;
    try {
      Connection sentinel(so);
      Reply r = sentinel.command({"SENTINEL", "get-master-addr-by-name", options_.sentinel_master});
      if (r.is_nil() || r.size() != 2) {
        errors += fmt::format("; {} does not know it", addr);
        continue;
      }
      ConnectionOptions target = options_;
      target.sentinels.clear();
      target.unix_socket.clear();
      target.host = r.element(0).string();
      target.port = static_cast<int>(r.element(1).integer());
      return target;
    } catch (const ConfigError&) {
      throw;
    } catch (const Error& e) {
      errors += "; ";
      errors += e.what();
    }
  }
  throw ConnectionError(fmt::format("asking the sentinels for master '{}': no answer{}",
                                    options_.sentinel_master, errors));
}

void Connection::connect_once() {
  if (options_.cluster) {
    connect_cluster();  // authenticated by the node connection it took over
    current_timeout_ = options_.command_timeout;
    return;
  }
  if (options_.sentinels.empty()) {
    link_ = std::make_unique<detail::Link>(options_);
  } else {
    const ConnectionOptions target = ask_sentinels();
    link_ = std::make_unique<detail::Link>(target);
    master_ = target.describe();
  }
  current_timeout_ = options_.command_timeout;
  try {
    if (!options_.password.empty()) {
      Reply r = options_.username.empty()
                    ? command_raw({"AUTH", options_.password})
                    : command_raw({"AUTH", options_.username, options_.password});
      if (r.is_error())
        throw ReplyError(fmt::format("authenticating to {}{}: {}", options_.describe(),
                                     options_.username.empty() ? "" : " as " + options_.username,
                                     r.str()));
    }
    if (options_.db != 0) {
      const std::string db = std::to_string(options_.db);
      Reply r = command_raw({"SELECT", db});
      if (r.is_error())
        throw ReplyError(fmt::format("selecting database {} on {}: {}", options_.db,
                                     options_.describe(), r.str()));
    }
    if (!options_.sentinels.empty()) {
      // Sentinels can lag behind a failover: the address they gave may be a demoted master.
      Reply r = command_raw({"ROLE"});
      if (r.is_error() || r.size() == 0 || r.element(0).str() != "master")
        throw ConnectionError(
            fmt::format("connecting to {}: the sentinels named {}, which is not a master (ROLE {})",
                        options_.describe(), master_,
                        r.is_error() || r.size() == 0 ? "unknown" : r.element(0).string()));
    }
  } catch (...) {
    disconnect();
    throw;
  }
}

void Connection::ensure_connected() {
  if (link_) {
    // A connection the server closed while we were idle (CLIENT KILL, restart, idle timeout)
    // shows as readable with EOF. Nothing has been sent yet, so reconnecting is safe here.
    if (link_->transport.closed_while_idle()) disconnect();
    if (link_) return;
  }
  auto delay = options_.reconnect_backoff_min;
  const int attempts = std::max(1, options_.reconnect_attempts);
  for (int i = 1;; ++i) {
    try {
      connect_once();
      return;
    } catch (const ConnectionError&) {
      if (i >= attempts) throw;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, options_.reconnect_backoff_max);
  }
}

Reply Connection::read_reply(const char* what) {
  // The connection is unusable after an I/O or protocol error (a reply may be half read); it is
  // dropped so the next command reconnects.
  try {
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(link_->reader, &raw) != REDIS_OK)
        throw ProtocolError(
            fmt::format("{} on {}: {}", what, options_.describe(), link_->reader->errstr));
      if (raw != nullptr) return Reply(static_cast<redisReply*>(raw));
      char buf[16 * 1024];
      const std::size_t n = link_->transport.read_some(buf, sizeof buf, current_timeout_, what);
      if (redisReaderFeed(link_->reader, buf, n) != REDIS_OK)
        throw ProtocolError(
            fmt::format("{} on {}: {}", what, options_.describe(), link_->reader->errstr));
    }
  } catch (...) {
    disconnect();
    throw;
  }
}

Reply Connection::receive() {
  // Never reconnects: a new connection would not carry the caller's subscriptions.
  if (!link_)
    throw ConnectionError(
        fmt::format("waiting for a message on {}: not connected", options_.describe()));
  return read_reply("waiting for a message");
}

Reply Connection::command_raw(const std::vector<std::string_view>& argv) {
  Reply r = send_and_read(argv);
  if (!r.is_error()) return r;
  if (options_.cluster) return cluster_retry(argv, std::move(r));
  if (redirected(r.str()))
    throw ConfigError(fmt::format(
        "{} on {}: the server is a Redis Cluster node without this key's slot ({}): set "
        "ConnectionOptions::cluster (a redis+cluster:// URL) and a hash-tagged key_namespace "
        "such as \"{{resque}}\"",
        argv.empty() ? "" : std::string(argv[0]), options_.describe(), r.str()));
  if (!options_.sentinels.empty() &&
      (starts_with(r.str(), "READONLY") || starts_with(r.str(), "LOADING"))) {
    // Connected to a master that was demoted (or a server still loading): it refused the
    // command without running it, so asking the sentinels again and re-sending once is safe.
    disconnect();
    r = send_and_read(argv);
  }
  return r;
}

Reply Connection::send_and_read(const std::vector<std::string_view>& argv) {
  ensure_connected();
  Request req;
  append_resp(req, argv);
  try {
    // A constant label: formatting the command's name here would cost every command.
    req.send(link_->transport, current_timeout_, "sending a command");
  } catch (...) {
    disconnect();
    throw;
  }
  return read_reply("reading reply");
}

Reply Connection::command(const std::vector<std::string_view>& argv) {
  Reply r = command_raw(argv);
  if (r.is_error())
    throw ReplyError(fmt::format("{} on {}: {}", argv.empty() ? "" : std::string(argv[0]),
                                 options_.describe(), r.str()));
  return r;
}

std::vector<Reply> Connection::pipeline(const std::vector<std::vector<std::string>>& commands) {
  std::vector<std::vector<std::string_view>> views;
  views.reserve(commands.size());
  for (const auto& c : commands) views.emplace_back(c.begin(), c.end());
  return pipeline_views(views);
}

std::vector<Reply> Connection::pipeline_views(
    const std::vector<std::vector<std::string_view>>& commands) {
  if (!options_.cluster) return pipeline_once(commands);
  auto delay = options_.reconnect_backoff_min;
  int waits = 0;
  for (int hop = 0;; ++hop) {
    std::vector<Reply> out = pipeline_once(commands);
    const auto bad = std::find_if(out.begin(), out.end(), [](const Reply& r) {
      return r.is_error() && (redirected(r.str()) || cluster_down(r.str()));
    });
    if (bad == out.end()) return out;
    // Re-sent whole only when nothing in it ran; otherwise the caller sees the errors and the
    // next command reconnects through the slot map.
    disconnect();
    const std::string_view e = bad->str();
    if (hop >= 16 || !nothing_ran(commands, out) ||
        (redirected(e) && redirect_slot(e) != namespace_slot(options_)))
      return out;
    if (starts_with(e, "MOVED ")) {
      moved_to_ = redirect_address(e);
    } else {
      // ASK (a migration in progress: wait for it to end) or a cluster-down error.
      if (++waits > std::max(1, options_.reconnect_attempts)) return out;
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, options_.reconnect_backoff_max);
    }
  }
}

std::vector<Reply> Connection::pipeline_once(
    const std::vector<std::vector<std::string_view>>& commands) {
  ensure_connected();
  Request req;
  for (const auto& cmd : commands) append_resp(req, cmd);
  if (!commands.empty()) {
    try {
      req.send(link_->transport, current_timeout_, "sending a pipeline");
    } catch (...) {
      disconnect();
      throw;
    }
  }
  std::vector<Reply> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) out.push_back(read_reply("reading pipeline"));
  // Not re-sent (some commands may have run), but the next command asks the sentinels again.
  if (!options_.sentinels.empty())
    for (const auto& r : out)
      if (r.is_error() && (starts_with(r.str(), "READONLY") || starts_with(r.str(), "LOADING"))) {
        disconnect();
        break;
      }
  return out;
}

Reply Connection::eval(const Script& script, const std::vector<std::string_view>& keys,
                       const std::vector<std::string_view>& args) {
  const std::string nkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(nkeys);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  Reply r = command_raw(argv);
  if (r.is_error() && r.str().substr(0, 8) == "NOSCRIPT") {
    // The server lost its script cache (SCRIPT FLUSH, restart): EVAL sends and caches it again.
    argv[0] = "EVAL";
    argv[1] = script.source();
    r = command_raw(argv);
  }
  if (r.is_error())
    throw ReplyError(fmt::format("running script {} on {}: {}", script.sha1().substr(0, 8),
                                 options_.describe(), r.str()));
  return r;
}

void Connection::set_command_timeout(std::chrono::milliseconds timeout) {
  // Zero means "no timeout". Kept across reconnects until connect_once resets it.
  if (link_) current_timeout_ = timeout;
}

// ---------------------------------------------------------------- ConnectionPool

ConnectionPool::ConnectionPool(ConnectionOptions options, std::size_t size)
    : options_(std::move(options)), size_(size == 0 ? 1 : size) {
  detail::check_cluster_options(options_);
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), c_(std::move(other.c_)), raw_(other.raw_) {
  other.pool_ = nullptr;
  other.raw_ = nullptr;
}

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr && c_) pool_->release(std::move(c_));
    pool_ = other.pool_;
    c_ = std::move(other.c_);
    raw_ = other.raw_;
    other.pool_ = nullptr;
    other.raw_ = nullptr;
  }
  return *this;
}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && c_) pool_->release(std::move(c_));
}

ConnectionPool::Lease ConnectionPool::acquire() {
  return acquire(options_.pool_acquire_timeout);
}

ConnectionPool::Lease ConnectionPool::acquire(std::chrono::milliseconds timeout) {
  const auto me = std::this_thread::get_id();
  std::unique_lock<std::mutex> lock(mu_);
  auto available = [&] { return !idle_.empty() || created_ < size_; };
  if (!available()) {
    // Waiting for a connection this very thread holds would never end: share it instead. The
    // outer user is not inside a command (this thread is here), so the connection is idle.
    for (const auto& [thread, conn] : leased_)
      if (thread == me) return Lease(conn);
    if (timeout.count() <= 0 || !cv_.wait_for(lock, timeout, available))
      throw TimeoutError(fmt::format(
          "no connection to {} came free within {} ms: all {} of the pool are in use (raise "
          "the pool size or ConnectionOptions::pool_acquire_timeout, or look for a lease held "
          "while waiting for another thread)",
          options_.describe(), timeout.count(), size_));
  }
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    leased_.emplace_back(me, c.get());
    return Lease(this, std::move(c));
  }
  ++created_;
  // Connecting happens lazily on first command, outside the lock.
  auto c = std::make_unique<Connection>(options_);
  leased_.emplace_back(me, c.get());
  return Lease(this, std::move(c));
}

void ConnectionPool::release(std::unique_ptr<Connection> c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = leased_.begin(); it != leased_.end(); ++it)
      if (it->second == c.get()) {
        leased_.erase(it);
        break;
      }
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

}  // namespace resque
