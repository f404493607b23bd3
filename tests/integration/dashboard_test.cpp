// The web dashboard over a real redis-server filled with resque-cpp's, Ruby's and node's
// records: every page renders them, actions are POSTs that need the CSRF token, basic auth,
// /metrics, no password anywhere, and `resque-cli web` serving until SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

#include "dashboard.hpp"
#include "process.hpp"
#include "redis_dump.hpp"
#include "redis_server.hpp"
#include "resque/queue.hpp"
#include "resque/scheduler.hpp"

using namespace resque;
using resque::test::RedisServer;

namespace {

const char* kRubyFailure =
    R"({"failed_at":"2026/11/28 06:46:46 UTC","payload":{"class":"HardJob","args":[1]},)"
    R"("exception":"RuntimeError","error":"bad <input>","backtrace":["app/jobs/hard.rb:3:in `perform'"],)"
    R"("worker":"rb:1:critical","queue":"critical"})";

class DashboardTest : public ::testing::Test {
 protected:
  RedisServer server;
  Queue q{server.options()};

  void SetUp() override {
    Connection c(server.options());
    // node's failure record and mid-job worker (golden fixtures recorded from node-resque).
    for (const char* fixture : {"node/03_failure.json", "node/04_worker_mid_job.json"}) {
      const Json dump = resque::test::load_fixture(fixture);
      for (const auto& [key, v] : dump.items()) {
        const Json& value = v["value"];
        if (v["type"] == "string") c.command({"SET", key, value.get<std::string>()});
        if (v["type"] == "list" || v["type"] == "set")
          for (std::size_t i = 0; i < value.size(); ++i)
            c.command({v["type"] == "list" ? "RPUSH" : "SADD", key, value[i].get<std::string>()});
      }
    }
    c.command({"RPUSH", "resque:failed", kRubyFailure});
    q.enqueue("exports", "ExportJob", Json::parse(R"([1,"<script>x</script>"])"));
    q.enqueue_at(std::chrono::system_clock::time_point(std::chrono::seconds(1900000000)), "exports",
                 "Later", Json::array({2}));
    Scheduler(server.options())
        .set_schedule("nightly",
                      Json::parse(R"({"class":"Report","cron":"0 3 * * *","queue":"reports"})"));
    c.command({"SET", "resque:lock:ExportJob:exports:[1]", "1900000000", "EX", "100"});
  }

  static std::string csrf_of(const std::string& html) {
    std::smatch m;
    if (std::regex_search(html, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\""))) return m[1];
    return "";
  }
};

}  // namespace

TEST_F(DashboardTest, PagesRenderEveryWritersRecords) {
  DashboardOptions o;
  o.port = 0;
  Dashboard d(server.options(), o);
  d.start();
  httplib::Client http("127.0.0.1", d.port());
  const std::vector<std::pair<std::string, std::vector<std::string>>> pages = {
      {"/", {"Overview", "exports", "Pause all workers"}},
      {"/queues", {"exports"}},
      {"/queues/exports", {"ExportJob", "&lt;script&gt;x&lt;/script&gt;"}},
      {"/working", {"vm:10049:exports", "ExportJob", "2026-11-28 06:42:59 UTC"}},
      {"/workers", {"vm", "10049", "ExportJob"}},
      {"/failed",
       {"boom", "bad &lt;input&gt;", "RuntimeError", "2026-11-28 06:42:58 UTC",
        "2026-11-28 06:46:46 UTC", "common.js:72:36", "Retry all"}},
      {"/failed/1", {"HardJob", "app/jobs/hard.rb:3:in `perform&#39;"}},
      {"/failed?class=HardJob", {"HardJob"}},
      {"/delayed", {"Later on exports", "2030-03-17 17:46:40 UTC", "nightly", "cron 0 3 * * *"}},
      {"/locks", {"lock:ExportJob:exports:[1]"}},
      {"/stats", {"failed_entries"}},
  };
  for (const auto& [path, needles] : pages) {
    auto res = http.Get(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    for (const auto& n : needles)
      EXPECT_NE(res->body.find(n), std::string::npos) << path << ": " << n;
    EXPECT_EQ(res->body.find("<script>"), std::string::npos) << path;  // everything escaped
  }
  // DNS rebinding: another host name that resolves to loopback is refused.
  auto rebound = http.Get("/", httplib::Headers{{"Host", "evil.example:1234"}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  EXPECT_EQ(http.Get("/", httplib::Headers{{"Host", "localhost"}})->status, 200);
  auto filtered = http.Get("/failed?class=HardJob");
  EXPECT_EQ(filtered->body.find("boom"), std::string::npos);
  EXPECT_EQ(http.Get("/failed/7")->status, 404);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("resque_queue_length{queue=\"exports\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("resque_failed_entries 2\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("# TYPE resque_processed_total counter"), std::string::npos);
}

TEST_F(DashboardTest, ActionsArePostsWithTheCsrfToken) {
  DashboardOptions o;
  o.port = 0;
  Dashboard d(server.options(), o);
  d.start();
  httplib::Client http("127.0.0.1", d.port());
  const std::string token = csrf_of(http.Get("/failed")->body);
  ASSERT_FALSE(token.empty());
  // No token, a wrong one, or GET: nothing happens.
  EXPECT_EQ(http.Post("/failed/1/retry", httplib::Params{{"back", "/failed"}})->status, 403);
  // A token that differs in its first character (a fixed "0" would equal one token in 16).
  const std::string wrong = (token[0] == '0' ? "1" : "0") + token.substr(1);
  EXPECT_EQ(http.Post("/failed/1/retry", httplib::Params{{"csrf", wrong}})->status, 403);
  EXPECT_NE(http.Get("/failed/1/retry")->status, 200);
  EXPECT_EQ(q.length("critical"), 0);
  // Retry the Ruby entry: the job is queued, the entry stays.
  auto retry = http.Post("/failed/1/retry", httplib::Params{{"csrf", token}, {"back", "/failed"}});
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, 303);
  EXPECT_EQ(retry->get_header_value("Location").rfind("/failed?msg=", 0), 0u);
  EXPECT_EQ(q.length("critical"), 1);
  EXPECT_EQ(q.failed_count(), 2);
  // Remove node's entry by its stored bytes (as the page's form sends them).
  const auto node_entry = q.failed(0, 0)[0];
  EXPECT_EQ(http.Post("/failed/0/remove", httplib::Params{{"csrf", token}, {"raw", node_entry.raw}})
                ->status,
            303);
  EXPECT_EQ(q.failed_count(), 1);
  EXPECT_EQ(http.Post("/failed/0/remove", httplib::Params{{"csrf", token}, {"raw", node_entry.raw}})
                ->status,
            404);
  // An off-site "back" is not followed.
  auto offsite = http.Post("/pause", httplib::Params{{"csrf", token}, {"back", "//evil.example/"}});
  EXPECT_EQ(offsite->get_header_value("Location").rfind("/?msg=", 0), 0u);
  EXPECT_TRUE(q.all_paused());
  EXPECT_EQ(http.Post("/resume", httplib::Params{{"csrf", token}})->status, 303);
  EXPECT_FALSE(q.all_paused());
  EXPECT_EQ(http.Post("/delayed/1900000000/run-now", httplib::Params{{"csrf", token}})->status,
            303);
  EXPECT_EQ(q.length("exports"), 2);
  EXPECT_EQ(
      http.Post("/schedules/fire", httplib::Params{{"csrf", token}, {"name", "nightly"}})->status,
      303);
  EXPECT_EQ(q.length("reports"), 1);
  EXPECT_EQ(http.Post("/locks/delete",
                      httplib::Params{{"csrf", token}, {"key", "lock:ExportJob:exports:[1]"}})
                ->status,
            303);
  EXPECT_TRUE(q.locks().empty());
  EXPECT_EQ(
      http.Post("/queues/exports/clear", httplib::Params{{"csrf", token}, {"yes", "1"}})->status,
      303);
  EXPECT_EQ(q.length("exports"), 0);
  EXPECT_EQ(http.Post("/failed/retry-all", httplib::Params{{"csrf", token}})->status, 303);
  EXPECT_EQ(q.length("critical"), 2);
  EXPECT_EQ(http.Post("/failed/clear", httplib::Params{{"csrf", token}})->status, 303);
  EXPECT_EQ(q.failed_count(), 0);
}

TEST_F(DashboardTest, BasicAuthAndNoPasswordShown) {
  resque::test::RedisServerOptions so;
  so.password = "redis-secret-77";
  RedisServer secured(so);
  DashboardOptions o;
  o.port = 0;
  o.auth_user = "ops";
  o.auth_password = "web-pw";
  Dashboard d(secured.options(), o);
  d.start();
  httplib::Client http("127.0.0.1", d.port());
  EXPECT_EQ(http.Get("/")->status, 401);
  EXPECT_EQ(http.Get("/metrics")->status, 401);
  http.set_basic_auth("ops", "wrong");
  EXPECT_EQ(http.Get("/")->status, 401);
  http.set_basic_auth("ops", "web-pw");
  for (const char* path : {"/", "/failed", "/stats", "/workers", "/locks", "/delayed"}) {
    auto res = http.Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->body.find("redis-secret-77"), std::string::npos) << path;
  }
}

TEST_F(DashboardTest, CliWebServesUntilSigterm) {
  resque::test::Process web({RESQUE_CLI_PATH, "web", "--listen", "127.0.0.1:0"},
                            {{"REDIS_URL", server.url()}});
  ASSERT_TRUE(web.wait_for_output("/ (Ctrl-C")) << web.output();
  std::smatch m;
  const std::string out = web.output();
  ASSERT_TRUE(std::regex_search(out, m, std::regex("127\\.0\\.0\\.1:([0-9]+)/")));
  httplib::Client http("127.0.0.1", std::stoi(m[1]));
  auto res = http.Get("/queues/exports");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("ExportJob"), std::string::npos);
  web.signal(SIGTERM);
  EXPECT_EQ(web.wait(), 0);
  // Asking for auth without the password in the environment is a usage error.
  auto [rc, text] =
      resque::test::run({RESQUE_CLI_PATH, "web", "--listen", "127.0.0.1:0", "--auth-user", "ops"},
                        {{"REDIS_URL", server.url()}});
  EXPECT_EQ(rc, 2) << text;
}

namespace {

std::string find_chromium() {
  for (const char* dir : {"/usr/bin/", "/usr/local/bin/"})
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
      if (std::filesystem::exists(std::string(dir) + name)) return std::string(dir) + name;
  return "";
}

}  // namespace

// A real browser (Debian's headless Chromium) loads every page: the DOM it built holds the
// records, and a screenshot of each page is kept in <build>/tests/dashboard-screenshots.
TEST_F(DashboardTest, HeadlessChromiumRendersEveryPage) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "no chromium on this machine (apt-get install chromium)";
  DashboardOptions o;
  o.port = 0;
  Dashboard d(server.options(), o);
  d.start();
  const std::string dir = std::string(RESQUE_TEST_BIN_DIR) + "/dashboard-screenshots";
  std::filesystem::create_directories(dir);
  const std::string profile = server.dir() + "/chromium-profile";
  const std::string base = "http://127.0.0.1:" + std::to_string(d.port());
  // name, path, text the DOM must hold, whether to keep a screenshot (each launch takes seconds)
  const std::vector<std::tuple<std::string, std::string, std::string, bool>> pages = {
      {"overview", "/", "Pause all workers", true},
      {"queue", "/queues/exports", "&lt;script&gt;x&lt;/script&gt;", true},
      {"working", "/working", "vm:10049:exports", false},
      {"workers", "/workers", "10049", true},
      {"failed", "/failed", "common.js:72:36", true},
      {"failure", "/failed/1", "app/jobs/hard.rb:3", true},
      {"delayed", "/delayed", "nightly", true},
      {"locks", "/locks", "lock:ExportJob:exports:[1]", false},
      {"stats", "/stats", "failed_entries", false},
  };
  const std::vector<std::string> flags = {"--headless", "--no-sandbox", "--disable-gpu",
                                          "--user-data-dir=" + profile, "--window-size=1280,900"};
  for (const auto& [name, path, needle, keep] : pages) {
    std::vector<std::string> dom = {chromium};
    dom.insert(dom.end(), flags.begin(), flags.end());
    dom.insert(dom.end(), {"--dump-dom", base + path});
    auto [rc, out] = resque::test::run(dom, {}, std::chrono::seconds(90));
    EXPECT_EQ(rc, 0) << name;
    EXPECT_NE(out.find(needle), std::string::npos) << name << ": " << out.substr(0, 2000);
    if (!keep) continue;
    const std::string png = dir + "/" + name + ".png";
    std::filesystem::remove(png);
    std::vector<std::string> shot = {chromium};
    shot.insert(shot.end(), flags.begin(), flags.end());
    shot.insert(shot.end(), {"--screenshot=" + png, base + path});
    auto [rc2, out2] = resque::test::run(shot, {}, std::chrono::seconds(90));
    EXPECT_EQ(rc2, 0) << out2;
    std::ifstream f(png, std::ios::binary);
    char magic[4] = {};
    f.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << png;
  }
}

namespace {

// Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
// NUL-separated JSON on fds 3 and 4), so the test can click the dashboard's buttons as a
// person would.
class Browser {
 public:
  Browser(const std::string& chromium, const std::string& profile) {
    int to[2], from[2];
    if (pipe(to) != 0 || pipe(from) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to[0], 3);
      dup2(from[1], 4);
      const int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      for (int fd = 5; fd < 1024; ++fd) close(fd);
      const std::string dir = "--user-data-dir=" + profile;
      execl(chromium.c_str(), chromium.c_str(), "--headless", "--no-sandbox", "--disable-gpu",
            "--remote-debugging-pipe", dir.c_str(), "about:blank", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to[0]);
    close(from[1]);
    out_ = to[1];
    in_ = from[0];
  }
  ~Browser() {
    close(out_);
    close(in_);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }

  // Sends a command and returns its "result" (events in between are skipped).
  Json call(const std::string& method, Json params = Json::object(),
            const std::string& session = "") {
    const int id = ++next_id_;
    Json msg = {{"id", id}, {"method", method}, {"params", params}};
    if (!session.empty()) msg["sessionId"] = session;
    const std::string text = msg.dump() + std::string(1, '\0');
    if (write(out_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("write to chromium failed");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (true) {
      const auto nul = buffer_.find('\0');
      if (nul != std::string::npos) {
        const Json reply = Json::parse(buffer_.substr(0, nul));
        buffer_.erase(0, nul + 1);
        if (reply.contains("id") && reply["id"] == id) {
          if (reply.contains("error"))
            throw std::runtime_error(method + ": " + reply["error"].dump());
          return reply["result"];
        }
        continue;
      }
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error(method + ": no reply");
      pollfd p{in_, POLLIN, 0};
      if (poll(&p, 1, 1000) <= 0) continue;
      char buf[65536];
      const ssize_t n = read(in_, buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("chromium closed its pipe");
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // A page (tab) at `url`, attached; returns its session id once its document has loaded.
  std::string open_page(const std::string& url) {
    const std::string target = call("Target.createTarget", {{"url", url}})["targetId"];
    const std::string session =
        call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}})["sessionId"];
    wait_for(session,
             "document.readyState === 'complete' && location.href.startsWith('" + url + "')");
    return session;
  }
  Json eval(const std::string& session, const std::string& js) {
    const Json r = call("Runtime.evaluate", {{"expression", js}, {"returnByValue", true}}, session);
    return r.contains("result") && r["result"].contains("value") ? r["result"]["value"] : Json();
  }
  void wait_for(const std::string& session, const std::string& condition) {
    ASSERT_TRUE(resque::test::eventually([&] { return eval(session, condition) == Json(true); },
                                         std::chrono::seconds(30)))
        << condition;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1, in_ = -1;
  int next_id_ = 0;
  std::string buffer_;
};

}  // namespace

// Clicks the failed page's buttons in Chromium: retry the Ruby entry, remove node's entry,
// then "retry all" after ticking its box; each shows its message after the redirect.
TEST_F(DashboardTest, ChromiumClicksRetryAndRemove) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "no chromium on this machine (apt-get install chromium)";
  DashboardOptions o;
  o.port = 0;
  Dashboard d(server.options(), o);
  d.start();
  const std::string base = "http://127.0.0.1:" + std::to_string(d.port());
  Browser browser(chromium, server.dir() + "/chromium-cdp-profile");
  const std::string page = browser.open_page(base + "/failed");
  const std::string click =
      "document.querySelector('form[action=\"/failed/1/retry\"] button').click(); true";
  EXPECT_EQ(browser.eval(page, click), Json(true));
  ASSERT_TRUE(resque::test::eventually([&] { return q.length("critical") == 1; }));
  browser.wait_for(
      page, "location.search.includes('msg=requeued') && document.readyState === 'complete'");
  EXPECT_EQ(browser.eval(page, "document.querySelector('.flash').textContent"),
            "requeued failed job #1");
  EXPECT_EQ(q.failed_count(), 2);

  EXPECT_EQ(
      browser.eval(
          page, "document.querySelector('form[action=\"/failed/0/remove\"] button').click(); true"),
      Json(true));
  ASSERT_TRUE(resque::test::eventually([&] { return q.failed_count() == 1; }));
  EXPECT_EQ(q.failed(0, 0)[0].entry["exception"], "RuntimeError");  // node's entry went
  browser.wait_for(page,
                   "location.search.includes('msg=removed') && document.readyState === 'complete'");

  // "Retry all" does nothing until its box is ticked (HTML's required, no JavaScript).
  const std::string form = "document.querySelector('form[action=\"/failed/retry-all\"]')";
  browser.eval(page, form + ".querySelector('button').click(); true");
  EXPECT_EQ(browser.eval(page, "location.search.includes('msg=removed')"), Json(true));
  EXPECT_EQ(q.length("critical"), 1);
  browser.eval(page, form + ".querySelector('input[name=yes]').checked = true; " + form +
                         ".querySelector('button').click(); true");
  ASSERT_TRUE(resque::test::eventually([&] { return q.length("critical") == 2; }));
}

TEST_F(DashboardTest, QueueAndFailedPagesArePaged) {
  for (int i = 0; i < 4; ++i) q.enqueue("paged", "PagedJob", Json::array({100 + i}));
  DashboardOptions o;
  o.port = 0;
  o.page_size = 2;
  Dashboard d(server.options(), o);
  d.start();
  httplib::Client http("127.0.0.1", d.port());
  auto first = http.Get("/queues/paged");
  ASSERT_TRUE(first);
  EXPECT_NE(first->body.find("[101]"), std::string::npos);
  EXPECT_EQ(first->body.find("[102]"), std::string::npos);
  EXPECT_NE(first->body.find("/queues/paged?start=2"), std::string::npos);
  auto second = http.Get("/queues/paged?start=2");
  EXPECT_NE(second->body.find("[103]"), std::string::npos);
  EXPECT_EQ(second->body.find("[101]"), std::string::npos);
  EXPECT_NE(second->body.find("/queues/paged?start=0"), std::string::npos);
  auto failed = http.Get("/failed?start=1");
  EXPECT_NE(failed->body.find("HardJob"), std::string::npos);
  EXPECT_EQ(failed->body.find("boom"), std::string::npos);
}
