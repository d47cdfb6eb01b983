# modelmeter_add_plugin(<name> SOURCES <src>... [OUTPUT_DIRECTORY <dir>])
#
# Builds a ModelMeter plugin: a MODULE library named exactly <name>.so (the registered plugin name), linked
# against the header-only SDK only, with hidden visibility, no undefined symbols, and an export map that
# exports nothing but the entry symbol `modelmeter_plugin_entry`.
include_guard(GLOBAL)

function(modelmeter_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "modelmeter_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ModelMeter::sdk)
  set(map "${CMAKE_CURRENT_BINARY_DIR}/${name}.exports.map")
  file(WRITE "${map}" "{\n  global: modelmeter_plugin_entry;\n  local: *;\n};\n")
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${map}")
  target_link_options(${name} PRIVATE "LINKER:--no-undefined" "LINKER:--version-script=${map}")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
endfunction()
