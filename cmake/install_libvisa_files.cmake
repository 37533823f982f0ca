# Install-time part of src/cabi/install_visa.cmake (run by `cmake --install` and by CPack), with
# cppvisa_* variables set just before. Installs libvisa.so.7 with its links, visa.pc, the
# cppvisa::visa CMake target, visa.h and visatype.h under the real destination
# ($DESTDIR + CMAKE_INSTALL_PREFIX, both read now, not at configure time).
#
# A vendor's VISA (NI-VISA installs libvisa.so too) is never overwritten: each file is installed
# only when the destination ($DESTDIR included) is absent or is one of ours (it carries the
# cppvisa-libvisa-marker string); otherwise it is left alone with a warning, and our library
# stays usable by path (pyvisa.ResourceManager('<build>/src/cabi/libvisa.so')).

function(cppvisa_destination rel out)
  if(IS_ABSOLUTE "${rel}")
    set(${out} "${rel}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${rel}" PARENT_SCOPE)
  endif()
endfunction()

# Whether `path` (a staged path, DESTDIR included) may be written: absent, or ours.
function(cppvisa_may_replace path out)
  set(ok FALSE)
  if(NOT EXISTS "${path}" AND NOT IS_SYMLINK "${path}")
    set(ok TRUE)
  elseif(EXISTS "${path}" AND NOT IS_DIRECTORY "${path}")
    file(STRINGS "${path}" marker LIMIT_COUNT 1 REGEX "cppvisa-libvisa-marker")
    if(marker)
      set(ok TRUE)
    endif()
  endif()
  set(${out} ${ok} PARENT_SCOPE)
endfunction()

cppvisa_destination("${cppvisa_libdir_rel}" cppvisa_libdir)
cppvisa_destination("${cppvisa_incdir_rel}" cppvisa_incdir)
set(cppvisa_staged_libdir "$ENV{DESTDIR}${cppvisa_libdir}")
set(cppvisa_staged_incdir "$ENV{DESTDIR}${cppvisa_incdir}")

# The library: the real file and its links (libvisa.so.7, libvisa.so) together, or none of them
# when any of those names belongs to another VISA (mixing ours and a vendor's would make `-lvisa`
# link one library and run the other).
set(cppvisa_visa_files "${cppvisa_visa_real}" ${cppvisa_visa_links})
set(cppvisa_visa_installed TRUE)
foreach(file IN LISTS cppvisa_visa_files)
  get_filename_component(name "${file}" NAME)
  cppvisa_may_replace("${cppvisa_staged_libdir}/${name}" ok)
  if(NOT ok)
    message(WARNING "cppvisa: ${cppvisa_staged_libdir}/${name} belongs to another VISA library: "
                    "libvisa.so not installed (cppvisa's C API stays usable by path from the build tree)")
    set(cppvisa_visa_installed FALSE)
  endif()
endforeach()
if(cppvisa_visa_installed)
  foreach(file IN LISTS cppvisa_visa_files)
    get_filename_component(name "${file}" NAME)
    file(REMOVE "${cppvisa_staged_libdir}/${name}")  # ours: a stale link is replaced, not followed
    file(INSTALL "${file}" DESTINATION "${cppvisa_libdir}" USE_SOURCE_PERMISSIONS)  # links stay links
  endforeach()
  # `cmake --install --strip` and CPack's CPACK_STRIP_FILES strip what install(TARGETS) installs;
  # the same for this file(INSTALL).
  get_filename_component(real_name "${cppvisa_visa_real}" NAME)
  if(CMAKE_INSTALL_DO_STRIP AND cppvisa_strip)
    execute_process(COMMAND "${cppvisa_strip}" --strip-unneeded "${cppvisa_staged_libdir}/${real_name}")
  endif()
  # visa.pc and the cppvisa::visa target describe this library: only with it.
  foreach(pair IN LISTS cppvisa_visa_descriptions)
    string(REPLACE "|" ";" pair "${pair}")
    list(GET pair 0 file)
    list(GET pair 1 dir)
    cppvisa_destination("${dir}" dest)
    get_filename_component(name "${file}" NAME)
    cppvisa_may_replace("$ENV{DESTDIR}${dest}/${name}" ok)
    if(ok)
      file(INSTALL "${file}" DESTINATION "${dest}")
    else()
      message(WARNING "cppvisa: $ENV{DESTDIR}${dest}/${name} belongs to another VISA: left as it is")
    endif()
  endforeach()
endif()

foreach(header IN LISTS cppvisa_visa_headers)
  get_filename_component(name "${header}" NAME)
  cppvisa_may_replace("${cppvisa_staged_incdir}/${name}" ok)
  if(ok)
    file(INSTALL "${header}" DESTINATION "${cppvisa_incdir}")
  else()
    message(WARNING "cppvisa: ${cppvisa_staged_incdir}/${name} belongs to another VISA: left as it is")
  endif()
endforeach()

# The ld.so cache (PyVISA's find_library('visa') reads `ldconfig -p`): only when asked
# (CPPVISA_RUN_LDCONFIG), only into the running system (no DESTDIR) and only for a system prefix.
if(cppvisa_visa_installed AND cppvisa_run_ldconfig)
  if(NOT "$ENV{DESTDIR}" STREQUAL "")
    message(STATUS "cppvisa: DESTDIR set: ldconfig not run")
  elseif(NOT CMAKE_INSTALL_PREFIX MATCHES "^(/usr|/usr/local)/?$")
    message(STATUS "cppvisa: ${CMAKE_INSTALL_PREFIX} is not a system prefix: ldconfig not run "
                   "(PyVISA: pyvisa.ResourceManager('${cppvisa_libdir}/libvisa.so.7'))")
  else()
    find_program(cppvisa_ldconfig ldconfig PATHS /sbin /usr/sbin)
    if(cppvisa_ldconfig)
      execute_process(COMMAND "${cppvisa_ldconfig}" RESULT_VARIABLE rc ERROR_QUIET)
      if(NOT rc EQUAL 0)
        message(STATUS "cppvisa: ldconfig failed (not root?): run 'sudo ldconfig' so that PyVISA finds libvisa.so")
      endif()
    endif()
  endif()
endif()
