# The generator writes the same bytes twice, and tshark reads every frame it says it wrote.
# Arguments: GENERATOR, TSHARK, SCRATCH, CONVERSATIONS.
file(REMOVE_RECURSE "${SCRATCH}")
file(MAKE_DIRECTORY "${SCRATCH}")
foreach(copy a b)
  execute_process(COMMAND "${GENERATOR}" "${SCRATCH}/${copy}.pcap" ${CONVERSATIONS}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out_${copy})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "teardown-bench-gen failed (${rc})")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${SCRATCH}/a.pcap" "${SCRATCH}/b.pcap"
                RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "two runs of teardown-bench-gen ${CONVERSATIONS} wrote different files")
endif()
if(NOT out_a MATCHES ": ([0-9]+) frames .*, ${CONVERSATIONS} conversations")
  message(FATAL_ERROR "unexpected generator output:\n${out_a}")
endif()
set(frames ${CMAKE_MATCH_1})

# tcp.stream numbers tell how many conversations tshark saw: each one must be its own.
execute_process(COMMAND "${TSHARK}" -n -r "${SCRATCH}/a.pcap" -T fields -e tcp.stream
                RESULT_VARIABLE rc OUTPUT_VARIABLE streams ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tshark cannot read the capture (${rc}): ${err}")
endif()
string(REGEX REPLACE "\n$" "" streams "${streams}")
string(REPLACE "\n" ";" streams "${streams}")
list(LENGTH streams read)
if(NOT read EQUAL frames)
  message(FATAL_ERROR "the generator wrote ${frames} frames, tshark read ${read}")
endif()
list(REMOVE_DUPLICATES streams)
list(LENGTH streams distinct)
if(NOT distinct EQUAL CONVERSATIONS)
  message(FATAL_ERROR "${CONVERSATIONS} conversations written, tshark sees ${distinct} streams")
endif()
message(STATUS "${frames} frames, ${distinct} streams, written identically twice")
