#include "phys_mem.h"

#include <cassert>
#include <cstdlib>
#include <new>
#include <string>

namespace pisim {

PhysMem::BusError::BusError(std::uint64_t a)
    : std::runtime_error("machine memory access outside RAM at 0x" + [](std::uint64_t v) {
          char b[20];
          std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
          return std::string(b);
      }(a)),
      pa(a) {}

void PhysMem::map_ram(std::uint64_t base, std::uint64_t size) {
    assert(base % kPageSize == 0 && size % kPageSize == 0 && size > 0);
    assert(!is_ram(base, 1) && !is_ram(base + size - 1, 1));
    auto* p = static_cast<std::uint8_t*>(std::calloc(size, 1));
    if (!p) throw std::bad_alloc();
    regions_.emplace(base, Region{base, size, {p, std::free}});
}

bool PhysMem::is_ram(std::uint64_t pa, std::uint64_t len) const {
    auto it = regions_.upper_bound(pa);
    if (it == regions_.begin()) return false;
    --it;
    const Region& r = it->second;
    return pa >= r.base && len <= r.size && pa - r.base <= r.size - len;
}

const std::uint8_t* PhysMem::at_search(std::uint64_t pa, std::size_t len) const {
    auto it = regions_.upper_bound(pa);
    if (it == regions_.begin()) throw BusError(pa);
    --it;
    const Region& r = it->second;
    if (pa < r.base || len > r.size || pa - r.base > r.size - len) throw BusError(pa);
    last_region_ = &r;
    return r.bytes.get() + (pa - r.base);
}

std::uint32_t PhysMem::read32(std::uint64_t pa) const {
    std::uint32_t v;
    std::memcpy(&v, at(pa, 4), 4);
    return v;
}

std::uint64_t PhysMem::read64(std::uint64_t pa) const {
    std::uint64_t v;
    std::memcpy(&v, at(pa, 8), 8);
    return v;
}

void PhysMem::write32(std::uint64_t pa, std::uint32_t v) {
    std::memcpy(at(pa, 4), &v, 4);
    notify(pa, 4);
}

void PhysMem::write64(std::uint64_t pa, std::uint64_t v) {
    std::memcpy(at(pa, 8), &v, 8);
    notify(pa, 8);
}

void PhysMem::read(std::uint64_t pa, void* dst, std::size_t len) const {
    std::memcpy(dst, at(pa, len), len);
}

void PhysMem::write(std::uint64_t pa, const void* src, std::size_t len) {
    std::memcpy(at(pa, len), src, len);
    notify(pa, len);
}

void PhysMem::watch(std::uint64_t base, std::uint64_t len, WatchFn fn) {
    assert(len > 0);
    watches_.emplace(base, Watch{len, std::move(fn)});
    last_watch_ = nullptr;  // a new watch may start inside the remembered one
}

// The watch called is the one with the greatest base at or below the
// write's last byte, if the write starts before that watch's end.
void PhysMem::notify(std::uint64_t pa, std::size_t len) {
    if (watches_.empty() || len == 0) return;
    // [pa, pa+len) is inside a region (at() checked it), so its last byte
    // does not wrap; a watch may end at 2^64, so compare last bytes.
    const std::uint64_t last = pa + (len - 1);
    if (last_watch_ && last - last_watch_base_ <= last_watch_->len - 1) {
        last_watch_->fn(pa, len);
        return;
    }
    auto it = watches_.upper_bound(last);
    if (it == watches_.begin()) return;
    --it;
    if (pa > it->first + (it->second.len - 1)) return;
    last_watch_ = &it->second;
    last_watch_base_ = it->first;
    it->second.fn(pa, len);
}

}  // namespace pisim
