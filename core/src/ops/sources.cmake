# Core's generic operators (included by core/CMakeLists.txt).
set(MODELMETER_OPS_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/add.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scaled_dot_product_attention.cpp
  ${CMAKE_CURRENT_LIST_DIR}/collective.cpp
  ${CMAKE_CURRENT_LIST_DIR}/conv2d.cpp
  ${CMAKE_CURRENT_LIST_DIR}/embedding.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gelu.cpp
  ${CMAKE_CURRENT_LIST_DIR}/layer_norm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/linear.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mul.cpp
  ${CMAKE_CURRENT_LIST_DIR}/op_factory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rms_norm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/silu.cpp
  ${CMAKE_CURRENT_LIST_DIR}/softmax.cpp)
