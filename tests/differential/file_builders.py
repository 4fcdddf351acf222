"""Minimal files of each ClamAV target type, with a signature instance placed at a chosen offset.

Promise: every builder returns bytes that ClamAV's file typing classifies as the named type (PE: a
well-formed PE32 or PE32+ image whose sections and entry point ClamAV's PE parser accepts; ELF: an
ELF32/ELF64 executable with one PT_LOAD segment covering the file; HTML, ASCII text, PDF, OLE2, Mach-O
and Java class headers by their magic), and the offset at which the payload starts, so the caller can
check the placement against the signature's offset rule. Sizes are bounded by the payload's size.
"""

import struct

WORDS = (
    b"the of and to in is that for it as was with be by on not he this are or his from at which but "
    b"have an they you were her she there one all we their been has when who will more no if out so "
    b"said what up its about into than them can only other new some could time these two may then do "
    b"first any my now such like our over man me even most made after also did many before must through"
).split()


def text_padding(rng, n):
    """About n bytes of lowercase words and newlines (never exceeds n)."""
    out = bytearray()
    while len(out) < n:
        w = rng.choice(WORDS)
        out += w
        out += b"\n" if rng.random() < 0.1 else b" "
    return bytes(out[:n])


def binary_padding(rng, n):
    return rng.randbytes(n)


def align(n, a):
    return (n + a - 1) // a * a


class PeImage:
    """A PE image: sections (bytearrays), the entry point's section and offset, optional overlay."""

    FILE_ALIGN = 0x200
    SECT_ALIGN = 0x1000

    def __init__(self, rng, pe64, nsections):
        self.rng = rng
        self.pe64 = pe64
        self.sections = [bytearray(binary_padding(rng, rng.randint(16, 96))) for _ in range(nsections)]
        self.ep_section = 0
        self.ep_offset = 0
        self.overlay = b""

    def header_size(self):
        opt = 0xF0 if self.pe64 else 0xE0
        return align(0x80 + 4 + 20 + opt + 40 * len(self.sections), self.FILE_ALIGN)

    def section_raw_offsets(self):
        offs, pos = [], self.header_size()
        for s in self.sections:
            offs.append(pos)
            pos += align(len(s), self.FILE_ALIGN)
        return offs

    def image_size(self):
        offs = self.section_raw_offsets()
        return offs[-1] + align(len(self.sections[-1]), self.FILE_ALIGN)

    def ep_raw(self):
        return self.section_raw_offsets()[self.ep_section] + self.ep_offset

    def build(self):
        rng = self.rng
        n = len(self.sections)
        vas, va = [], self.SECT_ALIGN
        for s in self.sections:
            vas.append(va)
            va += align(max(len(s), 1), self.SECT_ALIGN)
        size_of_image = va
        raw = self.section_raw_offsets()
        hdr_size = self.header_size()
        entry = vas[self.ep_section] + self.ep_offset

        dos = bytearray(0x80)
        dos[0:2] = b"MZ"
        struct.pack_into("<HHHHHHHHHHHHHH", dos, 2, 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0, 0x40, 0, 0)
        struct.pack_into("<I", dos, 0x3C, 0x80)
        stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
        dos[0x40 : 0x40 + len(stub)] = stub

        machine = 0x8664 if self.pe64 else 0x14C
        opt_size = 0xF0 if self.pe64 else 0xE0
        chars = 0x0022 if self.pe64 else 0x0102
        coff = struct.pack("<4sHHIIIHH", b"PE\0\0", machine, n, rng.randint(0x50000000, 0x60000000), 0, 0, opt_size, chars)

        code_size = align(len(self.sections[0]), self.FILE_ALIGN)
        data_size = sum(align(len(s), self.FILE_ALIGN) for s in self.sections[1:])
        if self.pe64:
            opt = struct.pack("<HBBIIIII", 0x20B, 14, 0, code_size, data_size, 0, entry, vas[0])
            opt += struct.pack("<QII", 0x140000000, self.SECT_ALIGN, self.FILE_ALIGN)
            opt += struct.pack("<HHHHHHI", 6, 0, 0, 0, 6, 0, 0)
            opt += struct.pack("<IIIHH", size_of_image, hdr_size, 0, 3, 0x8160)
            opt += struct.pack("<QQQQII", 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
        else:
            base_of_data = vas[1] if n > 1 else vas[0]
            opt = struct.pack("<HBBIIIIII", 0x10B, 14, 0, code_size, data_size, 0, entry, vas[0], base_of_data)
            opt += struct.pack("<III", 0x400000, self.SECT_ALIGN, self.FILE_ALIGN)
            opt += struct.pack("<HHHHHHI", 6, 0, 0, 0, 6, 0, 0)
            opt += struct.pack("<IIIHH", size_of_image, hdr_size, 0, 3, 0x8140)
            opt += struct.pack("<IIIIII", 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
        opt += bytes(16 * 8)
        assert len(opt) == opt_size

        names = [b".text", b".rdata", b".data", b".rsrc", b".reloc", b".pdata", b".tls", b".idata"]
        shdrs = bytearray()
        for i, s in enumerate(self.sections):
            name = names[i % len(names)]
            ch = 0x60000020 if i == 0 else 0xC0000040
            shdrs += struct.pack("<8sIIIIIIHHI", name, len(s), vas[i], align(len(s), self.FILE_ALIGN), raw[i], 0, 0, 0, 0, ch)

        out = bytearray(dos + coff + opt + shdrs)
        out += bytes(hdr_size - len(out))
        for s in self.sections:
            out += s
            out += bytes(align(len(s), self.FILE_ALIGN) - len(s))
        out += self.overlay
        return bytes(out)


def pe_with_payload(rng, payload, offset_rule, pe64=None):
    """A PE file holding payload where offset_rule (parsed Offset) wants it; returns (bytes, start)."""
    if pe64 is None:
        pe64 = rng.random() < 0.5
    kind = offset_rule.kind
    nsec = rng.randint(1, 4)
    if kind in ("S", "SE"):
        nsec = max(nsec, offset_rule.section + 1)
    pe = PeImage(rng, pe64, nsec)
    pe.ep_section = 0
    pe.ep_offset = rng.randint(0, max(0, len(pe.sections[0]) - 1))

    if kind == "any":
        where = rng.randrange(3)
        if where == 0:  # inside a section
            si = rng.randrange(nsec)
            at = rng.randint(0, len(pe.sections[si]))
            pe.sections[si][at:at] = payload
            return pe.build(), pe.section_raw_offsets()[si] + at
        if where == 1:  # overlay
            pe.overlay = binary_padding(rng, rng.randint(0, 64)) + payload + binary_padding(rng, rng.randint(0, 64))
            start = pe.image_size() + pe.overlay.index(payload)
            return pe.build(), start
        data = pe.build()  # after the image, as plain trailing bytes
        return data + payload, len(data)

    if kind == "EP":
        shift = rng.randint(0, offset_rule.shift)
        rel = offset_rule.value + shift  # payload starts at EP + rel
        sec = pe.sections[0]
        if rel >= 0:
            ep = rng.randint(0, 32)
            need = ep + rel
            sec[:] = binary_padding(rng, need) + payload + binary_padding(rng, rng.randint(0, 32))
            pe.ep_offset = ep
            return pe.build(), pe.section_raw_offsets()[0] + need
        back = -rel
        lead = rng.randint(0, 32)
        sec[:] = binary_padding(rng, lead) + payload + binary_padding(rng, max(0, back - len(payload)) + rng.randint(1, 32))
        pe.ep_offset = lead + back
        return pe.build(), pe.section_raw_offsets()[0] + lead

    if kind == "S":  # Sx+n
        shift = rng.randint(0, offset_rule.shift)
        si = offset_rule.section if offset_rule.section >= 0 else nsec - 1
        sec = pe.sections[si]
        at = offset_rule.value + shift
        sec[:] = binary_padding(rng, at) + payload + binary_padding(rng, rng.randint(0, 32))
        return pe.build(), pe.section_raw_offsets()[si] + at

    if kind == "SE":
        si = offset_rule.section
        sec = pe.sections[si]
        at = rng.randint(0, len(sec))
        sec[at:at] = payload
        return pe.build(), pe.section_raw_offsets()[si] + at

    raise ValueError(f"PE builder cannot place offset kind {kind}")


def elf_header(rng, elf64, file_size, entry_off):
    """ELF executable header + one PT_LOAD segment mapping the whole file at the usual base."""
    if elf64:
        base = 0x400000
        ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
        ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, base + entry_off, 64, 0, 0, 64, 56, 1, 64, 0, 0)
        phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, file_size, file_size, 0x1000)
    else:
        base = 0x8048000
        ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
        ehdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, base + entry_off, 52, 0, 0, 52, 32, 1, 40, 0, 0)
        phdr = struct.pack("<IIIIIIII", 1, 0, base, base, file_size, file_size, 5, 0x1000)
    return ehdr + phdr


def elf_header_size(elf64):
    return 64 + 56 if elf64 else 52 + 32


MACHO_HEADER = struct.pack("<IiiIIIII", 0xFEEDFACF, 0x01000007, 3, 2, 0, 0, 0, 0)
JAVA_HEADER = bytes.fromhex("cafebabe00000034")
PDF_HEADER = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 0 >>\nstream\n"
PDF_TRAILER = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
HTML_HEADER = b"<html>\n<head><title>page</title></head>\n<body>\n"
HTML_TRAILER = b"\n</body>\n</html>\n"


def ole2_header(rng):
    """An OLE2 compound-file header (512 bytes) with no valid directory: typed as OLE2 by magic."""
    hdr = bytearray(512)
    hdr[0:8] = OLE2_MAGIC
    struct.pack_into("<16sHHHHHH", hdr, 8, bytes(16), 0x3E, 3, 0xFFFE, 9, 6, 0)
    for i in range(0x4C, 512, 4):
        struct.pack_into("<I", hdr, i, 0xFFFFFFFF)
    return bytes(hdr)


PE_CORRUPTIONS = ("e_lfanew past the end", "no sections", "section data past the end",
                  "optional header size 0xffff", "entry point outside every section", "PE signature broken")


def corrupt_pe(rng, data, how):
    """A copy of a PeImage.build() result with one header field made invalid (how names which);
    the section bodies and overlay keep their offsets, so a payload placed there stays put."""
    out = bytearray(data)
    pe_off = struct.unpack_from("<I", out, 0x3C)[0]
    opt_size = struct.unpack_from("<H", out, pe_off + 20)[0]
    sect = pe_off + 24 + opt_size
    if how == "e_lfanew past the end":
        struct.pack_into("<I", out, 0x3C, len(out) + rng.randint(1, 4096))
    elif how == "no sections":
        struct.pack_into("<H", out, pe_off + 6, 0)
    elif how == "section data past the end":
        struct.pack_into("<I", out, sect + 20, len(out) + rng.randint(0x200, 0x10000))
    elif how == "optional header size 0xffff":
        struct.pack_into("<H", out, pe_off + 20, 0xFFFF)
    elif how == "entry point outside every section":
        struct.pack_into("<I", out, pe_off + 24 + 16, 0x7FFF0000)
    elif how == "PE signature broken":
        out[pe_off : pe_off + 4] = b"PX\0\0"
    else:
        raise ValueError(how)
    return bytes(out)
