# kiln_add_model(NAME MODEL file [INPUTS NAME=DIMS[:type]...] [TARGET_TRIPLE triple] [CPU cpu]
#                [OPT level])
#
# Compiles MODEL with `kiln compile --emit obj,header` at build time (a custom command that depends
# on the model file, so editing or touching it compiles again and nothing else does) into
# ${CMAKE_CURRENT_BINARY_DIR}/kiln/NAME/, and creates the static library target NAME holding
# NAME.o, with NAME.h's folder as its public include directory: target_link_libraries(app NAME).
#
# The triple is TARGET_TRIPLE if given; else, when cross-compiling, it comes from
# CMAKE_SYSTEM_PROCESSOR (aarch64/arm64: aarch64-linux-gnu; armv7*/arm: armv7a-linux-gnueabihf on
# Linux, thumbv7em-none-eabihf on Generic; x86_64/AMD64: x86_64-linux-gnu); else the host's.
# OPT is the -O level (default 2). The kiln command is KILN_EXECUTABLE (default: kiln on the PATH).

set(KILN_EXECUTABLE "" CACHE FILEPATH "The kiln command that kiln_add_model() runs")
if(NOT KILN_EXECUTABLE)
  find_program(KILN_EXECUTABLE_FOUND kiln)
  if(KILN_EXECUTABLE_FOUND)
    set(KILN_EXECUTABLE "${KILN_EXECUTABLE_FOUND}" CACHE FILEPATH
      "The kiln command that kiln_add_model() runs" FORCE)
  endif()
endif()

function(_kiln_triple_from_processor out)
  set(p "${CMAKE_SYSTEM_PROCESSOR}")
  if(p MATCHES "^(aarch64|arm64|ARM64)$")
    set(t aarch64-linux-gnu)
  elseif(p MATCHES "^(armv7.*|arm)$" AND CMAKE_SYSTEM_NAME STREQUAL "Generic")
    set(t thumbv7em-none-eabihf)
  elseif(p MATCHES "^(armv7.*|arm)$")
    set(t armv7a-linux-gnueabihf)
  elseif(p MATCHES "^(x86_64|AMD64|amd64)$")
    set(t x86_64-linux-gnu)
  else()
    message(FATAL_ERROR
      "kiln_add_model: no Kiln target for CMAKE_SYSTEM_PROCESSOR '${p}'; pass TARGET_TRIPLE")
  endif()
  set(${out} ${t} PARENT_SCOPE)
endfunction()

function(kiln_add_model name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "MODEL;TARGET_TRIPLE;CPU;OPT" "INPUTS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_model(${name}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "kiln_add_model(${name}): MODEL is required")
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "kiln_add_model(${name}): the name must be a C identifier")
  endif()
  if(NOT KILN_EXECUTABLE)
    message(FATAL_ERROR "kiln_add_model(${name}): no kiln command found; set KILN_EXECUTABLE")
  endif()
  if(NOT DEFINED ARG_OPT)
    set(ARG_OPT 2)
  elseif(NOT ARG_OPT MATCHES "^[0-3]$")
    message(FATAL_ERROR "kiln_add_model(${name}): OPT must be 0, 1, 2 or 3, not '${ARG_OPT}'")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(triple "${ARG_TARGET_TRIPLE}")
  if(NOT triple AND CMAKE_CROSSCOMPILING)
    _kiln_triple_from_processor(triple)
  endif()
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/kiln/${name}")
  set(args compile "${model}" --name ${name} -o "${dir}" --emit obj,header -O${ARG_OPT})
  foreach(input IN LISTS ARG_INPUTS)
    list(APPEND args --input "${input}")
  endforeach()
  if(triple)
    list(APPEND args --target ${triple})
  endif()
  if(ARG_CPU)
    list(APPEND args --cpu ${ARG_CPU})
  endif()
  add_custom_command(
    OUTPUT "${dir}/${name}.o" "${dir}/${name}.h"
    COMMAND "${KILN_EXECUTABLE}" ${args}
    DEPENDS "${model}"
    COMMENT "Kiln: compiling ${ARG_MODEL} into ${name}"
    VERBATIM)
  add_library(${name} STATIC "${dir}/${name}.o" "${dir}/${name}.h")
  set_target_properties(${name} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${name} PUBLIC "${dir}")
  if(UNIX AND NOT APPLE AND NOT CMAKE_SYSTEM_NAME STREQUAL "Generic")
    target_link_libraries(${name} INTERFACE m)
  endif()
endfunction()
