// model/vtd/rtl/vtd_pid_post.sv - the posting step on a posted-interrupt
// descriptor line [VTD 5.2.3, 9.11, 9.12]. Combinational. Mirrors
// pid_reserved_bits_set, pid_post, pid_nv and pid_ndst (model/vtd/posting.*).
//
// PID layout (512 bits, as eight 64-bit words, word i = bits 64i+63:64i):
// PIR 255:0 (words 0-3), ON 256, SN 257, reserved 271:258, NV 279:272,
// reserved 287:280, NDST 319:288 (word 4), reserved 511:320 (words 5-7).
module vtd_pid_post (
    input  logic [63:0] pid     [8],   // the line as read
    input  logic [7:0]  vector,        // IRTE virtual vector: the PIR bit to set
    input  logic        urgent,        // IRTE URG
    input  logic        eime,          // NDST format: 1 x2APIC 32-bit ID, 0 xAPIC ID in 303:296
    output logic        reserved_set,  // a reserved PID bit is 1 (fault 0x28)
    output logic [63:0] pid_new [8],   // the line to write back
    output logic        notify,        // X = !ON && (URG || !SN)
    output logic [7:0]  nv,            // notification vector
    output logic [31:0] ndst           // notification destination APIC ID
);
    // Reserved bits of the control word (PID 319:256): 15:2 and 31:24.
    localparam logic [63:0] ControlRsvd = 64'h0000_0000_FF00_FFFC;

    logic [63:0] control, pir_bit;
    logic        on, sn;

    assign control      = pid[4];
    assign reserved_set = ((control & ControlRsvd) != 64'd0) ||
                          ((pid[5] | pid[6] | pid[7]) != 64'd0);

    // 1. PIR[vector] = 1: bit vector[5:0] of word vector[7:6].
    assign pir_bit = 64'd1 << vector[5:0];
    // 2. X = (ON == 0) && (URG == 1 || SN == 0).
    assign on     = control[0];
    assign sn     = control[1];
    assign notify = !on && (urgent || !sn);
    // 3. If X, ON = 1.
    always_comb begin
        for (int w = 0; w < 4; w++)
            pid_new[w] = pid[w] | ((vector[7:6] == w[1:0]) ? pir_bit : 64'd0);
        pid_new[4] = {control[63:1], control[0] | notify};
        for (int w = 5; w < 8; w++) pid_new[w] = pid[w];
    end

    assign nv   = control[23:16];
    assign ndst = eime ? control[63:32] : {24'd0, control[47:40]};
endmodule
