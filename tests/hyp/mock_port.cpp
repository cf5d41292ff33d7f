// tests/hyp/mock_port.cpp - the fake machine behind the port for hyp tests.
#include "mock_port.h"

#include <cassert>
#include <cstring>

#include <gtest/gtest.h>

namespace mock {

Machine* m = nullptr;

void reset()
{
    delete m;
    m = new Machine();
    for (std::uint32_t c = 0; c < HYP_MAX_PCPUS; c++)
        m->apic_id[c] = c * 2;  // APIC IDs differ from indices on purpose
}

void Machine::record(const char* name, std::uint64_t a, std::uint64_t b, std::uint64_t c,
                     std::uint64_t d)
{
    log.push_back(Call{name, a, b, c, d});
    if (after_call) {
        auto hook = after_call;
        hook(log.back());
    }
}

std::uint64_t Machine::rd64(std::uint64_t pa) const
{
    std::uint64_t v;
    std::memcpy(&v, &mem.at(pa), 8);
    return v;
}
void Machine::wr64(std::uint64_t pa, std::uint64_t v) { std::memcpy(&mem.at(pa), &v, 8); }
std::uint32_t Machine::rd32(std::uint64_t pa) const
{
    std::uint32_t v;
    std::memcpy(&v, &mem.at(pa), 4);
    return v;
}
void Machine::wr32(std::uint64_t pa, std::uint32_t v) { std::memcpy(&mem.at(pa), &v, 4); }

long Machine::find(const std::string& name, std::uint64_t a, std::size_t from) const
{
    for (std::size_t i = from; i < log.size(); i++)
        if (log[i].name == name && (a == ~0ull || log[i].a == a))
            return static_cast<long>(i);
    return -1;
}

long Machine::count(const std::string& name) const
{
    long n = 0;
    for (const auto& c : log)
        n += c.name == name;
    return n;
}

bool vtd_post(std::uint64_t pid_pa, std::uint8_t vector, bool urgent)
{
    std::uint64_t w = m->rd64(pid_pa + 8 * (vector / 64));
    m->wr64(pid_pa + 8 * (vector / 64), w | (1ull << (vector % 64)));
    std::uint64_t ctl = m->rd64(pid_pa + 32);
    bool on = ctl & 1, sn = ctl & 2;
    bool x = !on && (urgent || !sn);
    if (x)
        m->wr64(pid_pa + 32, ctl | 1);
    return x;
}

int cpu_process_posted(std::uint64_t pid_pa, std::uint64_t vapic_pa)
{
    m->wr64(pid_pa + 32, m->rd64(pid_pa + 32) & ~1ull);
    int top = -1;
    for (int i = 0; i < 4; i++) {
        std::uint64_t w = m->rd64(pid_pa + 8 * i);
        m->wr64(pid_pa + 8 * i, 0);
        for (int b = 0; b < 64; b++)
            if (w & (1ull << b)) {
                int v = i * 64 + b;
                std::uint64_t pa = vapic_pa + 0x200 + ((v & 0xE0) >> 1);
                m->wr32(pa, m->rd32(pa) | (1u << (v & 31)));
                top = v;
            }
    }
    return top;
}

}  // namespace mock

using mock::m;

extern "C" {

// Also reached before any test creates the machine: in sanitized builds the
// instrumented archive's module constructors (ASan's global registration) run
// from the C runtime's start-up code.
void __sanitizer_cov_trace_pc(void)
{
    if (!m) return;
    m->basic_blocks++;
}

uint32_t arch_cpu_id(void) { return m->cpu; }

void arch_shared_point(const volatile void *, uint32_t)
{
}

void arch_report_begin(void)
{
    m->report_depth++;
}

void arch_report_end(void)
{
    assert(m->report_depth > 0);
    m->report_depth--;
}

uint64_t arch_now(void)
{
    m->now += m->now_step;
    return m->now;
}

void arch_irq_disable(void)
{
    m->irq_enabled[m->cpu] = false;
    m->record("irq_disable");
}
void arch_irq_enable(void)
{
    m->irq_enabled[m->cpu] = true;
    m->record("irq_enable");
}
bool arch_irqs_enabled(void) { return m->irq_enabled[m->cpu]; }

void arch_halt(void)
{
    m->record("halt", m->irq_enabled[m->cpu]);
    m->irq_enabled[m->cpu] = true;
    if (m->on_halt) {
        auto hook = m->on_halt;
        hook();
    }
}

void arch_apic_eoi(void) { m->record("eoi", m->cpu); }
void arch_apic_send_ipi(uint32_t dest, uint8_t vector) { m->record("ipi", dest, vector); }
void arch_apic_set_timer(uint64_t deadline, uint8_t vector)
{
    m->record("set_timer", deadline, vector);
}
uint32_t arch_apic_id(uint32_t cpu) { return m->apic_id[cpu]; }
void arch_apic_set_tpr(uint8_t tpr) { m->record("set_tpr", tpr); }

uint32_t arch_mem_read32(uint64_t pa)
{
    std::uint32_t v = m->rd32(pa);
    m->record("read32", pa, v);
    return v;
}
void arch_mem_write32(uint64_t pa, uint32_t v)
{
    m->wr32(pa, v);
    m->record("write32", pa, v);
}
uint64_t arch_mem_read64(uint64_t pa)
{
    std::uint64_t v = m->rd64(pa);
    m->record("read64", pa, v);
    return v;
}
void arch_mem_write64(uint64_t pa, uint64_t v)
{
    m->wr64(pa, v);
    m->record("write64", pa, v);
}
bool arch_mem_cmpxchg64(uint64_t pa, uint64_t* expected, uint64_t desired)
{
    std::uint64_t cur = m->rd64(pa);
    bool ok = cur == *expected;
    if (ok)
        m->wr64(pa, desired);
    else
        *expected = cur;
    m->record("cmpxchg64", pa, desired, ok);
    return ok;
}
bool arch_mem_cmpxchg128(uint64_t pa, uint64_t expected[2], const uint64_t desired[2])
{
    EXPECT_EQ(pa % 16, 0u);
    std::uint64_t lo = m->rd64(pa), hi = m->rd64(pa + 8);
    bool ok = lo == expected[0] && hi == expected[1];
    if (ok) {
        m->wr64(pa, desired[0]);
        m->wr64(pa + 8, desired[1]);
    } else {
        expected[0] = lo;
        expected[1] = hi;
    }
    m->record("cmpxchg128", pa, desired[0], desired[1], ok);
    return ok;
}
uint64_t arch_mem_xchg64(uint64_t pa, uint64_t v)
{
    std::uint64_t old = m->rd64(pa);
    m->wr64(pa, v);
    m->record("xchg64", pa, v, old);
    return old;
}
uint64_t arch_mem_fetch_or64(uint64_t pa, uint64_t bits)
{
    std::uint64_t old = m->rd64(pa);
    m->wr64(pa, old | bits);
    m->record("fetch_or64", pa, bits, old);
    return old;
}
uint64_t arch_mem_fetch_and64(uint64_t pa, uint64_t mask)
{
    std::uint64_t old = m->rd64(pa);
    m->wr64(pa, old & mask);
    m->record("fetch_and64", pa, mask, old);
    return old;
}

void arch_vmcs_clear(uint64_t pa)
{
    m->vmcs_active_on.erase(pa);
    for (auto& c : m->current_vmcs)
        if (c == pa)
            c = 0;
    m->record("vmclear", pa, m->cpu);
}
void arch_vmcs_load(uint64_t pa)
{
    auto it = m->vmcs_active_on.find(pa);
    // VMPTRLD of a VMCS active on another pCPU is the bug VMCLEAR prevents
    EXPECT_TRUE(it == m->vmcs_active_on.end() || it->second == static_cast<int>(m->cpu))
        << "VMCS " << pa << " loaded on pCPU " << m->cpu << " while active on " << it->second;
    m->vmcs_active_on[pa] = static_cast<int>(m->cpu);
    m->current_vmcs[m->cpu] = pa;
    m->record("vmptrld", pa, m->cpu);
}
uint64_t arch_vmcs_read(uint32_t field)
{
    m->record("vmread", field);
    return m->vmcs[m->current_vmcs[m->cpu]][field];
}
void arch_vmcs_write(uint32_t field, uint64_t value)
{
    m->vmcs[m->current_vmcs[m->cpu]][field] = value;
    m->record("vmwrite", field, value);
}

bool arch_vm_enter(struct arch_vm_exit* exit)
{
    m->record("vm_enter", m->current_vmcs[m->cpu], m->irq_enabled[m->cpu]);
    m->irq_enabled[m->cpu] = false;
    if (m->on_vm_enter) {
        auto hook = m->on_vm_enter;
        return hook(exit);
    }
    exit->reason = EXIT_REASON_HLT;
    return true;
}

void arch_iq_submit(const uint64_t desc[2])
{
    m->record("iq_submit", desc[0], desc[1]);
    if ((desc[0] & 0xF) == 5 && (desc[0] & (1u << 5)))  // wait descriptor with SW: write status
        m->wr32(desc[1] & ~3ull, static_cast<std::uint32_t>(desc[0] >> 32));
}
void arch_iq_wait_status(uint64_t status_pa, uint32_t value)
{
    m->record("iq_wait", status_pa, value);
    EXPECT_EQ(m->rd32(status_pa), value) << "wait on a status that no descriptor writes";
}

bool arch_ctl_fetch(struct hyp_ctl* out)
{
    m->record("ctl_fetch");
    if (m->ctl_queue.empty())
        return false;
    *out = m->ctl_queue.front();
    m->ctl_queue.pop_front();
    return true;
}
void arch_ctl_done(uint32_t seq, int32_t result)
{
    m->ctl_done.emplace_back(seq, result);
    m->record("ctl_done", seq, static_cast<std::uint64_t>(static_cast<std::int64_t>(result)));
}

void arch_trace(uint32_t kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    static const char* names[] = {"",          "tr_handler_enter", "tr_handler_exit",
                                  "tr_schedule", "tr_vcpu_state",  "tr_blocklist_add",
                                  "tr_blocklist_del", "tr_vm_entry", "tr_virq_pend",
                                  "tr_migrate", "tr_ipi",          "tr_softirq_raise",
                                  "tr_irte_write", "tr_ctl",       "tr_vipi",
                                  "tr_percpu_virq", "tr_lock_release"};
    if (kind == HYP_TR_LOCK_RELEASE && a == HYP_LOCK_UNNAMED)
        return;  // releases of locks nobody observes: as the platform
    m->record(kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "tr_unknown", a, b, c, d);
}

[[noreturn]] void arch_assert_fail(const char* expr, const char* file, int line)
{
    throw mock::AssertFailure{expr, file, line};
}

}  // extern "C"
