# `make deb` (or `cmake --build build --target deb`): a Debian package built by CPack's DEB
# generator from the same install rules, prefix /usr:
#  - /usr/lib/libvisa.so.7 and /usr/lib/libcppvisa.so.0: /usr/lib is a default ld.so directory,
#    and CPack's postinst/postrm run ldconfig for it, so plain pyvisa.ResourceManager() finds
#    libvisa.so.7 through `ldconfig -p` with no configuration;
#  - no clash with a vendor VISA: NI-VISA and Keysight install under /usr/local/vxipnp, /opt or
#    /usr/lib/<multiarch>, and dpkg refuses to overwrite a file another package owns;
#  - dependencies from dpkg-shlibdeps, and a shlibs file for packages built against ours.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cppvisa)
set(CPACK_PACKAGE_VENDOR "cppvisa")
set(CPACK_PACKAGE_CONTACT "cppvisa maintainers <cppvisa@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "VISA instrument control in C++20, with a drop-in libvisa.so")
set(CPACK_PACKAGE_DESCRIPTION "cppvisa implements VISA (instrument control over LAN, serial and USB) in C++20:
native protocol stacks, simulated instruments, libvisa.so.7 with the standard VISA C API (PyVISA
finds it with no configuration) and visa-serve, a gateway serving instruments over HiSLIP, VXI-11
and raw sockets.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            # cppvisa_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-pyvisa")
if(SASL_FOUND)
  # libsasl2 loads its mechanisms (SCRAM, PLAIN, ANONYMOUS) from plugins in libsasl2-modules.
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libsasl2-modules")
endif()
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/cppvisa/cppvisa")
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)  # a release package: no debug info (RelWithDebInfo builds carry much)
include(CPack)

add_custom_target(deb
  COMMAND ${CMAKE_CPACK_COMMAND} -G DEB --config ${PROJECT_BINARY_DIR}/CPackConfig.cmake
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
  COMMENT "Building the Debian package into ${PROJECT_BINARY_DIR}/packages"
  VERBATIM)
