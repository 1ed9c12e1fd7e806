/* fuzz_supconf.c - supervisor.yaml parsing on arbitrary bytes (issue #8):
 * never crash, never leak, an error always carries a position, and a parsed
 * config keeps the invariants supconf.h promises. `listen` expands $VARS from
 * the environment: HOME and PATH are set wherever this runs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "builder/supervisor/supconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct supconf c;
	struct ab_err err = AB_ERR_INIT;
	int r = supconf_parse(ab_str_make((const char *)data, size), "/srv/app/supervisor.yaml",
			      &c, &err);
	if (r < 0) {
		if (err.code != AB_E_PARSE && err.code != AB_E_INTERNAL)
			abort();
		if (err.code == AB_E_PARSE && (!err.file || !err.line || !err.msg.len))
			abort();
	} else {
		if (!c.run_dir)
			abort();
		for (size_t i = 0; i < c.nprocs; i++) {
			const struct supconf_proc *p = &c.procs[i];
			if (!p->name || !p->argv || !p->argv[0] || p->argv[p->argc] ||
			    p->instances < 0 || p->instances > SUPCONF_MAX_INSTANCES ||
			    p->stop_signal < 1 || p->backoff_max_ns < p->backoff_initial_ns ||
			    (p->ready_port && !p->ready_host) || p->nlisten > SUPCONF_MAX_LISTEN ||
			    (p->nlisten && !p->listen) ||
			    (p->ready_notify + (p->ready_port != 0) + (p->ready_argv != NULL) > 1))
				abort();
			for (size_t j = 0; j < p->nlisten; j++) {
				const struct supconf_listen *l = &p->listen[j];
				if (!l->spec ||
				    (l->family == AF_UNIX ? !l->path || strlen(l->path) >= 108
							  : !l->host || l->port < 1 || l->port > 65535 ||
								    (l->family != AF_INET &&
								     l->family != AF_INET6)))
					abort();
			}
		}
	}
	supconf_release(&c);
	ab_err_release(&err);
	return 0;
}
