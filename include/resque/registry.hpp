#pragma once
/// @file registry.hpp
/// The job registry: class name -> how to perform it and which plugins wrap it.

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "resque/error.hpp"  // ArgumentError, thrown by the typed definitions below
#include "resque/job.hpp"
#include "resque/plugin.hpp"

namespace resque {

/// How one job class is performed.
struct JobDefinition {
  std::string name;
  /// Receives the decoded job; typed definitions convert job.args before calling the user's
  /// function.
  std::function<void(const Job&)> perform;
  /// Plugins in hook order.
  PluginList plugins;
};

namespace detail {
template <class T>
struct remove_cvref {
  using type = std::remove_cv_t<std::remove_reference_t<T>>;
};
template <class T>
struct fn_traits : fn_traits<decltype(&T::operator())> {};
template <class R, class C, class... A>
struct fn_traits<R (C::*)(A...) const> {
  using args = std::tuple<typename remove_cvref<A>::type...>;
};
template <class R, class C, class... A>
struct fn_traits<R (C::*)(A...)> {
  using args = std::tuple<typename remove_cvref<A>::type...>;
};
// noexcept is part of the function type since C++17.
template <class R, class C, class... A>
struct fn_traits<R (C::*)(A...) const noexcept> : fn_traits<R (C::*)(A...) const> {};
template <class R, class C, class... A>
struct fn_traits<R (C::*)(A...) noexcept> : fn_traits<R (C::*)(A...)> {};
template <class R, class... A>
struct fn_traits<R (*)(A...)> {
  using args = std::tuple<typename remove_cvref<A>::type...>;
};
template <class R, class... A>
struct fn_traits<R (*)(A...) noexcept> : fn_traits<R (*)(A...)> {};
template <class R, class... A>
struct fn_traits<R(A...)> {
  using args = std::tuple<typename remove_cvref<A>::type...>;
};

/// "integer", "string", ... for messages.
std::string json_type_name(const Json& v);
[[noreturn]] void bad_argument(const std::string& job, std::size_t index, const char* expected,
                               const Json& got);
/// Throws ArgumentError when `v` is a big integer (beyond 64 bits), which no C++ number holds.
void refuse_big_integer(const std::string& job, std::size_t index, const Json& v);

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// Whether resque::Json (ordered) converts to T itself; types whose from_json takes a plain
// nlohmann::json (NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE and friends) convert through one.
template <class T, class = void>
struct ordered_converts : std::false_type {};
template <class T>
struct ordered_converts<T, std::void_t<decltype(std::declval<const Json&>().template get<T>())>>
    : std::true_type {};

// How many parameters at the end of the tuple are std::optional (the ones a job may leave out).
template <class Tuple, std::size_t N = std::tuple_size_v<Tuple>>
constexpr std::size_t trailing_optionals() {
  if constexpr (N == 0) {
    return 0;
  } else if constexpr (is_optional<std::tuple_element_t<N - 1, Tuple>>::value) {
    return 1 + trailing_optionals<Tuple, N - 1>();
  } else {
    return 0;
  }
}

template <class T>
T convert_arg(const std::string& job, std::size_t i, const Json& v) {
  if constexpr (is_optional<T>::value) {
    // Missing (past the end of args) or null: nullopt, as Ruby's `b = nil` default.
    if (v.is_null()) return std::nullopt;
    return T(convert_arg<typename T::value_type>(job, i, v));
  } else if constexpr (std::is_same_v<T, Json>) {
    return v;
  } else if constexpr (std::is_same_v<T, nlohmann::json>) {
    return nlohmann::json(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) bad_argument(job, i, "boolean", v);
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    refuse_big_integer(job, i, v);
    if (!v.is_number_integer()) bad_argument(job, i, "integer", v);
    if constexpr (std::is_signed_v<T>) {
      if (v.is_number_unsigned() &&
          v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        bad_argument(job, i, "integer in range", v);
      const auto x = v.get<std::int64_t>();
      if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max())
        bad_argument(job, i, "integer in range", v);
      return static_cast<T>(x);
    } else {
      if (!v.is_number_unsigned() && v.get<std::int64_t>() < 0)
        bad_argument(job, i, "non-negative integer", v);
      const auto x = v.get<std::uint64_t>();
      if (x > std::numeric_limits<T>::max()) bad_argument(job, i, "integer in range", v);
      return static_cast<T>(x);
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    refuse_big_integer(job, i, v);  // a double would round it: never silently
    if (!v.is_number()) bad_argument(job, i, "number", v);
    return v.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) bad_argument(job, i, "string", v);
    return v.get<std::string>();
  } else {
    refuse_big_integer(job, i, v);
    try {
      if constexpr (ordered_converts<T>::value)
        return v.get<T>();
      else
        return nlohmann::json(v).get<T>();
    } catch (const std::exception& e) {
      throw ArgumentError(
          fmt::format("{}: argument {} could not be converted: {}", job, i + 1, e.what()));
    }
  }
}

/// args[i], or null past the end (trailing optional parameters left out).
const Json& arg_at(const Json& args, std::size_t i);

template <class F, class Tuple, std::size_t... I>
void call_typed(F& f, const std::string& name, const Json& args, std::index_sequence<I...>) {
  // Braced initialisation converts left to right (a call's arguments have no fixed order), so
  // the error names the first bad argument.
  Tuple converted{convert_arg<std::tuple_element_t<I, Tuple>>(name, I, arg_at(args, I))...};
  f(std::get<I>(std::move(converted))...);
}
}  // namespace detail

/// Class name -> JobDefinition. Define every job before starting workers; after that the
/// registry is only read. Thread-safety: concurrent reads are safe; define() is not safe
/// concurrently with anything else.
class JobRegistry {
 public:
  /// Typed perform function: the JSON args are converted to its parameters (integers, floating
  /// point, bool, std::string, resque::Json or nlohmann::json for anything, or any type
  /// nlohmann can convert to from either, such as types declared with
  /// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE). Trailing std::optional<T> parameters may be left out
  /// by the job or be null (nullopt), as Ruby's `def self.perform(a, b = nil)`.
  /// A wrong argument count or type fails the job with ArgumentError, naming the argument; so
  /// does an integer beyond 64 bits (a Ruby bignum) for any parameter but resque::Json /
  /// nlohmann::json, which never becomes a double (see is_big_integer).
  template <class F>
  JobDefinition& define(const std::string& name, F f, PluginList plugins = {}) {
    using Args = typename detail::fn_traits<F>::args;
    auto perform = [f = std::move(f), name](const Job& job) mutable {
      constexpr std::size_t N = std::tuple_size_v<Args>;
      constexpr std::size_t Min = N - detail::trailing_optionals<Args>();
      if (job.args.size() > N || job.args.size() < Min) {
        if constexpr (Min == N)
          throw ArgumentError(fmt::format("{} expects {} argument{}, got {}", name, N,
                                          N == 1 ? "" : "s", job.args.size()));
        else
          throw ArgumentError(
              fmt::format("{} expects {} to {} arguments, got {}", name, Min, N, job.args.size()));
      }
      detail::call_typed<F, Args>(f, name, job.args, std::make_index_sequence<N>{});
    };
    return define_raw(name, std::move(perform), std::move(plugins));
  }

  /// Raw form: the function receives the decoded job as it is.
  /// define() and define_raw() throw ConfigError when `name` is already defined (two modules
  /// claiming one class is a mistake); use replace() / replace_raw() to redefine on purpose.
  JobDefinition& define_raw(const std::string& name, std::function<void(const Job&)> perform,
                            PluginList plugins = {});

  /// define() that replaces an existing definition of `name` instead of throwing.
  template <class F>
  JobDefinition& replace(const std::string& name, F f, PluginList plugins = {}) {
    forget(name);
    return define(name, std::move(f), std::move(plugins));
  }
  /// define_raw() that replaces an existing definition of `name` instead of throwing.
  JobDefinition& replace_raw(const std::string& name, std::function<void(const Job&)> perform,
                             PluginList plugins = {}) {
    forget(name);
    return define_raw(name, std::move(perform), std::move(plugins));
  }

  /// The definition of `name`, or null.
  const JobDefinition* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  void forget(const std::string& name);
  std::map<std::string, JobDefinition, std::less<>> defs_;
};

}  // namespace resque
