// model/pcie/msi_message.cpp - the MSI / MSI-X message layer and the posted
// write to the root complex [PCIe Base 6.1.4; 7.7.1 MSI capability; 7.7.2
// MSI-X capability, table and Pending Bit Array].
//
// Facts used:
// - MSI-X table entry: Message Address (lower, upper), Message Data, Vector
//   Control (bit 0 = Mask, set after reset); the PBA has one bit per entry
//   [PCIe 7.7.2; Linux include/uapi/linux/pci_regs.h PCI_MSIX_ENTRY_*].
// - MSI-X Message Control bit 15 MSI-X Enable, bit 14 Function Mask; with the
//   Function Mask set every vector is masked whatever its own Mask bit, and
//   the Mask bits are left unchanged [PCIe 7.7.2.2].
// - A function that would send a message for a masked vector sets the
//   vector's pending bit instead; when the vector becomes unmasked with its
//   pending bit set, the function sends the message and clears the bit
//   [PCIe 6.1.4.5].
// - MSI with Multiple Message Enable = n (2^n messages): the function sends
//   message k by replacing the low n bits of Message Data with k
//   [PCIe 6.1.4.4]; a function granted fewer messages than it asked for
//   aliases its sources onto the granted ones (k mod 2^n, as e.g. TI TUSB73x0
//   documents for its interrupters).
// - MSI per-vector masking: Mask Bits and Pending Bits, one per message,
//   Mask Bits clear after reset [PCIe 7.7.1].
// - The message is a posted memory write: no completion returns to the
//   endpoint.
#include <cassert>
#include <stdexcept>
#include <string>

#include "model/pcie/nic_impl.h"

namespace pisim {

namespace {
void check_index(std::uint32_t index, std::uint32_t size, const char* what) {
    if (index >= size)
        throw std::out_of_range(std::string("nic: ") + what + " " + std::to_string(index) +
                                " >= " + std::to_string(size));
}
}  // namespace

// ---------------------------------------------------------------------------
// Interrupt request from moderation to the message layer

void Nic::Impl::request_message(std::uint32_t vector, std::uint32_t queue) {
    if (cfg.use_msi)
        msi_request(vector, queue);
    else
        msix_request(vector, queue);
}

// ---------------------------------------------------------------------------
// MSI-X [PCIe 6.1.4.5, 7.7.2]

/// Signal MSI-X vector `index`:
/// 0. a forged vector (msix_forge, a hostile device) writes its forged message;
/// 1. MSI-X Enable clear: the function may not use MSI-X; the request is dropped;
/// 2. Function Mask or the entry's Mask bit set: set the pending bit (an
///    already-set bit stays set: one message covers both);
/// 3. otherwise send the message.
void Nic::Impl::msix_request(std::uint32_t index, std::uint32_t queue) {
    assert(index < msix.size());
    if (msix[index].forged) {  // a hostile device writes what it wants (msix_forge)
        issue_msi_write(msix[index].forged_address, msix[index].forged_data, index, queue);
        itr_message_sent(index);
        return;
    }
    if (!msix_enable) {
        ++stats.dropped;
        return;
    }
    MsixEntry& e = msix[index];
    if (function_mask || e.mask) {
        if (!e.pending) {
            e.pending = true;
            e.pending_queue = queue;
            ++stats.masked_pending;
            emit(EventKind::NicMsixPending, 0, index);
        }
        return;
    }
    assert(!e.pending);   // invariant: an unmasked vector of an enabled function has no pending bit
    msix_send(index, queue);
}

/// The vector may have become unmasked: if it is now unmasked (MSI-X enabled,
/// Function Mask clear, Mask bit clear) and its pending bit is set, clear the
/// bit and send the message [PCIe 6.1.4.5].
void Nic::Impl::msix_release_pending(std::uint32_t index) {
    MsixEntry& e = msix[index];
    if (!msix_enable || function_mask || e.mask || !e.pending) return;
    e.pending = false;
    msix_send(index, e.pending_queue);
}

/// Issue the write that entry `index` describes now (its current address and
/// data), on behalf of receive queue `queue`.
void Nic::Impl::msix_send(std::uint32_t index, std::uint32_t queue) {
    const MsixEntry& e = msix[index];
    issue_msi_write(e.address, e.data, index, queue);
    itr_message_sent(index);
}

void Nic::msix_program(std::uint32_t index, std::uint64_t address, std::uint32_t data) {
    check_index(index, static_cast<std::uint32_t>(impl_->msix.size()), "MSI-X entry");
    impl_->msix[index].address = address;
    impl_->msix[index].data = data;
}

void Nic::msix_mask(std::uint32_t index, bool masked) {
    check_index(index, static_cast<std::uint32_t>(impl_->msix.size()), "MSI-X entry");
    impl_->msix[index].mask = masked;
    if (!masked) impl_->msix_release_pending(index);
}

bool Nic::msix_pending(std::uint32_t index) const {
    check_index(index, static_cast<std::uint32_t>(impl_->msix.size()), "MSI-X entry");
    return impl_->msix[index].pending;
}

bool Nic::msix_masked(std::uint32_t index) const {
    check_index(index, static_cast<std::uint32_t>(impl_->msix.size()), "MSI-X entry");
    return impl_->msix[index].mask;
}

void Nic::msix_control(bool enable, bool function_mask) {
    if (enable && impl_->cfg.use_msi)
        throw std::logic_error("nic: MSI-X Enable on a NIC configured for MSI (use_msi)");
    impl_->msix_enable = enable;
    impl_->function_mask = function_mask;
    if (enable && !function_mask)
        for (std::uint32_t i = 0; i < impl_->msix.size(); ++i) impl_->msix_release_pending(i);
}

void Nic::msix_forge(std::uint32_t index, std::uint64_t address, std::uint32_t data) {
    if (impl_->cfg.use_msi) throw std::logic_error("nic: msix_forge on a NIC configured for MSI (use_msi)");
    check_index(index, static_cast<std::uint32_t>(impl_->msix.size()), "MSI-X entry");
    Impl::MsixEntry& e = impl_->msix[index];
    e.forged = true;
    e.forged_address = address;
    e.forged_data = data;
}

bool Nic::msix_enabled() const { return impl_->msix_enable; }
bool Nic::msix_function_masked() const { return impl_->function_mask; }

// ---------------------------------------------------------------------------
// MSI [PCIe 6.1.4.4, 7.7.1]

void Nic::Impl::require_msi_mode() const {
    if (!cfg.use_msi)
        throw std::logic_error("nic: MSI capability used on a NIC configured for MSI-X");
}

/// The MSI message that source vector `vector` uses: vector mod 2^MME.
std::uint32_t Nic::Impl::msi_message_number(std::uint32_t vector) const {
    return vector & ((1u << msi.mme_log2) - 1u);
}

/// Signal MSI source `vector`:
/// 1. MSI Enable clear: dropped;
/// 2. the message's Mask bit set: set its pending bit;
/// 3. otherwise send the message.
void Nic::Impl::msi_request(std::uint32_t vector, std::uint32_t queue) {
    if (!msi.enable) {
        ++stats.dropped;
        return;
    }
    const std::uint32_t m = msi_message_number(vector);
    const std::uint32_t bit = 1u << m;
    if (msi.mask & bit) {
        if (!(msi.pending & bit)) {
            msi.pending |= bit;
            msi.pending_queue[m] = queue;
            ++stats.masked_pending;
            emit(EventKind::NicMsixPending, 0, m);
        }
        return;
    }
    assert(!(msi.pending & bit));
    msi_send(m, queue);
}

void Nic::Impl::msi_release_pending(std::uint32_t message) {
    const std::uint32_t bit = 1u << message;
    if (!msi.enable || (msi.mask & bit) || !(msi.pending & bit)) return;
    msi.pending &= ~bit;
    msi_send(message, msi.pending_queue[message]);
}

/// Send MSI message `message`: Message Data with its low MME bits replaced by
/// the message number [PCIe 6.1.4.4]; it covers every source aliased onto it.
void Nic::Impl::msi_send(std::uint32_t message, std::uint32_t queue) {
    const std::uint32_t low = (1u << msi.mme_log2) - 1u;
    assert(message <= low);
    const std::uint32_t data = (std::uint32_t{msi.data} & ~low & 0xFFFFu) | message;
    issue_msi_write(msi.address, data, message, queue);
    for (std::uint32_t v = 0; v < itr.size(); ++v)
        if (msi_message_number(v) == message) itr_message_sent(v);
}

void Nic::msi_program(std::uint64_t address, std::uint16_t data, std::uint32_t mme_log2) {
    impl_->require_msi_mode();
    if (mme_log2 > 5 || (1u << mme_log2) > impl_->cfg.msi_vectors)
        throw std::invalid_argument("nic: MSI Multiple Message Enable " +
                                    std::to_string(mme_log2) +
                                    " above Multiple Message Capable [PCIe 7.7.1.2]");
    auto& msi = impl_->msi;
    msi.address = address;
    msi.data = data;
    msi.mme_log2 = mme_log2;
    msi.enable = true;
    // Pending bits of messages outside the new allocation have no message to
    // send any more (an unmasked message is never pending: nothing to send here).
    msi.pending &= mme_log2 == 5 ? ~0u : (1u << (1u << mme_log2)) - 1u;
}

void Nic::msi_mask(std::uint32_t message, bool masked) {
    impl_->require_msi_mode();
    check_index(message, impl_->cfg.msi_vectors, "MSI message");
    const std::uint32_t bit = 1u << message;
    if (masked)
        impl_->msi.mask |= bit;
    else
        impl_->msi.mask &= ~bit;
    if (!masked) impl_->msi_release_pending(message);
}

bool Nic::msi_pending(std::uint32_t message) const {
    check_index(message, impl_->cfg.msi_vectors, "MSI message");
    return (impl_->msi.pending >> message) & 1u;
}

// ---------------------------------------------------------------------------
// The posted write

/// The endpoint issues an MSI write now: a fresh tag
/// ((device_index + 1) << 40 | n), NicMsiWrite(address, data, vector, queue),
/// and the write arrives at the root complex timing.posted_write cycles later.
void Nic::Impl::issue_msi_write(std::uint64_t address, std::uint32_t data, std::uint32_t vector,
                                std::uint32_t queue) {
    assert(next_tag_seq < (std::uint64_t{1} << 40));
    const std::uint64_t tag = (std::uint64_t{cfg.device_index} + 1) << 40 | next_tag_seq++;
    ++stats.messages;
    emit(EventKind::NicMsiWrite, tag, address, data, vector, queue);
    Item item;
    item.cycle = now_cycles() + timing.posted_write;
    item.action = Action::PostedWriteArrival;
    item.write.address = address;
    item.write.data = data;
    item.write.requester_id = cfg.spoofed_requester_id.value_or(cfg.requester_id);
    item.write.tag = tag;
    schedule(item);
}

/// The write reaches the root complex: one TLM write of 4 bytes (little
/// endian) with the requester ID and tag in a PcieRequesterExt, zero delay.
/// Posted: the response status is not examined.
void Nic::Impl::posted_write_arrival(const MsiWrite& w) {
    bytes[0] = static_cast<unsigned char>(w.data);
    bytes[1] = static_cast<unsigned char>(w.data >> 8);
    bytes[2] = static_cast<unsigned char>(w.data >> 16);
    bytes[3] = static_cast<unsigned char>(w.data >> 24);
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(w.address);
    gp.set_data_ptr(bytes);
    gp.set_data_length(4);
    gp.set_streaming_width(4);
    gp.set_byte_enable_ptr(nullptr);
    gp.set_byte_enable_length(0);
    gp.set_dmi_allowed(false);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    ext.requester_id = w.requester_id;
    ext.tag = w.tag;
    gp.set_extension(&ext);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    ++stats.delivered;
    nic.msi_out->b_transport(gp, delay);
    gp.clear_extension(&ext);
}

}  // namespace pisim
