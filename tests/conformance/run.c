/* run.c - the resolver conformance runner (issue #6).
 *
 *   run [--json FILE] [-q] [--via-index [--index-cache DIR]] [SCENARIO.json|DIR ...]
 *
 * Default: $SHARED/conformance/scenarios, else ../shared/conformance/scenarios.
 * Each scenario (../shared/conformance/FORMAT.md) is resolved through
 * builder/resolve: in memory with its own index as the provider, or, with
 * --via-index, through the real index client (builder/index +
 * builder/provider_index) against the static index that
 * $SHARED/tools/materialize-index makes of it (a file:// URL; up to 8
 * materialized at once). --index-cache DIR keeps the materialized indexes
 * under DIR/<sha256 of the scenario and the tool> for the next run (they
 * are reproducible); without it they go to a temporary directory. Then judged
 * by FORMAT.md's pass rules: one line per scenario (`PASS name (ms)` or
 * `FAIL name: why`), the explanation of every unsatisfiable result
 * indented below it (unless -q), totals per source prefix, and
 * `conformance: X/Y passed`. Scenarios without `expected` (or with
 * satisfiable null) are reported, not counted. Exit status 1 on a failure.
 * --json FILE writes {name: {"satisfiable", "resolution", "error"}}. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builder/cache.h"
#include "builder/index.h"
#include "builder/provider_index.h"
#include "builder/resolve.h"
#include "formats/names.h"
#include "formats/core/mem.h"
#include "tests/conformance/scenario.h"

struct tally {
	char prefix[64];
	unsigned pass, fail, other;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(char ***v, size_t *n, size_t *cap, const char *p)
{
	AB_GROW(*v, *cap, *n + 1);
	(*v)[(*n)++] = ab_xstrdup(p);
}

static void collect(const char *arg, char ***v, size_t *n, size_t *cap)
{
	struct stat st;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *d = opendir(arg);
		struct dirent *e;
		size_t first = *n;
		while (d && (e = readdir(d))) {
			size_t l = strlen(e->d_name);
			if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) {
				char *p = ab_xmalloc(strlen(arg) + l + 2);
				sprintf(p, "%s/%s", arg, e->d_name);
				add_path(v, n, cap, p);
				free(p);
			}
		}
		if (d)
			closedir(d);
		qsort(*v + first, *n - first, sizeof(**v), str_cmp);
	} else
		add_path(v, n, cap, arg);
}

static struct tally *tally_for(struct tally *t, size_t *nt, const char *source)
{
	char prefix[64];
	size_t l = strcspn(source, ":");
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(l < 63 ? l : 63), source);
	for (size_t i = 0; i < *nt; i++)
		if (!strcmp(t[i].prefix, prefix))
			return &t[i];
	if (*nt == 16)
		return &t[15];
	memset(&t[*nt], 0, sizeof(t[0]));
	strcpy(t[*nt].prefix, prefix);
	return &t[(*nt)++];
}

static void print_indented(const char *text)
{
	const char *p = text;
	while (*p) {
		size_t l = strcspn(p, "\n");
		printf("    %.*s\n", (int)l, p);
		p += l;
		if (*p)
			p++;
	}
}

/* ---- --via-index ---- */

static const char *shared_dir(void)
{
	const char *shared = getenv("SHARED");
	return shared && *shared ? shared : "../shared";
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	remove(p);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int hash_file(const char *path, struct cache_sha256 *h)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cache_sha256_update(h, chunk, n);
	fclose(f);
	return 0;
}

/* Where scenario i's index is (or goes): DIR/<sha256(scenario, tool)>. */
static char *index_dir(const char *base, const char *scenario, const char *tool)
{
	struct cache_sha256 h;
	char hex[65];
	cache_sha256_init(&h);
	hash_file(scenario, &h);
	hash_file(tool, &h);
	cache_sha256_final(&h, hex);
	cache_sha256_release(&h);
	char *p = ab_xmalloc(strlen(base) + 80);
	sprintf(p, "%s/%.32s", base, hex);
	return p;
}

/* Materialize every index not there yet, up to 8 at once. Returns the
 * number that failed. */
static unsigned materialize(char **paths, char **dirs, size_t n, const char *tool)
{
	unsigned failed = 0, running = 0;
	for (size_t i = 0; i <= n; i++) {
		struct stat st;
		char probe[4200] = "";
		if (i < n)
			snprintf(probe, sizeof(probe), "%s/simple/index.html", dirs[i]);
		while (running && (i == n || running == 8)) {
			int status;
			if (wait(&status) < 0)
				break;
			running--;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				failed++;
		}
		if (i == n || stat(probe, &st) == 0)
			continue;
		/* a half-made index from an interrupted run */
		rm_tree(dirs[i]);
		char tmp[4200];
		snprintf(tmp, sizeof(tmp), "%s.tmp%ld", dirs[i], (long)getpid());
		pid_t pid = fork();
		if (pid == 0) {
			char *argv[] = { (char *)tool, paths[i], tmp, "--quiet", "--force", NULL };
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0)
				dup2(fd, 1);
			if (!fork()) {
				execv(tool, argv);
				_exit(127);
			}
			int status;
			wait(&status);
			_exit(WIFEXITED(status) && !WEXITSTATUS(status) && !rename(tmp, dirs[i])
				      ? 0
				      : 1);
		}
		if (pid > 0)
			running++;
		else
			failed++;
	}
	return failed;
}

struct via {
	struct cache cache;
	struct http_client *http;
	struct index_sources src;
	bool have_src;
	struct index *ix;
	struct provider_index *pi;
	char **nob, **onlyb;
	size_t nnob, nonlyb;
};

static const char *no_env(const char *name)
{
	return NULL; /* hermetic: PIP_* and APPBUILD_* play no part */
}

static char **canon_list(const char *const *l, size_t n)
{
	char **out = ab_xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = strcmp(l[i], ":all:") ? name_canonical_dup(ab_str_from(l[i]))
					       : ab_xstrdup(l[i]);
	return out;
}

static int via_open(struct via *v, struct scen *s, const char *dir, struct ab_err *err)
{
	memset(v, 0, sizeof(*v));
	char url[4300];
	char abs[4096];
	if (!realpath(dir, abs))
		return ab_err_set(err, AB_E_IO, "no index at '%s'", dir);
	snprintf(url, sizeof(url), "file://%s/simple/", abs);
	struct index_layer cli = { url, NULL, 0, NULL, 0, false };
	int r = index_sources_resolve(&v->src, &cli, NULL, no_env, err);
	if (r < 0)
		return r;
	v->have_src = true;
	r = cache_open(&v->cache, NULL, true, err);
	if (r < 0)
		return r;
	struct http_opts ho;
	memset(&ho, 0, sizeof(ho));
	v->http = http_client_new(&ho, err);
	if (!v->http)
		return -AB_E_INTERNAL;
	v->ix = index_new(&v->src, &v->cache, v->http, false, NULL);
	v->nob = canon_list(s->no_binary, s->nno_binary);
	v->onlyb = canon_list(s->only_binary, s->nonly_binary);
	v->nnob = s->nno_binary;
	v->nonlyb = s->nonly_binary;
	return 0;
}

static void via_close(struct via *v)
{
	provider_index_free(v->pi);
	index_free(v->ix);
	http_client_free(v->http);
	cache_release(&v->cache);
	if (v->have_src)
		index_sources_release(&v->src);
	for (size_t i = 0; v->nob && i < v->nnob; i++)
		free(v->nob[i]);
	for (size_t i = 0; v->onlyb && i < v->nonlyb; i++)
		free(v->onlyb[i]);
	free(v->nob);
	free(v->onlyb);
}

int main(int argc, char **argv)
{
	const char *json_out = NULL;
	bool quiet = false, via_index = false;
	const char *index_cache = NULL;
	char **paths = NULL;
	size_t npaths = 0, cpaths = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json_out = argv[++i];
		else if (!strcmp(argv[i], "-q"))
			quiet = true;
		else if (!strcmp(argv[i], "--via-index"))
			via_index = true;
		else if (!strcmp(argv[i], "--index-cache") && i + 1 < argc)
			index_cache = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: run [--json FILE] [-q] [--via-index [--index-cache DIR]] "
			       "[SCENARIO.json|DIR ...]\n");
			return 0;
		} else
			collect(argv[i], &paths, &npaths, &cpaths);
	}
	if (!npaths) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/conformance/scenarios", shared_dir());
		collect(dir, &paths, &npaths, &cpaths);
	}
	char **dirs = NULL;
	char tmpbase[64] = "";
	if (via_index) {
		char tool[4200];
		snprintf(tool, sizeof(tool), "%s/tools/materialize-index", shared_dir());
		const char *base = index_cache;
		if (!base) {
			snprintf(tmpbase, sizeof(tmpbase), "/tmp/conformance-XXXXXX");
			if (!mkdtemp(tmpbase)) {
				fprintf(stderr, "run: cannot make a temporary directory\n");
				return 1;
			}
			base = tmpbase;
		} else if (mkdir(base, 0777) < 0 && errno != EEXIST) {
			fprintf(stderr, "run: cannot make '%s'\n", base);
			return 1;
		}
		dirs = ab_xcalloc(npaths + 1, sizeof(*dirs));
		for (size_t i = 0; i < npaths; i++)
			dirs[i] = index_dir(base, paths[i], tool);
		double t0 = now_ms();
		unsigned bad = materialize(paths, dirs, npaths, tool);
		printf("materialized in %.0f ms%s\n", now_ms() - t0,
		       bad ? " (some failed: see below)" : "");
	}
	json_t *report = json_object();
	struct tally tallies[16];
	size_t ntallies = 0;
	unsigned judged = 0, passed = 0, different = 0;
	for (size_t i = 0; i < npaths; i++) {
		struct scen s;
		struct ab_err err = AB_ERR_INIT;
		if (scen_load(&s, paths[i], &err) < 0) {
			struct ab_buf b = AB_BUF_INIT;
			ab_err_format(&err, &b);
			printf("FAIL %s: cannot load: %s\n", paths[i], b.buf);
			ab_buf_release(&b);
			ab_err_release(&err);
			scen_release(&s);
			judged++;
			continue;
		}
		struct resolve_provider prov;
		struct resolve_options opt;
		struct via via;
		struct pep440_version *py = NULL;
		struct resolve_result res = RESOLVE_RESULT_INIT;
		double t0 = now_ms();
		int r = 0;
		scen_options(&s, &opt);
		if (via_index) {
			r = via_open(&via, &s, dirs[i], &err);
			py = pep440_version_new(s.env.vars[MARKER_VAR_PYTHON_FULL_VERSION]);
			struct provider_index_options po = {
				&s.tags, py, s.requires_python,
				(const char *const *)via.nob, via.nnob,
				(const char *const *)via.onlyb, via.nonlyb,
				false, NULL, 0, NULL, NULL,
			};
			if (r == 0) {
				via.pi = provider_index_new(via.ix, &po);
				provider_index_provider(via.pi, &prov);
			}
		} else
			scen_provider(&s, &prov);
		if (r == 0)
			r = resolve_run(&prov, &opt, s.reqs, s.nreqs, s.cons, s.ncons, &res, &err);
		double ms = now_ms() - t0;
		if (via_index) {
			via_close(&via);
			pep440_version_free(py);
		}
		bool ok = r >= 0;
		struct ab_buf why = AB_BUF_INIT;
		struct ab_buf errtext = AB_BUF_INIT;
		if (!ok) {
			if (r == -AB_E_RESOLVE && res.explanation)
				ab_buf_adds(&errtext, res.explanation);
			else
				ab_err_format(&err, &errtext);
		}
		/* judge */
		int verdict = -1; /* 1 pass, 0 fail, 2 different valid answer, -1 not judged */
		if (s.has_expected && s.satisfiable >= 0) {
			if (s.satisfiable == 0) {
				verdict = r == -AB_E_RESOLVE;
				if (!verdict)
					ab_buf_adds(&why, ok ? "expected no solution, resolved one"
							     : "expected no solution, got an error");
			} else if (!ok) {
				verdict = 0;
				ab_buf_adds(&why, r == -AB_E_RESOLVE ? "no solution found"
								     : "resolver error");
			} else {
				struct ab_buf inval = AB_BUF_INIT;
				bool valid = scen_valid(&s, res.pins, res.n, &inval);
				bool match = s.resolution_null;
				if (!s.resolution_null)
					match = scen_same(res.pins, res.n, s.expected.pins, s.expected.n);
				for (size_t k = 0; !match && k < s.nacceptable; k++)
					match = scen_same(res.pins, res.n, s.acceptable[k].pins,
							  s.acceptable[k].n);
				if (!valid) {
					verdict = 0;
					ab_buf_addf(&why, "invalid resolution: %s", inval.buf);
				} else if (match)
					verdict = 1;
				else {
					verdict = s.ambiguous ? 2 : 0;
					ab_buf_adds(&why, "different resolution:");
					for (size_t k = 0; k < res.n; k++) {
						bool same = false;
						for (size_t m = 0; m < s.expected.n; m++)
							if (!strcmp(s.expected.pins[m].name,
								    res.pins[k].name))
								same = scen_same(&res.pins[k], 1,
										 &s.expected.pins[m], 1);
						if (!same)
							ab_buf_addf(&why, " %s==%s", res.pins[k].name,
								    res.pins[k].version);
					}
					ab_buf_adds(&why, " (expected");
					for (size_t m = 0; m < s.expected.n; m++) {
						bool same = false;
						for (size_t k = 0; k < res.n; k++)
							if (!strcmp(s.expected.pins[m].name,
								    res.pins[k].name))
								same = scen_same(&res.pins[k], 1,
										 &s.expected.pins[m], 1);
						if (!same)
							ab_buf_addf(&why, " %s==%s",
								    s.expected.pins[m].name,
								    s.expected.pins[m].version);
					}
					ab_buf_adds(&why, ")");
				}
				ab_buf_release(&inval);
			}
		}
		struct tally *t = tally_for(tallies, &ntallies, s.source);
		if (verdict == 1) {
			passed++;
			judged++;
			t->pass++;
			printf("PASS %s (%.1f ms, %zu decisions, %zu conflicts)\n", s.name, ms,
			       res.stats.decisions, res.stats.conflicts);
		} else if (verdict == 0) {
			judged++;
			t->fail++;
			printf("FAIL %s: %s (%.1f ms)\n", s.name, why.buf, ms);
		} else if (verdict == 2) {
			judged++;
			different++;
			t->other++;
			printf("DIFF %s: %s (%.1f ms)\n", s.name, why.buf, ms);
		} else {
			t->other++;
			printf("INFO %s: %s (%.1f ms)\n", s.name,
			       ok ? "resolved" : r == -AB_E_RESOLVE ? "no solution" : "error", ms);
		}
		if (!ok && !quiet)
			print_indented(errtext.buf);
		json_t *entry = json_object();
		json_object_set_new(entry, "satisfiable", ok ? json_true()
						      : r == -AB_E_RESOLVE ? json_false() : json_null());
		if (ok) {
			json_t *pins = json_object();
			for (size_t k = 0; k < res.n; k++)
				json_object_set_new(pins, res.pins[k].name,
						    json_string(res.pins[k].version));
			json_object_set_new(entry, "resolution", pins);
			json_object_set_new(entry, "error", json_null());
		} else {
			json_object_set_new(entry, "resolution", json_null());
			json_object_set_new(entry, "error", json_string(errtext.buf));
		}
		json_object_set_new(report, s.name, entry);
		ab_buf_release(&why);
		ab_buf_release(&errtext);
		resolve_result_release(&res);
		ab_err_release(&err);
		scen_release(&s);
	}
	for (size_t i = 0; i < ntallies; i++)
		printf("%s: %u passed, %u failed, %u other\n", tallies[i].prefix, tallies[i].pass,
		       tallies[i].fail, tallies[i].other);
	if (different)
		printf("different valid answers on ambiguous scenarios: %u\n", different);
	printf("conformance: %u/%u passed\n", passed, judged);
	int rc = passed == judged ? 0 : 1;
	if (json_out && json_dump_file(report, json_out, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) {
		fprintf(stderr, "run: cannot write %s\n", json_out);
		rc = 1;
	}
	json_decref(report);
	for (size_t i = 0; i < npaths; i++) {
		free(paths[i]);
		free(dirs ? dirs[i] : NULL);
	}
	free(paths);
	free(dirs);
	if (*tmpbase)
		rm_tree(tmpbase);
	return rc;
}
