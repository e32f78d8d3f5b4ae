# Runs inside cpack (CPACK_PRE_BUILD_SCRIPTS) once the install tree is staged:
# adds the files that live outside the install prefix. file(COPY), not
# file(INSTALL): the latter would prepend the DESTDIR cpack sets a second time.
# The environment file is 0640 (it will hold API keys); postinst gives it to
# group switchboard.
foreach(_var CPACK_TEMPORARY_INSTALL_DIRECTORY CPACK_SWITCHBOARD_UNIT CPACK_SWITCHBOARD_ENV_FILE)
  if(NOT ${_var})
    message(FATAL_ERROR "add_service_files.cmake: ${_var} is not set (run through cpack)")
  endif()
endforeach()
set(_root ${CPACK_TEMPORARY_INSTALL_DIRECTORY})
file(COPY ${CPACK_SWITCHBOARD_UNIT} DESTINATION ${_root}/lib/systemd/system
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(COPY ${CPACK_SWITCHBOARD_ENV_FILE} DESTINATION ${_root}/etc/switchboard
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
