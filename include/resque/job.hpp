#pragma once
/// @file job.hpp
/// A job as it travels over Redis: class, queue, args (and any extra fields other libraries
/// added, kept as they were).

#include <string>
#include <string_view>

#include "resque/json.hpp"

namespace resque {

/// One job. Thread-safety: a plain value.
struct Job {
  /// The job class name ("class" on the wire).
  std::string klass;
  /// The queue it was or will be enqueued on. Ruby payloads carry no queue; decode leaves it
  /// empty and the worker fills in the queue it popped from.
  std::string queue;
  /// The arguments; always an array.
  Json args = Json::array();
  /// Other top-level fields of the payload (a Sidekiq "jid", ...), in their original order.
  Json extra = Json::object();

  bool operator==(const Job& o) const {
    return klass == o.klass && queue == o.queue && args == o.args;
  }
};

/// The queue payload in one dialect (see Dialect), then any extra fields:
/// - Dialect::ruby (the default, as ConnectionOptions::dialect's): {"class":C,"args":A}, what
///   Ruby's Resque.encode writes and its Job.destroy / Resque.dequeue compare, numbers as Ruby's.
/// - Dialect::node: {"class":C,"queue":Q,"args":A}, byte-identical to node-resque's.
std::string encode_payload(const Job& job, Dialect dialect = Dialect::ruby);
/// A delayed item (the delayed:<ts> entry and its timestamps:<item> key) in one dialect:
/// resque-scheduler's {"class":C,"args":A,"queue":Q} or node-resque's
/// {"class":C,"queue":Q,"args":A}. Extra fields are not written (neither peer has them there).
std::string encode_delayed(const Job& job, Dialect dialect = Dialect::ruby);
/// Ruby Resque's queue payload {"class":C,"args":A} without extras (what Ruby's Job.destroy
/// compares).
std::string encode_ruby_payload(const Job& job);
/// resque-scheduler's delayed item: encode_delayed(job, Dialect::ruby).
std::string encode_ruby_delayed(const Job& job);

/// Decodes any dialect: node's, Ruby's (no queue), cjson's ({} for empty args, "\/"), extra
/// fields kept. Missing args -> []; a non-array args value -> [value] (node's rule).
/// Throws EncodingError when the text is not JSON, not an object, or has no string "class".
Job decode_payload(std::string_view payload);

/// Validates names used in keys and worker ids: non-empty, no ':' or ',' for queues
/// (they break worker ids), non-empty class. Throws ConfigError naming `what`.
void validate_queue_name(std::string_view queue);
void validate_class_name(std::string_view klass);

}  // namespace resque
