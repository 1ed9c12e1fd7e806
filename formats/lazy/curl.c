/*
 * The libcurl functions appbuild calls, loaded from libcurl.so.4 on first
 * use (formats/lazy/lazy.h says how and why).
 */
/* The stubs define curl_easy_setopt() and friends: curl's type-checking
 * macros of the same names must not expand here. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>

#include "formats/lazy/lazy_impl.h"

#define FUNCS(F, V, D)                                                                      \
	F(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT)           \
	F(CURL *, curl_easy_init, (void), (), NULL)                                       \
	V(curl_easy_cleanup, (CURL * h), (h))                                             \
	V(curl_easy_reset, (CURL * h), (h))                                               \
	F(const char *, curl_easy_strerror, (CURLcode c), (c), failmsg())                 \
	V(curl_free, (void *p), (p))                                                      \
	F(CURLM *, curl_multi_init, (void), (), NULL)                                     \
	F(CURLMcode, curl_multi_add_handle, (CURLM * m, CURL * h), (m, h),                \
	  CURLM_INTERNAL_ERROR)                                                           \
	D(CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL * h), (m, h),             \
	  CURLM_INTERNAL_ERROR)                                                           \
	D(CURLMcode, curl_multi_cleanup, (CURLM * m), (m), CURLM_BAD_HANDLE)              \
	F(CURLMsg *, curl_multi_info_read, (CURLM * m, int *q), (m, q), NULL)             \
	F(CURLMcode, curl_multi_perform, (CURLM * m, int *running), (m, running),         \
	  CURLM_INTERNAL_ERROR)                                                           \
	F(CURLMcode, curl_multi_poll,                                                     \
	  (CURLM * m, struct curl_waitfd fds[], unsigned int nfds, int ms, int *numfds),  \
	  (m, fds, nfds, ms, numfds), CURLM_INTERNAL_ERROR)                               \
	F(struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), \
	  (l, s), NULL)                                                                   \
	V(curl_slist_free_all, (struct curl_slist * l), (l))                              \
	F(CURLU *, curl_url, (void), (), NULL)                                            \
	V(curl_url_cleanup, (CURLU * u), (u))                                             \
	F(CURLUcode, curl_url_get, (CURLU * u, CURLUPart what, char **part, unsigned fl), \
	  (u, what, part, fl), CURLUE_BAD_HANDLE)                                         \
	F(CURLUcode, curl_url_set,                                                        \
	  (CURLU * u, CURLUPart what, const char *part, unsigned fl), (u, what, part, fl), \
	  CURLUE_BAD_HANDLE)                                                              \
	F(const char *, curl_url_strerror, (CURLUcode c), (c), failmsg())

#define VARIADIC(F, V, D)                                                                    \
	V(curl_easy_setopt, (), ())                                                       \
	V(curl_multi_setopt, (), ())                                                      \
	V(curl_easy_getinfo, (), ())

#define ALL(F, V, D) FUNCS(F, V, D) VARIADIC(F, V, D)

LAZY_TABLE(ALL, curl, "libcurl.so.4")
LAZY_STUBS(FUNCS)

typedef void (*any_fn)(void);

/* Each option's argument is read by its type range, as libcurl itself reads
 * it (lib/setopt.c, lib/multi.c): below CURLOPTTYPE_OBJECTPOINT a long, then
 * a data pointer, a function pointer, a curl_off_t, and a struct curl_blob
 * pointer from CURLOPTTYPE_BLOB on. */
#define FORWARD_BY_TYPE(call, opt, ap)                                                    \
	((opt) < CURLOPTTYPE_OBJECTPOINT	 ? call(va_arg(ap, long))                 \
	 : (opt) < CURLOPTTYPE_FUNCTIONPOINT ? call(va_arg(ap, void *))                   \
	 : (opt) < CURLOPTTYPE_OFF_T	 ? call(va_arg(ap, any_fn))                       \
	 : (opt) < CURLOPTTYPE_BLOB	 ? call(va_arg(ap, curl_off_t))                   \
					 : call(va_arg(ap, void *)))

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	if (!ready())
		return CURLE_FAILED_INIT;
	CURLcode (*f)(CURL *, CURLoption, ...) = (CURLcode(*)(CURL *, CURLoption, ...))fn(
		curl_easy_setopt);
	va_list ap;
	va_start(ap, opt);
#define CALL(v) f(h, opt, v)
	CURLcode r = FORWARD_BY_TYPE(CALL, opt, ap);
#undef CALL
	va_end(ap);
	return r;
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	if (!ready())
		return CURLM_INTERNAL_ERROR;
	CURLMcode (*f)(CURLM *, CURLMoption, ...) = (CURLMcode(*)(CURLM *, CURLMoption, ...))fn(
		curl_multi_setopt);
	va_list ap;
	va_start(ap, opt);
#define CALL(v) f(m, opt, v)
	CURLMcode r = FORWARD_BY_TYPE(CALL, opt, ap);
#undef CALL
	va_end(ap);
	return r;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	if (!ready())
		return CURLE_FAILED_INIT;
	CURLcode (*f)(CURL *, CURLINFO, ...) = (CURLcode(*)(CURL *, CURLINFO, ...))fn(
		curl_easy_getinfo);
	va_list ap;
	va_start(ap, info);
	void *p = va_arg(ap, void *);
	va_end(ap);
	return f(h, info, p);
}
