#include "resque/job.hpp"

#include <fmt/format.h>

#include "protocol/worker.hpp"
#include "resque/error.hpp"

namespace resque {

namespace {
void write_args(std::string& out, const Job& job, Dialect dialect) {
  try {
    out += encode_json(job.args, dialect);
  } catch (const EncodingError& e) {
    // Name the job and the argument rather than the generic "value".
    std::string msg = e.what();
    if (msg.rfind("value", 0) == 0) msg = "args" + msg.substr(5);
    throw EncodingError(fmt::format("job {}: {}", job.klass, msg));
  }
}

void write_extra(std::string& out, const Job& job, Dialect dialect) {
  for (const auto& [k, v] : job.extra.items()) {
    out += ',';
    out += encode_json(Json(k));
    out += ':';
    out += encode_json(v, dialect);
  }
}

std::string node_payload(const Job& job, bool extras) {
  std::string out = "{\"class\":";
  out += encode_json(Json(job.klass));
  out += ",\"queue\":";
  out += encode_json(Json(job.queue));
  out += ",\"args\":";
  write_args(out, job, Dialect::node);
  if (extras) write_extra(out, job, Dialect::node);
  out += '}';
  return out;
}
}  // namespace

std::string encode_payload(const Job& job, Dialect dialect) {
  if (dialect == Dialect::node) return node_payload(job, true);
  std::string out = "{\"class\":";
  out += encode_json(Json(job.klass));
  out += ",\"args\":";
  write_args(out, job, Dialect::ruby);
  write_extra(out, job, Dialect::ruby);
  out += '}';
  return out;
}

std::string encode_delayed(const Job& job, Dialect dialect) {
  if (dialect == Dialect::node) return node_payload(job, false);
  return encode_ruby_delayed(job);
}

std::string encode_ruby_payload(const Job& job) {
  std::string out = "{\"class\":";
  out += encode_json(Json(job.klass));
  out += ",\"args\":";
  write_args(out, job, Dialect::ruby);
  out += '}';
  return out;
}

std::string encode_ruby_delayed(const Job& job) {
  std::string out = "{\"class\":";
  out += encode_json(Json(job.klass));
  out += ",\"args\":";
  write_args(out, job, Dialect::ruby);
  out += ",\"queue\":";
  out += encode_json(Json(job.queue));
  out += '}';
  return out;
}

Job decode_payload(std::string_view payload) {
  Json v = decode_json(payload);
  if (!v.is_object())
    throw EncodingError(
        fmt::format("job payload is not a JSON object: {}", std::string(payload.substr(0, 200))));
  Job job;
  bool have_class = false;
  for (auto& [k, e] : v.items()) {
    if (k == "class") {
      if (!e.is_string()) throw EncodingError("job payload has a \"class\" that is not a string");
      job.klass = e.get<std::string>();
      have_class = true;
    } else if (k == "queue") {
      if (e.is_string()) job.queue = e.get<std::string>();
    } else if (k == "args") {
      if (e.is_array())
        job.args = std::move(e);
      else if (e.is_null() || (e.is_object() && e.empty()))
        job.args = Json::array();  // cjson encodes an empty array as {}
      else
        job.args = Json::array({std::move(e)});
    } else {
      job.extra[k] = std::move(e);
    }
  }
  if (!have_class) throw EncodingError("job payload has no \"class\"");
  return job;
}

void validate_queue_name(std::string_view queue) {
  protocol::validate_queue_name(queue);
}

void validate_class_name(std::string_view klass) {
  if (klass.empty()) throw ConfigError("job class name is empty");
}

}  // namespace resque
