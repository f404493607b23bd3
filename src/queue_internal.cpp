#include "queue_internal.hpp"

#include <fmt/format.h>

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

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t b = 0;
  while (true) {
    const std::size_t e = s.find(sep, b);
    parts.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return parts;
}
}  // namespace

WorkerInfo parse_worker_id(const std::string& id) {
  WorkerInfo w;
  w.id = id;
  const auto parts = split(id, ':');
  std::string queues;
  if (parts.size() >= 3) {
    w.host = parts[0];
    w.pid = parts[1];
    w.name = parts[0] + ":" + parts[1];
    // Queue names cannot hold ':' in our ids, but a Ruby id split by Worker.find keeps the rest.
    queues = id.substr(w.name.size() + 1);
  } else if (parts.size() == 2) {
    // A node worker with a name of the user's choice: "<name>:<queues>".
    w.host = parts[0];
    w.name = parts[0];
    queues = parts[1];
  } else {
    w.host = id;
    w.name = id;
  }
  if (!queues.empty())
    for (auto& q : split(queues, ','))
      if (!q.empty()) w.queues.push_back(std::move(q));
  return w;
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
