// Reading one symbol's value from an ELF file: see elf_symbol.hpp.
#include "common/doctor/elf_symbol.hpp"

#include <elf.h>

#include <cstring>

namespace slurmpi::doctor {

namespace {

// Bounds-checked reads of the image in its own byte order.
struct Image {
	std::string_view data;
	bool big = false;

	bool has(std::uint64_t off, std::uint64_t len) const
	{
		return off <= data.size() && len <= data.size() - off;
	}
	std::uint64_t get(std::uint64_t off, unsigned len) const
	{
		std::uint64_t v = 0;
		for (unsigned i = 0; i < len; i++) {
			auto b = static_cast<unsigned char>(data[off + i]);
			if (big)
				v = (v << 8) | b;
			else
				v |= static_cast<std::uint64_t>(b) << (8 * i);
		}
		return v;
	}
};

struct Section {
	std::uint32_t type = 0;
	std::uint64_t addr = 0, offset = 0, size = 0;
	std::uint32_t link = 0;
	std::uint64_t entsize = 0;
};

} // namespace

std::optional<std::uint32_t> elf_symbol_u32(std::string_view image, std::string_view name,
					    std::string *why)
{
	auto fail = [&](const char *w) -> std::optional<std::uint32_t> {
		if (why)
			*why = w;
		return std::nullopt;
	};
	if (image.size() < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0)
		return fail("not an ELF file");
	const bool is64 = image[EI_CLASS] == ELFCLASS64;
	if (!is64 && image[EI_CLASS] != ELFCLASS32)
		return fail("unknown ELF class");
	if (image[EI_DATA] != ELFDATA2LSB && image[EI_DATA] != ELFDATA2MSB)
		return fail("unknown ELF byte order");
	Image im{image, image[EI_DATA] == ELFDATA2MSB};
	const unsigned w = is64 ? 8 : 4;
	// e_shoff, e_shentsize, e_shnum.
	const std::uint64_t ehsize = is64 ? 64 : 52;
	if (!im.has(0, ehsize))
		return fail("truncated ELF header");
	std::uint64_t shoff = im.get(is64 ? 0x28 : 0x20, w);
	unsigned shentsize = static_cast<unsigned>(im.get(is64 ? 0x3a : 0x2e, 2));
	unsigned shnum = static_cast<unsigned>(im.get(is64 ? 0x3c : 0x30, 2));
	if (shnum == 0 || shnum > 4096 || shentsize < (is64 ? 64u : 40u) ||
	    !im.has(shoff, static_cast<std::uint64_t>(shentsize) * shnum))
		return fail("no usable section headers");
	auto section = [&](unsigned i) {
		std::uint64_t b = shoff + static_cast<std::uint64_t>(i) * shentsize;
		Section s;
		s.type = static_cast<std::uint32_t>(im.get(b + 4, 4));
		s.addr = im.get(b + (is64 ? 0x10 : 0x0c), w);
		s.offset = im.get(b + (is64 ? 0x18 : 0x10), w);
		s.size = im.get(b + (is64 ? 0x20 : 0x14), w);
		s.link = static_cast<std::uint32_t>(im.get(b + (is64 ? 0x28 : 0x18), 4));
		s.entsize = im.get(b + (is64 ? 0x38 : 0x24), w);
		return s;
	};
	for (unsigned i = 0; i < shnum; i++) {
		Section sym = section(i);
		if (sym.type != SHT_DYNSYM)
			continue;
		const std::uint64_t symsize = is64 ? 24 : 16;
		if (sym.entsize < symsize || sym.link >= shnum || !im.has(sym.offset, sym.size))
			return fail("malformed .dynsym");
		Section str = section(sym.link);
		if (!im.has(str.offset, str.size))
			return fail("malformed .dynstr");
		const std::uint64_t count = sym.size / sym.entsize;
		for (std::uint64_t k = 1; k < count && k < 1000000; k++) {
			std::uint64_t e = sym.offset + k * sym.entsize;
			std::uint64_t name_off = im.get(e, 4);
			if (name_off >= str.size)
				continue;
			std::string_view rest = image.substr(str.offset + name_off, str.size - name_off);
			auto nul = rest.find('\0');
			if (nul == std::string_view::npos || rest.substr(0, nul) != name)
				continue;
			std::uint64_t value = im.get(e + (is64 ? 8 : 4), w);
			unsigned shndx = static_cast<unsigned>(im.get(e + (is64 ? 6 : 14), 2));
			if (shndx == SHN_UNDEF || shndx >= shnum)
				return fail("the symbol is not defined in the file");
			Section holder = section(shndx);
			if (holder.type == SHT_NOBITS)
				return fail("the symbol has no value in the file");
			if (value < holder.addr || value - holder.addr > holder.size ||
			    holder.size - (value - holder.addr) < 4 ||
			    !im.has(holder.offset + (value - holder.addr), 4))
				return fail("the symbol's value lies outside its section");
			return static_cast<std::uint32_t>(im.get(holder.offset + (value - holder.addr), 4));
		}
		return fail("no such symbol");
	}
	return fail("no dynamic symbol table");
}

} // namespace slurmpi::doctor
