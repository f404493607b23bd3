#pragma once
/// @file options.hpp
/// How to reach Redis. Plain struct with documented defaults; parse_redis_url() builds one from
/// the URLs that REDIS_URL holds in the examples and tools.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace resque {

/// Default largest job payload (the JSON text of one job) enqueued or performed: 64 MiB. Redis
/// itself takes strings up to 512 MB (proto-max-bulk-len), but a job that big stalls the
/// connection for everyone (a 600 MB argument ended in "Connection reset by peer"), and Ruby
/// and node have no limit of their own, so this one is ours.
inline constexpr std::size_t kDefaultMaxPayloadBytes = std::size_t{64} << 20;

/// Whose bytes resque-cpp writes: one setting per deployment (ConnectionOptions::dialect), so
/// that the peer sharing the Redis finds our jobs with its byte-exact look-ups. Readers accept
/// both dialects (and cjson's) whatever the setting.
/// - `ruby`: Ruby Resque's and resque-scheduler's bytes. Queue payloads `{"class","args"}`,
///   delayed items and their `timestamps:` keys `{"class","args","queue"}`, numbers as Ruby's
///   JSON writes them (whole floats keep their fraction: `1.0`, `-0.0`, `1.0e+20`). Ruby's
///   `Resque.dequeue(Klass, *args)`, `remove_delayed`, `delayed?`, `scheduled_at` and
///   resque-web's delayed-job links find our jobs; node-resque's `del`, `delDelayed` and
///   `scheduledAt` with args do not (node finds them only through its by-class calls).
/// - `node`: node-resque's bytes (JavaScript's JSON.stringify). Payloads and delayed items
///   `{"class","queue","args"}`, numbers in JavaScript's form (`1.0` is written `1`). node's
///   `del`, `delDelayed` and `scheduledAt` find our jobs; Ruby's byte-exact look-ups above do not.
/// resque-cpp's own look-ups (Queue::del, del_delayed, scheduled_at, duplicate checks) find
/// jobs written in either dialect, whatever the setting.
enum class Dialect {
  ruby,
  node,
};

/// Connection settings. Thread-safety: a plain value; copy it freely.
struct ConnectionOptions {
  /// Host name or IP address. Default "127.0.0.1". Ignored when `unix_socket` is set.
  std::string host = "127.0.0.1";
  /// TCP port. Default 6379.
  int port = 6379;
  /// Path of a Unix socket; when non-empty it is used instead of host and port. Default empty.
  std::string unix_socket;
  /// Database selected after connecting (SELECT). Default 0.
  int db = 0;
  /// ACL user name (Redis 6+). Default empty: AUTH with the password only.
  std::string username;
  /// Password; empty means no AUTH. Default empty.
  std::string password;
  /// Limit for establishing the connection. Default 2 s.
  std::chrono::milliseconds connect_timeout{2000};
  /// Limit for one command's reply; zero means wait forever. Default 5 s. Blocking commands
  /// issued by workers extend it by their own block time.
  std::chrono::milliseconds command_timeout{5000};
  /// Enable TCP keepalive probes. Default true.
  bool keepalive = true;
  /// Key namespace: every key is "<ns>:<name>". Default "resque", as Ruby and node use.
  std::string key_namespace = "resque";
  /// Whose bytes every writer (Queue, Worker, Scheduler, plugins) produces; see Dialect.
  /// Default Dialect::ruby: Ruby is the protocol's origin and resque-web its dashboard. Set
  /// Dialect::node where node-resque's byte-matching calls must find our jobs.
  Dialect dialect = Dialect::ruby;
  /// Use TLS (rediss://), through OpenSSL: the server's certificate is verified against the CA
  /// below (or the system's CAs) and must name the host connected to. Default false.
  bool tls = false;
  /// PEM file of the CA(s) that signed the server's certificate. Default empty: the system's
  /// CA store (with tls_ca_dir empty too).
  std::string tls_ca_file;
  /// Directory of hashed CA certificates (c_rehash layout). Default empty.
  std::string tls_ca_dir;
  /// Client certificate (PEM, may hold the chain) for servers with tls-auth-clients. Default
  /// empty: none.
  std::string tls_cert_file;
  /// Private key of tls_cert_file (PEM). Default empty: read from tls_cert_file.
  std::string tls_key_file;
  /// Name sent as SNI and checked against the certificate. Default empty: `host` (an IP
  /// address is checked against the certificate's IP entries and sends no SNI).
  std::string tls_server_name;
  /// DANGER: accept any certificate from anyone (no CA or host name check), which lets anyone
  /// on the path read and change every job. For local experiments only. Default false.
  bool tls_insecure_skip_verify = false;
  /// Reconnect attempts after a broken connection, with exponential backoff starting at
  /// `reconnect_backoff_min` and capped at `reconnect_backoff_max`. Default 3.
  int reconnect_attempts = 3;
  /// First reconnect delay. Default 50 ms.
  std::chrono::milliseconds reconnect_backoff_min{50};
  /// Largest reconnect delay. Default 2 s.
  std::chrono::milliseconds reconnect_backoff_max{2000};
  /// Longest wait for a pooled connection when every one is in use (ConnectionPool::acquire,
  /// hence every Queue method); then TimeoutError. Default 10 s.
  std::chrono::milliseconds pool_acquire_timeout{10000};

  /// Sentinel: the sentinels to ask for the master, as "host:port" ("[::1]:26379" for IPv6).
  /// When non-empty, host, port and unix_socket are ignored: each (re)connect asks them for
  /// `sentinel_master`'s address (SENTINEL get-master-addr-by-name), connects there and checks
  /// ROLE is master; a READONLY or LOADING reply drops the connection and asks again (the
  /// command is re-sent once: the server did not run it). Default empty.
  std::vector<std::string> sentinels;
  /// The master's name as the sentinels monitor it. Default empty (required with sentinels).
  std::string sentinel_master;
  /// Credentials for the sentinels themselves (username/password are the master's). Default
  /// empty: no AUTH to the sentinels.
  std::string sentinel_username;
  std::string sentinel_password;

  /// Redis Cluster: the servers are a cluster's nodes. Each (re)connect asks a seed node for
  /// the slot map (CLUSTER SLOTS) and connects to the master of the slot that the namespace's
  /// hash tag names: every key of one namespace must be in one slot, so `key_namespace` must
  /// carry a hash tag, e.g. "{resque}" (an untagged one is refused with ConfigError at
  /// connect). Every command, keyless ones included (EVALSHA, SCAN, INFO, TIME, SUBSCRIBE),
  /// goes to that node. A MOVED reply makes the connection reconnect to the node it names and
  /// re-send the command; ASK sends ASKING and the command to the named node once; CLUSTERDOWN,
  /// TRYAGAIN, READONLY and LOADING reconnect (with the reconnect backoff, up to
  /// reconnect_attempts times) and re-send: the server refused the command without running it.
  /// `db` must be 0. Default false.
  bool cluster = false;
  /// Seed nodes as "host:port" ("[::1]:7000" for IPv6), asked in order for the slot map after
  /// the nodes of the last map. Default empty: host and port are the one seed. The
  /// `redis+cluster://host:port,host2:port` URL fills this and sets `cluster`. TLS, username
  /// and password apply to every node.
  std::vector<std::string> cluster_nodes;

  /// "host:port", "unix:/path" for messages.
  std::string describe() const;
};

/// Parses `redis://[user:password@]host[:port][/db][?param=value&...]`,
/// `redis+sentinel://[user:password@]host:port[,host:port...]/master[/db][?sentinel_password=..]`
/// (user and password are the master's; sentinel_username/sentinel_password the sentinels'),
/// `redis+cluster://[user:password@]host:port[,host:port...][/0]` (Redis Cluster: the seed
/// nodes; the database can only be 0),
/// `unix:///path/to/socket[?db=N]` and `rediss://...` (TLS; also rediss+sentinel:// and
/// rediss+cluster://, where every server, the sentinels included, speaks TLS). For rediss:// the
/// query may set tls_ca_file, tls_ca_dir, tls_cert_file, tls_key_file, tls_server_name and
/// tls_insecure_skip_verify (true/false); values are percent-decoded. Every scheme also takes
/// `dialect=ruby|node` (ConnectionOptions::dialect; absent: the default, ruby). Percent-escapes
/// in user and password are decoded. Throws ConfigError on malformed input (also an unknown
/// dialect).
ConnectionOptions parse_redis_url(const std::string& url);

/// `url` with the password of its user-info ("redis://user:***@host") and the values of
/// secret-looking query parameters (sentinel_password=***) replaced; works on malformed URLs
/// too. Every message of the library that shows a URL shows it through here.
std::string redact_url(std::string_view url);
/// `message` with every occurrence of options.password and options.sentinel_password (3 bytes
/// or longer) replaced by "***": for text that may quote them (a server's or a hook's error).
std::string redact(std::string message, const ConnectionOptions& options);

/// Options from the REDIS_URL environment variable, or the defaults when it is unset or empty.
ConnectionOptions options_from_env();

}  // namespace resque
