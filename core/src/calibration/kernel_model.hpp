// The calibrated matmul time split in two (core-internal): the tile and wave counts of a shape, which no fitted
// parameter changes, and the time from them. kernel_time runs both; the fit (fit.cpp) counts the tiles of each
// measured row once and re-times the rows for every trial of the parameters.
#pragma once

#include <array>
#include <cstddef>
#include <modelmeter/core/calibration.hpp>

namespace modelmeter::core {

inline constexpr std::size_t kMatmulTiles = 7;

struct MatmulTiles {
  bool counted = false;                      // m, n and k known: the time is counted in waves of output tiles
  std::array<double, kMatmulTiles> waves{};  // waves of the tile shape over the SMs
  std::array<double, kMatmulTiles> work{};   // tile rows × columns × 2k × SMs: the FLOPs of one full wave
};

// Throws InputError where the shape needs [chip] sm_count and the profile lacks it.
MatmulTiles matmul_tiles(const Hardware& hw, const KernelShape& s);
KernelTime matmul_time(const Hardware& hw, const MatmulParams& p, const KernelShape& s, const MatmulTiles& tiles);

}  // namespace modelmeter::core
