// The streaming runtime of a neutone pt2 package: see pt2_runtime.h and docs/pt2.md.

#include "pt2_runtime.h"

#include <ATen/ops/from_blob.h>
#include <torch/csrc/inductor/aoti_package/model_package_loader.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace neutone {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Pt2Error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The string value of `"key": "value"` in the manifest (no JSON library in the torch wheel; the
// manifest is written by neutone_export.pt2.package with json.dumps, so the pattern is exact).
std::string manifest_string(const std::string& manifest, const std::string& key) {
  const std::string pattern = "\"" + key + "\": \"";
  const size_t at = manifest.find(pattern);
  if (at == std::string::npos) return "";
  const size_t start = at + pattern.size();
  const size_t end = manifest.find('"', start);
  return end == std::string::npos ? "" : manifest.substr(start, end - start);
}

}  // namespace

// -- Plan ------------------------------------------------------------------------------------------

Plan::Plan(const std::string& path) {
  const std::string data = read_text(path);
  const std::string magic = "neutone-plan 1\n";
  if (data.compare(0, magic.size(), magic) != 0) {
    throw Pt2Error(path + " is not a neutone runtime plan (first line 'neutone-plan 1')");
  }
  size_t at = magic.size();
  while (at < data.size()) {
    const size_t end = data.find('\n', at);
    if (end == std::string::npos) throw Pt2Error(path + " is truncated");
    std::istringstream header(data.substr(at, end - at));
    std::string name, kind;
    size_t count = 0;
    header >> name >> kind >> count;
    at = end + 1;
    if (at + count * 8 > data.size()) throw Pt2Error(path + " is truncated at record " + name);
    if (kind == "i64") {
      std::vector<int64_t> values(count);
      std::memcpy(values.data(), data.data() + at, count * 8);
      ints_[name] = std::move(values);
    } else if (kind == "f64") {
      std::vector<double> values(count);
      std::memcpy(values.data(), data.data() + at, count * 8);
      reals_[name] = std::move(values);
    } else {
      throw Pt2Error(path + ": record " + name + " has unknown kind '" + kind + "'");
    }
    at += count * 8;
  }
}

bool Plan::has(const std::string& name) const {
  return ints_.count(name) != 0 || reals_.count(name) != 0;
}

const std::vector<int64_t>& Plan::ints(const std::string& name) const {
  auto it = ints_.find(name);
  if (it == ints_.end()) throw Pt2Error("plan.bin lacks the record " + name);
  return it->second;
}

const std::vector<double>& Plan::reals(const std::string& name) const {
  auto it = reals_.find(name);
  if (it == reals_.end()) throw Pt2Error("plan.bin lacks the record " + name);
  return it->second;
}

int64_t Plan::integer(const std::string& name, size_t index) const {
  const auto& values = ints(name);
  if (index >= values.size()) throw Pt2Error("plan.bin record " + name + " is too short");
  return values[index];
}

// -- Fifo ------------------------------------------------------------------------------------------

void Fifo::allocate(int64_t channels, int64_t capacity) {
  channels_ = channels;
  capacity_ = capacity;
  data_.assign(static_cast<size_t>(channels * capacity), 0.0f);
  clear();
}

int64_t Fifo::reserve(int64_t n) {
  const int64_t held = size();
  if (end_ + n > capacity_) {
    if (held + n > capacity_) throw Pt2Error("internal queue overflow (a runtime bug)");
    for (int64_t c = 0; c < channels_; ++c) {
      float* row = data_.data() + c * capacity_;
      std::memmove(row, row + start_, static_cast<size_t>(held) * sizeof(float));
    }
    start_ = 0;
    end_ = held;
  }
  end_ += n;
  return held;
}

void Fifo::push_zeros(int64_t n) {
  const int64_t column = reserve(n);
  for (int64_t c = 0; c < channels_; ++c) std::fill_n(&at(c, column), n, 0.0f);
}

void Fifo::discard(int64_t n) {
  if (n > size()) throw Pt2Error("internal queue underflow (a runtime bug)");
  start_ += n;
}

// -- Resampler -------------------------------------------------------------------------------------

void Resampler::configure(const Plan& plan, const std::string& prefix, int64_t channels,
                          int64_t max_input) {
  up_ = plan.integer(prefix + ".up");
  down_ = plan.integer(prefix + ".down");
  half_width_ = plan.integer(prefix + ".half_width");
  delay_ = plan.integer(prefix + ".delay_units");
  extra_ = plan.integer(prefix + ".extra_delay");
  taps_ = 2 * half_width_ + 1;
  bank_ = plan.reals(prefix + ".bank");
  if (static_cast<int64_t>(bank_.size()) != up_ * taps_) {
    throw Pt2Error("plan.bin: " + prefix + ".bank is not up x (2 half_width + 1)");
  }
  channels_ = channels;
  const int64_t initial = half_width_ - floor_div(-delay_, up_);
  const int64_t kept = std::max(initial, taps_ + 1) + down_ / up_ + 2;
  history_.allocate(channels, 2 * (kept + max_input) + taps_ + 16);
  reset();
}

void Resampler::reset() {
  history_.clear();
  first_ = floor_div(-delay_, up_) - half_width_;  // the first input output 0 reads
  history_.push_zeros(-first_);
  inputs_ = 0;
  outputs_ = 0;
}

int64_t Resampler::max_output(int64_t inputs) const {
  return (std::max(extra_, down_ - 1) + inputs * up_) / down_;
}

void Resampler::process(const float* input, int64_t stride, int64_t n, Fifo& out) {
  const int64_t column = history_.reserve(n);
  for (int64_t c = 0; c < channels_; ++c) {
    std::copy_n(input + c * stride, n, &history_.at(c, column));
  }
  inputs_ += n;
  const int64_t count = floor_div(inputs_ * up_ + extra_, down_) - outputs_;
  const int64_t at = out.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t units = (outputs_ + i) * down_ - delay_;
    const int64_t q = floor_div(units, up_);
    const double* taps = bank_.data() + (units - q * up_) * taps_;
    const int64_t start = q - half_width_ - first_;
    for (int64_t c = 0; c < channels_; ++c) {
      const float* x = &history_.at(c, start);
      double sum = 0.0;
      for (int64_t j = 0; j < taps_; ++j) sum += static_cast<double>(x[j]) * taps[j];
      out.at(c, at + i) = static_cast<float>(sum);
    }
  }
  outputs_ += count;
  // Drop the inputs no later output reads.
  const int64_t next_first = floor_div(outputs_ * down_ - delay_, up_) - half_width_;
  const int64_t drop = std::clamp<int64_t>(next_first - first_, 0, history_.size());
  history_.discard(drop);
  first_ += drop;
}

// -- Pt2Runtime ------------------------------------------------------------------------------------

Pt2Runtime::Pt2Runtime(const std::string& package_dir)
    : dir_(package_dir), plan_((std::filesystem::path(package_dir) / "plan.bin").string()) {
  const std::string manifest = read_text(std::filesystem::path(dir_) / "manifest.json");
  if (manifest.find("\"neutone-pt2\"") == std::string::npos) {
    throw Pt2Error(dir_ + "/manifest.json is not a neutone-pt2 manifest");
  }
  reset_mode_ = manifest_string(manifest, "reset");
  if (reset_mode_.empty()) reset_mode_ = "reload";
  if (reset_mode_ != "reload") {
    throw Pt2Error("manifest reset '" + reset_mode_ + "' is not supported (this runtime: reload)");
  }
  in_ch_ = plan_.integer("model.channels", 0);
  out_ch_ = plan_.integer("model.channels", 1);
  look_behind_ = plan_.integer("model.context", 0);
  look_ahead_ = plan_.integer("model.context", 1);
  n_knobs_ = plan_.integer("model.knobs", 0);
  rows_ = plan_.integer("model.knobs", 1);
  for (double v : plan_.reals("model.default_positions")) {
    default_positions_.push_back(static_cast<float>(v));
  }
  // forward_<size>[_<rate>].pt2: size "any" (0) for a dynamic block length, no rate: any rate.
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("forward_", 0) != 0 || entry.path().extension() != ".pt2") continue;
    std::istringstream fields(name.substr(8, name.size() - 12));
    std::string size, rate;
    std::getline(fields, size, '_');
    std::getline(fields, rate);
    auto number = [&](const std::string& text) -> int64_t {
      if (text.empty() || text == "any") return 0;
      if (!std::all_of(text.begin(), text.end(), ::isdigit)) {
        throw Pt2Error(dir_ + ": cannot read the forward file name " + name);
      }
      return std::stoll(text);
    };
    forward_files_[{number(rate), number(size)}] = entry.path().string();
  }
  if (forward_files_.empty()) throw Pt2Error(dir_ + " holds no forward_<size>.pt2");
  for (const auto& entry : forward_files_) load_forward(entry.first);
}

Pt2Runtime::~Pt2Runtime() = default;

void Pt2Runtime::load_forward(const Forward& key) {
  forwards_[key].reset();  // the old runner goes before the new one loads
  forwards_[key] = std::make_unique<torch::inductor::AOTIModelPackageLoader>(
      forward_files_.at(key));
}

void Pt2Runtime::configure(int64_t host_rate, int64_t max_buffer) {
  const auto& rates = host_rates();
  if (std::find(rates.begin(), rates.end(), host_rate) == rates.end()) {
    std::string listed;
    for (int64_t r : rates) listed += (listed.empty() ? "" : ", ") + std::to_string(r);
    throw Pt2Error("host rate " + std::to_string(host_rate) +
                   " Hz is not planned in this package (planned: " + listed + ")");
  }
  if (max_buffer < 1) throw Pt2Error("max_buffer must be >= 1, got " + std::to_string(max_buffer));
  const std::string prefix = "rate." + std::to_string(host_rate);
  host_rate_ = host_rate;
  max_buffer_ = max_buffer;
  native_rate_ = plan_.integer(prefix + ".native_rate");
  native_bs_ = plan_.integer(prefix + ".native_buffer_size");
  resampling_ = plan_.integer(prefix + ".resampling") != 0;
  direct_ = plan_.integer(prefix + ".direct") != 0;
  priming_ = plan_.integer(prefix + ".priming");
  delays_ = plan_.ints(prefix + ".delays");
  forward_ = {native_rate_, native_bs_};
  if (forward_files_.count(forward_) == 0) forward_ = {0, native_bs_};
  if (forward_files_.count(forward_) == 0) {
    throw Pt2Error("the package has no forward for native rate " + std::to_string(native_rate_) +
                   " Hz and buffer size " + std::to_string(native_bs_) + " (0: any)");
  }

  int64_t native_per_call = max_buffer;
  if (resampling_) {
    resampler_in_.configure(plan_, prefix + ".in", in_ch_, max_buffer);
    native_per_call = resampler_in_.max_output(max_buffer);
  }
  block_max_ = native_bs_ > 0 ? native_bs_ : native_per_call;
  int64_t block_out = block_max_;
  int64_t knob_held = look_ahead_ + block_max_;
  if (resampling_) {
    resampler_out_.configure(plan_, prefix + ".out", out_ch_, block_max_);
    block_out = resampler_out_.max_output(block_max_);
    knob_up_ = plan_.integer(prefix + ".knob_ratio", 0);
    knob_down_ = plan_.integer(prefix + ".knob_ratio", 1);
    knob_pre_ = plan_.integer(prefix + ".knob_pre");
    knob_hold_ = plan_.ints(prefix + ".knob_hold");
    const int64_t s_in = plan_.integer(prefix + ".in.delay_units");
    knob_held = ((block_max_ + look_ahead_) * knob_down_ + s_in + knob_up_ - 1) / knob_up_ +
                knob_pre_ + 2;
  }
  const int64_t window_max = look_behind_ + block_max_ + look_ahead_;
  blocks_.allocate(in_ch_, 2 * (window_max + native_per_call) + 16);
  knob_queue_.allocate(rows_, 2 * (knob_held + max_buffer) + 16);
  const int64_t out_held = 2 * priming_ + max_buffer + block_out + 2;
  out_fifo_.allocate(out_ch_, 2 * out_held + block_out + 16);
  host_in_.assign(static_cast<size_t>(in_ch_ * max_buffer), 0.0f);
  window_.assign(static_cast<size_t>(in_ch_ * std::max(window_max, max_buffer)), 0.0f);
  positions_.assign(static_cast<size_t>(rows_ * std::max(block_max_, max_buffer)), 0.0f);
  reset();
}

void Pt2Runtime::reset() {
  blocks_.clear();
  blocks_.push_zeros(look_behind_);
  knob_queue_.clear();
  native_done_ = 0;
  knob_base_ = 0;
  if (resampling_) {
    const int64_t column = knob_queue_.reserve(knob_pre_);
    for (int64_t r = 0; r < rows_; ++r) {
      std::fill_n(&knob_queue_.at(r, column), knob_pre_, default_positions_[r]);
    }
    knob_base_ = -knob_pre_;
    resampler_in_.reset();
    resampler_out_.reset();
  }
  out_fifo_.clear();
  out_fifo_.push_zeros(priming_);
  if (host_rate_ != 0) load_forward(forward_);  // reset "reload": its in-place state starts over
}

at::Tensor Pt2Runtime::run_model(int64_t n) {
  const int64_t width = look_behind_ + n + look_ahead_;
  std::vector<at::Tensor> inputs{at::from_blob(window_.data(), {in_ch_, width}),
                                 at::from_blob(positions_.data(), {rows_, n})};
  std::vector<at::Tensor> outputs = forwards_.at(forward_)->run(inputs);
  if (outputs.size() != 1 || outputs[0].dim() != 2 || outputs[0].size(0) != out_ch_ ||
      outputs[0].size(1) != n || outputs[0].scalar_type() != at::kFloat) {
    throw Pt2Error("the package's forward returned a wrong shape or type for a block of " +
                   std::to_string(n) + " samples");
  }
  return outputs[0].contiguous();
}

void Pt2Runtime::take_positions(int64_t n) {
  if (!resampling_) {
    for (int64_t r = 0; r < rows_; ++r) std::copy_n(&knob_queue_.at(r, 0), n, &positions_[r * n]);
    knob_queue_.discard(n);
    return;
  }
  // Native sample j holds the host column hold[j]; the table repeats `down` columns later.
  auto host_column = [&](int64_t j) {
    return knob_hold_[j % knob_up_] + (j / knob_up_) * knob_down_;
  };
  const int64_t r0 = native_done_ % knob_up_;
  const int64_t shift = (native_done_ / knob_up_) * knob_down_ - knob_base_;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t column = host_column(r0 + i) + shift;
    if (column < 0 || column >= knob_queue_.size()) {
      throw Pt2Error("internal knob queue misses a column (a runtime bug)");
    }
    for (int64_t r = 0; r < rows_; ++r) positions_[r * n + i] = knob_queue_.at(r, column);
  }
  const int64_t next_host = host_column(r0 + n) + shift;
  const int64_t drop = std::clamp<int64_t>(next_host, 0, knob_queue_.size());
  knob_queue_.discard(drop);
  knob_base_ += drop;
  native_done_ += n;
}

void Pt2Runtime::run_blocks() {
  while (true) {
    const int64_t available = blocks_.size() - look_behind_ - look_ahead_;
    const int64_t n = native_bs_ > 0 ? (available >= native_bs_ ? native_bs_ : 0)
                                     : std::max<int64_t>(std::min(available, block_max_), 0);
    if (n == 0) return;
    if (n_knobs_ > 0) {
      take_positions(n);
    } else {
      for (int64_t r = 0; r < rows_; ++r) std::fill_n(&positions_[r * n], n, default_positions_[r]);
    }
    const int64_t width = look_behind_ + n + look_ahead_;
    for (int64_t c = 0; c < in_ch_; ++c) std::copy_n(&blocks_.at(c, 0), width, &window_[c * width]);
    const at::Tensor y = run_model(n);
    blocks_.discard(n);
    if (resampling_) {
      resampler_out_.process(y.data_ptr<float>(), n, n, out_fifo_);
    } else {
      const int64_t column = out_fifo_.reserve(n);
      for (int64_t c = 0; c < out_ch_; ++c) {
        std::copy_n(y.data_ptr<float>() + c * n, n, &out_fifo_.at(c, column));
      }
    }
  }
}

namespace {

// Channel rule of neutone_core.channels: copy, average (a + b) * 0.5, or duplicate.
template <typename Source, typename Sink>
void convert_channels(int64_t from, int64_t to, int64_t n, Source source, Sink sink) {
  for (int64_t i = 0; i < n; ++i) {
    if (from == to) {
      for (int64_t c = 0; c < to; ++c) sink(c, i, source(c, i));
    } else if (to == 1) {
      sink(0, i, (source(0, i) + source(1, i)) * 0.5f);
    } else {
      sink(0, i, source(0, i));
      sink(1, i, source(0, i));
    }
  }
}

}  // namespace

void Pt2Runtime::process(const float* const* input, int64_t host_channels,
                         const float* const* knobs, float* const* output, int64_t n) {
  if (host_rate_ == 0) throw Pt2Error("call configure(host_rate, max_buffer) before process");
  if (host_channels < 1 || host_channels > 2) {
    throw Pt2Error("host_channels must be 1 or 2, got " + std::to_string(host_channels));
  }
  if (n < 0 || n > max_buffer_) {
    throw Pt2Error("a host buffer of " + std::to_string(n) + " samples is outside 0.." +
                   std::to_string(max_buffer_) + " given to configure");
  }
  auto host_sample = [&](int64_t c, int64_t i) { return input[c][i]; };
  auto write_host = [&](int64_t c, int64_t i, float v) { output[c][i] = v; };
  auto knob_column = [&](float* dst, int64_t stride) {
    for (int64_t r = 0; r < rows_; ++r) {
      for (int64_t i = 0; i < n; ++i) {
        dst[r * stride + i] = knobs != nullptr ? knobs[r][i] : default_positions_[r];
      }
    }
  };
  if (direct_) {  // same rate, any block, no context: the host buffer is the block
    if (n == 0) return;
    convert_channels(host_channels, in_ch_, n, host_sample,
                     [&](int64_t c, int64_t i, float v) { window_[c * n + i] = v; });
    knob_column(positions_.data(), n);
    const at::Tensor y = run_model(n);
    const float* out = y.data_ptr<float>();
    convert_channels(out_ch_, host_channels, n, [&](int64_t c, int64_t i) { return out[c * n + i]; },
                     write_host);
    return;
  }
  if (resampling_) {
    convert_channels(host_channels, in_ch_, n, host_sample,
                     [&](int64_t c, int64_t i, float v) { host_in_[c * n + i] = v; });
    resampler_in_.process(host_in_.data(), n, n, blocks_);
  } else {
    const int64_t column = blocks_.reserve(n);
    convert_channels(host_channels, in_ch_, n, host_sample,
                     [&](int64_t c, int64_t i, float v) { blocks_.at(c, column + i) = v; });
  }
  if (n_knobs_ > 0) {
    const int64_t column = knob_queue_.reserve(n);
    for (int64_t r = 0; r < rows_; ++r) {
      for (int64_t i = 0; i < n; ++i) {
        knob_queue_.at(r, column + i) = knobs != nullptr ? knobs[r][i] : default_positions_[r];
      }
    }
  }
  run_blocks();
  if (out_fifo_.size() < n) throw Pt2Error("output queue ran dry (a runtime bug)");
  convert_channels(out_ch_, host_channels, n, [&](int64_t c, int64_t i) { return out_fifo_.at(c, i); },
                   write_host);
  out_fifo_.discard(n);
}

}  // namespace neutone
