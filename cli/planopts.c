/* planopts.c - see planopts.h. */
#include "cli/planopts.h"

void planopts_apply(const struct planopts *o, struct plan_opts *po)
{
	po->index_url = o->index_url;
	po->extra_index_url = o->extra_index_url.v;
	po->nextra_index_url = o->extra_index_url.n;
	po->find_links = o->find_links.v;
	po->nfind_links = o->find_links.n;
	po->no_index = o->no_index;
	po->pre = o->pre;
	po->only_binary = o->only_binary.v;
	po->nonly_binary = o->only_binary.n;
	po->no_binary = o->no_binary.v;
	po->nno_binary = o->no_binary.n;
	po->prefer_binary = o->prefer_binary;
	po->python_version = o->python_version;
	po->platform = o->platform.v;
	po->nplatform = o->platform.n;
	po->cache_dir = o->cache_dir;
	po->offline = o->offline;
	po->no_build_isolation = o->no_build_isolation;
	po->config_settings = o->config_settings.v;
	po->nconfig_settings = o->config_settings.n;
}
