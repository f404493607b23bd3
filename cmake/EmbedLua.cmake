# cmake -DOUT=<header> -DFILES=<a.lua|b.lua> -P EmbedLua.cmake
# Writes one header with `inline constexpr const char* lua_<name> = R"lua(...)lua";` per file.
set(content "// Generated from src/lua/*.lua by cmake/EmbedLua.cmake. Do not edit.\n#pragma once\n")
string(APPEND content "namespace resque::lua {\n")
string(REPLACE "|" ";" FILES "${FILES}")
foreach(f IN LISTS FILES)
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" body)
  string(APPEND content "inline constexpr const char* ${name} = R\"lua(${body})lua\";\n")
endforeach()
string(APPEND content "}  // namespace resque::lua\n")
file(WRITE "${OUT}.tmp" "${content}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
