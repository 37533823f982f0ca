# `make docs`: the Doxygen API reference of include/ (build/docs/html). The test docs.doxygen fails
# on any Doxygen warning (the public headers are kept at zero); it is registered only when Doxygen
# is found (CPPVISA_DOCS_TEST=OFF leaves it out).
find_package(Doxygen QUIET)
set_package_properties(Doxygen PROPERTIES TYPE OPTIONAL DESCRIPTION "Doxygen (Debian: doxygen)"
  PURPOSE "`make docs`: the API reference of the public headers")
option(CPPVISA_DOCS_TEST "Register docs.doxygen (fails on any Doxygen warning in include/)" ON)
if(DOXYGEN_FOUND)
  set(CPPVISA_DOCS_DIR ${PROJECT_BINARY_DIR}/docs)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/Doxyfile.in ${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CPPVISA_DOCS_DIR}
    COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/Doxyfile
    COMMAND ${CMAKE_COMMAND} -E echo "API reference: ${CPPVISA_DOCS_DIR}/html/index.html (warnings: ${CPPVISA_DOCS_DIR}/warnings.txt)"
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR} VERBATIM)
  if(CPPVISA_BUILD_TESTS AND CPPVISA_DOCS_TEST)
    add_test(NAME docs.doxygen COMMAND ${CMAKE_COMMAND} -DDOXYGEN=${DOXYGEN_EXECUTABLE}
      -DDOXYFILE=${PROJECT_BINARY_DIR}/Doxyfile -DWARNINGS=${CPPVISA_DOCS_DIR}/warnings.txt
      -P ${PROJECT_SOURCE_DIR}/cmake/docs_check.cmake)
    set_tests_properties(docs.doxygen PROPERTIES LABELS docs TIMEOUT 300)
  endif()
endif()
