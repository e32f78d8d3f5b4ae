# Attack classes of issue #15 through the real daemon (encoded api_base
# hosts, the state dir, untrusted plugins and secret files). Included from
# tests/integration/CMakeLists.txt.
sb_add_test(integration_hardening_test hardening_main.cpp hardening_test.cpp)
target_link_libraries(integration_hardening_test PRIVATE sb_integration_fixture)
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_hardening_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_hardening_test PROPERTIES LABELS integration TIMEOUT 600)
