# The Debian package (`cpack -G DEB` in the build tree): one per Wireshark series, since
# a plugin only loads into the series it was built against. dpkg-shlibdeps names that
# series' library (libwireshark16 for 4.0, ...), so apt refuses the package elsewhere.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tcp-teardown)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Wireshark plugin explaining TCP resets at the end of connections")
set(TEARDOWN_PACKAGE_MAINTAINER "tcp-teardown local build" CACHE STRING
    "Maintainer field of the .deb (whoever builds the package)")
set(CPACK_PACKAGE_CONTACT "${TEARDOWN_PACKAGE_MAINTAINER}")
# Several packages of one release differ in their series; the version, and with it the
# file name, says which one this is.
set(CPACK_DEBIAN_PACKAGE_VERSION "${PROJECT_VERSION}+ws${TEARDOWN_WS_SERIES}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Under the summary line CPack writes.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"A postdissector for Wireshark ${TEARDOWN_WS_SERIES} and its tshark. It flags the spurious ACK
of Microsoft KB Q152474 (an ACK sent again after the peer's FIN was acknowledged), links
the RST it provokes, and gives every reset of a conversation its cause.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The plugin does nothing without a program that loads it, either of the two will do.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "tshark | wireshark")
set(CPACK_DEBIAN_PACKAGE_ENHANCES "tshark, wireshark")
set(CPACK_PACKAGING_INSTALL_PREFIX "${Wireshark_INSTALL_PREFIX}")
set(CPACK_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
