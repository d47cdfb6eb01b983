# Debian packages (spec §8), included last from the top-level CMakeLists.txt.
#   cmake --build build && cpack -G DEB --config build/CPackConfig.cmake -B <dir>
# gives <dir>/modelmeter_<ver>_<arch>.deb (component runtime: host, core library, bundled plugins and
# writers, configs, docs, man page) and <dir>/modelmeter-dev_<ver>_<arch>.deb (component dev: SDK headers,
# CMake package config, example plugin sources), and, where the Python module is built (python/),
# <dir>/python3-modelmeter_<ver>_<arch>.deb (component python: the modelmeter package for Debian's python3).
# Only these components are packaged; the tests and their fixtures have no install() rules.

# The man page (hand-written roff, mirrors docs/cli.md).
install(FILES "${CMAKE_CURRENT_LIST_DIR}/modelmeter.1" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1" COMPONENT runtime)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME modelmeter)
set(CPACK_PACKAGE_VENDOR "ModelMeter")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "ModelMeter maintainers <modelmeter@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <name>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

# Runtime dependencies from dpkg-shlibdeps (dpkg-dev). libmodelmeter-core is private to the package
# (/usr/lib, no shlibs file): point shlibdeps at the staged copy so it resolves it instead of failing.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${PROJECT_BINARY_DIR}/${CMAKE_INSTALL_LIBDIR}")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME modelmeter)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION science)
set(CPACK_COMPONENT_RUNTIME_DISPLAY_NAME "ModelMeter")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "analytic performance models of neural networks
ModelMeter tells where a neural network's FLOPs, memory traffic and memory go, and how long it should take
on a given GPU, from closed-form formulas, without running the model. This package holds the modelmeter
command, its core library, the bundled model plugins (DeepSeek-OCR, decoder LLMs from a Hugging Face
config.json, an example transformer), the report
writers (JSON, YAML, Markdown, CSV, HTML) and the bundled workload, hardware and model configs.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME modelmeter-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "modelmeter (= ${PROJECT_VERSION})")
# What building a plugin with the SDK needs (the example uses CMake >= 3.20 and C++17).
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "cmake (>= 3.20), g++ (>= 4:8) | c++-compiler")
set(CPACK_COMPONENT_DEV_DISPLAY_NAME "ModelMeter SDK")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "SDK for ModelMeter plugins
Headers of the ModelMeter plugin C ABI and its header-only C++ layer, the CMake package found by
find_package(ModelMeter CONFIG) (with modelmeter_add_plugin()), and the sources of a complete example
plugin in /usr/share/modelmeter/sdk-example that builds out of tree.")

# The Python module: /usr/lib/python3/dist-packages/modelmeter, for the python3 it was built against.
if(TARGET modelmeter_python)
  list(APPEND CPACK_COMPONENTS_ALL python)
  string(REPLACE "." ";" mm_py_version "${MODELMETER_PYTHON_VERSION}")
  list(GET mm_py_version 1 mm_py_minor)
  math(EXPR mm_py_next "${mm_py_minor} + 1")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-modelmeter)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS
      "modelmeter (= ${PROJECT_VERSION}), python3 (>= ${MODELMETER_PYTHON_VERSION}), python3 (<< 3.${mm_py_next})")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SUGGESTS "python3-pandas")
  set(CPACK_COMPONENT_PYTHON_DISPLAY_NAME "ModelMeter for Python")
  set(CPACK_COMPONENT_PYTHON_DESCRIPTION
    "Python 3 module of ModelMeter (import modelmeter)
The ModelMeter engine from Python: modelmeter.run() returns a report whose summary equals report.json's,
modelmeter.sweep() returns columns (a pandas DataFrame with python3-pandas), with the same plugins, configs,
writers and error messages as the modelmeter command.")
endif()

include(CPack)
