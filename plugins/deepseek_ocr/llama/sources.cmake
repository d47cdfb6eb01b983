# The llama layer classes (DeepSeek-OCR's decoder runs Hugging Face's Llama attention and RoPE).
set(DSOCR_LLAMA_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/llama_flash_attention2.cpp
  ${CMAKE_CURRENT_LIST_DIR}/llama_rotary_embedding.cpp)
