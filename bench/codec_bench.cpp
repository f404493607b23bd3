// resque_codec_bench: Google Benchmark of the wire codec on a typical payload (what every
// enqueue encodes and every worker step decodes). Reports ns per job.
#include <benchmark/benchmark.h>

#include <string>

#include "resque/job.hpp"

namespace {

resque::Job typical_job() {
  resque::Job job;
  job.klass = "SendWelcomeEmail";
  job.queue = "mailers";
  job.args = resque::Json::array(
      {12345, "ana.souza@example.com",
       resque::Json{{"template", "welcome"}, {"locale", "pt-BR"}, {"attempt", 1}}, true, 0.25});
  return job;
}

void BM_EncodePayload(benchmark::State& state) {
  const resque::Job job = typical_job();
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string payload = resque::encode_payload(job);
    bytes += payload.size();
    benchmark::DoNotOptimize(payload);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_EncodePayload);

void BM_DecodePayload(benchmark::State& state) {
  const std::string payload = resque::encode_payload(typical_job());
  for (auto _ : state) {
    resque::Job job = resque::decode_payload(payload);
    benchmark::DoNotOptimize(job);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload.size()));
  state.SetLabel(std::to_string(payload.size()) + " bytes");
}
BENCHMARK(BM_DecodePayload);

// A Ruby-written payload ({"class","args"}, no queue), as Ruby's Resque.enqueue stores it.
void BM_DecodeRubyPayload(benchmark::State& state) {
  const std::string payload = resque::encode_ruby_payload(typical_job());
  for (auto _ : state) {
    resque::Job job = resque::decode_payload(payload);
    benchmark::DoNotOptimize(job);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeRubyPayload);

void BM_RoundTrip(benchmark::State& state) {
  const resque::Job job = typical_job();
  for (auto _ : state) {
    resque::Job back = resque::decode_payload(resque::encode_payload(job));
    benchmark::DoNotOptimize(back);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RoundTrip);

}  // namespace

BENCHMARK_MAIN();
