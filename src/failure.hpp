#pragma once
// Failure records in Ruby Resque's format and field order, so resque-web, Ruby's
// Failure.requeue and node's failed() all read them.
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace resque::detail {

/// {"failed_at","payload","exception","error","backtrace","worker","queue"}. `payload_raw` is
/// embedded as the JSON it is, or as a string when it is not valid JSON.
std::string failure_record(std::string_view payload_raw, const std::string& exception,
                           const std::string& error, const std::vector<std::string>& backtrace,
                           const std::string& worker, const std::string& queue);

/// {exception type name (demangled), what()} of an exception; for a non-std throw, the thrown
/// type ("int") and a fixed message ("unknown" when the type cannot be found).
std::pair<std::string, std::string> describe_exception(const std::exception_ptr& e);

}  // namespace resque::detail
