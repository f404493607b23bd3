// The dashboard's server: routing, basic auth, CSRF-checked POST actions, redirects.
#include "dashboard.hpp"

#include <httplib.h>

#include <random>
#include <thread>

#include "../cli/admin.hpp"
#include "../cli/context.hpp"
#include "pages.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"

namespace resque {

namespace {

std::string base64(const std::string& in) {
  static const char* const k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    out += {k[v >> 18 & 63], k[v >> 12 & 63], k[v >> 6 & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {k[v >> 18 & 63], k[v >> 12 & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += {k[v >> 18 & 63], k[v >> 12 & 63], k[v >> 6 & 63], '='};
  }
  return out;
}

// Comparison whose time does not depend on where the strings differ.
bool same(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

std::string random_token() {
  std::random_device rd;
  std::string t;
  for (int i = 0; i < 16; ++i) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", rd() & 0xFF);
    t += buf;
  }
  return t;
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.') {
      out += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

}  // namespace

struct Dashboard::Impl {
  ConnectionOptions redis;
  DashboardOptions opts;
  Queue queue;
  std::string csrf = random_token();
  httplib::Server server;
  std::thread thread;
  int port = 0;

  Impl(ConnectionOptions r, DashboardOptions o)
      : redis(std::move(r)), opts(std::move(o)), queue(redis, nullptr, QueueOptions{4}) {}

  dashboard::PageContext context(const httplib::Request& req) const {
    dashboard::PageContext c;
    c.csrf = csrf;
    c.server = redis.describe();
    c.ns = redis.key_namespace;
    c.page_size = opts.page_size;
    for (const auto& [k, v] : req.params) c.params[k] = v;
    c.flash = c.param("msg");
    return c;
  }

  // Bound to loopback, only loopback names are served: a DNS-rebinding page (whose own name
  // resolves to 127.0.0.1) would otherwise be same-origin with the dashboard and read its
  // CSRF token.
  bool host_allowed(const httplib::Request& req) const {
    if (opts.host != "127.0.0.1" && opts.host != "localhost" && opts.host != "::1") return true;
    std::string host = req.get_header_value("Host");
    if (!host.empty() && host[0] == '[') {
      host = host.substr(0, host.find(']') + 1);
    } else if (const auto colon = host.find(':'); colon != std::string::npos) {
      host = host.substr(0, colon);
    }
    return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
  }

  bool authorized(const httplib::Request& req, httplib::Response& res) const {
    if (!host_allowed(req)) {
      res.status = 403;
      res.set_content("this dashboard answers to 127.0.0.1 and localhost only\n", "text/plain");
      return false;
    }
    if (opts.auth_user.empty()) return true;
    const std::string expected = "Basic " + base64(opts.auth_user + ":" + opts.auth_password);
    if (same(req.get_header_value("Authorization"), expected)) return true;
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic realm=\"resque\"");
    res.set_content("authentication required\n", "text/plain");
    return false;
  }

  void error(httplib::Response& res, int status, const std::string& message) {
    res.status = status;
    res.set_content("<!DOCTYPE html><html><body><h1>" + std::to_string(status) + "</h1><p>" +
                        dashboard::escape_html(message) +
                        "</p><a href=\"/\">Overview</a></body></html>",
                    "text/html; charset=utf-8");
  }

  // GET: renders a page; errors become 404 (no such entry) or 500.
  void page(const std::string& pattern,
            std::function<std::string(const httplib::Request&, dashboard::PageContext&)> render) {
    server.Get(pattern, [this, render](const httplib::Request& req, httplib::Response& res) {
      if (!authorized(req, res)) return;
      try {
        auto c = context(req);
        res.set_content(render(req, c), "text/html; charset=utf-8");
        res.set_header("X-Frame-Options", "DENY");
      } catch (const cli::NotFound& e) {
        error(res, 404, e.what());
      } catch (const std::exception& e) {
        error(res, 500, e.what());
      }
    });
  }

  // POST: checks the CSRF token, runs the action, redirects back with its message.
  void action(const std::string& pattern, std::function<std::string(const httplib::Request&)> run) {
    server.Post(pattern, [this, run](const httplib::Request& req, httplib::Response& res) {
      if (!authorized(req, res)) return;
      if (!same(req.get_param_value("csrf"), csrf))
        return error(res, 403, "missing or wrong CSRF token");
      std::string back = req.get_param_value("back");
      if (back.empty() || back[0] != '/' ||
          (back.size() > 1 && (back[1] == '/' || back[1] == '\\')))
        back = "/";
      std::string msg;
      try {
        msg = run(req);
      } catch (const cli::NotFound& e) {
        return error(res, 404, e.what());
      } catch (const std::exception& e) {
        return error(res, 500, e.what());
      }
      res.set_redirect(
          back + (back.find('?') == std::string::npos ? "?" : "&") + "msg=" + url_encode(msg), 303);
    });
  }

  void routes() {
    using Req = httplib::Request;
    using Ctx = dashboard::PageContext;
    page("/", [this](const Req&, Ctx& c) { return dashboard::overview_page(queue, c); });
    page("/queues", [this](const Req&, Ctx& c) { return dashboard::queues_page(queue, c); });
    page(R"(/queues/([^/]+))",
         [this](const Req& r, Ctx& c) { return dashboard::queue_page(queue, c, r.matches[1]); });
    page("/working", [this](const Req&, Ctx& c) { return dashboard::working_page(queue, c); });
    page("/workers", [this](const Req&, Ctx& c) { return dashboard::workers_page(queue, c); });
    page("/failed", [this](const Req&, Ctx& c) { return dashboard::failed_page(queue, c); });
    page(R"(/failed/(\d+))", [this](const Req& r, Ctx& c) {
      return dashboard::failure_page(queue, c, std::stoll(r.matches[1]));
    });
    page("/delayed", [this](const Req&, Ctx& c) { return dashboard::delayed_page(queue, c); });
    page("/schedules", [this](const Req&, Ctx& c) { return dashboard::delayed_page(queue, c); });
    page("/locks", [this](const Req&, Ctx& c) { return dashboard::locks_page(queue, c); });
    page("/stats", [this](const Req&, Ctx& c) { return dashboard::stats_page(queue, c); });
    server.Get("/metrics", [this](const Req& req, httplib::Response& res) {
      if (!authorized(req, res)) return;
      try {
        res.set_content(dashboard::metrics_text(queue), "text/plain; version=0.0.4");
      } catch (const std::exception& e) {
        res.status = 500;
        res.set_content(std::string("# error: ") + e.what() + "\n", "text/plain");
      }
    });

    action(R"(/failed/(\d+)/retry)", [this](const Req& r) {
      const long long i = std::stoll(r.matches[1]);
      cli::failed_at_index(queue, i);
      queue.retry_failed(i);
      return "requeued failed job #" + std::to_string(i);
    });
    action(R"(/failed/(\d+)/remove)", [this](const Req& r) {
      const long long i = std::stoll(r.matches[1]);
      // By the stored bytes the page showed, so a list that shifted meanwhile removes the
      // right entry or none.
      const std::string raw = r.get_param_value("raw");
      const bool removed =
          raw.empty() ? queue.remove_failed(i) : queue.remove_failed(FailedJob{i, raw, Json()});
      if (!removed) throw cli::NotFound("that failed entry is no longer there");
      return std::string("removed a failed entry");
    });
    action("/failed/retry-all", [this](const Req&) {
      return "requeued " + std::to_string(queue.retry_all_failed()) + " failed jobs";
    });
    action("/failed/clear", [this](const Req&) {
      const long long n = queue.failed_count();
      queue.clear_failed();
      return "removed " + std::to_string(n) + " failed entries";
    });
    action(R"(/queues/([^/]+)/clear)", [this](const Req& r) {
      return "removed " + std::to_string(cli::clear_queue(queue, r.matches[1])) + " jobs";
    });
    action(R"(/delayed/(\d+)/run-now)", [this](const Req& r) {
      const auto n = cli::run_delayed_now(queue, std::stoll(r.matches[1]));
      if (n == 0) throw cli::NotFound("nothing is delayed at that time any more");
      return "enqueued " + std::to_string(n) + " jobs";
    });
    action("/schedules/fire", [this](const Req& r) {
      const Job j = cli::fire_schedule(queue, r.get_param_value("name"));
      return "enqueued " + j.klass + " on " + j.queue;
    });
    action("/schedules/remove", [this](const Req& r) {
      const std::string name = r.get_param_value("name");
      auto conn = queue.pool().acquire();
      if (conn->command({"HDEL", queue.keys().persistent_schedules(), name}).integer() == 0)
        throw cli::NotFound("no schedule named '" + name + "'");
      conn->command({"SADD", queue.keys().schedules_changed(), name});
      return "removed schedule " + name;
    });
    action("/locks/delete", [this](const Req& r) {
      const std::string key = r.get_param_value("key");
      bool existed = false;
      if (key.rfind("lock:", 0) == 0 || key.rfind("workerslock:", 0) == 0) {
        existed = queue.del_lock(key);
      } else if (key == queue.keys().strip(queue.keys().leader_lock()) ||
                 key == queue.keys().strip(queue.keys().ruby_master_lock())) {
        auto conn = queue.pool().acquire();
        existed = conn->command({"DEL", queue.keys().key(key)}).integer() > 0;
      } else {
        throw ConfigError("not a lock: " + key);
      }
      if (!existed) throw cli::NotFound("no lock named '" + key + "'");
      return "deleted " + key;
    });
    action("/workers/prune", [this](const Req&) {
      std::int64_t now = 0;
      {
        auto conn = queue.pool().acquire();
        now = std::stoll(conn->command({"TIME"}).element(0).string());
      }
      return "pruned " + std::to_string(cli::prune_dead_workers(queue, now, 300).size()) +
             " workers";
    });
    action("/pause", [this](const Req&) {
      queue.pause_all();
      return std::string("paused");
    });
    action("/resume", [this](const Req&) {
      queue.resume_all();
      return std::string("resumed");
    });
  }
};

Dashboard::Dashboard(ConnectionOptions redis, DashboardOptions options)
    : impl_(std::make_unique<Impl>(std::move(redis), std::move(options))) {
  impl_->routes();
}

Dashboard::~Dashboard() {
  stop();
}

void Dashboard::start() {
  Impl& d = *impl_;
  if (d.thread.joinable()) return;
  if (d.opts.port == 0)
    d.port = d.server.bind_to_any_port(d.opts.host);
  else
    d.port = d.server.bind_to_port(d.opts.host, d.opts.port) ? d.opts.port : -1;
  if (d.port <= 0)
    throw ConfigError("dashboard: cannot listen on " + d.opts.host + ":" +
                      std::to_string(d.opts.port));
  d.thread = std::thread([&d] { d.server.listen_after_bind(); });
}

void Dashboard::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

int Dashboard::port() const {
  return impl_->port;
}

}  // namespace resque
