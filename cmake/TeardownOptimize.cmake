# How the plugin and the core it links are compiled. The plugin's work on a frame crosses
# files (the segment reader, the stream cache, the detector, the frame store), each call
# a few instructions of a path that runs on every frame: link-time optimisation inlines
# them into one another. Measured with callgrind on the first 50,000 frames of the
# benchmark (summary lines, tshark 4.0.17): 1,020 instructions a frame in the plugin with
# -O2 and calls through the procedure linkage table, 844 with hidden symbols, LTO and -O3.
# Where the compiler cannot optimise at link time, the build goes on without it.

option(TEARDOWN_LTO "Optimise the plugin and its core across files at link time" ON)

if(TEARDOWN_LTO AND NOT DEFINED TEARDOWN_LTO_SUPPORTED)
  include(CheckIPOSupported)
  check_ipo_supported(RESULT lto_supported OUTPUT lto_output LANGUAGES C)
  if(NOT lto_supported)
    message(STATUS "Link-time optimisation is not available, the plugin is built without: "
                   "${lto_output}")
  endif()
  set(TEARDOWN_LTO_SUPPORTED ${lto_supported} CACHE INTERNAL "")
endif()

# teardown_optimize(TARGET): the plugin's compile options for TARGET. Only the plugin's
# entry points are exported (Wireshark's WS_DLL_PUBLIC_DEF marks them), so nothing else is
# called through the linkage table. -O3 only where the build type asks for speed with
# debug information, the default here, and by GCC or Clang; Debug keeps its -O0.
function(teardown_optimize target)
  set_target_properties(${target} PROPERTIES C_VISIBILITY_PRESET hidden)
  set(speed $<AND:$<CONFIG:RelWithDebInfo>,$<C_COMPILER_ID:GNU,Clang>>)
  # At link time too: that is where LTO generates the code.
  target_compile_options(${target} PRIVATE $<${speed}:-O3>)
  target_link_options(${target} PRIVATE $<${speed}:-O3>)
  if(TEARDOWN_LTO AND TEARDOWN_LTO_SUPPORTED)
    # Not in Debug: it would slow every link there and buy nothing at -O0.
    set_target_properties(${target} PROPERTIES INTERPROCEDURAL_OPTIMIZATION ON
                                               INTERPROCEDURAL_OPTIMIZATION_DEBUG OFF)
  endif()
endfunction()
