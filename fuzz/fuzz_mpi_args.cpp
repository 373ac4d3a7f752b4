// libFuzzer target: spank_pi_mpi's decisions (common/mpi/wiring.hpp). The
// input is split at NUL and newline into pieces; the first byte chooses
// the Open MPI version (4 or 5) and the address the route to slurmctld
// starts from. The pieces are:
//   - plugstack.conf arguments, all of them, for parse_mpi_args();
//   - each one an --mpi-iface (parse_iface_spec(), then resolve_iface()
//     on a fixed list of interfaces), an --mpi-wiring (parse_wiring()) and
//     a SLURM_PI_MPI_WIRED record (parse_wired());
//   - the step's environment, the pieces of the form NAME=VALUE, for
//     plan_wiring() (with each resolved interface, none, and the first
//     piece as both value and name);
//   - the whole input a batch script, for script_runs_mpirun().
// Properties: nothing throws; every message starts with "slurm-pi mpi: "
// and has no raw control character; accepted arguments and interface
// specs come back the same when formatted and parsed again; a resolved
// interface is one of the node's, up; plan_wiring() ends with
// SLURM_PI_MPI_WIRED, whose record reads back as what it set, sets no
// value with a space or newline (from an interface value that has none),
// never changes a variable the user set, and never sets an *_if_include
// next to the user's *_if_exclude, sets PRTE_MCA_* only for Open MPI 5 and
// OMPI_MCA_oob_* only for 4, gives PRRTE the interface's name, next to
// none of the user's PRRTE synonyms; a script whose every line is a
// comment runs no mpirun.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/mpi/wiring.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;

namespace {

constexpr std::string_view kPmixLib = "/usr/lib/aarch64-linux-gnu/pmix2/lib/libpmix.so";

std::vector<std::string> split(std::string_view text)
{
	std::vector<std::string> out;
	std::size_t start = 0;
	while (start <= text.size()) {
		std::size_t end = text.find_first_of(std::string_view("\0\n", 2), start);
		if (end == std::string_view::npos)
			end = text.size();
		out.emplace_back(text.substr(start, end - start));
		start = end + 1;
		if (out.size() >= 64)
			break;
	}
	return out;
}

bool has_control(std::string_view s)
{
	for (unsigned char c : s)
		if (c < 0x20 || c == 0x7f)
			return true;
	return false;
}

bool has_blank(std::string_view s)
{
	return s.find_first_of(" \t\n\r") != std::string_view::npos;
}

void check_message(std::string_view m, std::string_view prefix)
{
	std::string copy(m);
	FUZZ_CHECK(m.starts_with(prefix), "message without %s: %s", std::string(prefix).c_str(),
		   copy.c_str());
	FUZZ_CHECK(!has_control(m), "raw control character in: %s", copy.c_str());
}

std::vector<NetIface> node_ifaces()
{
	auto p = [](const char *s) { return *parse_ipv4_prefix(s); };
	return {
		{"lo", true, true, {p("127.0.0.1/8")}},
		{"eth0", true, false, {p("10.11.0.2/24")}},
		{"docker0", true, false, {p("172.17.0.1/16")}},
		{"wlan0", false, false, {p("192.168.50.2/24")}},
		{"wg0", true, false, {p("10.99.0.7/32")}},
		{"eth1", true, false, {}},
	};
}

MpiArgs check_args(const std::vector<std::string> &pieces, int openmpi)
{
	MpiArgsResult r = parse_mpi_args(pieces, kPmixLib, openmpi);
	for (const std::string &e : r.errors)
		check_message(e, "slurm-pi mpi: plugstack.conf: ");
	FUZZ_CHECK(r.args.openmpi >= kOpenMpiMin && r.args.openmpi <= kOpenMpiMax, "openmpi %d",
		   r.args.openmpi);
	FUZZ_CHECK(!has_blank(r.args.pml) && !has_blank(r.args.btl), "blank in pml or btl");
	FUZZ_CHECK(r.args.pmix_lib.starts_with('/') && !has_control(r.args.pmix_lib),
		   "pmix-lib %s", r.args.pmix_lib.c_str());
	if (!r.ok())
		return r.args;
	std::vector<std::string> text = format_mpi_args(r.args);
	MpiArgsResult again = parse_mpi_args(text, "/elsewhere", 9 - openmpi);
	FUZZ_CHECK(again.ok(), "formatted arguments refused: %s",
		   again.errors.empty() ? "" : again.errors[0].c_str());
	const MpiArgs &a = r.args, &b = again.args;
	FUZZ_CHECK(a.iface == b.iface && a.pml == b.pml && a.btl == b.btl &&
			   a.pmix_default == b.pmix_default && a.pmix_lib == b.pmix_lib &&
			   a.openmpi == b.openmpi,
		   "formatted arguments parse differently");
	return r.args;
}

// The resolved choice, or nullopt.
std::optional<IfaceChoice> check_iface(const std::string &piece,
				       std::optional<std::uint32_t> route_src)
{
	std::string why;
	auto spec = parse_iface_spec(piece, &why);
	if (!spec) {
		FUZZ_CHECK(!why.empty(), "refused without a reason");
		check_message(mpi_message("--mpi-iface", why), "slurm-pi mpi: --mpi-iface: ");
		return std::nullopt;
	}
	std::string text = format_iface_spec(*spec);
	auto again = parse_iface_spec(text, nullptr);
	FUZZ_CHECK(again && *again == *spec, "spec %s does not read back", text.c_str());
	if (spec->kind == IfaceSpec::Kind::Name)
		FUZZ_CHECK(!spec->name.empty() && spec->name.size() <= 15 && !has_blank(spec->name) &&
				   spec->name != "." && spec->name != ".." &&
				   spec->name.find_first_of(",;/:'\"$") == std::string::npos,
			   "name %s", spec->name.c_str());
	if (spec->kind == IfaceSpec::Kind::Net)
		FUZZ_CHECK(network(spec->net) == spec->net, "host bits in %s", text.c_str());

	const auto ifaces = node_ifaces();
	IfaceChoice c = resolve_iface(*spec, ifaces, route_src, piece, "no route", "pi3",
				      "--mpi-iface");
	if (!c.ok()) {
		check_message(c.error, "slurm-pi mpi: pi3: ");
		FUZZ_CHECK(c.value.empty(), "value with an error");
		return std::nullopt;
	}
	FUZZ_CHECK(!c.value.empty() && !has_blank(c.value) && !has_control(c.value),
		   "value '%s'", c.value.c_str());
	bool found = false;
	for (const NetIface &i : ifaces)
		if (i.name == c.iface) {
			found = true;
			FUZZ_CHECK(i.up && !i.addrs.empty(), "chose %s, down or without IPv4",
				   c.iface.c_str());
			if (spec->kind != IfaceSpec::Kind::Name)
				FUZZ_CHECK(!i.loopback, "chose loopback");
		}
	FUZZ_CHECK(found, "chose %s, not an interface of the node", c.iface.c_str());
	return c;
}

// A choice of value and name, as resolve_iface() never makes one: for
// the arbitrary pieces.
IfaceChoice choice_of(std::string_view value)
{
	IfaceChoice c;
	c.value = std::string(value);
	c.iface = std::string(value);
	return c;
}

void check_plan(const MpiArgs &a, const IfaceChoice &iface,
		const std::map<std::string, std::string, std::less<>> &env)
{
	auto current = [&](std::string_view name) -> std::optional<std::string> {
		auto it = env.find(name);
		if (it == env.end())
			return std::nullopt;
		return it->second;
	};
	WiringPlan p = plan_wiring(a, iface, current);
	FUZZ_CHECK(!p.set.empty() && p.set.back().name == kWiredVar, "last is not %s",
		   std::string(kWiredVar).c_str());
	const bool clean_iface = !has_blank(iface.value) && !has_blank(iface.iface);
	const std::vector<EnvVar> before =
		parse_wired(current(kWiredVar).value_or(""));
	auto recorded = [&](std::string_view name, const std::string &value) {
		for (const EnvVar &v : before)
			if (v.name == name && v.value == value)
				return true;
		return false;
	};
	std::vector<EnvVar> set(p.set.begin(), p.set.end() - 1);
	for (const EnvVar &v : set) {
		FUZZ_CHECK(!v.value.empty(), "%s set empty", v.name.c_str());
		if (clean_iface)
			FUZZ_CHECK(!has_blank(v.value), "%s='%s' has a blank", v.name.c_str(),
				   v.value.c_str());
		if (auto cur = current(v.name))
			FUZZ_CHECK(recorded(v.name, *cur), "changed the user's %s=%s",
				   v.name.c_str(), cur->c_str());
		if (v.name.ends_with("_if_include")) {
			std::string ex = v.name.substr(0, v.name.size() - 7) + "exclude";
			if (auto cur = current(ex))
				FUZZ_CHECK(recorded(ex, *cur), "%s next to the user's %s",
					   v.name.c_str(), ex.c_str());
		}
		// Open MPI 5: PRRTE's include gets the interface's name, and
		// never goes next to a synonym the user set.
		FUZZ_CHECK(!v.name.starts_with("PRTE_MCA_") ||
				   (a.openmpi >= 5 && v.name == "PRTE_MCA_prte_if_include"),
			   "%s for Open MPI %d", v.name.c_str(), a.openmpi);
		FUZZ_CHECK(v.name.find("oob") == std::string::npos || a.openmpi == 4,
			   "%s for Open MPI %d", v.name.c_str(), a.openmpi);
		if (v.name == "PRTE_MCA_prte_if_include") {
			FUZZ_CHECK(v.value == iface.iface, "PRRTE got %s, not the name %s",
				   v.value.c_str(), iface.iface.c_str());
			for (std::string_view syn :
			     {"PRTE_MCA_oob_tcp_if_include", "PRTE_MCA_oob_tcp_include",
			      "PRTE_MCA_oob_tcp_if_exclude", "PRTE_MCA_oob_tcp_exclude"})
				if (auto cur = current(syn))
					FUZZ_CHECK(recorded(syn, *cur), "%s next to the user's %s",
						   v.name.c_str(), std::string(syn).c_str());
		}
	}
	FUZZ_CHECK(set.size() <= 4, "%zu variables", set.size());
	if (clean_iface)
		FUZZ_CHECK(parse_wired(p.set.back().value) == set, "record %s does not read back",
			   p.set.back().value.c_str());
}

void check_script(std::string_view text)
{
	bool runs = script_runs_mpirun(text);
	if (runs) {
		bool word = false;
		for (std::string_view w : {"mpirun", "mpiexec", "orterun", "prterun"})
			word = word || text.find(w) != std::string_view::npos;
		FUZZ_CHECK(word, "no launcher in the script");
	}
	// Every line a comment: nothing runs.
	std::string commented = "#";
	for (char c : text) {
		commented += c;
		if (c == '\n')
			commented += '#';
	}
	FUZZ_CHECK(!script_runs_mpirun(commented), "mpirun found in comments");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	if (size == 0)
		return 0;
	const int openmpi = (data[0] & 1) ? 5 : 4;
	std::optional<std::uint32_t> route_src;
	switch ((data[0] >> 1) % 4) {
	case 0:
		route_src = 0x0a0b0002u; // eth0
		break;
	case 1:
		route_src = 0x7f000001u; // lo
		break;
	case 2:
		route_src = 0xc0a83202u; // wlan0, down
		break;
	default:
		break; // unknown
	}
	std::string_view text = fuzz_text(data + 1, size - 1);
	try {
		std::vector<std::string> pieces = split(text);
		MpiArgs args = check_args(pieces, openmpi);

		std::map<std::string, std::string, std::less<>> env;
		std::vector<IfaceChoice> ifaces;
		for (const std::string &piece : pieces) {
			if (auto v = check_iface(piece, route_src))
				ifaces.push_back(*v);
			std::string why;
			auto w = parse_wiring(piece, &why);
			if (!w)
				check_message(mpi_message("--mpi-wiring", why),
					      "slurm-pi mpi: --mpi-wiring: ");
			auto rec = parse_wired(piece);
			FUZZ_CHECK(rec.size() <= 16, "%zu recorded", rec.size());
			for (const EnvVar &v : rec)
				FUZZ_CHECK(!v.name.empty() && v.name.find(' ') == std::string::npos &&
						   v.name.find('=') == std::string::npos &&
						   v.value.find(' ') == std::string::npos,
					   "recorded %s", v.name.c_str());
			auto eq = piece.find('=');
			if (eq != std::string::npos && eq > 0)
				env[piece.substr(0, eq)] = piece.substr(eq + 1);
		}
		for (const IfaceChoice &v : ifaces)
			check_plan(args, v, env);
		check_plan(args, choice_of(""), env);
		if (!pieces.empty())
			check_plan(args, choice_of(pieces[0]), env);
		check_script(text);
	} catch (const std::exception &e) {
		FUZZ_CHECK(false, "exception: %s", e.what());
	}
	return 0;
}
