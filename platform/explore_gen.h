// platform/explore_gen.h - random but valid race scenarios for `pisim explore`.
//
// A case is a complete scenario document drawn from one 64-bit seed: the
// machine (pCPUs, APIC mode, irq mode, the per-pCPU interrupt source), 1-4
// domains of vCPUs with guest programs built from every guest op (compute,
// halt, cli, tpr, self_ipi, ipi, napi_poll), devices of every kind (guest
// NICs with constant, Poisson and burst traffic, a host-owned device, and in
// hostile cases devices that forge or spoof their MSI writes), a sequence of
// timed events of every op, and timing perturbations (Perturbation,
// scenario.h). Its expectations are empty (`all_delivered: false`): a case is
// judged by the oracles alone.
//
// The generator keeps the scenario meaningful, not just loadable: a guest
// that raises its TPR or disables interrupts lowers it again within the same
// program; a pCPU goes offline only while another stays online; a device is
// re-bound only while assigned, to a vCPU of its domain; a hostile device never
// both copies another device's message and forges that device's requester ID
// (VT-d cannot tell that apart, the isolation oracle would rightly fire: see
// scenarios/security/forged-victim-identity.yaml).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "platform/pi_coverage.h"

namespace pisim {

struct GenConfig {
    enum class Size { Small, Medium, Large } size = Size::Medium;
    /// irq modes to draw from (emulated, apicv, cpu-pi, vtd-pi).
    std::vector<std::string> modes = {"emulated", "apicv", "cpu-pi", "vtd-pi"};
};

/// Parse small|medium|large; throws std::invalid_argument.
GenConfig::Size parse_size(const std::string& s);
const char* size_name(GenConfig::Size s);

/// The scenario of a fresh case.
YAML::Node generate_case(const GenConfig& cfg, std::uint64_t seed);

/// A case derived from `parent` (a case that added coverage): the same
/// machine and workload with its event cycles and perturbations moved, and,
/// when `target` names a conflicting-access pair, a perturbation that holds
/// the pair's first agent just past the second access so the pair may happen
/// in the other order.
YAML::Node mutate_case(const YAML::Node& parent, std::uint64_t seed, const PairInstance* target);

/// splitmix64: the seed of case `index` of an exploration seeded `seed`.
std::uint64_t case_seed(std::uint64_t seed, std::uint64_t index);

}  // namespace pisim
