# Upstream failures through the real daemon: retries and Retry-After, the
# fallback chain, first-byte/idle timeouts, truncated streams, client
# disconnects, and /metrics, /readyz, request ids. Included from
# tests/integration/CMakeLists.txt.
sb_add_test(integration_failure_test failure_main.cpp failure_test.cpp)
target_link_libraries(integration_failure_test PRIVATE sb_integration_fixture)
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_failure_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_failure_test PROPERTIES LABELS integration TIMEOUT 600)
