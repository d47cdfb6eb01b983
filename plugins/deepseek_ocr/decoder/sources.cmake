# The DeepSeek-V2 decoder layer classes.
set(DSOCR_DECODER_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/deepseek_v2_decoder_layer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deepseek_v2_flash_attention2.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deepseek_v2_mlp.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deepseek_v2_moe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deepseek_v2_rms_norm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/moe_gate.cpp)
