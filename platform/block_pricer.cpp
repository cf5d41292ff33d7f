// platform/block_pricer.cpp - see block_pricer.h.
#include "platform/block_pricer.h"

#include <capstone/capstone.h>
#include <link.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace pisim {

namespace {

constexpr std::size_t kMaxBlockInsns = 1024;   // a block longer than this is a decoding error
constexpr std::size_t kMaxPrologueInsns = 64;  // instructions before a function's first block
constexpr std::size_t kInsnMax = 15;           // longest x86 instruction, bytes

const char* const kClassNames[] = {"alu",    "load",     "store", "rmw",   "call", "ret",
                                   "jump",   "branch",   "mul",   "div",   "bitscan",
                                   "locked", "locked16", "pause", "fence", "nop"};
static_assert(sizeof(kClassNames) / sizeof(kClassNames[0]) == static_cast<std::size_t>(InsnClass::Count));

bool serializing(InsnClass c) {
    return c == InsnClass::Locked || c == InsnClass::Locked16 || c == InsnClass::Pause ||
           c == InsnClass::Fence;
}

/// Executable mappings of the process: bounds for reading code bytes.
struct CodeRanges {
    std::vector<std::pair<std::uintptr_t, std::uintptr_t>> ranges;
    void load() {
        ranges.clear();
        dl_iterate_phdr(
            [](dl_phdr_info* info, std::size_t, void* data) {
                auto* self = static_cast<CodeRanges*>(data);
                for (int i = 0; i < info->dlpi_phnum; ++i) {
                    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
                    const std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
                    self->ranges.emplace_back(lo, lo + ph.p_memsz);
                }
                return 0;
            },
            this);
    }
    /// Bytes readable from `a` within its executable mapping (0: not code).
    std::size_t available(std::uintptr_t a) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            for (const auto& [lo, hi] : ranges)
                if (a >= lo && a < hi) return hi - a;
            load();  // a core loaded since (--hyp)
        }
        return 0;
    }
};

}  // namespace

const char* insn_class_name(InsnClass c) { return kClassNames[static_cast<std::size_t>(c)]; }

struct BlockPricer::Impl {
    csh cs = 0;
    cs_insn* insn = nullptr;
    CodeRanges code;
    /// Capstone register id -> canonical register (sub-registers to their
    /// 64-bit register; the flags to one id); 0 for ignored registers (rsp,
    /// rip: the stack engine and the instruction pointer carry no dependency).
    std::vector<std::uint16_t> canon;
    std::unordered_map<std::uintptr_t, std::uint32_t> prologue;

    Impl() {
        if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
            throw std::runtime_error("Capstone: cannot open an x86-64 disassembler");
        cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
        insn = cs_malloc(cs);
        canon.assign(X86_REG_ENDING, 0);
        static const char* const families[][5] = {
            {"rax", "eax", "ax", "al", "ah"}, {"rbx", "ebx", "bx", "bl", "bh"},
            {"rcx", "ecx", "cx", "cl", "ch"}, {"rdx", "edx", "dx", "dl", "dh"},
            {"rsi", "esi", "si", "sil", ""},  {"rdi", "edi", "di", "dil", ""},
            {"rbp", "ebp", "bp", "bpl", ""},  {"r8", "r8d", "r8w", "r8b", ""},
            {"r9", "r9d", "r9w", "r9b", ""},  {"r10", "r10d", "r10w", "r10b", ""},
            {"r11", "r11d", "r11w", "r11b", ""}, {"r12", "r12d", "r12w", "r12b", ""},
            {"r13", "r13d", "r13w", "r13b", ""}, {"r14", "r14d", "r14w", "r14b", ""},
            {"r15", "r15d", "r15w", "r15b", ""}};
        std::map<std::string, std::uint16_t> family_of;
        for (std::uint16_t f = 0; f < sizeof(families) / sizeof(families[0]); ++f)
            for (const char* n : families[f])
                if (*n) family_of[n] = static_cast<std::uint16_t>(f + 1);
        const std::uint16_t flags = 17;
        for (unsigned r = 1; r < X86_REG_ENDING; ++r) {
            const char* n = cs_reg_name(cs, r);
            if (!n) continue;
            const std::string s = n;
            if (auto it = family_of.find(s); it != family_of.end())
                canon[r] = it->second;
            else if (s == "rflags" || s == "eflags" || s == "flags")
                canon[r] = flags;
            else if (s == "rsp" || s == "esp" || s == "sp" || s == "spl" || s == "rip" || s == "eip")
                canon[r] = 0;
            else
                canon[r] = static_cast<std::uint16_t>(32 + r);  // vector, segment, ... registers: themselves
        }
    }
    ~Impl() {
        if (insn) cs_free(insn, 1);
        if (cs) cs_close(&cs);
    }

    /// Decode the instruction at `a`; false if `a` is not code or not an instruction.
    bool decode(std::uintptr_t a) {
        const std::size_t avail = code.available(a);
        if (avail == 0) return false;
        const auto* p = reinterpret_cast<const std::uint8_t*>(a);
        std::size_t size = std::min(avail, kInsnMax);
        std::uint64_t addr = a;
        return cs_disasm_iter(cs, &p, &size, &addr, insn);
    }
};

namespace {

/// One decoded instruction, reduced to what the schedule needs.
struct Decoded {
    InsnClass cls = InsnClass::Alu;
    bool excluded = false;  ///< report-only or instrumentation: not charged
    bool writes_memory = false;
    bool control = false;   ///< call, jump, branch, ret
    std::vector<std::uint16_t> reads, writes;  ///< canonical registers
    std::uint32_t extra = 0;  ///< cycles added after it (a callee's prologue)
};

bool is_arg_register(std::uint16_t canon) {
    // rdi, rsi, rdx, rcx, r8, r9 (System V argument registers), family ids above.
    return canon == 6 || canon == 5 || canon == 4 || canon == 3 || canon == 8 || canon == 9;
}

InsnClass classify(csh cs, const cs_insn* in, bool& writes_memory) {
    const cs_x86& x = in->detail->x86;
    bool mem_read = false, mem_write = false;
    for (std::uint8_t i = 0; i < x.op_count; ++i) {
        const cs_x86_op& op = x.operands[i];
        if (op.type != X86_OP_MEM) continue;
        if (op.access & CS_AC_READ) mem_read = true;
        if (op.access & CS_AC_WRITE) mem_write = true;
    }
    writes_memory = mem_write;
    const bool lock = x.prefix[0] == X86_PREFIX_LOCK;
    switch (in->id) {
    case X86_INS_PAUSE: return InsnClass::Pause;
    case X86_INS_MFENCE: case X86_INS_LFENCE: case X86_INS_SFENCE: return InsnClass::Fence;
    case X86_INS_CMPXCHG16B: return InsnClass::Locked16;
    case X86_INS_XCHG: if (mem_read || mem_write) return InsnClass::Locked; break;
    case X86_INS_NOP: case X86_INS_ENDBR64: return InsnClass::Nop;
    case X86_INS_DIV: case X86_INS_IDIV: return InsnClass::Div;
    case X86_INS_MUL: case X86_INS_IMUL: return InsnClass::Mul;
    case X86_INS_BSR: case X86_INS_BSF: case X86_INS_LZCNT: case X86_INS_TZCNT:
    case X86_INS_POPCNT: return InsnClass::BitScan;
    case X86_INS_PUSH: writes_memory = true; return InsnClass::Store;
    case X86_INS_POP: return InsnClass::Load;
    case X86_INS_LEA: return InsnClass::Alu;
    default: break;
    }
    if (lock) return InsnClass::Locked;
    if (cs_insn_group(cs, in, X86_GRP_CALL)) return InsnClass::Call;
    if (cs_insn_group(cs, in, X86_GRP_RET)) return InsnClass::Ret;
    if (cs_insn_group(cs, in, X86_GRP_JUMP)) return in->id == X86_INS_JMP ? InsnClass::Jump : InsnClass::Branch;
    if (mem_read && mem_write) return InsnClass::Rmw;
    if (mem_write) return InsnClass::Store;
    if (mem_read) return InsnClass::Load;
    return InsnClass::Alu;
}

/// The direct target of a call/jmp (0 if indirect).
std::uintptr_t direct_target(const cs_insn* in) {
    const cs_x86& x = in->detail->x86;
    if (x.op_count == 1 && x.operands[0].type == X86_OP_IMM)
        return static_cast<std::uintptr_t>(x.operands[0].imm);
    return 0;
}

}  // namespace

BlockPricer::BlockPricer(const InstructionTable& table, const PricerHooks& hooks)
    : impl_(std::make_unique<Impl>()), table_(table), hooks_(hooks) {
    assert(table_.issue_width > 0);
    keys_.assign(4096, 0);
    prices_.assign(4096, BlockPrice{});
    shift_ = 64 - 12;
}

BlockPricer::~BlockPricer() = default;

/// A PLT stub (`jmp *GOT(%rip)`, optionally after endbr64 / with a bnd
/// prefix) resolves to the address its GOT slot holds (cores are loaded with
/// RTLD_NOW, so the slot is bound); any other address is itself.
std::uintptr_t BlockPricer::resolve(std::uintptr_t target) const {
    if (target == 0 || impl_->code.available(target) < 16) return target;
    const auto* p = reinterpret_cast<const std::uint8_t*>(target);
    std::size_t i = 0;
    if (p[0] == 0xF3 && p[1] == 0x0F && p[2] == 0x1E && p[3] == 0xFA) i = 4;  // endbr64
    if (p[i] == 0xF2) ++i;                                                     // bnd
    if (p[i] == 0xFF && p[i + 1] == 0x25) {
        std::int32_t disp;
        std::memcpy(&disp, p + i + 2, 4);
        const std::uintptr_t slot = target + i + 6 + static_cast<std::intptr_t>(disp);
        std::uintptr_t real;
        std::memcpy(&real, reinterpret_cast<const void*>(slot), sizeof real);
        return real;
    }
    return target;
}

namespace {

/// Schedule the charged instructions: max(ceil(uops / width), critical path).
std::uint32_t schedule(const std::vector<Decoded>& insns, const InstructionTable& t) {
    std::uint64_t ready[32 + X86_REG_ENDING] = {};
    std::uint64_t barrier = 0, last = 0, uops = 0, extra = 0;
    for (const Decoded& d : insns) {
        extra += d.extra;
        if (d.excluded) continue;
        const InsnCost& c = t.of(d.cls);
        std::uint64_t start = barrier;
        for (std::uint16_t r : d.reads)
            if (r) start = std::max(start, ready[r]);
        if (serializing(d.cls)) start = std::max(start, last);
        const std::uint64_t finish = start + c.latency;
        for (std::uint16_t r : d.writes)
            if (r) ready[r] = finish;
        if (serializing(d.cls)) barrier = finish;
        last = std::max(last, finish);
        uops += c.uops;
    }
    const std::uint64_t issue = (uops + t.issue_width - 1) / t.issue_width;
    const std::uint64_t cycles = std::max(issue, last) + extra;
    assert(cycles < (1ull << 31) && "a block's price overflows");
    return static_cast<std::uint32_t>(cycles);
}

}  // namespace

std::uint32_t BlockPricer::prologue_cycles(std::uintptr_t fn) {
    if (auto it = impl_->prologue.find(fn); it != impl_->prologue.end()) return it->second;
    impl_->prologue[fn] = 0;  // recursion guard
    std::vector<Decoded> insns;
    std::uintptr_t a = fn;
    bool instrumented = false;
    for (std::size_t n = 0; n < kMaxPrologueInsns && impl_->decode(a); ++n) {
        const cs_insn* in = impl_->insn;
        Decoded d;
        d.cls = classify(impl_->cs, in, d.writes_memory);
        if (d.cls == InsnClass::Call) {
            if (resolve(direct_target(in)) == hooks_.trace_pc) instrumented = true;
            break;  // the first block begins (or a call before it: stop there)
        }
        if (d.cls == InsnClass::Ret) break;
        if (d.cls == InsnClass::Jump) {
            const std::uintptr_t t = direct_target(in);
            if (t == 0) break;
            insns.push_back(d);
            a = t;
            continue;
        }
        cs_regs rr, rw;
        std::uint8_t nr = 0, nw = 0;
        if (cs_regs_access(impl_->cs, in, rr, &nr, rw, &nw) == CS_ERR_OK) {
            for (std::uint8_t i = 0; i < nr; ++i) d.reads.push_back(impl_->canon[rr[i]]);
            for (std::uint8_t i = 0; i < nw; ++i) d.writes.push_back(impl_->canon[rw[i]]);
        }
        insns.push_back(d);
        a += in->size;
    }
    const std::uint32_t cycles = instrumented ? schedule(insns, table_) : 0;
    impl_->prologue[fn] = cycles;
    return cycles;
}

BlockPrice BlockPricer::price_code(const std::uint8_t* code, std::size_t size, std::uint64_t addr) {
    // Used by tests on a buffer: decode from the buffer, then price as a block.
    std::vector<Decoded> insns;
    const std::uint8_t* p = code;
    std::uint64_t a = addr;
    while (size > 0 && cs_disasm_iter(impl_->cs, &p, &size, &a, impl_->insn)) {
        Decoded d;
        d.cls = classify(impl_->cs, impl_->insn, d.writes_memory);
        cs_regs rr, rw;
        std::uint8_t nr = 0, nw = 0;
        if (cs_regs_access(impl_->cs, impl_->insn, rr, &nr, rw, &nw) == CS_ERR_OK) {
            for (std::uint8_t i = 0; i < nr; ++i) d.reads.push_back(impl_->canon[rr[i]]);
            for (std::uint8_t i = 0; i < nw; ++i) d.writes.push_back(impl_->canon[rw[i]]);
        }
        insns.push_back(std::move(d));
    }
    BlockPrice bp;
    bp.instructions = static_cast<std::uint32_t>(insns.size());
    bp.cycles = bp.cycles_in_report = schedule(insns, table_);
    return bp;
}

const BlockPrice& BlockPricer::insert(std::uintptr_t ret) {
    // Decode the block once, then price it twice: starting outside a report
    // region, and starting inside one.
    struct Raw {
        Decoded d;
        enum Kind : std::uint8_t { Plain, TracePc, Trace, Begin, End } kind = Plain;
    };
    std::vector<Raw> raw;
    std::uintptr_t a = ret;
    for (std::size_t n = 0;; ++n) {
        if (n == kMaxBlockInsns || !impl_->decode(a))
            throw std::runtime_error("hyp basic block at " + std::to_string(ret) +
                                     " does not end within " + std::to_string(kMaxBlockInsns) +
                                     " instructions of code");
        const cs_insn* in = impl_->insn;
        // prologue_cycles below decodes other code into impl_->insn.
        const std::uint16_t size = in->size;
        const unsigned id = in->id;
        Raw r;
        r.d.cls = classify(impl_->cs, in, r.d.writes_memory);
        cs_regs rr, rw;
        std::uint8_t nr = 0, nw = 0;
        if (cs_regs_access(impl_->cs, in, rr, &nr, rw, &nw) == CS_ERR_OK) {
            for (std::uint8_t i = 0; i < nr; ++i) r.d.reads.push_back(impl_->canon[rr[i]]);
            for (std::uint8_t i = 0; i < nw; ++i) r.d.writes.push_back(impl_->canon[rw[i]]);
        }
        const InsnClass c = r.d.cls;
        r.d.control = c == InsnClass::Call || c == InsnClass::Jump || c == InsnClass::Branch ||
                      c == InsnClass::Ret;
        if (c == InsnClass::Call) {
            const std::uintptr_t t = resolve(direct_target(in));
            if (t != 0 && t == hooks_.trace_pc) {
                r.kind = Raw::TracePc;
                raw.push_back(std::move(r));
                break;  // the next block begins
            }
            if (t != 0 && t == hooks_.trace) r.kind = Raw::Trace;
            else if (t != 0 && t == hooks_.report_begin) r.kind = Raw::Begin;
            else if (t != 0 && t == hooks_.report_end) r.kind = Raw::End;
            else if (t != 0) r.d.extra = prologue_cycles(t);
        }
        const bool ends = c == InsnClass::Ret || c == InsnClass::Jump || id == X86_INS_UD2 ||
                          id == X86_INS_INT3;
        a += size;
        raw.push_back(std::move(r));
        if (ends) break;
    }

    const auto pass = [&](bool start_in_report) {
        std::vector<Decoded> insns;
        insns.reserve(raw.size());
        bool in_report = start_in_report;
        for (const Raw& r : raw) {
            Decoded d = r.d;
            if (r.kind != Raw::Plain) {
                // A free call: it and the argument set-up just before it.
                d.excluded = true;
                d.extra = 0;
                for (auto it = insns.rbegin(); it != insns.rend(); ++it) {
                    if (it->excluded || it->control || it->writes_memory || it->writes.empty()) break;
                    bool args_only = true;
                    for (std::uint16_t w : it->writes)
                        if (w != 0 && w != 17 && !is_arg_register(w)) args_only = false;
                    if (!args_only) break;
                    it->excluded = true;
                }
                if (r.kind == Raw::Begin) in_report = true;
                if (r.kind == Raw::End) in_report = false;
            } else if (in_report) {
                d.excluded = true;
                d.extra = 0;
            }
            insns.push_back(std::move(d));
        }
        return schedule(insns, table_);
    };
    BlockPrice bp;
    bp.instructions = static_cast<std::uint32_t>(raw.size());
    bp.cycles = pass(false);
    bp.cycles_in_report = pass(true);

    if ((count_ + 1) * 2 > keys_.size()) grow();
    std::size_t i = slot(ret);
    while (keys_[i] != 0) i = (i + 1) & (keys_.size() - 1);
    keys_[i] = ret;
    prices_[i] = bp;
    ++count_;
    return prices_[i];
}

void BlockPricer::grow() {
    std::vector<std::uintptr_t> keys(keys_.size() * 2, 0);
    std::vector<BlockPrice> prices(keys.size());
    --shift_;
    for (std::size_t j = 0; j < keys_.size(); ++j) {
        if (keys_[j] == 0) continue;
        std::size_t i = slot(keys_[j]);
        while (keys[i] != 0) i = (i + 1) & (keys.size() - 1);
        keys[i] = keys_[j];
        prices[i] = prices_[j];
    }
    keys_.swap(keys);
    prices_.swap(prices);
}

std::size_t BlockPricer::warm_up() {
    // The executable segment that holds trace_pc holds the built-in core.
    return hooks_.trace_pc ? warm_up_object(hooks_.trace_pc) : 0;
}

std::size_t BlockPricer::warm_up_object(std::uintptr_t addr) {
    if (hooks_.trace_pc == 0 || impl_->code.available(addr) == 0) return 0;
    std::uintptr_t lo = 0, hi = 0;
    for (const auto& [l, h] : impl_->code.ranges)
        if (addr >= l && addr < h) lo = l, hi = h;
    std::size_t priced = 0;
    const auto* p = reinterpret_cast<const std::uint8_t*>(lo);
    for (std::size_t i = 0; i + 5 <= hi - lo; ++i) {
        if (p[i] != 0xE8) continue;  // call rel32
        std::int32_t rel;
        std::memcpy(&rel, p + i + 1, 4);
        const std::uintptr_t ret = lo + i + 5;
        const std::uintptr_t target = ret + static_cast<std::intptr_t>(rel);
        // directly, or through the PLT of a loaded core
        if (target != hooks_.trace_pc && resolve(target) != hooks_.trace_pc) continue;
        try {
            price(ret);
            ++priced;
        } catch (const std::runtime_error&) {
            // an E8 byte inside another instruction: no block starts there
        }
    }
    return priced;
}

BlockPricer& BlockPricer::shared(const InstructionTable& table, const PricerHooks& hooks) {
    // One pricer per distinct table; machines of one process reuse it.
    static std::vector<std::pair<InstructionTable, std::unique_ptr<BlockPricer>>> pricers;
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [t, p] : pricers)
        if (t.issue_width == table.issue_width &&
            std::equal(t.cost.begin(), t.cost.end(), table.cost.begin(), [](const InsnCost& x, const InsnCost& y) {
                return x.latency == y.latency && x.uops == y.uops;
            }))
            return *p;
    pricers.emplace_back(table, std::make_unique<BlockPricer>(table, hooks));
    return *pricers.back().second;
}

}  // namespace pisim
