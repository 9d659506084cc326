# Every dependency, with the Debian package that provides it. A missing one stops configuration
# with the install command; `scripts/setup` installs all of them.
find_package(PkgConfig QUIET)
if(NOT PkgConfig_FOUND)
  message(FATAL_ERROR "pkg-config not found. Install it: apt-get install pkg-config (or run scripts/setup)")
endif()

macro(tonepoem_require_pkg var modules debian)
  pkg_check_modules(${var} QUIET IMPORTED_TARGET ${modules})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR "Missing dependency: ${modules}.\n"
                        "  Install it: apt-get install ${debian}\n  (or run scripts/setup, which installs everything)")
  endif()
endmacro()

macro(tonepoem_require_package name debian)
  find_package(${name} ${ARGN} QUIET)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "Missing dependency: ${name}.\n"
                        "  Install it: apt-get install ${debian}\n  (or run scripts/setup, which installs everything)")
  endif()
endmacro()

tonepoem_require_package(nlohmann_json nlohmann-json3-dev)
tonepoem_require_package(fmt libfmt-dev)
tonepoem_require_package(CLI11 libcli11-dev)
if(TONEPOEM_BUILD_TESTS)
  tonepoem_require_package(GTest libgtest-dev)
endif()
if(TONEPOEM_BUILD_BENCH)
  tonepoem_require_package(benchmark libbenchmark-dev)
endif()
tonepoem_require_pkg(ICU "icu-uc;icu-i18n" libicu-dev)
tonepoem_require_pkg(OPENCC opencc libopencc-dev)
tonepoem_require_pkg(FLUIDSYNTH fluidsynth libfluidsynth-dev)
tonepoem_require_pkg(SNDFILE sndfile libsndfile1-dev)
tonepoem_require_pkg(EBUR128 libebur128 libebur128-dev)
tonepoem_require_pkg(ESPEAK espeak-ng libespeak-ng-dev)
tonepoem_require_pkg(RUBBERBAND rubberband librubberband-dev)  # make --sing: syllables to notes
tonepoem_require_pkg(LIBAV "libavformat;libavcodec;libavutil;libswscale;libswresample"
                     "libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev")
tonepoem_require_pkg(CAIRO cairo libcairo2-dev)
tonepoem_require_pkg(PANGOCAIRO pangocairo libpango1.0-dev)
tonepoem_require_pkg(FFTW fftw3f libfftw3-dev)
tonepoem_require_pkg(SDL2 sdl2 libsdl2-dev)  # `tonepoem live`'s sound card
tonepoem_require_pkg(LIBLO liblo liblo-dev)  # `tonepoem live --osc`: OSC messages
tonepoem_require_pkg(AUBIO aubio libaubio-dev)
tonepoem_require_pkg(HTTPLIB cpp-httplib libcpp-httplib-dev)
tonepoem_require_pkg(SQLITE3 sqlite3 libsqlite3-dev)
tonepoem_require_pkg(LIBPQ libpq libpq-dev)
tonepoem_require_pkg(LIBCRYPTO libcrypto libssl-dev)

# cppjieba is header-only and ships inside the nodejieba npm package (installed by scripts/setup
# with --ignore-scripts into the data folder).
set(_jieba_root "${TONEPOEM_DATA_DIR}/npm/node_modules/nodejieba/submodules/cppjieba")
if(NOT EXISTS "${_jieba_root}/include/cppjieba/Jieba.hpp")
  message(FATAL_ERROR "cppjieba headers not found under ${_jieba_root}.\n"
                      "  Run scripts/setup (it installs the nodejieba npm package into ${TONEPOEM_DATA_DIR}),\n"
                      "  or pass -DTONEPOEM_DATA_DIR=<folder where setup put the data>.")
endif()
add_library(cppjieba INTERFACE)
target_include_directories(cppjieba SYSTEM INTERFACE "${_jieba_root}/include" "${_jieba_root}/deps/limonp/include")

# The studio page's tests (tests/studio) drive Debian's Chromium headless with puppeteer-core, an
# npm package that scripts/setup installs into the data folder.
if(TONEPOEM_BUILD_TESTS)
  find_program(TONEPOEM_NODE node)
  if(NOT TONEPOEM_NODE)
    message(FATAL_ERROR "Missing dependency: node (the studio tests' driver).\n"
                        "  Install it: apt-get install nodejs npm\n  (or run scripts/setup, which installs everything)")
  endif()
  find_program(TONEPOEM_CHROMIUM NAMES chromium chromium-browser)
  if(NOT TONEPOEM_CHROMIUM)
    message(FATAL_ERROR "Missing dependency: chromium (the studio tests' browser).\n"
                        "  Install it: apt-get install chromium\n  (or run scripts/setup, which installs everything)")
  endif()
  if(NOT EXISTS "${TONEPOEM_DATA_DIR}/npm/node_modules/puppeteer-core/package.json")
    message(FATAL_ERROR "puppeteer-core not found under ${TONEPOEM_DATA_DIR}/npm.\n"
                        "  Run scripts/setup (it installs the npm packages into ${TONEPOEM_DATA_DIR}),\n"
                        "  or pass -DTONEPOEM_DATA_DIR=<folder where setup put the data>.")
  endif()
endif()
