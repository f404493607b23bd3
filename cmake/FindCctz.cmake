# FindCctz: always yields the imported target cctz::cctz. Upstream cctz installs a CMake config
# exporting cctz::cctz; Debian 12's libcctz-dev ships only the headers and libcctz.so (no CMake
# config, no pkg-config file), so a plain search covers it.
if(TARGET cctz::cctz)
  set(Cctz_FOUND TRUE)
  return()
endif()

# 1. Upstream's config.
find_package(cctz CONFIG QUIET)
if(TARGET cctz::cctz)
  set(Cctz_FOUND TRUE)
  set(Cctz_VERSION ${cctz_VERSION})
  return()
endif()

# 2. Plain search.
find_path(_cctz_inc NAMES cctz/civil_time.h)
find_library(_cctz_lib NAMES cctz)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Cctz REQUIRED_VARS _cctz_lib _cctz_inc)
if(Cctz_FOUND AND NOT TARGET cctz::cctz)
  add_library(cctz::cctz UNKNOWN IMPORTED)
  set_target_properties(cctz::cctz PROPERTIES IMPORTED_LOCATION "${_cctz_lib}"
                                              INTERFACE_INCLUDE_DIRECTORIES "${_cctz_inc}")
endif()
