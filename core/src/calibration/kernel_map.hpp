// Leaf ops → kernels (fusion groups), and a node's calibrated time from its kernel (docs/calibration.md).
#pragma once

#include <modelmeter/core/run.hpp>
#include <string>
#include <vector>

namespace modelmeter::core {

// Fills t.kernels (one per node) from the core ops' shapes and the fusion groups the plugin declared. A group
// core cannot fuse (ops of other kinds or shapes) is timed as separate kernels, with a warning naming it.
void map_kernels(StageTree& t, const std::string& plugin_name, std::vector<std::string>& warnings);

// A node's own calibrated time over `steps` steps, given its own roofline time over them (`roofline`: exact,
// summed per step by the engine) and its own forward metrics over them; `shape_time`: the kernel's time when
// already known (StageTree::shape_times).
RooflineTime calibrated_own_time(const Hardware& hw, const Calibration& c, const StageTree::Kernel& k,
                                 const RooflineTime& roofline, const MetricValues& own, uint64_t steps,
                                 const KernelTime* shape_time = nullptr);

}  // namespace modelmeter::core
