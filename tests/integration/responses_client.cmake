# End-to-end tests of POST /v1/responses with real clients: the official
# `openai` npm client and the Vercel AI SDK, run by
# tests/responses-client/run.mjs against the real daemon and the openai and
# anthropic mock vendors. Needs Node 20 and the packages from
# tests/responses-client/package-lock.json:
#   npm ci --prefix tests/responses-client --no-audit --no-fund
# the test fails, naming that command, when they are missing. Included from
# tests/integration/CMakeLists.txt.
find_program(SB_NODE_EXECUTABLE node REQUIRED)
get_filename_component(_sb_responses_client_dir ${CMAKE_CURRENT_SOURCE_DIR}/../responses-client ABSOLUTE)

sb_add_test(integration_responses_client_test responses_client_main.cpp responses_client_test.cpp
  responses_native_test.cpp)
target_link_libraries(integration_responses_client_test PRIVATE sb_integration_fixture ${CMAKE_DL_LIBS})

target_compile_definitions(integration_responses_client_test PRIVATE
  SB_NODE_EXECUTABLE="${SB_NODE_EXECUTABLE}"
  SB_RESPONSES_CLIENT_DIR="${_sb_responses_client_dir}")
add_dependencies(integration_responses_client_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_responses_client_test PROPERTIES LABELS integration TIMEOUT 600)
