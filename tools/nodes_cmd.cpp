// `slurm-pi nodes`: print once, or redraw until SIGINT/SIGTERM.
#include "tools/nodes_cmd.hpp"

#include <csignal>
#include <cerrno>
#include <ctime>
#include <ostream>
#include <pthread.h>

namespace slurmpi::tool {

namespace {

std::int64_t now_seconds()
{
	return static_cast<std::int64_t>(std::time(nullptr));
}

// SIGINT and SIGTERM are blocked while watching and taken with
// sigtimedwait(), which is also the wait between rounds: a signal that
// comes while the nodes are being read is not lost, and no handler runs
// in the middle of an iostream write. The old mask comes back on return.
class WatchSignals {
public:
	WatchSignals()
	{
		sigemptyset(&set_);
		sigaddset(&set_, SIGINT);
		sigaddset(&set_, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set_, &old_);
	}
	~WatchSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
	WatchSignals(const WatchSignals &) = delete;
	WatchSignals &operator=(const WatchSignals &) = delete;

	// Wait `seconds`; true if SIGINT or SIGTERM came (it is consumed).
	bool wait(int seconds)
	{
		timespec left{seconds, 0};
		timespec start{};
		clock_gettime(CLOCK_MONOTONIC, &start);
		for (;;) {
			int sig = sigtimedwait(&set_, nullptr, &left);
			if (sig == SIGINT || sig == SIGTERM)
				return true;
			if (sig < 0 && errno != EINTR)
				return false; // EAGAIN: the time is up
			// EINTR (another signal, e.g. SIGWINCH): wait the rest.
			timespec now{};
			clock_gettime(CLOCK_MONOTONIC, &now);
			std::int64_t gone_ns = (now.tv_sec - start.tv_sec) * 1000000000LL +
					       (now.tv_nsec - start.tv_nsec);
			std::int64_t rest_ns = seconds * 1000000000LL - gone_ns;
			if (rest_ns <= 0)
				return false;
			left = {static_cast<time_t>(rest_ns / 1000000000LL),
				static_cast<long>(rest_ns % 1000000000LL)};
		}
	}

private:
	sigset_t set_{};
	sigset_t old_{};
};

std::string clock_text(std::int64_t now)
{
	std::time_t t = static_cast<std::time_t>(now);
	std::tm tm{};
	char buf[64] = "";
	if (localtime_r(&t, &tm))
		std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

} // namespace

int run_nodes(const Options &o, const Config &c, std::ostream &out,
	      std::ostream &err, const Terminal &term, const NodeLoader &load)
{
	TableStyle style;
	style.color = term.is_tty && !term.no_color && !o.no_color;
	if (!o.watch) {
		NodeLoad l = load();
		if (!l.ok()) {
			err << "slurm-pi nodes: " << l.error << "\n";
			return kExitRuntime;
		}
		std::vector<NodeRow> rows = make_rows(l.nodes, now_seconds(), c.stale_after);
		out << (o.json ? format_nodes_json(rows) : format_nodes_text(rows, style));
		return kExitOk;
	}
	WatchSignals signals;
	for (;;) {
		NodeLoad l = load();
		std::int64_t now = now_seconds();
		std::string screen;
		// On a terminal: home the cursor and clear, then draw. Into a
		// pipe or file: one table after another, nothing but text.
		if (term.is_tty)
			screen += "\033[H\033[2J";
		screen += "Every " + std::to_string(*o.watch) + "s: slurm-pi nodes  " +
			  clock_text(now) + "  (Ctrl-C to quit)\n\n";
		if (l.ok())
			screen += format_nodes_text(make_rows(l.nodes, now, c.stale_after), style);
		else
			screen += "slurm-pi nodes: " + l.error + "\n";
		if (!term.is_tty)
			screen += "\n";
		out << screen << std::flush;
		if (!out)
			return kExitRuntime; // main() says the output failed
		if (signals.wait(*o.watch))
			return kExitOk;
	}
}

} // namespace slurmpi::tool
