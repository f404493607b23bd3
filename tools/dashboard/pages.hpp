#pragma once
// The dashboard's HTML pages (and /metrics text), rendered from the same views resque-cli uses.
#include <map>
#include <string>

#include "resque/queue.hpp"

namespace resque::dashboard {

struct PageContext {
  std::string csrf;    ///< token every form carries
  std::string server;  ///< "host:port" (never a password)
  std::string ns;
  int page_size = 50;
  std::map<std::string, std::string> params;  ///< query string
  std::string flash;                          ///< message of the last action
  std::string param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? "" : it->second;
  }
};

std::string escape_html(const std::string& s);
std::string overview_page(Queue& q, const PageContext& c);
std::string queues_page(Queue& q, const PageContext& c);
std::string queue_page(Queue& q, const PageContext& c, const std::string& name);
std::string working_page(Queue& q, const PageContext& c);
std::string workers_page(Queue& q, const PageContext& c);
std::string failed_page(Queue& q, const PageContext& c);
std::string failure_page(Queue& q, const PageContext& c, long long index);
std::string delayed_page(Queue& q, const PageContext& c);
std::string locks_page(Queue& q, const PageContext& c);
std::string stats_page(Queue& q, const PageContext& c);
std::string metrics_text(Queue& q);

}  // namespace resque::dashboard
