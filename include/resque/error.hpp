#pragma once
/// @file error.hpp
/// The one exception hierarchy of resque-cpp. Every error the library throws derives from
/// resque::Error, and each message says what was attempted and against which server.

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

namespace resque {

/// Root of every exception resque-cpp throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Invalid configuration or argument given by the caller (bad URL, empty queue name, ...).
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Connecting to Redis failed, or the connection broke during a command (I/O error, EOF).
/// A command that fails with this error may or may not have been executed by the server.
class ConnectionError : public Error {
 public:
  using Error::Error;
};

/// A connect or a command took longer than its configured timeout.
class TimeoutError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

/// The server answered with an error reply (e.g. WRONGTYPE, NOAUTH, a Lua error).
class ReplyError : public Error {
 public:
  using Error::Error;
};

/// The server answered with a reply of a type the library did not expect.
class ProtocolError : public Error {
 public:
  using Error::Error;
};

/// A job payload or arguments could not be encoded or decoded (invalid JSON, NaN, bad UTF-8).
class EncodingError : public Error {
 public:
  using Error::Error;
};

/// An operation was refused by the protocol's rules, e.g. a duplicate delayed job at the same
/// second, or a failed-list entry that is no longer there.
class JobError : public Error {
 public:
  using Error::Error;
};

/// A job's arguments do not fit its typed perform function (wrong count or type). Recorded as
/// a job failure with exception "resque::ArgumentError".
class ArgumentError : public JobError {
 public:
  using JobError::JobError;
};

/// A delayed job names no queue (Ruby writes "queue":null when it cannot tell the class's
/// queue), so it cannot be promoted. The Scheduler does not throw it out of a poll: it moves
/// the item to the failed list with exception "resque::NoQueueError", this type's name.
class NoQueueError : public JobError {
 public:
  using JobError::JobError;
};

}  // namespace resque
