# Virtual keys through the real daemon: create, use, rate limits with
# Retry-After, budgets, revocation, persistence, and no key in logs or
# answers. Included from tests/integration/CMakeLists.txt.
sb_add_test(integration_keys_test keys_main.cpp keys_test.cpp)
target_link_libraries(integration_keys_test PRIVATE sb_integration_fixture)
add_dependencies(integration_keys_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_keys_test PROPERTIES LABELS integration TIMEOUT 600)
