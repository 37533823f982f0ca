# Consumer tests: cppvisa used from outside, as users do. Run by CTest (tests/CMakeLists.txt) as
#   cmake -DMODE=<mode> -DSOURCE_DIR=... -DBINARY_DIR=... -DLIBDIR=... -DGENERATOR=... -DCC=... -DCXX=...
#         -P run.cmake
# Every file is written under BINARY_DIR/consumer/ (and, for MODE relocate, one scratch
# directory under /tmp): `make test` writes nothing outside the build tree and /tmp.
#
# MODE install      installs to a scratch prefix (fixture for find_package / pkg_config) and
#                   checks install_manifest.txt against every file under the prefix
# MODE destdir      DESTDIR staging with a vendor's libvisa.so.7 and visa.h already there: those
#                   stay untouched, everything else lands under DESTDIR and nothing in /usr/local
# MODE find_package find_package(cppvisa) from the installed prefix
# MODE build_tree   find_package(cppvisa) from the build tree (export())
# MODE subdirectory add_subdirectory(cppvisa) with every optional dependency off: only the
#                   libraries, nothing imposed on the parent; the USB row says libusb is missing
# MODE pkg_config   pkg-config cppvisa (a C++ program) and visa (a C program)
# MODE relocate     install to prefix A, move it to B: B/bin/visa-info and the consumers run,
#                   with the simulated instruments found under B
# Each builds and runs a C++ consumer (libcppvisa) and a C consumer (libvisa) that ask the
# simulated oscilloscope *IDN?.
cmake_minimum_required(VERSION 3.25)
foreach(v MODE SOURCE_DIR BINARY_DIR LIBDIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run.cmake: -D${v}= missing")
  endif()
endforeach()
set(work ${BINARY_DIR}/consumer)
set(prefix ${work}/prefix)
set(project ${SOURCE_DIR}/tests/consumer/project)
set(ENV{CPPVISA_SIM} default)  # libvisa: the bundled simulated instruments

function(check)  # check(<what> COMMAND ...): runs a command, fails with its output
  cmake_parse_arguments(PARSE_ARGV 1 a "" "OUTPUT" "COMMAND")
  execute_process(COMMAND ${a_COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${a_COMMAND}")
    message(FATAL_ERROR "${ARGV0} failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  if(a_OUTPUT)
    set(${a_OUTPUT} "${out}${err}" PARENT_SCOPE)
  endif()
endfunction()

function(install_to dest)  # a fresh install of the build tree into `dest`
  file(REMOVE_RECURSE ${dest})
  check("install" COMMAND ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${dest})
endfunction()

function(run_consumers dir expected)  # runs consumer_cpp and consumer_c built in `dir`
  # ARGN: what consumer_cpp must find in the native backend's debug_info.
  foreach(exe consumer_cpp consumer_c)
    set(extra)
    if(exe STREQUAL "consumer_cpp")
      set(extra ${ARGN})
    endif()
    check("${exe}" COMMAND ${dir}/${exe} ${expected} ${extra} OUTPUT out)
    string(STRIP "${out}" out)
    message(STATUS "${exe}: ${out}")
  endforeach()
endfunction()

function(cmake_consumer name)  # configures, builds and runs the consumer project with ARGN
  set(cbuild ${work}/${name})
  if(name STREQUAL "subdirectory")
    # A fresh configure every time, but the objects of the last run are kept: cppvisa's sources
    # are compiled again only when they change (the first run compiles the library).
    file(REMOVE ${cbuild}/CMakeCache.txt)
  else()
    file(REMOVE_RECURSE ${cbuild})
  endif()
  set(args)
  if(GENERATOR)
    list(APPEND args -G "${GENERATOR}")
  endif()
  if(CC)
    list(APPEND args -DCMAKE_C_COMPILER=${CC})
  endif()
  if(CXX)
    list(APPEND args -DCMAKE_CXX_COMPILER=${CXX})
  endif()
  check("configure" COMMAND ${CMAKE_COMMAND} -S ${project} -B ${cbuild} ${args} ${ARGN})
  check("build" COMMAND ${CMAKE_COMMAND} --build ${cbuild} -j 2)
  if(name STREQUAL "subdirectory")
    run_consumers(${cbuild} SIMSCOPE-1000 "USB instruments need libusb-1.0: this build was made without it")
  else()
    run_consumers(${cbuild} SIMSCOPE-1000)
  endif()
endfunction()

function(pkg_config_consumers pc_prefix cbuild expected)  # builds with pkg-config, then runs
  find_program(PKG_CONFIG pkg-config REQUIRED)
  file(REMOVE_RECURSE ${cbuild})
  file(MAKE_DIRECTORY ${cbuild})
  set(ENV{PKG_CONFIG_PATH} ${pc_prefix}/${LIBDIR}/pkgconfig)
  foreach(pair "cppvisa|main.cpp|consumer_cpp|${CXX}|-std=c++20" "visa|main.c|consumer_c|${CC}|-std=c99")
    string(REPLACE "|" ";" pair "${pair}")
    list(GET pair 0 module)
    list(GET pair 1 source)
    list(GET pair 2 exe)
    list(GET pair 3 compiler)
    list(GET pair 4 std)
    check("pkg-config ${module}" COMMAND ${PKG_CONFIG} --cflags --libs ${module} OUTPUT flags)
    check("pkg-config ${module}" COMMAND ${PKG_CONFIG} --variable=libdir ${module} OUTPUT libdir)
    string(STRIP "${flags}" flags)
    string(STRIP "${libdir}" libdir)
    separate_arguments(flags UNIX_COMMAND "${flags}")
    check("compile ${exe}" COMMAND ${compiler} ${std} ${project}/${source} -o ${cbuild}/${exe}
                                   ${flags} -Wl,-rpath,${libdir})
  endforeach()
  run_consumers(${cbuild} ${expected})
endfunction()

function(list_tree root out)  # every file and symlink under root, sorted
  file(GLOB_RECURSE files LIST_DIRECTORIES false ${root}/*)
  list(SORT files)
  set(${out} ${files} PARENT_SCOPE)
endfunction()

function(read_manifest out)
  file(STRINGS ${BINARY_DIR}/install_manifest.txt manifest)
  list(SORT manifest)
  set(${out} ${manifest} PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "install")
  install_to(${prefix})
  read_manifest(manifest)
  list_tree(${prefix} tree)
  foreach(f IN LISTS manifest)
    if(NOT f MATCHES "^${prefix}/")
      message(FATAL_ERROR "installed outside the prefix ${prefix}: ${f}")
    endif()
  endforeach()
  if(NOT manifest STREQUAL tree)
    set(extra ${tree})
    list(REMOVE_ITEM extra ${manifest})
    set(missing ${manifest})
    list(REMOVE_ITEM missing ${tree})
    message(FATAL_ERROR "install_manifest.txt and ${prefix} differ\n"
                        "under the prefix, not in the manifest: ${extra}\nin the manifest, not there: ${missing}")
  endif()
  foreach(f ${LIBDIR}/libcppvisa.so ${LIBDIR}/libvisa.so.7 ${LIBDIR}/libvisa.so include/visa.h
            include/visatype.h include/cppvisa/cppvisa.hpp include/cppvisa/version.hpp bin/visa-info
            share/cppvisa/sim/default.yaml ${LIBDIR}/cmake/cppvisa/cppvisaConfig.cmake
            ${LIBDIR}/cmake/cppvisa/cppvisaTargets.cmake ${LIBDIR}/cmake/cppvisa/cppvisaVisaTargets.cmake
            ${LIBDIR}/pkgconfig/cppvisa.pc ${LIBDIR}/pkgconfig/visa.pc share/doc/cppvisa/examples/c/idn.c)
    if(NOT EXISTS ${prefix}/${f})
      message(FATAL_ERROR "not installed: ${prefix}/${f}")
    endif()
  endforeach()
  list(LENGTH manifest n)
  message(STATUS "${n} files, all under ${prefix} and all in install_manifest.txt")

elseif(MODE STREQUAL "destdir")
  set(destdir ${work}/destdir)
  set(system_prefix /usr/local)
  file(REMOVE_RECURSE ${destdir})
  set(vendor_lib ${destdir}${system_prefix}/${LIBDIR}/libvisa.so.7)
  set(vendor_header ${destdir}${system_prefix}/include/visa.h)
  file(WRITE ${vendor_lib} "a vendor's VISA library\n")
  file(WRITE ${vendor_header} "/* a vendor's visa.h */\n")
  set(system_before FALSE)
  if(EXISTS ${system_prefix}/${LIBDIR}/libvisa.so.7 OR EXISTS ${system_prefix}/include/visa.h)
    set(system_before TRUE)
  endif()
  set(ENV{DESTDIR} ${destdir})
  check("install with DESTDIR" COMMAND ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${system_prefix} OUTPUT out)
  unset(ENV{DESTDIR})
  if(NOT system_before AND (EXISTS ${system_prefix}/${LIBDIR}/libvisa.so.7 OR EXISTS ${system_prefix}/include/visa.h))
    message(FATAL_ERROR "an install with DESTDIR wrote into ${system_prefix}")
  endif()
  foreach(f ${vendor_lib} ${vendor_header})
    file(READ ${f} content)
    if(NOT content MATCHES "a vendor's")
      message(FATAL_ERROR "the vendor's ${f} was overwritten")
    endif()
  endforeach()
  string(REGEX REPLACE "[ \t\r\n]+" " " out "${out}")  # CMake wraps warnings
  if(NOT out MATCHES "libvisa.so.7 belongs to another VISA library" OR NOT out MATCHES "visa.h belongs to another VISA")
    message(FATAL_ERROR "no warning about the vendor's files:\n${out}")
  endif()
  foreach(f libvisa.so libvisa.so.7.0.0 pkgconfig/visa.pc cmake/cppvisa/cppvisaVisaTargets.cmake)
    if(EXISTS ${destdir}${system_prefix}/${LIBDIR}/${f} OR IS_SYMLINK ${destdir}${system_prefix}/${LIBDIR}/${f})
      message(FATAL_ERROR "${f} installed next to a vendor's libvisa.so.7")
    endif()
  endforeach()
  read_manifest(manifest)  # the final paths, without DESTDIR
  list(TRANSFORM manifest PREPEND ${destdir})
  list_tree(${destdir} tree)
  list(REMOVE_ITEM tree ${vendor_lib} ${vendor_header})
  if(NOT manifest STREQUAL tree)
    message(FATAL_ERROR "install_manifest.txt and ${destdir} differ:\n${manifest}\n--\n${tree}")
  endif()
  foreach(f ${LIBDIR}/libcppvisa.so include/visatype.h bin/visa-info share/cppvisa/sim/default.yaml)
    if(NOT EXISTS ${destdir}${system_prefix}/${f})
      message(FATAL_ERROR "not installed under DESTDIR: ${f}")
    endif()
  endforeach()
  message(STATUS "DESTDIR install: all under ${destdir}; the vendor's libvisa.so.7 and visa.h left alone")

elseif(MODE STREQUAL "find_package")
  cmake_consumer(find_package -DCMAKE_PREFIX_PATH=${prefix})

elseif(MODE STREQUAL "build_tree")
  cmake_consumer(build_tree -Dcppvisa_DIR=${BINARY_DIR})

elseif(MODE STREQUAL "subdirectory")
  # No compiler launcher (ccache would write outside the build tree): the kept objects make a
  # rerun quick. A parent launcher, flag or build type would be the parent's; none is given here,
  # so the checks in project/CMakeLists.txt see exactly what cppvisa sets.
  # Every optional dependency off: the library still builds, and the USB row says why it cannot
  # be used (issue #10: libusb is optional). The parent builds in unity mode (CMAKE_UNITY_BUILD, a
  # parent's choice): cppvisa's sources must share translation units, and the cold compile takes
  # about half the compiler time (no build type here: -O0, where parsing dominates).
  cmake_consumer(subdirectory -DCONSUMER_MODE=subdirectory -DCPPVISA_SOURCE_DIR=${SOURCE_DIR}
    -DCMAKE_UNITY_BUILD=ON -DCPPVISA_WITH_LIBUSB=OFF -DCPPVISA_WITH_OPENSSL=OFF -DCPPVISA_WITH_SASL=OFF
    -DCPPVISA_WITH_AVAHI=OFF -DCPPVISA_WITH_LIBEDIT=OFF)

elseif(MODE STREQUAL "pkg_config")
  pkg_config_consumers(${prefix} ${work}/pkg_config SIMSCOPE-1000)

elseif(MODE STREQUAL "relocate")
  string(MD5 tag "${BINARY_DIR}")
  string(SUBSTRING "${tag}" 0 12 tag)
  set(root /tmp/cppvisa-relocate-${tag})
  file(REMOVE_RECURSE ${root})
  install_to(${root}/a)
  file(RENAME ${root}/a ${root}/b)
  set(moved ${root}/b)
  # Mark the moved data: the answers below must come from B, not from the source tree.
  set(scope ${moved}/share/cppvisa/sim/oscilloscope.yaml)
  file(READ ${scope} text)
  string(REPLACE "SIMSCOPE-1000" "RELOCATED-1000" text "${text}")
  file(WRITE ${scope} "${text}")
  check("visa-info" COMMAND ${moved}/bin/visa-info -b @sim OUTPUT out)
  if(NOT out MATCHES "Definitions: ${moved}/share/cppvisa/sim/default.yaml")
    message(FATAL_ERROR "visa-info in the moved prefix does not use its data:\n${out}")
  endif()
  pkg_config_consumers(${moved} ${work}/relocate RELOCATED-1000)
  file(REMOVE_RECURSE ${root})
  message(STATUS "moved prefix: tools, libraries and data found relative to ${moved}")

elseif(MODE STREQUAL "deb")
  # `make deb`'s package, built here into the scratch directory, unpacked with dpkg-deb -x into a
  # scratch root (never installed: that would write to the system).
  find_program(DPKG_DEB dpkg-deb)
  find_program(CPACK cpack HINTS ${CMAKE_COMMAND}/..)
  if(NOT DPKG_DEB OR NOT CPACK)
    message(STATUS "cppvisa-test-skipped: dpkg-deb or cpack missing")  # SKIP_REGULAR_EXPRESSION
    return()
  endif()
  set(out_dir ${work}/deb)
  set(root ${work}/deb-root)
  file(REMOVE_RECURSE ${out_dir} ${root})
  # The package `make deb` builds, written here, uncompressed to keep the test quick.
  check("cpack" COMMAND ${CPACK} -G DEB --config ${BINARY_DIR}/CPackConfig.cmake -B ${out_dir}
                        -D CPACK_OUTPUT_FILE_PREFIX=${out_dir} -D CPACK_DEBIAN_COMPRESSION_TYPE=none)
  file(GLOB debs ${out_dir}/cppvisa_*.deb)
  list(LENGTH debs n)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "expected one cppvisa_*.deb in ${out_dir}, found: ${debs}")
  endif()
  check("dpkg-deb -c" COMMAND ${DPKG_DEB} -c ${debs} OUTPUT listing)
  foreach(f ./usr/bin/visa-info ./usr/bin/visa-serve ./usr/${LIBDIR}/libcppvisa.so.0 ./usr/${LIBDIR}/libvisa.so.7
            ./usr/include/visa.h ./usr/include/cppvisa/cppvisa.hpp ./usr/share/cppvisa/sim/default.yaml
            ./usr/${LIBDIR}/pkgconfig/visa.pc ./usr/${LIBDIR}/cmake/cppvisa/cppvisaConfig.cmake
            ./usr/share/doc/cppvisa/examples/ ./usr/lib/udev/rules.d/99-cppvisa-usbtmc.rules)
    string(REGEX REPLACE "([.+])" "\\\\\\1" re "${f}")
    if(NOT listing MATCHES " ${re}( |\n|$)")
      message(FATAL_ERROR "${f} not in the package:\n${listing}")
    endif()
  endforeach()
  if(listing MATCHES " \\./usr/local/| \\./opt/| \\./etc/")
    message(FATAL_ERROR "the package installs outside /usr:\n${listing}")
  endif()
  # PyVISA finds libvisa.so.7 through the ld.so cache: the package must run ldconfig.
  check("dpkg-deb -e" COMMAND ${DPKG_DEB} -e ${debs} ${out_dir}/control)
  file(READ ${out_dir}/control/postinst postinst)
  if(NOT postinst MATCHES "ldconfig")
    message(FATAL_ERROR "postinst does not run ldconfig:\n${postinst}")
  endif()
  check("dpkg-deb -f" COMMAND ${DPKG_DEB} -f ${debs} Package Version Architecture Depends OUTPUT control)
  message(STATUS "${control}")
  check("dpkg-deb -x" COMMAND ${DPKG_DEB} -x ${debs} ${root})
  check("visa-info" COMMAND ${root}/usr/bin/visa-info -b @sim OUTPUT info)
  if(NOT info MATCHES "Definitions: ${root}/usr/share/cppvisa/sim/default.yaml")
    message(FATAL_ERROR "the unpacked visa-info does not use the unpacked data:\n${info}")
  endif()
  check("visa-serve --help" COMMAND ${root}/usr/bin/visa-serve --help)
  message(STATUS "${debs}: file list, ldconfig in postinst, tools run from ${root}")

else()
  message(FATAL_ERROR "run.cmake: unknown MODE ${MODE}")
endif()
