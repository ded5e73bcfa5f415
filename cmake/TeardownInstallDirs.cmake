# Where `cmake --install` and the .deb put the plugin: Wireshark's global plugin folder of
# the series the plugin is built against, read from Wireshark's CMake configuration.
#
# The folder is kept relative to the install prefix, and the prefix defaults to
# Wireshark's own: `cmake --install` then lands in the global folder, and CPack can stage
# the same relative path under its own root instead of writing into the live system.
file(RELATIVE_PATH _teardown_plugin_libdir
     "${Wireshark_INSTALL_PREFIX}" "${Wireshark_PLUGIN_INSTALL_DIR}")
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX "${Wireshark_INSTALL_PREFIX}" CACHE PATH
      "Install prefix (Wireshark's, so that its plugin folder is found)" FORCE)
endif()
set(TEARDOWN_INSTALL_DIR "${_teardown_plugin_libdir}" CACHE STRING
    "Wireshark plugin folder to install into, relative to the install prefix")
if(IS_ABSOLUTE "${TEARDOWN_INSTALL_DIR}")
  message(STATUS "Installing into ${TEARDOWN_INSTALL_DIR}: cpack refuses an absolute folder")
endif()
unset(_teardown_plugin_libdir)
