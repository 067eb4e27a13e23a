// A driver of neutone::Pt2Runtime for Python (neutone_export.pt2.native_runtime builds it on first
// use against the torch wheel and reads the one JSON object it prints on stdout).
//
//   neutone_pt2 load   --package DIR
//       loads the package: channels, planned host rates, load time.
//   neutone_pt2 stream --package DIR --sample-rate SR --channels C --input IN --knobs-file K
//                      --sizes SIZES --output OUT [--reset-at I]
//       configures with the largest size, feeds IN (float32, C x n, row-major) in host buffers of
//       the sizes in SIZES (int32, summing to n) with knob rows K (float32, 4 x n), calling reset()
//       before buffer I if given, and writes the output (float32, C x n) to OUT.
//   neutone_pt2 sessions --package DIR --requests FILE
//       `stream` for each line of FILE (SR, C, I, IN, K, SIZES, OUT, tab-separated; I = -1: no
//       reset), each through a fresh runtime, in one process; prints {"sessions": [...]}.
//   neutone_pt2 time   --package DIR --sample-rate SR --buffer-size BS --calls N --warmup W
//                      [--repetitions R] [--channels C] [--knobs 0|1] [--pin CPU] [--seed S]
//       per-call nanoseconds and CPU allocations (count, bytes) of process(), as neutone_host time
//       reports them; the runtime is reset before each repetition.
// Errors: one line on stderr; exit 2 for bad arguments, 3 for a package that does not load or run.

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include "counting_allocator.h"
#include "driver_util.h"
#include "pt2_runtime.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using neutone::CountingAllocator;
using neutone::Pt2Runtime;
using namespace neutone::driver;  // NOLINT: the drivers' shared helpers
using Clock = std::chrono::steady_clock;

constexpr int64_t kInputPool = 8;  // distinct preallocated buffers the timed loop cycles through

double milliseconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

int run_load(const Args& args) {
  const auto t0 = Clock::now();
  Pt2Runtime runtime(require(args, "package"));
  const auto t1 = Clock::now();
  std::ostringstream json;
  json << "{\"load_ms\": " << milliseconds(t0, t1) << ", \"in_channels\": "
       << runtime.in_channels() << ", \"out_channels\": " << runtime.out_channels() << ", ";
  print_list(json, "host_rates", runtime.host_rates());
  json << "}";
  std::cout << json.str() << std::endl;
  return 0;
}

// One host session through a fresh runtime: returns its JSON object (the output goes to OUT).
std::string stream_session(const std::string& package, int64_t sample_rate, int64_t channels,
                           int64_t reset_at, const std::string& input_path,
                           const std::string& knobs_path, const std::string& sizes_path,
                           const std::string& output_path) {
  std::vector<float> input = read_raw<float>(input_path);
  std::vector<float> knobs = read_raw<float>(knobs_path);
  const std::vector<int32_t> sizes = read_raw<int32_t>(sizes_path);
  if (channels < 1) throw UsageError("channels must be >= 1");
  const int64_t n = static_cast<int64_t>(input.size()) / channels;
  int64_t total = 0, largest = 1;
  for (int32_t size : sizes) {
    total += size;
    largest = std::max<int64_t>(largest, size);
  }
  if (total != n || static_cast<int64_t>(knobs.size()) != 4 * n) {
    throw UsageError("sizes must sum to the input length and knobs must be 4 x n");
  }
  Pt2Runtime runtime(package);
  runtime.configure(sample_rate, largest);
  std::vector<float> output(static_cast<size_t>(channels * n));
  int64_t start = 0;
  for (size_t b = 0; b < sizes.size(); ++b) {
    if (static_cast<int64_t>(b) == reset_at) runtime.reset();
    std::vector<const float*> in, knob_rows;
    std::vector<float*> out;
    for (int64_t c = 0; c < channels; ++c) {
      in.push_back(input.data() + c * n + start);
      out.push_back(output.data() + c * n + start);
    }
    for (int64_t r = 0; r < 4; ++r) knob_rows.push_back(knobs.data() + r * n + start);
    runtime.process(in.data(), channels, knob_rows.data(), out.data(), sizes[b]);
    start += sizes[b];
  }
  write_raw(output_path, output.data(), output.size());
  std::ostringstream json;
  json << "{\"reported_delay\": " << runtime.delay() << ", \"out_channels\": " << channels
       << ", \"native_rate\": " << runtime.native_rate()
       << ", \"native_buffer_size\": " << runtime.native_buffer_size() << ", ";
  print_list(json, "delays", runtime.delay_breakdown());
  json << "}";
  return json.str();
}

int run_stream(const Args& args) {
  std::cout << stream_session(require(args, "package"), int_arg(args, "sample-rate", 48000),
                              int_arg(args, "channels", 2), int_arg(args, "reset-at", -1),
                              require(args, "input"), require(args, "knobs-file"),
                              require(args, "sizes"), require(args, "output"))
            << std::endl;
  return 0;
}

// Many sessions in one process: loading libtorch costs more than a session of a small model.
int run_sessions(const Args& args) {
  const std::string package = require(args, "package");
  std::ifstream requests(require(args, "requests"));
  if (!requests) throw UsageError("cannot read " + args.at("requests"));
  std::ostringstream json;
  json << "{\"sessions\": [";
  std::string line;
  for (int count = 0; std::getline(requests, line); ++count) {
    std::istringstream fields(line);
    std::string rate, channels, reset_at, input, knobs, sizes, output;
    if (!std::getline(fields, rate, '\t') || !std::getline(fields, channels, '\t') ||
        !std::getline(fields, reset_at, '\t') || !std::getline(fields, input, '\t') ||
        !std::getline(fields, knobs, '\t') || !std::getline(fields, sizes, '\t') ||
        !std::getline(fields, output)) {
      throw UsageError("request " + std::to_string(count) + " does not have 7 tab-separated fields");
    }
    const Args numbers = {{"rate", rate}, {"channels", channels}, {"reset-at", reset_at}};
    json << (count > 0 ? ", " : "")
         << stream_session(package, int_arg(numbers, "rate", 48000),
                           int_arg(numbers, "channels", 2), int_arg(numbers, "reset-at", -1),
                           input, knobs, sizes, output);
  }
  json << "]}";
  std::cout << json.str() << std::endl;
  return 0;
}

int run_time(const Args& args, CountingAllocator& counter) {
  const int64_t sample_rate = int_arg(args, "sample-rate", 48000);
  const int64_t buffer_size = int_arg(args, "buffer-size", 128);
  const int64_t calls = int_arg(args, "calls", 1000);
  const int64_t warmup = int_arg(args, "warmup", 10);
  const int64_t repetitions = int_arg(args, "repetitions", 1);
  const int64_t channels = int_arg(args, "channels", 2);
  const bool with_knobs = int_arg(args, "knobs", 1) != 0;
  const int64_t pin = int_arg(args, "pin", -1);
  if (pin >= 0) pin_to_cpu(pin);
  if (buffer_size < 1 || calls < 1 || repetitions < 1 || warmup < 0) {
    throw UsageError("buffer-size, calls and repetitions must be >= 1, warmup >= 0");
  }

  const auto t0 = Clock::now();
  Pt2Runtime runtime(require(args, "package"));
  const auto t1 = Clock::now();
  runtime.configure(sample_rate, buffer_size);

  // Preallocated, as a plugin's audio thread holds them: noise in, knobs in [0, 1].
  std::mt19937 random(static_cast<uint32_t>(int_arg(args, "seed", 0)));
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const int64_t span = buffer_size * kInputPool;
  std::vector<float> audio(static_cast<size_t>(channels * span));
  std::vector<float> knobs(static_cast<size_t>(4 * span));
  for (float& v : audio) v = 2.0f * uniform(random) - 1.0f;
  for (float& v : knobs) v = uniform(random);
  std::vector<float> output(static_cast<size_t>(channels * buffer_size));
  std::vector<std::vector<const float*>> in(kInputPool), knob_rows(kInputPool);
  std::vector<float*> out;
  for (int64_t c = 0; c < channels; ++c) out.push_back(output.data() + c * buffer_size);
  for (int64_t i = 0; i < kInputPool; ++i) {
    for (int64_t c = 0; c < channels; ++c) in[i].push_back(audio.data() + c * span + i * buffer_size);
    for (int64_t r = 0; r < 4; ++r) knob_rows[i].push_back(knobs.data() + r * span + i * buffer_size);
  }
  auto timed_call = [&](int64_t i, int64_t* allocs, int64_t* bytes) {
    const int64_t count0 = counter.count(), bytes0 = counter.bytes();
    const auto start = Clock::now();
    runtime.process(in[i % kInputPool].data(), channels,
                    with_knobs ? knob_rows[i % kInputPool].data() : nullptr, out.data(),
                    buffer_size);
    const auto stop = Clock::now();
    if (allocs != nullptr) *allocs = counter.count() - count0;
    if (bytes != nullptr) *bytes = counter.bytes() - bytes0;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count();
  };
  std::vector<int64_t> warmup_times, times, allocs, alloc_bytes;
  for (int64_t i = 0; i < warmup; ++i) warmup_times.push_back(timed_call(i, nullptr, nullptr));
  for (int64_t r = 0; r < repetitions; ++r) {
    runtime.reset();
    for (int64_t i = 0; i < calls; ++i) {
      int64_t n_allocs = 0, n_bytes = 0;
      times.push_back(timed_call(i, &n_allocs, &n_bytes));
      allocs.push_back(n_allocs);
      alloc_bytes.push_back(n_bytes);
    }
  }
  std::ostringstream json;
  json << "{\"load_ms\": " << milliseconds(t0, t1) << ", \"reported_delay\": " << runtime.delay()
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: neutone_pt2 load|stream|sessions|time --option value ..." << std::endl;
    return 2;
  }
  at::set_num_threads(1);
  at::NoGradGuard no_grad;  // as the plugin runs: no autograd recording on the audio thread
  static CountingAllocator counter(c10::GetCPUAllocator());
  c10::SetCPUAllocator(&counter, /*priority=*/100);
  const std::string mode = argv[1];
  try {
    const Args args = parse_args(argc, argv);
    if (mode == "load") return run_load(args);
    if (mode == "stream") return run_stream(args);
    if (mode == "sessions") return run_sessions(args);
    if (mode == "time") return run_time(args, counter);
    throw UsageError("unknown mode '" + mode + "' (load, stream, sessions or time)");
  } catch (const UsageError& e) {
    std::cerr << "neutone_pt2: " << e.what() << std::endl;
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << "neutone_pt2: " << one_line(e.what_without_backtrace()) << std::endl;
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "neutone_pt2: " << one_line(e.what()) << std::endl;
    return 3;
  }
}
