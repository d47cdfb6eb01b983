# Debian packages (spec §8), included last from the top-level CMakeLists.txt.
#   cmake --build build && cpack -G DEB --config build/CPackConfig.cmake -B <dir>
# gives <dir>/modelmeter_<ver>_<arch>.deb (component runtime: host, core library, bundled plugins and
# writers, configs, docs, man page) and <dir>/modelmeter-dev_<ver>_<arch>.deb (component dev: SDK headers,
# CMake package config, example plugin sources). Only the runtime and dev components are packaged; the
# tests and their fixtures have no install() rules.

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
# /usr/share/modelmeter/tools/measure_kernels.py (docs/measuring.md) runs with Python and PyTorch.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "python3, python3-torch")
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

include(CPack)
