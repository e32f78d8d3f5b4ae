# End-to-end tests with the official `openai` npm client: for every provider,
# the C++ driver starts the provider's vendor-dialect mock and the real
# daemon, then runs tests/openai-client/run.mjs (node) against the daemon's
# /v1 and asserts on the JSON line it prints. Needs Node 20 and the packages
# from tests/openai-client/package-lock.json:
#   npm ci --prefix tests/openai-client --no-audit --no-fund
# (scripts/test.sh does it); the test fails, naming that command, when they
# are missing. Included from tests/integration/CMakeLists.txt.
find_program(SB_NODE_EXECUTABLE node REQUIRED)
get_filename_component(_sb_openai_client_dir ${CMAKE_CURRENT_SOURCE_DIR}/../openai-client ABSOLUTE)

sb_add_test(integration_openai_client_test openai_client_main.cpp openai_client_test.cpp
  openai_client_embeddings_test.cpp)
target_link_libraries(integration_openai_client_test PRIVATE sb_integration_fixture)
target_compile_definitions(integration_openai_client_test PRIVATE
  SB_NODE_EXECUTABLE="${SB_NODE_EXECUTABLE}"
  SB_OPENAI_CLIENT_DIR="${_sb_openai_client_dir}")
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_openai_client_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_openai_client_test PROPERTIES LABELS integration TIMEOUT 600)
