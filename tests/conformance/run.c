/* run.c - the resolver conformance runner (issue #6).
 *
 *   run [--json FILE] [-q] [SCENARIO.json|DIR ...]
 *
 * Default: $SHARED/conformance/scenarios, else ../shared/conformance/scenarios.
 * Each scenario (../shared/conformance/FORMAT.md) is resolved in memory
 * through builder/resolve with its own index as the provider, then judged
 * by FORMAT.md's pass rules: one line per scenario (`PASS name (ms)` or
 * `FAIL name: why`), the explanation of every unsatisfiable result
 * indented below it (unless -q), totals per source prefix, and
 * `conformance: X/Y passed`. Scenarios without `expected` (or with
 * satisfiable null) are reported, not counted. Exit status 1 on a failure.
 * --json FILE writes {name: {"satisfiable", "resolution", "error"}}. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builder/resolve.h"
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

int main(int argc, char **argv)
{
	const char *json_out = NULL;
	bool quiet = false;
	char **paths = NULL;
	size_t npaths = 0, cpaths = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json_out = argv[++i];
		else if (!strcmp(argv[i], "-q"))
			quiet = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: run [--json FILE] [-q] [SCENARIO.json|DIR ...]\n");
			return 0;
		} else
			collect(argv[i], &paths, &npaths, &cpaths);
	}
	if (!npaths) {
		const char *shared = getenv("SHARED");
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/conformance/scenarios", shared ? shared : "../shared");
		collect(dir, &paths, &npaths, &cpaths);
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
		scen_provider(&s, &prov);
		scen_options(&s, &opt);
		struct resolve_result res = RESOLVE_RESULT_INIT;
		double t0 = now_ms();
		int r = resolve_run(&prov, &opt, s.reqs, s.nreqs, s.cons, s.ncons, &res, &err);
		double ms = now_ms() - t0;
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
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	return rc;
}
