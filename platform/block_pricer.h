// platform/block_pricer.h - the cycles of a hyp basic block, from the machine
// instructions it holds.
//
// The core is compiled with -fsanitize-coverage=trace-pc: every basic block
// begins with a call to __sanitizer_cov_trace_pc, whose return address names
// the block. The first time a block runs, its instructions are disassembled
// (Capstone, x86-64) from that return address up to the next block's
// instrumentation call, an unconditional jump or a return, and priced with the
// profile's instruction table (InstructionTable) by a small scheduling model:
//
//   cycles = max( ceil(fused-domain uops / issue width),
//                 longest register-dependency chain through the instructions'
//                 latencies )
//
// A locked read-modify-write, a fence and PAUSE are barriers: what follows
// starts after they complete. A direct call into another instrumented core
// function adds that function's prologue (the instructions before its first
// instrumentation call, which no block holds). The instrumentation calls
// themselves cost nothing (they stand for no instruction of the hypervisor).
//
// Code that exists only to report is free: a call to arch_trace, and every
// instruction between arch_report_begin() and arch_report_end() (HYP_REPORT in
// hyp/src/hyp_core.h: trace loops and assertion checks), together with the
// argument set-up of those calls. A block that begins inside a report region
// is priced from the region's end.
//
// What the model leaves out (documented estimate): branch mispredictions,
// overlap of consecutive blocks, memory dependencies through the stack, port
// pressure beyond the issue width, and cache misses (machine memory and shared
// hypervisor data pay coherence separately, platform/coherence.h).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pisim {

/// Instruction classes of the table (names as in profiles/*.yaml `instructions:`).
enum class InsnClass : std::uint8_t {
    Alu,       ///< integer ALU reg/imm, lea, movzx, setcc, cmovcc, shifts
    Load,      ///< load from memory (mov r, m; pop; ALU with a memory source)
    Store,     ///< store to memory (mov m, r/imm; push)
    Rmw,       ///< read-modify-write of memory without LOCK (add m, r)
    Call,      ///< call near (direct or indirect)
    Ret,       ///< ret near
    Jump,      ///< unconditional jmp
    Branch,    ///< conditional jump (predicted)
    Mul,       ///< imul/mul
    Div,       ///< div/idiv
    BitScan,   ///< bsr, bsf, lzcnt, tzcnt, popcnt
    Locked,    ///< LOCK-prefixed RMW, xchg with memory (L1-resident line)
    Locked16,  ///< LOCK CMPXCHG16B
    Pause,     ///< PAUSE
    Fence,     ///< MFENCE/LFENCE/SFENCE
    Nop,       ///< nop, endbr64
    Count
};

/// The class names in table order ("alu", "load", ...).
const char* insn_class_name(InsnClass c);

/// Per-instruction cost of one class: latency in cycles, fused-domain uops.
struct InsnCost {
    std::uint32_t latency = 1;
    std::uint32_t uops = 1;
};

/// A microarchitecture's instruction table (profile `instructions:`).
struct InstructionTable {
    std::uint32_t issue_width = 4;  ///< fused-domain uops issued per cycle
    std::array<InsnCost, static_cast<std::size_t>(InsnClass::Count)> cost{};
    const InsnCost& of(InsnClass c) const { return cost[static_cast<std::size_t>(c)]; }
};

/// The price of one block: cycles if it starts outside a report region, and
/// if it starts inside one (only what follows the region's end).
struct BlockPrice {
    std::uint32_t cycles = 0;
    std::uint32_t cycles_in_report = 0;
    std::uint32_t instructions = 0;  ///< instructions disassembled (charged or not)
};

/// Addresses the pricer must recognize as calls (resolved through PLT stubs).
struct PricerHooks {
    std::uintptr_t trace_pc = 0;      ///< __sanitizer_cov_trace_pc
    std::uintptr_t trace = 0;         ///< arch_trace
    std::uintptr_t report_begin = 0;  ///< arch_report_begin
    std::uintptr_t report_end = 0;    ///< arch_report_end
};

/// Prices blocks and caches the result per return address. One pricer per
/// (table, process): the cache is valid for every machine that uses the same
/// table, whichever core (the built-in one or a --hyp object loaded once).
class BlockPricer {
public:
    BlockPricer(const InstructionTable& table, const PricerHooks& hooks);
    ~BlockPricer();
    BlockPricer(const BlockPricer&) = delete;
    BlockPricer& operator=(const BlockPricer&) = delete;

    /// The price of the block whose instrumentation call returns to `ret`.
    /// Disassembles it on the first request; later requests are a table lookup.
    const BlockPrice& price(std::uintptr_t ret) {
        std::size_t i = slot(ret);
        while (keys_[i] != 0) {
            if (keys_[i] == ret) return prices_[i];
            i = (i + 1) & (keys_.size() - 1);
        }
        return insert(ret);
    }

    /// Price straight from code bytes at `addr` (tests; no cache).
    BlockPrice price_code(const std::uint8_t* code, std::size_t size, std::uint64_t addr);

    /// The class Capstone's instruction falls in (tests, listing).
    const InstructionTable& table() const { return table_; }

    /// Blocks priced so far.
    std::size_t blocks() const { return count_; }

    /// A process-wide pricer for `table` (created on first use).
    static BlockPricer& shared(const InstructionTable& table, const PricerHooks& hooks);

    /// Price every block of the core linked into the program (each direct
    /// call to hooks.trace_pc in the executable's code) now, so that child
    /// processes forked afterwards (explore, sweep) find them priced instead
    /// of each disassembling the blocks it runs. Returns the blocks priced.
    std::size_t warm_up();
    /// The same for the code object (the executable or a loaded --hyp core)
    /// whose executable segment holds `addr`: every call to hooks.trace_pc
    /// there, direct or through the object's PLT. Returns the blocks priced.
    std::size_t warm_up_object(std::uintptr_t addr);

private:
    std::size_t slot(std::uintptr_t k) const {
        return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> shift_);
    }
    const BlockPrice& insert(std::uintptr_t ret);
    void grow();
    std::uintptr_t resolve(std::uintptr_t target) const;
    std::uint32_t prologue_cycles(std::uintptr_t fn);

    struct Impl;
    std::unique_ptr<Impl> impl_;
    InstructionTable table_;
    PricerHooks hooks_;
    std::vector<std::uintptr_t> keys_;
    std::vector<BlockPrice> prices_;
    unsigned shift_ = 0;
    std::size_t count_ = 0;
};

}  // namespace pisim
