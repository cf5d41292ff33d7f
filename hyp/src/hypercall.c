/*
 * hypercall.c - the VMCALL exit (basic exit reason 18) [SDM vol. 3C 25.1.2:
 * VMCALL in VMX non-root operation always causes a VM exit; SDM appendix C].
 *
 * The hypercall number would be in the guest's RAX. This core defines no
 * hypercall, so every VMCALL is one with an unknown number: the guest gets
 * control back with nothing done, as KVM answers an unknown number
 * (-KVM_ENOSYS in RAX, arch/x86/kvm/x86.c kvm_emulate_hypercall) and Xen's
 * hvm_hypercall an out-of-range one (-ENOSYS). The guest model keeps no
 * registers, so there is no return value to write; the CPU model has already
 * moved the guest past the instruction (model/cpu/nonroot.cpp), as the
 * hypervisor's RIP advance would.
 *
 * What a guest measures with a VMCALL loop (kvm-unit-tests x86/vmexit.c
 * "vmcall") is therefore the exit, this dispatch and the entry back.
 */
#include "hyp_core.h"

void hypercall(struct vcpu *v)
{
    /* the exit came from the vCPU this pCPU runs */
    HYP_ASSERT(this_pcpu()->curr == v->id);
}
