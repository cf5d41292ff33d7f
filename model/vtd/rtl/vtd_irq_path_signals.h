// model/vtd/rtl/vtd_irq_path_signals.h - one sc_signal per port of the
// verilated vtd_irq_path (names, widths and directions as in
// vtd_irq_path.sv), and their binding. Used by VtdRtlEngine and by the
// lockstep test that drives the RTL directly.
#pragma once

#include <cstdint>
#include <systemc>

#include "Vvtd_irq_path.h"
#include "model/vtd/posting.h"

namespace pisim {

/// Evaluate the verilated model now: Vvtd_irq_path::eval(), the function its
/// SC_METHOD runs (private in the SystemC-mode model; vtd_rtl_engine.cpp
/// reaches it). The driver of a VtdIrqPathSignals set evaluates the model
/// itself at the clock edges it makes, so an RTL cycle costs two evaluations
/// and no process activation or delta cycle.
void vtd_irq_path_eval(Vvtd_irq_path& model);

/// A signal for a port of the verilated model when the driver evaluates the
/// model itself (vtd_irq_path_eval): a write takes effect at once, with no
/// update phase and no event (so the model's SC_METHOD, which would run a
/// delta later, is never triggered after its initial run).
template <typename T>
class VtdPortSignal : public sc_core::sc_signal<T> {
public:
    explicit VtdPortSignal(const char* name) : sc_core::sc_signal<T>(name) {}
    void write(const T& v) override {
        this->m_cur_val = v;
        this->m_new_val = v;
    }
};

struct VtdIrqPathSignals {
    template <typename T>
    using Sig = VtdPortSignal<T>;
    // The RTL's inputs.
    Sig<bool> clk{"clk"}, rst_n{"rst_n"}, cfg_ires{"cfg_ires"}, cfg_cfis{"cfg_cfis"},
        req_valid{"req_valid"}, mem_rsp_valid{"mem_rsp_valid"}, mem_rsp_error{"mem_rsp_error"},
        mem_rsp_retry{"mem_rsp_retry"};
    Sig<std::uint32_t> req_requester_id{"req_requester_id"}, req_data{"req_data"};
    Sig<std::uint64_t> cfg_irta{"cfg_irta"}, req_address{"req_address"};
    Sig<std::uint64_t> mem_rsp_rdata0{"mem_rsp_rdata0"}, mem_rsp_rdata1{"mem_rsp_rdata1"},
        mem_rsp_rdata2{"mem_rsp_rdata2"}, mem_rsp_rdata3{"mem_rsp_rdata3"},
        mem_rsp_rdata4{"mem_rsp_rdata4"}, mem_rsp_rdata5{"mem_rsp_rdata5"},
        mem_rsp_rdata6{"mem_rsp_rdata6"}, mem_rsp_rdata7{"mem_rsp_rdata7"};
    // The RTL's outputs.
    Sig<bool> req_ready{"req_ready"}, rsp_valid{"rsp_valid"},
        rsp_fault_recorded{"rsp_fault_recorded"}, rsp_fpd{"rsp_fpd"}, rsp_dm{"rsp_dm"},
        rsp_rh{"rsp_rh"}, rsp_tm{"rsp_tm"}, rsp_urgent{"rsp_urgent"}, rsp_notify{"rsp_notify"},
        mem_req_valid{"mem_req_valid"}, mem_req_write{"mem_req_write"},
        mem_req_pid{"mem_req_pid"};
    Sig<std::uint32_t> rsp_outcome{"rsp_outcome"}, rsp_fault{"rsp_fault"}, rsp_dlm{"rsp_dlm"},
        rsp_vector{"rsp_vector"}, rsp_posted_vector{"rsp_posted_vector"}, rsp_nv{"rsp_nv"},
        rsp_index{"rsp_index"}, rsp_dest{"rsp_dest"}, rsp_ndst{"rsp_ndst"},
        mem_req_index{"mem_req_index"};
    Sig<std::uint64_t> rsp_pda{"rsp_pda"}, rsp_old_control{"rsp_old_control"},
        rsp_new_control{"rsp_new_control"}, mem_req_addr{"mem_req_addr"};
    Sig<std::uint64_t> mem_req_wdata0{"mem_req_wdata0"}, mem_req_wdata1{"mem_req_wdata1"},
        mem_req_wdata2{"mem_req_wdata2"}, mem_req_wdata3{"mem_req_wdata3"},
        mem_req_wdata4{"mem_req_wdata4"}, mem_req_wdata5{"mem_req_wdata5"},
        mem_req_wdata6{"mem_req_wdata6"}, mem_req_wdata7{"mem_req_wdata7"};

    /// The response data: `n` words (IRTE 2, PID line 8); the rest 0.
    void set_rdata(const std::uint64_t* words, unsigned n) {
        VtdPortSignal<std::uint64_t>* port[8] = {&mem_rsp_rdata0, &mem_rsp_rdata1, &mem_rsp_rdata2,
                                                 &mem_rsp_rdata3, &mem_rsp_rdata4, &mem_rsp_rdata5,
                                                 &mem_rsp_rdata6, &mem_rsp_rdata7};
        for (unsigned i = 0; i < 8; ++i) port[i]->write(i < n ? words[i] : 0);
    }
    /// The line to write (a PID line).
    vtd::PidLine wdata() const {
        return {mem_req_wdata0.read(), mem_req_wdata1.read(), mem_req_wdata2.read(),
                mem_req_wdata3.read(), mem_req_wdata4.read(), mem_req_wdata5.read(),
                mem_req_wdata6.read(), mem_req_wdata7.read()};
    }

    void bind(Vvtd_irq_path& m) {
        m.clk(clk);
        m.rst_n(rst_n);
        m.cfg_ires(cfg_ires);
        m.cfg_cfis(cfg_cfis);
        m.cfg_irta(cfg_irta);
        m.req_valid(req_valid);
        m.req_ready(req_ready);
        m.req_address(req_address);
        m.req_data(req_data);
        m.req_requester_id(req_requester_id);
        m.rsp_valid(rsp_valid);
        m.rsp_outcome(rsp_outcome);
        m.rsp_fault(rsp_fault);
        m.rsp_fault_recorded(rsp_fault_recorded);
        m.rsp_index(rsp_index);
        m.rsp_fpd(rsp_fpd);
        m.rsp_dest(rsp_dest);
        m.rsp_dm(rsp_dm);
        m.rsp_rh(rsp_rh);
        m.rsp_tm(rsp_tm);
        m.rsp_dlm(rsp_dlm);
        m.rsp_vector(rsp_vector);
        m.rsp_pda(rsp_pda);
        m.rsp_posted_vector(rsp_posted_vector);
        m.rsp_urgent(rsp_urgent);
        m.rsp_old_control(rsp_old_control);
        m.rsp_new_control(rsp_new_control);
        m.rsp_notify(rsp_notify);
        m.rsp_nv(rsp_nv);
        m.rsp_ndst(rsp_ndst);
        m.mem_req_valid(mem_req_valid);
        m.mem_req_write(mem_req_write);
        m.mem_req_pid(mem_req_pid);
        m.mem_req_addr(mem_req_addr);
        m.mem_req_index(mem_req_index);
        m.mem_req_wdata0(mem_req_wdata0);
        m.mem_req_wdata1(mem_req_wdata1);
        m.mem_req_wdata2(mem_req_wdata2);
        m.mem_req_wdata3(mem_req_wdata3);
        m.mem_req_wdata4(mem_req_wdata4);
        m.mem_req_wdata5(mem_req_wdata5);
        m.mem_req_wdata6(mem_req_wdata6);
        m.mem_req_wdata7(mem_req_wdata7);
        m.mem_rsp_valid(mem_rsp_valid);
        m.mem_rsp_error(mem_rsp_error);
        m.mem_rsp_retry(mem_rsp_retry);
        m.mem_rsp_rdata0(mem_rsp_rdata0);
        m.mem_rsp_rdata1(mem_rsp_rdata1);
        m.mem_rsp_rdata2(mem_rsp_rdata2);
        m.mem_rsp_rdata3(mem_rsp_rdata3);
        m.mem_rsp_rdata4(mem_rsp_rdata4);
        m.mem_rsp_rdata5(mem_rsp_rdata5);
        m.mem_rsp_rdata6(mem_rsp_rdata6);
        m.mem_rsp_rdata7(mem_rsp_rdata7);
    }
};

}  // namespace pisim
