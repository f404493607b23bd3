#include "resque/keys.hpp"

namespace resque {

Keys::Keys(std::string ns) : ns_(std::move(ns)), prefix_(ns_.empty() ? "" : ns_ + ":") {}

std::string Keys::key(std::string_view name) const {
  std::string k;
  k.reserve(prefix_.size() + name.size());
  k.append(prefix_);
  k.append(name);
  return k;
}

std::string Keys::pattern(std::string_view glob) const {
  std::string p;
  p.reserve(prefix_.size() * 2 + glob.size());
  for (char c : prefix_) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') p += '\\';
    p += c;
  }
  p.append(glob);
  return p;
}

std::string_view Keys::strip(std::string_view full_key) const {
  if (full_key.substr(0, prefix_.size()) == prefix_) full_key.remove_prefix(prefix_.size());
  return full_key;
}

}  // namespace resque
