/* bench_formats.c - time PEP 440 parsing and ordering over a list of versions.
 *
 * Usage: bench_formats VERSIONS.txt [ROUNDS]
 * Each round parses every line (invalid ones are counted, not fatal) and
 * sorts the parsed versions with pep440_version_cmp. Prints the median round
 * time; bench/formats.sh runs the same work through Python's packaging. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/core/arena.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/pep440.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The check that the fast sort sorts: every neighbour in order. */
static int check_sorted(struct pep440_version **vs, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (pep440_version_cmp(vs[i - 1], vs[i]) > 0)
			return -1;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_formats VERSIONS.txt [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 21;
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	char **lines = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		AB_GROW(lines, cap, n + 1);
		lines[n++] = ab_xstrdup(line);
	}
	free(line);
	fclose(f);

	struct pep440_version **vs = ab_xcalloc(n ? n : 1, sizeof(*vs));
	double *times = ab_xcalloc((size_t)rounds, sizeof(double));
	double *ptimes = ab_xcalloc((size_t)rounds, sizeof(double));
	size_t valid = 0;
	struct ab_arena arena = AB_ARENA_INIT;
	for (int r = 0; r < rounds; r++) {
		double t0 = now();
		valid = 0;
		/* versions of one run live in an arena, as in the resolver;
		 * like CPython's allocator, later rounds reuse its memory */
		ab_arena_reset(&arena);
		for (size_t i = 0; i < n; i++) {
			struct pep440_version *v;
			if (pep440_version_parse_arena(ab_str_from(lines[i]), &arena, &v, NULL) == 0)
				vs[valid++] = v;
		}
		ptimes[r] = now() - t0;
		pep440_versions_sort(vs, valid);
		times[r] = now() - t0;

	}
	if (check_sorted(vs, valid) < 0) {
		fprintf(stderr, "bench_formats: the result is not sorted\n");
		return 1;
	}
	qsort(times, (size_t)rounds, sizeof(double), cmp_double);
	qsort(ptimes, (size_t)rounds, sizeof(double), cmp_double);
	printf("%zu versions (%zu valid), median of %d rounds: %.3f ms (parse %.3f ms)\n", n, valid,
	       rounds, times[rounds / 2] * 1e3, ptimes[rounds / 2] * 1e3);
	ab_arena_release(&arena);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(vs);
	free(times);
	free(ptimes);
	return 0;
}
