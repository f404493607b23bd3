# cmake -DOUT=<header> -DFILES=<a.lua|b.lua> -DINCLUDES=<dir> -P EmbedLua.cmake
# Writes one header with, per script file,
#   namespace resque::lua     { inline constexpr const char* <name> = R"lua(...)lua"; }
#   namespace resque::scripts { inline const Script& <name>(); }   (created once, shared)
# so the list of scripts is the folder's content, not a list kept by hand. A line
#   --- @include "name"
# is replaced by the text of <INCLUDES>/name.lua (shared Lua functions, as BullMQ's
# commands/includes do), so one piece of Lua (the worker teardown) serves several scripts.
set(content "// Generated from src/lua/*.lua by cmake/EmbedLua.cmake. Do not edit.\n#pragma once\n")
string(APPEND content "#include \"resque/connection.hpp\"\n\nnamespace resque::lua {\n")
set(accessors "")
string(REPLACE "|" ";" FILES "${FILES}")
foreach(f IN LISTS FILES)
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" body)
  string(REGEX MATCHALL "--- @include \"[a-z_]+\"" incs "${body}")
  foreach(inc IN LISTS incs)
    string(REGEX REPLACE "--- @include \"([a-z_]+)\"" "\\1" inc_name "${inc}")
    if(NOT EXISTS "${INCLUDES}/${inc_name}.lua")
      message(FATAL_ERROR "${f}: included file ${INCLUDES}/${inc_name}.lua does not exist")
    endif()
    file(READ "${INCLUDES}/${inc_name}.lua" inc_body)
    string(REPLACE "${inc}" "${inc_body}" body "${body}")
  endforeach()
  string(APPEND content "inline constexpr const char* ${name} = R\"lua(${body})lua\";\n")
  string(APPEND accessors "inline const Script& ${name}() {\n  static const Script s(lua::${name});\n  return s;\n}\n")
endforeach()
string(APPEND content "}  // namespace resque::lua\n\n")
string(APPEND content "// One Script object per file, created on first use.\nnamespace resque::scripts {\n${accessors}}  // namespace resque::scripts\n")
file(WRITE "${OUT}.tmp" "${content}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
