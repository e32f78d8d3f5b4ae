# Model lifecycle (sb.model_lifecycle/1) through the real daemon.
# Included from tests/integration/CMakeLists.txt.
sb_add_test(integration_lifecycle_test lifecycle_test.cpp)
target_link_libraries(integration_lifecycle_test PRIVATE sb_integration_fixture)
add_dependencies(integration_lifecycle_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_lifecycle_test PROPERTIES LABELS integration TIMEOUT 600)
