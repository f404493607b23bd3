// The public face of the exception description that failure records use (failure.cpp).
#include "resque/error.hpp"

#include "failure.hpp"

namespace resque {

std::pair<std::string, std::string> describe_exception(const std::exception_ptr& e) {
  return detail::describe_exception(e);
}

}  // namespace resque
