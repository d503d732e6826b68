# The core must run where kernel code runs (issue 7 loads it into emulated
# CPUs as a module), so every build checks that it needs nothing from a libc:
# each core/*.c is compiled by clang for each target with kernel-like flags,
# the objects are linked into one relocatable with ld.lld -r, and any
# undefined symbol left (memcpy from a struct copy, __udivdi3 from 64-bit
# division on ppc32, ...) fails the build.
set(MODBED_FREESTANDING_FLAGS_x86_64 -mcmodel=kernel -mno-red-zone -mno-sse -mno-mmx)
set(MODBED_FREESTANDING_FLAGS_arm64 -mgeneral-regs-only)
set(MODBED_FREESTANDING_FLAGS_powerpc32 -msoft-float)

set(MODBED_FREESTANDING_OUTPUTS)
foreach(arch ${MODBED_ARCHES})
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/freestanding/${arch})
  set(objs)
  foreach(src ${MODBED_CORE_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    set(obj ${dir}/${name}.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
      COMMAND ${MODBED_CLANG} --target=${MODBED_TRIPLE_${arch}} -std=c11 -ffreestanding -fno-pic
              -nostdlib -fno-common -O2 -Wall -Wextra -Werror ${MODBED_FREESTANDING_FLAGS_${arch}}
              -I${PROJECT_SOURCE_DIR} -c ${src} -o ${obj}
      DEPENDS ${src} ${MODBED_CORE_HEADERS}
      COMMENT "freestanding core: ${name}.c for ${arch}"
      VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  set(linked ${dir}/core-${arch}.o)
  set(stamp ${dir}/core-${arch}.ok)
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${MODBED_LLD} -r -o ${linked} ${objs}
    COMMAND ${CMAKE_COMMAND} -DNM=${MODBED_LLVM_NM} -DOBJ=${linked} -DARCH=${arch} -DSTAMP=${stamp}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/freestanding_check.cmake
    DEPENDS ${objs} ${CMAKE_CURRENT_SOURCE_DIR}/freestanding_check.cmake
    COMMENT "freestanding core: ${arch} needs no libc symbol"
    VERBATIM)
  list(APPEND MODBED_FREESTANDING_OUTPUTS ${stamp})
endforeach()
add_custom_target(modbed_core_freestanding ALL DEPENDS ${MODBED_FREESTANDING_OUTPUTS})
