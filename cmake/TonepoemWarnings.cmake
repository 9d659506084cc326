# Warnings as errors for our own code; third-party headers come in as SYSTEM includes.
# GCC is the project's compiler; Clang builds it too (the fuzz build, fuzz/README.md) with the same
# flags and one exception: -Woverlength-strings (part of Clang's -Wpedantic) flags the compiled-in
# word table en_learned.inc, a 1.6 MB literal that both compilers accept; GCC does not warn.
function(tonepoem_apply_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${target} PRIVATE -Wno-overlength-strings)
  endif()
  if(TONEPOEM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
    # GCC 12 at -O3 (Release) warns -Wrestrict inside libstdc++ for `"literal" + std::string`
    # (GCC bug 105651, fixed in 13): a false positive that broke the Release build three times,
    # at a different test each time. In Release it stays a warning; every other warning, and this
    # one in the other build types, is an error.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE $<$<CONFIG:Release>:-Wno-error=restrict>)
    endif()
  endif()
  if(TONEPOEM_SANITIZE OR TONEPOEM_FUZZ)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(TONEPOEM_FUZZ)
    # Coverage for libFuzzer in every library; only the fuzz targets link its driver (fuzz/).
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()
