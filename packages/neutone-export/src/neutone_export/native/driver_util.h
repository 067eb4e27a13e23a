// What the native drivers (neutone_host.cpp, pt2_main.cpp) share: "--option value" arguments, raw
// float files, CPU pinning, JSON lists and one-line errors.

#pragma once

#include <sched.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace neutone::driver {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Args = std::map<std::string, std::string>;

inline Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 2; i < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) {
      throw UsageError("expected --option value pairs, got '" + key + "'");
    }
    args[key.substr(2)] = argv[i + 1];
  }
  return args;
}

inline std::string require(const Args& args, const std::string& key) {
  auto it = args.find(key);
  if (it == args.end()) throw UsageError("missing --" + key);
  return it->second;
}

inline int64_t int_arg(const Args& args, const std::string& key, int64_t fallback) {
  auto it = args.find(key);
  if (it == args.end()) return fallback;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    throw UsageError("--" + key + " must be an integer, got '" + it->second + "'");
  }
}

template <typename T>
inline std::vector<T> read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw UsageError("cannot read " + path);
  const auto size = static_cast<size_t>(in.tellg());
  std::vector<T> values(size / sizeof(T));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(size));
  return values;
}

inline void write_raw(const std::string& path, const float* data, size_t count) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(float)));
  if (!out) throw UsageError("cannot write " + path);
}

inline void pin_to_cpu(int64_t cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<int>(cpu), &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    throw UsageError("cannot pin to CPU " + std::to_string(cpu));
  }
}

template <typename T>
inline void print_list(std::ostream& out, const char* name, const std::vector<T>& values) {
  out << "\"" << name << "\": [";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  out << "]";
}

// The last non-empty line of a TorchScript error that says what failed, without its C++ trace.
inline std::string one_line(const std::string& message) {
  std::istringstream lines(message);
  std::string line, chosen;
  while (std::getline(lines, line)) {
    if (line.find("Error") != std::string::npos || line.find("Unknown") != std::string::npos) {
      chosen = line;
    }
    if (chosen.empty() && !line.empty()) chosen = line;
  }
  return chosen.empty() ? message : chosen;
}

}  // namespace neutone::driver
