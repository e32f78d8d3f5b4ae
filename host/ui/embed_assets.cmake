# cmake -DUI_DIR=<host/ui> -DOUTPUT=<file.cpp> -P embed_assets.cmake
# Writes the definitions behind admin_page_assets.hpp: each file's bytes as
# a hex array (no quoting or delimiter to get wrong), with its URL path and
# content type.
set(_paths "/" "/ui/app.js" "/ui/app.css")
set(_files index.html app.js app.css)
# Media types only: a ";" would split the CMake list (admin_page.cpp adds the charset).
set(_types "text/html" "text/javascript" "text/css")

set(_out "// Generated from host/ui/ by embed_assets.cmake at build time; do not edit.\n")
string(APPEND _out "#include \"host/ui/admin_page_assets.hpp\"\n\nnamespace sb::host::ui {\nnamespace {\n")
set(_table "")
foreach(i RANGE 0 2)
  list(GET _paths ${i} _path)
  list(GET _files ${i} _file)
  list(GET _types ${i} _type)
  file(READ ${UI_DIR}/${_file} _hex HEX)
  string(LENGTH "${_hex}" _hex_length)
  math(EXPR _size "${_hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
  string(APPEND _out "const unsigned char file${i}[${_size} + 1] = {\n  ${_bytes}0x00};\n")
  string(APPEND _table "    {\"${_path}\", \"${_type}\", {reinterpret_cast<const char *>(file${i}), ${_size}}},\n")
endforeach()
string(APPEND _out "const Asset table[] = {\n${_table}};\n}  // namespace\n\n")
string(APPEND _out "std::span<const Asset> assets() { return table; }\n\n}  // namespace sb::host::ui\n")
file(WRITE ${OUTPUT} "${_out}")
