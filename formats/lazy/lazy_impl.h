/*
 * lazy_impl - what the stub files of formats/lazy share; not for callers
 * (they include formats/lazy/lazy.h).
 *
 * A stub file lists its functions once, as an X-macro:
 *
 *	#define FUNCS(F, V, D) \
 *		F(CURL *, curl_easy_init, (void), (), NULL) \
 *		V(curl_free, (void *p), (p))
 *
 * F(return type, name, parameters, arguments, value when not loaded) and
 * V(...) for void functions that take an object of the library (a handle,
 * an entry, a list); D(...) like F for the other functions that take one
 * (cleanups mostly). V and D never load the library: when it is not loaded
 * no such object can exist (NULL is all they can be given), and a warm run
 * that only cleans up NULL handles must not pay for loading it.
 *
 * Variadic functions go in a second list, written as V(name, (), ()):
 * looked up with the rest, their stubs are written by hand (they must
 * decode their arguments). LAZY_TABLE(ALL, lib,
 * soname), ALL being both lists, defines the name and pointer tables,
 * lazy_<lib>_ready(), `static bool ready(void)` and `static const char
 * *failmsg(void)`; LAZY_STUBS(FUNCS) defines the stubs; fn(name) is the
 * loaded pointer, to be cast to the function's type.
 */
#ifndef AB_LAZY_IMPL_H
#define AB_LAZY_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "formats/lazy/lazy.h"

struct lazy_table {
	const char *soname;
	const char *const *names;
	void **fns;
	size_t n;
	pthread_once_t once;
	void *handle;		/* NULL: not loaded (yet, or ever); set last, with release */
	bool tried;
	char error[512];	/* "cannot load SONAME: ...", when tried and failed */
};

/* lazy_table_open - dlopen T->soname and dlsym every name; on any failure
 * T->handle stays NULL and T->error says why. Called once, under T->once. */
void lazy_table_open(struct lazy_table *t);

/* lazy_table_msg - T->error when T failed to load, else "" (never NULL) */
const char *lazy_table_msg(const struct lazy_table *t);

/* lazy_<lib>_table - each stub file's table, for lazy.c's lazy_load() */
extern struct lazy_table lazy_curl_table, lazy_archive_table, lazy_git2_table, lazy_rpm_table,
	lazy_crypto_table;
bool lazy_curl_ready(void);
bool lazy_archive_ready(void);
bool lazy_git2_ready(void);
bool lazy_rpm_ready(void);
bool lazy_crypto_ready(void);

#define LAZY_ENUM_F(ret, name, params, args, fail) I_##name,
#define LAZY_ENUM_V(name, params, args) I_##name,
#define LAZY_NAME_F(ret, name, params, args, fail) #name,
#define LAZY_NAME_V(name, params, args) #name,

#define LAZY_TABLE(FUNCS, lib, soname_)                                                  \
	enum { FUNCS(LAZY_ENUM_F, LAZY_ENUM_V, LAZY_ENUM_F) N_FUNCS };                   \
	static const char *const names[] = { FUNCS(LAZY_NAME_F, LAZY_NAME_V, LAZY_NAME_F) }; \
	static void *fns[N_FUNCS];                                                       \
	struct lazy_table lazy_##lib##_table = { soname_, names, fns, N_FUNCS,           \
						 PTHREAD_ONCE_INIT, NULL, false, "" };   \
	static void open_once(void)                                                      \
	{                                                                                \
		lazy_table_open(&lazy_##lib##_table);                                    \
	}                                                                                \
	bool lazy_##lib##_ready(void)                                                    \
	{                                                                                \
		pthread_once(&lazy_##lib##_table.once, open_once);                       \
		return lazy_##lib##_table.handle != NULL;                                \
	}                                                                                \
	static inline bool ready(void)                                                   \
	{                                                                                \
		return lazy_##lib##_ready();                                             \
	}                                                                                \
	static inline bool loaded(void)                                                  \
	{                                                                                \
		return __atomic_load_n(&lazy_##lib##_table.handle, __ATOMIC_ACQUIRE);    \
	}                                                                                \
	static inline const char *failmsg(void)                                          \
	{                                                                                \
		return lazy_table_msg(&lazy_##lib##_table);                              \
	}

#define fn(name) (fns[I_##name])

#define LAZY_STUB_F(ret, name, params, args, fail)                                       \
	ret name params                                                                  \
	{                                                                                \
		if (!ready())                                                            \
			return fail;                                                     \
		return ((ret(*) params)fn(name))args;                                    \
	}
#define LAZY_STUB_V(name, params, args)                                                  \
	void name params                                                                 \
	{                                                                                \
		if (loaded())                                                            \
			((void(*) params)fn(name))args;                                  \
	}
#define LAZY_STUB_D(ret, name, params, args, fail)                                       \
	ret name params                                                                  \
	{                                                                                \
		if (!loaded())                                                           \
			return fail;                                                     \
		return ((ret(*) params)fn(name))args;                                    \
	}
#define LAZY_STUBS(FUNCS) FUNCS(LAZY_STUB_F, LAZY_STUB_V, LAZY_STUB_D)

#endif
