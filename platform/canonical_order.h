// platform/canonical_order.h - the order of the trace and of its hash
// (docs/trace-format.md, "Order"): within one cycle, events by the rank of
// the agent that emitted them, each agent's in its own order, the cycle's
// violations last in the order they were found.
//
// SystemC runs the processes that are ready in one delta cycle in an order
// of its own (the timed-event queue's), so two builds that simulate the same
// machine may emit one cycle's events of different agents in different
// orders. An agent (a SystemC process: a pCPU's thread, the VT-d request
// engine, a NIC's scheduler, ...) always emits its own events in program
// order. Sorting a cycle by agent rank, stably, gives an order that depends
// on neither; the rank comes from the process's name (natural_less), never
// from which process ran first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/common/invariant.h"
#include "model/common/trace.h"

namespace pisim {

/// Names in natural order: digit runs compare as numbers ("cpu2" < "cpu10"),
/// the rest byte by byte.
bool natural_less(const std::string& a, const std::string& b);

/// One cycle's events, held until the cycle is complete and then handed on in
/// canonical order. Events come in non-decreasing cycle order:
///     if (c.starts_new_cycle(e)) c.drain(out);
///     c.put(e, agent, violation);
/// with `out(event, violation)` receiving each held event in canonical order.
class CanonicalCycle {
public:
    /// Rank after every agent: the violations of a cycle.
    static constexpr std::uint32_t kViolations = ~0u;
    /// Whether `e` is of a later cycle than the events held (drain them first).
    bool starts_new_cycle(const Event& e) const { return !held_.empty() && e.cycle != cycle_; }
    /// Hold `e` of agent rank `agent`.
    void put(const Event& e, std::uint32_t agent, bool violation) {
        PISIM_INVARIANT("platform", e.cycle >= cycle_ && "events come in cycle order");
        PISIM_INVARIANT("platform", held_.empty() || e.cycle == cycle_);
        cycle_ = e.cycle;
        held_.push_back({e, agent, violation});
    }
    /// Hand on the cycle held, in canonical order, and forget it.
    template <typename Out>
    void drain(Out&& out) {
        if (held_.size() > 1) sort();
        for (const Held& h : held_) out(h.e, h.violation);
        held_.clear();
    }

private:
    struct Held {
        Event e;
        std::uint32_t agent;
        bool violation;
    };
    void sort();
    std::vector<Held> held_;  ///< one cycle's, in emission order
    std::uint64_t cycle_ = 0; ///< the cycle held (or last handed on)
};

}  // namespace pisim
