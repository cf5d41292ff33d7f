// model/vtd/rtl/vtd_sid_verify.sv - source-ID verification of an IRTE
// [VTD 9.10 SID/SQ/SVT]. Combinational. Mirrors vtd::verify_source_id.
//
// requester_id is bus[15:8] device[7:3] function[2:0].
// SVT 00: pass. 01: requester_id equals SID on the bits the SQ mask keeps
// (SQ 00 all 16 bits; 01 ignore bit 2; 10 ignore bits 2:1; 11 ignore 2:0).
// 10: requester bus within [SID[15:8], SID[7:0]]. 11: reserved, fails.
module vtd_sid_verify (
    input  logic [15:0] sid,           // IRTE 79:64
    input  logic [1:0]  sq,            // IRTE 81:80
    input  logic [1:0]  svt,           // IRTE 83:82
    input  logic [15:0] requester_id,  // PCIe requester ID of the MSI write
    output logic        pass
);
    logic [15:0] mask;

    always_comb begin
        unique case (sq)
            2'b00:   mask = 16'hFFFF;
            2'b01:   mask = 16'hFFFB;
            2'b10:   mask = 16'hFFF9;
            default: mask = 16'hFFF8;
        endcase
        unique case (svt)
            2'b00:   pass = 1'b1;
            2'b01:   pass = (sid & mask) == (requester_id & mask);
            2'b10:   pass = (requester_id[15:8] >= sid[15:8]) && (requester_id[15:8] <= sid[7:0]);
            default: pass = 1'b0;
        endcase
    end
endmodule
