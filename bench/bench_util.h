// Shared by the benchmarks: where the data folder is, and clocks.
#pragma once
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace tonepoem::bench {

// The data folder scripts/build fills (build/data), unless TONEPOEM_DATA names another. The
// library looks beside its binary (build/bench/data), which a benchmark is not, so the benchmarks
// point it at the build tree's folder.
inline void use_build_data_folder() {
  const char* build_data = TONEPOEM_BUILD_DIR "/data";
  if (!std::getenv("TONEPOEM_DATA") && std::filesystem::is_directory(build_data))
    setenv("TONEPOEM_DATA", build_data, 0);
}

// Wall-clock seconds from a steady clock.
inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds used so far by this process (all threads, RUSAGE_SELF) or by its finished children
// (RUSAGE_CHILDREN).
inline double cpu_s(int who) {
  rusage u{};
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

}  // namespace tonepoem::bench
