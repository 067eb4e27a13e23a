// The smallest plugin-like program that embeds the neutone pt2 runtime (docs/pt2.md): load a
// package, configure it for the host, stream a sine through it in host buffers, print the delay
// to compensate and the output level. Build it beside
// packages/neutone-export/src/neutone_export/native/pt2_runtime.cpp, against the torch wheel:
//
//   g++ -O2 -std=c++20 -I<native> -I<torch>/include -I<torch>/include/torch/csrc/api/include \
//       pt2_embed.cpp <native>/pt2_runtime.cpp -o pt2_embed -L<torch>/lib -ltorch -ltorch_cpu \
//       -lc10 -Wl,--disable-new-dtags,-rpath,<torch>/lib
//   ./pt2_embed exports/clipper/model.pt2pkg

#include "pt2_runtime.h"

#include <cmath>
#include <cstdio>
#include <exception>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pt2_embed PACKAGE_DIR\n");
    return 2;
  }
  try {
    // Message thread: load and configure (both allocate).
    neutone::Pt2Runtime runtime(argv[1]);
    const int64_t host_rate = 44100, host_buffer = 256, calls = 100;
    runtime.configure(host_rate, host_buffer);

    // Audio thread: planar float buffers, as a plugin's processBlock gets them.
    std::vector<float> left(host_buffer), right(host_buffer), out_left(host_buffer),
        out_right(host_buffer);
    const float* input[2] = {left.data(), right.data()};
    float* output[2] = {out_left.data(), out_right.data()};
    double energy = 0.0;
    for (int64_t call = 0; call < calls; ++call) {
      for (int64_t i = 0; i < host_buffer; ++i) {
        const double t = static_cast<double>(call * host_buffer + i) / host_rate;
        left[i] = right[i] = static_cast<float>(0.5 * std::sin(2.0 * M_PI * 440.0 * t));
      }
      runtime.process(input, 2, /*knobs: defaults*/ nullptr, output, host_buffer);
      for (int64_t i = 0; i < host_buffer; ++i) energy += out_left[i] * out_left[i];
    }
    std::printf("delay %lld samples, output rms %.4f\n", static_cast<long long>(runtime.delay()),
                std::sqrt(energy / static_cast<double>(calls * host_buffer)));
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "pt2_embed: %s\n", error.what());
    return 1;
  }
}
