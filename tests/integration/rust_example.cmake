# The Rust example plugin (sdk/examples/rust_openai_compat): its own unit tests
# (rustc --test), and the real daemon serving it against a mock
# OpenAI-compatible vendor, in process and isolated. Skipped, with the reason,
# when no rustc was found. Included from tests/integration/CMakeLists.txt.
if(NOT TARGET sb_rust_example)
  foreach(_name rust_example_unit_test rust_example_test rust_example_replay_test)
    add_test(NAME ${_name} COMMAND sh -c "echo 'no rustc: install it (scripts/install-deps.sh) to build and test the Rust example plugin'; exit 77")
    set_tests_properties(${_name} PROPERTIES SKIP_RETURN_CODE 77 LABELS integration)
  endforeach()
  return()
endif()

get_target_property(_sb_rust_plugin sb_rust_example PLUGIN_FILE)
get_target_property(_sb_rust_root sb_rust_example SOURCE_ROOT)
get_filename_component(_sb_rust_src ${_sb_rust_root} DIRECTORY)
file(GLOB _sb_rust_sources CONFIGURE_DEPENDS ${_sb_rust_src}/*.rs)
set(_sb_rust_unit ${CMAKE_BINARY_DIR}/tests/rust_example_unit_test)
add_custom_command(OUTPUT ${_sb_rust_unit}
  COMMAND ${SB_RUSTC} --edition 2021 --test -D warnings -o ${_sb_rust_unit} ${_sb_rust_root}
  DEPENDS ${_sb_rust_sources}
  COMMENT "Building the Rust example plugin's unit tests"
  VERBATIM)
add_custom_target(sb_rust_example_unit ALL DEPENDS ${_sb_rust_unit})
add_test(NAME rust_example_unit_test COMMAND ${_sb_rust_unit})
set_tests_properties(rust_example_unit_test PROPERTIES TIMEOUT 60)

sb_add_test(rust_example_test ${CMAKE_CURRENT_LIST_DIR}/rust_example_test.cpp)
target_link_libraries(rust_example_test PRIVATE sb_integration_fixture ${CMAKE_DL_LIBS})
target_compile_definitions(rust_example_test PRIVATE SB_RUST_EXAMPLE_PLUGIN="${_sb_rust_plugin}")
add_dependencies(rust_example_test switchboard sb_rust_example)
# The isolated case starts the plugin helper, where the tree has one.
if(TARGET switchboard-plugin-helper)
  add_dependencies(rust_example_test switchboard-plugin-helper)
endif()
set_tests_properties(rust_example_test PROPERTIES LABELS integration TIMEOUT 300)

# OpenAI's own recorded bytes (tests/fixtures/recorded/openai) through the Rust
# plugin, held to the same checks as the in-tree openai plugin: answers and
# chunks passed through unchanged, errors classified, requests sent as recorded.
sb_add_test(rust_example_replay_test ${CMAKE_CURRENT_LIST_DIR}/../plugins/openai_replay_test.cpp)
target_compile_definitions(rust_example_replay_test PRIVATE SB_PLUGIN_PATH="${_sb_rust_plugin}")
target_link_libraries(rust_example_replay_test PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(rust_example_replay_test sb_rust_example)
set_tests_properties(rust_example_replay_test PROPERTIES TIMEOUT 120)
