# End-to-end tests of the vendor provider plugins through the real daemon,
# each against a loopback mock speaking that vendor's dialect
# (tests/support/mock_vendor_upstreams.*). Included from
# tests/integration/CMakeLists.txt.
sb_add_test(integration_vendor_e2e_test vendor_e2e_main.cpp vendor_e2e_test.cpp)
target_link_libraries(integration_vendor_e2e_test PRIVATE sb_integration_fixture)
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_vendor_e2e_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_vendor_e2e_test PROPERTIES LABELS integration TIMEOUT 600)
