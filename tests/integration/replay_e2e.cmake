# Recorded vendor traffic through the real daemon, compared with each
# plugin's own translation of the same bytes (tests/fixtures/recorded).
# Included from tests/integration/CMakeLists.txt.
sb_add_test(integration_replay_e2e_test replay_e2e_test.cpp)
target_link_libraries(integration_replay_e2e_test PRIVATE sb_integration_fixture ${CMAKE_DL_LIBS})
add_dependencies(integration_replay_e2e_test switchboard sb_plugins)
set_tests_properties(integration_replay_e2e_test PROPERTIES LABELS integration TIMEOUT 600)
