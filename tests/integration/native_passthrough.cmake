# Native pass-through (sb.native/1) through the real daemon: the vendors'
# recorded bytes relayed unchanged. Included from tests/integration/CMakeLists.txt.
sb_add_test(integration_native_passthrough_test native_passthrough_test.cpp)
target_link_libraries(integration_native_passthrough_test PRIVATE sb_integration_fixture ${CMAKE_DL_LIBS})
add_dependencies(integration_native_passthrough_test switchboard sb_plugins)
set_tests_properties(integration_native_passthrough_test PROPERTIES LABELS integration TIMEOUT 300)
