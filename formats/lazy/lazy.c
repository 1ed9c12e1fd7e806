/*
 * lazy - the loader behind formats/lazy's stubs.
 *
 * The tables are process-wide state (like libcurl's own global init): a
 * library is loaded at most once per process, and the first attempt decides.
 */
#include "formats/lazy/lazy_impl.h"

#include <dlfcn.h>
#include <stdio.h>

void lazy_table_open(struct lazy_table *t)
{
	t->tried = true;
	/* RTLD_LOCAL: the library's symbols resolve only through our dlsym()
	 * pointers, never other lookups; RTLD_NOW: a broken install fails here,
	 * with its message, not in the middle of a transfer. */
	void *h = dlopen(t->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		snprintf(t->error, sizeof(t->error), "cannot load %s: %s", t->soname,
			 why ? why : "unknown error");
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		dlerror();
		t->fns[i] = dlsym(h, t->names[i]);
		if (!t->fns[i]) {
			const char *why = dlerror();
			snprintf(t->error, sizeof(t->error), "cannot load %s: %s", t->soname,
				 why ? why : t->names[i]);
			dlclose(h);
			return;
		}
	}
	__atomic_store_n(&t->handle, h, __ATOMIC_RELEASE);
}

const char *lazy_table_msg(const struct lazy_table *t)
{
	return t->handle ? "" : t->error;
}

static struct lazy_table *table(enum lazy_lib lib)
{
	switch (lib) {
	case LAZY_CURL:
		return &lazy_curl_table;
	case LAZY_ARCHIVE:
		return &lazy_archive_table;
	case LAZY_GIT2:
		return &lazy_git2_table;
	case LAZY_RPM:
		return &lazy_rpm_table;
	case LAZY_CRYPTO:
		return &lazy_crypto_table;
	}
	return NULL;
}

int lazy_load(enum lazy_lib lib)
{
	bool ok = false;
	switch (lib) {
	case LAZY_CURL:
		ok = lazy_curl_ready();
		break;
	case LAZY_ARCHIVE:
		ok = lazy_archive_ready();
		break;
	case LAZY_GIT2:
		ok = lazy_git2_ready();
		break;
	case LAZY_RPM:
		ok = lazy_rpm_ready();
		break;
	case LAZY_CRYPTO:
		ok = lazy_crypto_ready();
		break;
	}
	return ok ? 0 : -1;
}

const char *lazy_error(enum lazy_lib lib)
{
	const struct lazy_table *t = table(lib);
	if (!t || t->handle || !t->tried)
		return NULL;
	return t->error;
}

int lazy_set_soname(enum lazy_lib lib, const char *soname)
{
	struct lazy_table *t = table(lib);
	if (!t || t->tried)
		return -1;
	t->soname = soname;
	return 0;
}
