// A native host for `.nm` files: loads one with torch::jit::load and calls it as the Neutone plugin
// does, from C++ with no Python anywhere. neutone_export.native_host builds it on first use against
// the libtorch inside the installed torch wheel and reads what it prints (one JSON object on stdout).
//
//   neutone_host time   --model M --sample-rate SR --buffer-size BS --calls N --warmup W
//                       [--repetitions R] [--channels C] [--knobs 0|1] [--pin CPU] [--seed S]
//       times W warm-up calls, then R runs of N calls of forward, the model reset before each run,
//       cycling through 8 preallocated buffers of noise and knob values: per-call nanoseconds
//       (steady clock) and the number and bytes of CPU allocations each call made (a counting CPU
//       allocator).
//   neutone_host stream --model M --sample-rate SR --channels C --input IN --knobs-file K
//                       --sizes SIZES --output OUT
//       feeds IN (float32, C x n, row-major) through forward in host buffers of the sizes in SIZES
//       (int32, summing to n) with knob rows K (float32, 4 x n) and writes the output (float32,
//       out_ch x n) to OUT.
// Errors: one line on stderr and exit 3 for a file that does not load or run, 2 for bad arguments.

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/from_blob.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/rand.h>
#include <torch/csrc/jit/serialization/import.h>

#include "counting_allocator.h"
#include "driver_util.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// Distinct preallocated input buffers the timed loop cycles through (as neutone_bench.speed does).
constexpr int64_t kInputPool = 8;

using neutone::CountingAllocator;
using namespace neutone::driver;  // NOLINT: the drivers' shared helpers

// The model loaded but broke the contract (a call returned another number of samples).
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Loads the module the way the plugin does: the archive plus its metadata.json extra file.
torch::jit::Module load_model(const std::string& path, size_t* metadata_bytes) {
  torch::jit::ExtraFilesMap extra{{"metadata.json", ""}};
  torch::jit::Module module = torch::jit::load(path, c10::nullopt, extra);
  module.eval();
  *metadata_bytes = extra["metadata.json"].size();
  return module;
}

int64_t configure(torch::jit::Module& module, int64_t sample_rate, int64_t buffer_size) {
  auto result = module.get_method("set_daw_sample_rate_and_buffer_size")(
      {c10::IValue(sample_rate), c10::IValue(buffer_size)});
  return result.isInt() ? result.toInt() : buffer_size;
}

int64_t reported_delay(torch::jit::Module& module) {
  return module.get_method("calc_buffering_delay_samples")({}).toInt() +
         module.get_method("calc_model_delay_samples")({}).toInt();
}


int run_time(const Args& args, CountingAllocator& counter) {
  const std::string path = require(args, "model");
  const int64_t sample_rate = int_arg(args, "sample-rate", 48000);
  const int64_t buffer_size = int_arg(args, "buffer-size", 128);
  const int64_t calls = int_arg(args, "calls", 1000);
  const int64_t warmup = int_arg(args, "warmup", 10);
  const int64_t repetitions = int_arg(args, "repetitions", 1);
  const int64_t channels = int_arg(args, "channels", 2);
  const bool knobs = int_arg(args, "knobs", 1) != 0;
  const int64_t pin = int_arg(args, "pin", -1);
  at::manual_seed(int_arg(args, "seed", 0));
  if (pin >= 0) pin_to_cpu(pin);

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  size_t metadata_bytes = 0;
  torch::jit::Module module = load_model(path, &metadata_bytes);
  const auto t1 = clock::now();
  configure(module, sample_rate, buffer_size);
  const int64_t delay = reported_delay(module);

  // Preallocated, as a plugin's audio thread holds them: noise in, knobs in [0, 1].
  std::vector<std::vector<c10::IValue>> pool;
  for (int64_t i = 0; i < kInputPool; ++i) {
    at::Tensor x = at::rand({channels, buffer_size}) * 2.0 - 1.0;
    at::Tensor params = at::rand({4, buffer_size});
    pool.push_back({x, knobs ? c10::IValue(params) : c10::IValue()});
  }

  torch::jit::Method forward = module.get_method("forward");
  auto timed_call = [&](int64_t i, int64_t* allocs, int64_t* bytes) {
    const int64_t count0 = counter.count(), bytes0 = counter.bytes();
    const auto start = clock::now();
    c10::IValue out = forward(pool[i % kInputPool]);
    const auto stop = clock::now();
    if (allocs != nullptr) *allocs = counter.count() - count0;
    if (bytes != nullptr) *bytes = counter.bytes() - bytes0;
    if (!out.isTensor() || out.toTensor().size(-1) != buffer_size) {
      throw ModelError("forward returned a wrong shape for a host buffer of " +
                       std::to_string(buffer_size) + " samples");
    }
    return std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count();
  };

  std::vector<int64_t> warmup_times(warmup);
  for (int64_t i = 0; i < warmup; ++i) warmup_times[i] = timed_call(i, nullptr, nullptr);

  const bool can_reset = module.find_method("reset").has_value();
  std::vector<int64_t> times, allocs, alloc_bytes;
  for (int64_t r = 0; r < repetitions; ++r) {
    if (can_reset) module.get_method("reset")({});
    for (int64_t i = 0; i < calls; ++i) {
      int64_t n_allocs = 0, n_bytes = 0;
      times.push_back(timed_call(i, &n_allocs, &n_bytes));
      allocs.push_back(n_allocs);
      alloc_bytes.push_back(n_bytes);
    }
  }

  std::ostringstream json;
  json << "{\"load_ms\": " << std::chrono::duration<double, std::milli>(t1 - t0).count()
       << ", \"metadata_bytes\": " << metadata_bytes << ", \"reported_delay\": " << delay
       << ", \"threads\": " << at::get_num_threads() << ", ";
  print_list(json, "warmup_ns", warmup_times);
  json << ", ";
  print_list(json, "times_ns", times);
  json << ", ";
  print_list(json, "allocs", allocs);
  json << ", ";
  print_list(json, "alloc_bytes", alloc_bytes);
  json << "}";
  std::cout << json.str() << std::endl;
  return 0;
}

int run_stream(const Args& args) {
  const std::string path = require(args, "model");
  const int64_t sample_rate = int_arg(args, "sample-rate", 48000);
  const int64_t channels = int_arg(args, "channels", 2);
  std::vector<float> input = read_raw<float>(require(args, "input"));
  std::vector<float> knob_values = read_raw<float>(require(args, "knobs-file"));
  std::vector<int32_t> sizes = read_raw<int32_t>(require(args, "sizes"));
  const int64_t n = static_cast<int64_t>(input.size()) / channels;
  int64_t total = 0, largest = 0;
  for (int32_t size : sizes) {
    total += size;
    largest = std::max<int64_t>(largest, size);
  }
  if (total != n || static_cast<int64_t>(knob_values.size()) != 4 * n) {
    throw UsageError("sizes must sum to the input length and knobs must be 4 x n");
  }

  size_t metadata_bytes = 0;
  torch::jit::Module module = load_model(path, &metadata_bytes);
  configure(module, sample_rate, largest);
  const int64_t delay = reported_delay(module);
  at::Tensor x = at::from_blob(input.data(), {channels, n});
  at::Tensor k = at::from_blob(knob_values.data(), {4, n});
  torch::jit::Method forward = module.get_method("forward");

  std::vector<at::Tensor> outputs;
  int64_t start = 0;
  for (int32_t size : sizes) {
    std::vector<c10::IValue> inputs{x.narrow(1, start, size).clone(),
                                    k.narrow(1, start, size).clone()};
    at::Tensor y = forward(inputs).toTensor();
    if (y.dim() != 2 || y.size(1) != size) {
      throw ModelError("forward returned a wrong shape for a host buffer of " +
                       std::to_string(size) + " samples");
    }
    outputs.push_back(y.clone());
    start += size;
  }
  at::Tensor out = at::cat(outputs, 1).contiguous();
  write_raw(require(args, "output"), out.data_ptr<float>(), static_cast<size_t>(out.numel()));
  std::cout << "{\"reported_delay\": " << delay << ", \"out_channels\": " << out.size(0)
            << ", \"metadata_bytes\": " << metadata_bytes << "}" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: neutone_host time|stream --option value ..." << std::endl;
    return 2;
  }
  at::set_num_threads(1);
  at::NoGradGuard no_grad;  // as the plugin runs: no autograd recording on the audio thread
  static CountingAllocator counter(c10::GetCPUAllocator());
  c10::SetCPUAllocator(&counter, /*priority=*/100);
  const std::string mode = argv[1];
  try {
    const Args args = parse_args(argc, argv);
    if (mode == "time") return run_time(args, counter);
    if (mode == "stream") return run_stream(args);
    throw UsageError("unknown mode '" + mode + "' (time or stream)");
  } catch (const UsageError& e) {
    std::cerr << "neutone_host: " << e.what() << std::endl;
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << "neutone_host: " << one_line(e.what_without_backtrace()) << std::endl;
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "neutone_host: " << one_line(e.what()) << std::endl;
    return 3;
  }
}
