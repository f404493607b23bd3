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

}  // namespace resque::detail
