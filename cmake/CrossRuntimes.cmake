# The runtime (C API, tensor files, the executables' runner) for each cross
# target, so that `attnc compile --target TRIPLE --emit=exe|staticlib`
# links for that target: built by the target's GNU cross compiler
# (TRIPLE-g++, Debian's g++-aarch64-linux-gnu) into lib/TRIPLE/, where
# attnc looks for it. The target's OpenMP runtime, when setup.sh fetched it
# into .deps/TRIPLE/, is copied beside it for multi-threaded executables.
#
# ATTNC_CROSS_TARGETS: a list of triples, or "auto" (every supported
# target whose cross compiler is installed).

set(ATTNC_CROSS_TARGETS "auto" CACHE STRING
    "Cross targets to build the attnc runtime for (triples, or auto)")
set(attnc_supported_cross_targets aarch64-linux-gnu)

if(ATTNC_CROSS_TARGETS STREQUAL "auto")
  set(attnc_cross_targets "")
  foreach(triple IN LISTS attnc_supported_cross_targets)
    find_program(ATTNC_CROSS_CXX_${triple} ${triple}-g++)
    if(ATTNC_CROSS_CXX_${triple})
      list(APPEND attnc_cross_targets ${triple})
    endif()
  endforeach()
else()
  set(attnc_cross_targets ${ATTNC_CROSS_TARGETS})
endif()

include(ExternalProject)
foreach(triple IN LISTS attnc_cross_targets)
  if(NOT triple IN_LIST attnc_supported_cross_targets)
    message(FATAL_ERROR "ATTNC_CROSS_TARGETS: unsupported target '${triple}' "
                        "(supported: ${attnc_supported_cross_targets})")
  endif()
  find_program(ATTNC_CROSS_CXX_${triple} ${triple}-g++ REQUIRED)
  string(REGEX REPLACE "-.*" "" arch ${triple})
  set(libdir ${CMAKE_BINARY_DIR}/lib/${triple})
  message(STATUS "attnc runtime for ${triple}: ${ATTNC_CROSS_CXX_${triple}} -> ${libdir}")
  ExternalProject_Add(attnc_runtime_${triple}
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/runtime
    BINARY_DIR ${CMAKE_BINARY_DIR}/cross/${triple}
    CMAKE_ARGS
      -DCMAKE_SYSTEM_NAME=Linux
      -DCMAKE_SYSTEM_PROCESSOR=${arch}
      -DCMAKE_CXX_COMPILER=${ATTNC_CROSS_CXX_${triple}}
      -DCMAKE_BUILD_TYPE=Release
      -DCMAKE_ARCHIVE_OUTPUT_DIRECTORY=${libdir}
      -DCMAKE_LIBRARY_OUTPUT_DIRECTORY=${libdir}
    INSTALL_COMMAND ""
    # Rebuilt when the runtime's sources change (a no-op otherwise).
    BUILD_ALWAYS ON
    USES_TERMINAL_BUILD ON)
  set(libomp ${PROJECT_SOURCE_DIR}/.deps/${triple}/libomp.so.5)
  if(EXISTS ${libomp})
    file(MAKE_DIRECTORY ${libdir})
    file(COPY ${libomp} DESTINATION ${libdir})
    file(CREATE_LINK libomp.so.5 ${libdir}/libomp.so SYMBOLIC)
  endif()
endforeach()

# Installed beside the host's runtime, where an installed attnc looks:
# <prefix>/lib/<triple>/.
foreach(triple IN LISTS attnc_cross_targets)
  install(DIRECTORY ${CMAKE_BINARY_DIR}/lib/${triple}/ DESTINATION lib/${triple}
          FILES_MATCHING PATTERN "*.a" PATTERN "libomp.so*")
endforeach()
