# Routes through the real daemon: an alias's weighted deployments on two
# loopback mock vendors, cooldown after 429, alias fallbacks, the three
# client dialects, and the routes file's reloads (SIGHUP, file change, a bad
# file). Included from tests/integration/CMakeLists.txt.
sb_add_test(integration_routes_test routes_test.cpp)
target_link_libraries(integration_routes_test PRIVATE sb_integration_fixture)
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_routes_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_routes_test PROPERTIES LABELS integration TIMEOUT 300)
