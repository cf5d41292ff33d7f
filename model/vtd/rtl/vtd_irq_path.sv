// model/vtd/rtl/vtd_irq_path.sv - the VT-d interrupt request path: remappable
// MSI decode and checks, IRTE fetch and checks, remapping to an interrupt
// message, and the posting read-modify-write of the PID
// [VTD 5.1.4 "Interrupt-remapping hardware operation", 5.2.3, 9.10, 9.11].
// Equivalent to vtd::check_interrupt_request + vtd::process_irte +
// vtd::post_interrupt (model/vtd/irte.cpp, posting.cpp) and the fault
// recording rule of model/vtd/vtd.cpp.
//
// One request at a time. Order of the checks (VTD 5.1.4): IRE=0 pass-through;
// compatibility format blocked (0x25) or passed through; request reserved
// fields (0x20); index < 2^(S+1) (0x21); IRTE fetch (error 0x23); present
// (0x22); IRTE reserved fields (0x24); source ID (0x26); IM=0 remapped message;
// IM=1 PID read (error 0x27), PID reserved fields (0x28), PIR/ON update, PID
// write, then the result with the notification (NV, NDST) when X. The PID
// write completes before the result (and so the notification) is produced.
// Faults 0x22, 0x24, 0x26, 0x27, 0x28 are not recorded when the IRTE's FPD=1.
//
// Cycles (rising edges of clk, counted from the edge that accepts the
// request; memory latency is added by whoever serves the memory port):
//   IRE=0 / compatibility / 0x25 / 0x20 / 0x21:  1
//   0x23, 0x22, 0x24, 0x26, remapped message:    2 (+ IRTE read)
//   0x27, 0x28:                                   3 (+ IRTE read + PID read)
//   posted:                                       4 (+ IRTE read + PID read + PID write)
//   each PID write answered with mem_rsp_retry adds 2 (+ PID read + write).
//
// Request port: req_valid/req_ready; a request is accepted at a rising edge
// with both high. cfg_* are sampled with the request.
// Result: rsp_valid rises with the edge that completes the request and holds,
// with the rsp_* fields, until the next request is accepted.
// Memory port (one access outstanding, 128-bit IRTE read, 512-bit PID line
// read and write, the data as eight 64-bit words): mem_req_* rises with an edge and holds until a rising edge
// at which mem_rsp_valid is 1, which completes the access (mem_rsp_valid is
// the request's ready and the response's valid at once; the responder raises
// it for exactly one edge). mem_rsp_error: the address is not accessible.
// mem_rsp_retry (PID write only): the line changed since it was read, the
// write was not done; the engine reads the line again (the line is held for
// an atomic read-modify-write of the PID, VTD 5.2.3).
module vtd_irq_path (
    input  logic         clk,
    input  logic         rst_n,              // synchronous, active low
    // configuration (IRTA, GSTS), sampled with the request
    input  logic [63:0]  cfg_irta,           // table base 63:12, EIME 11, S 3:0
    input  logic         cfg_ires,           // GSTS.IRES: remapping enabled
    input  logic         cfg_cfis,           // GSTS.CFIS: compatibility format allowed
    // request: one MSI write
    input  logic         req_valid,
    output logic         req_ready,
    input  logic [63:0]  req_address,
    input  logic [31:0]  req_data,
    input  logic [15:0]  req_requester_id,
    // result
    output logic         rsp_valid,
    output logic [2:0]   rsp_outcome,        // 0 fault, 1 compatibility, 3 remapped, 4 posted
    output logic [7:0]   rsp_fault,          // fault reason (outcome 0)
    output logic         rsp_fault_recorded, // 0 when FPD suppresses the fault
    output logic [16:0]  rsp_index,          // interrupt index (0 for compatibility)
    output logic         rsp_fpd,            // the IRTE's FPD (0 before the IRTE)
    output logic [31:0]  rsp_dest,           // message destination (outcomes 1, 3)
    output logic         rsp_dm,             // 1 logical
    output logic         rsp_rh,
    output logic         rsp_tm,             // 1 level
    output logic [2:0]   rsp_dlm,            // delivery mode
    output logic [7:0]   rsp_vector,
    output logic [63:0]  rsp_pda,            // posting target (outcome 4, and 0x27/0x28)
    output logic [7:0]   rsp_posted_vector,
    output logic         rsp_urgent,
    output logic [63:0]  rsp_old_control,    // PID 319:256 before / after (outcome 4)
    output logic [63:0]  rsp_new_control,
    output logic         rsp_notify,         // X: send the notification
    output logic [7:0]   rsp_nv,             // notification vector
    output logic [31:0]  rsp_ndst,           // notification destination APIC ID
    // memory port
    output logic         mem_req_valid,
    output logic         mem_req_write,      // 1 PID line write
    output logic         mem_req_pid,        // 0 IRTE (128-bit read), 1 PID line (512 bits)
    output logic [63:0]  mem_req_addr,       // IRTE: table base + 16 * index; PID: PDA
    output logic [16:0]  mem_req_index,      // IRTE index (for the interrupt entry cache)
    // The 512-bit data as eight 64-bit ports, word i = line bits 64i+63:64i
    // (one 64-bit SystemC signal each instead of a 512-bit vector).
    output logic [63:0]  mem_req_wdata0,     // PID line to write
    output logic [63:0]  mem_req_wdata1,
    output logic [63:0]  mem_req_wdata2,
    output logic [63:0]  mem_req_wdata3,
    output logic [63:0]  mem_req_wdata4,
    output logic [63:0]  mem_req_wdata5,
    output logic [63:0]  mem_req_wdata6,
    output logic [63:0]  mem_req_wdata7,
    input  logic         mem_rsp_valid,
    input  logic         mem_rsp_error,
    input  logic         mem_rsp_retry,
    input  logic [63:0]  mem_rsp_rdata0,     // IRTE in words 1:0, or the PID line
    input  logic [63:0]  mem_rsp_rdata1,
    input  logic [63:0]  mem_rsp_rdata2,
    input  logic [63:0]  mem_rsp_rdata3,
    input  logic [63:0]  mem_rsp_rdata4,
    input  logic [63:0]  mem_rsp_rdata5,
    input  logic [63:0]  mem_rsp_rdata6,
    input  logic [63:0]  mem_rsp_rdata7
);
    localparam logic [2:0] OutFault = 3'd0, OutCompat = 3'd1, OutRemapped = 3'd3,
                           OutPosted = 3'd4;
    localparam logic [7:0] FaultReservedRequest = 8'h20, FaultIndexBeyondTable = 8'h21,
                           FaultNotPresent = 8'h22, FaultTableAccess = 8'h23,
                           FaultReservedIrte = 8'h24, FaultCompatBlocked = 8'h25,
                           FaultSourceId = 8'h26, FaultPidAccess = 8'h27,
                           FaultReservedPid = 8'h28;

    typedef enum logic [1:0] {
        S_IDLE      = 2'd0,  // ready for a request (holds the last result)
        S_IRTE      = 2'd1,  // IRTE read outstanding
        S_PID_READ  = 2'd2,  // PID line read outstanding
        S_PID_WRITE = 2'd3   // PID line write outstanding
    } state_t;

    state_t state;

    // The data words as arrays (64-bit operations only).
    logic [63:0] rdata [8];
    logic [63:0] wdata [8];
    assign rdata = '{mem_rsp_rdata0, mem_rsp_rdata1, mem_rsp_rdata2, mem_rsp_rdata3,
                     mem_rsp_rdata4, mem_rsp_rdata5, mem_rsp_rdata6, mem_rsp_rdata7};
    assign mem_req_wdata0 = wdata[0];
    assign mem_req_wdata1 = wdata[1];
    assign mem_req_wdata2 = wdata[2];
    assign mem_req_wdata3 = wdata[3];
    assign mem_req_wdata4 = wdata[4];
    assign mem_req_wdata5 = wdata[5];
    assign mem_req_wdata6 = wdata[6];
    assign mem_req_wdata7 = wdata[7];

    // Latched with the request.
    logic        eime_q;
    logic [15:0] requester_id_q;

    // ---- stage 1: the request (combinational on the request inputs) ----
    logic        d_remappable, d_compat_rh, d_compat_dm, d_compat_tm, d_reserved;
    logic [7:0]  d_compat_dest, d_compat_vector;
    logic [2:0]  d_compat_dlm;
    logic [16:0] d_index;
    logic [17:0] table_entries;
    logic        cfg_eime;

    vtd_msi_decode u_decode (
        .address(req_address), .data(req_data), .remappable(d_remappable),
        .compat_dest(d_compat_dest), .compat_rh(d_compat_rh), .compat_dm(d_compat_dm),
        .compat_vector(d_compat_vector), .compat_dlm(d_compat_dlm), .compat_tm(d_compat_tm),
        .index(d_index), .reserved_set(d_reserved)
    );
    assign cfg_eime      = cfg_irta[11];
    assign table_entries = 18'd1 << ({1'b0, cfg_irta[3:0]} + 5'd1);  // 2^(S+1) [VTD 10.4.29]

    // ---- stage 2: the IRTE (combinational on the memory response) ----
    logic        e_present, e_fpd, e_im, e_reserved, e_sid_pass, e_dm, e_rh, e_tm, e_urg;
    logic [2:0]  e_dlm;
    logic [7:0]  e_vector, e_vv;
    logic [31:0] e_dest;
    logic [63:0] e_pda;

    vtd_irte_check u_irte (
        .irte_lo(rdata[0]), .irte_hi(rdata[1]), .eime(eime_q), .requester_id(requester_id_q),
        .present(e_present), .fpd(e_fpd), .im(e_im), .reserved_set(e_reserved),
        .sid_pass(e_sid_pass), .dm(e_dm), .rh(e_rh), .tm(e_tm), .dlm(e_dlm),
        .vector(e_vector), .dest(e_dest), .urg(e_urg), .vv(e_vv), .pda(e_pda)
    );

    // ---- posting: the PID line (combinational on the memory response) ----
    logic         p_reserved, p_notify;
    logic [63:0]  p_new [8];
    logic [7:0]   p_nv;
    logic [31:0]  p_ndst;

    vtd_pid_post u_post (
        .pid(rdata), .vector(rsp_posted_vector), .urgent(rsp_urgent), .eime(eime_q),
        .reserved_set(p_reserved), .pid_new(p_new), .notify(p_notify), .nv(p_nv),
        .ndst(p_ndst)
    );

    assign req_ready = (state == S_IDLE);

    // IRTA 10:4 are reserved in the register and not used here.
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_ok = &{1'b0, cfg_irta[10:4]};
    /* verilator lint_on UNUSEDSIGNAL */

    // Invariants of the memory port: a response only answers an outstanding
    // access; no access is outstanding while the path is idle; a retry only
    // answers a PID write.
    always_ff @(posedge clk) begin
        if (rst_n) begin
            assert (!mem_rsp_valid || mem_req_valid);
            assert (state != S_IDLE || !mem_req_valid);
            assert (!mem_rsp_retry || (mem_rsp_valid && mem_req_write));
        end
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            state              <= S_IDLE;
            eime_q             <= 1'b0;
            requester_id_q     <= 16'd0;
            rsp_valid          <= 1'b0;
            rsp_outcome        <= OutFault;
            rsp_fault          <= 8'd0;
            rsp_fault_recorded <= 1'b0;
            rsp_index          <= 17'd0;
            rsp_fpd            <= 1'b0;
            rsp_dest           <= 32'd0;
            rsp_dm             <= 1'b0;
            rsp_rh             <= 1'b0;
            rsp_tm             <= 1'b0;
            rsp_dlm            <= 3'd0;
            rsp_vector         <= 8'd0;
            rsp_pda            <= 64'd0;
            rsp_posted_vector  <= 8'd0;
            rsp_urgent         <= 1'b0;
            rsp_old_control    <= 64'd0;
            rsp_new_control    <= 64'd0;
            rsp_notify         <= 1'b0;
            rsp_nv             <= 8'd0;
            rsp_ndst           <= 32'd0;
            mem_req_valid      <= 1'b0;
            mem_req_write      <= 1'b0;
            mem_req_pid        <= 1'b0;
            mem_req_addr       <= 64'd0;
            mem_req_index      <= 17'd0;
            for (int w = 0; w < 8; w++) wdata[w] <= 64'd0;
        end else begin
            unique case (state)
                S_IDLE: if (req_valid) begin
                    // A new request: clear the previous result.
                    eime_q             <= cfg_eime;
                    requester_id_q     <= req_requester_id;
                    rsp_valid          <= 1'b0;
                    rsp_fault          <= 8'd0;
                    rsp_fault_recorded <= 1'b0;
                    rsp_index          <= 17'd0;
                    rsp_fpd            <= 1'b0;
                    rsp_dest           <= 32'd0;
                    rsp_dm             <= 1'b0;
                    rsp_rh             <= 1'b0;
                    rsp_tm             <= 1'b0;
                    rsp_dlm            <= 3'd0;
                    rsp_vector         <= 8'd0;
                    rsp_pda            <= 64'd0;
                    rsp_posted_vector  <= 8'd0;
                    rsp_urgent         <= 1'b0;
                    rsp_old_control    <= 64'd0;
                    rsp_new_control    <= 64'd0;
                    rsp_notify         <= 1'b0;
                    rsp_nv             <= 8'd0;
                    rsp_ndst           <= 32'd0;
                    if (!cfg_ires || (!d_remappable && !cfg_eime && cfg_cfis)) begin
                        // Remapping disabled, or a compatibility-format request
                        // allowed through (CFIS=1, EIME=0) [VTD 5.1.2.1]: the
                        // request's own fields, unremapped.
                        rsp_valid   <= 1'b1;
                        rsp_outcome <= OutCompat;
                        rsp_dest    <= {24'd0, d_compat_dest};
                        rsp_dm      <= d_compat_dm;
                        rsp_rh      <= d_compat_rh;
                        rsp_tm      <= d_compat_tm;
                        rsp_dlm     <= d_compat_dlm;
                        rsp_vector  <= d_compat_vector;
                    end else if (!d_remappable) begin
                        // 1. Compatibility format blocked (EIME=1 or CFIS=0).
                        rsp_valid          <= 1'b1;
                        rsp_outcome        <= OutFault;
                        rsp_fault          <= FaultCompatBlocked;
                        rsp_fault_recorded <= 1'b1;
                    end else if (d_reserved) begin
                        // 2. Reserved fields of the remappable request.
                        rsp_valid          <= 1'b1;
                        rsp_outcome        <= OutFault;
                        rsp_fault          <= FaultReservedRequest;
                        rsp_fault_recorded <= 1'b1;
                        rsp_index          <= d_index;
                    end else if ({1'b0, d_index} >= table_entries) begin
                        // 3. Interrupt index beyond the table.
                        rsp_valid          <= 1'b1;
                        rsp_outcome        <= OutFault;
                        rsp_fault          <= FaultIndexBeyondTable;
                        rsp_fault_recorded <= 1'b1;
                        rsp_index          <= d_index;
                    end else begin
                        // 4. Fetch the IRTE at table base + 16 * index.
                        rsp_index     <= d_index;
                        mem_req_valid <= 1'b1;
                        mem_req_write <= 1'b0;
                        mem_req_pid   <= 1'b0;
                        mem_req_addr  <= {cfg_irta[63:12], 12'd0} + {43'd0, d_index, 4'd0};
                        mem_req_index <= d_index;
                        state         <= S_IRTE;
                    end
                end
                S_IRTE: if (mem_rsp_valid) begin
                    mem_req_valid <= 1'b0;
                    rsp_fpd       <= e_fpd & ~mem_rsp_error;
                    if (mem_rsp_error) begin
                        // IRTE not accessible (0x23, always recorded).
                        rsp_valid          <= 1'b1;
                        rsp_outcome        <= OutFault;
                        rsp_fault          <= FaultTableAccess;
                        rsp_fault_recorded <= 1'b1;
                        state              <= S_IDLE;
                    end else if (!e_present || e_reserved || !e_sid_pass) begin
                        // 5. present (0x22); 6. reserved fields (0x24);
                        // 7. source ID (0x26): qualified, FPD suppresses them.
                        rsp_valid          <= 1'b1;
                        rsp_outcome        <= OutFault;
                        rsp_fault          <= !e_present ? FaultNotPresent :
                                              e_reserved ? FaultReservedIrte : FaultSourceId;
                        rsp_fault_recorded <= !e_fpd;
                        state              <= S_IDLE;
                    end else if (!e_im) begin
                        // 8a. IM=0: the remapped interrupt message.
                        rsp_valid   <= 1'b1;
                        rsp_outcome <= OutRemapped;
                        rsp_dest    <= e_dest;
                        rsp_dm      <= e_dm;
                        rsp_rh      <= e_rh;
                        rsp_tm      <= e_tm;
                        rsp_dlm     <= e_dlm;
                        rsp_vector  <= e_vector;
                        state       <= S_IDLE;
                    end else begin
                        // 8b. IM=1: read the PID line for the posting RMW.
                        rsp_pda           <= e_pda;
                        rsp_posted_vector <= e_vv;
                        rsp_urgent        <= e_urg;
                        mem_req_valid     <= 1'b1;
                        mem_req_write     <= 1'b0;
                        mem_req_pid       <= 1'b1;
                        mem_req_addr      <= e_pda;
                        state             <= S_PID_READ;
                    end
                end
                S_PID_READ: if (mem_rsp_valid) begin
                    if (mem_rsp_error || p_reserved) begin
                        // PID not accessible (0x27) or a reserved PID bit set
                        // (0x28): nothing written; qualified by FPD.
                        mem_req_valid      <= 1'b0;
                        rsp_valid          <= 1'b1;
                        rsp_outcome        <= OutFault;
                        rsp_fault          <= mem_rsp_error ? FaultPidAccess : FaultReservedPid;
                        rsp_fault_recorded <= !rsp_fpd;
                        state              <= S_IDLE;
                    end else begin
                        // Set PIR[vector], ON |= X; write the line back.
                        mem_req_valid   <= 1'b1;
                        mem_req_write   <= 1'b1;
                        wdata           <= p_new;
                        rsp_old_control <= rdata[4];
                        rsp_new_control <= p_new[4];
                        rsp_notify      <= p_notify;
                        rsp_nv          <= p_nv;
                        rsp_ndst        <= p_ndst;
                        state           <= S_PID_WRITE;
                    end
                end
                S_PID_WRITE: if (mem_rsp_valid) begin
                    if (mem_rsp_retry) begin
                        // The line changed under the RMW: read it again.
                        mem_req_write <= 1'b0;
                        state         <= S_PID_READ;
                    end else begin
                        // The PID update is visible: the result, and with it
                        // the notification when X.
                        mem_req_valid <= 1'b0;
                        mem_req_write <= 1'b0;
                        rsp_valid     <= 1'b1;
                        rsp_outcome   <= OutPosted;
                        state         <= S_IDLE;
                    end
                end
                default: state <= S_IDLE;
            endcase
        end
    end
endmodule
