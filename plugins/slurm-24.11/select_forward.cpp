// select/pi_cons_tres for Slurm 24.11: the select_p_* function whose
// arguments only this release has (job_test, with resv_exc_t and
// will_run_data_t), passing the call on to cons_tres. The ops table is in
// pi_select_ops.h beside this file; the forwarders both releases share are
// in plugins/select_pi_cons_tres/forward.cpp.
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
