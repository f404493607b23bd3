# resque_set_warnings(<target>): our warning set, -Werror when RESQUE_WERROR, sanitizers when
# RESQUE_SANITIZE. Applied per target so consumers' flags are never touched.
function(resque_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                             -Wno-sign-conversion)
    if(RESQUE_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

if(RESQUE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
if(RESQUE_TSAN)
  if(RESQUE_SANITIZE)
    message(FATAL_ERROR "RESQUE_TSAN and RESQUE_SANITIZE cannot be combined")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
