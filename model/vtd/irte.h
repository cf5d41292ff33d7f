// model/vtd/irte.h - interrupt remapping table entries and interrupt requests,
// bit-exact [VTD 5.1.2, 5.1.4, 9.10, 9.11].
//
// Pure functions, no SystemC: the unit (vtd.cpp), a fuzzer and the RTL
// equivalence test call the same code. An IRTE is 128 bits, `lo` = bits 63:0,
// `hi` = bits 127:64, as it lies in memory (little-endian, 16-byte aligned).
#pragma once

#include <cstdint>

namespace pisim {

/// VT-d fault reason codes for interrupt remapping [VTD 7.1.3 table 26].
enum class VtdFaultReason : std::uint8_t {
    ReservedRequest = 0x20,   ///< reserved field set in the interrupt request
    IndexBeyondTable = 0x21,  ///< interrupt index exceeds the table size
    NotPresent = 0x22,        ///< IRTE present bit clear
    TableAccess = 0x23,       ///< IRTE fetch hit a non-accessible address
    ReservedIrte = 0x24,      ///< reserved field set in a present IRTE
    CompatBlocked = 0x25,     ///< compatibility format blocked (EIME=1 or CFIS=0)
    SourceId = 0x26,          ///< source-ID verification failed
    PidAccess = 0x27,         ///< posted-interrupt descriptor not accessible
    ReservedPid = 0x28,       ///< reserved field set in the PID
};

namespace vtd {

/// One 128-bit interrupt remapping table entry: lo = bits 63:0, hi = bits 127:64.
struct Irte {
    std::uint64_t lo = 0, hi = 0;
    bool operator==(const Irte& o) const { return lo == o.lo && hi == o.hi; }
    bool operator!=(const Irte& o) const { return !(*this == o); }
};

/// Size of one IRTE in the table (bytes).
constexpr std::uint64_t kIrteBytes = 16;

// ---- fields common to both formats [VTD 9.10, 9.11] ----
/// P, bit 0.
inline bool irte_present(const Irte& e) { return (e.lo >> 0) & 1; }
/// FPD (fault processing disable), bit 1.
inline bool irte_fpd(const Irte& e) { return (e.lo >> 1) & 1; }
/// IM (IRTE mode), bit 15: 0 remapped format, 1 posted format.
inline bool irte_im(const Irte& e) { return (e.lo >> 15) & 1; }

/// Source-validation type (SVT, bits 83:82) [VTD 9.10].
enum class Svt : std::uint8_t { None = 0, RequesterId = 1, BusRange = 2, Reserved = 3 };

/// IRTE in remapped format (IM=0) [VTD 9.10]. Widths in the comments.
struct RemappedIrte {
    bool p = false;             ///< bit 0 present
    bool fpd = false;           ///< bit 1 fault processing disable
    bool dm = false;            ///< bit 2 destination mode, 1 = logical
    bool rh = false;            ///< bit 3 redirection hint
    bool tm = false;            ///< bit 4 trigger mode, 1 = level
    std::uint8_t dlm = 0;       ///< bits 7:5 delivery mode (SDM 10.6.1 encodings)
    std::uint8_t avail = 0;     ///< bits 11:8 available to software
    std::uint8_t vector = 0;    ///< bits 23:16
    std::uint32_t dst = 0;      ///< bits 63:32 raw destination field (xAPIC ID in 47:40)
    std::uint16_t sid = 0;      ///< bits 79:64 source identifier
    std::uint8_t sq = 0;        ///< bits 81:80 source-ID qualifier
    std::uint8_t svt = 0;       ///< bits 83:82 source validation type
};

/// IRTE in posted format (IM=1) [VTD 9.11].
struct PostedIrte {
    bool p = false;             ///< bit 0 present
    bool fpd = false;           ///< bit 1 fault processing disable
    std::uint8_t avail = 0;     ///< bits 11:8 available to software
    bool urg = false;           ///< bit 14 urgent
    std::uint8_t vv = 0;        ///< bits 23:16 virtual vector (the PIR bit to set)
    std::uint64_t pda = 0;      ///< PID address, 64-byte aligned: bits 31:6 in IRTE 63:38,
                                ///< bits 63:32 in IRTE 127:96
    std::uint16_t sid = 0;      ///< bits 79:64
    std::uint8_t sq = 0;        ///< bits 81:80
    std::uint8_t svt = 0;       ///< bits 83:82
};

/// Decode / encode the remapped format. encode sets IM=0 and leaves every
/// reserved bit 0; out-of-width field values are truncated to their width.
RemappedIrte decode_remapped_irte(const Irte& e);
Irte encode_remapped_irte(const RemappedIrte& f);
/// Decode / encode the posted format. encode sets IM=1; pda bits 5:0 are dropped.
PostedIrte decode_posted_irte(const Irte& e);
Irte encode_posted_irte(const PostedIrte& f);

/// Reserved bits (must be 0) of the remapped format [VTD 9.10]: 14:12, 31:24,
/// 127:84, and with EIME=0 (xAPIC) also the destination's 39:32 and 63:48.
Irte remapped_irte_reserved_mask(bool eime);
/// Reserved bits of the posted format [VTD 9.11]: 7:2, 13:12, 37:24, 95:84.
Irte posted_irte_reserved_mask();
/// True when a present IRTE violates its format's reserved fields: a reserved
/// bit set, or SVT = 11b (reserved encoding) [VTD 5.1.4.1 fault 0x24].
bool irte_reserved_fields_set(const Irte& e, bool eime);

/// The APIC destination a remapped IRTE names [VTD 9.10]: x2APIC (EIME=1) all
/// 32 bits of DST; xAPIC (EIME=0) the 8-bit APIC ID in IRTE bits 47:40.
std::uint32_t remapped_irte_destination(const RemappedIrte& f, bool eime);

/// Source-ID verification [VTD 9.10 SID/SQ/SVT]. requester_id is
/// bus[15:8] device[7:3] function[2:0]. SVT 00: pass. 01: requester_id equals
/// SID on the bits the SQ mask keeps (SQ 00 all 16; 01 ignore bit 2; 10 ignore
/// 2:1; 11 ignore 2:0). 10: requester bus within [SID[15:8], SID[7:0]].
/// 11: fails (reserved; caught earlier as 0x24).
bool verify_source_id(std::uint16_t sid, std::uint8_t sq, std::uint8_t svt,
                      std::uint16_t requester_id);

// ---- interrupt requests [VTD 5.1.2] ----

enum class MsiFormat : std::uint8_t { Compatibility = 0, Remappable = 1 };

/// An MSI write decoded per its interrupt format (address bit 4).
struct InterruptRequest {
    MsiFormat format = MsiFormat::Compatibility;
    // Compatibility format [VTD 5.1.2.1]: address 31:20 0xFEE, destination
    // 19:12, RH bit 3, DM bit 2; data vector 7:0, delivery mode 10:8,
    // level 14, trigger mode 15.
    std::uint8_t dest = 0;
    bool rh = false, dm = false;
    std::uint8_t vector = 0, delivery_mode = 0;
    bool level = false, trigger_level = false;
    // Remappable format [VTD 5.1.2.2]: handle[14:0] address 19:5, SHV bit 3,
    // handle[15] bit 2; data 15:0 subhandle (used when SHV=1), data 31:16 reserved.
    std::uint16_t handle = 0;
    bool shv = false;
    std::uint16_t subhandle = 0;
    std::uint32_t index = 0;       ///< handle (+ subhandle when SHV=1): 17 bits at most
    bool reserved_set = false;     ///< a reserved field of the remappable request is 1
};

/// Decode an MSI (address, data) per address bit 4 [VTD 5.1.2].
InterruptRequest decode_interrupt_request(std::uint64_t address, std::uint32_t data);

/// Faults that the IRTE's FPD suppresses (not recorded): 0x22, 0x24, 0x26,
/// 0x27, 0x28 [VTD 5.1.4.1 table "qualified" faults].
bool fault_is_fpd_qualified(VtdFaultReason r);

/// What the remapping checks decide for one request.
enum class RemapOutcome : std::uint8_t {
    Fault = 0,          ///< blocked; `fault`, `fault_recorded` valid
    Compatibility = 1,  ///< compatibility format passed through (CFIS=1, EIME=0)
    IrteNeeded = 2,     ///< stage 1 only: remappable, `index` valid, fetch the IRTE
    Remapped = 3,       ///< IM=0: deliver the interrupt message in dest..vector
    Posted = 4,         ///< IM=1: post `posted_vector` into the PID at `pda`
};

struct RemapResult {
    RemapOutcome outcome = RemapOutcome::Fault;
    VtdFaultReason fault = VtdFaultReason::ReservedRequest;
    bool fault_recorded = true;  ///< false when the IRTE's FPD suppresses this fault
    std::uint32_t index = 0;     ///< interrupt index (remappable requests)
    bool fpd = false;            ///< the IRTE's FPD (posting faults 0x27/0x28 use it)
    // Remapped or compatibility interrupt message.
    std::uint32_t dest = 0;
    bool dest_logical = false, rh = false, level_triggered = false;
    std::uint8_t delivery_mode = 0, vector = 0;
    // Posting target.
    std::uint64_t pda = 0;
    std::uint8_t posted_vector = 0;
    bool urgent = false;
};

/// Number of IRTEs named by IRTA.S (bits 3:0): 2^(S+1) [VTD 10.4.29].
inline std::uint32_t irta_table_entries(std::uint64_t irta) {
    return 1u << ((irta & 0xF) + 1);
}

/// Stage 1 of remapping a request [VTD 5.1.4]: format, compatibility
/// blocking (0x25), request reserved fields (0x20), index < table_entries
/// (0x21). Returns Fault, Compatibility or IrteNeeded.
RemapResult check_interrupt_request(std::uint64_t address, std::uint32_t data,
                                    std::uint32_t table_entries, bool eime, bool cfis);

/// Stage 2 [VTD 5.1.4], with the IRTE at `index`: present (0x22),
/// IRTE reserved fields (0x24), source-ID verification (0x26), then IM=0
/// remapped target or IM=1 posting target. FPD decides fault_recorded.
RemapResult process_irte(std::uint32_t index, const Irte& irte, std::uint16_t requester_id,
                         bool eime);

/// Both stages for a request whose IRTE (at the decoded index) is `irte`.
RemapResult remap_interrupt(std::uint64_t address, std::uint32_t data,
                            std::uint16_t requester_id, const Irte& irte,
                            std::uint32_t table_entries, bool eime, bool cfis);

}  // namespace vtd
}  // namespace pisim
