# Plugins in helper processes (--plugin-isolation process) through the real
# daemon: isolation_test.cpp proves containment; the data-plane, vendor,
# native pass-through, embeddings and lifecycle suites, and the official
# OpenAI and Anthropic client suites, run again with every plugin isolated, to
# show each in-tree plugin's happy path works there unchanged. Included from
# tests/integration/CMakeLists.txt.
sb_add_test(integration_isolation_test isolation_main.cpp isolation_test.cpp)
target_link_libraries(integration_isolation_test PRIVATE sb_integration_fixture)
add_dependencies(integration_isolation_test switchboard switchboard-plugin-helper sb_plugins sb_test_plugins)
set_tests_properties(integration_isolation_test PROPERTIES LABELS integration TIMEOUT 600)

foreach(_sb_suite IN ITEMS integration_data_plane_test integration_vendor_e2e_test
                          integration_native_passthrough_test integration_embeddings_test
                          integration_lifecycle_test integration_openai_client_test
                          integration_anthropic_client_test integration_responses_client_test)
  add_test(NAME ${_sb_suite}_isolated
    COMMAND ${_sb_suite} --log_level=test_suite --report_level=short)
  set_tests_properties(${_sb_suite}_isolated PROPERTIES
    LABELS integration TIMEOUT 900
    ENVIRONMENT "SB_TEST_DAEMON_ARGS=--plugin-isolation process")
endforeach()
