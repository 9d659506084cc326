// Shared by the benchmarks: the data folder scripts/build fills (build/data), unless
// TONEPOEM_DATA names another. The library looks beside its binary (build/bench/data), which a
// benchmark is not, so the benchmarks point it at the build tree's folder.
#pragma once
#include <cstdlib>
#include <filesystem>

namespace tonepoem::bench {

inline void use_build_data_folder() {
  const char* build_data = TONEPOEM_BUILD_DIR "/data";
  if (!std::getenv("TONEPOEM_DATA") && std::filesystem::is_directory(build_data))
    setenv("TONEPOEM_DATA", build_data, 0);
}

}  // namespace tonepoem::bench
