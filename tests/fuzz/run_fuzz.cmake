# Configures and builds the fuzz project (tests/fuzz) with clang, then runs
# every harness for a bounded time over its seed corpus. Fails on the first
# crash, leak, sanitizer report, timeout or broken invariant; the reproducer
# is left in <FUZZ_BINARY_DIR>/artifacts/.
#
#   cmake -DFUZZ_SOURCE_DIR=<tests/fuzz> -DFUZZ_BINARY_DIR=<dir>
#         [-DFUZZ_SECONDS=5] [-DFUZZ_KEEP_CORPUS=ON] [-DFUZZ_ONLY=<harness>]
#         [-DFUZZ_JOBS=2] [-DCLANG_CXX=clang++] -P run_fuzz.cmake
#
# FUZZ_KEEP_CORPUS=ON grows <FUZZ_BINARY_DIR>/corpus/<harness>/ across runs
# (the long campaign); otherwise each run starts from the seeds in a fresh
# scratch corpus.
cmake_minimum_required(VERSION 3.25)
foreach(_v FUZZ_SOURCE_DIR FUZZ_BINARY_DIR)
  if(NOT ${_v})
    message(FATAL_ERROR "${_v} is required")
  endif()
endforeach()
if(NOT FUZZ_SECONDS)
  set(FUZZ_SECONDS 5)
endif()
if(NOT FUZZ_JOBS)
  set(FUZZ_JOBS 2)
endif()
if(NOT CLANG_CXX OR NOT EXISTS "${CLANG_CXX}")
  find_program(CLANG_CXX NAMES clang++ clang++-14)
endif()
if(NOT CLANG_CXX)
  message(FATAL_ERROR "clang++ not found (the harnesses need libFuzzer)")
endif()
find_program(_ninja NAMES ninja)
set(_generator)
if(_ninja)
  set(_generator -G Ninja)
endif()

if(NOT EXISTS ${FUZZ_BINARY_DIR}/CMakeCache.txt)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${FUZZ_SOURCE_DIR} -B ${FUZZ_BINARY_DIR} ${_generator}
            -DCMAKE_CXX_COMPILER=${CLANG_CXX} -DCMAKE_BUILD_TYPE=RelWithDebInfo
    RESULT_VARIABLE _rc)
  if(_rc)
    message(FATAL_ERROR "configuring the fuzz project failed")
  endif()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${FUZZ_BINARY_DIR} -j ${FUZZ_JOBS} RESULT_VARIABLE _rc)
if(_rc)
  message(FATAL_ERROR "building the fuzz harnesses failed")
endif()

file(STRINGS ${FUZZ_BINARY_DIR}/harnesses.txt _harnesses)
set(_artifacts ${FUZZ_BINARY_DIR}/artifacts)
file(MAKE_DIRECTORY ${_artifacts})
set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=0:allocator_may_return_null=1:$ENV{ASAN_OPTIONS}")
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1:$ENV{UBSAN_OPTIONS}")
set(_failed "")
foreach(_line IN LISTS _harnesses)
  separate_arguments(_parts UNIX_COMMAND "${_line}")
  list(GET _parts 0 _name)
  list(GET _parts 1 _seeds)
  if(FUZZ_ONLY AND NOT _name STREQUAL FUZZ_ONLY)
    continue()
  endif()
  if(FUZZ_KEEP_CORPUS)
    set(_corpus ${FUZZ_BINARY_DIR}/corpus/${_name})
  else()
    set(_corpus ${FUZZ_BINARY_DIR}/scratch/${_name})
    file(REMOVE_RECURSE ${_corpus})
  endif()
  file(MAKE_DIRECTORY ${_corpus})
  # A harness's own dictionary (<harness>.dict), else the JSON one for the
  # JSON parsers.
  set(_dict)
  if(EXISTS ${FUZZ_SOURCE_DIR}/${_name}.dict)
    set(_dict -dict=${FUZZ_SOURCE_DIR}/${_name}.dict)
  elseif(EXISTS ${FUZZ_SOURCE_DIR}/json.dict AND NOT _name MATCHES "^fuzz_(event_deframer|api_base)$")
    set(_dict -dict=${FUZZ_SOURCE_DIR}/json.dict)
  endif()
  # FUZZ_RUNS (the test suite) makes a run deterministic: a fixed seed and a
  # fixed number of inputs, so the same build always sees the same inputs.
  if(FUZZ_RUNS)
    set(_budget -seed=1 -runs=${FUZZ_RUNS} -max_total_time=120)
    message(STATUS "fuzzing ${_name} for ${FUZZ_RUNS} inputs")
  else()
    set(_budget -max_total_time=${FUZZ_SECONDS})
    message(STATUS "fuzzing ${_name} for ${FUZZ_SECONDS}s")
  endif()
  execute_process(
    COMMAND ${FUZZ_BINARY_DIR}/${_name} ${_budget} -rss_limit_mb=2048
            -timeout=10 -max_len=65536 -print_final_stats=1 ${_dict}
            -artifact_prefix=${_artifacts}/${_name}- ${_corpus} ${_seeds}
    RESULT_VARIABLE _rc
    OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(_rc)
    message("${_out}")
    message(SEND_ERROR "${_name} FAILED (exit ${_rc}); reproducer in ${_artifacts}/")
    list(APPEND _failed ${_name})
  else()
    string(REGEX MATCH "stat::number_of_executed_units: [0-9]+" _runs "${_out}")
    string(REGEX MATCH "DONE +cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*" _cov "${_out}")
    message(STATUS "${_name} ok: ${_runs}; ${_cov}")
  endif()
endforeach()
if(_failed)
  message(FATAL_ERROR "fuzzing failed: ${_failed}")
endif()
