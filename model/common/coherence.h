// model/common/coherence.h - what a memory access costs beyond an L1 hit when
// several agents share the line: a MESI-like directory per 64-byte line.
//
// Agents are the cores (0..63: a pCPU, in root or non-root operation alike)
// and the I/O side (the remapping unit's reads and posting writes). A line
// is either modified by one agent (its owner) or clean in a set of sharers:
//
//   access by A            line state                  cost          after
//   read                   A owns it or shares it      0 (hit)       unchanged
//                          modified by core B          core_to_core  shared {A, B}
//                          modified by the I/O side    io_to_core    shared {A, I/O}
//                          nobody holds it             llc_hit       shared {A}
//   write / RMW            A owns it                   0 (hit)       unchanged
//                          modified by core B          core_to_core  owned by A
//                          modified by the I/O side    io_to_core    owned by A
//                          clean in others             invalidate    owned by A
//                          A is the only sharer        0 (E to M)    owned by A
//                          nobody holds it             llc_hit       owned by A
//   (I/O side as A: core_to_io where a core held the line, llc_hit else)
//
// The figures are the profile's `coherence.*` costs, in core cycles. What the
// model leaves out: capacity (a line stays in a cache for ever), the
// distance between cores on the mesh or ring, hyper-threads, prefetching.
// Deterministic: the state depends only on the order of accesses.
#pragma once

#include <cstdint>
#include <unordered_map>

namespace pisim {

/// Coherence costs in core cycles (timing profile, "coherence.*").
struct CoherenceTiming {
    std::uint64_t llc_hit = 0;       ///< a line no core holds, from the last-level cache
    std::uint64_t core_to_core = 0;  ///< a line modified in another core's cache (HITM)
    std::uint64_t invalidate = 0;    ///< a write to a line clean in other cores (snoop, invalidate)
    std::uint64_t io_to_core = 0;    ///< a line last written by the I/O side (remapping unit, DMA)
    std::uint64_t core_to_io = 0;    ///< the I/O side's access to a line a core holds
};

class Coherence {
public:
    enum class Kind : std::uint8_t { Read, Write, Rmw };
    /// A core (pCPU index, 0..63) or the I/O side.
    using Agent = std::uint8_t;
    static constexpr Agent kIo = 64;
    static constexpr std::uint32_t kLineBytes = 64;

    explicit Coherence(const CoherenceTiming& t) : t_(t) {}

    /// Cycles beyond an L1 hit for `a`'s access of kind `k` to the line of
    /// `key` (a machine physical address, or a host address of hypervisor
    /// data with bit 63 set: line_key()), and the line's new state.
    std::uint64_t access(Agent a, std::uint64_t key, Kind k);

    /// The line key of machine physical address `pa`.
    static constexpr std::uint64_t machine_line(std::uint64_t pa) { return pa / kLineBytes; }
    /// The line key of hypervisor data at host address `addr`.
    static std::uint64_t host_line(std::uintptr_t addr) {
        return (1ull << 63) | (static_cast<std::uint64_t>(addr) / kLineBytes);
    }

    /// Accesses that were not hits (statistics).
    std::uint64_t transfers() const { return transfers_; }

private:
    static constexpr std::int8_t kNone = -1;
    struct Line {
        std::int8_t owner = kNone;  ///< modified by this agent (0..63 core, 64 I/O); kNone: clean
        std::uint64_t sharers = 0;  ///< cores holding it clean
        bool io_sharer = false;     ///< the I/O side holds it clean
    };
    CoherenceTiming t_;
    std::unordered_map<std::uint64_t, Line> lines_;
    std::uint64_t transfers_ = 0;
};

}  // namespace pisim
