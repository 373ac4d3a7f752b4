// select/pi_cons_tres: the ops table filled from cons_tres, and the
// select_p_* functions every supported release looks up with the same
// arguments, each passing the call on to cons_tres. The table's layout and
// symbol names are the release's (plugins/slurm-<version>/pi_select_ops.h,
// found on the include path); the functions only one release has, and
// job_test, are in plugins/slurm-<version>/select_forward.cpp.
//
// Nothing here can throw (plain C calls).

#include "pi_select_ops.h"

#include "plugins/select_pi_cons_tres/forward.hpp"

namespace piselect {

Ops g_ops{};

ConsTresOps cons_tres_ops() noexcept
{
	return {reinterpret_cast<void **>(&g_ops), kSyms,
		static_cast<int>(sizeof(kSyms) / sizeof(kSyms[0]))};
}

} // namespace piselect

using piselect::g_ops;

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
