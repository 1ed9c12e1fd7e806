/* run.c - the resolver conformance runner (issue #6).
 *
 *   run [--json FILE] [-q] [--timeout SECONDS] [--via-index [--index-cache DIR]]
 *       [SCENARIO.json|DIR|@LIST ...]
 *
 * @LIST names a file listing scenario paths, one a line, relative to it.
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
 * --json FILE writes {name: {"satisfiable", "resolution", "error"}}.
 *
 * --timeout SECONDS (default 120, 0: none) limits each scenario: the
 * scenarios run in a forked worker process, which the runner kills when one
 * scenario takes longer (`FAIL name: no answer within N s`, in --json
 * satisfiable null and error "timeout after N s"); a scenario that takes
 * the worker down gives `FAIL name: resolver crashed (signal N)` (or
 * "(exit status N)": a sanitizer's report, on stderr). Either counts as a
 * failure, expected answer or not, and a new worker goes on with the next
 * scenario. A worker that leaks memory (LeakSanitizer, once at its end)
 * makes the exit status 1. CONF_TEST_HANG=NAME and CONF_TEST_CRASH=NAME
 * make scenario NAME hang or abort, to test this
 * (tests/cli/0604-conformance-isolation.sh). */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

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
	if (arg[0] == '@') {
		/* a list file: one path a line, relative to the list's
		 * directory; blank lines and '#' comments skipped */
		FILE *f = fopen(arg + 1, "r");
		if (!f) {
			add_path(v, n, cap, arg + 1); /* reported as unloadable */
			return;
		}
		const char *slash = strrchr(arg + 1, '/');
		int dirlen = slash ? (int)(slash - (arg + 1)) : 0;
		char line[4096];
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = 0;
			if (!line[0] || line[0] == '#')
				continue;
			if (line[0] == '/' || !slash) {
				add_path(v, n, cap, line);
				continue;
			}
			char *p = ab_xmalloc((size_t)dirlen + strlen(line) + 2);
			sprintf(p, "%.*s/%s", dirlen, arg + 1, line);
			add_path(v, n, cap, p);
			free(p);
		}
		fclose(f);
		return;
	}
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

/* ---- the scenarios in a child process ----
 *
 * The scenarios run in a forked worker so that a resolver that hangs or
 * crashes costs one scenario only (../shared/conformance/README.md, step 4:
 * "not crash or hang: give each scenario a time limit"): the parent kills a
 * worker that takes longer than the limit on one scenario, records that
 * scenario as failed and forks a new worker for the rest. One worker for
 * many scenarios, not one each: a process of the ASan build costs about
 * 25 ms to fork and tear down (183 scenarios: 5 s instead of 0.6 s).
 *
 * The worker reports over a pipe as NUL-terminated strings, per scenario:
 * "H" name source as soon as it is loaded (so a later hang or crash can
 * still be named and tallied), then "L" message (cannot load) or "R" and
 * the outcome, then "."; after the last one "K" and whether it leaked. A
 * record cut short is no record. The parent keeps no state the workers
 * change: materialized indexes are made before the first worker and found
 * through the file system. */

struct outcome {
	const char *name, *source; /* NULL: no header (died before loading) */
	const char *loaderr;       /* set: the scenario cannot be loaded */
	bool done;                 /* a complete report */
	int verdict;               /* 1 pass, 0 fail, 2 different valid answer, -1 not judged */
	int sat;                   /* 1 resolved, 0 no solution, -1 error */
	double ms;
	unsigned long decisions, conflicts;
	const char *why, *errtext;
	size_t npins;
	const char **pins; /* name, version, name, version, ...; owned array */
	bool end, leaked;  /* a "K" record: the worker's end */
};

static void put(struct ab_buf *w, const char *s)
{
	ab_buf_add(w, s, strlen(s) + 1);
}

static void putu(struct ab_buf *w, unsigned long v)
{
	ab_buf_addf(w, "%lu", v);
	ab_buf_addc(w, '\0');
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Test hooks for the isolation itself (tests/cli/0604-conformance-isolation.sh):
 * scenario NAME hangs (CONF_TEST_HANG=NAME) or aborts (CONF_TEST_CRASH=NAME). */
static void test_hooks(const char *name)
{
	const char *h = getenv("CONF_TEST_HANG");
	if (h && !strcmp(h, name))
		for (;;)
			pause();
	h = getenv("CONF_TEST_CRASH");
	if (h && !strcmp(h, name))
		abort();
}

/* LeakSanitizer in a forked worker: the parent's memory is the parent's
 * (allocated with the check off, see main()); the worker checks what it
 * allocated itself, once at its end, then leaves with _exit so that no
 * second check runs over the copy of the parent's memory. */
static void leak_on(void)
{
#ifdef __SANITIZE_ADDRESS__
	__lsan_enable();
#endif
}

static void leak_off(void)
{
#ifdef __SANITIZE_ADDRESS__
	__lsan_disable();
#endif
}

static int leak_check(void)
{
#ifdef __SANITIZE_ADDRESS__
	return __lsan_do_recoverable_leak_check();
#else
	return 0;
#endif
}

/* In the worker: load, resolve and judge the scenario at `path` (through the
 * index materialized at `dir`, or in memory when NULL) and report to `fd`
 * through the buffer `w`. */
static void run_one(const char *path, const char *dir, int fd, struct ab_buf *w)
{
		struct scen s;
	struct ab_err err = AB_ERR_INIT;
	if (scen_load(&s, path, &err) < 0) {
		struct ab_buf b = AB_BUF_INIT;
		ab_err_format(&err, &b);
		put(w, "L");
		put(w, b.buf);
		ab_buf_release(&b);
		ab_err_release(&err);
		scen_release(&s);
		goto out;
	}
	put(w, "H");
	put(w, s.name);
	put(w, s.source);
	if (write_all(fd, w->buf, w->len) < 0)
		_exit(1);
	ab_buf_reset(w);
	test_hooks(s.name);
	struct resolve_provider prov;
	struct resolve_options opt;
	struct via via;
	struct pep440_version *py = NULL;
	struct resolve_result res = RESOLVE_RESULT_INIT;
	double t0 = now_ms();
	int r = 0;
	scen_options(&s, &opt);
	if (dir) {
		r = via_open(&via, &s, dir, &err);
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
	if (dir) {
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
			ab_buf_adds(&why,
				    r == -AB_E_RESOLVE ? "no solution found" : "resolver error");
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
					for (size_t m = 0; m < s.expected.n; m++) {
						const struct resolve_pin *e = &s.expected.pins[m];
						if (!strcmp(e->name, res.pins[k].name))
							same = scen_same(&res.pins[k], 1, e, 1);
					}
					if (!same)
						ab_buf_addf(&why, " %s==%s", res.pins[k].name,
							    res.pins[k].version);
				}
				ab_buf_adds(&why, " (expected");
				for (size_t m = 0; m < s.expected.n; m++) {
					bool same = false;
					for (size_t k = 0; k < res.n; k++) {
						const struct resolve_pin *e = &s.expected.pins[m];
						if (!strcmp(e->name, res.pins[k].name))
							same = scen_same(&res.pins[k], 1, e, 1);
					}
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
	put(w, "R");
	putu(w, (unsigned long)(verdict + 1));
	putu(w, ok ? 2 : r == -AB_E_RESOLVE ? 1 : 0);
	ab_buf_addf(w, "%.17g", ms);
	ab_buf_addc(w, '\0');
	putu(w, res.stats.decisions);
	putu(w, res.stats.conflicts);
	put(w, why.buf);
	put(w, errtext.buf);
	putu(w, ok ? res.n : 0);
	for (size_t k = 0; ok && k < res.n; k++) {
		put(w, res.pins[k].name);
		put(w, res.pins[k].version);
	}
	ab_buf_release(&why);
	ab_buf_release(&errtext);
	resolve_result_release(&res);
	ab_err_release(&err);
	scen_release(&s);
out:
	put(w, ".");
	if (write_all(fd, w->buf, w->len) < 0)
		_exit(1);
	ab_buf_reset(w);
}

/* The worker: scenarios [from, n), then "K", then _exit (no atexit
 * handlers, no second flush of the parent's stdio buffers). */
static _Noreturn void worker(char **paths, char **dirs, size_t from, size_t n, int fd)
{
	struct ab_buf w = AB_BUF_INIT;
	leak_on();
	/* stdout is the parent's report: anything the worker prints goes to stderr */
	dup2(2, 1);
	for (size_t i = from; i < n; i++)
		run_one(paths[i], dirs ? dirs[i] : NULL, fd, &w);
	ab_buf_release(&w);
	const char *end = leak_check() ? "K\0" "1\0" ".\0" : "K\0" "0\0" ".\0";
	_exit(write_all(fd, end, 6) < 0);
}


static const char *next_str(const struct ab_buf *w, size_t *pos)
{
	if (*pos >= w->len)
		return NULL;
	const char *s = w->buf + *pos;
	const char *nul = memchr(s, '\0', w->len - *pos);
	if (!nul)
		return NULL;
	*pos = (size_t)(nul - w->buf) + 1;
	return s;
}

static unsigned long next_num(const struct ab_buf *w, size_t *pos)
{
	const char *s = next_str(w, pos);
	return s ? strtoul(s, NULL, 10) : 0;
}

/* Decode the first record of a worker's report at w[*pos...]: returns true
 * and moves *pos past it when it is complete; false with what there is
 * (perhaps the header) otherwise. The strings stay in `w`; free o->pins. */
static bool outcome_parse(const struct ab_buf *w, size_t *pos0, struct outcome *o)
{
	size_t pos = *pos0;
	memset(o, 0, sizeof(*o));
	o->verdict = -1;
	o->sat = -1;
	const char *tag = next_str(w, &pos);
	if (tag && !strcmp(tag, "H")) {
		o->name = next_str(w, &pos);
		o->source = next_str(w, &pos);
		if (!o->source)
			o->name = NULL;
		tag = next_str(w, &pos);
	}
	if (!tag)
		return false;
	if (!strcmp(tag, "L")) {
		if (!(o->loaderr = next_str(w, &pos)))
			return false;
	} else if (!strcmp(tag, "R") && o->name) {
		o->verdict = (int)next_num(w, &pos) - 1;
		o->sat = (int)next_num(w, &pos) - 1;
		const char *ms = next_str(w, &pos);
		o->ms = ms ? strtod(ms, NULL) : 0;
		o->decisions = next_num(w, &pos);
		o->conflicts = next_num(w, &pos);
		o->why = next_str(w, &pos);
		o->errtext = next_str(w, &pos);
		size_t n = next_num(w, &pos);
		if (!o->errtext || n > w->len)
			return false;
		o->pins = ab_xcalloc(2 * n + 1, sizeof(*o->pins));
		for (size_t k = 0; k < 2 * n; k++)
			if (!(o->pins[k] = next_str(w, &pos)))
				return false;
		o->npins = n;
	} else if (!strcmp(tag, "K")) {
		const char *leak = next_str(w, &pos);
		o->end = true;
		o->leaked = leak && !strcmp(leak, "1");
	} else
		return false;
	tag = next_str(w, &pos);
	if (!tag || strcmp(tag, "."))
		return false;
	*pos0 = pos;
	return o->done = true;
}

struct totals {
	json_t *report;
	struct tally tallies[16];
	size_t ntallies;
	unsigned judged, passed, different;
	unsigned unclean; /* workers that leaked or failed after their last scenario */
	bool quiet;
};

/* The JSON key of a scenario known only by its file: the file name without
 * ".json" (its "name" may be what is broken). */
static void path_key(const char *path, char *key, size_t size)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t l = strlen(base);
	if (l > 5 && !strcmp(base + l - 5, ".json"))
		l -= 5;
	snprintf(key, size, "%.*s", (int)(l < size - 1 ? l : size - 1), base);
}

static void json_entry(json_t *report, const char *key, json_t *sat, json_t *res, const char *error)
{
	json_t *entry = json_object();
	json_object_set_new(entry, "satisfiable", sat);
	json_object_set_new(entry, "resolution", res);
	json_object_set_new(entry, "error", error ? json_string(error) : json_null());
	json_object_set_new(report, key, entry);
}

/* Print and count one scenario, from its child's report `o` and wait
 * `status` (run_child()). */
static void report(struct totals *t, const char *path, const struct outcome *o, int status,
		   unsigned timeout)
{
	char key[256];
	if (o->done && status >= 0 && WIFEXITED(status) && o->loaderr) {
		printf("FAIL %s: cannot load: %s\n", path, o->loaderr);
		path_key(path, key, sizeof(key));
		json_entry(t->report, key, json_null(), json_null(), o->loaderr);
		t->judged++;
		return;
	}
	if (!o->done || status < 0 || !WIFEXITED(status)) {
		/* no answer: a hang or a crash fails the scenario, expected or not */
		struct ab_buf why = AB_BUF_INIT, jerr = AB_BUF_INIT;
		if (status == -1) {
			ab_buf_addf(&why, "no answer within %u s", timeout);
			ab_buf_addf(&jerr, "timeout after %u s", timeout);
		} else {
			if (status == -2)
				ab_buf_addf(&why, "cannot start a child: %s", strerror(errno));
			else if (WIFSIGNALED(status))
				ab_buf_addf(&why, "resolver crashed (signal %d)", WTERMSIG(status));
			else
				ab_buf_addf(&why, "resolver crashed (exit status %d)",
					    WEXITSTATUS(status));
			ab_buf_adds(&jerr, why.buf);
		}
		if (o->name) {
			printf("FAIL %s: %s\n", o->name, why.buf);
			tally_for(t->tallies, &t->ntallies, o->source)->fail++;
		} else
			printf("FAIL %s: %s\n", path, why.buf);
		path_key(path, key, sizeof(key));
		json_entry(t->report, o->name ? o->name : key, json_null(), json_null(), jerr.buf);
		t->judged++;
		ab_buf_release(&why);
		ab_buf_release(&jerr);
		return;
	}
	struct tally *ty = tally_for(t->tallies, &t->ntallies, o->source);
	bool ok = o->sat == 1;
	if (o->verdict == 1) {
		t->passed++;
		t->judged++;
		ty->pass++;
		printf("PASS %s (%.1f ms, %lu decisions, %lu conflicts)\n", o->name, o->ms,
		       o->decisions, o->conflicts);
	} else if (o->verdict == 0) {
		t->judged++;
		ty->fail++;
		printf("FAIL %s: %s (%.1f ms)\n", o->name, o->why, o->ms);
	} else if (o->verdict == 2) {
		t->judged++;
		t->different++;
		ty->other++;
		printf("DIFF %s: %s (%.1f ms)\n", o->name, o->why, o->ms);
	} else {
		ty->other++;
		printf("INFO %s: %s (%.1f ms)\n", o->name,
		       ok ? "resolved" : o->sat == 0 ? "no solution" : "error", o->ms);
	}
	if (!ok && !t->quiet)
		print_indented(o->errtext);
	json_t *pins = json_null();
	if (ok) {
		pins = json_object();
		for (size_t k = 0; k < o->npins; k++)
			json_object_set_new(pins, o->pins[2 * k], json_string(o->pins[2 * k + 1]));
	}
	json_entry(t->report, o->name,
		   ok ? json_true() : o->sat == 0 ? json_false() : json_null(), pins,
		   ok ? NULL : o->errtext);
}

/* Run scenarios [0, n) in workers, starting a new one after a scenario that
 * crashed its worker or took longer than `timeout` seconds (0: no limit). */
static void run_all(struct totals *t, char **paths, char **dirs, size_t n, unsigned timeout)
{
	struct ab_buf w = AB_BUF_INIT;
	size_t i = 0;
	while (i < n) {
		struct outcome o;
		int fds[2];
		pid_t pid = -1;
		/* the worker must not inherit (and later flush) buffered output */
		fflush(stdout);
		fflush(stderr);
		if (pipe2(fds, O_CLOEXEC) == 0) {
			pid = fork();
			if (pid < 0) {
				int e = errno;
				close(fds[0]);
				close(fds[1]);
				errno = e;
			}
		}
		if (pid < 0) {
			memset(&o, 0, sizeof(o));
			report(t, paths[i++], &o, -2, timeout);
			continue;
		}
		if (pid == 0) {
			close(fds[0]);
			worker(paths, dirs, i, n, fds[1]);
		}
		close(fds[1]);
		ab_buf_reset(&w);
		bool expired = false, ended = false, may_end = false;
		double deadline = now_ms() + timeout * 1e3;
		for (;;) {
			size_t pos = 0;
			/* a record ends in "\0.\0": parse only when the bytes just
			 * read may hold an end (a long explanation comes in pieces) */
			while (may_end && outcome_parse(&w, &pos, &o)) {
				if (o.end) {
					ended = true;
					t->unclean += o.leaked;
				} else if (i < n) {
					report(t, paths[i++], &o, 0, timeout);
					deadline = now_ms() + timeout * 1e3;
				}
				free(o.pins);
			}
			if (may_end)
				free(o.pins);
			if (pos) {
				memmove(w.buf, w.buf + pos, w.len - pos + 1);
				w.len -= pos;
			}
			int wait_ms = -1;
			if (timeout) {
				double left = deadline - now_ms();
				if (left <= 0) {
					expired = true;
					break;
				}
				wait_ms = left < 1e9 ? (int)left + 1 : 1000000000;
			}
			struct pollfd pfd = { fds[0], POLLIN, 0 };
			int pr = poll(&pfd, 1, wait_ms);
			if (pr < 0 && errno != EINTR)
				break;
			if (pr <= 0)
				continue;
			if (ab_buf_grow(&w, 65536) < 0)
				break;
			ssize_t k = read(fds[0], w.buf + w.len, 65536);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			size_t from = w.len < 2 ? 0 : w.len - 2;
			w.len += (size_t)k;
			w.buf[w.len] = '\0';
			may_end = memmem(w.buf + from, w.len - from, "\0.\0", 3) != NULL;
		}
		close(fds[0]);
		if (expired)
			kill(pid, SIGKILL);
		int status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (i < n) {
			/* scenario i took the worker down (or was killed): what was
			 * said of it, perhaps its name, is in w */
			size_t pos = 0;
			outcome_parse(&w, &pos, &o);
			report(t, paths[i++], &o, expired ? -1 : status, timeout);
			free(o.pins);
		} else if (!ended || !WIFEXITED(status) || WEXITSTATUS(status))
			t->unclean++;
	}
	ab_buf_release(&w);
}

int main(int argc, char **argv)
{
	const char *json_out = NULL;
	bool via_index = false;
	unsigned timeout = 120;
	const char *index_cache = NULL;
	char **paths = NULL;
	size_t npaths = 0, cpaths = 0;
	struct totals t;
	memset(&t, 0, sizeof(t));
	/* everything the parent allocates is its own bookkeeping, inherited
	 * by every worker: not what a worker's leak check is about */
	leak_off();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json_out = argv[++i];
		else if (!strcmp(argv[i], "-q"))
			t.quiet = true;
		else if (!strcmp(argv[i], "--via-index"))
			via_index = true;
		else if (!strcmp(argv[i], "--index-cache") && i + 1 < argc)
			index_cache = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			errno = 0;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (errno || end == argv[i] || *end || argv[i][0] == '-' || v > 86400000) {
				fprintf(stderr, "run: --timeout wants whole seconds, not '%s'\n",
					argv[i]);
				return 2;
			}
			timeout = (unsigned)v;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: run [--json FILE] [-q] [--timeout SECONDS] "
			       "[--via-index [--index-cache DIR]] [SCENARIO.json|DIR|@LIST ...]\n");
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
	t.report = json_object();
	run_all(&t, paths, dirs, npaths, timeout);
	for (size_t i = 0; i < t.ntallies; i++)
		printf("%s: %u passed, %u failed, %u other\n", t.tallies[i].prefix,
		       t.tallies[i].pass, t.tallies[i].fail, t.tallies[i].other);
	if (t.different)
		printf("different valid answers on ambiguous scenarios: %u\n", t.different);
	printf("conformance: %u/%u passed\n", t.passed, t.judged);
	int rc = t.passed == t.judged ? 0 : 1;
	if (t.unclean) {
		fflush(stdout);
		fprintf(stderr, "run: %u worker(s) leaked memory or failed after the last scenario "
				"(see above)\n", t.unclean);
		rc = 1;
	}
	if (json_out && json_dump_file(t.report, json_out, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) {
		fprintf(stderr, "run: cannot write %s\n", json_out);
		rc = 1;
	}
	json_decref(t.report);
	for (size_t i = 0; i < npaths; i++) {
		free(paths[i]);
		free(dirs ? dirs[i] : NULL);
	}
	free(paths);
	free(dirs);
	if (*tmpbase)
		rm_tree(tmpbase);
	/* everything the parent allocated is exempt from the leak check
	 * (leak_off), so the one at exit would find nothing and cost ~0.1 s */
	fflush(stdout);
	_exit(rc);
}
