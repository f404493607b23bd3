// web: serves the dashboard (tools/dashboard) until SIGINT or SIGTERM.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "../dashboard/dashboard.hpp"
#include "commands.hpp"

namespace resque::cli {

namespace {

struct WebArgs {
  std::string listen = "127.0.0.1:5678";
  std::string auth_user;
};

void web(Context& ctx, const WebArgs& a) {
  DashboardOptions o;
  const auto colon = a.listen.rfind(':');
  if (colon == std::string::npos) throw UsageError("--listen takes HOST:PORT");
  o.host = a.listen.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']')
    o.host = o.host.substr(1, o.host.size() - 2);
  try {
    o.port = std::stoi(a.listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw UsageError("--listen: '" + a.listen.substr(colon + 1) + "' is not a port");
  }
  if (!a.auth_user.empty()) {
    const char* pw = std::getenv("RESQUE_WEB_PASSWORD");
    if (!pw || !*pw) throw UsageError("--auth-user needs the password in RESQUE_WEB_PASSWORD");
    o.auth_user = a.auth_user;
    o.auth_password = pw;
  }
  // Signals are taken synchronously by this thread; the server's threads inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ctx.queue().queues();  // fail now, clearly, when Redis cannot be reached
  Dashboard d(ctx.options(), o);
  d.start();
  std::cout << "resque dashboard on http://" << a.listen.substr(0, colon) << ":" << d.port()
            << "/ (Ctrl-C stops it)" << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  d.stop();
}

}  // namespace

void add_web_command(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<WebArgs>();
  auto* w = app.add_subcommand(
      "web", "Serve the web dashboard (loopback only unless --listen says otherwise)");
  w->add_option("--listen", a->listen, "HOST:PORT (port 0: any free port)")->capture_default_str();
  w->add_option("--auth-user", a->auth_user,
                "require HTTP basic auth as this user; password from RESQUE_WEB_PASSWORD");
  w->callback([&ctx, a] { web(ctx, *a); });
}

}  // namespace resque::cli
