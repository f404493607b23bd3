#include "failure.hpp"

#include <cxxabi.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "resque/json.hpp"
#include "timefmt.hpp"

namespace resque::detail {

std::string failure_record(std::string_view payload_raw, const std::string& exception,
                           const std::string& error, const std::vector<std::string>& backtrace,
                           const std::string& worker, const std::string& queue) {
  bool valid = Json::accept(payload_raw.begin(), payload_raw.end());
  std::string out = "{\"failed_at\":";
  out += encode_json(Json(ruby_failed_at(std::chrono::system_clock::now())));
  out += ",\"payload\":";
  out += valid ? std::string(payload_raw) : encode_json(Json(std::string(payload_raw)));
  out += ",\"exception\":";
  out += encode_json(Json(exception));
  out += ",\"error\":";
  // what() may hold any bytes; keep the record valid JSON whatever they are.
  try {
    out += encode_json(Json(error));
  } catch (const std::exception&) {
    out += encode_json(Json("(error message was not valid UTF-8)"));
  }
  out += ",\"backtrace\":";
  out += encode_json(Json(backtrace));
  out += ",\"worker\":";
  out += encode_json(Json(worker));
  out += ",\"queue\":";
  out += encode_json(Json(queue));
  out += '}';
  return out;
}

namespace {
std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                           std::free);
  return status == 0 && d ? d.get() : mangled;
}
}  // namespace

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
