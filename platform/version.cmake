# platform/version.cmake - writes the generated pisim_version.h at every build
# (cmake -P, from platform/CMakeLists.txt): the project version and, in a git
# checkout, "+" and what `git describe` says of it now, so that a commit or an
# edit after configuring shows in `pisim --version` and in every provenance
# record. configure_file rewrites the header only when the string changed, so
# an unchanged checkout recompiles nothing.
# Inputs: SRC (version.h.in), OUT (the header), VERSION, SOURCE_DIR, GIT (may be empty).
set(PISIM_VERSION_STRING "${VERSION}")
if(GIT)
  execute_process(COMMAND ${GIT} describe --tags --always --dirty --abbrev=12
                  WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE describe
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND describe)
    set(PISIM_VERSION_STRING "${VERSION}+${describe}")
  endif()
endif()
configure_file(${SRC} ${OUT} @ONLY)
