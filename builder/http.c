/* http.c - the libcurl multi fetcher. */
#include "builder/http.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/mem.h"
#include "formats/lazy/lazy.h"

struct http_priv {
	CURL *easy;
	struct curl_slist *headers;
	struct cache_writer w;
	bool writer_open;
	struct cache_sha256 h;
	int64_t received;   /* body bytes kept for this request (across resumes) */
	int64_t attempt_rx; /* body bytes seen in this attempt */
	bool accept_ranges; /* the server said Accept-Ranges: bytes */
	bool resuming;	    /* this attempt asks for bytes=received- */
	bool started;	    /* the first body byte of this attempt was seen */
	bool discard;	    /* an error response: the body is dropped */
	bool overflow;	    /* the body exceeded max_body */
	bool resume_broken; /* a 206 that does not continue where we stopped */
	int64_t cr_start;   /* Content-Range start of this attempt */
	double next_try;
	double t0;
	char errbuf[CURL_ERROR_SIZE];
	struct ab_err werr; /* a cache write failure */
	struct http_req *next;
	struct http_client *cl;
};

struct http_client {
	CURLM *multi;
	struct http_opts o;
	struct http_req *head, *tail; /* pending, in submission order */
	int active;
	CURL **idle;
	size_t nidle, capidle;
	struct http_stats st;
	double start, last_progress;
	int failed;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void http_redact_url(const char *url, struct ab_buf *out)
{
	const char *s = strstr(url, "://");
	if (!s) {
		ab_buf_adds(out, url);
		return;
	}
	s += 3;
	size_t auth_len = strcspn(s, "/?#");
	const char *at = NULL;
	for (const char *p = s; p < s + auth_len; p++)
		if (*p == '@')
			at = p;
	const char *colon = at ? memchr(s, ':', (size_t)(at - s)) : NULL;
	if (!colon) {
		ab_buf_adds(out, url);
		return;
	}
	ab_buf_add(out, url, (size_t)(colon + 1 - url));
	ab_buf_adds(out, "****");
	ab_buf_adds(out, at);
}

/* libcurl is set up on the first transfer it has to make, not with the
 * client: a warm lock over a file:// index makes none (fast_file()), and
 * libcurl's global init (TLS backends) is a good part of such a run.
 * Returns 0, or -1 when libcurl cannot be initialised. */
static int ensure_multi(struct http_client *cl)
{
	static bool inited;
	if (cl->multi)
		return 0;
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return -1;
		inited = true;
	}
	cl->multi = curl_multi_init();
	if (!cl->multi)
		return -1;
	/* HTTP/2: many streams over one connection when the server offers it */
	curl_multi_setopt(cl->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(cl->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cl->o.jobs);
	return 0;
}

struct http_client *http_client_new(const struct http_opts *opts, struct ab_err *err)
{
	struct http_client *cl = ab_xcalloc(1, sizeof(*cl));
	if (opts)
		cl->o = *opts;
	if (cl->o.jobs <= 0)
		cl->o.jobs = 10;
	if (cl->o.retries < 0)
		cl->o.retries = 5;
	if (cl->o.backoff_ms <= 0)
		cl->o.backoff_ms = 200;
	if (cl->o.connect_timeout_ms <= 0)
		cl->o.connect_timeout_ms = 15000;
	if (cl->o.stall_timeout_s <= 0)
		cl->o.stall_timeout_s = 30;
	if (!cl->o.user_agent)
		cl->o.user_agent = "appbuild/0.1";
	cl->start = now_s();
	return cl;
}

void http_client_free(struct http_client *cl)
{
	if (!cl)
		return;
	for (size_t i = 0; i < cl->nidle; i++)
		curl_easy_cleanup(cl->idle[i]);
	free(cl->idle);
	if (cl->multi)
		curl_multi_cleanup(cl->multi);
	free(cl);
}

const struct http_stats *http_client_stats(const struct http_client *cl)
{
	return &cl->st;
}

static void free_str(char **p)
{
	free(*p);
	*p = NULL;
}

static void reset_response(struct http_req *r)
{
	free_str(&r->etag);
	free_str(&r->last_modified);
	free_str(&r->cache_control);
	free_str(&r->content_type);
	r->range_total = -1;
	r->priv->cr_start = -1;
	r->priv->accept_ranges = false;
}

void http_req_release(struct http_req *req)
{
	free_str(&req->etag);
	free_str(&req->last_modified);
	free_str(&req->cache_control);
	free_str(&req->content_type);
	free_str(&req->effective_url);
	ab_buf_release(&req->body);
	ab_buf_release(&req->path);
	ab_err_release(&req->err);
}

void http_submit(struct http_client *cl, struct http_req *req)
{
	http_req_release(req);
	req->result = 0;
	req->status = 0;
	req->sha256[0] = '\0';
	req->range_total = -1;
	req->attempts = 0;
	ab_err_init(&req->err);
	ab_buf_init(&req->body, req->max_body ? req->max_body : (size_t)256 << 20);
	struct http_priv *p = ab_xcalloc(1, sizeof(*p));
	req->priv = p;
	p->w.fd = -1;
	p->cl = cl;
	cache_sha256_init(&p->h);
	p->next_try = 0;
	if (cl->tail)
		cl->tail->priv->next = req;
	else
		cl->head = req;
	cl->tail = req;
	cl->st.submitted++;
}

static char *dup_trim(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return ab_xstrndup(s, n);
}

static bool header_is(const char *line, size_t n, const char *name, const char **val, size_t *vn)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
		return false;
	*val = line + k + 1;
	*vn = n - k - 1;
	return true;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
	struct http_req *r = ud;
	size_t n = size * nitems;
	const char *v;
	size_t vn;
	if (n >= 5 && !memcmp(line, "HTTP/", 5)) {
		/* a new response (after a redirect or a 100): forget the last one */
		reset_response(r);
		return n;
	}
	if (header_is(line, n, "etag", &v, &vn)) {
		free(r->etag);
		r->etag = dup_trim(v, vn);
	} else if (header_is(line, n, "last-modified", &v, &vn)) {
		free(r->last_modified);
		r->last_modified = dup_trim(v, vn);
	} else if (header_is(line, n, "cache-control", &v, &vn)) {
		free(r->cache_control);
		r->cache_control = dup_trim(v, vn);
	} else if (header_is(line, n, "content-type", &v, &vn)) {
		free(r->content_type);
		r->content_type = dup_trim(v, vn);
	} else if (header_is(line, n, "accept-ranges", &v, &vn)) {
		char *t = dup_trim(v, vn);
		r->priv->accept_ranges = !strcasecmp(t, "bytes");
		free(t);
	} else if (header_is(line, n, "content-range", &v, &vn)) {
		/* RFC 9110 14.4: "bytes first-last/complete" */
		char *t = dup_trim(v, vn);
		long long a, b, total;
		if (sscanf(t, "bytes %lld-%lld/%lld", &a, &b, &total) == 3) {
			r->priv->cr_start = a;
			r->range_total = total;
		} else if (sscanf(t, "bytes %lld-%lld/*", &a, &b) == 2) {
			r->priv->cr_start = a;
		}
		free(t);
	}
	return n;
}

static void restart_body(struct http_req *r)
{
	struct http_priv *p = r->priv;
	char junk[65];
	ab_buf_reset(&r->body);
	if (p->writer_open)
		cache_writer_restart(&p->w, &p->werr);
	cache_sha256_final(&p->h, junk);
	p->received = 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct http_req *r = ud;
	struct http_priv *p = r->priv;
	size_t n = size * nmemb;
	if (!p->started) {
		p->started = true;
		long code = 0;
		curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &code);
		p->discard = code >= 300;
		if (!p->discard && p->resuming) {
			if (code != 206) {
				/* the server sent the whole body again: start over */
				restart_body(r);
			} else if (p->cr_start != p->received) {
				p->resume_broken = true;
				return 0;
			}
		}
	}
	if (p->discard)
		return n;
	if (p->writer_open) {
		if (cache_writer_write(&p->w, data, n, &p->werr) < 0)
			return 0;
	} else if (ab_buf_add(&r->body, data, n) < 0) {
		p->overflow = true;
		return 0;
	}
	if (!r->no_sha256)
		cache_sha256_update(&p->h, data, n);
	p->received += (int64_t)n;
	p->attempt_rx += (int64_t)n;
	p->cl->st.bytes += n;
	return n;
}

static CURL *get_easy(struct http_client *cl)
{
	if (cl->nidle) {
		CURL *e = cl->idle[--cl->nidle];
		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

static bool is_file_url(const char *url)
{
	return !strncasecmp(url, "file:", 5);
}

static int start(struct http_client *cl, struct http_req *r)
{
	struct http_priv *p = r->priv;
	char range[64];
	r->attempts++;
	p->started = p->discard = p->overflow = p->resume_broken = false;
	p->attempt_rx = 0;
	p->errbuf[0] = '\0';
	p->t0 = now_s();
	if (r->to_cache && !p->writer_open) {
		if (cache_writer_open(r->to_cache, &p->w, &r->err) < 0)
			return -1;
		p->writer_open = true;
	}
	if (!p->resuming)
		restart_body(r);
	if (ensure_multi(cl) < 0) {
		const char *why = lazy_error(LAZY_CURL);
		ab_err_set(&r->err, AB_E_INTERNAL, "%s", why ? why : "cannot initialise libcurl");
		return -1;
	}
	p->easy = get_easy(cl);
	if (!p->easy) {
		ab_err_set(&r->err, AB_E_INTERNAL, "cannot create a libcurl handle");
		return -1;
	}
	CURL *e = p->easy;
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, cl->o.user_agent);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cl->o.connect_timeout_ms);
	/* a stalled transfer (headers or body) counts as a timeout */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, cl->o.stall_timeout_s);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* wait for a connection that may multiplex (HTTP/2 over TLS) rather
	 * than open another; over cleartext HTTP/1.1 that only serialises */
	if (!strncasecmp(r->url, "https:", 6))
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	if (!cl->o.no_netrc)
		curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	if (cl->o.cert)
		curl_easy_setopt(e, CURLOPT_CAINFO, cl->o.cert);
	if (p->headers)
		curl_slist_free_all(p->headers);
	p->headers = NULL;
	struct ab_buf h = AB_BUF_INIT;
	if (r->accept) {
		ab_buf_addf(&h, "Accept: %s", r->accept);
		p->headers = curl_slist_append(p->headers, h.buf);
	}
	if (r->if_none_match) {
		ab_buf_reset(&h);
		ab_buf_addf(&h, "If-None-Match: %s", r->if_none_match);
		p->headers = curl_slist_append(p->headers, h.buf);
	}
	if (r->if_modified_since) {
		ab_buf_reset(&h);
		ab_buf_addf(&h, "If-Modified-Since: %s", r->if_modified_since);
		p->headers = curl_slist_append(p->headers, h.buf);
	}
	ab_buf_release(&h);
	if (p->headers)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
	if (p->resuming) {
		snprintf(range, sizeof(range), "%" PRId64 "-", p->received);
		curl_easy_setopt(e, CURLOPT_RANGE, range);
	} else if (r->range_len > 0) {
		if (r->range_start < 0)
			snprintf(range, sizeof(range), "-%" PRId64, r->range_len);
		else
			snprintf(range, sizeof(range), "%" PRId64 "-%" PRId64, r->range_start,
				 r->range_start + r->range_len - 1);
		curl_easy_setopt(e, CURLOPT_RANGE, range);
	} else {
		/* compressed pages; never for ranges, whose offsets are of the raw bytes */
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	}
	curl_multi_add_handle(cl->multi, e);
	cl->active++;
	return 0;
}

static void release_priv(struct http_client *cl, struct http_req *r)
{
	struct http_priv *p = r->priv;
	if (!p)
		return;
	if (p->easy) {
		AB_GROW(cl->idle, cl->capidle, cl->nidle + 1);
		cl->idle[cl->nidle++] = p->easy;
	}
	curl_slist_free_all(p->headers);
	if (p->writer_open)
		cache_writer_abort(&p->w);
	cache_sha256_release(&p->h);
	ab_err_release(&p->werr);
	free(p);
	r->priv = NULL;
}

static void finish(struct http_client *cl, struct http_req *r)
{
	release_priv(cl, r);
	cl->st.requests++;
	if (r->result < 0) {
		cl->st.failures++;
		cl->failed++;
	}
	if (r->done)
		r->done(r, r->data);
}

static bool retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

/* -v: one line per attempt, "GET URL: 200, 4312 bytes, 12 ms", with what
 * happened to the cache entry it was checking (revalidated on a 304) and
 * whether it resumed or retried */
static void log_attempt(struct http_client *cl, struct http_req *r, CURLcode c, long status)
{
	if (!cl->o.out || cl->o.out->verbosity < AB_OUT_DEBUG)
		return;
	struct ab_buf u = AB_BUF_INIT, how = AB_BUF_INIT;
	http_redact_url(r->url, &u);
	double ms = (now_s() - r->priv->t0) * 1000;
	if (status == 304)
		ab_buf_adds(&how, ", revalidated");
	if (r->range_len > 0)
		ab_buf_adds(&how, ", range");
	if (r->priv->resuming)
		ab_buf_adds(&how, ", resumed");
	if (r->attempts > 1)
		ab_buf_addf(&how, ", attempt %d", r->attempts);
	if (c == CURLE_OK)
		ab_out_msg(cl->o.out, AB_OUT_DEBUG, NULL,
			   "GET %s: %ld, %" PRId64 " bytes, %.0f ms%s", u.buf, status,
			   r->priv->attempt_rx, ms, how.buf);
	else
		ab_out_msg(cl->o.out, AB_OUT_DEBUG, NULL, "GET %s: %s, %.0f ms%s", u.buf,
			   r->priv->errbuf[0] ? r->priv->errbuf : curl_easy_strerror(c), ms,
			   how.buf);
	ab_buf_release(&u);
	ab_buf_release(&how);
}

static void fail(struct http_req *r, int code, const char *why)
{
	struct ab_buf u = AB_BUF_INIT;
	http_redact_url(r->url, &u);
	if (r->attempts > 1)
		r->result = ab_err_set(&r->err, code, "cannot fetch '%s': %s (after %d attempts)",
				       u.buf, why, r->attempts);
	else
		r->result = ab_err_set(&r->err, code, "cannot fetch '%s': %s", u.buf, why);
	ab_buf_release(&u);
}

static void success(struct http_req *r)
{
	struct http_priv *p = r->priv;
	if (r->status == 304 || r->status == 206)
		return;
	if (r->no_sha256)
		r->sha256[0] = '\0';
	else
		cache_sha256_final(&p->h, r->sha256);
	if (r->expect_sha256 && strcasecmp(r->expect_sha256, r->sha256)) {
		struct ab_buf u = AB_BUF_INIT;
		http_redact_url(r->url, &u);
		r->result = ab_err_set(&r->err, AB_E_HASH,
				       "hash mismatch for '%s': expected sha256 %s, got %s", u.buf,
				       r->expect_sha256, r->sha256);
		ab_buf_release(&u);
		ab_buf_reset(&r->body);
		return;
	}
	if (p->writer_open) {
		p->writer_open = false;
		int rc = cache_writer_commit(&p->w, NULL, &r->path, NULL, &r->err);
		if (rc < 0)
			r->result = rc;
	}
}

static void done_msg(struct http_client *cl, CURLMsg *m)
{
	struct http_req *r = NULL;
	CURL *e = m->easy_handle;
	CURLcode c = m->data.result;
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
	curl_multi_remove_handle(cl->multi, e);
	cl->active--;
	struct http_priv *p = r->priv;
	long status = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (c == CURLE_OK && is_file_url(r->url))
		status = r->range_len > 0 ? 206 : 200;
	/* a resumed full download is complete once its last range arrived */
	if (c == CURLE_OK && status == 206 && p->resuming)
		status = 200;
	r->status = status;
	char *eff = NULL;
	curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
	free(r->effective_url);
	r->effective_url = eff ? ab_xstrdup(eff) : NULL;
	log_attempt(cl, r, c, status);
	bool retry = false;
	char why[CURL_ERROR_SIZE + 64];
	if (c == CURLE_OK) {
		if (status >= 500 || status == 429) {
			retry = true;
			snprintf(why, sizeof(why), "HTTP %ld", status);
		} else if (status >= 400 || (status >= 300 && status != 304)) {
			snprintf(why, sizeof(why), "HTTP %ld", status);
			fail(r, AB_E_NETWORK, why);
			goto out;
		} else {
			p->easy = e;
			success(r);
			goto out;
		}
	} else {
		if (p->werr.code) {
			r->result = ab_err_set(&r->err, p->werr.code, "%s", p->werr.msg.buf);
			goto out;
		}
		if (p->overflow) {
			fail(r, AB_E_NETWORK, "response too large");
			goto out;
		}
		snprintf(why, sizeof(why), "%s", p->errbuf[0] ? p->errbuf : curl_easy_strerror(c));
		retry = retryable(c) || p->resume_broken;
	}
	if (!retry || r->attempts > cl->o.retries) {
		fail(r, AB_E_NETWORK, why);
		/* libcurl's text ("SSL certificate problem: unable to get local
		 * issuer certificate") names the problem; say what fixes it, as
		 * pip's SSLError hint does */
		if (c == CURLE_PEER_FAILED_VERIFICATION)
			ab_err_note(&r->err, "the server's certificate is not trusted%s",
				    cl->o.cert ? " by the CA bundle given with --cert"
					       : ": give its CA bundle with --cert FILE");
		else if (c == CURLE_SSL_CACERT_BADFILE)
			ab_err_note(&r->err, "cannot use the CA bundle '%s'",
				    cl->o.cert ? cl->o.cert : "(system default)");
		goto out;
	}
	/* resume a truncated full download when the server takes ranges */
	p->resuming = r->range_len <= 0 && !p->resume_broken && p->accept_ranges &&
		      p->received > 0 && !p->discard && c != CURLE_OK;
	int shift = r->attempts - 1 > 10 ? 10 : r->attempts - 1;
	p->next_try = now_s() + (double)cl->o.backoff_ms / 1000.0 * (double)(1L << shift);
	AB_GROW(cl->idle, cl->capidle, cl->nidle + 1);
	cl->idle[cl->nidle++] = e;
	p->easy = NULL;
	cl->st.retries++;
	p->next = NULL;
	if (cl->tail)
		cl->tail->priv->next = r;
	else
		cl->head = r;
	cl->tail = r;
	return;
out:
	p->easy = e;
	finish(cl, r);
}

/* A plain local file into a memory body without libcurl: a file://
 * transfer costs libcurl a handle setup, URL parse and multi-loop turn
 * (most of a warm-cache lock over a file:// index). Only the simple case
 * is taken here: "file:///path" with nothing libcurl would rewrite
 * (percent escapes, dot segments, query, fragment), a regular file that
 * opens, reads whole and fits max_body. Anything else (and every error)
 * goes through libcurl as before, so results and messages do not change.
 * Returns true when the request was completed (finish() called). */
static bool fast_file(struct http_client *cl, struct http_req *r)
{
	struct http_priv *p = r->priv;
	if (strncmp(r->url, "file:///", 8) || r->to_cache || r->range_len > 0 || p->resuming ||
	    r->attempts || strpbrk(r->url, "%?#\\") || strstr(r->url, "/./") ||
	    strstr(r->url, "/../"))
		return false;
	for (const char *c = r->url; *c; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
			return false; /* libcurl refuses or escapes these */
	const char *path = r->url + 7;
	size_t pl = strlen(path);
	if ((pl >= 2 && !strcmp(path + pl - 2, "/.")) || (pl >= 3 && !strcmp(path + pl - 3, "/..")))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	p->t0 = now_s();
	restart_body(r);
	bool ok = true;
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0 || ab_buf_add(&r->body, buf, (size_t)n) < 0) {
			ok = false;
			break;
		}
		if (!r->no_sha256)
			cache_sha256_update(&p->h, buf, (size_t)n);
		p->attempt_rx += n;
	}
	close(fd);
	if (!ok) {
		restart_body(r);
		p->attempt_rx = 0;
		return false;
	}
	r->attempts++;
	p->received = p->attempt_rx;
	cl->st.bytes += (uint64_t)p->attempt_rx;
	r->status = 200;
	free(r->effective_url);
	r->effective_url = ab_xstrdup(r->url);
	/* the headers libcurl's file:// handler makes up (lib/file.c): only
	 * Last-Modified and Accept-ranges reach a field here */
	static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char lm[64];
	if (gmtime_r(&st.st_mtime, &tm)) {
		snprintf(lm, sizeof(lm), "%s, %02d %s %4d %02d:%02d:%02d GMT", wday[tm.tm_wday],
			 tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		free(r->last_modified);
		r->last_modified = ab_xstrdup(lm);
	}
	p->accept_ranges = true;
	log_attempt(cl, r, CURLE_OK, 200);
	success(r);
	finish(cl, r);
	return true;
}

/* Start every pending request whose time has come, up to `jobs`. Returns
 * seconds until the next delayed one, or -1. */
static double start_ready(struct http_client *cl)
{
	double t = now_s(), wait = -1;
	struct http_req *prev = NULL, *r = cl->head;
	while (r && cl->active < cl->o.jobs) {
		struct http_req *next = r->priv->next;
		if (r->priv->next_try > t) {
			double w = r->priv->next_try - t;
			if (wait < 0 || w < wait)
				wait = w;
			prev = r;
			r = next;
			continue;
		}
		if (prev)
			prev->priv->next = next;
		else
			cl->head = next;
		if (cl->tail == r)
			cl->tail = prev;
		r->priv->next = NULL;
		if (fast_file(cl, r)) {
			prev = NULL;
			r = cl->head;
			continue;
		}
		if (start(cl, r) < 0) {
			r->result = r->err.code ? -r->err.code : -AB_E_INTERNAL;
			finish(cl, r);
			/* finish may have submitted; rescan from the start */
			prev = NULL;
			r = cl->head;
			continue;
		}
		r = next;
	}
	return wait;
}

static void progress(struct http_client *cl, bool force)
{
	double t = now_s();
	cl->st.seconds = t - cl->start;
	bool hook = cl->o.out && cl->o.out->progress;
	if ((!cl->o.progress && !hook) || (!force && t - cl->last_progress < 0.1))
		return;
	cl->last_progress = t;
	if (cl->o.progress)
		cl->o.progress(cl->o.progress_data, &cl->st);
	if (hook) {
		struct ab_progress p = { cl->st.requests, cl->st.submitted, cl->st.failures,
					 cl->st.bytes,	  cl->st.seconds,   force };
		ab_out_progress(cl->o.out, &p);
	}
}

int http_run(struct http_client *cl)
{
	cl->failed = 0;
	while (cl->head || cl->active) {
		double wait = start_ready(cl);
		int running = 0;
		CURLMsg *m;
		int left;
		bool any = false;
		if (!cl->multi)
			continue; /* everything so far was a local file */
		curl_multi_perform(cl->multi, &running);
		while ((m = curl_multi_info_read(cl->multi, &left))) {
			if (m->msg == CURLMSG_DONE) {
				done_msg(cl, m);
				any = true;
			}
		}
		progress(cl, false);
		if (any)
			continue;
		int timeout = 1000;
		if (wait >= 0 && wait * 1000 < timeout)
			timeout = (int)(wait * 1000) + 1;
		if (cl->active || cl->head)
			curl_multi_poll(cl->multi, NULL, 0, timeout, NULL);
	}
	progress(cl, true);
	return cl->failed;
}

int http_fetch(struct http_client *cl, struct http_req *req)
{
	http_submit(cl, req);
	http_run(cl);
	return req->result;
}
