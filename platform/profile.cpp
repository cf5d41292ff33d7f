#include "platform/profile.h"

#include <filesystem>
#include <stdexcept>

#include "platform/data_dir.h"
#include "platform/yaml_util.h"

namespace pisim {

namespace {
const char* const kRequired[] = {
    "hyp.basic_block",   "hyp.irq_entry",     "port.mem_access",  "port.mem_atomic",
    "port.mem_atomic16", "port.apic_access",  "port.iq_submit",   "port.trace",
    "cpu.vm_entry",      "cpu.vm_exit",       "cpu.pi_processing", "cpu.virq_delivery",
    "cpu.eoi_virtualization", "cpu.hlt_wakeup", "cpu.vmread",     "cpu.vmwrite",
    "cpu.vmptrld",       "cpu.vmclear",       "lapic.ipi_latency", "lapic.msg_latency",
    "vtd.clock_period",  "vtd.iec_hit",       "vtd.irte_fetch",   "vtd.pid_rmw",
    "vtd.iq_descriptor", "vtd.iec_entries",   "pcie.posted_write",
    "coherence.llc_hit", "coherence.core_to_core", "coherence.invalidate", "coherence.io_to_core",
    "coherence.core_to_io", nullptr};
}  // namespace

const char* const* profile_required_keys() { return kRequired; }

std::string TimingProfile::default_dir() {
    if (const char* d = std::getenv("PISIM_PROFILE_DIR")) return d;
    return data_dir("profiles");
}

TimingProfile TimingProfile::load(const std::string& name_or_path) {
    namespace fs = std::filesystem;
    std::string path = name_or_path;
    if (path.size() < 5 || path.substr(path.size() - 5) != ".yaml")
        path = default_dir() + "/" + name_or_path + ".yaml";
    if (!fs::exists(path))
        throw InputError(path, 0, 0, "timing profile '" + name_or_path + "' not found");

    YamlReader r(path);
    YAML::Node doc = r.load_file();
    r.expect_map(doc, "a timing profile",
                 {"name", "description", "frequency_mhz", "hyp_timing", "instructions", "costs"});
    TimingProfile p;
    p.path_ = path;
    if (!doc["name"]) r.fail(doc, "expected key 'name' in the timing profile");
    p.name_ = r.str(doc["name"], "name");
    if (!doc["frequency_mhz"]) r.fail(doc, "expected key 'frequency_mhz'");
    p.frequency_mhz_ = r.u64(doc["frequency_mhz"], "frequency_mhz", 1, 100000);
    if (doc["hyp_timing"]) {
        const std::string m = r.str(doc["hyp_timing"], "hyp_timing");
        if (m == "instructions") p.hyp_timing_ = HypTiming::Instructions;
        else if (m == "flat") p.hyp_timing_ = HypTiming::Flat;
        else r.fail(doc["hyp_timing"], "hyp_timing must be 'instructions' or 'flat', not '" + m + "'");
    }
    const YAML::Node insns = doc["instructions"];
    if (!insns || !insns.IsMap())
        r.fail(doc, "expected 'instructions' (issue_width and, per instruction class, {latency, uops, source})");
    {
        std::vector<std::string> keys = {"issue_width"};
        for (std::size_t i = 0; i < static_cast<std::size_t>(InsnClass::Count); ++i)
            keys.push_back(insn_class_name(static_cast<InsnClass>(i)));
        r.expect_map(insns, "the instruction table",
                     {"issue_width", "alu", "load", "store", "rmw", "call", "ret", "jump", "branch", "mul",
                      "div", "bitscan", "locked", "locked16", "pause", "fence", "nop"});
        for (const std::string& k : keys) {
            const YAML::Node e = insns[k];
            if (!e) r.fail(insns, "the instruction table lacks '" + k + "'");
            if (k == "issue_width") {
                r.expect_map(e, "issue_width", {"value", "source"});
                if (!e["value"] || !e["source"]) r.fail(e, "issue_width needs both 'value' and 'source'");
                p.instructions_.issue_width = static_cast<std::uint32_t>(r.u64(e["value"], "issue_width.value", 1, 16));
                p.insn_sources_[k] = r.str(e["source"], "issue_width.source");
                continue;
            }
            r.expect_map(e, "instruction class '" + k + "'", {"latency", "uops", "source"});
            if (!e["latency"] || !e["uops"] || !e["source"])
                r.fail(e, "instruction class '" + k + "' needs 'latency', 'uops' and 'source'");
            InsnCost c;
            c.latency = static_cast<std::uint32_t>(r.u64(e["latency"], k + ".latency", 0, 10000));
            c.uops = static_cast<std::uint32_t>(r.u64(e["uops"], k + ".uops", 0, 1000));
            std::size_t idx = 0;
            while (insn_class_name(static_cast<InsnClass>(idx)) != k) ++idx;
            p.instructions_.cost[idx] = c;
            p.insn_sources_[k] = r.str(e["source"], k + ".source");
            if (p.insn_sources_[k].empty()) r.fail(e["source"], "instruction class '" + k + "' needs a source");
        }
    }
    const YAML::Node costs = doc["costs"];
    if (!costs || !costs.IsMap()) r.fail(doc, "expected 'costs' (a mapping of name to {value, source})");
    for (const auto& kv : costs) {
        const std::string key = kv.first.Scalar();
        r.expect_map(kv.second, "cost '" + key + "'", {"value", "source"});
        if (!kv.second["value"] || !kv.second["source"])
            r.fail(kv.second, "cost '" + key + "' needs both 'value' and 'source'");
        ProfileCost c;
        // A clock has a high and a low phase: at least 2 cycles per clock.
        c.value = r.u64(kv.second["value"], key + ".value", key == "vtd.clock_period" ? 2 : 0, 1000000000ull);
        c.source = r.str(kv.second["source"], key + ".source");
        if (c.source.empty()) r.fail(kv.second["source"], "cost '" + key + "' needs a source");
        p.costs_[key] = c;
    }
    for (const char* const* k = kRequired; *k; ++k)
        if (!p.costs_.count(*k))
            r.fail(costs, std::string("timing profile lacks the cost '") + *k + "'");
    return p;
}

void TimingProfile::set(const std::string& key, std::uint64_t value) {
    auto it = costs_.find(key);
    if (it == costs_.end()) throw std::out_of_range("unknown timing profile cost '" + key + "'");
    it->second.value = value;
    it->second.source = "scenario override";
}

std::uint64_t TimingProfile::get(const std::string& key) const {
    auto it = costs_.find(key);
    if (it == costs_.end()) throw std::out_of_range("unknown timing profile cost '" + key + "'");
    return it->second.value;
}

CpuTiming TimingProfile::cpu() const {
    CpuTiming t;
    t.vm_entry = get("cpu.vm_entry");
    t.vm_exit = get("cpu.vm_exit");
    t.pi_processing = get("cpu.pi_processing");
    t.virq_delivery = get("cpu.virq_delivery");
    t.eoi_virtualization = get("cpu.eoi_virtualization");
    t.hlt_wakeup = get("cpu.hlt_wakeup");
    t.vmread = get("cpu.vmread");
    t.vmwrite = get("cpu.vmwrite");
    t.vmptrld = get("cpu.vmptrld");
    t.vmclear = get("cpu.vmclear");
    return t;
}

LapicTiming TimingProfile::lapic() const {
    LapicTiming t;
    t.ipi_latency = get("lapic.ipi_latency");
    t.msg_latency = get("lapic.msg_latency");
    t.register_access = get("port.apic_access");
    return t;
}

VtdTiming TimingProfile::vtd() const {
    VtdTiming t;
    t.clock_period = get("vtd.clock_period");
    t.iec_hit = get("vtd.iec_hit");
    t.irte_fetch = get("vtd.irte_fetch");
    t.pid_rmw = get("vtd.pid_rmw");
    t.iq_descriptor = get("vtd.iq_descriptor");
    t.iec_entries = static_cast<std::uint32_t>(get("vtd.iec_entries"));
    return t;
}

NicTiming TimingProfile::nic() const {
    NicTiming t;
    t.posted_write = get("pcie.posted_write");
    return t;
}

CoherenceTiming TimingProfile::coherence() const {
    CoherenceTiming t;
    t.llc_hit = get("coherence.llc_hit");
    t.core_to_core = get("coherence.core_to_core");
    t.invalidate = get("coherence.invalidate");
    t.io_to_core = get("coherence.io_to_core");
    t.core_to_io = get("coherence.core_to_io");
    return t;
}

PortTiming TimingProfile::port() const {
    PortTiming t;
    t.hyp_timing = hyp_timing_;
    t.instructions = instructions_;
    t.basic_block = get("hyp.basic_block");
    t.irq_entry = get("hyp.irq_entry");
    t.mem_access = get("port.mem_access");
    t.mem_atomic = get("port.mem_atomic");
    t.mem_atomic16 = get("port.mem_atomic16");
    t.apic_access = get("port.apic_access");
    t.iq_submit = get("port.iq_submit");
    t.trace = get("port.trace");
    return t;
}

}  // namespace pisim
