#include "resque/registry.hpp"

namespace resque {

namespace detail {
std::string json_type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    case Json::value_t::binary:
      if (is_big_integer(v)) return "integer";
      return "value";
    default: return "value";
  }
}

void bad_argument(const std::string& job, std::size_t index, const char* expected,
                  const Json& got) {
  // replace: a job built in C++ may hold bytes that are not UTF-8; the message must still form.
  std::string shown = is_big_integer(got)
                          ? big_integer_text(got)
                          : got.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
  throw ArgumentError(fmt::format("{}: argument {} must be {}, got {} {}", job, index + 1, expected,
                                  json_type_name(got), shown));
}

void refuse_big_integer(const std::string& job, std::size_t index, const Json& v) {
  if (!is_big_integer(v)) return;
  throw ArgumentError(fmt::format("{}: argument {} (args[{}]): integer {} does not fit in 64 bits",
                                  job, index + 1, index, big_integer_text(v)));
}

const Json& arg_at(const Json& args, std::size_t i) {
  static const Json null_value;
  return i < args.size() ? args[i] : null_value;
}
}  // namespace detail

JobDefinition& JobRegistry::define_raw(const std::string& name,
                                       std::function<void(const Job&)> perform,
                                       PluginList plugins) {
  validate_class_name(name);
  if (defs_.count(name) != 0)
    throw ConfigError(fmt::format(
        "job class \"{}\" is already defined (use replace() to redefine it on purpose)", name));
  auto& d = defs_[name];
  d.name = name;
  d.perform = std::move(perform);
  d.plugins = std::move(plugins);
  return d;
}

void JobRegistry::forget(const std::string& name) {
  defs_.erase(name);
}

const JobDefinition* JobRegistry::find(std::string_view name) const {
  auto it = defs_.find(name);
  return it == defs_.end() ? nullptr : &it->second;
}

std::vector<std::string> JobRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : defs_) out.push_back(k);
  return out;
}

}  // namespace resque
