# fuzz_smoke: configures and builds the standalone fuzz project (tests/fuzz,
# always with clang, whatever compiles this tree) into ${CMAKE_BINARY_DIR}/fuzz
# and runs every libFuzzer harness over its seed corpus and regressions, then
# for a fixed number of inputs with a fixed seed (deterministic).
# Fails on any crash, leak, sanitizer report or broken invariant; reproducers
# land in ${CMAKE_BINARY_DIR}/fuzz/artifacts/. Disabled when clang++ is missing.
# Included last from tests/CMakeLists.txt. The long campaign: scripts/fuzz.sh.
find_program(SB_FUZZ_CLANG_CXX NAMES clang++ clang++-14)
set(SB_FUZZ_SMOKE_RUNS 20000 CACHE STRING "Inputs each harness runs in the fuzz_smoke test (fixed seed)")
add_test(NAME fuzz_smoke
  COMMAND ${CMAKE_COMMAND}
          -DFUZZ_SOURCE_DIR=${CMAKE_CURRENT_LIST_DIR}
          -DFUZZ_BINARY_DIR=${CMAKE_BINARY_DIR}/fuzz
          -DFUZZ_RUNS=${SB_FUZZ_SMOKE_RUNS}
          -DFUZZ_JOBS=2
          -DCLANG_CXX=${SB_FUZZ_CLANG_CXX}
          -P ${CMAKE_CURRENT_LIST_DIR}/run_fuzz.cmake)
set_tests_properties(fuzz_smoke PROPERTIES LABELS fuzz TIMEOUT 600)
if(NOT SB_FUZZ_CLANG_CXX)
  message(STATUS "clang++ not found: the fuzz_smoke test is disabled")
  set_tests_properties(fuzz_smoke PROPERTIES DISABLED TRUE)
endif()
