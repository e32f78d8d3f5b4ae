# check_layers.cmake: fails when a source file includes a project header from a layer it
# may not use. The layers and their rules are drawn in docs/architecture.md; this script is
# the enforcement, and the two must say the same thing.
#
#   cmake -DSOURCE_DIR=<tree> -P cmake/check_layers.cmake
#   cmake -DSOURCE_DIR=<tree> -DEXPECT_VIOLATIONS="core/net/a.cpp:3;..." -P ...
#
# Reads every .c/.h/.cpp/.hpp under sdk/, core/, host/ and plugins/ of SOURCE_DIR (build
# and hidden folders skipped). Without EXPECT_VIOLATIONS it fails on any violation, naming
# file, line, the header and the rule. With it, it passes only when the violations found
# are exactly the listed file:line pairs: the self-test proves the check catches a wrong
# include and flags nothing else.

cmake_minimum_required(VERSION 3.25)

if(NOT SOURCE_DIR OR NOT IS_DIRECTORY "${SOURCE_DIR}")
  message(FATAL_ERROR "check_layers: pass -DSOURCE_DIR=<source tree> (got '${SOURCE_DIR}')")
endif()
file(REAL_PATH "${SOURCE_DIR}" SOURCE_DIR)

# --- The rules -----------------------------------------------------------------------------
# A layer id per folder. Core layers are listed so that a new core/ folder must be given a
# rule here before it can hold code (an unknown folder is reported, not silently allowed).
set(CORE_LAYERS core core/net core/upstream core/plugin core/config core/keys core/store core/gateway)

# _allowed_<layer>: the layers a file of <layer> may include from. A plugin may also
# include its own folder ("plugin:<id>", added in _allowed_for).
set(_allowed_sdk           sdk)
set(_allowed_kit           sdk kit)
set(_allowed_plugin        sdk kit)
set(_allowed_core          core)
set(_allowed_core/net      core core/net)
set(_allowed_core/upstream core core/net core/upstream)
set(_allowed_core/plugin   core core/upstream core/plugin sdk)
set(_allowed_core/config   core core/plugin core/upstream core/config)
set(_allowed_core/keys     core core/config core/keys)
set(_allowed_core/gateway  ${CORE_LAYERS})
set(_allowed_host          ${CORE_LAYERS} host sdk)
set(_allowed_core/store    core core/config core/keys core/store)

# One line per layer, printed with a violation.
set(_rule_sdk           "sdk/ (the C ABI and its C++ helper) includes only sdk headers and system headers")
set(_rule_kit           "the plugin kit (plugins/common) includes only sdk headers and the kit")
set(_rule_plugin        "a plugin includes only sdk headers, the kit (<switchboard/kit/...>) and its own folder: never core/, host/ or another plugin")
set(_rule_core          "core/ root files (errors, log, metrics, hex, ...) include only core/ root files")
set(_rule_core/net      "core/net (transport) includes only core/ root and core/net: no domain header")
set(_rule_core/upstream "core/upstream includes only core/ root, core/net and core/upstream")
set(_rule_core/plugin   "core/plugin includes only core/ root, core/upstream, core/plugin and sdk headers")
set(_rule_core/config   "core/config includes only core/ root, core/plugin, core/upstream and core/config")
set(_rule_core/keys     "core/keys includes only core/ root, core/config (the state dir's files) and core/keys")
set(_rule_core/gateway  "core/gateway includes only core/ folders: never host/, plugins/ or the ABI directly")
set(_rule_host          "host/ includes only core/, host/ and sdk headers: never plugins/")
set(_rule_core/store    "core/store (the Redis store) includes only core/ root, core/config, core/keys and core/store")

# Layer of a tree-relative path, or "" when the path is outside the checked folders.
function(_layer_of rel out)
  set(layer "")
  if(rel MATCHES "^sdk/")
    set(layer sdk)
  elseif(rel MATCHES "^plugins/common/")
    set(layer kit)
  elseif(rel MATCHES "^plugins/([^/]+)/")
    set(layer "plugin:${CMAKE_MATCH_1}")
  elseif(rel MATCHES "^plugins/[^/]+$")
    set(layer "plugins")
  elseif(rel MATCHES "^core/[^/]+$")
    set(layer core)
  elseif(rel MATCHES "^core/([^/]+)/")
    set(layer "core/${CMAKE_MATCH_1}")
  elseif(rel MATCHES "^host/")
    set(layer host)
  endif()
  set(${out} "${layer}" PARENT_SCOPE)
endfunction()

# The rule key of a layer: plugins share one rule.
function(_rule_key layer out)
  if(layer MATCHES "^plugin:")
    set(${out} plugin PARENT_SCOPE)
  else()
    set(${out} "${layer}" PARENT_SCOPE)
  endif()
endfunction()

# Layer of the header an include names, or "" for a header outside the project (system,
# Boost, nlohmann, ...). A quoted name is tried next to the including file first, as the
# compiler does; <switchboard/kit/...> is the kit and any other <switchboard/...> the sdk.
function(_target_layer includer_dir delim name out)
  set(layer "")
  if(delim STREQUAL "\"" AND EXISTS "${SOURCE_DIR}/${includer_dir}/${name}")
    cmake_path(SET p NORMALIZE "${includer_dir}/${name}")
    _layer_of("${p}" layer)
    if(layer STREQUAL "")
      set(layer "outside")   # a file of the tree beyond the four layers, e.g. tests/
    endif()
  elseif(name MATCHES "^switchboard/kit/")
    set(layer kit)
  elseif(name MATCHES "^switchboard/")
    set(layer sdk)
  elseif(name MATCHES "^(sdk|core|host|plugins)/")
    cmake_path(SET p NORMALIZE "${name}")
    _layer_of("${p}" layer)
  endif()
  set(${out} "${layer}" PARENT_SCOPE)
endfunction()

# --- The scan ------------------------------------------------------------------------------
set(_files "")
foreach(root sdk core host plugins)
  file(GLOB_RECURSE found LIST_DIRECTORIES false RELATIVE "${SOURCE_DIR}"
       "${SOURCE_DIR}/${root}/*.c" "${SOURCE_DIR}/${root}/*.h"
       "${SOURCE_DIR}/${root}/*.cpp" "${SOURCE_DIR}/${root}/*.hpp")
  list(APPEND _files ${found})
endforeach()
list(FILTER _files EXCLUDE REGEX "(^|/)(build[^/]*|cmake-build[^/]*|_build[^/]*|\\.[^/]+)/")
list(SORT _files)
list(LENGTH _files _file_count)
if(_file_count EQUAL 0)
  message(FATAL_ERROR "check_layers: no source file under ${SOURCE_DIR}/{sdk,core,host,plugins}")
endif()

set(_violations "")   # file:line pairs
set(_reports "")      # one message per violation
set(_include_count 0)
foreach(rel IN LISTS _files)
  _layer_of("${rel}" from)
  _rule_key("${from}" key)
  get_filename_component(dir "${rel}" DIRECTORY)

  file(READ "${SOURCE_DIR}/${rel}" text)
  if(NOT text MATCHES "#[ \t]*include")
    continue()
  endif()
  # Split into lines without CMake's list syntax getting in the way: neutralise the
  # characters a list treats specially, keep empty lines so the numbering holds.
  string(REPLACE "\\" "/" text "${text}")
  string(REPLACE "[" "(" text "${text}")
  string(REPLACE "]" ")" text "${text}")
  string(REPLACE ";" "," text "${text}")
  string(REPLACE "\n" ";" lines "${text}")

  set(n 0)
  foreach(line IN LISTS lines)
    math(EXPR n "${n} + 1")
    if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*([<\"])([^>\"]+)[>\"]")
      continue()
    endif()
    set(delim "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
    math(EXPR _include_count "${_include_count} + 1")
    _target_layer("${dir}" "${delim}" "${name}" to)
    if(to STREQUAL "")
      continue()   # not a project header
    endif()

    set(why "")
    if(NOT DEFINED _allowed_${key})
      set(why "${rel} is in '${from}', a folder with no layering rule: add one to cmake/check_layers.cmake and docs/architecture.md")
    elseif(to STREQUAL "outside")
      set(why "the header lies outside sdk/, core/, host/ and plugins/")
    elseif(to MATCHES "^core(/|$)" AND NOT to IN_LIST CORE_LAYERS)
      set(why "'${to}' is a core/ folder with no layering rule: add one to cmake/check_layers.cmake and docs/architecture.md")
    else()
      set(allowed ${_allowed_${key}})
      if(key STREQUAL "plugin")
        list(APPEND allowed "${from}")
      endif()
      if(NOT to IN_LIST allowed)
        set(why "${_rule_${key}}")
      endif()
    endif()

    if(NOT why STREQUAL "")
      list(APPEND _violations "${rel}:${n}")
      string(STRIP "${line}" shown)
      list(APPEND _reports "${rel}:${n}: ${shown}  [${from} -> ${to}]\n    rule: ${why}")
    endif()
  endforeach()
endforeach()

list(LENGTH _violations _violation_count)
foreach(r IN LISTS _reports)
  message("${r}")
endforeach()

if(DEFINED EXPECT_VIOLATIONS)
  set(expected ${EXPECT_VIOLATIONS})
  list(SORT expected)
  set(found ${_violations})
  list(SORT found)
  if(NOT found STREQUAL expected)
    message(FATAL_ERROR "check_layers: expected exactly the violations [${expected}], found [${found}]")
  endif()
  message("check_layers: ${_violation_count} expected violation(s) found, nothing else flagged "
          "(${_file_count} files, ${_include_count} includes)")
  return()
endif()

if(_violation_count GREATER 0)
  message(FATAL_ERROR "check_layers: ${_violation_count} include(s) cross a layer boundary "
                      "(rules: docs/architecture.md)")
endif()
message("check_layers: ${_file_count} files, ${_include_count} includes, no layer crossed")
