# switchboard_add_plugin(<target> <sources>...)
# Builds one provider plugin as a shared library that exports only
# switchboard_plugin_entry and carries its own C++ runtime, so it loads into a
# host built with another compiler or libstdc++.
# (The map is located through CMAKE_CURRENT_FUNCTION_LIST_DIR at call time: a
# variable set here would not be visible from sibling directories.)

function(switchboard_add_plugin target)
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE Switchboard::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # --gc-sections drops the parts of the static C++ runtime the plugin never
    # calls: about half the pages the loader touches, so each loaded plugin
    # costs the host ~100 KiB of resident memory less.
    target_compile_options(${target} PRIVATE -ffunction-sections -fdata-sections)
    target_link_options(${target} PRIVATE
      "LINKER:--version-script=${CMAKE_CURRENT_FUNCTION_LIST_DIR}/switchboard_plugin.map"
      "LINKER:--no-undefined" "LINKER:--gc-sections")
    # A C++ plugin links its runtime statically: no dependency on the
    # host's libstdc++ symbols. Not in sanitizer builds (SWITCHBOARD_SANITIZE,
    # the asan preset): a static libstdc++ unloaded with the plugin leaves
    # its exception pool behind, which LeakSanitizer reports at exit.
    if(NOT SWITCHBOARD_SANITIZE)
      target_link_options(${target} PRIVATE
        $<$<LINK_LANGUAGE:CXX>:-static-libstdc++> $<$<LINK_LANGUAGE:CXX>:-static-libgcc>)
    endif()
  endif()
endfunction()
