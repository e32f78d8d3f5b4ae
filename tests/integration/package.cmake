# The Debian package (issue #21): cpack -G DEB in this build tree, unpacked
# into a scratch root with dpkg-deb (the machine is never changed), checked
# file by file, its maintainer scripts run against stub commands, the daemon
# started from it as the systemd unit starts it and driven against a mock
# vendor, and find_package(SwitchboardSDK) from it. cpack builds what is not
# yet built (its preinstall step), hence the long timeout.
# Included from tests/integration/CMakeLists.txt.
sb_add_test(integration_package_test ${CMAKE_CURRENT_LIST_DIR}/package_test.cpp)
target_link_libraries(integration_package_test PRIVATE sb_integration_fixture)
find_program(SB_DPKG_DEB NAMES dpkg-deb)
find_program(SB_SYSTEMD_ANALYZE NAMES systemd-analyze)
find_program(SB_PACKAGE_READELF NAMES readelf)
target_compile_definitions(integration_package_test PRIVATE
  SB_BUILD_DIR="${CMAKE_BINARY_DIR}"
  SB_CPACK_COMMAND="${CMAKE_CPACK_COMMAND}"
  SB_CMAKE_COMMAND="${CMAKE_COMMAND}"
  SB_CMAKE_GENERATOR="${CMAKE_GENERATOR}"
  SB_CMAKE_MAKE_PROGRAM="${CMAKE_MAKE_PROGRAM}"
  SB_DPKG_DEB="${SB_DPKG_DEB}"
  SB_SYSTEMD_ANALYZE="${SB_SYSTEMD_ANALYZE}"
  SB_READELF="${SB_PACKAGE_READELF}")
# The package holds the daemon and every in-tree plugin.
add_dependencies(integration_package_test switchboard sb_plugins)
set_tests_properties(integration_package_test PROPERTIES LABELS "integration;package" TIMEOUT 900)
