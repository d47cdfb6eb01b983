# Debian packages (spec §8), included last from the top-level CMakeLists.txt.
#   cmake --build build && cpack -G DEB --config build/CPackConfig.cmake -B <dir>
# gives <dir>/modelmeter_<ver>-<rev>_<arch>.deb (component runtime: host, core library, bundled plugins and
# writers, configs, docs, man pages) and <dir>/modelmeter-dev_<ver>-<rev>_<arch>.deb (component dev: SDK
# headers, CMake package config, example plugin sources). lintian reports no errors on either
# (tests/packaging/test_deb.sh); the warnings left: package-name-doesnt-match-sonames (the library is not in
# a package of its own), maintscript-calls-ldconfig (CPack writes that postinst/postrm whenever a library is in
# /usr/lib; the trigger makes it redundant), initial-upload-closes-no-bugs (not an upload to Debian). Where the Python module is built (python/),
# <dir>/python3-modelmeter_<ver>-<rev>_<arch>.deb (component python). Only these components are packaged; the
# tests and their fixtures have no install() rules.

# Debian revision: the packages are <project version>-<revision> (changelog.Debian.gz gives the same version).
set(MODELMETER_DEB_REVISION 1)
set(MODELMETER_DEB_VERSION "${PROJECT_VERSION}-${MODELMETER_DEB_REVISION}")

# What Debian policy wants in every package, checked by lintian in tests/packaging/test_deb.sh: a copyright
# file and a Debian changelog in /usr/share/doc/<package>, and man pages (one per executable) compressed with
# gzip -9n (no name or time stamp in the header, so the bytes do not depend on when they were built).
set(mm_deb_dir "${PROJECT_BINARY_DIR}/packaging")
configure_file("${CMAKE_CURRENT_LIST_DIR}/debian/changelog.in" "${mm_deb_dir}/changelog" @ONLY)
find_program(MODELMETER_GZIP gzip REQUIRED)
set(mm_deb_gz_files)
foreach(pair "${mm_deb_dir}/changelog|${mm_deb_dir}/changelog.Debian.gz"
             "${CMAKE_CURRENT_LIST_DIR}/modelmeter.1|${mm_deb_dir}/modelmeter.1.gz"
             "${CMAKE_CURRENT_LIST_DIR}/modelmeter-serve.1|${mm_deb_dir}/modelmeter-serve.1.gz")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 in)
  list(GET pair 1 out)
  add_custom_command(OUTPUT "${out}"
    COMMAND sh -c "\"$1\" -9nc \"$2\" > \"$3\"" sh "${MODELMETER_GZIP}" "${in}" "${out}"
    DEPENDS "${in}"
    VERBATIM)
  list(APPEND mm_deb_gz_files "${out}")
endforeach()
add_custom_target(modelmeter_debian_files ALL DEPENDS ${mm_deb_gz_files})
install(FILES "${mm_deb_dir}/modelmeter.1.gz" "${mm_deb_dir}/modelmeter-serve.1.gz"
  DESTINATION "${CMAKE_INSTALL_MANDIR}/man1" COMPONENT runtime)
install(FILES "${CMAKE_CURRENT_LIST_DIR}/debian/copyright" "${mm_deb_dir}/changelog.Debian.gz"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/modelmeter" COMPONENT runtime)
install(FILES "${CMAKE_CURRENT_LIST_DIR}/debian/copyright" "${mm_deb_dir}/changelog.Debian.gz"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/modelmeter-dev" COMPONENT dev)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME modelmeter)
set(CPACK_PACKAGE_VENDOR "ModelMeter")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_DEBIAN_PACKAGE_RELEASE "${MODELMETER_DEB_REVISION}")
# CPack's own default, so that CPackDeb does not put it before each component's description, whose first line
# is that package's synopsis (else lintian: description-synopsis-is-duplicated).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGE_CONTACT "ModelMeter maintainers <modelmeter@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Folders 0755 whatever the umask of whoever builds (lintian: non-standard-dir-perm).
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <name>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

# Runtime dependencies from dpkg-shlibdeps (dpkg-dev); it resolves libmodelmeter-core from the build tree.
# libmodelmeter-core (in the multiarch folder, /usr/lib/<triplet>) gets a shlibs file, and the package an
# ldconfig trigger instead of CPack's postinst/postrm that call ldconfig.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${PROJECT_BINARY_DIR}/${MODELMETER_LIBDIR}")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA "${CMAKE_CURRENT_LIST_DIR}/debian/triggers")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME modelmeter)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION science)
# /usr/share/modelmeter/tools/measure_kernels.py (docs/measuring.md) runs with Python and PyTorch.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "python3, python3-torch")
set(CPACK_COMPONENT_RUNTIME_DISPLAY_NAME "ModelMeter")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "analytic performance models of neural networks
ModelMeter tells where a neural network's FLOPs, memory traffic and
memory go, and how long it should take on a given GPU, from closed-form
formulas, without running the model. This package holds the modelmeter
command, its core library, the bundled model plugins (DeepSeek-OCR,
decoder LLMs from a Hugging Face config.json, an example transformer),
the report writers (JSON, YAML, Markdown, CSV, HTML) and the bundled
workload, hardware and model configs.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME modelmeter-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "modelmeter (= ${MODELMETER_DEB_VERSION})")
# What building a plugin with the SDK needs (the example uses CMake >= 3.20 and C++17).
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "cmake (>= 3.20), g++ (>= 4:8) | c++-compiler")
set(CPACK_COMPONENT_DEV_DISPLAY_NAME "ModelMeter SDK")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "SDK for ModelMeter plugins
Headers of the ModelMeter plugin C ABI (the current one, and a frozen
copy of every older ABI version the host still loads) and its
header-only C++ layer, the CMake package found by
find_package(ModelMeter CONFIG) (with modelmeter_add_plugin()), and the
sources of a complete example plugin in
/usr/share/modelmeter/sdk-example that builds out of tree.")

# The Python module: /usr/lib/python3/dist-packages/modelmeter, for the python3 it was built against.
if(TARGET modelmeter_python)
  list(APPEND CPACK_COMPONENTS_ALL python)
  string(REPLACE "." ";" mm_py_version "${MODELMETER_PYTHON_VERSION}")
  list(GET mm_py_version 1 mm_py_minor)
  math(EXPR mm_py_next "${mm_py_minor} + 1")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-modelmeter)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS
      "modelmeter (= ${MODELMETER_DEB_VERSION}), python3 (>= ${MODELMETER_PYTHON_VERSION}), python3 (<< 3.${mm_py_next})")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SUGGESTS "python3-pandas")
  set(CPACK_COMPONENT_PYTHON_DISPLAY_NAME "ModelMeter for Python")
  set(CPACK_COMPONENT_PYTHON_DESCRIPTION
    "Python 3 module of ModelMeter (import modelmeter)
The ModelMeter engine from Python: modelmeter.run() returns a report whose summary equals report.json's,
modelmeter.sweep() returns columns (a pandas DataFrame with python3-pandas), with the same plugins, configs,
writers and error messages as the modelmeter command.")
endif()

include(CPack)
