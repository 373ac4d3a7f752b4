// The slurm-pi command: its parts in-process (argument parsing, help,
// formatting, run_tool on fixture trees), then the built binary.
#include <criterion/criterion.h>

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "common/throttle.hpp"
#include "slurmpi_config.h"
#include "tests/unit/helpers.hpp"
#include "tools/cli.hpp"
#include "tools/help.hpp"
#include "tools/run.hpp"
#include "tools/status.hpp"

using namespace slurmpi;
using namespace slurmpi::tool;

#ifndef FIXTURES_DIR
#error "build with -DFIXTURES_DIR='\"<srcdir>/tests/fixtures\"'"
#endif
#ifndef TOOL_PATH
#error "build with -DTOOL_PATH='\"<builddir>/tools/slurm-pi\"'"
#endif

static const std::string kFixtures = FIXTURES_DIR;

static const char *const kPi4bLine =
	"NodeName=pi4b CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
	"ThreadsPerCore=1 RealMemory=3537 Features=pi4b,arm64,mem4g";

// A scratch directory, removed with everything in it when it goes out of
// scope (a failed assertion may leave it behind; it is under /tmp).
class TmpDir {
public:
	const std::string &path() const { return dir_.str(); }

private:
	ScratchDir dir_{"slurmpi-test-tool"};
};

static std::string write_file(const std::string &dir, const char *name,
			      const std::string &text)
{
	std::string path = dir + "/" + name;
	std::ofstream(path) << text;
	return path;
}

static std::string last_line(const std::string &s)
{
	std::string t = s;
	if (!t.empty() && t.back() == '\n')
		t.pop_back();
	auto nl = t.rfind('\n');
	return nl == std::string::npos ? t : t.substr(nl + 1);
}

// ---- parse_args

static ParseResult parse(std::vector<std::string> args)
{
	return parse_args(args);
}

static void expect_usage_error(std::vector<std::string> args, const char *want)
{
	ParseResult r = parse(args);
	cr_assert(!r.ok(), "accepted: %s", want);
	cr_assert_str_eq(r.error.c_str(), want);
}

Test(cli, commands_and_options_in_any_order)
{
	ParseResult a = parse({"--root", "/srv/pi3", "status", "--json"});
	cr_assert(a.ok(), "%s", a.error.c_str());
	cr_assert(a.options.command == Command::status);
	cr_assert_str_eq(a.options.root.c_str(), "/srv/pi3");
	cr_assert(a.options.json);
	cr_assert(!a.options.config.has_value());

	ParseResult b = parse({"status", "--root=/srv/pi3", "--config=/x/p.conf"});
	cr_assert(b.ok(), "%s", b.error.c_str());
	cr_assert_str_eq(b.options.root.c_str(), "/srv/pi3");
	cr_assert_str_eq(b.options.config->c_str(), "/x/p.conf");
	cr_assert(!b.options.json);

	ParseResult c = parse({"nodeconf", "--topology", "package:1 core:4 pu:1"});
	cr_assert(c.ok(), "%s", c.error.c_str());
	cr_assert(c.options.command == Command::nodeconf);
	cr_assert_str_eq(c.options.topology->c_str(), "package:1 core:4 pu:1");
	cr_assert_str_eq(c.options.root.c_str(), "/");
}

Test(cli, help_in_every_spelling)
{
	for (auto args : std::vector<std::vector<std::string>>{
		     {"--help"}, {"-h"}, {"help"}}) {
		ParseResult r = parse(args);
		cr_assert(r.ok(), "%s", r.error.c_str());
		cr_assert(r.options.help);
		cr_assert(r.options.help_topic == Command::none);
	}
	for (auto args : std::vector<std::vector<std::string>>{
		     {"help", "status"}, {"status", "--help"}, {"-h", "status"}}) {
		ParseResult r = parse(args);
		cr_assert(r.ok(), "%s", r.error.c_str());
		cr_assert(r.options.help);
		cr_assert(r.options.help_topic == Command::status);
	}
	ParseResult v = parse({"--version"});
	cr_assert(v.ok());
	cr_assert(v.options.version);
}

Test(cli, double_dash_ends_options)
{
	ParseResult r = parse({"--", "status"});
	cr_assert(r.ok(), "%s", r.error.c_str());
	cr_assert(r.options.command == Command::status);
	expect_usage_error({"status", "--", "--json"},
			   "status: unexpected argument '--json'");
}

Test(cli, errors_name_the_offending_word)
{
	expect_usage_error({}, "no command given (commands: doctor, nodeconf, nodes, status, help)");
	expect_usage_error({"--root", "/x"},
			   "no command given (commands: doctor, nodeconf, nodes, status, help)");
	expect_usage_error({"frobnicate"},
			   "unknown command 'frobnicate' (commands: doctor, nodeconf, nodes, status, help)");
	expect_usage_error({"status", "--jsn"}, "status: unknown option '--jsn'");
	expect_usage_error({"-x", "status"}, "unknown option '-x'");
	expect_usage_error({"status", "extra"}, "status: unexpected argument 'extra'");
	expect_usage_error({"help", "bogus"},
			   "help: unknown command 'bogus' (commands: doctor, nodeconf, nodes, status)");
	expect_usage_error({"help", "status", "nodeconf"},
			   "help: unexpected argument 'nodeconf'");
	expect_usage_error({"status", "--root"}, "--root: missing directory");
	expect_usage_error({"status", "--config"}, "--config: missing file");
	expect_usage_error({"status", "--root="}, "--root: empty directory");
	expect_usage_error({"status", "--root", ""}, "--root: empty directory");
	expect_usage_error({"status", "--json=yes"}, "--json: takes no value");
	expect_usage_error({"nodeconf", "--json"},
			   "nodeconf: unknown option '--json' (only status, nodes and doctor take it)");
	expect_usage_error({"status", "--topology", "pu:4"},
			   "status: unknown option '--topology' (only nodeconf takes it)");
}

Test(cli, nodes_options)
{
	ParseResult r = parse({"nodes"});
	cr_assert(r.ok(), "%s", r.error.c_str());
	cr_assert(r.options.command == Command::nodes);
	cr_assert(!r.options.watch);
	cr_assert(!r.options.no_color);

	r = parse({"nodes", "--watch"});
	cr_assert(r.ok(), "%s", r.error.c_str());
	cr_assert_eq(*r.options.watch, kWatchDefaultSeconds);
	r = parse({"nodes", "--watch=5", "--no-color"});
	cr_assert(r.ok(), "%s", r.error.c_str());
	cr_assert_eq(*r.options.watch, 5);
	cr_assert(r.options.no_color);
	r = parse({"--watch=86400", "nodes"});
	cr_assert(r.ok(), "%s", r.error.c_str());
	r = parse({"nodes", "--json"});
	cr_assert(r.ok() && r.options.json, "%s", r.error.c_str());
	r = parse({"nodes", "--help"});
	cr_assert(r.ok() && r.options.help && r.options.help_topic == Command::nodes);
}

Test(cli, nodes_errors_name_the_command_option_and_value)
{
	expect_usage_error({"nodes", "--watch=abc"},
			   "nodes: --watch: 'abc' is not a number of seconds");
	expect_usage_error({"nodes", "--watch="}, "nodes: --watch: '' is not a number of seconds");
	expect_usage_error({"nodes", "--watch=-1"},
			   "nodes: --watch: '-1' is not a number of seconds");
	expect_usage_error({"nodes", "--watch=1.5"},
			   "nodes: --watch: '1.5' is not a number of seconds");
	expect_usage_error({"nodes", "--watch=0"},
			   "nodes: --watch: '0' is out of range (1 to 86400 seconds)");
	expect_usage_error({"nodes", "--watch=86401"},
			   "nodes: --watch: '86401' is out of range (1 to 86400 seconds)");
	expect_usage_error({"nodes", "--watch", "5"}, "nodes: unexpected argument '5'");
	expect_usage_error({"nodes", "--frob"}, "nodes: unknown option '--frob'");
	expect_usage_error({"nodes", "--no-color=1"}, "--no-color: takes no value");
	expect_usage_error({"nodes", "--watch", "--json"},
			   "nodes: --watch and --json cannot be used together");
	expect_usage_error({"status", "--watch"},
			   "status: unknown option '--watch' (only nodes takes it)");
	expect_usage_error({"nodeconf", "--no-color"},
			   "nodeconf: unknown option '--no-color' (only nodes and doctor take it)");
}

Test(cli, usage_message_names_the_command)
{
	assert_sv_eq(usage_message("nodes: --watch: 'abc' is not a number of seconds"),
		     "slurm-pi nodes: --watch: 'abc' is not a number of seconds");
	assert_sv_eq(usage_message("unknown option '-x'"), "slurm-pi: unknown option '-x'");
	assert_sv_eq(usage_message("nodesx: y"), "slurm-pi: nodesx: y");
}

Test(cli, default_config_path_is_beside_slurm_conf)
{
	cr_assert(default_config_path(nullptr) == "/etc/slurm/slurm-pi.conf");
	cr_assert(default_config_path("") == "/etc/slurm/slurm-pi.conf");
	cr_assert(default_config_path("/opt/c1/etc/slurm.conf") == "/opt/c1/etc/slurm-pi.conf");
	cr_assert(default_config_path("/slurm.conf") == "/slurm-pi.conf");
	cr_assert(default_config_path("slurm.conf") == "slurm-pi.conf");
}

Test(cli, topology_argument_kinds)
{
	cr_assert(topology_arg_is_file("/tmp/pi3.xml"));
	cr_assert(topology_arg_is_file("./pi3"));
	cr_assert(topology_arg_is_file("pi3.xml"));
	cr_assert(!topology_arg_is_file("package:1 core:4 pu:1"));
}

Test(cli, command_names_round_trip)
{
	for (Command c : {Command::help, Command::nodeconf, Command::status})
		cr_assert(command_from_name(command_name(c)) == c);
	cr_assert(!command_from_name("Status").has_value());
}

// ---- help

Test(help, texts_cover_commands_options_and_exit_codes)
{
	std::string main(help_text(Command::none));
	for (const char *part : {"Usage: slurm-pi", "nodeconf", "status", "--root DIR",
				 "--config FILE", "--version", "$SLURM_CONF",
				 "/etc/slurm/slurm-pi.conf", "Exit status:", "  2  usage error"})
		cr_assert(contains(main, part), "main help lacks %s", part);
	std::string nodeconf(help_text(Command::nodeconf));
	cr_assert(nodeconf.starts_with("Usage: slurm-pi nodeconf"));
	cr_assert(contains(nodeconf, "--topology SRC"));
	cr_assert(contains(nodeconf, "MemoryReserveMB"));
	std::string status(help_text(Command::status));
	cr_assert(status.starts_with("Usage: slurm-pi status"));
	cr_assert(contains(status, "--json"));
	cr_assert(contains(main, "  nodes  "), "main help lists nodes");
	std::string nodes(help_text(Command::nodes));
	cr_assert(nodes.starts_with("Usage: slurm-pi nodes"));
	for (const char *part : {"--watch[=SECONDS]", "--no-color", "NO_COLOR", "--json",
				 "StaleAfter", "THROTTLE", "REASON", "Exit status:"})
		cr_assert(contains(nodes, part), "nodes help lacks %s", part);
	cr_assert(help_text(Command::help) == help_text(Command::none));
	// "slurm-pi 0.1.0 (built for Slurm 22.05.8)", or with the Debian
	// package's version when configure was given one.
	std::string version(version_text());
	cr_assert(version.starts_with(PACKAGE_STRING " ("), "%s", version.c_str());
	cr_assert(version.ends_with("built for Slurm " SLURMPI_SLURM_VERSION ")\n"), "%s", version.c_str());
	if (std::string_view(SLURMPI_PACKAGE_VERSION).empty())
		cr_assert(!contains(version, "Debian"), "%s", version.c_str());
	else
		cr_assert(contains(version, "(Debian package " SLURMPI_PACKAGE_VERSION ", "), "%s",
			  version.c_str());
}

// ---- status formatting on hand-made reports

static StatusReport pi4_report()
{
	StatusReport r;
	r.node = "pi1";
	r.identity = detect_pi(kFixtures + "/pi4b");
	r.reading.temp_c = 61.25;
	r.reading.throttled = 0x50005;
	r.reading.throttle_source = ThrottleSource::legacy_sysfs;
	r.reading.throttled_known = 0xffffffffu;
	r.reading.cur_mhz = 1500;
	r.reading.max_mhz = 1800;
	r.reading.policy_max_mhz = 1800;
	r.reading.sources = {"/sys/class/thermal/thermal_zone0/temp", "x"};
	r.reading.problems = {"/sys/a: broken"};
	r.problems = {"libsensors: none"};
	r.chips_note = "not listed";
	return r;
}

Test(status, throttled_now_makes_the_band_critical)
{
	StatusReport r = pi4_report();
	r.reading.throttled = kThrThrottledNow | kThrThrottledOccurred;
	compute_band(r, 1000);
	cr_assert(r.band == Band::critical);
	cr_assert(r.cause == BandCause::throttled);
	// 0x50005: throttled because of under-voltage, which is the cause.
	r.reading.throttled = 0x50005;
	compute_band(r, 1000);
	cr_assert(r.band == Band::critical);
	cr_assert(r.cause == BandCause::undervoltage);
}

Test(status, hwmon_tells_only_under_voltage)
{
	StatusReport r = pi4_report();
	r.reading.throttled = kThrUnderVoltageNow | kThrThrottledNow;
	r.reading.throttle_source = ThrottleSource::hwmon_rpi_volt;
	r.reading.throttled_known = kThrUnderVoltageNow;
	compute_band(r, 1000);
	cr_assert(r.band == Band::critical);
	cr_assert(r.cause == BandCause::undervoltage);
	std::string text = format_status_text(r);
	cr_assert(contains(text, "throttled:    under-voltage now (hwmon rpi_volt); "
				 "the other flags are unknown\n"), "%s", text.c_str());
}

Test(status, band_by_temperature_with_configured_limits)
{
	StatusReport r = pi4_report();
	r.reading.throttled = 0;
	r.limits.warm = 50;
	r.limits.hot = 55;
	compute_band(r, 1000);
	cr_assert(r.band == Band::hot);
	cr_assert(r.cause == BandCause::temperature);
	r.reading.temp_c.reset();
	compute_band(r, 1000);
	cr_assert(r.band == Band::unknown);
}

Test(status, text_form)
{
	StatusReport r = pi4_report();
	compute_band(r, 1000);
	std::string got = format_status_text(r);
	const char *want =
		"node:         pi1\n"
		"model:        Raspberry Pi 4 Model B Rev 1.4 (pi4b, 4 GB, Revision c03114, "
		"serial 10000000a744c93f)\n"
		"temperature:  61.2 C\n"
		"band:         critical (under-voltage; warm at 60 C, hot at 70 C, critical at "
		"80 C, hysteresis 3 C)\n"
		"throttled:    0x50005: under-voltage now, throttled now, under-voltage has "
		"occurred, throttling has occurred (legacy sysfs get_throttled)\n"
		"clock:        1500 MHz, max 1800 MHz\n"
		"fan:          none\n"
		"chips:        not listed\n"
		"sources:      /sys/class/thermal/thermal_zone0/temp\n"
		"              x\n"
		"problems:     /sys/a: broken\n"
		"              libsensors: none\n";
	cr_assert_str_eq(got.c_str(), want);
}

Test(status, json_form)
{
	StatusReport r = pi4_report();
	r.reading.fan_rpm = 3000;
	compute_band(r, 1000);
	std::string text = format_status_json(r);
	cr_assert(text.ends_with("}\n"));
	nlohmann::json j = nlohmann::json::parse(text);
	cr_assert(j["node"] == "pi1");
	cr_assert(j["model"]["is_pi"] == true);
	cr_assert(j["model"]["key"] == "4B");
	cr_assert(j["model"]["feature"] == "pi4b");
	cr_assert(j["model"]["revision"] == "c03114");
	cr_assert(j["model"]["mem_mb"] == 4096);
	cr_assert(j["temp_c"] == 61.25);
	cr_assert(j["band"] == "critical");
	cr_assert(j["band_cause"] == "under-voltage");
	cr_assert(j["limits"]["warm"] == 60.0);
	cr_assert(j["throttled"] == "0x50005");
	cr_assert(j["throttle_source"] == "legacy");
	cr_assert(j["throttle_flags"].size() == 4u);
	cr_assert(j["throttle_flags"][0] == "under-voltage now");
	cr_assert(j["mhz"] == 1500);
	cr_assert(j["max_mhz"] == 1800);
	cr_assert(j["board_max_mhz"] == 1800);
	cr_assert(j["fan_rpm"] == 3000);
	cr_assert(j["fan_pwm"].is_null());
	cr_assert(j["chips"].is_null());
	cr_assert(j["sources"].size() == 2u);
	cr_assert(j["problems"].size() == 2u);
}

Test(status, json_survives_invalid_utf8)
{
	StatusReport r = pi4_report();
	r.reading.problems = {"/sys/x: not a number: \"\xff\xfe\""};
	nlohmann::json j = nlohmann::json::parse(format_status_json(r));
	cr_assert(j["problems"].size() == 2u);
}

Test(status, nothing_read_is_a_runtime_problem)
{
	StatusReport r;
	cr_assert(!read_anything(r));
	r.reading.fan_rpm = 0;
	cr_assert(read_anything(r));
}

// ---- run_tool in-process

struct Run {
	int rc;
	std::string out;
	std::string err;
};

static Run run(std::vector<std::string> args, const char *slurm_conf = "/nonexistent/slurm.conf")
{
	std::ostringstream out, err;
	int rc = run_tool(args, out, err, slurm_conf);
	return {rc, out.str(), err.str()};
}

Test(run, nodeconf_on_a_fixture_tree)
{
	Run r = run({"nodeconf", "--root", kFixtures + "/pi4b"});
	cr_assert_eq(r.rc, kExitOk, "%s", r.err.c_str());
	std::string line = last_line(r.out);
	cr_assert_str_eq(line.c_str(), kPi4bLine);
	cr_assert(r.out.starts_with("# Raspberry Pi 4 Model B Rev 1.4 (pi4b, 4 GB, Revision c03114, serial 10000000a744c93f)\n"));
	cr_assert(r.err.empty());
}

Test(run, reserve_comes_from_slurm_pi_conf_beside_slurm_conf)
{
	TmpDir tmp;
	const std::string &dir = tmp.path();
	write_file(dir, "slurm-pi.conf", "MemoryReserveMB=512\n");
	std::string slurm_conf = dir + "/slurm.conf";
	Run r = run({"nodeconf", "--root", kFixtures + "/pi4b"}, slurm_conf.c_str());
	cr_assert_eq(r.rc, kExitOk, "%s", r.err.c_str());
	cr_assert(contains(r.out, " RealMemory=3281 "), "%s", r.out.c_str());
	Run flag = run({"nodeconf", "--root", kFixtures + "/pi4b", "--config",
			dir + "/slurm-pi.conf"});
	cr_assert(contains(flag.out, " RealMemory=3281 "), "%s", flag.out.c_str());
}

Test(run, non_pi_tree_needs_a_topology)
{
	Run bad = run({"nodeconf", "--root", kFixtures + "/x86"});
	cr_assert_eq(bad.rc, kExitRuntime);
	cr_assert(contains(bad.err, "give the layout with --topology"), "%s", bad.err.c_str());
	cr_assert(!contains(bad.out, "NodeName="));

	Run good = run({"nodeconf", "--root", kFixtures + "/x86", "--topology",
			"package:1 core:4 pu:1"});
	cr_assert_eq(good.rc, kExitOk, "%s", good.err.c_str());
	std::string line = last_line(good.out);
	cr_assert_str_eq(line.c_str(),
			 "NodeName=x86 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
			 "ThreadsPerCore=1 RealMemory=15665 Features=amd64,mem16g");
	cr_assert(contains(good.out, "# not a Raspberry Pi ("));

	Run typo = run({"nodeconf", "--root", kFixtures + "/x86", "--topology", "core:x"});
	cr_assert_eq(typo.rc, kExitRuntime);
	cr_assert(contains(typo.err, "--topology: synthetic topology \"core:x\""), "%s",
		  typo.err.c_str());
}

Test(run, tree_hostname_wins_over_directory_name)
{
	TmpDir tmp;
	const std::string &dir = tmp.path();
	std::string tree = dir + "/copy";
	cr_assert_eq(mkdir(tree.c_str(), 0755), 0);
	cr_assert_eq(mkdir((tree + "/etc").c_str(), 0755), 0);
	cr_assert_eq(mkdir((tree + "/proc").c_str(), 0755), 0);
	write_file(tree, "etc/hostname", "node7.example.org\n");
	write_file(tree, "proc/meminfo", slurp(kFixtures + "/pi5/proc/meminfo"));
	Run r = run({"nodeconf", "--root", tree, "--topology", "package:1 core:4 pu:1"});
	cr_assert(last_line(r.out).starts_with("NodeName=node7 CPUs=4 "), "%s",
		  r.out.c_str());
}

Test(run, status_text_and_json_on_fixture_trees)
{
	Run t = run({"status", "--root", kFixtures + "/pi4b"});
	cr_assert_eq(t.rc, kExitOk, "%s", t.err.c_str());
	cr_assert(contains(t.out, "temperature:  45.3 C\n"), "%s", t.out.c_str());
	cr_assert(contains(t.out, "band:         cool (temperature;"));
	cr_assert(contains(t.out, "throttled:    0x0: none (legacy sysfs get_throttled)\n"));
	cr_assert(contains(t.out, "clock:        600 MHz, max 1800 MHz\n"));
	cr_assert(contains(t.out, "problems:     none\n"));

	Run j = run({"--root", kFixtures + "/pi5", "status", "--json"});
	cr_assert_eq(j.rc, kExitOk, "%s", j.err.c_str());
	nlohmann::json v = nlohmann::json::parse(j.out);
	cr_assert(v["node"] == "pi5");
	cr_assert(v["model"]["feature"] == "pi5");
	cr_assert(v["temp_c"] == 52.65);
	cr_assert(v["band"] == "cool");
	cr_assert(v["throttle_source"] == "hwmon");
	cr_assert(v["fan_rpm"] == 2941);
	cr_assert(v["fan_pwm"] == 75);
	cr_assert(v["mhz"] == 1500);
	cr_assert(v["max_mhz"] == 2400);
	cr_assert(v["chips"].is_null());
	cr_assert(v["problems"].empty(), "%s", j.out.c_str());
}

Test(run, config_limits_set_the_band)
{
	TmpDir tmp;
	const std::string &dir = tmp.path();
	std::string conf = write_file(dir, "pi.conf", "WarmTemp=40\nHotTemp=45\n");
	Run r = run({"status", "--json", "--root", kFixtures + "/pi4b", "--config", conf});
	cr_assert_eq(r.rc, kExitOk, "%s", r.err.c_str());
	nlohmann::json v = nlohmann::json::parse(r.out);
	cr_assert(v["band"] == "hot", "%s", r.out.c_str());
	cr_assert(v["limits"]["hot"] == 45.0);
}

Test(run, status_that_reads_nothing_exits_1)
{
	TmpDir tmp;
	const std::string &dir = tmp.path();
	Run r = run({"status", "--root", dir});
	cr_assert_eq(r.rc, kExitRuntime);
	cr_assert(contains(r.err, "slurm-pi status: no sensor could be read"), "%s",
		  r.err.c_str());
	cr_assert(contains(r.out, "temperature:  unknown\n"));
}

Test(run, config_errors_are_all_printed_and_exit_3)
{
	TmpDir tmp;
	const std::string &dir = tmp.path();
	std::string conf = write_file(dir, "bad.conf", "WarmTemp=hot\nBogusKey=1\n");
	Run r = run({"status", "--root", kFixtures + "/pi4b", "--config", conf});
	cr_assert_eq(r.rc, kExitConfig);
	cr_assert(r.out.empty());
	std::istringstream lines(r.err);
	std::string line;
	int n = 0;
	while (std::getline(lines, line)) {
		cr_assert(line.starts_with("slurm-pi: " + conf + ":"), "%s", line.c_str());
		n++;
	}
	cr_assert_eq(n, 2, "%s", r.err.c_str());
	cr_assert(contains(r.err, "WarmTemp"));
	cr_assert(contains(r.err, "BogusKey"));
}

Test(run, missing_config_file_named_on_the_command_line_exits_3)
{
	Run r = run({"status", "--config", "/nonexistent/pi.conf"});
	cr_assert_eq(r.rc, kExitConfig);
	cr_assert_str_eq(r.err.c_str(),
			 "slurm-pi: --config: /nonexistent/pi.conf: No such file or directory\n");
}

Test(run, bad_root_is_a_usage_error)
{
	Run missing = run({"status", "--root", "/nonexistent/tree"});
	cr_assert_eq(missing.rc, kExitUsage);
	cr_assert_str_eq(missing.err.c_str(),
			 "slurm-pi: --root: /nonexistent/tree: No such file or directory\n");
	Run file = run({"status", "--root", kFixtures + "/pi4b/proc/cpuinfo"});
	cr_assert_eq(file.rc, kExitUsage);
	cr_assert(contains(file.err, "cpuinfo: not a directory"), "%s", file.err.c_str());
}

Test(run, usage_errors_print_a_hint)
{
	Run r = run({"stat"});
	cr_assert_eq(r.rc, kExitUsage);
	cr_assert_str_eq(r.err.c_str(),
			 "slurm-pi: unknown command 'stat' (commands: doctor, nodeconf, nodes, status, help)\n"
			 "Try 'slurm-pi --help' for more information.\n");
	cr_assert(r.out.empty());
}

// ---- the binary

// Run the built tool with `args`; SLURM_CONF points where no slurm-pi.conf
// is, so the defaults apply whatever this machine has in /etc/slurm.
static Run run_binary(std::vector<std::string> args, const char *stdout_path = nullptr)
{
	TmpDir tmp;
	const std::string &dir = tmp.path();
	std::string out_path = stdout_path ? stdout_path : dir + "/out";
	std::string err_path = dir + "/err";
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (out < 0 || err < 0)
			_exit(126);
		dup2(out, 1);
		dup2(err, 2);
		setenv("SLURM_CONF", (dir + "/slurm.conf").c_str(), 1);
		std::vector<char *> argv;
		argv.push_back(const_cast<char *>(TOOL_PATH));
		for (std::string &a : args)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		execv(TOOL_PATH, argv.data());
		_exit(127);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "slurm-pi did not exit normally");
	Run r{WEXITSTATUS(status), stdout_path ? "" : slurp(out_path), slurp(err_path)};
	return r;
}

Test(binary, version_and_help)
{
	Run v = run_binary({"--version"});
	cr_assert_eq(v.rc, 0);
	std::string want(version_text());
	cr_assert_str_eq(v.out.c_str(), want.c_str());

	Run h = run_binary({"--help"});
	cr_assert_eq(h.rc, 0);
	cr_assert(h.out.starts_with("Usage: slurm-pi [OPTION...] COMMAND"));

	Run a = run_binary({"help", "status"});
	Run b = run_binary({"status", "--help"});
	cr_assert_eq(a.rc, 0);
	cr_assert_eq(b.rc, 0);
	cr_assert(a.out == b.out);
	cr_assert(a.out.starts_with("Usage: slurm-pi status"));
}

Test(binary, nodeconf_on_fixture_trees)
{
	Run r = run_binary({"--root", kFixtures + "/pi4b", "nodeconf"});
	cr_assert_eq(r.rc, 0, "%s", r.err.c_str());
	std::string line = last_line(r.out);
	cr_assert_str_eq(line.c_str(), kPi4bLine);

	Run pi5 = run_binary({"nodeconf", "--root=" + kFixtures + "/pi5"});
	cr_assert_eq(pi5.rc, 0, "%s", pi5.err.c_str());
	line = last_line(pi5.out);
	cr_assert_str_eq(line.c_str(),
			 "NodeName=pi5 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
			 "ThreadsPerCore=1 RealMemory=7796 Features=pi5,arm64,mem8g");
}

Test(binary, nodeconf_on_this_machine_gives_a_line)
{
	Run r = run_binary({"nodeconf"});
	cr_assert_eq(r.rc, 0, "%s%s", r.out.c_str(), r.err.c_str());
	cr_assert(last_line(r.out).starts_with("NodeName="), "%s", r.out.c_str());
}

Test(binary, status_on_fixture_trees)
{
	Run r = run_binary({"status", "--root", kFixtures + "/pi5"});
	cr_assert_eq(r.rc, 0, "%s", r.err.c_str());
	cr_assert(contains(r.out, "fan:          2941 rpm, PWM 75/255 (29%)\n"), "%s",
		  r.out.c_str());
	Run j = run_binary({"status", "--json", "--root", kFixtures + "/zero2w"});
	cr_assert_eq(j.rc, 0, "%s", j.err.c_str());
	nlohmann::json v = nlohmann::json::parse(j.out);
	cr_assert(v["model"]["key"] == "Zero2W");
	cr_assert(v["temp_c"] == 41.856);
}

Test(binary, bad_options_exit_2_naming_the_word)
{
	Run opt = run_binary({"status", "--frobnicate"});
	cr_assert_eq(opt.rc, 2);
	cr_assert(opt.err.starts_with("slurm-pi status: unknown option '--frobnicate'\n"), "%s",
		  opt.err.c_str());
	cr_assert(opt.out.empty());

	Run watch = run_binary({"nodes", "--watch=abc"});
	cr_assert_eq(watch.rc, 2);
	cr_assert(watch.err.starts_with(
			  "slurm-pi nodes: --watch: 'abc' is not a number of seconds\n"),
		  "%s", watch.err.c_str());
	cr_assert(watch.out.empty());

	Run cmd = run_binary({"frobnicate"});
	cr_assert_eq(cmd.rc, 2);
	cr_assert(contains(cmd.err, "unknown command 'frobnicate'"));

	Run none = run_binary({});
	cr_assert_eq(none.rc, 2);
	cr_assert(contains(none.err, "no command given"));

	Run root = run_binary({"status", "--root", "/nonexistent/tree"});
	cr_assert_eq(root.rc, 2);
	cr_assert(contains(root.err, "--root: /nonexistent/tree"));
}

Test(binary, config_error_exits_3)
{
	TmpDir tmp;
	const std::string &dir = tmp.path();
	std::string conf = write_file(dir, "bad.conf", "CriticalTemp=-500\n");
	Run r = run_binary({"status", "--root", kFixtures + "/pi4b", "--config", conf});
	cr_assert_eq(r.rc, 3);
	cr_assert(contains(r.err, "CriticalTemp"), "%s", r.err.c_str());
}

Test(binary, status_reading_nothing_exits_1)
{
	TmpDir tmp;
	const std::string &dir = tmp.path();
	Run r = run_binary({"status", "--root", dir});
	cr_assert_eq(r.rc, 1);
	cr_assert(contains(r.err, "no sensor could be read"));
}

Test(binary, output_that_cannot_be_written_exits_1)
{
	if (access("/dev/full", W_OK) != 0)
		cr_skip_test("no /dev/full");
	Run r = run_binary({"--help"}, "/dev/full");
	cr_assert_eq(r.rc, 1);
	cr_assert(contains(r.err, "cannot write the output"), "%s", r.err.c_str());
}

Test(binary, nodes_without_slurm_conf_is_exit_1_naming_it)
{
	// run_binary points SLURM_CONF at a file that does not exist.
	Run r = run_binary({"nodes"});
	cr_assert_eq(r.rc, 1);
	cr_assert(r.err.starts_with("slurm-pi nodes: SLURM_CONF=/tmp/"), "%s", r.err.c_str());
	cr_assert(contains(r.err, "slurm.conf: No such file or directory"), "%s", r.err.c_str());
	cr_assert(r.out.empty());
}

// --------------------------------------------------------------- doctor --all's protocol

#include "tools/doctor.hpp"

Test(doctor_report, lines_stay_under_slurmstepd_message_size_and_survive_interleaving)
{
	using namespace slurmpi::doctor;
	slurmpi::tool::NodeReport a, b;
	a.node = "pi1";
	a.time = 1796077000.25;
	a.munge_key_sha256 = std::string(64, 'a');
	a.names = {{"pi1", "10.0.0.1"}, {"pi2", ""}};
	a.shared_token = "tok";
	b.node = "pi2";
	b.shared_error = "no answer";
	for (int i = 0; i < 40; i++) {
		a.findings.push_back({"munge.key", Verdict::ok, std::string(100, 'x') + "\xc3\xa9", "", "", ""});
		b.findings.push_back({"power.voltage", Verdict::warn, "sags", "saw " + std::to_string(i), "fix", ""});
	}
	auto la = slurmpi::tool::node_report_lines(a);
	auto lb = slurmpi::tool::node_report_lines(b);
	cr_assert_gt(la.size(), 3u);
	std::string mixed = "srun: noise\n";
	for (std::size_t i = 0; i < std::max(la.size(), lb.size()); i++) {
		cr_assert(i >= la.size() || la[i].size() < 1024);
		if (i < lb.size())
			mixed += lb[lb.size() - 1 - i] + "\n"; // out of order too
		if (i < la.size())
			mixed += la[i] + "\n";
	}
	auto got = slurmpi::tool::parse_node_report_lines(mixed);
	cr_assert_eq(got.size(), 2u);
	const auto &ra = got[0].node == "pi1" ? got[0] : got[1];
	const auto &rb = got[0].node == "pi1" ? got[1] : got[0];
	cr_assert_eq(ra.findings.size(), 40u);
	const std::string want = std::string(100, 'x') + "\xc3\xa9";
	cr_assert(ra.findings[0].summary == want, "%s", ra.findings[0].summary.c_str());
	cr_assert_eq(ra.time, 1796077000.25);
	cr_assert_eq(ra.names.size(), 2u);
	cr_assert_str_eq(ra.shared_token.c_str(), "tok");
	cr_assert_eq(rb.findings.size(), 40u);
	cr_assert_eq(rb.findings[39].verdict, Verdict::warn);
	cr_assert_str_eq(rb.shared_error.c_str(), "no answer");
}

Test(doctor_report, an_incomplete_report_is_left_out)
{
	slurmpi::tool::NodeReport a;
	a.node = "pi1";
	for (int i = 0; i < 20; i++)
		a.findings.push_back({"munge.key", slurmpi::doctor::Verdict::ok, std::string(100, 'y'), "", "", ""});
	auto la = slurmpi::tool::node_report_lines(a);
	std::string partial;
	for (std::size_t i = 0; i + 1 < la.size(); i++)
		partial += la[i] + "\n";
	cr_assert(slurmpi::tool::parse_node_report_lines(partial).empty());
	cr_assert(slurmpi::tool::parse_node_report_lines("@slurm-pi-doctor pi1 5 2 {}\n").empty());
	cr_assert(slurmpi::tool::parse_node_report_lines("@slurm-pi-doctor pi1 0 1 {\"node\":\"pi1\"}\n").empty());
}

// --------------------------------------------------------------- doctor on one node

Test(doctor, guide_conf_as_a_file_fails_with_the_fix)
{
	Run r = run({"doctor", "--no-color", "--slurm-conf", kFixtures + "/slurm-conf/guide.conf",
		     "--only", "slurm.conf.partition"});
	cr_assert_eq(r.rc, 5, "%s%s", r.out.c_str(), r.err.c_str());
	cr_assert(r.out.find("fix: PartitionName=main Nodes=pi[1-4] Default=YES") != std::string::npos,
		  "%s", r.out.c_str());
}

Test(doctor, cgroup_conf_beside_slurm_conf_makes_a_memory_select_fatal)
{
	char tmpl[] = "/tmp/slurmpi-doctor-XXXXXX";
	std::string dir = ::mkdtemp(tmpl);
	std::string conf = write_file(dir, "slurm.conf",
				      "SlurmctldHost=h\nSelectTypeParameters=CR_Core_Memory\n"
				      "TaskPlugin=task/cgroup\nNodeName=n1 CPUs=1\nPartitionName=p Nodes=n1\n");
	::mkdir((dir + "/root").c_str(), 0755);
	::mkdir((dir + "/root/proc").c_str(), 0755);
	write_file(dir + "/root/proc", "cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t0\t1\t0\n");
	write_file(dir, "cgroup.conf", "ConstrainRAMSpace=yes\n");
	Run r = run({"doctor", "--no-color", "--root", dir + "/root", "--slurm-conf", conf, "--only",
		     "slurm.conf.select_memory,memory.cgroup"});
	cr_assert_eq(r.rc, 5, "%s", r.out.c_str());
	cr_assert(r.out.find("slurm.conf.select_memory  FAIL") != std::string::npos, "%s", r.out.c_str());
	write_file(dir, "cgroup.conf", "ConstrainRAMSpace=no\n");
	r = run({"doctor", "--no-color", "--root", dir + "/root", "--slurm-conf", conf, "--only",
		 "slurm.conf.select_memory"});
	cr_assert_eq(r.rc, 4, "%s", r.out.c_str());
	cr_assert(r.out.find("slurm.conf.select_memory  WARN") != std::string::npos, "%s", r.out.c_str());
	std::system(("rm -rf '" + dir + "'").c_str());
}

Test(doctor, list_and_bad_selection)
{
	Run r = run({"doctor", "--list"});
	cr_assert_eq(r.rc, 0);
	cr_assert(r.out.find("names.self") != std::string::npos, "%s", r.out.c_str());
	r = run({"doctor", "--skip", "nosuch"});
	cr_assert_eq(r.rc, 2);
	cr_assert(r.err.find("--skip: 'nosuch' is not a check") != std::string::npos, "%s", r.err.c_str());
	r = run({"nodes", "--all"});
	cr_assert_eq(r.rc, 2);
	cr_assert(r.err.find("nodes: unknown option '--all' (only doctor takes it)") != std::string::npos,
		  "%s", r.err.c_str());
}
