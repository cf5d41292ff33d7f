#include "platform/explore_gen.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <set>
#include <stdexcept>

namespace pisim {

std::uint64_t case_seed(std::uint64_t seed, std::uint64_t index) {
    // splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
    // generators", OOPSLA 2014) of the pair: independent streams per case.
    std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + (index + 1) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

GenConfig::Size parse_size(const std::string& s) {
    if (s == "small") return GenConfig::Size::Small;
    if (s == "medium") return GenConfig::Size::Medium;
    if (s == "large") return GenConfig::Size::Large;
    throw std::invalid_argument("--size must be small, medium or large, got '" + s + "'");
}

const char* size_name(GenConfig::Size s) {
    return s == GenConfig::Size::Small ? "small" : s == GenConfig::Size::Medium ? "medium" : "large";
}

namespace {

/// xoshiro256** (Blackman, Vigna 2018) seeded by splitmix64: the same
/// numbers on every platform and standard library (std:: distributions are
/// not specified bit for bit).
class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& w : s_) w = seed = case_seed(seed, 0);
    }
    std::uint64_t next() {
        const std::uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
        s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3], s_[2] ^= t, s_[3] = rotl(s_[3], 45);
        return r;
    }
    /// Uniform in [lo, hi] (hi - lo < 2^63; the modulo bias is below 2^-40 for these ranges).
    std::uint64_t in(std::uint64_t lo, std::uint64_t hi) {
        assert(hi >= lo);
        return lo + next() % (hi - lo + 1);
    }
    bool chance(unsigned percent) { return next() % 100 < percent; }
    template <typename T>
    const T& pick(const std::vector<T>& v) {
        assert(!v.empty());
        return v[next() % v.size()];
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

struct Limits {
    std::uint64_t pcpus, domains, vcpus, devices, events, dur_lo, dur_hi;
};
Limits limits(GenConfig::Size s) {
    switch (s) {
        case GenConfig::Size::Small: return {2, 2, 4, 2, 6, 200000, 400000};
        case GenConfig::Size::Medium: return {4, 3, 8, 3, 12, 300000, 700000};
        case GenConfig::Size::Large: return {8, 4, 16, 4, 24, 500000, 2000000};
    }
    return {};
}

std::string hex(std::uint64_t v) { return fmt::format("{:#x}", v); }

YAML::Node flow_map() {
    YAML::Node n(YAML::NodeType::Map);
    n.SetStyle(YAML::EmitterStyle::Flow);
    return n;
}

struct VcpuInfo {
    std::uint32_t domain, index, pcpu;
    std::string name;
    std::set<std::uint64_t> vectors;  ///< guest vectors already used for it
};

class Generator {
public:
    Generator(const GenConfig& cfg, std::uint64_t seed) : cfg_(cfg), r_(seed), lim_(limits(cfg.size)), seed_(seed) {}

    YAML::Node run() {
        YAML::Node doc;
        doc["name"] = fmt::format("explore-{:016x}", seed_);
        doc["seed"] = r_.in(1, 1000000);
        duration_ = r_.in(lim_.dur_lo, lim_.dur_hi);
        doc["duration"] = duration_;
        pcpus_ = static_cast<std::uint32_t>(r_.in(1, lim_.pcpus));
        YAML::Node machine = flow_map();
        machine["pcpus"] = pcpus_;
        machine["apic_mode"] = r_.chance(70) ? "x2apic" : "xapic";
        hostile_ = r_.chance(15);
        percpu_ = r_.chance(15);
        if (percpu_ && r_.chance(60)) {
            YAML::Node t = flow_map();
            t["start"] = r_.in(10000, duration_ / 2);
            t["period"] = r_.in(20000, 200000);
            t["count"] = r_.in(1, 20);
            machine["percpu_timer"] = t;
        }
        doc["machine"] = machine;
        YAML::Node hyp = flow_map();
        mode_ = r_.pick(cfg_.modes);
        hyp["irq_mode"] = mode_;
        hyp["time_slice"] = r_.chance(50) ? r_.in(20000, 200000) : r_.in(1000000, 10000000);
        if (percpu_) hyp["percpu_vector"] = "0xe0";
        doc["hyp"] = hyp;
        doc["domains"] = domains();
        YAML::Node devs = devices();
        if (devs.size()) doc["devices"] = devs;
        YAML::Node evs = events();
        if (evs.size()) doc["events"] = evs;
        YAML::Node per = perturbations(r_, duration_, pcpus_, r_.in(0, 3));
        if (per.size()) doc["perturb"] = per;
        YAML::Node expect = flow_map();
        expect["all_delivered"] = false;
        doc["expect"] = expect;
        return doc;
    }

    /// n random perturbations of `pcpus` pCPUs and the VT-d unit.
    static YAML::Node perturbations(Rng& r, std::uint64_t duration, std::uint32_t pcpus, std::uint64_t n) {
        YAML::Node out(YAML::NodeType::Sequence);
        std::set<std::pair<std::uint64_t, std::uint32_t>> used;
        for (std::uint64_t i = 0; i < n; ++i) {
            const bool vtd = r.chance(25);
            const std::uint32_t pcpu = vtd ? ~0u : static_cast<std::uint32_t>(r.in(0, pcpus - 1));
            const std::uint64_t at = r.in(1, duration - 1);
            if (!used.emplace(at, pcpu).second) continue;
            YAML::Node p = flow_map();
            p["agent"] = vtd ? "vtd" : "pcpu";
            if (!vtd) p["pcpu"] = pcpu;
            p["at"] = at;
            p["delay"] = r.chance(50) ? r.in(1, 200) : r.in(200, 20000);
            out.push_back(p);
        }
        return out;
    }

private:
    std::uint64_t guest_vector(VcpuInfo& v) {
        for (;;) {
            const std::uint64_t x = r_.in(0x30, 0xDF);
            if (v.vectors.insert(x).second) return x;
        }
    }

    YAML::Node program(const std::vector<VcpuInfo>& dom_vcpus, VcpuInfo& self) {
        YAML::Node prog(YAML::NodeType::Sequence);
        prog.SetStyle(YAML::EmitterStyle::Flow);
        const std::uint64_t ops = r_.in(1, 6);
        auto op = [&](const char* k, const YAML::Node& v) {
            YAML::Node o = flow_map();
            o[k] = v;
            prog.push_back(o);
        };
        for (std::uint64_t i = 0; i < ops; ++i) {
            const std::uint64_t k = r_.in(0, 99);
            if (k < 40) {
                op("compute", YAML::Node(r_.chance(70) ? r_.in(500, 30000) : r_.in(30000, 200000)));
            } else if (k < 55) {
                op("halt", YAML::Node(true));
            } else if (k < 63) {
                op("cli", YAML::Node(r_.in(100, 8000)));
            } else if (k < 70) {
                // a TPR window: raised, some work, lowered again
                op("tpr", YAML::Node(hex(r_.in(1, 14) << 4)));
                op("compute", YAML::Node(r_.in(200, 20000)));
                op("tpr", YAML::Node(0));
            } else if (k < 78) {
                op("self_ipi", YAML::Node(hex(guest_vector(self))));
            } else if (k < 93 && dom_vcpus.size() > 1) {
                const VcpuInfo& to = r_.pick(dom_vcpus);
                YAML::Node ipi = flow_map();
                ipi["to"] = to.index;
                ipi["vector"] = hex(r_.in(0x30, 0xDF));
                op("ipi", ipi);
            } else {
                op("napi_poll", YAML::Node(r_.in(100, 1500)));
            }
        }
        // A repeating program must take time each round (the loader's rule).
        op("compute", YAML::Node(r_.in(500, 30000)));
        return prog;
    }

    YAML::Node domains() {
        YAML::Node out(YAML::NodeType::Sequence);
        const std::uint64_t nd = r_.in(1, lim_.domains);
        std::uint64_t budget = lim_.vcpus;
        for (std::uint64_t d = 0; d < nd; ++d) {
            const std::uint64_t left_domains = nd - d - 1;
            const std::uint64_t max_here = std::max<std::uint64_t>(1, std::min<std::uint64_t>(4, budget - left_domains));
            const std::uint64_t nv = r_.in(1, max_here);
            budget -= nv;
            std::vector<VcpuInfo> vs;
            for (std::uint64_t i = 0; i < nv; ++i)
                vs.push_back({static_cast<std::uint32_t>(d + 1), static_cast<std::uint32_t>(i),
                              static_cast<std::uint32_t>(r_.in(0, pcpus_ - 1)), fmt::format("d{}v{}", d + 1, i), {}});
            YAML::Node dom;
            dom["id"] = d + 1;
            if (percpu_) dom["percpu_vector"] = "0x50";
            YAML::Node vcpus(YAML::NodeType::Sequence);
            for (VcpuInfo& v : vs) {
                if (percpu_) v.vectors.insert(0x50);
                YAML::Node vc;
                vc["pcpu"] = v.pcpu;
                if (pcpus_ > 1 && r_.chance(25)) {
                    YAML::Node aff(YAML::NodeType::Sequence);
                    aff.SetStyle(YAML::EmitterStyle::Flow);
                    for (std::uint32_t c = 0; c < pcpus_; ++c)
                        if (c == v.pcpu || r_.chance(50)) aff.push_back(c);
                    vc["affinity"] = aff;
                }
                YAML::Node w = flow_map();
                w["program"] = program(vs, v);
                w["repeat"] = r_.chance(85);
                w["isr_cost"] = r_.in(100, 4000);
                vc["workload"] = w;
                vcpus.push_back(vc);
            }
            dom["vcpus"] = vcpus;
            out.push_back(dom);
            for (const VcpuInfo& v : vs) vcpus_.push_back(v);
        }
        return out;
    }

    YAML::Node traffic() {
        YAML::Node t = flow_map();
        const std::uint64_t k = r_.in(0, 2);
        const std::uint64_t start = r_.in(10000, duration_ / 2);
        t["kind"] = k == 0 ? "constant" : k == 1 ? "poisson" : "burst";
        t["start"] = start;
        t["interval"] = r_.in(2000, 60000);
        t["count"] = r_.in(1, 40);
        if (k == 2) {
            t["burst_len"] = r_.in(2, 8);
            t["burst_gap"] = r_.in(20000, 120000);
        }
        return t;
    }

    YAML::Node devices() {
        YAML::Node out(YAML::NodeType::Sequence);
        const std::uint64_t n = r_.in(1, lim_.devices);
        std::set<std::uint64_t> host_vectors;
        for (std::uint64_t i = 0; i < n; ++i) {
            YAML::Node dev;
            const std::string name = fmt::format("dev{}", i);
            dev["name"] = name;
            const std::uint64_t bus = i + 1;
            dev["bdf"] = fmt::format("{:02x}:00.0", bus);
            const std::uint64_t kind = r_.in(0, 99);
            YAML::Node qs(YAML::NodeType::Sequence);
            if (kind < 12) {  // host-owned device (a dom0 storage controller)
                dev["domain"] = "host";
                YAML::Node q;
                q["vector_index"] = 0;
                YAML::Node b = flow_map();
                b["pcpu"] = r_.in(0, pcpus_ - 1);
                std::uint64_t v;
                do v = r_.in(0x40, 0xDF);
                while (!host_vectors.insert(v).second || v == 0xE0);
                b["vector"] = hex(v);
                YAML::Node t = traffic();
                // A handler longer than the gap between interrupts is an
                // overloaded machine: lower host vectors starve, as the
                // hardware's priority rules say, and no oracle can tell a
                // starved interrupt from a lost one.
                b["isr_cost"] = r_.in(100, std::max<std::uint64_t>(200, t["interval"].as<std::uint64_t>() / 4));
                q["bind"] = b;
                q["traffic"] = t;
                qs.push_back(q);
                dev["msix_vectors"] = 1;
            } else if (hostile_ && kind < 30 && !guest_devices_.empty()) {  // hostile device
                const std::uint64_t dom = r_.in(1, domain_count());
                dev["domain"] = dom;
                YAML::Node q;
                q["vector_index"] = 0;
                YAML::Node m = flow_map();
                const std::uint64_t how = r_.in(0, 2);
                if (how == 0) {
                    const auto& [victim, vi] = r_.pick(guest_devices_);
                    YAML::Node c = flow_map();
                    c["device"] = victim;
                    c["vector_index"] = vi;
                    m["copy_of"] = c;
                } else if (how == 1) {
                    m["address"] = hex(0xFEE00000ull | (r_.in(0, 3) << 12));  // compatibility format
                    m["data"] = hex(r_.in(0x30, 0xDF));
                } else {
                    // remappable format, a handle of its choosing
                    const std::uint64_t handle = r_.in(0, 0x4FFF);
                    m["address"] = hex(0xFEE00010ull | ((handle & 0x7FFF) << 5) | (handle >> 15 << 2));
                    m["data"] = 0;
                }
                q["msi"] = m;
                q["traffic"] = traffic();
                qs.push_back(q);
                dev["msix_vectors"] = 1;
                if (how != 0 && r_.chance(50)) dev["requester_id"] = fmt::format("{:02x}:00.1", bus);
            } else {  // a guest NIC
                const std::uint64_t dom = r_.in(1, domain_count());
                dev["domain"] = dom;
                const std::uint64_t nq = r_.in(1, 3);
                dev["msix_vectors"] = nq;
                if (r_.chance(15)) dev["moderation"] = r_.in(1000, 20000);
                std::vector<VcpuInfo*> mine;
                for (VcpuInfo& v : vcpus_)
                    if (v.domain == dom) mine.push_back(&v);
                for (std::uint64_t qi = 0; qi < nq; ++qi) {
                    YAML::Node q;
                    q["vector_index"] = qi;
                    VcpuInfo& v = *mine[r_.next() % mine.size()];
                    YAML::Node b = flow_map();
                    b["vcpu"] = v.name;
                    b["vector"] = hex(guest_vector(v));
                    if (mode_ == "vtd-pi" && r_.chance(10)) b["urgent"] = true;
                    q["bind"] = b;
                    q["traffic"] = traffic();
                    qs.push_back(q);
                    guest_devices_.emplace_back(name, qi);
                }
                nics_.push_back({name, static_cast<std::uint32_t>(dom), static_cast<std::uint32_t>(nq)});
            }
            dev["queues"] = qs;
            out.push_back(dev);
        }
        return out;
    }

    std::uint64_t domain_count() const { return vcpus_.back().domain; }

    YAML::Node events() {
        YAML::Node out(YAML::NodeType::Sequence);
        const std::uint64_t n = r_.in(0, lim_.events);
        // Races need events close together: a third of the events land within
        // a few thousand cycles after another one (an online right behind an
        // offline, a pin during a block, ...).
        std::set<std::uint64_t> cycles;
        for (std::uint64_t i = 0; i < n; ++i) {
            std::uint64_t at = r_.in(5000, duration_ - 1);
            if (!cycles.empty() && r_.chance(35)) {
                auto it = cycles.lower_bound(at);
                if (it == cycles.end()) --it;
                at = std::min(duration_ - 1, *it + r_.in(1, 3000));
            }
            cycles.insert(at);
        }
        std::vector<bool> online(pcpus_, true);
        std::vector<bool> assigned(nics_.size(), true);
        for (std::uint64_t at : cycles) {
            YAML::Node e = flow_map();
            e["at"] = at;
            const std::uint64_t k = r_.in(0, 99);
            const VcpuInfo& v = r_.pick(vcpus_);
            const std::uint32_t p = static_cast<std::uint32_t>(r_.in(0, pcpus_ - 1));
            if (k < 14) {
                e["op"] = "preempt", e["pcpu"] = p;
            } else if (k < 26) {
                e["op"] = "block", e["vcpu"] = v.name;
            } else if (k < 36) {
                e["op"] = "wake", e["vcpu"] = v.name;
            } else if (k < 48 && pcpus_ > 1) {
                e["op"] = "pin", e["vcpu"] = v.name, e["pcpu"] = p;
            } else if (k < 56 && pcpus_ > 1) {
                const auto up = static_cast<std::size_t>(std::count(online.begin(), online.end(), true));
                if (!online[p]) {
                    e["op"] = "pcpu_online", e["pcpu"] = p;
                    online[p] = true;
                } else if (up > 1) {
                    e["op"] = "pcpu_offline", e["pcpu"] = p;
                    online[p] = false;
                } else {
                    e["op"] = "preempt", e["pcpu"] = p;
                }
            } else if (k < 64 && !nics_.empty()) {
                const std::size_t d = r_.next() % nics_.size();
                e["device"] = nics_[d].name;
                if (assigned[d]) {
                    e["op"] = "deassign";
                } else {
                    e["op"] = "assign", e["domain"] = nics_[d].domain;
                }
                assigned[d] = !assigned[d];
            } else if (k < 74) {
                std::vector<VcpuInfo> same;
                for (const VcpuInfo& o : vcpus_)
                    if (o.domain == v.domain) same.push_back(o);
                e["op"] = "ipi", e["vcpu"] = v.name, e["to"] = r_.pick(same).name, e["vector"] = hex(r_.in(0x30, 0xDF));
            } else if (k < 82) {
                e["op"] = "tasklet", e["pcpu"] = p, e["cost"] = r_.in(500, 30000);
            } else if (k < 90 && !nics_.empty()) {
                const std::size_t d = r_.next() % nics_.size();
                if (!assigned[d]) {
                    e["op"] = "preempt", e["pcpu"] = p;
                } else {
                    std::vector<VcpuInfo> same;
                    for (const VcpuInfo& o : vcpus_)
                        if (o.domain == nics_[d].domain) same.push_back(o);
                    e["op"] = "reprogram_irte", e["device"] = nics_[d].name, e["vector_index"] = r_.in(0, nics_[d].queues - 1);
                    e["vcpu"] = r_.pick(same).name, e["vector"] = hex(r_.in(0x30, 0xDF));
                }
            } else if (k < 95 && percpu_) {
                e["op"] = "percpu_timer", e["pcpu"] = p;
            } else if (hostile_ && !nics_.empty()) {
                // stray writes that set reserved bits: VT-d must fault, not misdeliver
                if (r_.chance(50)) {
                    const std::size_t d = r_.next() % nics_.size();
                    e["op"] = "corrupt_irte", e["device"] = nics_[d].name, e["vector_index"] = r_.in(0, nics_[d].queues - 1);
                    e["word"] = 0, e["set_bits"] = hex(1ull << r_.in(12, 14));  // IRTE bits 14:12 reserved (VT-d 9.10)
                } else {
                    e["op"] = "corrupt_pid", e["vcpu"] = v.name, e["word"] = r_.in(5, 7), e["set_bits"] = hex(1ull << r_.in(0, 63));
                }
            } else {
                e["op"] = "preempt", e["pcpu"] = p;
            }
            out.push_back(e);
        }
        keep_stray_irte_writes_apart(out);
        return out;
    }

    /// A stray IRTE write racing the core's own update of the table breaks
    /// the update's precondition (the core holds the IRT lock and is the
    /// IRT's only writer, so its 128-bit compare-exchange asserts success, as
    /// Xen's update_irte does): that is memory corruption the core may
    /// detect, not a race it must survive. A stray write within
    /// kStrayIrteGap cycles of an event that may rewrite IRTEs (assign,
    /// deassign, reprogram, pin, offline, online) becomes a stray PID write.
    static constexpr std::uint64_t kStrayIrteGap = 100000;
    void keep_stray_irte_writes_apart(YAML::Node& evs) const {
        std::vector<std::uint64_t> rewrites;
        for (const auto& e : evs) {
            const std::string op = e["op"].as<std::string>();
            if (op == "assign" || op == "deassign" || op == "reprogram_irte" || op == "pin" ||
                op == "pcpu_offline" || op == "pcpu_online")
                rewrites.push_back(e["at"].as<std::uint64_t>());
        }
        for (auto e : evs) {
            if (e["op"].as<std::string>() != "corrupt_irte") continue;
            const std::uint64_t at = e["at"].as<std::uint64_t>();
            const bool near = std::any_of(rewrites.begin(), rewrites.end(), [at](std::uint64_t r) {
                return (r > at ? r - at : at - r) < kStrayIrteGap;
            });
            if (!near) continue;
            e.remove("device");
            e.remove("vector_index");
            e["op"] = "corrupt_pid";
            e["vcpu"] = vcpus_[at % vcpus_.size()].name;  // deterministic: from the cycle
            e["word"] = 5 + at % 3;
            e["set_bits"] = "0x1";
        }
    }

    struct Nic {
        std::string name;
        std::uint32_t domain, queues;
    };
    const GenConfig& cfg_;
    Rng r_;
    Limits lim_;
    std::uint64_t seed_;
    std::uint64_t duration_ = 0;
    std::uint32_t pcpus_ = 1;
    bool hostile_ = false, percpu_ = false;
    std::string mode_;
    std::vector<VcpuInfo> vcpus_;
    std::vector<Nic> nics_;
    std::vector<std::pair<std::string, std::uint64_t>> guest_devices_;
};

}  // namespace

YAML::Node generate_case(const GenConfig& cfg, std::uint64_t seed) {
    assert(!cfg.modes.empty());
    return Generator(cfg, seed).run();
}

/// How far before the second access a targeted perturbation "onto" it may
/// land the first one (cycles): a few stores' worth.
constexpr std::uint64_t kOntoCycles = 16;

YAML::Node mutate_case(const YAML::Node& parent, std::uint64_t seed, const PairInstance* target) {
    Rng r(seed);
    YAML::Node doc = YAML::Clone(parent);
    const std::uint64_t duration = doc["duration"].as<std::uint64_t>();
    const auto pcpus = doc["machine"]["pcpus"].as<std::uint32_t>();
    doc["name"] = fmt::format("explore-{:016x}", seed);
    // Move some timed events by a little (a race window is narrow), keeping
    // their order-relevant cycles distinct from one another.
    if (doc["events"] && r.chance(60)) {
        std::set<std::uint64_t> used;
        for (auto e : doc["events"]) used.insert(e["at"].as<std::uint64_t>());
        for (auto e : doc["events"]) {
            if (!r.chance(30)) continue;
            const std::uint64_t at = e["at"].as<std::uint64_t>();
            const std::uint64_t span = r.chance(50) ? 200 : 20000;
            const std::uint64_t lo = at > span ? at - span : 1, hi = std::min(duration - 1, at + span);
            const std::uint64_t to = r.in(lo, hi);
            if (used.count(to)) continue;
            used.erase(at);
            used.insert(to);
            e["at"] = to;
        }
    }
    YAML::Node per = doc["perturb"] ? doc["perturb"] : YAML::Node(YAML::NodeType::Sequence);
    if (target) {
        // Hold the first access's agent past the second access: the pair may
        // then happen the other way round.
        YAML::Node p = flow_map();
        const bool vtd = target->first == PiAccess::VtdPost || target->first == PiAccess::VtdIrteFetch;
        p["agent"] = vtd ? "vtd" : "pcpu";
        if (!vtd) p["pcpu"] = target->pcpu >= 0 && static_cast<std::uint32_t>(target->pcpu) < pcpus
                                  ? static_cast<std::uint32_t>(target->pcpu)
                                  : static_cast<std::uint32_t>(r.in(0, pcpus - 1));
        // Past the second access (the other order), or onto it: the second
        // access's event is recorded when it completes, so an update made of
        // several stores ends there, and landing in the cycles just before
        // it puts the first agent's access in the middle of the update (SKI's
        // preemption right before the conflicting instruction).
        const std::uint64_t slack = r.in(0, 50);
        // The VT-d unit is held at the start of the request that made the
        // access (and so every step of it moves); a pCPU at its next shared
        // access after `at`.
        if (vtd) p["at"] = std::max<std::uint64_t>(target->start, 1);
        else p["at"] = target->cycle > slack ? target->cycle - slack : 1;
        const bool onto = r.chance(50) && target->gap > 1;
        p["delay"] = onto ? target->gap - r.in(0, std::min<std::uint64_t>(target->gap - 1, kOntoCycles))
                          : std::min<std::uint64_t>(target->gap + slack + r.in(1, 100), 1000000);
        bool clash = false;
        for (const auto& q : per)
            clash = clash || (q["at"].as<std::uint64_t>() == p["at"].as<std::uint64_t>() &&
                              q["agent"].as<std::string>() == p["agent"].as<std::string>() &&
                              (vtd || q["pcpu"].as<std::uint32_t>() == p["pcpu"].as<std::uint32_t>()));
        if (!clash && per.size() < 64) per.push_back(p);
    } else if (per.size() < 64) {
        YAML::Node more = Generator::perturbations(r, duration, pcpus, 1);
        for (const auto& q : more) {
            bool clash = false;
            for (const auto& o : per)
                clash = clash || (o["at"].as<std::uint64_t>() == q["at"].as<std::uint64_t>());
            if (!clash) per.push_back(q);
        }
    }
    if (per.size()) doc["perturb"] = per;
    return doc;
}

}  // namespace pisim
