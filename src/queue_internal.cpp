#include "queue_internal.hpp"

#include <fmt/format.h>

#include "protocol/worker.hpp"
#include "resque/error.hpp"

namespace resque::detail {

Json normalize_args(Json args) {
  return args.is_array() ? std::move(args) : Json::array({std::move(args)});
}

Job make_job(const std::string& queue, const std::string& klass, Json args) {
  validate_queue_name(queue);
  validate_class_name(klass);
  Job job;
  job.klass = klass;
  job.queue = queue;
  job.args = normalize_args(std::move(args));
  return job;
}

void require_name(std::string_view value, const char* what) {
  if (value.empty()) throw ConfigError(fmt::format("{} is empty", what));
}

bool same_value(const Json& a, const Json& b) {
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a.items()) {
      auto it = b.find(k);
      if (it == b.end() || !same_value(v, *it)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same_value(a[i], b[i])) return false;
    return true;
  }
  if ((a.is_array() && b.is_object()) || (a.is_object() && b.is_array()))
    return a.empty() && b.empty();
  return a == b;  // numbers compare by value across integer and float
}

std::vector<Job> decode_jobs(const std::vector<std::string>& raws, const std::string& queue) {
  std::vector<Job> jobs;
  jobs.reserve(raws.size());
  for (const auto& raw : raws) {
    try {
      Job job = decode_payload(raw);
      if (job.queue.empty()) job.queue = queue;
      jobs.push_back(std::move(job));
    } catch (const EncodingError&) {
      Job job;
      job.queue = queue;
      job.extra["raw"] = raw;
      jobs.push_back(std::move(job));
    }
  }
  return jobs;
}

WorkerInfo parse_worker_id(const std::string& id) {
  return protocol::parse_worker_id(id);
}

std::vector<Reply> eval_pipelined(Connection& conn, const Script& script,
                                  const std::vector<ScriptCall>& calls) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const auto& c : calls) {
    std::vector<std::string> cmd;
    cmd.reserve(3 + c.keys.size() + c.args.size());
    cmd.push_back("EVALSHA");
    cmd.push_back(script.sha1());
    cmd.push_back(std::to_string(c.keys.size()));
    cmd.insert(cmd.end(), c.keys.begin(), c.keys.end());
    cmd.insert(cmd.end(), c.args.begin(), c.args.end());
    commands.push_back(std::move(cmd));
  }
  if (commands.empty()) return {};
  auto replies = conn.pipeline(commands);
  // A SCRIPT FLUSH may land between two calls of the pipeline, so only the calls that were
  // refused with NOSCRIPT (and therefore did nothing) are sent again.
  std::vector<std::size_t> again;
  for (std::size_t i = 0; i < replies.size(); ++i)
    if (replies[i].is_error() && replies[i].str().substr(0, 8) == "NOSCRIPT") again.push_back(i);
  if (!again.empty()) {
    std::vector<std::vector<std::string>> resend;
    resend.reserve(again.size());
    for (std::size_t i : again) {
      auto cmd = std::move(commands[i]);
      cmd[0] = "EVAL";
      cmd[1] = script.source();
      resend.push_back(std::move(cmd));
    }
    auto second = conn.pipeline(resend);
    for (std::size_t j = 0; j < again.size(); ++j) replies[again[j]] = std::move(second[j]);
  }
  return replies;
}

}  // namespace resque::detail
