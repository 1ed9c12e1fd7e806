/* http.h - concurrent HTTP(S)/file:// fetching over one libcurl multi handle.
 *
 * The caller fills a `struct http_req` (which must stay alive until its
 * `done` callback has run), submits any number, and runs the client; up to
 * `jobs` transfers run at once, HTTP/2 multiplexing and connection reuse
 * where the server offers them (libcurl's connection pool in the multi
 * handle). A `done` callback may submit more requests (the index client
 * chains range requests this way); http_run() returns when nothing is left.
 *
 * Retries: connection errors, timeouts (including a stalled body: less
 * than 1 byte/s for `stall_timeout_s`), truncated bodies and 5xx/429
 * answers are retried up to `retries` times, `backoff_ms` then doubling.
 * A truncated body is resumed with a Range request when the server
 * advertised `Accept-Ranges: bytes` (restarted otherwise; a 200 answer to a
 * resume restarts it too). Bodies are hashed (sha256) as they stream.
 * Auth: user:password in the URL, ~/.netrc (CURLOPT_NETRC optional), a CA
 * bundle (`cert`), proxies from the environment (libcurl's defaults). URLs
 * in errors and logs have their password replaced by "****". A server
 * certificate that does not verify fails at once (not retried) with
 * libcurl's reason ("SSL certificate problem: ...") and a note naming
 * --cert. */
#ifndef AB_HTTP_H
#define AB_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "builder/cache.h"
#include "formats/core/buf.h"
#include "formats/core/err.h"
#include "formats/core/out.h"

struct http_stats {
	uint64_t bytes;	    /* body bytes received */
	unsigned requests;  /* finished requests (success or failure) */
	unsigned submitted; /* requests submitted so far */
	unsigned retries;
	unsigned failures;
	double seconds; /* since the client was created */
};

struct http_opts {
	int jobs;		 /* concurrent transfers; <= 0: 10 */
	int retries;		 /* extra attempts after the first; < 0: 5 */
	long backoff_ms;	 /* first retry delay; <= 0: 200 */
	long connect_timeout_ms; /* <= 0: 15000 */
	long stall_timeout_s;	 /* <= 0: 30 */
	const char *cert;	 /* --cert: CA bundle; NULL: system default */
	const char *user_agent;	 /* NULL: "appbuild/<version>" */
	bool no_netrc;
	/* AB_OUT_DEBUG: one line per attempt (-v): "GET URL: 200, N bytes, N ms"
	 * (", revalidated" on a 304, ", range", ", resumed", ", attempt N").
	 * out->progress gets a struct ab_progress (requests finished/submitted,
	 * body bytes) at most every 100 ms and with `final` at the end of each
	 * http_run(). May be NULL. */
	struct ab_out *out;
	/* The same reports as http_stats, for callers without an ab_out
	 * progress hook. May be NULL. */
	void (*progress)(void *data, const struct http_stats *st);
	void *progress_data;
};

struct http_req;
typedef void http_done_fn(struct http_req *req, void *data);

struct http_req {
	/* in (set before http_submit) */
	const char *url;
	const char *accept;	       /* Accept header; NULL: none */
	const char *if_none_match;     /* conditional GET (ETag); NULL: none */
	const char *if_modified_since; /* conditional GET (Last-Modified); NULL: none */
	int64_t range_start;	       /* with range_len > 0: bytes=start-(start+len-1); */
	int64_t range_len;	       /* range_start < 0: the last range_len bytes */
	const char *expect_sha256;     /* a complete (200) body must hash to this */
	bool no_sha256;		       /* do not hash the body: sha256 stays "" (and
					* expect_sha256 must be NULL) */
	const struct cache *to_cache;  /* stream the body into this cache's files/ */
	size_t max_body;	       /* memory bodies: cap (0: 256 MiB) */
	http_done_fn *done;	       /* may be NULL */
	void *data;

	/* out (valid in `done` and after http_run) */
	int result;	    /* 0, or a negative AB_E_NETWORK / AB_E_HASH / AB_E_IO */
	struct ab_err err;  /* why, naming the (redacted) URL */
	long status;	    /* last HTTP status; file:// success is 200 */
	struct ab_buf body; /* the body, unless to_cache */
	struct ab_buf path; /* to_cache: the cache entry's path */
	char sha256[65];    /* sha256 of the body (complete responses) */
	char *etag, *last_modified, *cache_control, *content_type;
	char *effective_url; /* after redirects */
	int64_t range_total; /* 206: the total size from Content-Range; -1 unknown */
	int attempts;

	/* private */
	struct http_priv *priv;
};

/* Create a client. Never fails (libcurl is initialised on the first
 * transfer that needs it; if it cannot be, that request fails with
 * AB_E_INTERNAL); `err` is unused. Free with http_client_free(). */
struct http_client *http_client_new(const struct http_opts *opts, struct ab_err *err);
void http_client_free(struct http_client *cl);

/* Queue a request (its out fields are reset). Never fails. */
void http_submit(struct http_client *cl, struct http_req *req);
/* Run until every submitted request (and those submitted by callbacks) has
 * finished. Returns the number of failed requests (each has its own error). */
int http_run(struct http_client *cl);
/* Submit, run until everything is finished, return req->result. */
int http_fetch(struct http_client *cl, struct http_req *req);
const struct http_stats *http_client_stats(const struct http_client *cl);

/* Free the out fields of a finished request (not the in fields). */
void http_req_release(struct http_req *req);

/* Append `url` with any password replaced by "****". */
void http_redact_url(const char *url, struct ab_buf *out);

#endif
