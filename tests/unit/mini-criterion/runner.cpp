// slurm-pi's mini-criterion runner: main() for a unit test binary built
// without Criterion (see criterion/criterion.h for the API).
//
// binary [--tap[=-]] [--filter=SUITE/NAME-GLOB] [Criterion's other options]
//
// Runs the binary's tests one at a time, sorted by suite then name, each in
// a forked process of its own (a process group: a timeout or the end of
// the test kills whatever it left running), and prints TAP version 13 on
// stdout: "ok K - suite::name", "ok K - suite::name # SKIP reason", or
// "not ok K - suite::name" followed by "# " lines saying why. A test fails
// if an assertion fails (in it or in a process it forked), if a signal
// kills it, if its process exits with another status than
// Test(..., .exit_code = N) (default 0), or if it runs longer than
// .timeout = S seconds (default 300: generous, for qemu-user). The exit
// status is 0 if no test failed, else 1.
#include "criterion/criterion.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fnmatch.h>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace mini_criterion {
namespace {

struct Test {
	const char *suite;
	const char *name;
	TestFunction fn;
	TestOptions options;
};

std::vector<Test> &registry()
{
	static std::vector<Test> tests;
	return tests;
}

constexpr double default_timeout = 300;

// What a test reports to the runner, in memory shared across fork(): no
// file descriptor that the test could see, close or leak. The processes a
// test forks share it too, so an assertion failing in one of them fails
// the test. The first report wins.
enum Outcome : int { none, failed, skipped };
struct Report {
	int outcome;
	char message[8192];
};
Report *report;
const Test *current; // in the test's process

std::string vformat(const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = std::vsnprintf(nullptr, 0, fmt, again);
	va_end(again);
	if (n < 0)
		return fmt;
	std::string s(static_cast<std::size_t>(n) + 1, '\0');
	std::vsnprintf(s.data(), s.size(), fmt, ap);
	s.resize(static_cast<std::size_t>(n));
	return s;
}

[[noreturn]] void end_test(Outcome outcome, const std::string &text)
{
	int expected = none;
	if (__atomic_compare_exchange_n(&report->outcome, &expected, outcome, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		std::snprintf(report->message, sizeof report->message, "%s", text.c_str());
	std::fflush(nullptr);
	_exit(outcome == skipped ? 0 : 1);
}

std::string where(const char *file, int line, const char *expr)
{
	return std::string(file) + ":" + std::to_string(line) + ": Assertion failed: " + expr;
}

// A C string literal of `s`, escaped, so that whitespace differences show.
std::string quote(const char *s)
{
	if (!s)
		return "NULL";
	std::string q = "\"";
	for (; *s; s++) {
		unsigned char c = static_cast<unsigned char>(*s);
		if (c == '\n')
			q += "\\n";
		else if (c == '\t')
			q += "\\t";
		else if (c == '"' || c == '\\')
			q += std::string("\\") + static_cast<char>(c);
		else if (c < 0x20 || c == 0x7f) {
			char hex[8];
			std::snprintf(hex, sizeof hex, "\\x%02x", c);
			q += hex;
		} else
			q += static_cast<char>(c);
	}
	return q + "\"";
}

std::string str_values(const char *actual, const char *expected)
{
	return "\n  actual:   " + quote(actual) + "\n  expected: " + quote(expected);
}

std::string float_values(long double actual, long double expected)
{
	char buf[128];
	std::snprintf(buf, sizeof buf, "\n  actual:   %.17Lg\n  expected: %.17Lg", actual, expected);
	return buf;
}

// ------------------------------------------------------------------ runner

struct Result {
	enum { pass, fail, skip } kind;
	std::string text;
};

sigset_t sigchld_set;
struct sigaction saved_actions[4];
const int handled_signals[4] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP};
sigset_t saved_mask;
volatile sig_atomic_t test_group = 0;

void on_sigchld(int) {}

// Interrupted (^C, make killed): the running test's processes go too.
void on_interrupt(int sig)
{
	if (test_group > 0)
		kill(-test_group, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void setup_signals()
{
	sigemptyset(&sigchld_set);
	sigaddset(&sigchld_set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigchld_set, &saved_mask);
	for (int i = 0; i < 4; i++) {
		struct sigaction sa {};
		sa.sa_handler = i == 0 ? on_sigchld : on_interrupt;
		sigemptyset(&sa.sa_mask);
		sigaction(handled_signals[i], &sa, &saved_actions[i]);
	}
}

// In the test's process: signals as the runner found them.
void restore_signals()
{
	for (int i = 0; i < 4; i++)
		sigaction(handled_signals[i], &saved_actions[i], nullptr);
	sigprocmask(SIG_SETMASK, &saved_mask, nullptr);
}

double now()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Waits until `pid` has ended, leaving it unreaped (its pid, which is its
// process group's id, cannot be reused meanwhile). False on timeout.
bool wait_end(pid_t pid, double timeout)
{
	const double deadline = now() + timeout;
	for (;;) {
		siginfo_t si{};
		if (waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			return true;
		double left = std::min(deadline - now(), 1.0);
		if (left <= 0)
			return false;
		timespec ts{static_cast<time_t>(left),
			    static_cast<long>((left - static_cast<double>(static_cast<time_t>(left))) * 1e9)};
		sigtimedwait(&sigchld_set, nullptr, &ts); // SIGCHLD, timeout or EINTR
	}
}

Result run(const Test &t)
{
	report->outcome = none;
	report->message[0] = '\0';
	std::fflush(nullptr);
	pid_t pid = fork();
	if (pid < 0)
		return {Result::fail, std::string("fork: ") + std::strerror(errno)};
	if (pid == 0) {
		setpgid(0, 0);
		restore_signals();
		current = &t;
		t.fn();
		std::exit(0);
	}
	setpgid(pid, pid); // as the child does: whichever runs first
	test_group = pid;
	const double timeout = t.options.timeout > 0 ? t.options.timeout : default_timeout;
	const bool ended = wait_end(pid, timeout);
	kill(-pid, SIGKILL); // what the test left running, or all of it
	kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	test_group = 0;

	// (A process killed while it wrote the message leaves it unterminated.)
	const std::string message(report->message, strnlen(report->message, sizeof report->message));
	char buf[160];
	if (report->outcome == failed)
		return {Result::fail, message};
	if (!ended) {
		std::snprintf(buf, sizeof buf, "timed out after %g s%s, killed", timeout,
			      t.options.timeout > 0 ? "" : " (the default; Test() sets another with .timeout = S)");
		return {Result::fail, buf};
	}
	if (report->outcome == skipped)
		return {Result::skip, message};
	if (WIFSIGNALED(status)) {
		std::snprintf(buf, sizeof buf, "killed by signal %d (%s)", WTERMSIG(status),
			      strsignal(WTERMSIG(status)));
		return {Result::fail, buf};
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != t.options.exit_code) {
		std::snprintf(buf, sizeof buf, "exited with status %d, expected %d",
			      WEXITSTATUS(status), t.options.exit_code);
		return {Result::fail, buf};
	}
	return {Result::pass, ""};
}

// `text` as TAP comment lines ("# ..."), each line of it.
void print_comment(const std::string &text)
{
	std::size_t start = 0;
	while (start <= text.size()) {
		std::size_t end = text.find('\n', start);
		if (end == std::string::npos)
			end = text.size();
		std::printf("# %.*s\n", static_cast<int>(end - start), text.c_str() + start);
		start = end + 1;
	}
}

int run_all(const char *filter)
{
	std::vector<Test> tests;
	for (const Test &t : registry())
		if (!filter || fnmatch(filter, (std::string(t.suite) + "/" + t.name).c_str(), 0) == 0)
			tests.push_back(t);
	std::sort(tests.begin(), tests.end(), [](const Test &a, const Test &b) {
		int c = std::strcmp(a.suite, b.suite);
		return c != 0 ? c < 0 : std::strcmp(a.name, b.name) < 0;
	});

	void *shared = mmap(nullptr, sizeof(Report), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		std::perror("mini-criterion: mmap");
		return 2;
	}
	report = static_cast<Report *>(shared);
	setup_signals();

	std::printf("TAP version 13\n1..%zu\n# slurm-pi mini-criterion: %zu tests\n",
		    tests.size(), tests.size());
	int passed = 0, failures = 0, skips = 0, k = 0;
	for (const Test &t : tests) {
		Result r = run(t);
		k++;
		if (r.kind == Result::pass) {
			passed++;
			std::printf("ok %d - %s::%s\n", k, t.suite, t.name);
		} else if (r.kind == Result::skip) {
			skips++;
			std::replace(r.text.begin(), r.text.end(), '\n', ' ');
			std::printf("ok %d - %s::%s # SKIP%s%s\n", k, t.suite, t.name,
				    r.text.empty() ? "" : " ", r.text.c_str());
		} else {
			failures++;
			std::printf("not ok %d - %s::%s\n", k, t.suite, t.name);
			print_comment(r.text);
		}
		std::fflush(stdout);
	}
	std::printf("# %d passed, %d failed, %d skipped\n", passed, failures, skips);
	return failures == 0 ? 0 : 1;
}

} // namespace

Registrar::Registrar(const char *suite, const char *name, TestFunction fn, TestOptions options)
{
	registry().push_back({suite, name, fn, options});
}

void assert_failed(const char *file, int line, const char *expr)
{
	end_test(failed, where(file, line, expr));
}

void assert_failed(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	end_test(failed, where(file, line, expr) + (msg.empty() ? "" : "\n  " + msg));
}

void str_failed(const char *file, int line, const char *expr, const char *actual,
		const char *expected)
{
	end_test(failed, where(file, line, expr) + str_values(actual, expected));
}

void str_failed(const char *file, int line, const char *expr, const char *actual,
		const char *expected, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	end_test(failed, where(file, line, expr) + str_values(actual, expected) +
				 (msg.empty() ? "" : "\n  " + msg));
}

void float_failed(const char *file, int line, const char *expr, long double actual,
		  long double expected)
{
	end_test(failed, where(file, line, expr) + float_values(actual, expected));
}

void float_failed(const char *file, int line, const char *expr, long double actual,
		  long double expected, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	end_test(failed, where(file, line, expr) + float_values(actual, expected) +
				 (msg.empty() ? "" : "\n  " + msg));
}

bool str_equal(const char *a, const char *b)
{
	return a && b && std::strcmp(a, b) == 0;
}

void skip()
{
	end_test(skipped, "");
}

void skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	end_test(skipped, msg);
}

void log_message(const char *tag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	if (current)
		std::fprintf(stderr, "%s %s::%s: %s\n", tag, current->suite, current->name, msg.c_str());
	else
		std::fprintf(stderr, "%s %s\n", tag, msg.c_str());
}

} // namespace mini_criterion

int main(int argc, char **argv)
{
	const char *filter = nullptr;
	for (int i = 1; i < argc; i++) {
		std::string_view a = argv[i];
		if (a == "--help" || a == "-h") {
			std::printf("%s: slurm-pi's mini-criterion, a stand-in for Criterion's runner\n"
				    "Runs each test in a process of its own, one at a time, sorted by\n"
				    "suite and name, and prints TAP on stdout.\n"
				    "  --filter=GLOB  only the tests whose SUITE/NAME match GLOB\n"
				    "Criterion's other options (--tap, --jobs, --verbose, ...) are accepted\n"
				    "and ignored.\n",
				    argv[0]);
			return 0;
		}
		if (a.starts_with("--filter="))
			filter = argv[i] + std::strlen("--filter=");
		else if (a == "--filter" && i + 1 < argc)
			filter = argv[++i];
		else if ((a == "-j" || a == "--jobs") && i + 1 < argc)
			i++; // tests run one at a time
	}
	return mini_criterion::run_all(filter);
}
