// Core's generic operators, reached by plugins only through mm_host_api::create_op.
#pragma once

#include <modelmeter/abi.h>

#include <modelmeter/core/export.hpp>
#include <span>

namespace modelmeter::core {

// Validates `spec` (every size it reads > 0, unused fields ignored) and creates the op for the stage `ctx`.
// On failure returns a status and a one-line message naming the op kind, the field and the value.
MM_CORE_API mm_status create_op(const mm_stage_context* ctx, const mm_op_spec* spec, mm_layer** out,
                                mm_error* err) noexcept;

// The class tables of every generic op (for `list layers` and the formula pages), in mm_op_kind order.
MM_CORE_API std::span<const mm_layer_class* const> op_classes() noexcept;

}  // namespace modelmeter::core
