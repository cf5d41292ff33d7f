// model/vtd/iec.cpp - the interrupt entry cache [VTD 6.5.2.7].
#include "model/vtd/iec.h"

#include <cassert>

namespace pisim {
namespace vtd {

InterruptEntryCache::InterruptEntryCache(std::uint32_t capacity) : capacity_(capacity) {}

void InterruptEntryCache::touch(std::uint32_t index, Entry& e) {
    lru_.erase(e.last_use);
    e.last_use = ++seq_;
    lru_.emplace(e.last_use, index);
}

bool InterruptEntryCache::lookup(std::uint32_t index, Irte& out) {
    auto it = by_index_.find(index);
    if (it == by_index_.end()) return false;
    touch(index, it->second);
    out = it->second.irte;
    return true;
}

void InterruptEntryCache::fill(std::uint32_t index, const Irte& irte) {
    if (capacity_ == 0) return;
    auto it = by_index_.find(index);
    if (it != by_index_.end()) {
        it->second.irte = irte;
        touch(index, it->second);
        return;
    }
    if (by_index_.size() >= capacity_) {
        auto victim = lru_.begin();
        by_index_.erase(victim->second);
        lru_.erase(victim);
    }
    Entry e{irte, ++seq_};
    lru_.emplace(e.last_use, index);
    by_index_.emplace(index, e);
    assert(by_index_.size() == lru_.size() && by_index_.size() <= capacity_);
}

void InterruptEntryCache::invalidate_global() {
    by_index_.clear();
    lru_.clear();
}

std::uint32_t InterruptEntryCache::invalidate_index(std::uint32_t iidx, std::uint32_t im) {
    assert(im <= 16);
    const std::uint32_t first = iidx & ~((1u << im) - 1);
    const std::uint32_t last = first + (1u << im) - 1;
    std::uint32_t dropped = 0;
    for (auto it = by_index_.lower_bound(first); it != by_index_.end() && it->first <= last;) {
        lru_.erase(it->second.last_use);
        it = by_index_.erase(it);
        ++dropped;
    }
    assert(by_index_.size() == lru_.size());
    return dropped;
}

}  // namespace vtd
}  // namespace pisim
