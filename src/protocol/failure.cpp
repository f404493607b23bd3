// Failure records: the one encoder of Ruby's record and of node's Retry record, and the one
// tolerant decoder. Every writer (worker, recovery, force-clean, promotion, Retry) goes through
// here; no script builds a record.
#include "resque/failure.hpp"

#include <cxxabi.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "json_limits.hpp"
#include "resque/backtrace.hpp"
#include "resque/error.hpp"
#include "time/timefmt.hpp"

namespace resque {

namespace {
// A JSON string of any bytes: never throws, so recording a failure cannot fail on bad input.
void put_str(std::string& out, std::string_view s) {
  out += encode_json(Json(to_valid_utf8(s)));
}

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                           std::free);
  return status == 0 && d ? d.get() : mangled;
}

// A failure record must fit in one Redis string (512 MiB) with room to spare: a payload kept
// as a JSON string grows up to 6x when escaped, so what is kept is cut to this many bytes of
// escaped text (only ever reached by input far over any max_payload_bytes).
constexpr std::size_t kMaxKeptPayload = std::size_t{256} << 20;

// The payload as a JSON string, cut (with a note) when its escaped form would be too big.
void put_payload_str(std::string& out, std::string_view s) {
  std::string enc = encode_json(Json(to_valid_utf8(s)));
  if (enc.size() > kMaxKeptPayload)
    enc = encode_json(Json(to_valid_utf8(detail::truncate_for_record(s, kMaxKeptPayload / 6))));
  out += enc;
}
}  // namespace

std::string encode_failure(const FailureRecord& r) {
  // A NUL byte is never valid JSON, but the parser would accept the text before it. JSON past
  // the depth limit is kept as a string, so that no reader of the record has to decode it (the
  // record adds one level).
  const bool valid = r.payload.find('\0') == std::string::npos &&
                     detail::within_json_limits(r.payload, detail::kMaxJsonDepth - 1) &&
                     Json::accept(r.payload.begin(), r.payload.end());
  std::string out = "{\"failed_at\":";
  put_str(out, r.failed_at.empty() ? detail::ruby_failed_at(std::chrono::system_clock::now())
                                   : r.failed_at);
  out += ",\"payload\":";
  if (valid)
    out += r.payload;
  else
    put_payload_str(out, r.payload);
  out += ",\"exception\":";
  put_str(out, r.exception);
  out += ",\"error\":";
  put_str(out, r.error);
  out += ",\"backtrace\":[";
  for (std::size_t i = 0; i < r.backtrace.size(); ++i) {
    if (i) out += ',';
    put_str(out, r.backtrace[i]);
  }
  out += "],\"worker\":";
  put_str(out, r.worker);
  out += ",\"queue\":";
  if (r.queue)
    put_str(out, *r.queue);
  else
    out += "null";
  out += '}';
  return out;
}

Json decode_failure(std::string_view raw) {
  try {
    return decode_json(raw);
  } catch (const EncodingError&) {
    return Json();  // null: not JSON; the caller keeps the raw text
  }
}

std::string encode_node_retry_failure(const std::string& klass, const std::string& queue,
                                      const Json& args, const std::string& shown_error,
                                      const std::string& failed_at) {
  Json record = Json::object();
  record["failed_at"] =
      failed_at.empty() ? detail::node_failed_at(std::chrono::system_clock::now()) : failed_at;
  record["payload"] = args;
  record["exception"] = to_valid_utf8(shown_error);
  record["error"] = to_valid_utf8(shown_error);
  record["backtrace"] = Json::array();
  record["worker"] = klass;  // node writes the class name here
  record["queue"] = queue;
  return encode_json(record);
}

ExceptionInfo describe_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    // resque::throw_with_trace's wrapper is named by the type the job threw.
    const auto* traced = dynamic_cast<const TracedException*>(&ex);
    return {demangle(traced != nullptr ? traced->thrown_type().name() : typeid(ex).name()),
            ex.what()};
  } catch (...) {
    // `throw 42;` or `throw "text";`: the Itanium ABI still knows the thrown type, which says
    // more in the failed list than "unknown".
    const std::type_info* t = abi::__cxa_current_exception_type();
    return {t != nullptr ? demangle(t->name()) : "unknown", "a non-standard exception was thrown"};
  }
}

}  // namespace resque
