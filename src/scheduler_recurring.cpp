// Recurring schedules: reading resque-scheduler's configs (in memory and in the
// persistent_schedules hash) and firing them on the leader, once per slot.
#include <fmt/format.h>

#include <sstream>

#include "hooks.hpp"
#include "protocol/scheduler_scripts.hpp"
#include "resque/error.hpp"
#include "resque/registry.hpp"
#include "scheduler_state.hpp"
#include "time/timefmt.hpp"

namespace resque {

namespace detail {

namespace {
// resque-scheduler's optionizate_interval_value: a [value, {options}] array means the value.
std::optional<Json> interval_value(const Json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  Json v = config[key];
  if (v.is_array()) {
    if (v.empty()) return std::nullopt;
    v = v[0];
  }
  if (v.is_null() || (v.is_string() && v.get<std::string>().empty())) return std::nullopt;
  return v;
}
}  // namespace

ScheduleSpec interpret_schedule(const std::string& name, const Json& config,
                                const SchedulerOptions& options) {
  auto fail = [&](const std::string& why) -> ScheduleSpec {
    throw ConfigError(fmt::format("schedule '{}': {}", name, why));
  };
  if (!config.is_object()) return fail("config is not a JSON object");
  ScheduleSpec s;
  if (config.contains("class")) {
    if (!config["class"].is_string() || config["class"].get<std::string>().empty())
      return fail("\"class\" must be a non-empty string");
    s.klass = config["class"].get<std::string>();
  } else {
    s.klass = name;  // resque-scheduler's rule
  }
  if (!config.contains("queue") || !config["queue"].is_string() ||
      config["queue"].get<std::string>().empty())
    return fail(
        "no \"queue\" (resque-scheduler would take the class's @queue, which resque-cpp cannot "
        "know; add \"queue\" to the config)");
  s.queue = config["queue"].get<std::string>();
  try {
    validate_queue_name(s.queue);
  } catch (const ConfigError& e) {
    return fail(e.what());
  }
  // Ruby: a hash becomes [hash], nil [], anything else Array(x).
  const Json args = config.contains("args") ? config["args"] : Json();
  if (args.is_null())
    s.args = Json::array();
  else if (args.is_array())
    s.args = args;
  else
    s.args = Json::array({args});

  const char* env_key = config.contains("rails_env") && !config["rails_env"].is_null() ? "rails_env"
                        : config.contains("env") && !config["env"].is_null()           ? "env"
                                                                                       : nullptr;
  if (env_key != nullptr) {
    const Json& e = config[env_key];
    bool match = false;
    if (e.is_string() && !options.env.empty()) {
      std::string list = e.get<std::string>();
      for (auto& ch : list)
        if (ch == ',') ch = ' ';
      std::stringstream ss(list);
      std::string item;
      while (ss >> item) match = match || item == options.env;
    }
    s.env_excluded = !match;
  }

  if (auto c = interval_value(config, "cron")) {
    if (!c->is_string()) return fail("\"cron\" must be a string");
    s.cron = CronExpr::parse(c->get<std::string>(), options.cron_time_zone);
  } else if (auto e = interval_value(config, "every")) {
    if (e->is_number()) {
      const double secs = e->get<double>();
      if (!(secs >= 1)) return fail("\"every\" must be at least 1 second");
      s.every = static_cast<std::int64_t>(secs + 0.999999);
    } else if (e->is_string()) {
      s.every = parse_every_seconds(e->get<std::string>());
    } else {
      return fail("\"every\" must be a duration string such as \"30s\"");
    }
  } else {
    return fail("neither \"cron\" nor \"every\" is set");
  }
  return s;
}

}  // namespace detail

void Scheduler::State::load_schedules(Connection& conn, std::int64_t now) {
  std::map<std::string, std::string> texts;
  {
    std::lock_guard<std::mutex> lock(sched_mu);
    for (const auto& [name, config] : memory) texts[name] = encode_json(config);
  }
  // Persisted ones win a name clash, as in Ruby's all_schedules.
  const auto all = conn.command({"HGETALL", keys.persistent_schedules()}).strings();
  for (std::size_t i = 0; i + 1 < all.size(); i += 2) texts[all[i]] = all[i + 1];

  for (auto it = runtime.begin(); it != runtime.end();)
    it = texts.count(it->first) ? std::next(it) : runtime.erase(it);
  for (const auto& [name, text] : texts) {
    auto [it, fresh] = runtime.try_emplace(name);
    Runtime& rt = it->second;
    if (fresh) rt.first_seen = now;
    if (!fresh && rt.text == text) continue;
    rt.text = text;
    rt.spec.reset();
    try {
      rt.spec = detail::interpret_schedule(name, decode_json(text), opts);
      if (rt.spec->env_excluded)
        log(LogLevel::Info,
            fmt::format("scheduler={} schedule={} is for another env; skipped", opts.name, name));
    } catch (const Error& e) {
      error(fmt::format("schedule '{}' cannot run: {}", name, e.what()));
    }
  }
}

std::size_t Scheduler::State::fire_schedules(Connection& conn, std::int64_t now) {
  bool any = false;
  for (const auto& [name, rt] : runtime) any = any || (rt.spec && !rt.spec->env_excluded);
  if (!any) return 0;
  std::map<std::string, std::string> last;
  {
    const auto all = conn.command({"HGETALL", keys.last_enqueued_at()}).strings();
    for (std::size_t i = 0; i + 1 < all.size(); i += 2) last[all[i]] = all[i + 1];
  }
  std::size_t fired = 0;
  for (const auto& [name, rt] : runtime) {
    if (!rt.spec || rt.spec->env_excluded) continue;
    const detail::ScheduleSpec& spec = *rt.spec;
    // The base is the last fire recorded by whoever led (us, another resque-cpp scheduler or
    // Ruby), else when this scheduler first saw the schedule. One fire covers every slot
    // missed since the base: the next base is now.
    const auto lit = last.find(name);
    std::int64_t base = rt.first_seen;
    if (lit != last.end())
      if (auto tp = detail::parse_time(lit->second))
        base = std::chrono::duration_cast<std::chrono::seconds>(tp->time_since_epoch()).count();
    const auto due = spec.next_after(base);
    if (!due || *due > now) continue;
    if (auto after = spec.next_after(*due); after && *after <= now)
      log(LogLevel::Info, fmt::format("scheduler={} schedule={} missed runs since {}; firing once",
                                      opts.name, name, *due));

    Job job;
    job.klass = spec.klass;
    job.queue = spec.queue;
    job.args = spec.args;
    bool vetoed = false;
    std::string payload;
    const JobDefinition* def = registry ? registry->find(job.klass) : nullptr;
    auto ctx = HookContext::for_enqueue(job, conn, keys, *hook_queue);
    try {
      payload = encode_payload(job, conn.options().dialect);
      vetoed = !detail::run_before_enqueue(def, ctx);
    } catch (const std::exception& e) {
      // The slot is recorded all the same: a hook that always throws must not fire every poll.
      error(fmt::format("schedule '{}': {} not enqueued: {}", name, job.klass, e.what()));
      vetoed = true;
    }
    const auto now_tp = std::chrono::system_clock::time_point(std::chrono::seconds(now));
    const bool had_last = lit != last.end();
    // Hooks that took something (a QueueLock) for a fire that did not happen give it back.
    // (A lambda cannot capture a structured binding before C++20: clang refuses it.)
    const std::string& schedule_name = name;
    auto abort_hooks = [&] {
      if (vetoed) return;
      try {
        detail::run_enqueue_aborted(def, ctx);
      } catch (const std::exception& e) {
        error(
            fmt::format("schedule '{}': enqueue_aborted hook threw: {}", schedule_name, e.what()));
      }
    };
    long long r = 0;
    try {
      protocol::FireArgs fire;
      fire.name = name;
      if (had_last) fire.last_seen = lit->second;
      fire.record = detail::ruby_started(now_tp);
      if (!vetoed) fire.queue = job.queue;
      fire.payload = payload;
      r = protocol::schedule_fire(conn, keys, fire) ? 1 : 0;
    } catch (const ReplyError&) {
      abort_hooks();  // refused: nothing was written (after a ConnectionError: left to TTLs)
      throw;
    }
    if (r == 0) {
      abort_hooks();
      log(LogLevel::Debug,
          fmt::format("scheduler={} schedule={} was fired by another scheduler", opts.name, name));
      continue;
    }
    if (vetoed) {
      log(LogLevel::Info,
          fmt::format("scheduler={} schedule={} vetoed by a before_enqueue hook", opts.name, name));
      continue;
    }
    try {
      detail::run_after_enqueue(def, ctx);
    } catch (const std::exception& e) {
      error(fmt::format("schedule '{}': after_enqueue hook threw: {}", name, e.what()));
    }
    ++fired;
    log(LogLevel::Info, fmt::format("scheduler={} schedule={} queue={} class={} fired", opts.name,
                                    name, job.queue, job.klass));
    emit(opts.events.on_schedule_fired, name, job);
  }
  return fired;
}

}  // namespace resque
