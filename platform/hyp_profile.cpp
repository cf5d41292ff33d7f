#include "platform/hyp_profile.h"

#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <algorithm>

#include "platform/enum_names.h"

namespace pisim {

const char* hyp_handler_name(std::uint32_t id) {
    const char* n = trace_enum_value_name(TraceEnum::hyp_handler, id);
    return n ? n : "unknown";
}

void HypProfile::on_event(const Event& e) {
    switch (e.kind) {
        case EventKind::HypHandlerEnter:
            stack_[e.unit].emplace_back(static_cast<std::uint32_t>(e.a), e.cycle);
            break;
        case EventKind::HypHandlerExit: {
            auto& st = stack_[e.unit];
            // Unwind to the matching handler (a nested one may not have said exit).
            while (!st.empty() && st.back().first != e.a) st.pop_back();
            if (st.empty()) break;
            const std::uint64_t d = e.cycle - st.back().second;
            st.pop_back();
            HandlerStats& h = handlers_[static_cast<std::uint32_t>(e.a)];
            ++h.count;
            h.total += d;
            h.max = std::max(h.max, d);
            break;
        }
        case EventKind::HypVcpuState: {
            const std::uint32_t v = e.unit;
            state_[v] = static_cast<std::uint32_t>(e.b);
            if (e.b == 1 || e.b == 2) {  // runnable / running
                auto it = posted_blocked_.find(v);
                if (it != posted_blocked_.end()) {
                    wakeups_.push_back(e.cycle - it->second);
                    posted_blocked_.erase(it);
                }
            }
            break;
        }
        case EventKind::VtdPost: {
            auto o = pid_owner_.find(e.b);
            if (o == pid_owner_.end()) break;
            if (state_[o->second] == 3) posted_blocked_.emplace(o->second, e.cycle);
            break;
        }
        default:
            break;
    }
}

std::map<std::string, std::uint64_t> HypProfile::function_cycles() const {
    std::map<std::string, std::uint64_t> out;
    if (bb_cycles.empty()) return out;
    static char* debuginfo_path = nullptr;
    const Dwfl_Callbacks cb = {dwfl_linux_proc_find_elf, dwfl_standard_find_debuginfo, nullptr, &debuginfo_path};
    Dwfl* d = dwfl_begin(&cb);
    if (d && dwfl_linux_proc_report(d, ::getpid()) == 0 && dwfl_report_end(d, nullptr, nullptr) == 0) {
        for (const auto& [addr, cycles] : bb_cycles) {
            Dwfl_Module* m = dwfl_addrmodule(d, addr);
            const char* name = m ? dwfl_module_addrname(m, addr) : nullptr;
            out[name ? name : "?"] += cycles;
        }
    }
    if (d) dwfl_end(d);
    return out;
}

}  // namespace pisim
