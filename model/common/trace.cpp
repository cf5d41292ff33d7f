#include "trace.h"

#include <cassert>

namespace pisim {

namespace {
const EventKindInfo kInfo[] = {
#define PISIM_X_INFO(name, str, unit, a, b, c, d, e, f) {str, UnitKind::unit, {a, b, c, d, e, f}},
    PISIM_EVENT_KINDS(PISIM_X_INFO)
#undef PISIM_X_INFO
};
static_assert(sizeof(kInfo) / sizeof(kInfo[0]) == static_cast<std::size_t>(EventKind::Count),
              "one info row per event kind");
}  // namespace

const EventKindInfo& event_kind_info(EventKind k) {
    assert(k < EventKind::Count);
    return kInfo[static_cast<std::size_t>(k)];
}

}  // namespace pisim
