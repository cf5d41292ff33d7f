// model/vtd/iec.h - the interrupt entry cache (IEC) [VTD 6.5.2.7, 9.10].
//
// Holds whole IRTEs by interrupt index. Capacity from the timing profile
// (vtd.iec_entries; 0 = no cache). Replacement is least-recently-used by an
// access sequence number, so it is deterministic. Entries leave the cache
// only by replacement or by an IEC invalidation descriptor (global, or
// index-selective over 2^IM entries); writes to the table in memory are not
// snooped, as on hardware.
#pragma once

#include <cstdint>
#include <map>

#include "model/vtd/irte.h"

namespace pisim {
namespace vtd {

class InterruptEntryCache {
public:
    /// `capacity` entries (0 disables caching: every lookup misses).
    explicit InterruptEntryCache(std::uint32_t capacity);

    /// Look up `index`; on a hit copy the cached IRTE into `out`, make the
    /// entry most recently used and return true.
    bool lookup(std::uint32_t index, Irte& out);
    /// Insert (or refresh) the IRTE for `index`, evicting the least recently
    /// used entry when full.
    void fill(std::uint32_t index, const Irte& irte);
    /// Global invalidation: drop every entry [VTD 6.5.2.7, G=0].
    void invalidate_global();
    /// Index-selective invalidation [VTD 6.5.2.7, G=1]: drop the 2^im entries
    /// whose index equals iidx in all bits above the low `im` bits (im 0..16).
    /// Returns the number of entries dropped.
    std::uint32_t invalidate_index(std::uint32_t iidx, std::uint32_t im);

    std::uint32_t capacity() const { return capacity_; }
    std::uint32_t size() const { return static_cast<std::uint32_t>(by_index_.size()); }
    bool contains(std::uint32_t index) const { return by_index_.count(index) != 0; }

private:
    struct Entry {
        Irte irte;
        std::uint64_t last_use;  // key in lru_
    };
    void touch(std::uint32_t index, Entry& e);

    std::uint32_t capacity_;
    std::uint64_t seq_ = 0;
    std::map<std::uint32_t, Entry> by_index_;
    std::map<std::uint64_t, std::uint32_t> lru_;  // last_use -> index, oldest first
};

}  // namespace vtd
}  // namespace pisim
