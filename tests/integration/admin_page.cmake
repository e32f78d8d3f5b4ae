# The admin page (host/ui/) in a real browser (admin_page_test.cpp): the
# daemon against the mock vendor, Debian's chromium driven over the DevTools
# protocol by tests/browser/admin_page_driver.mjs (no npm package needed).
# scripts/install-deps.sh installs chromium; the browser case skips, saying
# so, only when no chromium binary exists. Screenshots go to
# <build>/test-artifacts/admin-page/. Included from
# tests/integration/CMakeLists.txt.
find_program(SB_NODE_EXECUTABLE node REQUIRED)
find_program(SB_CHROMIUM_EXECUTABLE NAMES chromium chromium-browser)
if(NOT SB_CHROMIUM_EXECUTABLE)
  set(SB_CHROMIUM_EXECUTABLE "")
endif()
get_filename_component(_sb_browser_dir ${CMAKE_CURRENT_SOURCE_DIR}/../browser ABSOLUTE)

sb_add_test(integration_admin_page_test admin_page_main.cpp admin_page_test.cpp)
target_link_libraries(integration_admin_page_test PRIVATE sb_integration_fixture)
target_compile_definitions(integration_admin_page_test PRIVATE
  SB_NODE_EXECUTABLE="${SB_NODE_EXECUTABLE}"
  SB_CHROMIUM_EXECUTABLE="${SB_CHROMIUM_EXECUTABLE}"
  SB_BROWSER_DIR="${_sb_browser_dir}"
  SB_ADMIN_PAGE_ARTIFACTS="${CMAKE_BINARY_DIR}/test-artifacts/admin-page")
# The daemon and every plugin the tests copy must be built first.
add_dependencies(integration_admin_page_test switchboard sb_plugins sb_test_plugins)
set_tests_properties(integration_admin_page_test PROPERTIES LABELS integration TIMEOUT 300)
