// model/vtd/rtl/vtd_irte_check.sv - IRTE field decode for both formats and
// the entry checks: present, reserved fields, source ID [VTD 5.1.4, 9.10,
// 9.11]. Combinational. Mirrors decode_remapped_irte,
// decode_posted_irte, irte_reserved_fields_set, remapped_irte_destination and
// verify_source_id (model/vtd/irte.cpp).
//
// The IRTE as it lies in memory: irte_lo = bits 63:0 (lower address),
// irte_hi = bits 127:64.
module vtd_irte_check (
    input  logic [63:0]  irte_lo,
    input  logic [63:0]  irte_hi,
    input  logic         eime,          // IRTA.EIME: 1 x2APIC destinations
    input  logic [15:0]  requester_id,
    // both formats
    output logic         present,       // P, bit 0
    output logic         fpd,           // FPD, bit 1
    output logic         im,            // IM, bit 15: 1 posted format
    output logic         reserved_set,  // reserved bit set or SVT = 11b (fault 0x24)
    output logic         sid_pass,      // source-ID verification passed (else 0x26)
    // remapped format (IM=0) [VTD 9.10]
    output logic         dm,            // bit 2, 1 logical
    output logic         rh,            // bit 3
    output logic         tm,            // bit 4, 1 level
    output logic [2:0]   dlm,           // bits 7:5
    output logic [7:0]   vector,        // bits 23:16
    output logic [31:0]  dest,          // x2APIC: DST 63:32; xAPIC: APIC ID in 47:40
    // posted format (IM=1) [VTD 9.11]
    output logic         urg,           // bit 14
    output logic [7:0]   vv,            // virtual vector, bits 23:16
    output logic [63:0]  pda            // PID address: 31:6 from 63:38, 63:32 from 127:96
);
    // Reserved bits [VTD 9.10, 9.11], the same masks as irte.cpp.
    // Remapped: 14:12, 31:24, 127:84; with EIME=0 also 39:32 and 63:48.
    localparam logic [63:0] RemapRsvdLoX2apic = 64'h0000_0000_FF00_7000;
    localparam logic [63:0] RemapRsvdLoXapic  = 64'hFFFF_00FF_FF00_7000;
    localparam logic [63:0] RemapRsvdHi       = 64'hFFFF_FFFF_FFF0_0000;
    // Posted: 7:2, 13:12, 37:24, 95:84.
    localparam logic [63:0] PostRsvdLo        = 64'h0000_003F_FF00_30FC;
    localparam logic [63:0] PostRsvdHi        = 64'h0000_0000_FFF0_0000;

    logic [63:0] lo, hi, rsvd_lo, rsvd_hi;
    logic [15:0] sid;
    logic [1:0]  sq, svt;

    assign lo = irte_lo;
    assign hi = irte_hi;

    assign present = lo[0];
    assign fpd     = lo[1];
    assign im      = lo[15];

    // Fields at the same place in both formats.
    assign sid = hi[15:0];
    assign sq  = hi[17:16];
    assign svt = hi[19:18];

    assign rsvd_lo = im ? PostRsvdLo : (eime ? RemapRsvdLoX2apic : RemapRsvdLoXapic);
    assign rsvd_hi = im ? PostRsvdHi : RemapRsvdHi;
    assign reserved_set = ((lo & rsvd_lo) != 64'd0) || ((hi & rsvd_hi) != 64'd0) || (svt == 2'b11);

    vtd_sid_verify u_sid (
        .sid(sid), .sq(sq), .svt(svt), .requester_id(requester_id), .pass(sid_pass)
    );

    assign dm     = lo[2];
    assign rh     = lo[3];
    assign tm     = lo[4];
    assign dlm    = lo[7:5];
    assign vector = lo[23:16];
    assign dest   = eime ? lo[63:32] : {24'd0, lo[47:40]};

    assign urg = lo[14];
    assign vv  = lo[23:16];
    assign pda = {hi[63:32], lo[63:38], 6'd0};
endmodule
