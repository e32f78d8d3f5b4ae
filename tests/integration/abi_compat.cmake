# Plugins built against the frozen ABI 1.0 and 1.1 headers and the current
# one (tests/abi/), served side by side by the real daemon. Included from
# tests/integration/CMakeLists.txt.
sb_add_test(integration_abi_compat_test abi_compat_test.cpp)
target_link_libraries(integration_abi_compat_test PRIVATE sb_integration_fixture)
add_dependencies(integration_abi_compat_test switchboard sb_test_plugins)
set_tests_properties(integration_abi_compat_test PROPERTIES LABELS integration TIMEOUT 300)
