// model/common/coherence.cpp - see coherence.h.
#include "model/common/coherence.h"

#include <cassert>

namespace pisim {

std::uint64_t Coherence::access(Agent a, std::uint64_t key, Kind k) {
    assert(a <= kIo && "an agent is a core 0..63 or the I/O side");
    Line& l = lines_[key];
    const bool io = a == kIo;
    const std::uint64_t me = io ? 0 : 1ull << a;
    const bool i_share = io ? l.io_sharer : (l.sharers & me) != 0;
    const auto from_owner = [&](std::int8_t owner) -> std::uint64_t {
        if (io) return t_.core_to_io;              // the owner is a core
        return owner == kIo ? t_.io_to_core : t_.core_to_core;
    };

    std::uint64_t cost = 0;
    if (k == Kind::Read) {
        if (l.owner == static_cast<std::int8_t>(a) || (l.owner == kNone && i_share)) return 0;
        if (l.owner != kNone) {
            cost = from_owner(l.owner);
            if (l.owner == kIo) l.io_sharer = true;
            else l.sharers |= 1ull << l.owner;
            l.owner = kNone;
        } else {
            cost = io ? (l.sharers ? t_.core_to_io : t_.llc_hit) : t_.llc_hit;
        }
        if (io) l.io_sharer = true;
        else l.sharers |= me;
    } else {
        if (l.owner == static_cast<std::int8_t>(a)) return 0;
        if (l.owner != kNone) {
            cost = from_owner(l.owner);
        } else {
            const bool others = (l.sharers & ~me) != 0 || (!io && l.io_sharer);
            if (others) cost = io ? t_.core_to_io : t_.invalidate;
            else if (!i_share) cost = t_.llc_hit;
        }
        l.owner = static_cast<std::int8_t>(a);
        l.sharers = 0;
        l.io_sharer = false;
    }
    if (cost) ++transfers_;
    return cost;
}

}  // namespace pisim
