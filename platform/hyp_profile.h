// platform/hyp_profile.h - where the hypervisor's cycles go: per handler (from
// the handler enter/exit events), per function (from the basic-block charging,
// docs/design.md, "Time"), and the wakeup latency of blocked vCPUs. The
// CI gate (pisim check) compares these with a baseline.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/common/trace.h"

namespace pisim {

struct HandlerStats {
    std::uint64_t count = 0, total = 0, max = 0;  ///< invocations, cycles
};

class HypProfile {
public:
    void on_event(const Event& e);

    /// By handler id (hyp/include/hyp/trace.h enum hyp_handler).
    const std::map<std::uint32_t, HandlerStats>& handlers() const { return handlers_; }
    /// Cycles from a post to a blocked vCPU until that vCPU is runnable.
    const std::vector<std::uint64_t>& wakeups() const { return wakeups_; }

    /// Basic-block cycles by code address (filled by the port when enabled).
    std::unordered_map<std::uintptr_t, std::uint64_t> bb_cycles;
    bool attribute = false;

    /// bb_cycles summed by function name, symbolized from the running
    /// process's symbol tables (static functions included).
    std::map<std::string, std::uint64_t> function_cycles() const;

private:
    std::map<std::uint32_t, HandlerStats> handlers_;
    std::map<std::uint32_t, std::vector<std::pair<std::uint32_t, std::uint64_t>>> stack_;  // by pCPU
    std::map<std::uint32_t, std::uint32_t> state_;         // vCPU -> enum hyp_vcpu_state
    std::map<std::uint32_t, std::uint64_t> posted_blocked_;  // vCPU -> first post while blocked
    std::map<std::uint64_t, std::uint32_t> pid_owner_;
    std::vector<std::uint64_t> wakeups_;

public:
    void set_pid_owner(std::uint64_t pid, std::uint32_t vcpu) { pid_owner_[pid] = vcpu; }
};

/// Name of a hypervisor handler id (enum hyp_handler).
const char* hyp_handler_name(std::uint32_t id);

}  // namespace pisim
