// Queue: worker maintenance (force-cleaning dead or stuck workers) and pausing every worker.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "protocol/worker.hpp"
#include "protocol/worker_scripts.hpp"
#include "queue_internal.hpp"
#include "resque/error.hpp"
#include "resque/failure.hpp"
#include "resque/queue.hpp"
#include "time/timefmt.hpp"

namespace resque {

namespace {

constexpr int kCasAttempts = 5;

std::optional<Json> parse_json(const std::optional<std::string>& raw) {
  if (!raw) return std::nullopt;
  try {
    return decode_json(*raw);
  } catch (const EncodingError&) {
    return std::nullopt;
  }
}

std::string string_field(const Json& obj, const char* name) {
  if (!obj.is_object()) return {};
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::optional<Json> Queue::force_clean_worker(const std::string& worker_id) {
  detail::require_name(worker_id, "worker id");
  const WorkerInfo info = protocol::parse_worker_id(worker_id);
  const protocol::WorkerKeys wk(keys_, worker_id, info.name);
  auto conn = pool_->acquire();
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    auto replies = conn->pipeline({{"GET", keys_.worker(worker_id)},
                                   {"LINDEX", keys_.inflight(worker_id), "0"},
                                   {"GET", wk.inflight_queue}});
    for (std::size_t i = 0; i < 2; ++i)
      if (const auto& r = replies[i]; r.is_error())
        throw ReplyError(fmt::format("force_clean_worker {} on {}: {}", worker_id,
                                     pool_->options().describe(), r.str()));
    const auto status_raw = replies[0].opt_string();
    const auto inflight_raw = replies[1].opt_string();
    const auto status = parse_json(status_raw);
    const auto inflight = parse_json(inflight_raw);

    // The payload: the in-flight entry's exact bytes when it is a JSON object, else the
    // status's payload (Ruby's as written; node's as cjson re-encoded it).
    std::string payload_text;
    Json payload;
    if (inflight && inflight->is_object()) {
      payload_text = *inflight_raw;
      payload = *inflight;
    } else if (status && status->is_object() && status->contains("payload")) {
      payload = (*status)["payload"];
      payload_text = encode_json(payload);
    } else if (inflight_raw) {
      // Not JSON: kept as a string (invalid UTF-8 replaced) so the record stays readable.
      payload = Json(to_valid_utf8(*inflight_raw));
      payload_text = encode_json(payload);
    } else {
      payload_text = "null";
    }
    std::string record;
    if (status_raw || inflight_raw) {
      std::string queue = status ? string_field(*status, "queue") : std::string();
      if (queue.empty()) queue = string_field(payload, "queue");
      // A peer deleted the status: the queue the worker step kept beside the in-flight copy.
      if (queue.empty() && inflight_raw && replies[2].type() == Reply::Type::String)
        queue = replies[2].string();
      record =
          encode_failure({{},
                          payload_text,
                          std::string(failure_kind::kDirtyExit),
                          protocol::dirty_exit_error(worker_id, string_field(payload, "class")),
                          {},
                          worker_id,
                          queue.empty() ? std::nullopt : std::optional<std::string>(queue)});
    }
    if (protocol::force_clean_worker(*conn, keys_, wk, {status_raw, inflight_raw, record})) {
      if (record.empty()) return std::nullopt;
      return decode_json(record);
    }
    // The worker finished or took a job between our read and the script: read again.
  }
  throw JobError(fmt::format("force_clean_worker: worker {} kept changing its job on {}", worker_id,
                             pool_->options().describe()));
}

std::map<std::string, Json> Queue::clean_old_workers(std::chrono::milliseconds age) {
  const auto now = std::chrono::system_clock::now();
  std::vector<std::string> old;
  for (const auto& [id, status] : all_working_on()) {
    const std::string run_at = string_field(status, "run_at");
    if (run_at.empty()) continue;  // idle ("started") or a status without a start time
    const auto started = detail::parse_time(run_at);
    if (started && now - *started > age) old.push_back(id);
  }
  std::map<std::string, Json> out;
  for (const auto& id : old)
    if (auto record = force_clean_worker(id)) out.emplace(id, std::move(*record));
  return out;
}

void Queue::pause_all() {
  auto conn = pool_->acquire();
  conn->command({"SET", keys_.pause_all(), "true"});
}

void Queue::resume_all() {
  auto conn = pool_->acquire();
  conn->command({"DEL", keys_.pause_all()});
}

bool Queue::all_paused() {
  auto conn = pool_->acquire();
  auto v = conn->command({"GET", keys_.pause_all()}).opt_string();
  if (!v) return false;
  // Ruby: value.strip.downcase == "true" ("1" does not pause).
  std::string s = *v;
  const auto b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string::npos) return false;
  s = s.substr(b, s.find_last_not_of(" \t\r\n\f\v") - b + 1);
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s == "true";
}

}  // namespace resque
