#include "platform/canonical_order.h"

#include <algorithm>
#include <cctype>

#include "model/common/invariant.h"

namespace pisim {

bool natural_less(const std::string& a, const std::string& b) {
    const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            // compare the numbers: without leading zeros, the longer is larger
            std::size_t i2 = i, j2 = j;
            while (i2 < a.size() && a[i2] == '0') ++i2;
            while (j2 < b.size() && b[j2] == '0') ++j2;
            std::size_t ie = i2, je = j2;
            while (ie < a.size() && digit(a[ie])) ++ie;
            while (je < b.size() && digit(b[je])) ++je;
            if (ie - i2 != je - j2) return ie - i2 < je - j2;
            const int c = a.compare(i2, ie - i2, b, j2, je - j2);
            if (c != 0) return c < 0;
            // equal numbers: fewer leading zeros first, so the order is total
            if (i2 - i != j2 - j) return i2 - i < j2 - j;
            i = ie, j = je;
        } else {
            if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
            ++i, ++j;
        }
    }
    return a.size() - i < b.size() - j;
}

// Stable insertion sort by agent: a cycle holds a few events, mostly in
// order already, and std::stable_sort would allocate a buffer per cycle.
void CanonicalCycle::sort() {
    for (std::size_t i = 1; i < held_.size(); ++i) {
        if (held_[i - 1].agent <= held_[i].agent) continue;
        const Held h = held_[i];
        std::size_t j = i;
        for (; j > 0 && held_[j - 1].agent > h.agent; --j) held_[j] = held_[j - 1];
        held_[j] = h;
    }
}

}  // namespace pisim
