# Logs and metrics through the real daemon (outcomes, 499, overhead, key ids,
# bounded labels and log fields) and the vendor model-list cache. Included
# from tests/integration/CMakeLists.txt.
sb_add_test(integration_observability_test observability_main.cpp observability_test.cpp)
target_link_libraries(integration_observability_test PRIVATE sb_integration_fixture)
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_observability_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_observability_test PROPERTIES LABELS integration TIMEOUT 600)
