# Installs libvisa.so.7 (with the libvisa.so.7 and libvisa.so links), visa.pc, the cppvisa::visa
# CMake target, visa.h and visatype.h under the install destination chosen at install time
# (--prefix, CMAKE_INSTALL_PREFIX, DESTDIR). The files are written by
# cmake/install_libvisa_files.cmake, which never overwrites a vendor's VISA (checked then, against
# the real destination) and records what it wrote in install_manifest.txt.
#
# ldconfig: PyVISA finds libvisa.so through the ld.so cache (`ldconfig -p`; LD_LIBRARY_PATH alone
# is not consulted). It is run only when asked (CPPVISA_RUN_LDCONFIG=ON), without DESTDIR and for
# /usr or /usr/local; the Debian package (`make deb`) registers the library with its own trigger.

option(CPPVISA_INSTALL_LIBVISA "Install libvisa.so and visa.h" ON)
option(CPPVISA_RUN_LDCONFIG "Run ldconfig after installing libvisa.so into /usr or /usr/local without DESTDIR" OFF)

if(CPPVISA_INSTALL AND CPPVISA_INSTALL_LIBVISA)
  # The cppvisa::visa target of the installed package, found relative to the package files.
  set(CPPVISA_VISA_TARGETS_FILE ${PROJECT_BINARY_DIR}/cmake-install/cppvisaVisaTargets.cmake)
  file(GENERATE OUTPUT ${CPPVISA_VISA_TARGETS_FILE} CONTENT
"# cppvisa::visa, the standard VISA C API (libvisa.so.7), installed by cppvisa (cppvisa-libvisa-marker).
if(NOT TARGET cppvisa::visa)
  get_filename_component(_cppvisa_visa_prefix \"\${CMAKE_CURRENT_LIST_DIR}/${CPPVISA_CMAKEDIR_TO_PREFIX}\" ABSOLUTE)
  add_library(cppvisa::visa SHARED IMPORTED)
  set_target_properties(cppvisa::visa PROPERTIES
    IMPORTED_LOCATION \"\${_cppvisa_visa_prefix}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:visa>\"
    IMPORTED_SONAME \"$<TARGET_SONAME_FILE_NAME:visa>\"
    INTERFACE_INCLUDE_DIRECTORIES \"\${_cppvisa_visa_prefix}/${CMAKE_INSTALL_INCLUDEDIR}\")
  unset(_cppvisa_visa_prefix)
endif()
")
  install(CODE "
    set(cppvisa_libdir_rel \"${CMAKE_INSTALL_LIBDIR}\")
    set(cppvisa_incdir_rel \"${CMAKE_INSTALL_INCLUDEDIR}\")
    set(cppvisa_visa_real \"$<TARGET_FILE:visa>\")
    set(cppvisa_visa_links \"$<TARGET_SONAME_FILE_DIR:visa>/$<TARGET_SONAME_FILE_NAME:visa>;$<TARGET_LINKER_FILE:visa>\")
    set(cppvisa_visa_descriptions \"${PROJECT_BINARY_DIR}/cmake-install/visa.pc|${CMAKE_INSTALL_LIBDIR}/pkgconfig;${CPPVISA_VISA_TARGETS_FILE}|${CMAKE_INSTALL_LIBDIR}/cmake/cppvisa\")
    set(cppvisa_visa_headers \"${PROJECT_SOURCE_DIR}/include/visa.h;${PROJECT_SOURCE_DIR}/include/visatype.h\")
    set(cppvisa_run_ldconfig ${CPPVISA_RUN_LDCONFIG})
    set(cppvisa_strip \"${CMAKE_STRIP}\")
  ")
  install(SCRIPT ${PROJECT_SOURCE_DIR}/cmake/install_libvisa_files.cmake)
endif()
