# Relocatable installs: installed programs find libcppvisa.so through RPATH $ORIGIN/<bin to lib>,
# and the library finds its data from its own path (src/core/install_paths.cpp) through the
# relative paths below, fixed at configure time; so a prefix can be moved as a whole.
set(_cppvisa_prefix "/cppvisa-prefix")  # any absolute root: only the relative paths matter
foreach(dir LIBDIR BINDIR DATADIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(_cppvisa_${dir} "${CMAKE_INSTALL_${dir}}")
    set(CPPVISA_RELOCATABLE OFF)
  else()
    set(_cppvisa_${dir} "${_cppvisa_prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
file(RELATIVE_PATH CPPVISA_BIN_TO_LIB "${_cppvisa_BINDIR}" "${_cppvisa_LIBDIR}")
file(RELATIVE_PATH CPPVISA_LIB_TO_DATA "${_cppvisa_LIBDIR}" "${_cppvisa_DATADIR}/cppvisa")
file(RELATIVE_PATH CPPVISA_BIN_TO_DATA "${_cppvisa_BINDIR}" "${_cppvisa_DATADIR}/cppvisa")
# From <libdir>/pkgconfig and <libdir>/cmake/cppvisa back to the prefix (pkg-config's ${pcfiledir}).
file(RELATIVE_PATH CPPVISA_PKGCONFIG_TO_PREFIX "${_cppvisa_LIBDIR}/pkgconfig" "${_cppvisa_prefix}")
file(RELATIVE_PATH CPPVISA_CMAKEDIR_TO_PREFIX "${_cppvisa_LIBDIR}/cmake/cppvisa" "${_cppvisa_prefix}")
string(REGEX REPLACE "/$" "" CPPVISA_PKGCONFIG_TO_PREFIX "${CPPVISA_PKGCONFIG_TO_PREFIX}")

set(CPPVISA_RELOCATION_DEFINITIONS
  CPPVISA_LIB_TO_DATA="${CPPVISA_LIB_TO_DATA}"
  CPPVISA_BIN_TO_DATA="${CPPVISA_BIN_TO_DATA}"
  CPPVISA_BUILD_TREE="${PROJECT_BINARY_DIR}"
  CPPVISA_SOURCE_DATA_DIR="${PROJECT_SOURCE_DIR}/data")

if(CPPVISA_MAIN_PROJECT)
  # Tools: $ORIGIN/../lib (or ../lib/<multiarch>); libraries: their own directory.
  set(CMAKE_INSTALL_RPATH "$ORIGIN/${CPPVISA_BIN_TO_LIB}")
endif()
