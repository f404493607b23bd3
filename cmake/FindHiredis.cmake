# FindHiredis: always yields the imported target hiredis::hiredis, whichever way hiredis is
# installed: upstream's CMake config (1.x exports hiredis::hiredis), Debian 0.14's config (which
# only sets HIREDIS_INCLUDE_DIRS / HIREDIS_LIBRARIES), pkg-config, or a plain library search.
if(TARGET hiredis::hiredis)
  set(Hiredis_FOUND TRUE)
  return()
endif()

# 1. Upstream hiredis >= 1.0 installs hiredis-config.cmake with hiredis::hiredis.
find_package(hiredis CONFIG QUIET)
if(TARGET hiredis::hiredis)
  set(Hiredis_FOUND TRUE)
  set(Hiredis_VERSION ${hiredis_VERSION})
  return()
endif()

# 2. Debian's 0.14 HiredisConfig.cmake: variables only. Its version file fails unless a version
#    is requested. find_package sets Hiredis_VERSION from it (PACKAGE_VERSION is not visible here).
find_package(Hiredis 0.14 CONFIG QUIET NAMES Hiredis)
if(HIREDIS_INCLUDE_DIRS AND HIREDIS_LIBRARIES)
  set(_hiredis_inc ${HIREDIS_INCLUDE_DIRS})
  set(_hiredis_lib ${HIREDIS_LIBRARIES})
endif()

# 3. pkg-config.
if(NOT _hiredis_lib)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(PC_HIREDIS QUIET hiredis)
    if(PC_HIREDIS_FOUND)
      set(Hiredis_VERSION ${PC_HIREDIS_VERSION})
    endif()
  endif()
endif()

# 4. Plain search (also fills in what pkg-config found).
if(NOT _hiredis_lib)
  # hiredis.pc's includedir is <prefix>/include/hiredis for 0.14 and <prefix>/include for 1.x;
  # we include <hiredis/hiredis.h>, so look in its parent too.
  find_path(_hiredis_inc NAMES hiredis/hiredis.h
            HINTS ${PC_HIREDIS_INCLUDEDIR} ${PC_HIREDIS_INCLUDEDIR}/.. ${PC_HIREDIS_INCLUDE_DIRS})
  find_library(_hiredis_lib NAMES hiredis HINTS ${PC_HIREDIS_LIBDIR} ${PC_HIREDIS_LIBRARY_DIRS})
endif()

if(NOT Hiredis_VERSION AND _hiredis_inc AND EXISTS "${_hiredis_inc}/hiredis/hiredis.h")
  file(STRINGS "${_hiredis_inc}/hiredis/hiredis.h" _hiredis_defs
       REGEX "^#define HIREDIS_(MAJOR|MINOR|PATCH) [0-9]+")
  foreach(_part IN ITEMS MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*#define HIREDIS_${_part} ([0-9]+).*" "\\1" _hiredis_${_part}
                         "${_hiredis_defs}")
  endforeach()
  set(Hiredis_VERSION "${_hiredis_MAJOR}.${_hiredis_MINOR}.${_hiredis_PATCH}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Hiredis REQUIRED_VARS _hiredis_lib _hiredis_inc
                                  VERSION_VAR Hiredis_VERSION)
if(Hiredis_FOUND AND NOT TARGET hiredis::hiredis)
  add_library(hiredis::hiredis UNKNOWN IMPORTED)
  set_target_properties(hiredis::hiredis PROPERTIES IMPORTED_LOCATION "${_hiredis_lib}"
                                                    INTERFACE_INCLUDE_DIRECTORIES "${_hiredis_inc}")
endif()
