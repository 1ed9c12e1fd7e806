/* cmd_index.c - `appbuild index versions NAME...` and
 * `appbuild index metadata NAME==VERSION...`: ask the package indexes.
 *
 * Every project page (and then every metadata file) is queued first and
 * fetched in parallel; output follows in argument order. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/index.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "formats/core/mem.h"

struct index_opts {
	const char *index_url;
	struct opt_list extra_index_url;
	struct opt_list find_links;
	bool no_index;
	bool offline;
	const char *cache_dir;
	bool no_cache;
	const char *cert;
	const char *jobs;
	bool json;
};

static const struct cli_option index_options[] = {
	{ "index-url", 'i', OPT_STRING, offsetof(struct index_opts, index_url), "URL",
	  "the primary index (default https://pypi.org/simple/)", NULL, NULL },
	{ "extra-index-url", 0, OPT_LIST, offsetof(struct index_opts, extra_index_url), "URL",
	  "another index, searched too", NULL, NULL },
	{ "find-links", 'f', OPT_LIST, offsetof(struct index_opts, find_links), "PATH|URL",
	  "a directory or HTML page of distributions", NULL, NULL },
	{ "no-index", 0, OPT_BOOL, offsetof(struct index_opts, no_index), NULL,
	  "use no index, only --find-links", NULL, NULL },
	{ "offline", 0, OPT_BOOL, offsetof(struct index_opts, offline), NULL,
	  "answer from the cache only, never use the network", NULL, NULL },
	{ "cache-dir", 0, OPT_STRING, offsetof(struct index_opts, cache_dir), "DIR",
	  "the cache (default $XDG_CACHE_HOME/appbuild)", NULL, NULL },
	{ "no-cache", 0, OPT_BOOL, offsetof(struct index_opts, no_cache), NULL,
	  "neither read nor keep cached pages and files", NULL, NULL },
	{ "cert", 0, OPT_STRING, offsetof(struct index_opts, cert), "FILE",
	  "CA bundle to verify HTTPS servers with (PEM)", NULL, NULL },
	{ "jobs", 'j', OPT_STRING, offsetof(struct index_opts, jobs), "N",
	  "transfers at once (default 10)", NULL, NULL },
	{ "json", 0, OPT_BOOL, offsetof(struct index_opts, json), NULL, "print JSON on stdout",
	  NULL, NULL },
	OPT_END,
};

const struct cmd_spec index_spec = {
	index_options,
	sizeof(struct index_opts),
	"versions NAME... | metadata NAME==VERSION...",
	"list versions and read metadata from the package indexes",
	"'versions' lists every version of each project with its files, newest first.\n"
	"'metadata' prints the core metadata (METADATA) of a release as served: the\n"
	"PEP 658 sidecar when the index has one, else read from the wheel with HTTP\n"
	"range requests (wheels are preferred over sdists).\n"
	"\n"
	"Sources, as pip has them: the primary index is --index-url, else\n"
	"APPBUILD_INDEX_URL, else PIP_INDEX_URL, else https://pypi.org/simple/.\n"
	"--extra-index-url and --find-links may be repeated; they add to\n"
	"APPBUILD_EXTRA_INDEX_URL (else PIP_EXTRA_INDEX_URL) and APPBUILD_FIND_LINKS\n"
	"(else PIP_FIND_LINKS), whitespace-separated lists. --no-index (or\n"
	"APPBUILD_NO_INDEX / PIP_NO_INDEX) drops every index. Paths and file:// URLs\n"
	"work wherever http(s):// URLs do. --cert defaults to APPBUILD_CERT, else\n"
	"PIP_CERT; credentials come from the URL or ~/.netrc, proxies from the usual\n"
	"variables.\n"
	"\n"
	"Pages and files are cached (--cache-dir) and pages revalidated; --offline\n"
	"answers from the cache and names what is missing. Progress: a status line\n"
	"on a terminal, else one summary line on stderr; -v logs every request.\n"
	"Exit status: 2 usage, 6 network (or not in the cache offline), 7 no such\n"
	"project or version, 8 hash mismatch, 10 an sdist's metadata.",
};

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *file_json(const struct index_candidate *c)
{
	json_t *f = json_object();
	json_object_set_new(f, "filename", json_string(c->filename));
	json_object_set_new(f, "url", json_string(c->url));
	json_object_set_new(f, "sha256", str_or_null(c->sha256));
	json_object_set_new(f, "requires_python", str_or_null(c->requires_python));
	json_object_set_new(f, "yanked", json_boolean(c->yanked));
	if (c->yanked)
		json_object_set_new(f, "yanked_reason", json_string(c->yanked_reason));
	json_object_set_new(f, "has_metadata", json_boolean(c->has_metadata));
	json_object_set_new(f, "metadata_sha256", str_or_null(c->metadata_sha256));
	return f;
}

static int versions(struct index *ix, int argc, char **argv, bool json, struct ab_err *err)
{
	json_t *all = json ? json_array() : NULL;
	int r = 0;
	for (int i = 0; i < argc; i++)
		index_prefetch_project(ix, argv[i]);
	index_wait(ix);
	for (int i = 0; i < argc && r == 0; i++) {
		const struct index_candidate *c;
		size_t n;
		r = index_candidates(ix, argv[i], &c, &n, err);
		if (r < 0)
			break;
		if (n == 0) {
			r = ab_err_set(err, AB_E_RESOLVE, "no distributions found for '%s'",
				       argv[i]);
			break;
		}
		json_t *vs = json ? json_array() : NULL;
		if (!json)
			printf("%s\n", c[0].project);
		for (size_t k = 0; k < n;) {
			size_t e = k;
			while (e < n && pep440_version_cmp(c[e].version, c[k].version) == 0)
				e++;
			json_t *files = json ? json_array() : NULL;
			for (size_t j = k; j < e; j++) {
				if (json) {
					json_array_append_new(files, file_json(&c[j]));
					continue;
				}
				printf("  %-12s %s", j == k ? c[j].version->str : "",
				       c[j].filename);
				if (c[j].requires_python)
					printf("  requires-python %s", c[j].requires_python);
				if (c[j].yanked)
					printf("  yanked%s%s", *c[j].yanked_reason ? ": " : "",
					       c[j].yanked_reason);
				printf("\n");
			}
			if (json) {
				json_t *v = json_object();
				json_object_set_new(v, "version", json_string(c[k].version->str));
				json_object_set_new(v, "files", files);
				json_array_append_new(vs, v);
			}
			k = e;
		}
		if (json) {
			json_t *p = json_object();
			json_object_set_new(p, "name", json_string(c[0].project));
			json_object_set_new(p, "versions", vs);
			json_array_append_new(all, p);
		}
	}
	if (json && r == 0) {
		char *s = json_dumps(all, JSON_INDENT(2));
		puts(s);
		free(s);
	}
	json_decref(all);
	return r;
}

static int pick(struct index *ix, const char *arg, const struct index_candidate **out,
		struct ab_err *err)
{
	const char *eq = strstr(arg, "==");
	if (!eq || eq == arg || !eq[2])
		return ab_err_set(err, AB_E_USAGE, "expected NAME==VERSION, got '%s'", arg);
	char *name = ab_xstrndup(arg, (size_t)(eq - arg));
	struct pep440_version *want = NULL;
	const struct index_candidate *c;
	size_t n;
	int r = pep440_version_parse(ab_str_from(eq + 2), &want, err);
	if (r < 0)
		goto out;
	r = index_candidates(ix, name, &c, &n, err);
	if (r < 0)
		goto out;
	*out = NULL;
	/* wheels sort first within a version: their metadata needs no build */
	for (size_t i = 0; i < n && !*out; i++)
		if (pep440_version_cmp(c[i].version, want) == 0)
			*out = &c[i];
	if (!*out)
		r = ab_err_set(err, AB_E_RESOLVE, "no distribution of '%s' has version %s", name,
			       want->str);
out:
	pep440_version_free(want);
	free(name);
	return r;
}

static int metadata(struct index *ix, int argc, char **argv, bool json, struct ab_err *err)
{
	const struct index_candidate **cs = ab_xcalloc((size_t)argc + 1, sizeof(*cs));
	json_t *all = json ? json_array() : NULL;
	int r = 0;
	for (int i = 0; i < argc; i++) {
		const char *eq = strstr(argv[i], "==");
		char *name = ab_xstrndup(argv[i], eq ? (size_t)(eq - argv[i]) : strlen(argv[i]));
		struct pep440_version *v = eq ? pep440_version_new(eq + 2) : NULL;
		if (v)
			index_prefetch_version(ix, name, v);
		else
			index_prefetch_project(ix, name);
		pep440_version_free(v);
		free(name);
	}
	index_wait(ix);
	for (int i = 0; i < argc && r == 0; i++) {
		r = pick(ix, argv[i], &cs[i], err);
		if (r == 0)
			index_prefetch_metadata(ix, cs[i]);
	}
	if (r == 0)
		index_wait(ix);
	for (int i = 0; i < argc && r == 0; i++) {
		struct ab_str md;
		r = index_metadata(ix, cs[i], &md, err);
		if (r < 0)
			break;
		if (json) {
			json_t *o = json_object();
			json_object_set_new(o, "name", json_string(cs[i]->project));
			json_object_set_new(o, "version", json_string(cs[i]->version->str));
			json_object_set_new(o, "filename", json_string(cs[i]->filename));
			json_object_set_new(o, "metadata", json_stringn(md.ptr, md.len));
			json_array_append_new(all, o);
		} else {
			fwrite(md.ptr, 1, md.len, stdout);
		}
	}
	if (json && r == 0) {
		char *s = json_dumps(all, JSON_INDENT(2));
		puts(s);
		free(s);
	}
	json_decref(all);
	free(cs);
	return r;
}

/* --jobs N: a positive count */
static int parse_jobs(const char *s, int *out, struct ab_err *err)
{
	char *end;
	long n = s ? strtol(s, &end, 10) : 0;
	if (!s) {
		*out = 0;
		return 0;
	}
	if (end == s || *end || n < 1 || n > 1000) {
		int r = ab_err_set(err, AB_E_USAGE, "invalid value '%s' for '--jobs'", s);
		ab_err_note(err, "expected a number of transfers from 1 to 1000");
		return r;
	}
	*out = (int)n;
	return 0;
}

int cmd_index(struct cmd_ctx *ctx, struct ab_err *err)
{
	const struct index_opts *o = ctx->opts;
	struct cache cache = CACHE_INIT;
	struct http_client *http = NULL;
	struct index_sources src;
	struct index *ix = NULL;
	bool have_src = false, progress = false;
	int r;
	if (ctx->argc < 2 ||
	    (strcmp(ctx->argv[0], "versions") && strcmp(ctx->argv[0], "metadata"))) {
		r = ab_err_set(err, AB_E_USAGE,
			       "expected 'versions NAME...' or 'metadata NAME==VERSION...'");
		ab_err_note(err, "see 'appbuild index --help'");
		return r;
	}
	struct http_opts ho = { 0 };
	r = parse_jobs(o->jobs, &ho.jobs, err);
	if (r < 0)
		return r;
	/* struct opt_list is a (values, count) pair, as index_layer wants */
	struct index_layer cli = { o->index_url,     o->extra_index_url.v, o->extra_index_url.n,
				   o->find_links.v, o->find_links.n,	  o->no_index };
	r = index_sources_resolve(&src, &cli, NULL, NULL, err);
	if (r < 0)
		goto out;
	have_src = true;
	r = cache_open(&cache, o->cache_dir, o->no_cache, err);
	if (r < 0)
		goto out;
	ho.retries = -1;
	/* like pip, whose PIP_CERT is often set in CI images */
	ho.cert = o->cert;
	if (!ho.cert)
		ho.cert = getenv("APPBUILD_CERT") ? getenv("APPBUILD_CERT") : getenv("PIP_CERT");
	ho.out = &ctx->cli->out;
	http = http_client_new(&ho, err);
	if (!http) {
		r = -AB_E_INTERNAL;
		goto out;
	}
	cli_progress_begin(ctx->cli);
	progress = true;
	ix = index_new(&src, &cache, http, o->offline, &ctx->cli->out);
	if (!strcmp(ctx->argv[0], "versions"))
		r = versions(ix, ctx->argc - 1, ctx->argv + 1, o->json, err);
	else
		r = metadata(ix, ctx->argc - 1, ctx->argv + 1, o->json, err);
out:
	if (progress)
		cli_progress_end(ctx->cli, "fetched");
	index_free(ix);
	http_client_free(http);
	cache_release(&cache);
	if (have_src)
		index_sources_release(&src);
	return r;
}
