# Installation and the exported CMake package (find_package(cppvisa) gives cppvisa::cppvisa).
include(CMakePackageConfigHelpers)
install(TARGETS cppvisa EXPORT cppvisaTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/cppvisa DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/generated/cppvisa/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cppvisa)
install(DIRECTORY data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/cppvisa)
install(EXPORT cppvisaTargets NAMESPACE cppvisa:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cppvisa)
configure_package_config_file(cmake/cppvisaConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/cppvisaConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cppvisa)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cppvisaConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cppvisaConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/cppvisaConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cppvisa)
