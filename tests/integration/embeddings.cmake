# POST /v1/embeddings end to end: plugins of ABI 1.2 and 1.3 in one daemon,
# and the openai plugin against the mock vendor. Included from
# tests/integration/CMakeLists.txt.
sb_add_test(integration_embeddings_test embeddings_test.cpp)
target_link_libraries(integration_embeddings_test PRIVATE sb_integration_fixture)
add_dependencies(integration_embeddings_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_embeddings_test PROPERTIES LABELS integration TIMEOUT 300)
