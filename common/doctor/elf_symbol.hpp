// The value of a plugin's `plugin_version` (the SLURM_VERSION_NUMBER it was
// built with; Slurm refuses a plugin whose value differs from its own,
// src/common/plugin.c) read from the file, without loading it: loading a
// select or task plugin outside a daemon fails on the daemon's symbols.
// Pure: the caller reads the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slurmpi::doctor {

// The 4-byte value of the defined symbol `name` in `image` (an ELF file:
// 32- or 64-bit, either byte order), found through its dynamic symbol
// table (.dynsym with .dynstr) and read from the section that holds it.
// nullopt and `why` for anything else: not ELF, truncated, no such
// symbol, a symbol in no section with file contents (.bss), offsets out of
// bounds.
std::optional<std::uint32_t> elf_symbol_u32(std::string_view image, std::string_view name,
					    std::string *why);

} // namespace slurmpi::doctor
