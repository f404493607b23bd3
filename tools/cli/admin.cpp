#include "admin.hpp"

#include <algorithm>
#include <set>

#include "context.hpp"
#include "output.hpp"
#include "resque/scheduler.hpp"

namespace resque::cli {

namespace {

std::string glob_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

std::string str_field(const Json& j, const char* name) {
  if (j.is_object() && j.contains(name) && j[name].is_string()) return j[name].get<std::string>();
  return {};
}

// Moves the given items of one delayed timestamp to their queues (see run_delayed_now).
// KEYS[1] delayed_queue_schedule, KEYS[2] delayed:<ts>, KEYS[3] queues;
// ARGV[1] key prefix, ARGV[2] ts, ARGV[3] "delayed:<ts>", ARGV[4] wake channel, then triples
// raw item, queue, payload to push. Distrusts nothing it did not just read except that an item
// may be gone: each move starts with LREM of that exact item, so nothing is pushed twice.
const Script kRunNow(R"(
local p, ts, member, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local moved = 0
for i = 5, #ARGV, 3 do
  local raw, q, payload = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('LREM', KEYS[2], 1, raw) == 1 then
    if not redis.call('LPOS', KEYS[2], raw) then
      redis.call('SREM', p .. 'timestamps:' .. raw, member)
    end
    redis.call('SADD', KEYS[3], q)
    redis.call('RPUSH', p .. 'queue:' .. q, payload)
    redis.call('PUBLISH', channel, q)
    moved = moved + 1
  end
end
if redis.call('LLEN', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[1], ts)
end
return moved
)");

}  // namespace

std::vector<std::string> scan_keys(Connection& conn, const std::string& pattern) {
  std::set<std::string> out;
  std::string cursor = "0";
  do {
    const Reply r = conn.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = r.element(0).string();
    for (auto& k : r.element(1).strings()) out.insert(std::move(k));
  } while (cursor != "0");
  return {out.begin(), out.end()};
}

long long clear_queue(Queue& q, const std::string& queue) {
  validate_class_name(queue);  // non-empty; any other name may be cleaned
  auto conn = q.pool().acquire();
  const auto replies = conn->pipeline(
      {{"MULTI"}, {"LLEN", q.keys().queue(queue)}, {"DEL", q.keys().queue(queue)}, {"EXEC"}});
  const Reply& exec = replies.back();
  if (exec.is_error()) throw ReplyError(exec.string());
  return exec.element(0).integer();
}

std::size_t run_delayed_now(Queue& q, std::int64_t timestamp) {
  const Keys& k = q.keys();
  auto conn = q.pool().acquire();
  const auto items = conn->command({"LRANGE", k.delayed(timestamp), "0", "-1"}).strings();
  std::vector<std::string> args = {k.prefix(), std::to_string(timestamp),
                                   "delayed:" + std::to_string(timestamp), k.enqueue_channel()};
  for (const auto& raw : items) {
    Job job;
    try {
      job = decode_payload(raw);
    } catch (const Error&) {
      continue;
    }
    if (job.queue.empty()) continue;
    const bool ruby = encode_ruby_delayed(job) == raw;
    args.insert(args.end(), {raw, job.queue, ruby ? encode_ruby_payload(job) : raw});
  }
  if (args.size() == 4) return 0;
  const std::vector<std::string_view> argv(args.begin(), args.end());
  const std::string schedule = k.delayed_schedule(), list = k.delayed(timestamp),
                    queues = k.queues();
  return static_cast<std::size_t>(conn->eval(kRunNow, {schedule, list, queues}, argv).integer());
}

FailureView view_failure(const FailedJob& f) {
  FailureView v;
  v.index = f.index;
  v.entry = f.entry;
  v.raw = f.raw;
  const Json& e = f.entry;
  if (!e.is_object()) {
    v.error = "(unreadable entry)";
    return v;
  }
  v.queue = str_field(e, "queue");
  v.exception = str_field(e, "exception");
  v.error = str_field(e, "error");
  v.worker = str_field(e, "worker");
  if (e.contains("payload") && e["payload"].is_object()) {
    const Json& p = e["payload"];
    v.klass = str_field(p, "class");
    if (v.queue.empty()) v.queue = str_field(p, "queue");
    if (p.contains("args")) v.args = p["args"].is_array() ? p["args"] : Json::array({p["args"]});
  }
  if (e.contains("backtrace") && e["backtrace"].is_array())
    for (const auto& line : e["backtrace"])
      v.backtrace.push_back(line.is_string() ? line.get<std::string>() : line.dump());
  if (e.contains("failed_at")) {
    v.failed_at_text = e["failed_at"].is_string() ? e["failed_at"].get<std::string>() : "";
    v.failed_at = json_time(e["failed_at"], true);
  }
  if (e.contains("retried_at") && !e["retried_at"].is_null())
    v.retried_at = json_time(e["retried_at"], true);
  return v;
}

Json failure_json(const FailureView& v, bool with_backtrace) {
  Json j = Json::object();
  j["index"] = v.index;
  j["class"] = v.klass;
  j["queue"] = v.queue;
  j["args"] = v.args;
  j["exception"] = v.exception;
  j["error"] = v.error;
  j["worker"] = v.worker;
  j["failed_at"] = v.failed_at ? Json(*v.failed_at) : Json();
  j["retried_at"] = v.retried_at ? Json(*v.retried_at) : Json();
  if (with_backtrace) {
    j["backtrace"] = v.backtrace;
    j["raw"] = v.raw;
  }
  return j;
}

bool FailedFilter::matches(const FailureView& v) const {
  return (klass.empty() || v.klass == klass) && (queue.empty() || v.queue == queue) &&
         (exception.empty() || v.exception == exception);
}

std::vector<FailureView> failed_page(Queue& q, const FailedFilter& filter, long long start,
                                     long long count) {
  std::vector<FailureView> out;
  if (start < 0) start = 0;
  constexpr long long kChunk = 500;
  for (long long at = start;; at += kChunk) {
    const auto chunk = q.failed(at, at + kChunk - 1);
    for (const auto& f : chunk) {
      FailureView v = view_failure(f);
      if (!filter.matches(v)) continue;
      out.push_back(std::move(v));
      if (count > 0 && static_cast<long long>(out.size()) >= count) return out;
    }
    if (static_cast<long long>(chunk.size()) < kChunk) return out;
  }
}

FailureView failed_at_index(Queue& q, long long index) {
  if (index >= 0) {
    const auto one = q.failed(index, index);
    if (!one.empty()) return view_failure(one.front());
  }
  throw NotFound("no failed entry at index " + std::to_string(index));
}

std::vector<WorkerView> worker_views(Queue& q) {
  const Keys& k = q.keys();
  auto working = q.all_working_on();
  std::map<std::string, std::string> beats;
  std::map<std::string, std::int64_t> pings;
  std::vector<WorkerView> out;
  const auto registered = q.workers();
  {
    auto conn = q.pool().acquire();
    const auto all = conn->command({"HGETALL", k.heartbeats()}).strings();
    for (std::size_t i = 0; i + 1 < all.size(); i += 2) beats[all[i]] = all[i + 1];
    const std::string prefix = k.worker_ping("");
    for (const auto& key : scan_keys(*conn, glob_escape(prefix) + "*")) {
      const Reply r = conn->command({"GET", key});
      if (r.is_nil()) continue;
      try {
        const Json j = decode_json(r.str());
        if (j.is_object() && j.contains("time"))
          if (auto t = json_time(j["time"])) pings[key.substr(prefix.size())] = *t;
      } catch (const Error&) {
      }
    }
    for (const auto& w : registered) {
      WorkerView v;
      v.info = w;
      if (auto it = working.find(w.id); it != working.end() && it->second.is_object()) {
        const Json& s = it->second;
        v.busy = true;
        v.queue = str_field(s, "queue");
        if (s.contains("payload")) v.payload = s["payload"];
        if (s.contains("run_at")) v.run_at = json_time(s["run_at"]);
      }
      const Reply st = conn->command({"GET", k.worker_started(w.id)});
      if (!st.is_nil()) v.started = parse_time(st.str());
      if (auto b = beats.find(w.id); b != beats.end()) v.heartbeat = parse_time(b->second);
      if (auto p = pings.find(w.name);
          p != pings.end() && (!v.heartbeat || p->second > *v.heartbeat))
        v.heartbeat = p->second;
      out.push_back(std::move(v));
    }
  }
  return out;
}

Json worker_json(const WorkerView& w, std::int64_t now) {
  Json j = Json::object();
  j["id"] = w.info.id;
  j["host"] = w.info.host;
  j["pid"] = w.info.pid;
  j["queues"] = w.info.queues;
  j["started_at"] = w.started ? Json(*w.started) : Json();
  j["heartbeat_at"] = w.heartbeat ? Json(*w.heartbeat) : Json();
  if (w.busy) {
    Json job = Json::object();
    job["queue"] = w.queue;
    job["class"] = str_field(w.payload, "class");
    job["args"] = w.payload.is_object() && w.payload.contains("args") ? w.payload["args"] : Json();
    job["run_at"] = w.run_at ? Json(*w.run_at) : Json();
    job["running_for"] = w.run_at ? Json(now - *w.run_at) : Json();
    j["job"] = job;
  } else {
    j["job"] = nullptr;
  }
  return j;
}

std::vector<std::string> prune_dead_workers(Queue& q, std::int64_t now, std::int64_t threshold) {
  std::vector<std::string> pruned;
  for (const auto& w : worker_views(q)) {
    if (!w.heartbeat || now - *w.heartbeat <= threshold) continue;
    q.force_clean_worker(w.info.id);
    pruned.push_back(w.info.id);
  }
  return pruned;
}

std::map<std::string, Json> persisted_schedules(Queue& q) {
  std::map<std::string, Json> out;
  auto conn = q.pool().acquire();
  const auto all = conn->command({"HGETALL", q.keys().persistent_schedules()}).strings();
  const auto last = conn->command({"HGETALL", q.keys().last_enqueued_at()}).strings();
  std::map<std::string, std::string> fired;
  for (std::size_t i = 0; i + 1 < last.size(); i += 2) fired[last[i]] = last[i + 1];
  for (std::size_t i = 0; i + 1 < all.size(); i += 2) {
    Json config;
    try {
      config = decode_json(all[i + 1]);
    } catch (const Error&) {
    }
    if (!config.is_object()) config = Json{{"raw", all[i + 1]}};
    if (auto f = fired.find(all[i]); f != fired.end()) {
      const auto t = parse_time(f->second);
      config["last_enqueued_at"] = t ? Json(*t) : Json(f->second);
    }
    out[all[i]] = std::move(config);
  }
  return out;
}

Job fire_schedule(Queue& q, const std::string& name) {
  const auto all = persisted_schedules(q);
  const auto it = all.find(name);
  if (it == all.end()) throw NotFound("no schedule named '" + name + "'");
  const Json& c = it->second;
  Job job;
  job.klass = str_field(c, "class");
  if (job.klass.empty()) job.klass = name;  // Ruby: the class defaults to the name
  job.queue = str_field(c, "queue");
  if (job.queue.empty())
    throw ConfigError("schedule '" + name +
                      "' names no queue (Ruby finds it from the class, which only its code has)");
  if (c.contains("args") && !c["args"].is_null())
    job.args = c["args"].is_array() ? c["args"] : Json::array({c["args"]});
  q.enqueue(job.queue, job.klass, job.args);
  return job;
}

std::vector<LockView> lock_views(Queue& q) {
  std::vector<LockView> out;
  const auto locks = q.locks();  // before taking a connection: the pool may have only one
  auto conn = q.pool().acquire();
  for (const auto& [key, value] : locks) {
    out.push_back({key, value, conn->command({"TTL", q.keys().key(key)}).integer()});
  }
  for (const std::string& full : {q.keys().leader_lock(), q.keys().ruby_master_lock()}) {
    const Reply r = conn->command({"GET", full});
    if (r.is_nil()) continue;
    out.push_back(
        {std::string(q.keys().strip(full)), r.string(), conn->command({"TTL", full}).integer()});
  }
  return out;
}

Json overview_json(Queue& q) {
  const auto stats = q.stats();
  auto get = [&](const char* n) {
    auto it = stats.find(n);
    return it == stats.end() ? 0LL : it->second;
  };
  long long pending = 0;
  const auto queues = q.queues();
  for (const auto& name : queues) pending += q.length(name);
  long long working = 0;
  for (const auto& [id, status] : q.all_working_on())
    if (status.is_object()) ++working;
  long long delayed = 0;
  const auto stamps = q.timestamps();
  {
    auto conn = q.pool().acquire();
    for (auto ts : stamps) delayed += conn->command({"LLEN", q.keys().delayed(ts)}).integer();
  }
  Json j = Json::object();
  j["processed"] = get("processed");
  j["failed"] = get("failed");
  j["pending"] = pending;
  j["queues"] = queues.size();
  j["workers"] = q.workers().size();
  j["working"] = working;
  j["failed_entries"] = q.failed_count();
  j["delayed_jobs"] = delayed;
  j["delayed_timestamps"] = stamps.size();
  j["paused"] = q.all_paused();
  Json counters = Json::object();
  for (const auto& [k, v] : stats) counters[k] = v;
  j["counters"] = counters;
  return j;
}

}  // namespace resque::cli
