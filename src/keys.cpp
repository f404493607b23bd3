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

}  // namespace resque
