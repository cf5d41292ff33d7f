#include "platform/pi_coverage.h"

#include <fmt/format.h>

#include <cassert>

namespace pisim {

namespace {
constexpr std::uint8_t kAgentVtd = 0, kAgentCpu = 1, kAgentSoftware = 2;  // PhysMem::Agent
constexpr std::uint64_t kIrteObject = 1ull << 32;
const char* const kStateNames[] = {"offline", "runnable", "running", "blocked"};
}  // namespace

const char* pi_access_name(PiAccess a) {
    static const char* const n[] = {"vtd.post",     "cpu.pi_process", "hyp.pir",       "hyp.on",
                                    "hyp.sn",       "hyp.nv",         "hyp.ndst",      "hyp.list_add",
                                    "hyp.list_del", "hyp.vcpu_state", "hyp.irte_write", "vtd.irte_fetch"};
    static_assert(sizeof n / sizeof n[0] == static_cast<std::size_t>(PiAccess::Count));
    return n[static_cast<std::size_t>(a)];
}

std::string PiCoverage::state_name(std::uint32_t id) {
    assert(id < kStates);
    const std::uint32_t listed = id % 2, nv = id / 2 % 3, on = id / 6 % 2, sn = id / 12 % 2, st = id / 24;
    static const char* const nvn[] = {"notification", "wakeup", "other"};
    return fmt::format("{} SN={} ON={} NV={} {}", kStateNames[st], sn, on, nvn[nv], listed ? "listed" : "unlisted");
}

void PiCoverage::record_state(VcpuView& v) {
    const std::uint8_t nv = static_cast<std::uint8_t>(v.control >> 16);
    const std::uint32_t nvk = nv == nv_ ? 0 : nv == wv_ ? 1 : 2;
    const std::uint32_t id = (((v.state & 3) * 2 + (v.control >> 1 & 1)) * 2 + (v.control & 1)) * 6 + nvk * 2 + v.listed;
    assert(id < kStates);
    if (static_cast<int>(id) == v.last) return;
    states.insert(id);
    if (v.last >= 0) transitions.insert(static_cast<std::uint32_t>(v.last) * kStates + id);
    v.last = static_cast<int>(id);
}

void PiCoverage::access(std::uint64_t object, PiAccess what, std::uint32_t agent, std::uint64_t cycle, int pcpu,
                        std::uint64_t start) {
    LastAccess& l = last_[object];
    // Two accesses of different agents close together, the pair "first, then
    // second". Reads of an IRTE by VT-d conflict only with software writes.
    if (l.valid && l.agent != agent && cycle - l.cycle <= kPairWindow &&
        !(l.what == PiAccess::VtdIrteFetch && what == PiAccess::VtdIrteFetch)) {
        const std::uint32_t key = static_cast<std::uint32_t>(l.what) * 16 + static_cast<std::uint32_t>(what);
        if (pairs.insert(key).second) first_instance[key] = {l.what, what, l.cycle, cycle - l.cycle, l.pcpu, l.start};
    }
    l = {what, agent, cycle, pcpu, start, true};
}

void PiCoverage::on_event(const Event& e, std::uint32_t process) {
    // Software agents: one per emitting process (a pCPU's thread).
    const std::uint32_t sw = kAgentSoftware + process;
    switch (e.kind) {
        case EventKind::PidUpdate: {
            VcpuView& v = vcpus_[e.unit];
            const auto agent = static_cast<std::uint8_t>(e.e);
            if (agent != kAgentVtd && agent != kAgentCpu && agent != kAgentSoftware) break;  // a stray write
            const std::uint64_t diff = e.c ^ e.d;
            PiAccess what;
            if (agent == kAgentVtd) what = PiAccess::VtdPost;
            else if (agent == kAgentCpu) what = PiAccess::CpuPiProcess;
            else if (e.b < 4) what = PiAccess::HypPir;
            else if (diff >> 32) what = PiAccess::HypNdst;
            else if (diff >> 16 & 0xFF) what = PiAccess::HypNv;
            else if (diff & 2) what = PiAccess::HypSn;
            else what = PiAccess::HypOn;
            // The event does not say which pCPU's software wrote; the pCPU
            // the vCPU last ran or was scheduled on nearly always did (a
            // guess that only steers perturbations).
            access(e.unit, what, agent == kAgentSoftware ? sw : agent, e.cycle, agent == kAgentSoftware ? v.pcpu : -1,
                   agent == kAgentVtd ? vtd_request_ : e.cycle);
            if (e.b == 4) {
                v.control = e.d;
                record_state(v);
            }
            break;
        }
        case EventKind::HypVcpuState: {
            VcpuView& v = vcpus_[e.unit];
            v.state = static_cast<std::uint32_t>(e.b);
            v.pcpu = static_cast<int>(e.c);
            access(e.unit, PiAccess::HypState, sw, e.cycle, static_cast<int>(e.c), e.cycle);
            record_state(v);
            break;
        }
        case EventKind::HypBlocklistAdd:
        case EventKind::HypBlocklistDel: {
            const auto vcpu = static_cast<std::uint32_t>(e.a);
            VcpuView& v = vcpus_[vcpu];
            v.listed = e.kind == EventKind::HypBlocklistAdd;
            access(vcpu, v.listed ? PiAccess::HypListAdd : PiAccess::HypListDel, sw, e.cycle,
                   static_cast<int>(e.unit), e.cycle);
            record_state(v);
            break;
        }
        case EventKind::HypSchedule:
            if (e.b < (1u << 16)) vcpus_[static_cast<std::uint32_t>(e.b)].pcpu = static_cast<int>(e.unit);
            break;
        case EventKind::HypIrteWrite:
            access(kIrteObject | (e.a & 0xFFFFFFFFull), PiAccess::HypIrteWrite, sw, e.cycle,
                   static_cast<int>(e.unit), e.cycle);
            break;
        case EventKind::VtdIrteFetch:
            // An entry found in the IEC is not read from memory: no
            // communication with software's writes of the table (b: 1 hit).
            if (e.b == 0)
                access(kIrteObject | (e.a & 0xFFFFFFFFull), PiAccess::VtdIrteFetch, kAgentVtd, e.cycle, -1, vtd_request_);
            break;
        case EventKind::VtdRequest:
            vtd_request_ = e.cycle;
            break;
        default:
            break;
    }
}

nlohmann::json PiCoverage::to_json() const {
    nlohmann::json inst = nlohmann::json::array();
    for (const auto& [key, p] : first_instance)
        inst.push_back({key, p.cycle, p.gap, p.pcpu, p.start});
    return {{"states", states}, {"transitions", transitions}, {"pairs", pairs}, {"instances", inst}};
}

PiCoverage PiCoverage::from_json(const nlohmann::json& j) {
    PiCoverage c;
    c.states = j.at("states").get<std::set<std::uint32_t>>();
    c.transitions = j.at("transitions").get<std::set<std::uint32_t>>();
    c.pairs = j.at("pairs").get<std::set<std::uint32_t>>();
    if (j.contains("instances"))
    for (const auto& i : j.at("instances")) {
        const auto key = i.at(0).get<std::uint32_t>();
        PairInstance p;
        p.first = static_cast<PiAccess>(key / 16);
        p.second = static_cast<PiAccess>(key % 16);
        p.cycle = i.at(1).get<std::uint64_t>();
        p.gap = i.at(2).get<std::uint64_t>();
        p.pcpu = i.at(3).get<int>();
        p.start = i.size() > 4 ? i.at(4).get<std::uint64_t>() : p.cycle;
        c.first_instance[key] = p;
    }
    return c;
}

std::size_t PiCoverage::merge(const PiCoverage& o) {
    std::size_t added = 0;
    for (auto x : o.states) added += states.insert(x).second;
    for (auto x : o.transitions) added += transitions.insert(x).second;
    for (auto x : o.pairs) added += pairs.insert(x).second;
    for (const auto& kv : o.first_instance) first_instance.insert(kv);
    return added;
}

}  // namespace pisim
