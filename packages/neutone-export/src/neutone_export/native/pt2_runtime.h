// Streams a neutone pt2 package (`model.pt2pkg/`, docs/pt2.md) as the Neutone plugin streams the
// `.nm` written beside it: any host rate the package plans for, any sequence of host buffer sizes up
// to the configured maximum, the same re-buffering, resampling, knob queue and sample-and-hold,
// channel conversion, priming and delay as neutone_core.adapter.RealtimeAdapter.
//
// Every number that design chose (polyphase banks, ratios, phase delays, priming, knob hold
// tables, native settings) is read from the package's plan.bin, written by
// neutone_export.pt2.plan from core's own objects; this file only applies them.
//
// Embedding: include this header, compile pt2_runtime.cpp with your plugin, link libtorch_cpu and
// c10 (the torch wheel's, or a libtorch of the same version). Not thread-safe: one audio thread
// calls process(); configure() and reset() allocate and belong on the message thread.
//
//   neutone::Pt2Runtime runtime("/path/model.pt2pkg");
//   runtime.configure(48000, 512);                 // host rate, largest host buffer
//   runtime.process(in, 2, knobs, out, n);         // planar float pointers, 0 <= n <= 512
//   runtime.delay();                               // host samples to compensate

#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace torch::inductor {
class AOTIModelPackageLoader;
}

namespace neutone {

// A package that cannot be read or run, or a call that breaks the runtime's contract.
struct Pt2Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// plan.bin: name -> values (integers or doubles), as neutone_export.pt2.plan writes it.
class Plan {
 public:
  explicit Plan(const std::string& path);
  const std::vector<int64_t>& ints(const std::string& name) const;
  const std::vector<double>& reals(const std::string& name) const;
  int64_t integer(const std::string& name, size_t index = 0) const;
  bool has(const std::string& name) const;

 private:
  std::map<std::string, std::vector<int64_t>> ints_;
  std::map<std::string, std::vector<double>> reals_;
};

// A queue of `channels` rows of samples in one linear buffer, moved to the front when full.
class Fifo {
 public:
  void allocate(int64_t channels, int64_t capacity);
  void clear() { start_ = end_ = 0; }
  int64_t size() const { return end_ - start_; }
  // Room for `n` more samples; returns the column they start at (write with at()).
  int64_t reserve(int64_t n);
  void push_zeros(int64_t n);
  void discard(int64_t n);
  float& at(int64_t row, int64_t column) { return data_[row * capacity_ + start_ + column]; }

 private:
  std::vector<float> data_;
  int64_t channels_ = 0, capacity_ = 0, start_ = 0, end_ = 0;
};

// The streaming polyphase converter of neutone_core.resample with a bank from the plan: after T
// inputs, floor((T up + e) / down) outputs; output k is the dot product of inputs
// q - hw .. q + hw (zero before the stream) with bank row r, where k down - S = q up + r.
class Resampler {
 public:
  void configure(const Plan& plan, const std::string& prefix, int64_t channels, int64_t max_input);
  void reset();
  int64_t max_output(int64_t inputs) const;
  // Converts `n` samples of channel-major `input` (channels x stride); appends the outputs to `out`.
  void process(const float* input, int64_t stride, int64_t n, Fifo& out);

 private:
  int64_t up_ = 1, down_ = 1, half_width_ = 0, taps_ = 1, delay_ = 0, extra_ = 0;
  int64_t channels_ = 1;
  std::vector<double> bank_;
  Fifo history_;        // inputs from index first_ on
  int64_t first_ = 0;   // input index of the history's first sample
  int64_t inputs_ = 0;  // inputs so far
  int64_t outputs_ = 0; // outputs so far
};

class Pt2Runtime {
 public:
  // Loads plan.bin and every forward_<size>[_<rate>].pt2 of the package folder; throws Pt2Error.
  explicit Pt2Runtime(const std::string& package_dir);
  ~Pt2Runtime();
  Pt2Runtime(const Pt2Runtime&) = delete;
  Pt2Runtime& operator=(const Pt2Runtime&) = delete;

  // Chooses the native settings the plan gives for `host_rate` and allocates every buffer for
  // host buffers of up to `max_buffer` samples; resets the state.
  void configure(int64_t host_rate, int64_t max_buffer);
  // One host buffer: `input[c][i]` for c < host_channels (1 or 2), `knobs[r][i]` for the 4 knob
  // rows in [0, 1] (nullptr: the defaults), `output[c][i]` written; 0 <= n <= max_buffer.
  void process(const float* const* input, int64_t host_channels, const float* const* knobs,
               float* const* output, int64_t n);
  // Clears all streaming state, the model's included (as the .nm's reset()).
  void reset();
  // Host samples between an input and its output (the .nm's buffering + model delay).
  int64_t delay() const { return delays_.empty() ? 0 : delays_.back(); }
  // buffering, resampling, look_ahead, model, total (host samples).
  const std::vector<int64_t>& delay_breakdown() const { return delays_; }
  int64_t native_rate() const { return native_rate_; }
  int64_t native_buffer_size() const { return native_bs_; }
  int64_t in_channels() const { return in_ch_; }
  int64_t out_channels() const { return out_ch_; }
  const std::vector<int64_t>& host_rates() const { return plan_.ints("model.host_rates"); }

 private:
  using Forward = std::pair<int64_t, int64_t>;  // (native rate, 0: any; block size, 0: any)
  void load_forward(const Forward& key);
  at::Tensor run_model(int64_t n);
  void take_positions(int64_t n);
  void run_blocks();

  std::string dir_;
  Plan plan_;
  std::string reset_mode_;
  std::map<Forward, std::string> forward_files_;
  std::map<Forward, std::unique_ptr<torch::inductor::AOTIModelPackageLoader>> forwards_;
  Forward forward_{0, 0};  // the one the current settings run

  int64_t in_ch_ = 1, out_ch_ = 1, look_behind_ = 0, look_ahead_ = 0, n_knobs_ = 0, rows_ = 4;
  std::vector<float> default_positions_;

  // Settings (configure).
  int64_t host_rate_ = 0, max_buffer_ = 0, native_rate_ = 0, native_bs_ = 0, block_max_ = 0;
  bool resampling_ = false, direct_ = false;
  int64_t priming_ = 0;
  std::vector<int64_t> delays_;
  int64_t knob_up_ = 1, knob_down_ = 1, knob_pre_ = 0;
  std::vector<int64_t> knob_hold_;

  // Stages and their buffers (allocated by configure).
  Resampler resampler_in_, resampler_out_;
  Fifo blocks_, knob_queue_, out_fifo_;
  std::vector<float> host_in_;    // the host buffer in the model's channels (in_ch x max_buffer)
  std::vector<float> window_;     // the model's input (in_ch x window)
  std::vector<float> positions_;  // the block's knob positions (rows x block)
  int64_t native_done_ = 0, knob_base_ = 0;
};

}  // namespace neutone
