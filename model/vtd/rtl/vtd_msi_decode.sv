// model/vtd/rtl/vtd_msi_decode.sv - MSI (address, data) decode per the
// interrupt format in address bit 4 [VTD 5.1.2]. Combinational.
// Mirrors vtd::decode_interrupt_request (model/vtd/irte.cpp).
//
// Compatibility format [VTD 5.1.2.1]: address 31:20 0xFEE, destination 19:12,
//   RH bit 3, DM bit 2; data vector 7:0, delivery mode 10:8, level 14,
//   trigger mode 15.
// Remappable format [VTD 5.1.2.2]: handle[14:0] in address 19:5, SHV bit 3,
//   handle[15] bit 2; data 15:0 subhandle (used when SHV=1), data 31:16
//   reserved. index = handle (+ subhandle when SHV=1): 17 bits.
module vtd_msi_decode (
    input  logic [63:0] address,        // MSI address
    input  logic [31:0] data,           // MSI data
    output logic        remappable,     // address bit 4
    // compatibility-format fields
    output logic [7:0]  compat_dest,    // APIC destination, address 19:12
    output logic        compat_rh,      // redirection hint, address 3
    output logic        compat_dm,      // destination mode, address 2 (1 logical)
    output logic [7:0]  compat_vector,  // data 7:0
    output logic [2:0]  compat_dlm,     // delivery mode, data 10:8
    output logic        compat_tm,      // trigger mode, data 15 (1 level)
    // remappable-format fields
    output logic [16:0] index,          // interrupt index
    output logic        reserved_set    // a reserved field of the request is 1
);
    logic [15:0] handle;
    logic        shv;

    assign remappable    = address[4];
    assign compat_dest   = address[19:12];
    assign compat_rh     = address[3];
    assign compat_dm     = address[2];
    assign compat_vector = data[7:0];
    assign compat_dlm    = data[10:8];
    assign compat_tm     = data[15];

    assign handle       = {address[2], address[19:5]};
    assign shv          = address[3];
    assign index        = shv ? ({1'b0, handle} + {1'b0, data[15:0]}) : {1'b0, handle};
    assign reserved_set = data[31:16] != 16'd0;

    // Address 63:20 (the interrupt range, checked by the bus), 1:0 (don't
    // care) and data 14:11 (level and reserved bits of the compatibility
    // format, not used by remapping) are not decoded.
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_ok = &{1'b0, address[63:20], address[1:0], data[14:11]};
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
