# Installation. Every destination is relative to the prefix chosen at install time
# (`cmake --install build --prefix P`, CMAKE_INSTALL_PREFIX, DESTDIR); libvisa.so and visa.h are
# installed by src/cabi/install_visa.cmake (vendor files are never overwritten).
install(TARGETS cppvisa EXPORT cppvisaTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/cppvisa DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/cppvisa/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cppvisa)
install(DIRECTORY data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/cppvisa)
# The USBTMC udev rule where udev reads it (relative to the prefix: /usr/lib/udev/rules.d in the
# Debian package); a source install elsewhere keeps it under share/cppvisa/udev too.
install(FILES data/udev/99-cppvisa-usbtmc.rules DESTINATION lib/udev/rules.d)
install(EXPORT cppvisaTargets NAMESPACE cppvisa:: DESTINATION ${CPPVISA_CMAKE_INSTALL_DIR})
install(FILES ${PROJECT_BINARY_DIR}/cmake-install/cppvisaConfig.cmake ${PROJECT_BINARY_DIR}/cppvisaConfigVersion.cmake
        DESTINATION ${CPPVISA_CMAKE_INSTALL_DIR})
install(FILES ${PROJECT_BINARY_DIR}/cmake-install/cppvisa.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# The examples, as sources to read and copy.
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples USE_SOURCE_PERMISSIONS
        PATTERN CMakeLists.txt EXCLUDE)
