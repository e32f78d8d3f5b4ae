# Interoperability with HTTP servers no one here wrote (interop_test.cpp):
# the real daemon against vendor stand-ins on Python's http.server (HTTP/1.0
# and HTTP/1.1 close-delimited bodies), Node's http (chunked) and Debian's
# nginx as an unbuffered reverse proxy (tests/interop/). Needs python3, node
# and nginx, which scripts/install-deps.sh installs; the test fails, never
# skips, when one is missing. Included from tests/integration/CMakeLists.txt.
find_program(SB_NODE_EXECUTABLE node REQUIRED)
get_filename_component(_sb_interop_dir ${CMAKE_CURRENT_SOURCE_DIR}/../interop ABSOLUTE)

sb_add_test(integration_interop_test interop_main.cpp interop_test.cpp)
target_link_libraries(integration_interop_test PRIVATE sb_integration_fixture)
target_compile_definitions(integration_interop_test PRIVATE
  SB_NODE_EXECUTABLE="${SB_NODE_EXECUTABLE}"
  SB_INTEROP_DIR="${_sb_interop_dir}")
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_interop_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_interop_test PROPERTIES LABELS integration TIMEOUT 900)
