# Installs libvisa.so.7 where PyVISA finds it without configuration: the system library directory,
# registered in the ld.so cache (PyVISA searches `ldconfig -p` for lib<visa>.so; LD_LIBRARY_PATH
# alone is not consulted, visa-c-api.md §5.1), plus visa.h and visatype.h.
#
# A vendor's VISA (NI-VISA installs libvisa.so too) is never overwritten: each file is installed
# only when the destination is absent or is one of ours (it carries the cppvisa marker string);
# otherwise it is skipped with a message, and our library stays usable by path
# (pyvisa.ResourceManager('<build>/src/cabi/libvisa.so')).

option(CPPVISA_INSTALL_LIBVISA "Install libvisa.so and visa.h" ON)
option(CPPVISA_RUN_LDCONFIG "Run ldconfig after installing libvisa.so (when installing as root without DESTDIR)" ON)

if(CPPVISA_INSTALL_LIBVISA)
  install(CODE "
    # file(INSTALL) adds DESTDIR itself; the checks and links need the staged paths.
    set(cppvisa_libdir_final \"${CMAKE_INSTALL_FULL_LIBDIR}\")
    set(cppvisa_incdir_final \"${CMAKE_INSTALL_FULL_INCLUDEDIR}\")
    set(cppvisa_libdir \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_LIBDIR}\")
    set(cppvisa_incdir \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_INCLUDEDIR}\")
    set(cppvisa_run_ldconfig ${CPPVISA_RUN_LDCONFIG})
    set(cppvisa_real \"$<TARGET_FILE:visa>\")
    get_filename_component(cppvisa_real_name \"\${cppvisa_real}\" NAME)
    file(MAKE_DIRECTORY \"\${cppvisa_libdir}\" \"\${cppvisa_incdir}\")

    # Whether a destination may be written: absent, or ours.
    function(cppvisa_may_replace path out)
      if(NOT EXISTS \"\${path}\" AND NOT IS_SYMLINK \"\${path}\")
        set(\${out} TRUE PARENT_SCOPE)
        return()
      endif()
      if(IS_SYMLINK \"\${path}\" AND NOT EXISTS \"\${path}\")
        set(\${out} FALSE PARENT_SCOPE)
        return()
      endif()
      file(STRINGS \"\${path}\" marker LIMIT_COUNT 1 REGEX \"cppvisa-libvisa-marker\")
      if(marker)
        set(\${out} TRUE PARENT_SCOPE)
      else()
        set(\${out} FALSE PARENT_SCOPE)
      endif()
    endfunction()

    set(cppvisa_installed FALSE)
    cppvisa_may_replace(\"\${cppvisa_libdir}/\${cppvisa_real_name}\" ok)
    if(ok)
      file(INSTALL \"\${cppvisa_real}\" DESTINATION \"\${cppvisa_libdir_final}\" USE_SOURCE_PERMISSIONS)
      set(cppvisa_installed TRUE)
      foreach(link libvisa.so.7 libvisa.so)
        cppvisa_may_replace(\"\${cppvisa_libdir}/\${link}\" ok)
        if(ok)
          file(REMOVE \"\${cppvisa_libdir}/\${link}\")
          file(CREATE_LINK \"\${cppvisa_real_name}\" \"\${cppvisa_libdir}/\${link}\" SYMBOLIC)
          message(STATUS \"Installing: \${cppvisa_libdir}/\${link} -> \${cppvisa_real_name}\")
        else()
          message(WARNING \"cppvisa: \${cppvisa_libdir}/\${link} belongs to another VISA library: left as it is\")
        endif()
      endforeach()
    else()
      message(WARNING \"cppvisa: \${cppvisa_libdir}/\${cppvisa_real_name} belongs to another VISA library: libvisa.so not installed\")
    endif()
    foreach(header visa.h visatype.h)
      cppvisa_may_replace(\"\${cppvisa_incdir}/\${header}\" ok)
      if(ok)
        file(INSTALL \"${PROJECT_SOURCE_DIR}/include/\${header}\" DESTINATION \"\${cppvisa_incdir_final}\")
      else()
        message(WARNING \"cppvisa: \${cppvisa_incdir}/\${header} belongs to another VISA: left as it is\")
      endif()
    endforeach()
    # Register in the ld.so cache so that PyVISA's find_library('visa') sees it.
    set(cppvisa_destdir \"\$ENV{DESTDIR}\")
    if(cppvisa_installed AND cppvisa_run_ldconfig AND cppvisa_destdir STREQUAL \"\")
      find_program(cppvisa_ldconfig ldconfig PATHS /sbin /usr/sbin)
      if(cppvisa_ldconfig)
        execute_process(COMMAND \${cppvisa_ldconfig} RESULT_VARIABLE rc ERROR_QUIET)
        if(NOT rc EQUAL 0)
          message(STATUS \"cppvisa: ldconfig failed (not root?): run 'sudo ldconfig' so that PyVISA finds libvisa.so\")
        endif()
      endif()
    endif()
  ")
endif()
