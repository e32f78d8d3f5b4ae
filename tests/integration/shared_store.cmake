# Several daemons sharing state through a real redis-server (Debian's, from
# scripts/install-deps.sh), started on loopback by the test. Included from
# tests/integration/CMakeLists.txt.
sb_add_test(integration_shared_store_test shared_store_test.cpp redis_key_store_test.cpp)
target_link_libraries(integration_shared_store_test PRIVATE sb_integration_fixture)
add_dependencies(integration_shared_store_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_shared_store_test PROPERTIES LABELS "integration;redis" TIMEOUT 600)
