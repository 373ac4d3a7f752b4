// select/pi_cons_tres: cons_tres with Pi- and thermal-aware node choice.
//
// This plugin owns no scheduling state. It loads select/cons_tres itself
// (Slurm's own precedent: select/cray_aries over select/other) and
// forwards every call to it. It loads it with plugin_load_and_link, not
// plugin_context_create: both releases' public libslurm.so export the
// former (as slurm_plugin_load_and_link), but 24.11's does not export the
// latter, and 24.11's slurm_load_node() loads every select plugin into
// any program linked with it (the slurm-pi command among them). The type name contains
// "cons_tres" on purpose: slurmctld tests xstrstr(select_type, "cons_tres")
// in several places (read_config.c, node_mgr.c, job_scheduler.c,
// gres_ctld.c) and those paths must keep working.
//
// The Pi-aware part is job_test (thermal.cpp): in slurmctld, before it
// delegates, it leaves out nodes the job's thermal policy excludes and
// orders the rest by band and model speed; everything else is cons_tres
// unchanged.
//
// The select interface differs between Slurm releases (symbol list,
// job_test's arguments), so each release's ops table is in
// plugins/slurm-<version>/pi_select_ops.h and its own forwarding functions
// in select_forward.cpp beside it; configure builds the ones for the
// Slurm it finds, with the shared forwarders in forward.cpp. This file holds
// what all versions share: the plugin's identity, init and fini.

#include "pi_slurm_ctld.h"

#include <cstdint>

#include "plugins/select_pi_cons_tres/forward.hpp"
#include "plugins/select_pi_cons_tres/thermal.hpp"
#include "plugins/select_pi_cons_tres/timing.hpp"

#define PI_SELECT "select/pi_cons_tres"

extern "C" {
extern const char plugin_name[] = "Raspberry Pi aware cons_tres (slurm-pi)";
extern const char plugin_type[] = PI_SELECT;
// Unique and >= 100 (select.c fatal()s otherwise). 101-110 are Slurm's own;
// 314 is free in 22.05 and 24.11 and easy to remember.
extern const uint32_t plugin_id = 314;
extern const uint32_t plugin_version = SLURM_VERSION_NUMBER;
}

namespace {

plugin_handle_t g_cons_tres = PLUGIN_INVALID_HANDLE;

} // namespace

namespace piselect {

void on_state_save() noexcept
{
	timing::report();
}

void on_reconfigure() noexcept
{
	if (running_in_slurmctld())
		load_config();
}

} // namespace piselect

extern "C" int init(void)
{
	if (g_cons_tres != PLUGIN_INVALID_HANDLE)
		return SLURM_SUCCESS;
	piselect::ConsTresOps ops = piselect::cons_tres_ops();
	// Looks for select_cons_tres.so in PluginDir, calls its init() and
	// fills the table (a missing symbol is fatal inside Slurm).
	g_cons_tres = plugin_load_and_link("select/cons_tres", ops.n_syms,
					   ops.syms, ops.table);
	if (g_cons_tres == PLUGIN_INVALID_HANDLE) {
		error(PI_SELECT ": cannot load select/cons_tres, which this plugin "
			       "delegates to (%s); is select_cons_tres.so in PluginDir?",
		      pislurm::plugin_load_error(errno));
		return SLURM_ERROR;
	}
	if (running_in_slurmctld()) {
		info(PI_SELECT ": loaded, delegating to select/cons_tres (built for Slurm %s)",
		     SLURM_VERSION_STRING);
		piselect::load_config();
	}
	else
		verbose(PI_SELECT ": loaded, delegating to select/cons_tres");
	return SLURM_SUCCESS;
}

extern "C" int fini(void)
{
	piselect::timing::report();
	if (g_cons_tres != PLUGIN_INVALID_HANDLE) {
		plugin_unload(g_cons_tres); // calls cons_tres's fini()
		g_cons_tres = PLUGIN_INVALID_HANDLE;
	}
	return SLURM_SUCCESS;
}
