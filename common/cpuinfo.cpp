#include "common/cpuinfo.hpp"

#include "common/fs.hpp"

namespace slurmpi {

namespace {

bool has_word(std::string_view list, std::string_view word)
{
	while (!list.empty()) {
		std::size_t sp = list.find(' ');
		if (list.substr(0, sp) == word)
			return true;
		if (sp == std::string_view::npos)
			break;
		list.remove_prefix(sp + 1);
	}
	return false;
}

// 32-bit ARM kernels name the ISA in "model name" ("... (v7l)"); arm64
// kernels print "CPU architecture: 8"; x86 has a flags line, where "lm"
// (long mode) is taken to mean a 64-bit kernel.
std::string arch_from(const std::optional<std::string_view> &model_name,
		      const std::optional<std::string_view> &cpu_arch,
		      const std::optional<std::string_view> &flags)
{
	if (model_name) {
		if (model_name->find("(v6l)") != std::string_view::npos)
			return "armv6l";
		if (model_name->find("(v7l)") != std::string_view::npos)
			return "armv7l";
	}
	if (cpu_arch && *cpu_arch == "8")
		return "aarch64";
	if (flags)
		return has_word(*flags, "lm") ? "x86_64" : "i686";
	return "";
}

// Splits one "key : value" line; nullopt if it has no ':'.
std::optional<std::pair<std::string_view, std::string_view>>
split_line(std::string_view line)
{
	std::size_t colon = line.find(':');
	if (colon == std::string_view::npos)
		return std::nullopt;
	return std::pair{trim_value(line.substr(0, colon)),
			 trim_value(line.substr(colon + 1))};
}

// Calls f(key, value) for each "key : value" line, in order.
template <class F> void for_each_field(std::string_view text, F f)
{
	while (!text.empty()) {
		std::size_t nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
		if (auto kv = split_line(line); kv && !f(kv->first, kv->second))
			return;
	}
}

} // namespace

std::optional<std::string_view> cpuinfo_field(std::string_view cpuinfo,
					      std::string_view key)
{
	std::optional<std::string_view> found;
	for_each_field(cpuinfo, [&](std::string_view k, std::string_view v) {
		if (k != key)
			return true;
		found = v;
		return false;
	});
	return found;
}

CpuInfo parse_cpuinfo(std::string_view text)
{
	CpuInfo c;
	c.read = true;
	std::optional<std::string_view> model_name, cpu_arch, flags;
	auto first = [](auto &slot, std::string_view v) {
		if (!slot)
			slot = v;
	};
	for_each_field(text, [&](std::string_view k, std::string_view v) {
		if (k == "Revision")
			first(c.revision, v);
		else if (k == "Serial")
			first(c.serial, v);
		else if (k == "Model")
			first(c.model, v);
		else if (k == "Hardware")
			first(c.hardware, v);
		else if (k == "model name")
			first(model_name, v);
		else if (k == "CPU architecture")
			first(cpu_arch, v);
		else if (k == "flags")
			first(flags, v);
		return true;
	});
	c.arch = arch_from(model_name, cpu_arch, flags);
	return c;
}

CpuInfo read_cpuinfo(std::string_view root)
{
	FileRead f = read_under(root, kCpuinfoPath, kCpuinfoMax);
	if (!f.ok) {
		CpuInfo c;
		c.error = f.error;
		return c;
	}
	CpuInfo c = parse_cpuinfo(f.data);
	c.truncated = f.data.size() >= kCpuinfoMax;
	return c;
}

} // namespace slurmpi
