#include "platform/scenario.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include <sys/stat.h>

#include "platform/oracles.h"
#include "platform/strict_int.h"
#include "platform/utf8.h"
#include "platform/yaml_util.h"

namespace pisim {

const char* timed_event_op_name(TimedEvent::Op op) {
    switch (op) {
        case TimedEvent::Op::Preempt: return "preempt";
        case TimedEvent::Op::Block: return "block";
        case TimedEvent::Op::Wake: return "wake";
        case TimedEvent::Op::Pin: return "pin";
        case TimedEvent::Op::PcpuOffline: return "pcpu_offline";
        case TimedEvent::Op::PcpuOnline: return "pcpu_online";
        case TimedEvent::Op::Assign: return "assign";
        case TimedEvent::Op::Deassign: return "deassign";
        case TimedEvent::Op::Ipi: return "ipi";
        case TimedEvent::Op::Tasklet: return "tasklet";
        case TimedEvent::Op::Reprogram: return "reprogram_irte";
        case TimedEvent::Op::CorruptIrte: return "corrupt_irte";
        case TimedEvent::Op::CorruptPid: return "corrupt_pid";
        case TimedEvent::Op::PercpuTimer: return "percpu_timer";
    }
    return "?";
}

int Scenario::vcpu_global(const VcpuRef& r) const {
    int g = 0;
    for (const auto& d : domains) {
        if (d.id == r.domain) return r.index < d.vcpus.size() ? g + static_cast<int>(r.index) : -1;
        g += static_cast<int>(d.vcpus.size());
    }
    return -1;
}

std::uint32_t Scenario::total_vcpus() const {
    std::uint32_t n = 0;
    for (const auto& d : domains) n += static_cast<std::uint32_t>(d.vcpus.size());
    return n;
}

namespace {

class Loader {
public:
    explicit Loader(const std::string& path) : r_(path) { s_.file = path; }

    Scenario run() { return run(r_.load_file()); }

    Scenario run(const YAML::Node& doc) {
        r_.expect_map(doc, "a scenario",
                      {"name", "description", "seed", "duration", "profile", "profile_overrides",
                       "machine", "hyp", "vtd", "domains", "devices", "events", "perturb", "expect", "oracles",
                       "calibration", "provenance"});
        // `calibration` (scenarios/calibration/) is read by `pisim calibrate`
        // (platform/calibration.cpp); a run ignores it.
        if (doc["name"]) s_.name = r_.str(doc["name"], "name");
        if (doc["description"]) s_.description = r_.str(doc["description"], "description");
        if (doc["seed"]) s_.seed = r_.u64(doc["seed"], "seed");
        if (!doc["duration"]) r_.fail(doc, "expected key 'duration' (simulated cycles)");
        s_.duration = r_.u64(doc["duration"], "duration (cycles)", 1, ScenarioLimits::max_duration);
        if (doc["profile"]) s_.profile = r_.str(doc["profile"], "profile");
        if (doc["profile_overrides"]) {
            const YAML::Node o = doc["profile_overrides"];
            if (!o.IsMap()) r_.fail(o, "expected profile_overrides (a mapping of cost name to cycles)");
            for (const auto& kv : o) {
                const std::string key = kv.first.Scalar();
                s_.profile_overrides[key] =
                    key == "vtd.clock_period"
                        ? r_.u64(kv.second, key + " (cycles per clock: a high and a low phase)", 2, ScenarioLimits::max_cost)
                        : r_.u64(kv.second, key, 0, ScenarioLimits::max_cost);
            }
            overrides_node_ = o;
        }
        if (doc["machine"]) machine(doc["machine"]);
        if (doc["hyp"]) hyp(doc["hyp"]);
        if (has_percpu_timer_ && s_.percpu_vector == 0)
            r_.fail(percpu_timer_node_, "machine.percpu_timer needs hyp.percpu_vector (its host vector)");
        if (const YAML::Node v = doc["vtd"]) {
            r_.expect_map(v, "vtd", {"engine"});
            if (v["engine"]) s_.vtd_engine = r_.choice(v["engine"], "vtd.engine", {"tlm", "rtl"});
        }
        if (!doc["domains"]) r_.fail(doc, "expected key 'domains' (a list)");
        domains(doc["domains"]);
        if (doc["devices"]) devices(doc["devices"]);
        if (doc["events"]) events(doc["events"]);
        if (doc["perturb"]) perturb(doc["perturb"]);
        if (doc["expect"]) expect(doc["expect"]);
        if (doc["oracles"]) {
            const YAML::Node o = doc["oracles"];
            r_.expect_map(o, "oracles", {"delivery_bound", "wakeup_bound"});
            if (o["delivery_bound"])
                s_.oracles.delivery = r_.u64(o["delivery_bound"], "oracles.delivery_bound (cycles)", 1, ScenarioLimits::max_step);
            if (o["wakeup_bound"])
                s_.oracles.wakeup = r_.u64(o["wakeup_bound"], "oracles.wakeup_bound (cycles)", 1, ScenarioLimits::max_step);
        }
        for (const auto& kv : doc)  // at its key's line, where a reader looks
            if (kv.first.IsScalar() && kv.first.Scalar() == "provenance") provenance(kv.second, kv.first.Mark());
        work_check();
        return std::move(s_);
    }

    const YAML::Node& overrides_node() const { return overrides_node_; }

private:
    /// Arrivals at most, within [start, end), of a train starting at `start`
    /// with `per` arrivals every `span` cycles (span 0: all at once, without end).
    static std::uint64_t train(std::uint64_t start, std::uint64_t end, std::uint64_t span, std::uint64_t per) {
        if (start >= end) return 0;
        if (span == 0) return ~0ull;
        const std::uint64_t trains = (end - 1 - start) / span + 1;  // <= max_duration
        return trains > ~0ull / per ? ~0ull : trains * per;
    }

    /// Arrivals of one queue within the run: device packets at or after
    /// traffic.start, before traffic.stop and before the run's end, at most
    /// traffic.count (a Poisson queue counts one per mean interval, plus one).
    std::uint64_t expected_arrivals(const TrafficSpec& t) const {
        const std::uint64_t end = std::min(t.stop, s_.duration);
        std::uint64_t n = 0;
        switch (t.kind) {
            case TrafficSpec::Kind::None: return 0;
            case TrafficSpec::Kind::Constant:
            case TrafficSpec::Kind::Poisson: n = train(t.start, end, t.interval, 1); break;
            case TrafficSpec::Kind::Burst: {
                // burst_len arrivals interval apart, then burst_gap to the next burst
                const std::uint64_t span = (t.burst_len - 1) * t.interval + t.burst_gap;  // <= 2^20 * 1e12 + 1e12
                n = train(t.start, end, span, t.burst_len);
                break;
            }
            case TrafficSpec::Kind::File:
                for (std::uint64_t v : t.times) n += v >= t.start && v < end;
                break;
        }
        return std::min(n, t.count);
    }

    /// Why a queue's expected_arrivals() is 0.
    std::string never_fires_because(const TrafficSpec& t) const {
        const std::uint64_t end = std::min(t.stop, s_.duration);
        if (t.count == 0) return "its count is 0";
        if (t.start >= end)
            return "it starts at cycle " + std::to_string(t.start) + ", not before " +
                   (t.stop < s_.duration ? "its stop at cycle " + std::to_string(t.stop)
                                         : "the end of the run (duration " + std::to_string(s_.duration) + ")");
        if (t.kind == TrafficSpec::Kind::File)
            return "none of its file's " + std::to_string(t.times.size()) + " arrival times lies in [" + std::to_string(t.start) +
                   ", " + std::to_string(end) + ")";
        return "no arrival lies in [" + std::to_string(t.start) + ", " + std::to_string(end) + ")";
    }

    void warn(const YAML::Node& at, const std::string& what) {
        const YAML::Mark m = at.Mark();
        s_.warnings.push_back(s_.file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": warning: " + what);
    }

    /// The work a run would do, before it starts (README "Limits"): device
    /// packet arrivals and per-pCPU timer firings within the duration, at most
    /// ScenarioLimits::max_arrivals in all. A train without gaps (a burst of
    /// one packet with burst_gap 0) and no count never ends.
    void work_check() {
        const std::uint64_t cap = ScenarioLimits::max_arrivals;
        std::uint64_t total = 0;
        auto add = [&](std::uint64_t n, const YAML::Node& where, const std::string& what) {
            total = n > ~0ull - total ? ~0ull : total + n;
            if (total <= cap) return;
            if (n == ~0ull)
                r_.fail(where, what + " never end (no cycles between arrivals and no count), beyond the cap of " +
                                   std::to_string(cap) + " arrivals per run; give traffic.burst_gap or traffic.count");
            r_.fail(where, what + " come to about " + std::to_string(n) + " within the run's " + std::to_string(s_.duration) +
                               " cycles, bringing the run's arrivals to " + std::to_string(total) + ", beyond the cap of " +
                               std::to_string(cap) + " arrivals per run; lower the count, lengthen the interval or shorten the duration");
        };
        if (has_percpu_timer_ && s_.percpu_vector != 0 && s_.percpu_timer.period != 0) {
            const std::uint64_t per_pcpu =
                std::min(train(s_.percpu_timer.start, s_.duration, s_.percpu_timer.period, 1), s_.percpu_timer.count);
            add(per_pcpu > ~0ull / s_.pcpus ? ~0ull : per_pcpu * s_.pcpus, percpu_timer_node_,
                "machine.percpu_timer: its firings on " + std::to_string(s_.pcpus) + " pCPU(s)");
        }
        for (std::size_t i = 0; i < traffic_nodes_.size(); ++i) {
            const auto [d, q] = traffic_of_[i];
            const TrafficSpec& t = s_.devices[d].nic.queues[q].traffic;
            const std::uint64_t n = expected_arrivals(t);
            add(n, traffic_nodes_[i], "traffic: the packet arrivals of device '" + s_.devices[d].name + "' queue " + std::to_string(q));
            if (n == 0 && t.kind != TrafficSpec::Kind::None)
                warn(traffic_nodes_[i], "the traffic of device '" + s_.devices[d].name + "' queue " + std::to_string(q) +
                                            " never fires within the run: " + never_fires_because(t));
        }
        if (has_percpu_timer_ && s_.percpu_vector != 0 &&
            (s_.percpu_timer.count == 0 || s_.percpu_timer.start >= s_.duration))
            warn(percpu_timer_node_, s_.percpu_timer.count == 0
                                         ? "machine.percpu_timer never fires: its count is 0"
                                         : "machine.percpu_timer never fires within the run: it starts at cycle " +
                                               std::to_string(s_.percpu_timer.start) + ", not before the duration " +
                                               std::to_string(s_.duration));
        guest_work_check(total);
    }

    static std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) { return a > ~0ull - b ? ~0ull : a + b; }
    static std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) { return b && a > ~0ull / b ? ~0ull : a * b; }

    /// The guest programs' work (ScenarioLimits::max_guest_ops): operations
    /// and IPIs per run, estimated from the smallest cycles a round of each
    /// program takes and the guest time the run has. A vCPU runs at most the
    /// duration, and all vCPUs together at most pcpus x duration: that time
    /// goes first to the programs that fit the most operations in a cycle. A
    /// program runs at most (its time / its smallest round) + 1 rounds; one
    /// with a halt also at most one round per interrupt the other sources
    /// raise (`arrivals`: the device arrivals and timer firings of
    /// work_check, and the IPIs of programs without a halt), plus one: a halt
    /// ends only at an interrupt. Refused at the program that does the most.
    void guest_work_check(std::uint64_t arrivals) {
        struct Prog {
            const GuestProgram* p;
            YAML::Node node;
            std::string vcpu;
            bool halts = false;
            std::uint64_t round_cycles = 0, ipis_per_round = 0, rounds = 1, ops = 0, ipis = 0;
        };
        std::vector<Prog> progs;
        std::size_t k = 0;
        for (const DomainSpec& d : s_.domains)
            for (std::uint32_t i = 0; i < d.vcpus.size(); ++i, ++k) {
                Prog g{&d.vcpus[i].program, program_nodes_.at(k), VcpuRef{d.id, i}.name()};
                for (const GuestOp& op : g.p->ops) {
                    switch (op.kind) {
                        case GuestOp::Kind::Compute:
                        case GuestOp::Kind::CliWindow: g.round_cycles = sat_add(g.round_cycles, op.arg); break;
                        case GuestOp::Kind::Halt: g.halts = true; [[fallthrough]];
                        case GuestOp::Kind::Vmcall: g.round_cycles = sat_add(g.round_cycles, 1); break;
                        case GuestOp::Kind::Ipi:
                        case GuestOp::Kind::SelfIpi: ++g.ipis_per_round; break;
                        default: break;
                    }
                }
                // A repeating program takes time (workload() refuses one that
                // does not): round_cycles >= 1.
                g.round_cycles = std::max<std::uint64_t>(g.round_cycles, 1);
                progs.push_back(std::move(g));
            }
        // The machine's guest time, densest programs first (operations per
        // cycle, compared exactly); programs without a halt first, whose IPIs
        // bound the rounds of those with one.
        std::uint64_t time_left = sat_mul(s_.pcpus, s_.duration), wakes = arrivals;
        for (const Prog& g : progs)
            if (!g.p->repeat && !g.halts) wakes = sat_add(wakes, g.ipis_per_round);
        for (const bool halting : {false, true}) {
            std::vector<Prog*> order;
            for (Prog& g : progs)
                if (g.p->repeat && g.halts == halting) order.push_back(&g);
            std::stable_sort(order.begin(), order.end(), [](const Prog* a, const Prog* b) {
                return static_cast<unsigned __int128>(a->p->ops.size()) * b->round_cycles >
                       static_cast<unsigned __int128>(b->p->ops.size()) * a->round_cycles;
            });
            for (Prog* g : order) {
                const std::uint64_t t = std::min(time_left, s_.duration);
                g->rounds = t / g->round_cycles + 1;
                if (halting) g->rounds = std::min(g->rounds, sat_add(wakes, 1));
                time_left -= std::min(t, sat_mul(g->rounds, g->round_cycles));
                if (!halting) wakes = sat_add(wakes, sat_mul(g->rounds, g->ipis_per_round));
            }
        }
        std::uint64_t ops = 0, interrupts = arrivals;
        const Prog* most_ops = nullptr;
        const Prog* most_ipis = nullptr;
        for (Prog& g : progs) {
            g.ops = sat_mul(g.rounds, g.p->ops.size());
            g.ipis = sat_mul(g.rounds, g.ipis_per_round);
            ops = sat_add(ops, g.ops);
            interrupts = sat_add(interrupts, g.ipis);
            if (!most_ops || g.ops > most_ops->ops) most_ops = &g;
            if (g.ipis && (!most_ipis || g.ipis > most_ipis->ipis)) most_ipis = &g;
        }
        auto what = [&](const Prog& g) {
            return "the program of " + g.vcpu + " (" + std::to_string(g.p->ops.size()) +
                   " operation(s), repeating, a round at least " + std::to_string(g.round_cycles) + " cycles" +
                   (g.halts ? ", one round per interrupt at most" : "") + ") runs about " + std::to_string(g.rounds) +
                   " rounds within the run's " + std::to_string(s_.duration) + " cycles";
        };
        if (ops > ScenarioLimits::max_guest_ops)
            r_.fail(most_ops->node, what(*most_ops) + ": about " + std::to_string(most_ops->ops) +
                                        " guest operations, bringing the run's total to " + std::to_string(ops) +
                                        ", beyond the cap of " + std::to_string(ScenarioLimits::max_guest_ops) +
                                        " guest operations per run; lengthen its compute or cli, set repeat: false or shorten the duration");
        if (most_ipis && interrupts > ScenarioLimits::max_arrivals)
            r_.fail(most_ipis->node, what(*most_ipis) + ": about " + std::to_string(most_ipis->ipis) +
                                         " IPIs (ipi, self_ipi), bringing the run's interrupts (arrivals, timer firings, guest IPIs) to " +
                                         std::to_string(interrupts) + ", beyond the cap of " +
                                         std::to_string(ScenarioLimits::max_arrivals) +
                                         " per run; lengthen its compute or cli, set repeat: false or shorten the duration");
    }

    void machine(const YAML::Node& m) {
        r_.expect_map(m, "machine", {"pcpus", "apic_mode", "percpu_timer"});
        if (m["pcpus"]) s_.pcpus = static_cast<std::uint32_t>(
                            r_.u64(m["pcpus"], "machine.pcpus", 1, ScenarioLimits::max_pcpus));
        if (m["apic_mode"])
            s_.x2apic = r_.choice(m["apic_mode"], "machine.apic_mode", {"x2apic", "xapic"}) == "x2apic";
        if (const YAML::Node t = m["percpu_timer"]) {
            r_.expect_map(t, "machine.percpu_timer", {"start", "period", "count"});
            if (!t["period"]) r_.fail(t, "expected machine.percpu_timer.period (cycles)");
            s_.percpu_timer.period = r_.u64(t["period"], "machine.percpu_timer.period (cycles)", 1, ScenarioLimits::max_step);
            if (t["start"])
                s_.percpu_timer.start = r_.u64(t["start"], "machine.percpu_timer.start (cycle)", 0, ScenarioLimits::max_duration);
            if (t["count"])
                s_.percpu_timer.count = r_.u64(t["count"], "machine.percpu_timer.count", 0, ScenarioLimits::max_arrivals);
            percpu_timer_node_ = t;
            has_percpu_timer_ = true;
        }
    }

    std::uint8_t vector(const YAML::Node& n, const std::string& what) {
        return static_cast<std::uint8_t>(r_.u64_hex(n, what + " (a vector)", 16, 255));
    }

    void hyp(const YAML::Node& h) {
        r_.expect_map(h, "hyp",
                      {"irq_mode", "time_slice", "tick", "notification_vector", "wakeup_vector",
                       "timer_vector", "control_vector", "device_vector_base", "percpu_vector"});
        if (h["irq_mode"])
            s_.irq_mode = r_.choice(h["irq_mode"], "hyp.irq_mode",
                                    {"emulated", "apicv", "cpu-pi", "vtd-pi"});
        if (h["time_slice"]) s_.time_slice = r_.u64(h["time_slice"], "hyp.time_slice (cycles)", 1000, ScenarioLimits::max_step);
        if (h["tick"]) s_.tick = r_.u64(h["tick"], "hyp.tick (cycles)", 1000, ScenarioLimits::max_step);
        if (h["notification_vector"]) s_.notification_vector = vector(h["notification_vector"], "hyp.notification_vector");
        if (h["wakeup_vector"]) s_.wakeup_vector = vector(h["wakeup_vector"], "hyp.wakeup_vector");
        if (h["timer_vector"]) s_.timer_vector = vector(h["timer_vector"], "hyp.timer_vector");
        if (h["control_vector"]) s_.control_vector = vector(h["control_vector"], "hyp.control_vector");
        if (h["device_vector_base"]) s_.device_vector_base = vector(h["device_vector_base"], "hyp.device_vector_base");
        std::set<int> v = {s_.notification_vector, s_.wakeup_vector, s_.timer_vector, s_.control_vector};
        if (v.size() != 4) r_.fail(h, "hyp vectors (notification, wakeup, timer, control) must differ");
        if (h["percpu_vector"]) {
            s_.percpu_vector = static_cast<std::uint8_t>(r_.u64_hex(h["percpu_vector"], "hyp.percpu_vector (a vector)", 32, 255));
            if (v.count(s_.percpu_vector))
                r_.fail(h["percpu_vector"], "hyp.percpu_vector must differ from the notification, wakeup, timer and control vectors");
        }
    }

    GuestProgram workload(const YAML::Node& w, const std::string& where) {
        r_.expect_map(w, where, {"program", "repeat", "isr_cost", "isr_cost_by_vector"});
        GuestProgram p;
        if (w["repeat"]) p.repeat = r_.boolean(w["repeat"], where + ".repeat");
        if (w["isr_cost"]) p.isr_cost = r_.u64(w["isr_cost"], where + ".isr_cost (cycles)", 0, ScenarioLimits::max_step);
        if (w["isr_cost_by_vector"]) {
            const YAML::Node m = w["isr_cost_by_vector"];
            if (!m.IsMap()) r_.fail(m, "expected " + where + ".isr_cost_by_vector (vector: cycles)");
            for (const auto& kv : m)
                p.isr_cost_by_vector[vector(kv.first, "isr_cost_by_vector key")] =
                    r_.u64(kv.second, "ISR cost (cycles)", 0, ScenarioLimits::max_step);
        }
        if (!w["program"]) r_.fail(w, "expected " + where + ".program (a list of operations)");
        const YAML::Node prog = w["program"];
        r_.expect_seq(prog, where + ".program");
        for (const auto& op : prog) {
            r_.expect_map(op, "a guest operation",
                          {"compute", "halt", "cli", "tpr", "self_ipi", "ipi", "napi_poll", "vmcall"});
            if (op.size() != 1) r_.fail(op, "expected exactly one operation per list item");
            const auto kv = *op.begin();
            const std::string k = kv.first.Scalar();
            GuestOp g;
            if (k == "compute") g = {GuestOp::Kind::Compute, r_.u64(kv.second, "compute (cycles)", 1, ScenarioLimits::max_step), 0};
            else if (k == "halt") g = {GuestOp::Kind::Halt, 0, 0};
            else if (k == "vmcall") g = {GuestOp::Kind::Vmcall, 0, 0};
            else if (k == "cli") g = {GuestOp::Kind::CliWindow, r_.u64(kv.second, "cli (cycles)", 1, ScenarioLimits::max_step), 0};
            else if (k == "tpr") g = {GuestOp::Kind::Tpr, r_.u64_hex(kv.second, "tpr", 0, 255), 0};
            else if (k == "self_ipi") g = {GuestOp::Kind::SelfIpi, vector(kv.second, "self_ipi"), 0};
            else if (k == "napi_poll") g = {GuestOp::Kind::NapiPoll, r_.u64(kv.second, "napi_poll (cycles per packet)", 1, ScenarioLimits::max_napi_poll), 0};
            else {  // ipi: {to: <vcpu index>, vector: v}
                r_.expect_map(kv.second, "ipi", {"to", "vector"});
                if (!kv.second["to"] || !kv.second["vector"]) r_.fail(kv.second, "ipi needs 'to' and 'vector'");
                g = {GuestOp::Kind::Ipi, vector(kv.second["vector"], "ipi.vector"),
                     r_.u64(kv.second["to"], "ipi.to (vCPU index in the domain)", 0, ScenarioLimits::max_vcpus - 1)};
            }
            p.ops.push_back(g);
        }
        if (p.ops.empty()) r_.fail(prog, "expected at least one guest operation");
        bool progress = !p.repeat;
        for (const GuestOp& g : p.ops)
            progress = progress || g.kind == GuestOp::Kind::Halt || g.kind == GuestOp::Kind::Compute ||
                       g.kind == GuestOp::Kind::CliWindow || g.kind == GuestOp::Kind::Vmcall;
        if (!progress)
            r_.fail(prog, "a repeating program needs a compute, cli, halt or vmcall operation (napi_poll takes no time when the rings are empty)");
        return p;
    }

    void domains(const YAML::Node& ds) {
        r_.expect_seq(ds, "domains");
        if (ds.size() == 0) r_.fail(ds, "expected at least one domain");
        if (ds.size() > ScenarioLimits::max_domains)
            r_.fail(ds, "too many domains: at most " + std::to_string(ScenarioLimits::max_domains));
        std::uint64_t total = 0;
        for (const auto& d : ds) {
            r_.expect_map(d, "a domain", {"id", "vcpus", "percpu_vector"});
            DomainSpec spec;
            if (!d["id"]) r_.fail(d, "expected key 'id' (domain number 1..63)");
            spec.id = static_cast<std::uint32_t>(r_.u64(d["id"], "domain id", 1, ScenarioLimits::max_domains - 1));
            for (const auto& other : s_.domains)
                if (other.id == spec.id) r_.fail(d["id"], "domain id " + std::to_string(spec.id) + " used twice");
            if (d["percpu_vector"]) {
                if (s_.percpu_vector == 0) r_.fail(d["percpu_vector"], "a domain's percpu_vector needs hyp.percpu_vector");
                spec.percpu_vector = vector(d["percpu_vector"], "domain percpu_vector");
            }
            if (!d["vcpus"]) r_.fail(d, "expected key 'vcpus' (a list)");
            const YAML::Node vs = d["vcpus"];
            r_.expect_seq(vs, "vcpus");
            total += vs.size();
            if (total > ScenarioLimits::max_vcpus)
                r_.fail(vs, "too many vCPUs: this list brings the total to " + std::to_string(total) + ", at most " +
                                std::to_string(ScenarioLimits::max_vcpus) + " in all");
            for (const auto& v : vs) {
                r_.expect_map(v, "a vCPU", {"pcpu", "affinity", "workload"});
                VcpuSpec vc;
                if (v["pcpu"]) vc.pcpu = static_cast<std::uint32_t>(r_.u64(v["pcpu"], "vcpu.pcpu", 0, ScenarioLimits::max_pcpus - 1));
                if (vc.pcpu >= s_.pcpus)
                    r_.fail(v["pcpu"], "vcpu.pcpu " + std::to_string(vc.pcpu) + " names a missing pCPU (machine.pcpus is " +
                                           std::to_string(s_.pcpus) + ")");
                if (const YAML::Node a = v["affinity"]) {
                    r_.expect_seq(a, "vcpu.affinity (a list of pCPUs)");
                    if (a.size() == 0) r_.fail(a, "expected at least one pCPU in vcpu.affinity");
                    for (const auto& c : a) {
                        auto p = r_.u64(c, "vcpu.affinity pCPU", 0, ScenarioLimits::max_pcpus - 1);
                        if (p >= s_.pcpus) r_.fail(c, "vcpu.affinity names a missing pCPU " + std::to_string(p));
                        vc.affinity_mask |= 1ull << p;
                    }
                    if (!((vc.affinity_mask >> vc.pcpu) & 1u))
                        r_.fail(a, "vcpu.affinity must include vcpu.pcpu " + std::to_string(vc.pcpu));
                }
                if (!v["workload"]) r_.fail(v, "expected key 'workload'");
                vc.program = workload(v["workload"], "workload");
                program_nodes_.push_back(v["workload"]["program"]);
                spec.vcpus.push_back(std::move(vc));
            }
            if (spec.vcpus.empty()) r_.fail(vs, "expected at least one vCPU");
            s_.domains.push_back(std::move(spec));
        }
    }

    VcpuRef vcpu_ref(const YAML::Node& n, const std::string& what) {
        const std::string s = r_.str(n, what + " (a vCPU name like d1v0)");
        // d<domain>v<index>, decimal (domains < 64, vCPUs < 512).
        const auto v = s.find('v');
        auto digits = [&](std::size_t from, std::size_t to) {
            return to > from && to - from <= 18 && s.find_first_not_of("0123456789", from) >= to;
        };
        if (s.size() < 4 || s[0] != 'd' || v == std::string::npos || !digits(1, v) || !digits(v + 1, s.size()))
            r_.fail(n, "expected " + what + " as d<domain>v<index>, got '" + s.substr(0, 40) + (s.size() > 40 ? "...'" : "'"));
        const std::uint64_t dom = std::stoull(s.substr(1, v - 1)), idx = std::stoull(s.substr(v + 1));
        if (dom >= ScenarioLimits::max_domains || idx >= ScenarioLimits::max_vcpus)
            r_.fail(n, what + " '" + s + "' is out of range: domains are 1-" + std::to_string(ScenarioLimits::max_domains - 1) +
                           ", vCPU indices 0-" + std::to_string(ScenarioLimits::max_vcpus - 1));
        VcpuRef ref{static_cast<std::uint32_t>(dom), static_cast<std::uint32_t>(idx)};
        if (s_.vcpu_global(ref) < 0) r_.fail(n, what + " '" + s + "' names a missing vCPU");
        return ref;
    }

    std::uint16_t bdf(const YAML::Node& n, const std::string& what = "bdf") {
        static const std::regex re("([0-9a-fA-F]{2}):([0-1][0-9a-fA-F])\\.([0-7])");
        std::string s = r_.str(n, what + " (BB:DD.F)");
        std::smatch m;
        if (!std::regex_match(s, m, re)) r_.fail(n, "expected " + what + " as BB:DD.F (hex bus, device < 0x20, function 0-7), got '" + s + "'");
        unsigned b = std::stoul(m[1], nullptr, 16), d = std::stoul(m[2], nullptr, 16), f = std::stoul(m[3]);
        if (d > 0x1f) r_.fail(n, "device number above 0x1f in '" + s + "'");
        return static_cast<std::uint16_t>(b << 8 | d << 3 | f);
    }

    TrafficSpec traffic(const YAML::Node& t) {
        r_.expect_map(t, "traffic", {"kind", "start", "stop", "interval", "count", "burst_len", "burst_gap", "file"});
        TrafficSpec ts;
        if (!t["kind"]) r_.fail(t, "expected traffic.kind");
        std::string k = r_.choice(t["kind"], "traffic.kind", {"none", "constant", "poisson", "burst", "file"});
        ts.kind = k == "none" ? TrafficSpec::Kind::None
                  : k == "constant" ? TrafficSpec::Kind::Constant
                  : k == "poisson" ? TrafficSpec::Kind::Poisson
                  : k == "burst" ? TrafficSpec::Kind::Burst
                                 : TrafficSpec::Kind::File;
        if (t["start"]) ts.start = r_.u64(t["start"], "traffic.start (cycle)", 0, ScenarioLimits::max_duration);
        if (t["stop"]) ts.stop = r_.u64(t["stop"], "traffic.stop (cycle)", 0, ScenarioLimits::max_duration);
        if (t["interval"]) ts.interval = r_.u64(t["interval"], "traffic.interval (cycles)", 1, ScenarioLimits::max_step);
        if (t["count"]) ts.count = r_.u64(t["count"], "traffic.count", 0, ScenarioLimits::max_arrivals);
        if (t["burst_len"]) ts.burst_len = static_cast<std::uint32_t>(r_.u64(t["burst_len"], "traffic.burst_len", 1, 1u << 20));
        if (t["burst_gap"]) ts.burst_gap = r_.u64(t["burst_gap"], "traffic.burst_gap (cycles)", 0, ScenarioLimits::max_step);
        if ((ts.kind == TrafficSpec::Kind::Constant || ts.kind == TrafficSpec::Kind::Poisson ||
             ts.kind == TrafficSpec::Kind::Burst) && ts.interval == 0)
            r_.fail(t, "traffic kind '" + k + "' needs 'interval' (cycles)");
        if (ts.kind == TrafficSpec::Kind::File) {
            if (!t["file"]) r_.fail(t, "traffic kind 'file' needs 'file' (arrival cycles, one per line)");
            const std::string rel = r_.str(t["file"], "traffic.file");
            std::string dir = s_.file.substr(0, s_.file.find_last_of('/') + 1);
            const std::string path = rel.size() && rel[0] == '/' ? rel : dir + rel;
            ts.times = traffic_file(t["file"], rel, path);
            s_.traffic_files.push_back(path);
        }
        if (ts.stop <= ts.start) r_.fail(t, "traffic.stop must be after traffic.start");
        return ts;
    }

    // A traffic file: one arrival cycle per line (decimal, ascending; blank
    // lines and surrounding blanks are ignored). Anything else is an error
    // naming the file and line, never the end of the list.
    std::vector<std::uint64_t> traffic_file(const YAML::Node& at, const std::string& rel, const std::string& path) {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) r_.fail(at, "cannot open traffic file '" + rel + "'");
        if (!S_ISREG(st.st_mode))
            r_.fail(at, "traffic file '" + rel + "' is not a regular file (a device, FIFO or directory is not read)");
        if (static_cast<std::uint64_t>(st.st_size) > ScenarioLimits::max_traffic_file_bytes)
            r_.fail(at, "traffic file '" + rel + "' is larger than " +
                            std::to_string(ScenarioLimits::max_traffic_file_bytes >> 20) + " MiB");
        std::ifstream in(path, std::ios::binary);
        if (!in) r_.fail(at, "cannot open traffic file '" + rel + "'");
        std::vector<std::uint64_t> times;
        std::string line;
        std::uint64_t lineno = 0, bytes = 0;
        while (std::getline(in, line)) {
            ++lineno;
            bytes += line.size() + 1;
            if (bytes > ScenarioLimits::max_traffic_file_bytes + 1)  // it grew since the stat
                r_.fail(at, "traffic file '" + rel + "' is larger than " +
                                std::to_string(ScenarioLimits::max_traffic_file_bytes >> 20) + " MiB");
            const auto first = line.find_first_not_of(" \t\r");
            if (first == std::string::npos) continue;
            const auto last = line.find_last_not_of(" \t\r");
            const std::string word = line.substr(first, last - first + 1);
            const std::string where = "traffic file '" + rel + "' line " + std::to_string(lineno) + ": ";
            std::uint64_t v = 0;
            if (!parse_u64_strict(word, v)) {
                const std::string shown = utf8_sanitized(word.substr(0, 40)) + (word.size() > 40 ? "..." : "");
                r_.fail(at, where + "expected one arrival cycle (a decimal integer without sign or leading zero, "
                                    "at most " + std::to_string(ScenarioLimits::max_duration) + "), got '" + shown + "'");
            }
            if (v > ScenarioLimits::max_duration)
                r_.fail(at, where + "arrival cycle " + word + " is beyond the longest run (" +
                                std::to_string(ScenarioLimits::max_duration) + " cycles)");
            if (!times.empty() && v < times.back())
                r_.fail(at, where + "arrival cycle " + word + " is before the previous line's " +
                                std::to_string(times.back()) + " (times must ascend)");
            times.push_back(v);
        }
        if (in.bad()) r_.fail(at, "cannot read traffic file '" + rel + "'");
        return times;
    }

    void devices(const YAML::Node& ds) {
        r_.expect_seq(ds, "devices");
        if (ds.size() > ScenarioLimits::max_devices) r_.fail(ds, "too many devices");
        std::uint32_t index = 0;
        for (const auto& d : ds) {
            r_.expect_map(d, "a device", {"name", "bdf", "requester_id", "domain", "msix_vectors", "moderation", "queues"});
            DeviceSpec dev;
            if (!d["name"]) r_.fail(d, "expected device 'name'");
            dev.name = r_.str(d["name"], "device name");
            for (const auto& o : s_.devices)
                if (o.name == dev.name) r_.fail(d["name"], "device name '" + dev.name + "' used twice");
            if (!d["bdf"]) r_.fail(d, "expected device 'bdf' (BB:DD.F)");
            dev.requester_id = bdf(d["bdf"]);
            for (const auto& o : s_.devices)
                if (o.requester_id == dev.requester_id)
                    r_.fail(d["bdf"], "bdf " + d["bdf"].Scalar() + " is already used by device '" + o.name +
                                          "' (one BDF per function; a forged identity goes in 'requester_id')");
            dev.nic.requester_id = dev.requester_id;
            dev.tlp_requester_id = d["requester_id"] ? bdf(d["requester_id"], "requester_id") : dev.requester_id;
            if (dev.tlp_requester_id != dev.requester_id) dev.nic.spoofed_requester_id = dev.tlp_requester_id;
            dev.nic.device_index = index++;
            dev.nic.seed = s_.seed;
            if (d["domain"] && d["domain"].IsScalar() && d["domain"].Scalar() == "host") {
                dev.host = true;
            } else if (d["domain"]) {
                dev.domain = static_cast<std::uint32_t>(r_.u64(d["domain"], "device domain", 1, ScenarioLimits::max_domains - 1));
                bool found = false;
                for (const auto& dom : s_.domains) found = found || dom.id == *dev.domain;
                if (!found) r_.fail(d["domain"], "device domain " + std::to_string(*dev.domain) + " is not defined");
            }
            if (d["msix_vectors"]) dev.nic.msix_vectors = static_cast<std::uint32_t>(r_.u64(d["msix_vectors"], "msix_vectors", 1, 2048));
            if (d["moderation"]) dev.nic.moderation = r_.u64(d["moderation"], "moderation (cycles)", 0, ScenarioLimits::max_step);
            if (!d["queues"]) r_.fail(d, "expected device 'queues' (a list)");
            r_.expect_seq(d["queues"], "queues");
            for (const auto& q : d["queues"]) {
                r_.expect_map(q, "a queue", {"vector_index", "bind", "traffic", "msi"});
                NicQueueSpec qs;
                if (q["vector_index"]) qs.msix_index = static_cast<std::uint32_t>(r_.u64(q["vector_index"], "vector_index", 0, 2047));
                if (qs.msix_index >= dev.nic.msix_vectors)
                    r_.fail(q["vector_index"] ? q["vector_index"] : q, "vector_index beyond msix_vectors");
                if (q["traffic"]) {
                    qs.traffic = traffic(q["traffic"]);
                    traffic_nodes_.push_back(q["traffic"]);
                    traffic_of_.push_back({s_.devices.size(), dev.nic.queues.size()});
                }
                if (q["bind"] && dev.host) {
                    // A host-owned device: a host vector on a pCPU (dom0's SAS controller
                    // of xen-devel, "[Xenhackthon] Virtualized APIC registers -
                    // virtual interrupt delivery", 2013).
                    const YAML::Node b = q["bind"];
                    r_.expect_map(b, "bind of a host device", {"pcpu", "vector", "isr_cost"});
                    if (!b["pcpu"] || !b["vector"])
                        r_.fail(b, "bind of a host device needs 'pcpu' and 'vector' (host vector 32..255)");
                    MsiBinding mb;
                    mb.host = true;
                    mb.vector_index = qs.msix_index;
                    mb.pcpu = static_cast<std::uint32_t>(r_.u64(b["pcpu"], "bind.pcpu", 0, ScenarioLimits::max_pcpus - 1));
                    if (mb.pcpu >= s_.pcpus) r_.fail(b["pcpu"], "bind.pcpu " + std::to_string(mb.pcpu) + " names a missing pCPU");
                    mb.guest_vector = static_cast<std::uint8_t>(r_.u64_hex(b["vector"], "bind.vector (host vector)", 32, 255));
                    for (std::uint8_t own : {s_.notification_vector, s_.wakeup_vector, s_.timer_vector, s_.control_vector})
                        if (mb.guest_vector == own)
                            r_.fail(b["vector"], "bind.vector " + std::to_string(mb.guest_vector) + " is one of the hypervisor's own vectors (hyp.*_vector)");
                    for (const auto& o : s_.devices)
                        for (const auto& ob : o.bindings)
                            if (ob.host && ob.pcpu == mb.pcpu && ob.guest_vector == mb.guest_vector)
                                r_.fail(b["vector"], "host vector " + std::to_string(mb.guest_vector) + " on pCPU " + std::to_string(mb.pcpu) + " is already bound to device '" + o.name + "'");
                    for (const auto& ob : dev.bindings)
                        if (ob.pcpu == mb.pcpu && ob.guest_vector == mb.guest_vector)
                            r_.fail(b["vector"], "host vector " + std::to_string(mb.guest_vector) + " on pCPU " + std::to_string(mb.pcpu) + " is already bound");
                    if (b["isr_cost"]) mb.host_isr_cost = r_.u64(b["isr_cost"], "bind.isr_cost (cycles)", 0, ScenarioLimits::max_step);
                    dev.bindings.push_back(mb);
                } else if (q["bind"]) {
                    const YAML::Node b = q["bind"];
                    r_.expect_map(b, "bind", {"vcpu", "vector", "urgent"});
                    if (!b["vcpu"] || !b["vector"]) r_.fail(b, "bind needs 'vcpu' and 'vector'");
                    MsiBinding mb;
                    mb.vector_index = qs.msix_index;
                    mb.vcpu = vcpu_ref(b["vcpu"], "bind.vcpu");
                    mb.guest_vector = vector(b["vector"], "bind.vector");
                    if (b["urgent"]) mb.urgent = r_.boolean(b["urgent"], "bind.urgent");
                    if (!dev.domain) r_.fail(b, "a bound queue needs the device assigned to a domain ('domain:')");
                    if (mb.vcpu.domain != *dev.domain)
                        r_.fail(b["vcpu"], "bind.vcpu belongs to domain " + std::to_string(mb.vcpu.domain) +
                                               " but the device is assigned to domain " + std::to_string(*dev.domain));
                    dev.bindings.push_back(mb);
                }
                if (q["msi"]) {
                    if (q["bind"])
                        r_.fail(q["msi"], "a queue with 'msi' ignores its MSI-X table, so it cannot also have 'bind'");
                    dev.forged.push_back(forged_msi(q["msi"], qs.msix_index));
                    copy_refs_.push_back({s_.devices.size(), dev.forged.size() - 1, q["msi"]});
                }
                dev.nic.queues.push_back(qs);
            }
            s_.devices.push_back(std::move(dev));
        }
        // copy_of may name a device listed later: resolve after all are read.
        for (const CopyRef& c : copy_refs_) {
            const ForgedMsi& f = s_.devices[c.device].forged[c.forged];
            if (f.copy_device.empty()) continue;
            const YAML::Node co = c.node["copy_of"];
            const DeviceSpec* victim = find_device(f.copy_device);
            if (!victim) r_.fail(co["device"], "msi.copy_of.device names " + missing_device(f.copy_device));
            if (victim == &s_.devices[c.device]) r_.fail(co["device"], "msi.copy_of names the device itself");
            bool bound = false;
            for (const MsiBinding& b : victim->bindings) bound = bound || b.vector_index == f.copy_vector_index;
            if (!bound)
                r_.fail(co["vector_index"] ? co["vector_index"] : co,
                        "msi.copy_of: vector_index " + std::to_string(f.copy_vector_index) + " of device '" + f.copy_device +
                            "' has no 'bind', so the hypervisor never programs a message to copy");
        }
    }

    std::string missing_hint(const std::string& name) const {
        std::vector<std::string> names;
        for (const auto& d : s_.devices) names.push_back(d.name);
        const std::string hint = closest_word(name, names);
        return hint.empty() ? std::string() : " (did you mean '" + hint + "'?)";
    }
    std::string missing_device(const std::string& name) const {
        return "a missing device '" + name + "'" + missing_hint(name);
    }

    const DeviceSpec* find_device(const std::string& name) const {
        for (const auto& d : s_.devices)
            if (d.name == name) return &d;
        return nullptr;
    }

    // msi: {address: A, data: D} | {copy_of: {device: NAME, vector_index: N}}
    ForgedMsi forged_msi(const YAML::Node& m, std::uint32_t vector_index) {
        r_.expect_map(m, "msi", {"address", "data", "copy_of"});
        ForgedMsi f;
        f.vector_index = vector_index;
        if (m["copy_of"]) {
            if (m["address"] || m["data"])
                r_.fail(m["copy_of"], "msi takes either 'address' and 'data' or 'copy_of', not both");
            const YAML::Node c = m["copy_of"];
            r_.expect_map(c, "msi.copy_of", {"device", "vector_index"});
            if (!c["device"]) r_.fail(c, "msi.copy_of needs 'device' (the device whose MSI-X entry is copied)");
            f.copy_device = r_.str(c["device"], "msi.copy_of.device");
            if (c["vector_index"])
                f.copy_vector_index = static_cast<std::uint32_t>(r_.u64(c["vector_index"], "msi.copy_of.vector_index", 0, 2047));
            return f;
        }
        if (!m["address"] || !m["data"])
            r_.fail(m, "msi needs 'address' and 'data' (the raw message), or 'copy_of'");
        f.address = r_.u64_hex(m["address"], "msi.address (the interrupt address range)", 0xFEE00000ull, 0xFEEFFFFFull);
        f.data = static_cast<std::uint32_t>(r_.u64_hex(m["data"], "msi.data (32 bits)", 0, 0xFFFFFFFFull));
        return f;
    }

    void events(const YAML::Node& es) {
        r_.expect_seq(es, "events");
        if (es.size() > ScenarioLimits::max_events) r_.fail(es, "too many events: at most " + std::to_string(ScenarioLimits::max_events));
        for (const auto& e : es) {
            r_.expect_map(e, "an event", {"at", "op", "pcpu", "vcpu", "to", "device", "domain", "vector_index", "vector", "cost",
                                          "word", "set_bits"});
            TimedEvent t;
            t.line = e.Mark().line + 1;
            if (!e["at"]) r_.fail(e, "expected event 'at' (cycle)");
            t.at = r_.u64(e["at"], "event.at (cycle)", 0, ScenarioLimits::max_duration);
            if (t.at >= s_.duration) r_.fail(e["at"], "event.at is at or after the end of the run (duration " + std::to_string(s_.duration) + ")");
            if (!e["op"]) r_.fail(e, "expected event 'op'");
            const std::string op = r_.choice(e["op"], "event.op",
                {"preempt", "block", "wake", "pin", "pcpu_offline", "pcpu_online", "assign", "deassign", "ipi", "tasklet", "reprogram_irte",
                 "corrupt_irte", "corrupt_pid", "percpu_timer"});
            auto need = [&](const char* k) -> YAML::Node {
                if (!e[k]) r_.fail(e, "event op '" + op + "' needs '" + k + "'");
                return e[k];
            };
            auto pcpu = [&](const YAML::Node& n) {
                auto p = static_cast<std::uint32_t>(r_.u64(n, "event.pcpu", 0, ScenarioLimits::max_pcpus - 1));
                if (p >= s_.pcpus) r_.fail(n, "event.pcpu " + std::to_string(p) + " names a missing pCPU");
                return p;
            };
            auto device = [&](const YAML::Node& n) {
                std::string name = r_.str(n, "event.device");
                for (const auto& d : s_.devices) if (d.name == name) return name;
                r_.fail(n, "event.device '" + name + "' names a missing device" + missing_hint(name));
            };
            if (op == "preempt") { t.op = TimedEvent::Op::Preempt; t.pcpu = pcpu(need("pcpu")); }
            else if (op == "block") { t.op = TimedEvent::Op::Block; t.vcpu = vcpu_ref(need("vcpu"), "event.vcpu"); }
            else if (op == "wake") { t.op = TimedEvent::Op::Wake; t.vcpu = vcpu_ref(need("vcpu"), "event.vcpu"); }
            else if (op == "pin") { t.op = TimedEvent::Op::Pin; t.vcpu = vcpu_ref(need("vcpu"), "event.vcpu"); t.pcpu = pcpu(need("pcpu")); }
            else if (op == "pcpu_offline") { t.op = TimedEvent::Op::PcpuOffline; t.pcpu = pcpu(need("pcpu")); }
            else if (op == "pcpu_online") { t.op = TimedEvent::Op::PcpuOnline; t.pcpu = pcpu(need("pcpu")); }
            else if (op == "assign") {
                t.op = TimedEvent::Op::Assign; t.device = device(need("device"));
                t.domain = static_cast<std::uint32_t>(r_.u64(need("domain"), "event.domain", 1, ScenarioLimits::max_domains - 1));
                bool known = false;
                for (const auto& d : s_.domains) known = known || d.id == t.domain;
                if (!known) r_.fail(e["domain"], "event.domain " + std::to_string(t.domain) + " is not defined");
            }
            else if (op == "deassign") { t.op = TimedEvent::Op::Deassign; t.device = device(need("device")); }
            else if (op == "ipi") {
                t.op = TimedEvent::Op::Ipi; t.vcpu = vcpu_ref(need("vcpu"), "event.vcpu");
                t.vcpu2 = vcpu_ref(need("to"), "event.to"); t.vector = vector(need("vector"), "event.vector");
            }
            else if (op == "percpu_timer") {
                t.op = TimedEvent::Op::PercpuTimer; t.pcpu = pcpu(need("pcpu"));
                if (s_.percpu_vector == 0) r_.fail(e["op"], "event op 'percpu_timer' needs hyp.percpu_vector");
            }
            else if (op == "tasklet") { t.op = TimedEvent::Op::Tasklet; t.pcpu = pcpu(need("pcpu")); t.cost = r_.u64(need("cost"), "event.cost (cycles)", 1, ScenarioLimits::max_step); }
            else if (op == "corrupt_irte") {
                t.op = TimedEvent::Op::CorruptIrte; t.device = device(need("device"));
                t.vector_index = static_cast<std::uint32_t>(r_.u64(need("vector_index"), "event.vector_index", 0, 2047));
                const DeviceSpec& d = *find_device(t.device);
                bool programmed = false;
                for (const MsiBinding& b : d.bindings) programmed = programmed || b.vector_index == t.vector_index;
                if (!programmed)
                    r_.fail(e["vector_index"], "corrupt_irte: vector_index " + std::to_string(t.vector_index) + " of device '" +
                                                   t.device + "' has no 'bind', so it has no IRTE");
                t.word = static_cast<std::uint32_t>(r_.u64(need("word"), "event.word (IRTE word: 0 = bits 63:0, 1 = bits 127:64)", 0, 1));
                t.set_bits = r_.u64_hex(need("set_bits"), "event.set_bits (bits to set)", 1);
            }
            else if (op == "corrupt_pid") {
                t.op = TimedEvent::Op::CorruptPid; t.vcpu = vcpu_ref(need("vcpu"), "event.vcpu");
                t.word = static_cast<std::uint32_t>(r_.u64(need("word"), "event.word (PID word 0-7)", 0, 7));
                t.set_bits = r_.u64_hex(need("set_bits"), "event.set_bits (bits to set)", 1);
            }
            else {
                t.op = TimedEvent::Op::Reprogram; t.device = device(need("device"));
                t.vector_index = static_cast<std::uint32_t>(r_.u64(need("vector_index"), "event.vector_index", 0, 2047));
                t.vcpu = vcpu_ref(need("vcpu"), "event.vcpu"); t.vector = vector(need("vector"), "event.vector");
            }
            overlap_check(e, t);
            s_.events.push_back(t);
        }
        std::stable_sort(s_.events.begin(), s_.events.end(),
                         [](const TimedEvent& a, const TimedEvent& b) { return a.at < b.at; });
    }

    // perturb: [{agent: pcpu, pcpu: K, at: C, delay: D} | {agent: vtd, at: C, delay: D}]
    void perturb(const YAML::Node& ps) {
        r_.expect_seq(ps, "perturb");
        if (ps.size() > ScenarioLimits::max_perturb)
            r_.fail(ps, "too many perturbations: at most " + std::to_string(ScenarioLimits::max_perturb));
        std::set<std::pair<std::uint64_t, std::uint32_t>> seen;  // (at, pCPU or ~0 for VT-d)
        for (const auto& p : ps) {
            r_.expect_map(p, "a perturbation", {"agent", "pcpu", "at", "delay"});
            Perturbation x;
            if (!p["agent"]) r_.fail(p, "expected perturbation 'agent' (pcpu or vtd)");
            const bool vtd = r_.choice(p["agent"], "perturb.agent", {"pcpu", "vtd"}) == "vtd";
            x.agent = vtd ? Perturbation::Agent::Vtd : Perturbation::Agent::Pcpu;
            if (vtd && p["pcpu"]) r_.fail(p["pcpu"], "a perturbation of agent vtd takes no 'pcpu'");
            if (!vtd) {
                if (!p["pcpu"]) r_.fail(p, "a perturbation of agent pcpu needs 'pcpu'");
                x.pcpu = static_cast<std::uint32_t>(r_.u64(p["pcpu"], "perturb.pcpu", 0, ScenarioLimits::max_pcpus - 1));
                if (x.pcpu >= s_.pcpus) r_.fail(p["pcpu"], "perturb.pcpu " + std::to_string(x.pcpu) + " names a missing pCPU");
            }
            if (!p["at"]) r_.fail(p, "expected perturbation 'at' (cycle)");
            x.at = r_.u64(p["at"], "perturb.at (cycle)", 0, ScenarioLimits::max_duration);
            if (x.at >= s_.duration)
                r_.fail(p["at"], "perturb.at is at or after the end of the run (duration " + std::to_string(s_.duration) + ")");
            if (!p["delay"]) r_.fail(p, "expected perturbation 'delay' (cycles)");
            x.delay = r_.u64(p["delay"], "perturb.delay (cycles)", 1, ScenarioLimits::max_perturb_delay);
            if (!seen.emplace(x.at, vtd ? ~0u : x.pcpu).second)
                r_.fail(p["at"], "two perturbations of the same agent at cycle " + std::to_string(x.at));
            s_.perturb.push_back(x);
        }
        std::stable_sort(s_.perturb.begin(), s_.perturb.end(),
                         [](const Perturbation& a, const Perturbation& b) { return a.at < b.at; });
    }

    // What a timed event acts on: one target takes one event per cycle. Two
    // events at the same cycle on the same pCPU, vCPU or device would race
    // inside that cycle in an order the file does not say; such a pair is
    // rejected (an IPI acts on its sender).
    std::string event_target(const TimedEvent& t) const {
        switch (t.op) {
            case TimedEvent::Op::Preempt: case TimedEvent::Op::PcpuOffline: case TimedEvent::Op::PcpuOnline:
            case TimedEvent::Op::Tasklet: case TimedEvent::Op::PercpuTimer:
                return "pCPU " + std::to_string(t.pcpu);
            case TimedEvent::Op::Block: case TimedEvent::Op::Wake: case TimedEvent::Op::Pin: case TimedEvent::Op::Ipi:
            case TimedEvent::Op::CorruptPid:
                return "vCPU " + t.vcpu.name();
            case TimedEvent::Op::Assign: case TimedEvent::Op::Deassign: case TimedEvent::Op::Reprogram:
            case TimedEvent::Op::CorruptIrte:
                return "device " + t.device;
        }
        return "";
    }

    void overlap_check(const YAML::Node& e, const TimedEvent& t) {
        const std::string target = event_target(t);
        auto [it, fresh] = event_at_target_.emplace(std::make_pair(t.at, target), t.line);
        if (!fresh)
            r_.fail(e["at"], "event " + std::string(timed_event_op_name(t.op)) + " at cycle " + std::to_string(t.at) +
                                 " overlaps the event on line " + std::to_string(it->second) + ": both act on " + target +
                                 " in the same cycle; give them different cycles");
    }

    /// Who wrote the file (platform/provenance.h); read, checked, not simulated.
    void provenance(const YAML::Node& n, const YAML::Mark& key) {
        r_.expect_map(n, "provenance", {"pisim", "core", "seed", "found_by"});
        Provenance p;
        p.line = key.line + 1;
        p.column = key.column + 1;
        if (!n["pisim"]) r_.fail(n, "expected provenance.pisim (the pisim version that wrote the file)");
        p.pisim = r_.str(n["pisim"], "provenance.pisim");
        if (!n["core"]) r_.fail(n, "expected provenance.core ({path, build_id})");
        const YAML::Node c = n["core"];
        r_.expect_map(c, "provenance.core", {"path", "build_id"});
        if (!c["path"]) r_.fail(c, "expected provenance.core.path (\"built-in\" or the --hyp file)");
        p.core.path = r_.str(c["path"], "provenance.core.path");
        if (c["build_id"]) {
            p.core.build_id = r_.str(c["build_id"], "provenance.core.build_id");
            if (p.core.build_id.find_first_not_of("0123456789abcdef") != std::string::npos)
                r_.fail(c["build_id"], "expected provenance.core.build_id in lower-case hex (the GNU build ID), or empty");
        }
        if (n["seed"]) p.seed = r_.u64(n["seed"], "provenance.seed");
        if (n["found_by"]) p.found_by = r_.str(n["found_by"], "provenance.found_by");
        s_.provenance = std::move(p);
    }

    void expect(const YAML::Node& x) {
        r_.expect_map(x, "expect", {"all_delivered", "max_latency", "p99_latency", "min_interrupts", "vm_exits", "vm_exits_total",
                                    "violations", "vtd_faults", "delivered", "isr_counts"});
        if (const YAML::Node ic = x["isr_counts"]) {
            if (!ic.IsMap()) r_.fail(ic, "expected expect.isr_counts (vCPU: {vector: count})");
            for (const auto& kv : ic) {
                const int g = s_.vcpu_global(vcpu_ref(kv.first, "expect.isr_counts key"));
                if (!kv.second.IsMap()) r_.fail(kv.second, "expected expect.isr_counts entry {vector: count}");
                for (const auto& vc : kv.second)
                    s_.expect.isr_counts[{g, vector(vc.first, "expect.isr_counts vector")}] =
                        r_.u64(vc.second, "expect.isr_counts count");
            }
        }
        if (x["all_delivered"])
            s_.expect.all_delivered = r_.boolean(x["all_delivered"], "expect.all_delivered"), s_.expect.all_delivered_given = true;
        if (x["max_latency"])
            s_.expect.max_latency = r_.u64(x["max_latency"], "expect.max_latency (cycles)", 0, ScenarioLimits::max_duration);
        if (x["p99_latency"])
            s_.expect.p99_latency = r_.u64(x["p99_latency"], "expect.p99_latency (cycles)", 0, ScenarioLimits::max_duration);
        if (x["min_interrupts"]) s_.expect.min_interrupts = r_.u64(x["min_interrupts"], "expect.min_interrupts");
        if (x["vm_exits_total"]) s_.expect.vm_exits_total_max = r_.u64(x["vm_exits_total"], "expect.vm_exits_total");
        if (x["violations"]) {
            r_.expect_seq(x["violations"], "expect.violations (oracle names that must be violated)");
            for (const auto& v : x["violations"])
                s_.expect.violations.push_back(r_.choice(v, "an oracle name", oracle_names()));
        }
        if (x["vm_exits"]) {
            const YAML::Node m = x["vm_exits"];
            if (!m.IsMap()) r_.fail(m, "expected expect.vm_exits (exit reason number: maximum count)");
            for (const auto& kv : m)
                s_.expect.vm_exits_max[static_cast<std::uint32_t>(r_.u64(kv.first, "exit reason", 0, 65535))] =
                    r_.u64(kv.second, "maximum exit count");
        }
        if (x["vtd_faults"]) {
            const YAML::Node m = x["vtd_faults"];
            if (!m.IsMap()) r_.fail(m, "expected expect.vtd_faults (fault reason 0x20-0x28: exact count), got a " +
                                           std::string(m.IsSequence() ? "list" : "scalar"));
            std::map<std::uint8_t, std::uint64_t> want;
            for (const auto& kv : m) {
                const auto reason = static_cast<std::uint8_t>(
                    r_.u64_hex(kv.first, "a VT-d interrupt-remapping fault reason", 0x20, 0x28));
                if (want.count(reason)) r_.fail(kv.first, "fault reason listed twice");
                want[reason] = r_.u64(kv.second, "expected fault count");
            }
            s_.expect.vtd_faults = want;
        }
        if (x["delivered"]) {
            const YAML::Node m = x["delivered"];
            if (!m.IsMap()) r_.fail(m, "expected expect.delivered (device name: exact count of its interrupts VT-d let through)");
            for (const auto& kv : m) {
                const std::string name = r_.str(kv.first, "a device name");
                if (!find_device(name)) r_.fail(kv.first, "expect.delivered names " + missing_device(name));
                s_.expect.delivered[name] = r_.u64(kv.second, "expect.delivered count");
            }
        }
    }

    struct CopyRef {
        std::size_t device, forged;
        YAML::Node node;
    };
    YamlReader r_;
    Scenario s_;
    YAML::Node percpu_timer_node_;
    bool has_percpu_timer_ = false;
    YAML::Node overrides_node_;
    std::vector<CopyRef> copy_refs_;
    std::vector<YAML::Node> program_nodes_;  ///< every vCPU's workload.program, in the order of s_.domains' vCPUs
    std::vector<YAML::Node> traffic_nodes_;  ///< every queue's traffic node...
    std::vector<std::pair<std::size_t, std::size_t>> traffic_of_;  ///< ...and its (device, queue)
    std::map<std::pair<std::uint64_t, std::string>, int> event_at_target_;
};

}  // namespace

Scenario load_scenario(const std::string& path) {
    Loader l(path);
    return l.run();
}

Scenario load_scenario_node(const YAML::Node& doc, const std::string& file) {
    Loader l(file);
    return l.run(doc);
}

}  // namespace pisim
