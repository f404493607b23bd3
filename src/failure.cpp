#include "failure.hpp"

#include <cxxabi.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "resque/json.hpp"
#include "timefmt.hpp"

namespace resque::detail {

namespace {
// A JSON string of any bytes: never throws, so recording a failure cannot fail on bad input.
std::string str(std::string_view s) {
  return encode_json(Json(to_valid_utf8(s)));
}

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                           std::free);
  return status == 0 && d ? d.get() : mangled;
}
}  // namespace

std::string failure_record(std::string_view payload_raw, const std::string& exception,
                           const std::string& error, const std::vector<std::string>& backtrace,
                           const std::string& worker, const std::string& queue) {
  const bool valid = Json::accept(payload_raw.begin(), payload_raw.end());
  std::string out = "{\"failed_at\":";
  out += str(ruby_failed_at(std::chrono::system_clock::now()));
  out += ",\"payload\":";
  out += valid ? std::string(payload_raw) : str(payload_raw);
  out += ",\"exception\":";
  out += str(exception);
  out += ",\"error\":";
  out += str(error);
  out += ",\"backtrace\":[";
  for (std::size_t i = 0; i < backtrace.size(); ++i) {
    if (i) out += ',';
    out += str(backtrace[i]);
  }
  out += "],\"worker\":";
  out += str(worker);
  out += ",\"queue\":";
  out += str(queue);
  out += '}';
  return out;
}

std::pair<std::string, std::string> describe_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return {demangle(typeid(ex).name()), ex.what()};
  } catch (...) {
    // `throw 42;` or `throw "text";`: the Itanium ABI still knows the thrown type, which says
    // more in the failed list than "unknown".
    const std::type_info* t = abi::__cxa_current_exception_type();
    return {t != nullptr ? demangle(t->name()) : "unknown", "a non-standard exception was thrown"};
  }
}

}  // namespace resque::detail
