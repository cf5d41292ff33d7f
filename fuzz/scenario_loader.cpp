// fuzz/scenario_loader.cpp - libFuzzer target for the scenario loader
// (platform/scenario.h: load_scenario).
//
// The input bytes are written to a file and loaded. Contract under test:
//  - load_scenario either returns a Scenario or throws pisim::InputError;
//    any other exception, a crash or a sanitizer report is a bug;
//  - a Scenario it returns keeps the limits and references that scenario.h
//    and the loader promise (ScenarioLimits, vCPU/pCPU/device references,
//    vector ranges, events sorted by cycle), so the platform may build a
//    machine from it without checking again.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <string>
#include <typeinfo>

#include "platform/input_error.h"
#include "platform/oracles.h"
#include "platform/scenario.h"

namespace {

/// A private directory with the one input file, removed at exit.
struct InputFile {
    std::string dir, path;
    InputFile() {
        const char* tmp = std::getenv("TMPDIR");
        std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/pisim-fuzz-XXXXXX";
        if (!mkdtemp(templ.data())) {
            std::perror("mkdtemp");
            std::abort();
        }
        dir = templ;
        path = dir + "/scenario.yaml";
    }
    ~InputFile() {
        unlink(path.c_str());
        rmdir(dir.c_str());
    }
    void write(const std::uint8_t* data, std::size_t size) const {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
            std::perror(path.c_str());
            std::abort();
        }
    }
};

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "scenario_loader: accepted scenario violates: %s\n", what);
    std::abort();
}
#define CHECK(cond) \
    do {            \
        if (!(cond)) violated(#cond); \
    } while (0)

bool is_vector(std::uint64_t v) { return v >= 16 && v <= 255; }

std::set<std::string> names_of(const pisim::Scenario& s) {
    std::set<std::string> n;
    for (const auto& d : s.devices) n.insert(d.name);
    return n;
}

/// What an accepted scenario must satisfy (scenario.h, ScenarioLimits).
void check_accepted(const pisim::Scenario& s) {
    using pisim::ScenarioLimits;
    using pisim::TimedEvent;
    CHECK(s.duration >= 1 && s.duration <= ScenarioLimits::max_duration);
    CHECK(s.pcpus >= 1 && s.pcpus <= ScenarioLimits::max_pcpus);
    CHECK(s.irq_mode == "emulated" || s.irq_mode == "apicv" || s.irq_mode == "cpu-pi" ||
          s.irq_mode == "vtd-pi");
    CHECK(s.time_slice == 0 || s.time_slice >= 1000);
    CHECK(s.tick == 0 || s.tick >= 1000);
    for (std::uint8_t v : {s.notification_vector, s.wakeup_vector, s.timer_vector,
                           s.control_vector, s.device_vector_base})
        CHECK(is_vector(v));
    CHECK((std::set<int>{s.notification_vector, s.wakeup_vector, s.timer_vector,
                         s.control_vector}.size() == 4));

    // Domains and vCPUs.
    CHECK(!s.domains.empty() && s.domains.size() <= ScenarioLimits::max_domains);
    CHECK(s.total_vcpus() <= ScenarioLimits::max_vcpus);
    std::set<std::uint32_t> ids;
    for (const auto& d : s.domains) {
        CHECK(d.id >= 1 && d.id < ScenarioLimits::max_domains);
        CHECK(ids.insert(d.id).second);
        CHECK(!d.vcpus.empty());
        if (d.percpu_vector) CHECK(is_vector(d.percpu_vector) && s.percpu_vector != 0);
        for (std::size_t i = 0; i < d.vcpus.size(); ++i) {
            const auto& v = d.vcpus[i];
            CHECK(v.pcpu < s.pcpus);
            if (v.affinity_mask) {
                CHECK((v.affinity_mask >> v.pcpu) & 1u);
                CHECK(s.pcpus >= 64 || (v.affinity_mask >> s.pcpus) == 0);
            }
            CHECK(!v.program.ops.empty());
            CHECK(s.vcpu_global(pisim::VcpuRef{d.id, static_cast<std::uint32_t>(i)}) >= 0);
            for (const auto& [vec, cost] : v.program.isr_cost_by_vector) {
                (void)cost;
                CHECK(is_vector(vec));
            }
            for (const auto& op : v.program.ops) {
                switch (op.kind) {
                    case pisim::GuestOp::Kind::Compute:
                    case pisim::GuestOp::Kind::CliWindow:
                    case pisim::GuestOp::Kind::NapiPoll: CHECK(op.arg >= 1); break;
                    case pisim::GuestOp::Kind::Tpr: CHECK(op.arg <= 255); break;
                    case pisim::GuestOp::Kind::SelfIpi: CHECK(is_vector(op.arg)); break;
                    case pisim::GuestOp::Kind::Ipi:
                        CHECK(is_vector(op.arg));
                        CHECK(op.arg2 < ScenarioLimits::max_vcpus);
                        break;
                    case pisim::GuestOp::Kind::Halt: break;
                }
            }
        }
    }

    // Devices, queues and bindings.
    CHECK(s.devices.size() <= ScenarioLimits::max_devices);
    std::set<std::string> names;
    for (const auto& dev : s.devices) {
        CHECK(names.insert(dev.name).second);
        CHECK(dev.nic.requester_id == dev.requester_id);
        CHECK(dev.nic.msix_vectors >= 1 && dev.nic.msix_vectors <= 2048);
        CHECK(!(dev.host && dev.domain));
        if (dev.domain) {
            bool found = false;
            for (const auto& d : s.domains) found = found || d.id == *dev.domain;
            CHECK(found);
        }
        for (const auto& q : dev.nic.queues) {
            CHECK(q.msix_index < dev.nic.msix_vectors);
            const auto& t = q.traffic;
            CHECK(t.stop > t.start);
            if (t.kind == pisim::TrafficSpec::Kind::Constant ||
                t.kind == pisim::TrafficSpec::Kind::Poisson ||
                t.kind == pisim::TrafficSpec::Kind::Burst)
                CHECK(t.interval >= 1);
            CHECK(t.burst_len >= 1);
            for (std::size_t i = 1; i < t.times.size(); ++i) CHECK(t.times[i - 1] <= t.times[i]);
        }
        for (const auto& b : dev.bindings) {
            CHECK(b.vector_index < dev.nic.msix_vectors);
            CHECK(b.host == dev.host);
            if (b.host) {  // host-owned device: a host vector on a pCPU (dom0's SAS
                           // controller of xen-devel, "[Xenhackthon] Virtualized
                           // APIC registers - virtual interrupt delivery", 2013)
                CHECK(b.pcpu < s.pcpus);
                CHECK(b.guest_vector >= 32);
                CHECK(b.host_isr_cost <= ScenarioLimits::max_duration);
            } else {
                CHECK(s.vcpu_global(b.vcpu) >= 0);
                CHECK(dev.domain && *dev.domain == b.vcpu.domain);
                CHECK(is_vector(b.guest_vector));
            }
        }
        for (const auto& f : dev.forged) {  // hostile device: its own message for a vector
            CHECK(f.vector_index < dev.nic.msix_vectors);
            if (f.copy_device.empty())
                CHECK(f.address >= 0xFEE00000ull && f.address <= 0xFEEFFFFFull);
            else
                CHECK(f.copy_device != dev.name);
        }
    }

    // Expectations and oracle bounds.
    for (const auto& v : s.expect.violations)
        CHECK(std::find(pisim::oracle_names().begin(), pisim::oracle_names().end(), v) != pisim::oracle_names().end());
    CHECK(s.oracles.delivery >= 1 && s.oracles.wakeup >= 1);
    if (s.expect.vtd_faults)
        for (const auto& [reason, n] : *s.expect.vtd_faults) {
            (void)n;
            CHECK(reason >= 0x20 && reason <= 0x28);
        }
    for (const auto& [name, n] : s.expect.delivered) {
        (void)n;
        CHECK(names_of(s).count(name) == 1);
    }
    for (const auto& [key, n] : s.expect.isr_counts) {
        (void)n;
        CHECK(key.first >= 0 && static_cast<std::uint32_t>(key.first) < s.total_vcpus());
        CHECK(is_vector(key.second));
    }

    // Timed events.
    CHECK(s.events.size() <= ScenarioLimits::max_events);
    auto has_device = [&](const std::string& n) { return names.count(n) == 1; };
    for (std::size_t i = 0; i < s.events.size(); ++i) {
        const TimedEvent& e = s.events[i];
        CHECK(e.at < s.duration);
        if (i > 0) CHECK(s.events[i - 1].at <= e.at);
        switch (e.op) {
            case TimedEvent::Op::Preempt:
            case TimedEvent::Op::PcpuOffline:
            case TimedEvent::Op::PcpuOnline: CHECK(e.pcpu < s.pcpus); break;
            case TimedEvent::Op::Tasklet: CHECK(e.pcpu < s.pcpus); CHECK(e.cost >= 1); break;
            case TimedEvent::Op::Wake: CHECK(s.vcpu_global(e.vcpu) >= 0); break;
            case TimedEvent::Op::Pin:
                CHECK(s.vcpu_global(e.vcpu) >= 0);
                CHECK(e.pcpu < s.pcpus);
                break;
            case TimedEvent::Op::Assign:
            case TimedEvent::Op::Deassign: CHECK(has_device(e.device)); break;
            case TimedEvent::Op::Ipi:
                CHECK(s.vcpu_global(e.vcpu) >= 0);
                CHECK(s.vcpu_global(e.vcpu2) >= 0);
                CHECK(is_vector(e.vector));
                break;
            case TimedEvent::Op::Reprogram:
                CHECK(has_device(e.device));
                CHECK(s.vcpu_global(e.vcpu) >= 0);
                CHECK(is_vector(e.vector));
                break;
            case TimedEvent::Op::Block: CHECK(s.vcpu_global(e.vcpu) >= 0); break;
            case TimedEvent::Op::PercpuTimer:
                CHECK(e.pcpu < s.pcpus);
                CHECK(s.percpu_vector != 0);
                break;
            case TimedEvent::Op::CorruptIrte:
                CHECK(has_device(e.device));
                CHECK(e.word <= 1 && e.set_bits != 0);
                break;
            case TimedEvent::Op::CorruptPid:
                CHECK(s.vcpu_global(e.vcpu) >= 0);
                CHECK(e.word <= 7 && e.set_bits != 0);
                break;
        }
    }
}

}  // namespace

/// libsystemc (linked for the TLM headers that scenario.h pulls in) refers to
/// the user's sc_main; libFuzzer's main() runs instead, so this is never called.
int sc_main(int, char*[]) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const InputFile input;
    input.write(data, size);
    try {
        const pisim::Scenario s = pisim::load_scenario(input.path);
        check_accepted(s);
    } catch (const pisim::InputError& e) {
        // The one documented way to reject a file: it names the file.
        if (e.file != input.path) violated("InputError names another file");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scenario_loader: load_scenario let %s escape: %s\n",
                     typeid(e).name(), e.what());
        std::abort();
    }
    return 0;
}
