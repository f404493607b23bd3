#pragma once
// SHA-1 of a string as 40 lowercase hex digits: the name Redis gives a script (EVALSHA). Not
// used for anything security-related.
#include <string>
#include <string_view>

namespace resque::detail {
std::string sha1_hex(std::string_view data);
}
