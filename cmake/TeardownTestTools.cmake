# What the test tree needs beyond the plugin's build (CMocka, Python), found once for all
# of tests/. Only a BUILD_TESTING build includes it: the plugin-only build needs none.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
