// spank_pi_stage: what the user and the admin asked for, parsed and checked
// on the text alone. No I/O, no Slurm headers.
//
//   --stage-in=SRC[:DST][,...]     SRC on the share, DST in the job's scratch
//   --stage-out=SRC[:DST][,...]    SRC in the job's scratch, DST on the share
//   --stage-out-when=always|success
//   env fallbacks: SLURM_PI_STAGE_IN, SLURM_PI_STAGE_OUT,
//                  SLURM_PI_STAGE_OUT_WHEN
//   plugstack.conf: roots= scratch= max-size= copy-timeout= cache=
//                   cache-size= health-check= health-timeout= on-failure=
//
// Writing a list: items are separated by ',', SRC and DST by ':'. A ',',
// ':' or '\' that is part of a path is written with a backslash: "\,",
// "\:", "\\" (in a shell, inside single quotes: --stage-in='/a/b\:c').
// A backslash before any other character is an error, so that a future
// escape cannot change the meaning of a list that parses today.
//
// Lexical only. Every check here looks at the text: paths are normalised
// the way `cd -L` reads them ("a/./b//c/../d" is "a/b/d"; a ".." that would
// go above the start is refused, never clamped) and compared component by
// component (/home/shared2 is not inside /home/shared). A symlink inside a
// root can still lead out of it: the copy resolves every path again with
// openat2(RESOLVE_BENEATH) below its root (common/stage/resolve.hpp), and
// that is the check that guards the files. These checks give early, clear
// messages at submit, and guarantee the resolver only ever sees clean,
// '..'-free paths.
//
// Multi-node stage-out: on a job with more than one node, the copy of an
// item from node N goes to DST/N (DST becomes a directory with one entry
// per node), on a one-node job to DST itself. Why DST/N and not DST.N or
// PARENT/N/NAME: parse_stage_out() refuses two destinations that are equal
// or inside one another, and DST/N is inside DST, so no two items and no
// two nodes (Slurm node names are unique and are checked to be one path
// component) can ever write to the same path, whatever the node names are.
// With DST.N, or PARENT/N/NAME, another item's destination could be exactly
// another node's target (out and out.pi2; r/x and r/pi2/x), which the
// submit side cannot see because it does not know the node names. One
// directory per item also keeps a job's results together (ls DST/).
//
// Messages: every message returned here is complete and ready to log, in
// the form `slurm-pi stage: <option or source>: <what>`, values quoted with
// quoted() (common/text.hpp), e.g.
//   slurm-pi stage: --stage-in: '/home/shared/x:': empty destination
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slurmpi {

// ---------------------------------------------------------------- limits

// Items in one --stage-in or --stage-out list (a directory is one item).
inline constexpr std::size_t kStageMaxItems = 64;
// Longest path in bytes (PATH_MAX counts the terminating NUL), for every
// path as written and as it will be opened (scratch or node name joined).
inline constexpr std::size_t kStagePathMax = PATH_MAX - 1;
// Longest component of a path, in bytes.
inline constexpr std::size_t kStageNameMax = NAME_MAX;

// `slurm-pi stage: <source>: <what>`: the one place the prefix is written;
// the plugin uses it for its own messages too.
std::string stage_message(std::string_view source, std::string_view what);

// ---------------------------------------------------------------- lexical paths

// `path` normalised on its text: repeated '/' and "." components dropped,
// "x/.." removed with x, a trailing '/' dropped. Absolute stays absolute
// ("/" for the root), relative stays relative ("." when nothing is left).
// nullopt when a ".." would go above the start ("/..", "a/../.."): such a
// path is refused, never clamped. No control-character or length checks.
//   lexical_normal("/home//shared/./a/../b/") == "/home/shared/b"
std::optional<std::string> lexical_normal(std::string_view path);

// Whether normalised `path` is `dir` or below it, comparing whole
// components: lexically_within("/home/shared/x", "/home/shared") is true,
// lexically_within("/home/shared2", "/home/shared") is false. Both must be
// normalised (lexical_normal) and both absolute or both relative; "/" and
// "." contain every path of their kind.
bool lexically_within(std::string_view path, std::string_view dir);

// The last component of a normalised path ("/a/b" -> "b"); "" for "/" and
// ".".
std::string_view last_component(std::string_view normal_path);

// `rel` (normalised, relative) as an absolute path in `scratch`:
// scratch_path("/var/tmp/slurm-pi/42", "data/x") ==
// "/var/tmp/slurm-pi/42/data/x"; "." gives `scratch` itself.
std::string scratch_path(std::string_view scratch, std::string_view rel);

// ---------------------------------------------------------------- stage lists

// One item of a checked list, normalised (lexical_normal), every path at
// most kStagePathMax bytes (also once joined to scratch), no control
// characters, no "." or ".." components.
//   stage-in:  src absolute, inside a shared root (may be the root itself);
//              dst relative to the job's scratch directory, never ".".
//   stage-out: src relative to the job's scratch directory ("." is the
//              scratch directory itself); dst absolute, inside a shared
//              root and not the root itself (the multi-node rule then
//              applies: stage_out_destination()).
struct StageItem {
	std::string src;
	std::string dst;
	bool operator==(const StageItem &) const = default;
};

struct StageList {
	// With errors, only the items that were fine; callers report the
	// errors and stage nothing.
	std::vector<StageItem> items;
	// Complete messages (stage_message), one per bad item, in order.
	std::vector<std::string> errors;
	bool ok() const { return errors.empty(); }
};

// What the checks compare paths with.
struct StagePlaces {
	// The allowed shared roots, absolute and normalised (as
	// parse_stage_args gives them). None: every list is refused.
	std::vector<std::string> roots;
	// The job's scratch directory (SLURM_PI_SCRATCH), absolute and
	// normalised. At submit, where the job's own is not known yet, the
	// scratch base: an absolute path is then only known to be under the
	// base, and the node checks it again against the job's directory.
	std::string scratch;
	// The job's working directory, absolute: a stage-out item without a
	// DST goes to workdir/<name of SRC>. "" if not known (then a DST is
	// required).
	std::string workdir;
};

// --stage-in (or SLURM_PI_STAGE_IN: `source` names which, for messages).
// SRC must be absolute and inside a root; DST, relative or absolute,
// inside scratch; without DST the copy is named after SRC's last
// component (/home/shared/data/ -> data). Refuses: an empty value or item,
// an empty SRC or DST, more than one unescaped ':', a bad escape, control
// characters (and NUL), paths or components that are too long, more than
// kStageMaxItems items, a ".." above the start, and two items whose
// destinations are equal or one inside the other (one copy would overwrite
// or mix with the other).
StageList parse_stage_in(std::string_view value, const StagePlaces &places,
			 std::string_view source = "--stage-in");

// --stage-out (or SLURM_PI_STAGE_OUT). SRC relative to scratch or absolute
// inside it; DST absolute, inside a root, not a root itself; without DST,
// workdir/<name of SRC>, which must then be inside a root (SRC "." needs a
// DST). Refuses what parse_stage_in() refuses, with destinations compared
// on the share.
StageList parse_stage_out(std::string_view value, const StagePlaces &places,
			  std::string_view source = "--stage-out");

// A path with ',', ':' and '\' escaped, as a list item part is written.
std::string escape_stage_path(std::string_view path);

// The items as one list value, every DST written out: parsing it again
// with the same places gives the same items. For handing a checked list
// on (e.g. through the job's environment).
std::string format_stage_list(const std::vector<StageItem> &items);

// A path, or why there is none (a complete message).
struct StagePath {
	std::string path;
	std::string error;
	bool ok() const { return error.empty(); }
};

// Where node `node` of a job with `nnodes` nodes writes stage-out item
// `item`: item.dst on one node, item.dst + "/" + node on more (see the
// top of this file). `node` must be one path component: not empty, not
// "." or "..", no '/', no control characters, at most kStageNameMax bytes;
// the result must be at most kStagePathMax bytes.
// Whether `name` can be one path component on its own: not empty, not "."
// or "..", no '/', no control characters (nor NUL), at most kStageNameMax
// bytes. Node names are checked with it before they name a file.
bool is_path_component(std::string_view name);

StagePath stage_out_destination(const StageItem &item, std::string_view node,
				std::uint32_t nnodes,
				std::string_view source = "--stage-out");

// ---------------------------------------------------------------- --stage-out-when

enum class StageOutWhen { always, success };

// Exact lower-case names only, like --thermal.
std::optional<StageOutWhen> parse_stage_out_when(std::string_view s);
std::string_view to_string(StageOutWhen w);
// "'maybe' is not one of always, success" (without the prefix and option).
std::string stage_out_when_error(std::string_view bad_value);

// ---------------------------------------------------------------- options and environment

enum class StageOption { stage_in, stage_out, stage_out_when };
// "--stage-in", "--stage-out", "--stage-out-when".
std::string_view stage_option_name(StageOption o);
// "SLURM_PI_STAGE_IN", "SLURM_PI_STAGE_OUT", "SLURM_PI_STAGE_OUT_WHEN".
std::string_view stage_env_name(StageOption o);

enum class StageValueSource { none, option, environment };

struct StageValue {
	StageValueSource source = StageValueSource::none;
	std::string value;
	// stage_option_name() or stage_env_name() of the one that applies,
	// for messages and as `source` of the parsers; "" for none.
	std::string_view name;
};

// Which value applies: the option when it was given (even empty: the
// parser then says so), else the environment variable when it is set and
// not empty (an empty variable is treated as unset, as with
// SLURM_PI_THERMAL), else none.
StageValue choose_stage_value(StageOption o,
			      std::optional<std::string_view> option_value,
			      std::optional<std::string_view> env_value);

// ---------------------------------------------------------------- plugstack.conf

enum class StageOnFailure { fail, requeue, drain };
std::optional<StageOnFailure> parse_stage_on_failure(std::string_view s);
std::string_view to_string(StageOnFailure f);

// The arguments of spank_pi_stage in plugstack.conf, key=value. Member
// initializers are the defaults.
struct StageArgs {
	// roots=/home/shared:/srv/data: the NFS mounts staging may read and
	// write, absolute, normalised, not "/". No default: until an admin
	// names the share, every stage option is refused.
	std::vector<std::string> roots;
	// scratch=: the node-local base of the per-job scratch directories;
	// absolute, normalised, not "/", neither inside a root nor containing
	// one.
	std::string scratch = "/var/tmp/slurm-pi";
	// max-size=: most bytes one stage-in or stage-out of a job may copy
	// on one node; 0 = no limit.
	std::uint64_t max_size = 0;
	// copy-timeout=: seconds one node's stage-in or stage-out may take.
	int copy_timeout = 1800;
	// cache=yes|no and cache-size= (bytes, > 0): the node-local cache.
	bool cache = true;
	std::uint64_t cache_size = std::uint64_t(1) << 30;
	// health-check=yes|no and health-timeout= (seconds): whether the
	// share must answer before staging, and how fast.
	bool health_check = true;
	int health_timeout = 10;
	// on-failure=fail|requeue|drain: what a failure of the node or the
	// share (not the user's mistake) does; draining only if chosen.
	StageOnFailure on_failure = StageOnFailure::fail;

	bool operator==(const StageArgs &) const = default;
};

inline constexpr int kStageMaxCopyTimeout = 7 * 24 * 3600;
inline constexpr int kStageMaxHealthTimeout = 3600;

struct StageArgsResult {
	// With errors, keys that were fine hold their values and the others
	// their defaults; callers report the errors and do not stage.
	StageArgs args;
	// Complete messages: `slurm-pi stage: plugstack.conf: ...`, naming
	// the argument or key, the value and what is allowed.
	std::vector<std::string> errors;
	bool ok() const { return errors.empty(); }
};

// Parses the plugin's arguments (av[0..ac-1] of slurm_spank_init). Each is
// key=value with a known key given at most once; sizes are bytes or a
// whole number with K, M, G or T (powers of 1024, either case); times are
// whole seconds (copy-timeout 1..kStageMaxCopyTimeout, health-timeout
// 1..kStageMaxHealthTimeout); switches are yes or no.
StageArgsResult parse_stage_args(const std::vector<std::string> &args);

// The arguments that parse_stage_args() turns into `a`, one per key, in
// the order above (roots= left out when there are none). For the plugin's
// log line, and the round trip in the tests.
std::vector<std::string> format_stage_args(const StageArgs &a);

// A size as parse_stage_args() reads it: "4096", "10K", "2g" (1024-based);
// nullopt for anything else or more than 2^64 - 1 bytes.
std::optional<std::uint64_t> parse_stage_size(std::string_view s);
// `bytes` with the largest suffix that writes it exactly: 1073741824 ->
// "1G", 1536 -> "1536" (not a whole K), 0 -> "0".
std::string format_stage_size(std::uint64_t bytes);

// The places the lists are checked against, from the arguments: roots and
// scratch (scratch is the base here; see StagePlaces::scratch), with the
// job's working directory.
StagePlaces stage_places(const StageArgs &a, std::string_view workdir = {});

} // namespace slurmpi
