# Fails if the linked freestanding core object has any undefined symbol.
execute_process(COMMAND ${NM} --undefined-only ${OBJ}
                OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "llvm-nm failed on ${OBJ}")
endif()
string(STRIP "${undefined}" undefined)
if(NOT undefined STREQUAL "")
  message(FATAL_ERROR "the freestanding core for ${ARCH} needs symbols nothing provides "
                      "(a libc or compiler-runtime call crept in):\n${undefined}")
endif()
file(WRITE ${STAMP} "ok\n")
