# The CMake package and the pkg-config files.
#  - build tree: export() writes cppvisaConfig.cmake + targets into the build directory, so a
#    project can use find_package(cppvisa) with cppvisa_DIR=<build> without installing;
#  - installed: cmake/install.cmake installs the same package into <libdir>/cmake/cppvisa.
include(CMakePackageConfigHelpers)

set(CPPVISA_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cppvisa)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cppvisaConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)

# Build tree.
export(TARGETS cppvisa NAMESPACE cppvisa:: FILE ${PROJECT_BINARY_DIR}/cppvisaTargets.cmake)
if(TARGET visa)
  export(TARGETS visa NAMESPACE cppvisa:: FILE ${PROJECT_BINARY_DIR}/cppvisaVisaTargets.cmake)
endif()
configure_package_config_file(cmake/cppvisaConfig.cmake.in ${PROJECT_BINARY_DIR}/cppvisaConfig.cmake
  INSTALL_DESTINATION ${PROJECT_BINARY_DIR} INSTALL_PREFIX ${PROJECT_BINARY_DIR})

# Installed package (the files cmake/install.cmake and src/cabi/install_visa.cmake install).
configure_package_config_file(cmake/cppvisaConfig.cmake.in ${PROJECT_BINARY_DIR}/cmake-install/cppvisaConfig.cmake
  INSTALL_DESTINATION ${CPPVISA_CMAKE_INSTALL_DIR})
configure_file(cmake/cppvisa.pc.in ${PROJECT_BINARY_DIR}/cmake-install/cppvisa.pc @ONLY)
configure_file(cmake/visa.pc.in ${PROJECT_BINARY_DIR}/cmake-install/visa.pc @ONLY)
