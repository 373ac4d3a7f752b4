// select/pi_cons_tres: the seam between the shared plugin
// (select_pi_cons_tres.cpp, thermal.cpp) and the forwarders, which define
// every select_p_* symbol Slurm's select interface looks up and pass each
// call on to cons_tres: forward.cpp holds those every release shares,
// plugins/slurm-<version>/select_forward.cpp job_test and the release's
// own, and plugins/slurm-<version>/pi_select_ops.h the release's ops table.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pi_slurm_ctld.h"

#include "plugins/select_pi_cons_tres/thermal.hpp"
#include "plugins/select_pi_cons_tres/timing.hpp"

namespace piselect {

// cons_tres's ops table for plugin_load_and_link: where to store the
// function pointers, and the symbol names in the table's order (this
// Slurm's select interface, plugin_id first).
struct ConsTresOps {
	void **table;
	const char **syms;
	int n_syms;
};
ConsTresOps cons_tres_ops() noexcept;

// Called by the forwarders of select_p_state_save (slurmctld holds none
// of its locks there: the place to log job_test's cost) and of
// select_p_reconfigure (re-read slurm-pi.conf in slurmctld).
void on_state_save() noexcept;
void on_reconfigure() noexcept;

// select_p_job_test: the thermal part (thermal.hpp) around cons_tres's
// job_test, timed (timing.hpp). `cons_tres()` calls cons_tres's job_test
// with this version's arguments.
template <class F>
int timed_job_test(job_record_t *job_ptr, bitstr_t *bitmap, uint16_t mode,
		   F &&cons_tres) noexcept
{
	struct Ctx {
		F *call;
		std::uint64_t ns;
	} ctx{&cons_tres, 0};
	auto delegate = [](void *p) {
		Ctx &c = *static_cast<Ctx *>(p);
		std::uint64_t t0 = timing::now_ns();
		int rc = (*c.call)();
		c.ns += timing::now_ns() - t0;
		return rc;
	};
	std::uint64_t start = timing::now_ns();
	int rc = job_test(job_ptr, bitmap, mode, delegate, &ctx);
	timing::record(mode, start, timing::now_ns(), ctx.ns);
	return rc;
}

} // namespace piselect
