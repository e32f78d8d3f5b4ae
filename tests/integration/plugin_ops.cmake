# Plugin operations through the real daemon (hot reload, broken
# replacements, in-flight streams across a reload, ABI compatibility,
# `switchboard plugin check`). Included from tests/integration/CMakeLists.txt.
sb_add_test(integration_plugin_ops_test plugin_ops_main.cpp plugin_ops_test.cpp)
target_link_libraries(integration_plugin_ops_test PRIVATE sb_integration_fixture)
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_plugin_ops_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_plugin_ops_test PROPERTIES LABELS integration TIMEOUT 600)
