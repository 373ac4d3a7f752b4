// select/pi_cons_tres: cons_tres with Pi- and thermal-aware node choice.
//
// This plugin owns no scheduling state. It loads select/cons_tres as a
// second plugin context (Slurm's own precedent: select/cray_aries over
// select/other) and forwards every call to it. The type name contains
// "cons_tres" on purpose: slurmctld tests xstrstr(select_type, "cons_tres")
// in several places (read_config.c, node_mgr.c, job_scheduler.c,
// gres_ctld.c) and those paths must keep working.
//
// The Pi-aware part is job_test (thermal.cpp): in slurmctld, before it
// delegates, it leaves out nodes the job's thermal policy excludes and
// orders the rest by band and model speed; everything else is cons_tres
// unchanged.

extern "C" {
#include "config.h"

#include "src/common/slurm_xlator.h"
#include "src/common/log.h"
#include "src/common/plugin.h"
#include "src/common/run_in_daemon.h"
#include "src/common/select.h"
#include "src/slurmctld/slurmctld.h"
}

#include <cstdint>
#include <exception>

#include "plugins/select_pi_cons_tres/thermal.hpp"
#include "plugins/select_pi_cons_tres/timing.hpp"

#define PI_SELECT "select/pi_cons_tres"

extern "C" {
extern const char plugin_name[] = "Raspberry Pi aware cons_tres (slurm-pi)";
extern const char plugin_type[] = PI_SELECT;
// Unique and >= 100 (select.c fatal()s otherwise). 101-110 are Slurm's own;
// 314 is free in 22.05 and easy to remember.
extern const uint32_t plugin_id = 314;
extern const uint32_t plugin_version = SLURM_VERSION_NUMBER;
}

namespace {

plugin_context_t *g_context = nullptr;
slurm_select_ops_t g_ops{};

// The symbol names, in the order of slurm_select_ops_t (src/common/select.h).
// select.c keeps its own copy (node_select_syms); ours keeps this plugin
// independent of that array's linkage.
const char *g_syms[] = {
	"plugin_id",
	"select_p_state_save",
	"select_p_state_restore",
	"select_p_job_init",
	"select_p_node_init",
	"select_p_job_test",
	"select_p_job_begin",
	"select_p_job_ready",
	"select_p_job_expand",
	"select_p_job_resized",
	"select_p_job_signal",
	"select_p_job_fini",
	"select_p_job_suspend",
	"select_p_job_resume",
	"select_p_step_pick_nodes",
	"select_p_step_start",
	"select_p_step_finish",
	"select_p_select_nodeinfo_pack",
	"select_p_select_nodeinfo_unpack",
	"select_p_select_nodeinfo_alloc",
	"select_p_select_nodeinfo_free",
	"select_p_select_nodeinfo_set_all",
	"select_p_select_nodeinfo_set",
	"select_p_select_nodeinfo_get",
	"select_p_select_jobinfo_alloc",
	"select_p_select_jobinfo_free",
	"select_p_select_jobinfo_set",
	"select_p_select_jobinfo_get",
	"select_p_select_jobinfo_copy",
	"select_p_select_jobinfo_pack",
	"select_p_select_jobinfo_unpack",
	"select_p_select_jobinfo_sprint",
	"select_p_select_jobinfo_xstrdup",
	"select_p_get_info_from_plugin",
	"select_p_update_node_config",
	"select_p_reconfigure",
	"select_p_resv_test",
};
static_assert(sizeof(g_syms) / sizeof(g_syms[0]) ==
		      sizeof(slurm_select_ops_t) / sizeof(void *),
	      "symbol list out of step with slurm_select_ops_t");

} // namespace

extern "C" int init(void)
{
	if (g_context)
		return SLURM_SUCCESS;
	g_context = plugin_context_create("select", "select/cons_tres",
					  reinterpret_cast<void **>(&g_ops),
					  g_syms, sizeof(g_syms));
	if (!g_context) {
		error(PI_SELECT ": cannot load select/cons_tres, which this plugin "
			       "delegates to; is select_cons_tres.so in PluginDir?");
		return SLURM_ERROR;
	}
	if (running_in_slurmctld()) {
		info(PI_SELECT ": loaded, delegating to select/cons_tres");
		piselect::load_config();
	}
	else
		verbose(PI_SELECT ": loaded, delegating to select/cons_tres");
	return SLURM_SUCCESS;
}

extern "C" int fini(void)
{
	int rc = SLURM_SUCCESS;
	piselect::timing::report();
	if (g_context) {
		rc = plugin_context_destroy(g_context);
		g_context = nullptr;
	}
	return rc;
}

// Everything below forwards unchanged. None of it can throw (plain C calls),
// so no exception guards are needed on these paths; the Pi-aware job_test
// that does call into common/ catches at its entry.

// slurmctld calls this with none of its locks held (save_all_state: every
// 5 minutes, at reconfigure and at shutdown): the place to log what
// job_test has cost.
extern "C" int select_p_state_save(char *dir_name)
{
	piselect::timing::report();
	return g_ops.state_save(dir_name);
}

extern "C" int select_p_state_restore(char *dir_name)
{
	return g_ops.state_restore(dir_name);
}

extern "C" int select_p_job_init(List job_list)
{
	return g_ops.job_init(job_list);
}

extern "C" int select_p_node_init(void)
{
	return g_ops.node_init();
}


extern "C" int select_p_job_test(job_record_t *job_ptr, bitstr_t *bitmap,
				 uint32_t min_nodes, uint32_t max_nodes,
				 uint32_t req_nodes, uint16_t mode,
				 List preemptee_candidates,
				 List *preemptee_job_list,
				 bitstr_t *exc_core_bitmap)
{
	struct Args {
		job_record_t *job_ptr;
		bitstr_t *bitmap;
		uint32_t min_nodes, max_nodes, req_nodes;
		uint16_t mode;
		List preemptee_candidates;
		List *preemptee_job_list;
		bitstr_t *exc_core_bitmap;
		std::uint64_t cons_tres_ns; // time inside cons_tres (timing.hpp)
	} args{job_ptr, bitmap, min_nodes, max_nodes, req_nodes, mode,
	       preemptee_candidates, preemptee_job_list, exc_core_bitmap, 0};
	auto cons_tres = [](void *p) {
		Args &a = *static_cast<Args *>(p);
		std::uint64_t t0 = piselect::timing::now_ns();
		int rc = g_ops.job_test(a.job_ptr, a.bitmap, a.min_nodes, a.max_nodes,
					a.req_nodes, a.mode, a.preemptee_candidates,
					a.preemptee_job_list, a.exc_core_bitmap);
		a.cons_tres_ns += piselect::timing::now_ns() - t0;
		return rc;
	};
	std::uint64_t start = piselect::timing::now_ns();
	int rc = piselect::job_test(job_ptr, bitmap, mode, cons_tres, &args);
	piselect::timing::record(mode, start, piselect::timing::now_ns(),
				 args.cons_tres_ns);
	return rc;
}

extern "C" int select_p_job_begin(job_record_t *job_ptr)
{
	return g_ops.job_begin(job_ptr);
}

extern "C" int select_p_job_ready(job_record_t *job_ptr)
{
	return g_ops.job_ready(job_ptr);
}

extern "C" int select_p_job_expand(job_record_t *from_job_ptr,
				   job_record_t *to_job_ptr)
{
	return g_ops.job_expand(from_job_ptr, to_job_ptr);
}

extern "C" int select_p_job_resized(job_record_t *job_ptr,
				    node_record_t *node_ptr)
{
	return g_ops.job_resized(job_ptr, node_ptr);
}

extern "C" int select_p_job_signal(job_record_t *job_ptr, int signal)
{
	return g_ops.job_signal(job_ptr, signal);
}

extern "C" int select_p_job_fini(job_record_t *job_ptr)
{
	return g_ops.job_fini(job_ptr);
}

extern "C" int select_p_job_suspend(job_record_t *job_ptr, bool indf_susp)
{
	return g_ops.job_suspend(job_ptr, indf_susp);
}

extern "C" int select_p_job_resume(job_record_t *job_ptr, bool indf_susp)
{
	return g_ops.job_resume(job_ptr, indf_susp);
}

extern "C" bitstr_t *select_p_step_pick_nodes(job_record_t *job_ptr,
					      select_jobinfo_t *jobinfo,
					      uint32_t node_count,
					      bitstr_t **avail_nodes)
{
	return g_ops.step_pick_nodes(job_ptr, jobinfo, node_count, avail_nodes);
}

extern "C" int select_p_step_start(step_record_t *step_ptr)
{
	return g_ops.step_start(step_ptr);
}

extern "C" int select_p_step_finish(step_record_t *step_ptr, bool killing_step)
{
	return g_ops.step_finish(step_ptr, killing_step);
}

extern "C" int select_p_select_nodeinfo_pack(select_nodeinfo_t *nodeinfo,
					     buf_t *buffer,
					     uint16_t protocol_version)
{
	return g_ops.nodeinfo_pack(nodeinfo, buffer, protocol_version);
}

extern "C" int select_p_select_nodeinfo_unpack(select_nodeinfo_t **nodeinfo,
					       buf_t *buffer,
					       uint16_t protocol_version)
{
	return g_ops.nodeinfo_unpack(nodeinfo, buffer, protocol_version);
}

extern "C" select_nodeinfo_t *select_p_select_nodeinfo_alloc(void)
{
	return g_ops.nodeinfo_alloc();
}

extern "C" int select_p_select_nodeinfo_free(select_nodeinfo_t *nodeinfo)
{
	return g_ops.nodeinfo_free(nodeinfo);
}

extern "C" int select_p_select_nodeinfo_set_all(void)
{
	return g_ops.nodeinfo_set_all();
}

extern "C" int select_p_select_nodeinfo_set(job_record_t *job_ptr)
{
	return g_ops.nodeinfo_set(job_ptr);
}

extern "C" int select_p_select_nodeinfo_get(select_nodeinfo_t *nodeinfo,
					    enum select_nodedata_type dinfo,
					    enum node_states state, void *data)
{
	return g_ops.nodeinfo_get(nodeinfo, dinfo, state, data);
}

extern "C" select_jobinfo_t *select_p_select_jobinfo_alloc(void)
{
	return g_ops.jobinfo_alloc();
}

extern "C" int select_p_select_jobinfo_free(select_jobinfo_t *jobinfo)
{
	return g_ops.jobinfo_free(jobinfo);
}

extern "C" int select_p_select_jobinfo_set(select_jobinfo_t *jobinfo,
					   enum select_jobdata_type data_type,
					   void *data)
{
	return g_ops.jobinfo_set(jobinfo, data_type, data);
}

extern "C" int select_p_select_jobinfo_get(select_jobinfo_t *jobinfo,
					   enum select_jobdata_type data_type,
					   void *data)
{
	return g_ops.jobinfo_get(jobinfo, data_type, data);
}

extern "C" select_jobinfo_t *select_p_select_jobinfo_copy(select_jobinfo_t *jobinfo)
{
	return g_ops.jobinfo_copy(jobinfo);
}

extern "C" int select_p_select_jobinfo_pack(select_jobinfo_t *jobinfo,
					    buf_t *buffer,
					    uint16_t protocol_version)
{
	return g_ops.jobinfo_pack(jobinfo, buffer, protocol_version);
}

extern "C" int select_p_select_jobinfo_unpack(select_jobinfo_t **jobinfo_pptr,
					      buf_t *buffer,
					      uint16_t protocol_version)
{
	return g_ops.jobinfo_unpack(jobinfo_pptr, buffer, protocol_version);
}

extern "C" char *select_p_select_jobinfo_sprint(select_jobinfo_t *jobinfo,
						char *buf, size_t size, int mode)
{
	return g_ops.jobinfo_sprint(jobinfo, buf, size, mode);
}

extern "C" char *select_p_select_jobinfo_xstrdup(select_jobinfo_t *jobinfo,
						 int mode)
{
	return g_ops.jobinfo_xstrdup(jobinfo, mode);
}

extern "C" int select_p_get_info_from_plugin(enum select_plugindata_info dinfo,
					     job_record_t *job_ptr, void *data)
{
	return g_ops.get_info_from_plugin(dinfo, job_ptr, data);
}

extern "C" int select_p_update_node_config(int index)
{
	return g_ops.update_node_config(index);
}

extern "C" int select_p_reconfigure(void)
{
	if (running_in_slurmctld())
		piselect::load_config();
	return g_ops.reconfigure();
}

extern "C" bitstr_t *select_p_resv_test(resv_desc_msg_t *resv_desc_ptr,
					uint32_t node_cnt,
					bitstr_t *avail_bitmap,
					bitstr_t **core_bitmap)
{
	return g_ops.resv_test(resv_desc_ptr, node_cnt, avail_bitmap, core_bitmap);
}
