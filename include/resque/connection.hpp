#pragma once
/// @file connection.hpp
/// A thin RAII layer over Redis: Reply, Connection (one socket or TLS session; hiredis parses
/// the replies), Script (EVALSHA with NOSCRIPT fallback) and ConnectionPool (for code shared
/// between threads).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "resque/options.hpp"

struct redisReply;

namespace resque {

namespace detail {
class Link;
}

/// One Redis reply. Owns its redisReply (freed on destruction); element() gives non-owning views.
/// Thread-safety: none needed (a value owned by one thread).
class Reply {
 public:
  enum class Type { String, Array, Integer, Nil, Status, Error, Other };

  Reply() = default;
  /// Takes ownership of `r` (may be null: a Nil reply).
  explicit Reply(redisReply* r);

  Type type() const;
  bool is_nil() const { return type() == Type::Nil; }
  bool is_error() const { return type() == Type::Error; }
  /// Bytes of a String, Status or Error reply; throws ProtocolError otherwise.
  std::string_view str() const;
  std::string string() const { return std::string(str()); }
  /// Bulk string or nil.
  std::optional<std::string> opt_string() const;
  /// Integer reply (a String holding a decimal integer is accepted too). Nil is not a number:
  /// it throws ProtocolError like any other type (use opt_integer() where nil can come back).
  long long integer() const;
  /// Integer reply, or nullopt for nil.
  std::optional<long long> opt_integer() const;
  std::size_t size() const;
  /// Non-owning view of element i of an Array reply.
  Reply element(std::size_t i) const;
  /// Array of bulk strings (integers as their decimal text). A nil element throws
  /// ProtocolError: use opt_strings() where an element can be nil (MGET, HMGET, Lua false).
  std::vector<std::string> strings() const;
  /// Array of bulk strings with nil elements as nullopt.
  std::vector<std::optional<std::string>> opt_strings() const;

 private:
  Reply(const redisReply* view, std::shared_ptr<redisReply> owner);
  std::shared_ptr<redisReply> owner_;
  const redisReply* r_ = nullptr;
};

/// A Lua script run with EVALSHA, re-sent with EVAL when the server answers NOSCRIPT (after
/// SCRIPT FLUSH or a restart). Thread-safety: immutable after construction; share freely.
class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

/// One connection to Redis: a TCP or Unix socket, or a TLS session over TCP when options.tls.
/// Commands are argv-style and binary-safe. With options.sentinels it connects to the master
/// the sentinels name; with options.cluster to the cluster node that holds the namespace's
/// slot, following MOVED and ASK (see ConnectionOptions::cluster).
/// After an I/O error the context is dropped; the next command reconnects with bounded
/// exponential backoff. A command interrupted by a broken connection is reported with
/// ConnectionError and never retried silently, since the server may have executed it.
/// Thread-safety: not thread-safe; use one Connection per thread or a ConnectionPool.
class Connection {
 public:
  explicit Connection(ConnectionOptions options);
  ~Connection();
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const ConnectionOptions& options() const { return options_; }

  /// Connects now if not connected (with backoff). Throws ConnectionError on failure.
  void ensure_connected();
  bool connected() const { return link_ != nullptr; }
  /// Drops the connection; the next command reconnects.
  void disconnect();

  /// Sends one command and waits for its reply. Error replies throw ReplyError.
  Reply command(const std::vector<std::string_view>& argv);
  Reply command(std::initializer_list<std::string_view> argv) {
    return command(std::vector<std::string_view>(argv));
  }
  /// Like command() but returns error replies instead of throwing.
  Reply command_raw(const std::vector<std::string_view>& argv);
  /// Sends all commands in one write and reads all replies (one round trip). Error replies are
  /// returned, not thrown, so the caller can see which command failed.
  std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands);
  /// pipeline() over views of the caller's bytes, which must outlive the call. Arguments of
  /// 16 KB and more are sent from where they are (writev), not copied into a request buffer.
  std::vector<Reply> pipeline_views(const std::vector<std::vector<std::string_view>>& commands);
  /// Runs a script by EVALSHA, falling back to EVAL on NOSCRIPT. Errors throw ReplyError.
  Reply eval(const Script& script, const std::vector<std::string_view>& keys,
             const std::vector<std::string_view>& args);
  /// Sets the reply timeout for the following commands (zero: wait forever).
  void set_command_timeout(std::chrono::milliseconds timeout);
  /// Waits for the next reply without sending anything: the messages of a subscribed (pub/sub)
  /// connection. Honours the command timeout; a broken connection throws ConnectionError and
  /// is not reconnected here (a new connection would not be subscribed).
  Reply receive();
  /// The socket's descriptor while connected, else -1. Another thread may shutdown(2) it to
  /// end a receive() that waits forever (the only cross-thread use allowed).
  int native_handle() const;

 private:
  void connect_once();
  ConnectionOptions ask_sentinels() const;
  void connect_cluster();
  ConnectionOptions node_options(const std::string& address) const;
  Reply cluster_retry(const std::vector<std::string_view>& argv, Reply r);
  Reply ask(const std::string& address, const std::vector<std::string_view>& argv);
  std::vector<Reply> pipeline_once(const std::vector<std::vector<std::string_view>>& commands);
  Reply send_and_read(const std::vector<std::string_view>& argv);
  Reply read_reply(const char* what);

  ConnectionOptions options_;
  std::unique_ptr<detail::Link> link_;
  std::chrono::milliseconds current_timeout_{0};
  std::string master_;  // the address the sentinels gave, for messages
  // Cluster: the node connected to, the node a MOVED named (asked first on the next connect),
  // and the nodes of the last slot map (asked before the seeds).
  std::string node_;
  std::string moved_to_;
  std::vector<std::string> known_nodes_;
};

/// A small pool of Connections for code shared between threads (Queue uses one). Connections
/// are created lazily outside the lock; a broken one is reconnected by its next user.
/// Re-entrant on one thread: a thread that already holds a lease and finds the pool exhausted
/// shares its own connection instead of waiting for itself (a plugin that enqueues from inside
/// an enqueue hook on a one-connection pool). Any other wait ends after
/// options.pool_acquire_timeout with TimeoutError.
/// Thread-safety: thread-safe.
class ConnectionPool {
 public:
  /// `size`: most connections open at once. Default 4.
  explicit ConnectionPool(ConnectionOptions options, std::size_t size = 4);
  ~ConnectionPool();

  /// RAII lease: returns the connection to the pool on destruction. A lease that shares the
  /// connection of an outer lease on the same thread returns nothing and must not outlive it.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> c)
        : pool_(pool), c_(std::move(c)), raw_(c_.get()) {}
    Lease(Lease&& other) noexcept;
    /// Returns the connection it held to the pool first.
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    Connection& operator*() const { return *raw_; }
    Connection* operator->() const { return raw_; }

   private:
    friend class ConnectionPool;
    explicit Lease(Connection* shared) : pool_(nullptr), raw_(shared) {}
    ConnectionPool* pool_;
    std::unique_ptr<Connection> c_;
    Connection* raw_ = nullptr;
  };

  /// Borrows a connection, waiting at most options().pool_acquire_timeout when all are in use.
  Lease acquire();
  /// Same with an explicit limit (zero or negative: do not wait). Throws TimeoutError naming
  /// the pool's size and the server when none came free in time.
  Lease acquire(std::chrono::milliseconds timeout);
  const ConnectionOptions& options() const { return options_; }
  std::size_t size() const { return size_; }

 private:
  void release(std::unique_ptr<Connection> c);
  ConnectionOptions options_;
  std::size_t size_;
  std::size_t created_ = 0;
  std::vector<std::unique_ptr<Connection>> idle_;
  // Connections on loan and the thread that acquired each (for the re-entrant case; a lease
  // moved to another thread still counts as its acquirer's).
  std::vector<std::pair<std::thread::id, Connection*>> leased_;
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace resque
