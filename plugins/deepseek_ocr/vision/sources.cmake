# The SAM ViT-B and CLIP-L vision encoder layer classes and the projector.
set(DSOCR_VISION_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/attention.cpp
  ${CMAKE_CURRENT_LIST_DIR}/block.cpp
  ${CMAKE_CURRENT_LIST_DIR}/clip_vision_embeddings.cpp
  ${CMAKE_CURRENT_LIST_DIR}/image_encoder_vit.cpp
  ${CMAKE_CURRENT_LIST_DIR}/layer_norm2d.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mlp_block.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mlp_projector.cpp
  ${CMAKE_CURRENT_LIST_DIR}/notp_attention.cpp
  ${CMAKE_CURRENT_LIST_DIR}/notp_feed_forward.cpp
  ${CMAKE_CURRENT_LIST_DIR}/notp_transformer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/notp_transformer_block.cpp
  ${CMAKE_CURRENT_LIST_DIR}/patch_embed.cpp
  ${CMAKE_CURRENT_LIST_DIR}/vit_model.cpp)
