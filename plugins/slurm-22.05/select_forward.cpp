// select/pi_cons_tres for Slurm 22.05: the select_p_* functions only this
// release looks up (job_test with 22.05's arguments, and five symbols
// 24.11 dropped), each passing the call on to cons_tres. The ops table is
// in pi_select_ops.h beside this file; the forwarders both releases share
// are in plugins/select_pi_cons_tres/forward.cpp.
//
// Nothing here can throw (plain C calls); the Pi-aware job_test, which
// calls into common/, catches at its entry (thermal.cpp).

#include "pi_select_ops.h"

#include "plugins/select_pi_cons_tres/forward.hpp"

using piselect::g_ops;

extern "C" int select_p_job_test(job_record_t *job_ptr, bitstr_t *bitmap,
				 uint32_t min_nodes, uint32_t max_nodes,
				 uint32_t req_nodes, uint16_t mode,
				 list_t *preemptee_candidates,
				 list_t **preemptee_job_list,
				 bitstr_t *exc_core_bitmap)
{
	return piselect::timed_job_test(job_ptr, bitmap, mode, [&] {
		return g_ops.job_test(job_ptr, bitmap, min_nodes, max_nodes,
				      req_nodes, mode, preemptee_candidates,
				      preemptee_job_list, exc_core_bitmap);
	});
}

extern "C" int select_p_job_signal(job_record_t *job_ptr, int signal)
{
	return g_ops.job_signal(job_ptr, signal);
}

extern "C" char *select_p_select_jobinfo_sprint(select_jobinfo_t *jobinfo,
						char *buf, size_t size,
						int mode)
{
	return g_ops.jobinfo_sprint(jobinfo, buf, size, mode);
}

extern "C" char *select_p_select_jobinfo_xstrdup(select_jobinfo_t *jobinfo,
						 int mode)
{
	return g_ops.jobinfo_xstrdup(jobinfo, mode);
}

extern "C" int select_p_update_node_config(int index)
{
	return g_ops.update_node_config(index);
}

extern "C" bitstr_t *select_p_resv_test(resv_desc_msg_t *resv_desc_ptr,
					uint32_t node_cnt,
					bitstr_t *avail_bitmap,
					bitstr_t **core_bitmap)
{
	return g_ops.resv_test(resv_desc_ptr, node_cnt, avail_bitmap,
			       core_bitmap);
}
