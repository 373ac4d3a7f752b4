// select/pi_cons_tres for Slurm 24.11: this release's select interface, as
// src/interfaces/select.c:51-157 defines it (slurm_select_ops_t and
// node_select_syms, both private to select.c now, so copied here): the ops
// table filled from cons_tres, its symbol names, and one select_p_*
// function per symbol, each passing the call on to cons_tres.
// plugins/slurm-22.05/select_forward.cpp is the same for Slurm 22.05;
// docs/slurm-versions.md lists the differences.
//
// Nothing here can throw (plain C calls); the Pi-aware job_test, which
// calls into common/, catches at its entry (thermal.cpp).

#include "plugins/select_pi_cons_tres/forward.hpp"

namespace {

// The ops table plugin_load_and_link fills, in the order of the symbols.
struct Ops {
	uint32_t *plugin_id;
	int (*state_save)(char *dir_name);
	int (*state_restore)(char *dir_name);
	int (*job_init)(list_t *job_list);
	int (*node_init)(void);
	int (*job_test)(job_record_t *job_ptr, bitstr_t *bitmap,
	     uint32_t min_nodes, uint32_t max_nodes, uint32_t req_nodes,
	     uint16_t mode, list_t *preemptee_candidates,
	     list_t **preemptee_job_list, resv_exc_t *resv_exc_ptr,
	     will_run_data_t *will_run_ptr);
	int (*job_begin)(job_record_t *job_ptr);
	int (*job_ready)(job_record_t *job_ptr);
	int (*job_expand)(job_record_t *from_job_ptr, job_record_t *to_job_ptr);
	int (*job_resized)(job_record_t *job_ptr, node_record_t *node_ptr);
	int (*job_fini)(job_record_t *job_ptr);
	int (*job_suspend)(job_record_t *job_ptr, bool indf_susp);
	int (*job_resume)(job_record_t *job_ptr, bool indf_susp);
	bitstr_t *(*step_pick_nodes)(job_record_t *job_ptr,
		   select_jobinfo_t *jobinfo, uint32_t node_count,
		   bitstr_t **avail_nodes);
	int (*step_start)(step_record_t *step_ptr);
	int (*step_finish)(step_record_t *step_ptr, bool killing_step);
	int (*nodeinfo_pack)(select_nodeinfo_t *nodeinfo, buf_t *buffer,
	     uint16_t protocol_version);
	int (*nodeinfo_unpack)(select_nodeinfo_t **nodeinfo, buf_t *buffer,
	     uint16_t protocol_version);
	select_nodeinfo_t *(*nodeinfo_alloc)(void);
	int (*nodeinfo_free)(select_nodeinfo_t *nodeinfo);
	int (*nodeinfo_set_all)(void);
	int (*nodeinfo_set)(job_record_t *job_ptr);
	int (*nodeinfo_get)(select_nodeinfo_t *nodeinfo,
	     enum select_nodedata_type dinfo, enum node_states state,
	     void *data);
	select_jobinfo_t *(*jobinfo_alloc)(void);
	int (*jobinfo_free)(select_jobinfo_t *jobinfo);
	int (*jobinfo_set)(select_jobinfo_t *jobinfo,
	     enum select_jobdata_type data_type, void *data);
	int (*jobinfo_get)(select_jobinfo_t *jobinfo,
	     enum select_jobdata_type data_type, void *data);
	select_jobinfo_t *(*jobinfo_copy)(select_jobinfo_t *jobinfo);
	int (*jobinfo_pack)(select_jobinfo_t *jobinfo, buf_t *buffer,
	     uint16_t protocol_version);
	int (*jobinfo_unpack)(select_jobinfo_t **jobinfo_pptr, buf_t *buffer,
	     uint16_t protocol_version);
	int (*get_info_from_plugin)(enum select_plugindata_info dinfo,
	     job_record_t *job_ptr, void *data);
	int (*reconfigure)(void);
};

Ops g_ops{};

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
	"select_p_get_info_from_plugin",
	"select_p_reconfigure",
};
static_assert(sizeof(g_syms) / sizeof(g_syms[0]) == sizeof(Ops) / sizeof(void *),
	      "symbol list out of step with the ops table");

} // namespace

piselect::ConsTresOps piselect::cons_tres_ops() noexcept
{
	return {reinterpret_cast<void **>(&g_ops), g_syms,
		static_cast<int>(sizeof(g_syms) / sizeof(g_syms[0]))};
}

extern "C" int select_p_state_save(char *dir_name)
{
	piselect::on_state_save();
	return g_ops.state_save(dir_name);
}

extern "C" int select_p_state_restore(char *dir_name)
{
	return g_ops.state_restore(dir_name);
}

extern "C" int select_p_job_init(list_t *job_list)
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
				 list_t *preemptee_candidates,
				 list_t **preemptee_job_list,
				 resv_exc_t *resv_exc_ptr,
				 will_run_data_t *will_run_ptr)
{
	return piselect::timed_job_test(job_ptr, bitmap, mode, [&] {
		return g_ops.job_test(job_ptr, bitmap, min_nodes, max_nodes,
				      req_nodes, mode, preemptee_candidates,
				      preemptee_job_list, resv_exc_ptr,
				      will_run_ptr);
	});
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

extern "C" int select_p_get_info_from_plugin(enum select_plugindata_info dinfo,
					     job_record_t *job_ptr, void *data)
{
	return g_ops.get_info_from_plugin(dinfo, job_ptr, data);
}

extern "C" int select_p_reconfigure(void)
{
	piselect::on_reconfigure();
	return g_ops.reconfigure();
}
