#!/usr/bin/env python3
"""Writes the hand-made seed inputs of fuzz_vtd_decode into corpus/vtd_decode/.

Layout (vtd_decode.cpp): address u64, data u32, requester ID u16, IRTE bits
63:0 and 127:64, IRTA.S u8, flags u8 (bit 0 EIME, bit 1 CFIS, bit 2 PID page is
RAM), PID eight u64 words. Each seed names the path it takes [VTD 5.1.4].
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "vtd_decode")

EIME, CFIS, PID_RAM = 1, 2, 4
RID = 0x0100  # 01:00.0
PDA = 0x12340


def remappable(index, shv=True):
    """Remappable-format address: handle in 19:5 and bit 2, SHV bit 3, bit 4."""
    return 0xFEE00000 | ((index & 0x7FFF) << 5) | (((index >> 15) & 1) << 2) | (int(shv) << 3) | (1 << 4)


def compat(dest, vector, dm=0, rh=0):
    return 0xFEE00000 | (dest << 12) | (rh << 3) | (dm << 2), vector


def remapped_irte(vector, dst, sid=RID, sq=0, svt=1, p=1, fpd=0, dlm=0, tm=0):
    lo = p | (fpd << 1) | (tm << 4) | (dlm << 5) | (vector << 16) | (dst << 32)
    hi = sid | (sq << 16) | (svt << 18)
    return lo, hi


def posted_irte(vv, pda=PDA, urg=0, sid=RID, sq=0, svt=1, p=1, fpd=0):
    lo = p | (fpd << 1) | (urg << 14) | (1 << 15) | (vv << 16) | (((pda >> 6) & 0x3FFFFFF) << 38)
    hi = sid | (sq << 16) | (svt << 18) | ((pda >> 32) << 32)
    return lo, hi


def pid(pir=(), on=0, sn=0, nv=0xF2, ndst=1, reserved=0):
    words = [0] * 8
    for v in pir:
        words[v // 64] |= 1 << (v % 64)
    words[4] = on | (sn << 1) | (nv << 16) | (ndst << 32) | reserved
    return words


def seed(name, address, data, irte=(0, 0), rid=RID, s=7, flags=EIME | PID_RAM, pidw=None):
    b = struct.pack("<QIH", address, data, rid)
    b += struct.pack("<QQ", *irte)
    b += bytes([s, flags])
    b += struct.pack("<8Q", *(pidw or pid()))
    assert len(b) == 96
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    a, v = compat(dest=1, vector=0x40)
    seed("compat-passthrough", a, v, flags=CFIS)                     # CFIS=1, EIME=0
    seed("compat-blocked-eime", a, v, flags=EIME | CFIS)            # 0x25
    seed("compat-blocked-cfis0", a, v, flags=0)                     # 0x25
    seed("remapped-x2apic", remappable(5), 0, remapped_irte(0x40, 3))
    seed("remapped-xapic", remappable(5), 0, remapped_irte(0x41, 3 << 8), flags=PID_RAM)
    seed("remapped-shv-subhandle", remappable(8), 3, remapped_irte(0x42, 1))  # index 11
    seed("remapped-no-shv", remappable(9, shv=False), 0xFFFF, remapped_irte(0x43, 1))
    seed("posted-notify", remappable(2), 0, posted_irte(0x50))
    seed("posted-sn-suppressed", remappable(2), 0, posted_irte(0x51), pidw=pid(sn=1))
    seed("posted-urgent-sn", remappable(2), 0, posted_irte(0x52, urg=1), pidw=pid(sn=1))
    seed("posted-on-already", remappable(2), 0, posted_irte(0x53), pidw=pid(pir=(0x30,), on=1))
    seed("posted-pid-reserved", remappable(2), 0, posted_irte(0x54), pidw=pid(reserved=1 << 5))  # 0x28
    seed("posted-pid-absent", remappable(2), 0, posted_irte(0x55, fpd=1), flags=EIME)  # 0x27
    seed("posted-high-pda", remappable(2), 0, posted_irte(0x56, pda=0x1_0000_0040))
    seed("reserved-request", remappable(2), 0x10000, posted_irte(0x57))               # 0x20
    seed("index-beyond-table", remappable(300), 0, remapped_irte(0x40, 1), s=7)       # 0x21
    seed("not-present-fpd", remappable(1), 0, remapped_irte(0x40, 1, p=0, fpd=1))     # 0x22 suppressed
    seed("not-present", remappable(1), 0, remapped_irte(0x40, 1, p=0))                # 0x22
    seed("irte-reserved", remappable(1), 0, (remapped_irte(0x40, 1)[0] | 1 << 13, remapped_irte(0x40, 1)[1]))  # 0x24
    seed("irte-svt-reserved", remappable(1), 0, remapped_irte(0x40, 1, svt=3))        # 0x24
    seed("sid-mismatch", remappable(1), 0, remapped_irte(0x40, 1, sid=0x0108), rid=RID)  # 0x26
    seed("sid-sq-ignores-function", remappable(1), 0, remapped_irte(0x40, 1, sid=0x0107, sq=3), rid=0x0100)
    seed("sid-bus-range", remappable(1), 0, remapped_irte(0x40, 1, sid=0x0002, svt=2), rid=0x0300)  # 0x26
    seed("sid-bus-range-ok", remappable(1), 0, remapped_irte(0x40, 1, sid=0x0104, svt=2), rid=0x0300)


if __name__ == "__main__":
    main()
