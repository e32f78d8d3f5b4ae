# The SDK's out-of-tree example (sdk/examples/ollama) as proof of the stable
# ABI across compilers: the test installs this build tree to a temporary
# prefix, builds the example with clang against that prefix only (the host is
# built with the default compiler, gcc on Debian), loads it into the real
# daemon and drives it end to end against a mock Ollama server on loopback.
# Included from tests/integration/CMakeLists.txt.
sb_add_test(sdk_example_test ${CMAKE_CURRENT_LIST_DIR}/sdk_example_test.cpp)
target_link_libraries(sdk_example_test PRIVATE sb_integration_fixture)
find_program(SB_EXAMPLE_C_COMPILER NAMES clang)
find_program(SB_EXAMPLE_CXX_COMPILER NAMES clang++)
find_program(SB_NM NAMES nm)
find_program(SB_READELF NAMES readelf)
target_compile_definitions(sdk_example_test PRIVATE
  SB_BUILD_DIR="${CMAKE_BINARY_DIR}"
  SB_EXAMPLE_SOURCE_DIR="${PROJECT_SOURCE_DIR}/sdk/examples/ollama"
  SB_CMAKE_COMMAND="${CMAKE_COMMAND}"
  SB_CMAKE_GENERATOR="${CMAKE_GENERATOR}"
  SB_CMAKE_MAKE_PROGRAM="${CMAKE_MAKE_PROGRAM}"
  SB_EXAMPLE_C_COMPILER="${SB_EXAMPLE_C_COMPILER}"
  SB_EXAMPLE_CXX_COMPILER="${SB_EXAMPLE_CXX_COMPILER}"
  SB_NM="${SB_NM}"
  SB_READELF="${SB_READELF}")
# cmake --install copies the daemon and every in-tree plugin: build them first.
add_dependencies(sdk_example_test switchboard sb_plugins)
set_tests_properties(sdk_example_test PROPERTIES LABELS integration TIMEOUT 400)
