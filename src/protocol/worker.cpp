#include "protocol/worker.hpp"

#include <fmt/format.h>

#include <chrono>

#include "resque/error.hpp"
#include "time/timefmt.hpp"

namespace resque::protocol {

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    if (pos == std::string::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string json_str(std::string_view s) {
  return encode_json(Json(to_valid_utf8(s)));
}

std::string string_field(const Json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

std::string worker_name(std::string_view host, long pid, int n) {
  return n == 0 ? fmt::format("{}:{}", host, pid) : fmt::format("{}:{}+{}", host, pid, n);
}

std::string worker_id(std::string_view name, const std::vector<std::string>& queues) {
  std::string id(name);
  id += ':';
  for (std::size_t i = 0; i < queues.size(); ++i) {
    if (i) id += ',';
    id += queues[i];
  }
  return id;
}

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

void validate_queue_name(std::string_view queue, std::string_view what) {
  if (queue.empty()) throw ConfigError(fmt::format("{} is empty", what));
  if (queue.find_first_of(":,") != std::string_view::npos)
    throw ConfigError(fmt::format(
        "{} '{}' contains ':' or ',', which break worker ids (host:pid:q1,q2)", what, queue));
}

WorkerKeys::WorkerKeys(const Keys& keys, std::string id_, std::string name_)
    : id(std::move(id_)),
      name(std::move(name_)),
      workers(keys.workers()),
      heartbeats(keys.heartbeats()),
      index(keys.cpp_workers()),
      status(keys.worker(id)),
      started(keys.worker_started(id)),
      inflight(keys.inflight(id)),
      inflight_queue(keys.inflight_queue(id)),
      processed(keys.worker_stat("processed", id)),
      failed(keys.worker_stat("failed", id)),
      ping(keys.worker_ping(name)),
      name_processed(keys.worker_stat("processed", name)),
      name_failed(keys.worker_stat("failed", name)) {}

std::vector<std::string> WorkerKeys::own_keys(bool with_name_keys) const {
  std::vector<std::string> out{status, started, inflight, processed, failed, inflight_queue};
  if (with_name_keys) out.insert(out.end(), {ping, name_processed, name_failed});
  return out;
}

StatusPieces status_pieces(std::string_view run_at, std::string_view name, std::string_view token) {
  StatusPieces p;
  p.head = "{\"queue\":";
  p.mid = ",\"run_at\":";
  p.mid += json_str(run_at);
  p.mid += ",\"payload\":";
  p.tail = status_tail(name, token);
  return p;
}

std::string status_tail(std::string_view name, std::string_view token) {
  std::string t = ",\"worker\":";
  t += json_str(name);
  t += ",\"token\":";
  t += json_str(token);
  t += '}';
  return t;
}

std::string encode_status(std::string_view queue, std::string_view payload, std::string_view run_at,
                          std::string_view name, std::string_view token) {
  const StatusPieces p = status_pieces(run_at, name, token);
  std::string out = p.head;
  out += json_str(queue);
  out += p.mid;
  // The same rule as worker_step.lua's: only the braces are checked there.
  if (!payload.empty() && payload.front() == '{' && payload.back() == '}')
    out += payload;
  else
    out += json_str(payload);
  out += p.tail;
  return out;
}

std::string WorkerStatus::klass() const {
  return payload.is_object() ? string_field(payload, "class") : std::string();
}

std::optional<WorkerStatus> decode_status(std::string_view raw) {
  Json j;
  try {
    j = decode_json(raw);
  } catch (const EncodingError&) {
    return std::nullopt;
  }
  if (!j.is_object()) return std::nullopt;
  WorkerStatus s;
  s.queue = string_field(j, "queue");
  s.run_at = string_field(j, "run_at");
  s.worker = string_field(j, "worker");
  s.token = string_field(j, "token");
  if (auto it = j.find("payload"); it != j.end()) s.payload = std::move(*it);
  return s;
}

std::string dirty_exit_error(std::string_view worker_id, std::string_view klass) {
  return fmt::format("Worker {} did not gracefully exit while processing {}", worker_id, klass);
}

std::string encode_ping(std::int64_t time, std::string_view name, std::string_view queues) {
  std::string out = "{\"time\":";
  out += std::to_string(time);
  out += ",\"name\":";
  out += json_str(name);
  out += ",\"queues\":";
  out += json_str(queues);
  out += '}';
  return out;
}

Ping decode_ping(std::string_view raw) {
  Ping p;
  try {
    const Json j = decode_json(raw);
    if (!j.is_object()) return p;
    if (auto it = j.find("time"); it != j.end() && it->is_number())
      p.time = it->is_number_integer() ? it->get<std::int64_t>()
                                       : static_cast<std::int64_t>(it->get<double>());
    p.queues = string_field(j, "queues");
  } catch (const EncodingError&) {
  }
  return p;
}

Registration registration(std::int64_t now, std::string_view name, std::string_view queues) {
  const auto tp = std::chrono::system_clock::time_point(std::chrono::seconds(now));
  return {detail::ruby_started(tp), detail::iso_offset(tp), encode_ping(now, name, queues)};
}

std::optional<std::int64_t> decode_heartbeat(std::string_view raw) {
  if (auto tp = detail::parse_time(raw))
    return std::chrono::duration_cast<std::chrono::seconds>(tp->time_since_epoch()).count();
  return std::nullopt;
}

}  // namespace resque::protocol
