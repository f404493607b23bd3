#include "pages.hpp"

#include <cstdio>

#include "../cli/admin.hpp"
#include "../cli/output.hpp"

namespace resque::dashboard {

using namespace resque::cli;

namespace {

std::int64_t redis_now(Queue& q) {
  auto conn = q.pool().acquire();
  return std::stoll(conn->command({"TIME"}).element(0).string());
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

std::string e(const std::string& s) {
  return escape_html(safe_text(s));
}

const char* kStyle =
    "body{font-family:sans-serif;margin:0;color:#222}nav{background:#333;padding:.5em 1em}"
    "nav a{color:#eee;margin-right:1em;text-decoration:none}main{padding:1em}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;"
    "text-align:left;vertical-align:top}th{background:#f4f4f4}form{display:inline}"
    ".flash{background:#ffd;padding:.5em;border:1px solid #cc9}pre{background:#f8f8f8;"
    "padding:.5em;overflow:auto}.muted{color:#777}";

std::string layout(const PageContext& c, const std::string& title, const std::string& body) {
  std::string h = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" +
                  escape_html(title) + " - resque</title><style>" + kStyle +
                  "</style></head><body><nav>";
  for (const auto& [href, label] :
       std::vector<std::pair<std::string, std::string>>{{"/", "Overview"},
                                                        {"/queues", "Queues"},
                                                        {"/working", "Working"},
                                                        {"/workers", "Workers"},
                                                        {"/failed", "Failed"},
                                                        {"/delayed", "Delayed &amp; schedules"},
                                                        {"/locks", "Locks"},
                                                        {"/stats", "Stats"}})
    h += "<a href=\"" + href + "\">" + label + "</a>";
  h += "<span class=\"muted\">" + e(c.server) + " ns " + e(c.ns) + "</span></nav><main>";
  if (!c.flash.empty()) h += "<p class=\"flash\">" + e(c.flash) + "</p>";
  h += "<h1>" + escape_html(title) + "</h1>" + body + "</main></body></html>";
  return h;
}

// A POST form with one button; `confirm` adds a required "yes" checkbox (no JavaScript).
std::string button(const PageContext& c, const std::string& action, const std::string& label,
                   const std::string& back,
                   const std::vector<std::pair<std::string, std::string>>& fields = {},
                   bool confirm = false) {
  std::string f = "<form method=\"post\" action=\"" + escape_html(action) +
                  "\"><input type=\"hidden\" name=\"csrf\" value=\"" + c.csrf +
                  "\"><input type=\"hidden\" name=\"back\" value=\"" + escape_html(back) + "\">";
  for (const auto& [k, v] : fields)
    f += "<input type=\"hidden\" name=\"" + escape_html(k) + "\" value=\"" + escape_html(v) + "\">";
  if (confirm)
    f += "<label><input type=\"checkbox\" name=\"yes\" value=\"1\" required> sure</label> ";
  return f + "<button type=\"submit\">" + escape_html(label) + "</button></form>";
}

std::string table(const std::vector<std::string>& headers,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string t = "<table><tr>";
  for (const auto& h : headers) t += "<th>" + escape_html(h) + "</th>";
  t += "</tr>";
  for (const auto& r : rows) {
    t += "<tr>";
    for (const auto& cell : r) t += "<td>" + cell + "</td>";  // cells are HTML already
    t += "</tr>";
  }
  return t + "</table>";
}

std::string str_field(const Json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "";
}

long long num_param(const PageContext& c, const std::string& k, long long def) {
  try {
    const std::string v = c.param(k);
    return v.empty() ? def : std::stoll(v);
  } catch (const std::exception&) {
    return def;
  }
}

}  // namespace

std::string escape_html(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string stats_page(Queue& q, const PageContext& c) {
  const Json o = overview_json(q);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : o.items())
    if (k != "counters") rows.push_back({e(k), e(v.dump())});
  for (const auto& [k, v] : o["counters"].items()) rows.push_back({"stat:" + e(k), e(v.dump())});
  return layout(c, "Stats", table({"stat", "value"}, rows));
}

std::string overview_page(Queue& q, const PageContext& c) {
  const Json o = overview_json(q);
  std::string b = "<p>" + e(o["processed"].dump()) + " processed, " + e(o["failed"].dump()) +
                  " failed, " + e(o["pending"].dump()) + " pending in " + e(o["queues"].dump()) +
                  " queues, " + e(o["working"].dump()) + " of " + e(o["workers"].dump()) +
                  " workers working, " + e(o["failed_entries"].dump()) + " failed entries, " +
                  e(o["delayed_jobs"].dump()) + " delayed jobs.</p>";
  b += o["paused"].get<bool>()
           ? "<p><strong>Workers are paused.</strong> " + button(c, "/resume", "Resume", "/") +
                 "</p>"
           : "<p>Workers are not paused. " + button(c, "/pause", "Pause all workers", "/") + "</p>";
  std::vector<std::vector<std::string>> rows;
  for (const auto& name : q.queues())
    rows.push_back({"<a href=\"/queues/" + url_encode(name) + "\">" + e(name) + "</a>",
                    std::to_string(q.length(name))});
  b += "<h2>Queues</h2>" + table({"queue", "jobs"}, rows);
  return layout(c, "Overview", b);
}

std::string queues_page(Queue& q, const PageContext& c) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& name : q.queues())
    rows.push_back(
        {"<a href=\"/queues/" + url_encode(name) + "\">" + e(name) + "</a>",
         std::to_string(q.length(name)),
         button(c, "/queues/" + url_encode(name) + "/clear", "Clear", "/queues", {}, true)});
  return layout(c, "Queues",
                rows.empty() ? "<p>No queues.</p>" : table({"queue", "jobs", ""}, rows));
}

std::string queue_page(Queue& q, const PageContext& c, const std::string& name) {
  const long long start = std::max(0LL, num_param(c, "start", 0));
  const long long len = q.length(name);
  std::vector<std::vector<std::string>> rows;
  long long i = start;
  for (const auto& j : q.queued(name, start, start + c.page_size - 1)) {
    const bool bad = j.klass.empty();
    rows.push_back({std::to_string(i++), bad ? "<em>unreadable</em>" : e(j.klass),
                    bad && j.extra.contains("raw") ? e(j.extra["raw"].get<std::string>())
                                                   : e(brief_json(j.args, 200))});
  }
  std::string b = "<p>" + std::to_string(len) + " jobs. " +
                  button(c, "/queues/" + url_encode(name) + "/clear", "Clear this queue",
                         "/queues/" + url_encode(name), {}, true) +
                  "</p>" + table({"#", "class", "args"}, rows);
  const std::string base = "/queues/" + url_encode(name) + "?start=";
  if (start > 0)
    b += "<a href=\"" + base + std::to_string(std::max(0LL, start - c.page_size)) +
         "\">&laquo; newer</a> ";
  if (start + c.page_size < len)
    b += "<a href=\"" + base + std::to_string(start + c.page_size) + "\">older &raquo;</a>";
  return layout(c, "Queue " + safe_text(name), b);
}

std::string working_page(Queue& q, const PageContext& c) {
  const std::int64_t now = redis_now(q);
  std::vector<std::vector<std::string>> rows;
  for (const auto& w : worker_views(q)) {
    if (!w.busy) continue;
    rows.push_back(
        {e(w.info.id), e(w.queue), e(str_field(w.payload, "class")),
         e(brief_json(
             w.payload.is_object() && w.payload.contains("args") ? w.payload["args"] : Json(),
             120)),
         w.run_at ? e(time_and_age(*w.run_at, now)) : "?"});
  }
  return layout(c, "Working",
                rows.empty() ? "<p>Nothing is being worked on.</p>"
                             : table({"worker", "queue", "class", "args", "since"}, rows));
}

std::string workers_page(Queue& q, const PageContext& c) {
  const std::int64_t now = redis_now(q);
  std::vector<std::vector<std::string>> rows;
  for (const auto& w : worker_views(q)) {
    std::string queues;
    for (const auto& x : w.info.queues) queues += (queues.empty() ? "" : ", ") + x;
    rows.push_back({e(w.info.host), e(w.info.pid), e(queues),
                    w.busy ? e(str_field(w.payload, "class") + " (" +
                               (w.run_at ? duration(now - *w.run_at) : std::string("?")) + ")")
                           : "idle",
                    w.heartbeat ? e(duration(now - *w.heartbeat) + " ago") : "none",
                    w.started ? e(utc_time(*w.started)) : ""});
  }
  std::string b = rows.empty()
                      ? "<p>No workers.</p>"
                      : table({"host", "pid", "queues", "job", "last heartbeat", "started"}, rows);
  b += "<p>" +
       button(c, "/workers/prune", "Prune workers silent for 5 minutes", "/workers", {}, true) +
       "</p>";
  return layout(c, "Workers", b);
}

std::string failed_page(Queue& q, const PageContext& c) {
  const long long start = std::max(0LL, num_param(c, "start", 0));
  FailedFilter f{c.param("class"), c.param("queue"), c.param("exception")};
  const auto page = cli::failed_page(q, f, start, c.page_size);
  const std::int64_t now = redis_now(q);
  std::string b = "<form method=\"get\" action=\"/failed\">class <input name=\"class\" value=\"" +
                  escape_html(f.klass) + "\"> queue <input name=\"queue\" value=\"" +
                  escape_html(f.queue) + "\"> exception <input name=\"exception\" value=\"" +
                  escape_html(f.exception) + "\"> <button>Filter</button></form>";
  b += "<p>" + std::to_string(q.failed_count()) + " failed jobs. " +
       button(c, "/failed/retry-all", "Retry all", "/failed", {}, true) + " " +
       button(c, "/failed/clear", "Clear all", "/failed", {}, true) + "</p>";
  std::vector<std::vector<std::string>> rows;
  const std::string back = "/failed";
  for (const auto& v : page) {
    const std::string idx = std::to_string(v.index);
    std::string bt;
    for (const auto& line : v.backtrace) bt += e(line) + "\n";
    rows.push_back(
        {"<a href=\"/failed/" + idx + "\">" + idx + "</a>",
         v.failed_at ? e(time_and_age(*v.failed_at, now)) : e(v.failed_at_text), e(v.queue),
         e(v.klass), e(brief_json(v.args, 120)),
         e(v.exception) + ": " + e(v.error) + (v.retried_at ? " <em>(retried)</em>" : "") +
             (bt.empty() ? ""
                         : "<details><summary>backtrace</summary><pre>" + bt + "</pre></details>"),
         button(c, "/failed/" + idx + "/retry", "Retry", back) + " " +
             button(c, "/failed/" + idx + "/remove", "Remove", back, {{"raw", v.raw}})});
  }
  b += table({"#", "failed at", "queue", "class", "args", "error", ""}, rows);
  if (!page.empty() && static_cast<int>(page.size()) == c.page_size)
    b += "<a href=\"/failed?start=" + std::to_string(page.back().index + 1) +
         "&class=" + url_encode(f.klass) + "&queue=" + url_encode(f.queue) +
         "&exception=" + url_encode(f.exception) + "\">more &raquo;</a>";
  return layout(c, "Failed", b);
}

std::string failure_page(Queue& q, const PageContext& c, long long index) {
  const FailureView v = failed_at_index(q, index);
  const std::int64_t now = redis_now(q);
  std::vector<std::vector<std::string>> rows = {
      {"failed at", v.failed_at ? e(time_and_age(*v.failed_at, now)) : e(v.failed_at_text)},
      {"queue", e(v.queue)},
      {"class", e(v.klass)},
      {"args", e(brief_json(v.args, 0))},
      {"exception", e(v.exception)},
      {"error", e(v.error)},
      {"worker", e(v.worker)}};
  if (v.retried_at) rows.push_back({"retried at", e(time_and_age(*v.retried_at, now))});
  std::string bt;
  for (const auto& line : v.backtrace) bt += e(line) + "\n";
  const std::string idx = std::to_string(index);
  return layout(c, "Failure #" + idx,
                table({"field", "value"}, rows) + "<h2>Backtrace</h2><pre>" + bt + "</pre>" +
                    button(c, "/failed/" + idx + "/retry", "Retry", "/failed/" + idx) + " " +
                    button(c, "/failed/" + idx + "/remove", "Remove", "/failed", {{"raw", v.raw}}));
}

std::string delayed_page(Queue& q, const PageContext& c) {
  const std::int64_t now = redis_now(q);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [ts, jobs] : q.all_delayed()) {
    std::string list;
    for (const auto& j : jobs)
      list += e(j.klass + " on " + j.queue + " " + brief_json(j.args, 120)) + "<br>";
    rows.push_back(
        {e(time_and_age(ts, now)), list,
         button(c, "/delayed/" + std::to_string(ts) + "/run-now", "Enqueue now", "/delayed")});
  }
  std::string b = rows.empty() ? "<p>No delayed jobs.</p>" : table({"at", "jobs", ""}, rows);
  std::vector<std::vector<std::string>> srows;
  for (const auto& [name, cfg] : persisted_schedules(q)) {
    auto text = [&](const char* k) {
      return cfg[k].is_string() ? cfg[k].get<std::string>() : brief_json(cfg[k]);
    };
    const std::string when = cfg.contains("cron")    ? "cron " + text("cron")
                             : cfg.contains("every") ? "every " + text("every")
                                                     : "?";
    std::string last = "never";
    if (cfg.contains("last_enqueued_at"))
      last = cfg["last_enqueued_at"].is_number()
                 ? time_and_age(cfg["last_enqueued_at"].get<std::int64_t>(), now)
                 : brief_json(cfg["last_enqueued_at"]);
    srows.push_back(
        {e(name), e(when), e(str_field(cfg, "queue")),
         e(cfg.contains("class") ? str_field(cfg, "class") : name), e(last),
         button(c, "/schedules/fire", "Queue now", "/delayed", {{"name", name}}) + " " +
             button(c, "/schedules/remove", "Remove", "/delayed", {{"name", name}}, true)});
  }
  b += "<h2>Schedules</h2>" +
       (srows.empty() ? std::string("<p>No persisted schedules.</p>")
                      : table({"name", "when", "queue", "class", "last enqueued", ""}, srows));
  return layout(c, "Delayed & schedules", b);
}

std::string locks_page(Queue& q, const PageContext& c) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : lock_views(q))
    rows.push_back({e(l.key), e(safe_text(l.value, 120)), l.ttl < 0 ? "never" : e(duration(l.ttl)),
                    button(c, "/locks/delete", "Delete", "/locks", {{"key", l.key}})});
  return layout(
      c, "Locks",
      rows.empty() ? "<p>No locks.</p>" : table({"key", "value", "expires in", ""}, rows));
}

namespace {
std::string label_value(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}
}  // namespace

std::string metrics_text(Queue& q) {
  const Json o = overview_json(q);
  std::string m;
  auto metric = [&](const char* name, const char* type, const char* help,
                    const std::string& value) {
    m += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         name + " " + value + "\n";
  };
  metric("resque_processed_total", "counter", "Jobs processed (stat:processed).",
         o["processed"].dump());
  metric("resque_failed_total", "counter", "Jobs failed (stat:failed).", o["failed"].dump());
  metric("resque_pending_jobs", "gauge", "Jobs waiting in all queues.", o["pending"].dump());
  metric("resque_workers", "gauge", "Registered workers.", o["workers"].dump());
  metric("resque_working_workers", "gauge", "Workers performing a job.", o["working"].dump());
  metric("resque_failed_entries", "gauge", "Entries in the failed list.",
         o["failed_entries"].dump());
  metric("resque_delayed_jobs", "gauge", "Delayed jobs.", o["delayed_jobs"].dump());
  metric("resque_paused", "gauge", "1 when pause-all-workers is set.",
         o["paused"].get<bool>() ? "1" : "0");
  m += "# HELP resque_queue_length Jobs waiting in one queue.\n# TYPE resque_queue_length gauge\n";
  for (const auto& name : q.queues())
    m += "resque_queue_length{queue=\"" + label_value(name) + "\"} " +
         std::to_string(q.length(name)) + "\n";
  return m;
}

}  // namespace resque::dashboard
