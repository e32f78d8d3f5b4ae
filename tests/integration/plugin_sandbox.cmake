# The hostile plugin under --plugin-isolation process, through the real
# daemon (tests/integration/plugin_sandbox_test.cpp). Included from
# tests/CMakeLists.txt.
sb_add_test(integration_plugin_sandbox_test ${CMAKE_CURRENT_LIST_DIR}/plugin_sandbox_test.cpp)
target_link_libraries(integration_plugin_sandbox_test PRIVATE sb_integration_fixture)
target_compile_definitions(integration_plugin_sandbox_test PRIVATE
  SB_HOSTILE_PLUGIN="$<TARGET_FILE:sb_tp_hostile>")
add_dependencies(integration_plugin_sandbox_test switchboard switchboard-plugin-helper sb_plugins sb_tp_hostile)
set_tests_properties(integration_plugin_sandbox_test PROPERTIES LABELS integration TIMEOUT 600)
