// Queue: the failed list (Ruby's Resque::Failure::Redis layout, node's entries read too).
#include <fmt/format.h>

#include <cctype>

#include "protocol/queue_scripts.hpp"
#include "queue_internal.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"
#include "time/timefmt.hpp"

namespace resque {

namespace {

// Attempts at a compare-and-set before giving up (only reached when the entry keeps changing).
constexpr int kCasAttempts = 5;

Json decode_entry(const std::string& raw) {
  try {
    return decode_json(raw);
  } catch (const EncodingError&) {
    return Json();  // null: not JSON; kept raw
  }
}

// The job of a failure entry, as Ruby's requeue rebuilds it: {class, args} of the payload on
// the entry's queue (extra payload fields are dropped, as both peers drop them). nullopt when
// the entry does not say which class or queue.
std::optional<Job> job_of(const Json& entry) {
  if (!entry.is_object()) return std::nullopt;
  auto q = entry.find("queue");
  auto p = entry.find("payload");
  if (q == entry.end() || !q->is_string() || q->get_ref<const std::string&>().empty())
    return std::nullopt;
  if (p == entry.end() || !p->is_object()) return std::nullopt;
  auto c = p->find("class");
  if (c == p->end() || !c->is_string() || c->get_ref<const std::string&>().empty())
    return std::nullopt;
  Job job;
  job.klass = c->get<std::string>();
  job.queue = q->get<std::string>();
  auto a = p->find("args");
  if (a == p->end() || a->is_null() || (a->is_object() && a->empty()))
    job.args = Json::array();  // missing, or cjson's {} for []
  else
    job.args = detail::normalize_args(*a);
  return job;
}

// The entry with "retried_at" set. When the entry has none yet, the field is appended to the
// stored text itself, so every other byte stays as the writer (Ruby, node) left it; an
// existing value is replaced in place (Ruby keeps the key where it was) by re-encoding.
std::string with_retried_at(const std::string& raw, Json entry, const std::string& when) {
  if (!entry.contains("retried_at")) {
    std::size_t end = raw.size();
    while (end > 0 && std::isspace(static_cast<unsigned char>(raw[end - 1]))) --end;
    if (end > 0 && raw[end - 1] == '}') {
      std::string out = raw.substr(0, end - 1);
      std::size_t last = out.size();
      while (last > 0 && std::isspace(static_cast<unsigned char>(out[last - 1]))) --last;
      const bool empty_object = last > 0 && out[last - 1] == '{';
      out += empty_object ? "\"retried_at\":" : ",\"retried_at\":";
      out += encode_json(Json(when));
      out += '}';
      return out;
    }
  }
  entry["retried_at"] = when;
  return encode_json(entry);
}

}  // namespace

long long Queue::failed_count() {
  auto conn = pool_->acquire();
  return conn->command({"LLEN", keys_.failed()}).integer();
}

std::vector<FailedJob> Queue::failed(long long start, long long stop) {
  auto conn = pool_->acquire();
  std::vector<std::string> raws;
  long long first = start;
  if (start >= 0) {
    raws = conn->command({"LRANGE", keys_.failed(), std::to_string(start), std::to_string(stop)})
               .strings();
  } else {
    // A negative start counts from the end: read the length in the same transaction so the
    // indexes reported are the ones the entries had.
    auto replies =
        conn->pipeline({{"MULTI"},
                        {"LLEN", keys_.failed()},
                        {"LRANGE", keys_.failed(), std::to_string(start), std::to_string(stop)},
                        {"EXEC"}});
    for (auto& r : replies)
      if (r.is_error())
        throw ReplyError(
            fmt::format("reading failed on {}: {}", pool_->options().describe(), r.str()));
    const auto& exec = replies[3];
    const long long len = exec.element(0).integer();
    raws = exec.element(1).strings();
    first = std::max(0LL, len + start);
  }
  std::vector<FailedJob> out;
  out.reserve(raws.size());
  for (std::size_t i = 0; i < raws.size(); ++i) {
    FailedJob f;
    f.index = first + static_cast<long long>(i);
    f.entry = decode_entry(raws[i]);
    f.raw = std::move(raws[i]);
    out.push_back(std::move(f));
  }
  return out;
}

bool Queue::remove_failed(long long index) {
  auto conn = pool_->acquire();
  return protocol::remove_failed_at(*conn, keys_, index);
}

bool Queue::remove_failed(const FailedJob& failed) {
  auto conn = pool_->acquire();
  return conn->command({"LREM", keys_.failed(), "1", failed.raw}).integer() > 0;
}

void Queue::retry_failed(long long index) {
  auto conn = pool_->acquire();
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    auto raw = conn->command({"LINDEX", keys_.failed(), std::to_string(index)}).opt_string();
    if (!raw)
      throw JobError(fmt::format("retry_failed: no failed entry at index {} on {}", index,
                                 pool_->options().describe()));
    const Json entry = decode_entry(*raw);
    const auto job = job_of(entry);
    if (!job)
      throw JobError(
          fmt::format("retry_failed: the failed entry at index {} names no job class and queue: {}",
                      index, raw->substr(0, 200)));
    const std::string updated =
        with_retried_at(*raw, entry, detail::ruby_failed_at(std::chrono::system_clock::now()));
    const protocol::RetryFailedArgs args{index, *raw, updated, job->queue,
                                         encode_payload(*job, dialect())};
    if (protocol::retry_failed(*conn, keys_, args) == protocol::RetryResult::Done) return;
    // The entry changed between our read and the script (another client retried or removed
    // it): read it again.
  }
  throw JobError(fmt::format("retry_failed: the failed entry at index {} kept changing on {}",
                             index, pool_->options().describe()));
}

void Queue::retry_and_remove_failed(const FailedJob& failed) {
  const Json entry = failed.entry.is_null() ? decode_entry(failed.raw) : failed.entry;
  const auto job = job_of(entry);
  if (!job)
    throw JobError(
        fmt::format("retry_and_remove_failed: the failed entry names no job class and queue: {}",
                    failed.raw.substr(0, 200)));
  auto conn = pool_->acquire();
  const protocol::RetryAndRemoveArgs args{failed.raw, job->queue, encode_payload(*job, dialect())};
  if (protocol::retry_and_remove_failed(*conn, keys_, args) == protocol::RetryResult::Changed)
    throw JobError("This job is not in failed queue");
}

long long Queue::retry_all_failed() {
  auto conn = pool_->acquire();
  const auto raws = conn->command({"LRANGE", keys_.failed(), "0", "-1"}).strings();
  const std::string when = detail::ruby_failed_at(std::chrono::system_clock::now());
  std::vector<protocol::RetryFailedArgs> calls;
  calls.reserve(raws.size());
  for (std::size_t i = 0; i < raws.size(); ++i) {
    const Json entry = decode_entry(raws[i]);
    const auto job = job_of(entry);
    if (!job) continue;  // unreadable entries stay as they are
    calls.push_back({static_cast<long long>(i), raws[i], with_retried_at(raws[i], entry, when),
                     job->queue, encode_payload(*job, dialect())});
  }
  // One script call per entry, all in one round trip; each is atomic on its own, and an entry
  // removed meanwhile by someone else is skipped (the script finds it gone).
  // Sent in chunks so a long failed list does not become one huge pipeline.
  constexpr std::size_t kChunk = 1000;
  long long done = 0;
  for (std::size_t b = 0; b < calls.size(); b += kChunk) {
    const std::vector<protocol::RetryFailedArgs> chunk(
        calls.begin() + static_cast<std::ptrdiff_t>(b),
        calls.begin() + static_cast<std::ptrdiff_t>(std::min(calls.size(), b + kChunk)));
    for (const auto& o : protocol::retry_failed_batch(*conn, keys_, chunk)) {
      // A refused call (a wrong-typed key) wrote nothing; the calls before it in the chunk
      // were done, those after it were sent too and each did its own part.
      if (!o.ok())
        throw ReplyError(
            fmt::format("retry_all_failed on {}: {}", pool_->options().describe(), *o.error));
      if (o.value == protocol::RetryResult::Done) ++done;
    }
  }
  return done;
}

void Queue::clear_failed() {
  auto conn = pool_->acquire();
  conn->command({"DEL", keys_.failed()});
}

}  // namespace resque
