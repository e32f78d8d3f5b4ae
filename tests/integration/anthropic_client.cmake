# End-to-end tests of POST /v1/messages with the official @anthropic-ai/sdk
# and the Vercel AI SDK (@ai-sdk/anthropic): the C++ driver starts a
# provider's vendor-dialect mock and the real daemon, then runs
# tests/anthropic-client/run.mjs (node) against it and asserts on the JSON line
# it prints. Needs Node 20 and the packages from
# tests/anthropic-client/package-lock.json:
#   npm ci --prefix tests/anthropic-client --no-audit --no-fund
# the test fails, naming that command, when they are missing. Included from
# tests/integration/CMakeLists.txt.
find_program(SB_NODE_EXECUTABLE node REQUIRED)
get_filename_component(_sb_anthropic_client_dir ${CMAKE_CURRENT_SOURCE_DIR}/../anthropic-client ABSOLUTE)
get_filename_component(_sb_anthropic_client_fixtures ${CMAKE_CURRENT_SOURCE_DIR}/../fixtures/anthropic-client ABSOLUTE)

sb_add_test(integration_anthropic_client_test anthropic_client_main.cpp anthropic_client_test.cpp)
target_link_libraries(integration_anthropic_client_test PRIVATE sb_integration_fixture)
target_compile_definitions(integration_anthropic_client_test PRIVATE
  SB_NODE_EXECUTABLE="${SB_NODE_EXECUTABLE}"
  SB_ANTHROPIC_CLIENT_DIR="${_sb_anthropic_client_dir}"
  SB_ANTHROPIC_CLIENT_FIXTURES="${_sb_anthropic_client_fixtures}")
add_dependencies(integration_anthropic_client_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_anthropic_client_test PROPERTIES LABELS integration TIMEOUT 600)
