# Security end-to-end tests through the real daemon: the admin token and the
# loopback rule, client keys, the api_base policy, a corrupt state file, a
# plugin fed garbage, and a graceful stop with a request in flight.
# Included from tests/integration/CMakeLists.txt.
sb_add_test(integration_security_test security_main.cpp security_test.cpp admission_test.cpp)
target_link_libraries(integration_security_test PRIVATE sb_integration_fixture)
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_security_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_security_test PROPERTIES LABELS integration TIMEOUT 600)
