# The admin console (admin_page.cpp): host/ui/ turned into a C++ source at
# build time, so the daemon serves the page with no file on disk. Included
# from host/CMakeLists.txt once the switchboard target exists.
set(_sb_ui_dir ${CMAKE_CURRENT_SOURCE_DIR}/ui)
set(_sb_ui_files index.html app.js app.css)
set(_sb_ui_inputs)
foreach(file IN LISTS _sb_ui_files)
  list(APPEND _sb_ui_inputs ${_sb_ui_dir}/${file})
endforeach()
set(_sb_ui_generated ${CMAKE_CURRENT_BINARY_DIR}/admin_page_assets.cpp)
add_custom_command(
  OUTPUT ${_sb_ui_generated}
  COMMAND ${CMAKE_COMMAND} -DUI_DIR=${_sb_ui_dir} -DOUTPUT=${_sb_ui_generated}
          -P ${_sb_ui_dir}/embed_assets.cmake
  DEPENDS ${_sb_ui_inputs} ${_sb_ui_dir}/embed_assets.cmake
  COMMENT "Embedding the admin page"
  VERBATIM)
target_sources(switchboard PRIVATE admin_page.cpp ${_sb_ui_generated})
