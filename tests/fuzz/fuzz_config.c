/* fuzz_config.c - appbuild.yaml parsing on arbitrary bytes: never crash,
 * never leak, and an error always carries a position in the file. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/appconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct appconfig c;
	struct ab_err err = AB_ERR_INIT;
	int r = appconfig_parse(ab_str_make((const char *)data, size), "appbuild.yaml", &c, &err);
	if (r < 0) {
		if (err.code != AB_E_PARSE && err.code != AB_E_INTERNAL)
			abort();
		if (err.code == AB_E_PARSE && (!err.file || !err.line || !err.msg.len))
			abort();
	} else {
		/* the invariants the header promises */
		struct ab_buf b = AB_BUF_INIT;
		for (size_t i = 0; i < c.nprocesses; i++) {
			if (!c.processes[i].name || !c.processes[i].command || c.processes[i].count < 1)
				abort();
			ab_buf_adds(&b, c.processes[i].command);
		}
		for (size_t i = 0; i < c.package.nexternal; i++) {
			const struct appconfig_external *e = &c.package.external[i];
			if (!e->name || !(e->pkg[0] || e->pkg[1] || e->pkg[2] || e->pkg[3]))
				abort();
			ab_buf_adds(&b, e->name);
		}
		if (c.python)
			pep440_specset_format(&c.python_spec, &b);
		ab_buf_adds(&b, appconfig_supervisor_name(c.supervisor));
		ab_buf_release(&b);
	}
	appconfig_release(&c);
	ab_err_release(&err);
	return 0;
}
