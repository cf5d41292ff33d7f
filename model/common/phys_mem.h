// model/common/phys_mem.h - machine memory shared by the CPU, the hypervisor
// (through the port) and DMA agents (the VT-d unit's IRTE fetch and PID posting).
//
// Untimed: whoever accesses memory charges its own latency from the timing
// profile. Accesses are indivisible because SystemC processes do not preempt
// each other; an atomic read-modify-write is a read and a write with no wait()
// in between. Watches let the platform observe writes to ranges it cares about
// (posted-interrupt descriptors) whoever the writer is.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

namespace pisim {

class PhysMem {
public:
    static constexpr std::uint64_t kPageSize = 4096;

    /// Raised on an access outside every mapped region.
    struct BusError : std::runtime_error {
        explicit BusError(std::uint64_t pa);
        std::uint64_t pa;
    };

    /// Map `size` bytes of zeroed RAM at `base` (both 4 KiB aligned).
    void map_ram(std::uint64_t base, std::uint64_t size);
    /// True when [pa, pa+len) is mapped RAM.
    bool is_ram(std::uint64_t pa, std::uint64_t len) const;

    std::uint32_t read32(std::uint64_t pa) const;
    std::uint64_t read64(std::uint64_t pa) const;
    void write32(std::uint64_t pa, std::uint32_t v);
    void write64(std::uint64_t pa, std::uint64_t v);
    /// Copy `len` bytes out of / into memory (may cross pages).
    void read(std::uint64_t pa, void* dst, std::size_t len) const;
    void write(std::uint64_t pa, const void* src, std::size_t len);

    /// Called after a write that touches [base, base+len) of a watch with the
    /// address written and its length.
    using WatchFn = std::function<void(std::uint64_t pa, std::size_t len)>;
    /// Watch [base, base+len); watches must not overlap.
    void watch(std::uint64_t base, std::uint64_t len, WatchFn fn);

    /// Who is writing, for watches: every agent sets itself before its writes.
    enum class Agent : std::uint8_t { Vtd = 0, Cpu = 1, Software = 2, Device = 3 };
    void set_agent(Agent a) { agent_ = a; }
    Agent agent() const { return agent_; }

private:
    struct Region;
    std::uint8_t* at(std::uint64_t pa, std::size_t len) {
        return const_cast<std::uint8_t*>(static_cast<const PhysMem*>(this)->at(pa, len));
    }
    /// Host address of [pa, pa+len); BusError unless it lies in one region.
    /// The region of the previous access is tried first (RAM is normally
    /// one region, so the map is searched only on a miss).
    const std::uint8_t* at(std::uint64_t pa, std::size_t len) const {
        const Region* r = last_region_;
        if (r && pa >= r->base && len <= r->size && pa - r->base <= r->size - len) return r->bytes.get() + (pa - r->base);
        return at_search(pa, len);
    }
    const std::uint8_t* at_search(std::uint64_t pa, std::size_t len) const;
    void notify(std::uint64_t pa, std::size_t len);

    struct Region {
        std::uint64_t base, size;
        /// calloc'd: the kernel maps zero pages on demand, so a large RAM
        /// costs only what is touched (a sweep forks one process per point).
        std::unique_ptr<std::uint8_t, void (*)(void*)> bytes;
    };
    std::map<std::uint64_t, Region> regions_;  // by base
    struct Watch {
        std::uint64_t len;
        WatchFn fn;
    };
    std::map<std::uint64_t, Watch> watches_;  // by base
    mutable const Region* last_region_ = nullptr;
    /// The watch of the previous notification: a write whose last byte lies
    /// in it belongs to it (watches do not overlap), without a map search.
    const Watch* last_watch_ = nullptr;
    std::uint64_t last_watch_base_ = 0;
    Agent agent_ = Agent::Software;
};

}  // namespace pisim
