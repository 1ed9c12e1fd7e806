/* fuzz_resolve.c - property test of the resolver on random small indexes.
 *
 *   fuzz_resolve [ITERATIONS [SEED]]
 *
 * Every answer is checked independently against every constraint
 * (scen_valid, FORMAT.md's rules); every "no solution" is cross-checked by
 * enumerating every selection of the tiny index. Half the indexes hold
 * pre-releases, resolved under the uv or the --pre policy. Prints
 * `fuzz_resolve: N cases, S solved, U unsatisfiable, 0 wrong` and exits 1
 * on any wrong answer (printing the index). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "tests/conformance/scenario.h"

static unsigned long long rng;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rng >> 33) % n);
}

static const char *const names[] = { "a", "b", "c", "d", "e" };
/* the second row for the uv and --pre policies: pip's rule depends on the
 * order of decisions (see resolve.c, allow_pre) and an exhaustive search
 * under FORMAT.md's static reading of it can find answers pip does not */
static const char *const vers_sets[2][4] = { { "1", "2", "3", "4" }, { "1", "2b1", "2", "3a1" } };
static const char *const *vers = vers_sets[0];
static const char *const ops[] = { "==", ">=", "<", "!=", "<=", ">" };

static const char *rand_req(struct scen *s, size_t npk, size_t self)
{
	char buf[64];
	size_t p;
	do
		p = rnd((unsigned)npk);
	while (p == self && npk > 1);
	int n = snprintf(buf, sizeof(buf), "%s", names[p]);
	unsigned k = rnd(4) ? rnd(2) : 2;
	for (unsigned i = 0; i < k; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s%s", i ? "," : "", ops[rnd(6)],
			      vers[rnd(4)]);
	return ab_arena_strdup(&s->arena, buf);
}

static void build(struct scen *s)
{
	scen_init(s);
	bool pre = rnd(2);
	vers = vers_sets[pre];
	if (pre)
		s->prereleases = rnd(2) ? RESOLVE_PRE_IF_NECESSARY_OR_EXPLICIT : RESOLVE_PRE_ALLOW;
	size_t npk = 2 + rnd(4);
	s->npkgs = npk;
	s->pkgs = ab_arena_zalloc(&s->arena, npk * sizeof(*s->pkgs));
	for (size_t i = 0; i < npk; i++) {
		struct scen_package *p = &s->pkgs[i];
		p->name = names[i];
		p->n = rnd(4) + (i == 0);
		p->vs = ab_arena_zalloc(&s->arena, (p->n ? p->n : 1) * sizeof(*p->vs));
		for (size_t j = 0; j < p->n; j++) {
			struct scen_version *v = &p->vs[j];
			v->cand.version_str = vers[j];
			v->cand.yanked = rnd(8) == 0;
			v->nrequires = rnd(3);
			v->requires = ab_arena_zalloc(&s->arena, 4 * sizeof(*v->requires));
			for (size_t k = 0; k < v->nrequires; k++)
				v->requires[k] = rand_req(s, npk, i);
			v->nfiles = 1;
			v->files = ab_arena_zalloc(&s->arena, sizeof(*v->files));
			v->files[0] = (struct scen_file){ true, rnd(10) ? "py3-none-any" : "cp27-cp27m-win32" };
		}
	}
	s->nreqs = 1 + rnd(2);
	s->reqs = ab_arena_zalloc(&s->arena, 4 * sizeof(*s->reqs));
	for (size_t i = 0; i < s->nreqs; i++)
		s->reqs[i] = rand_req(s, npk, (size_t)-1);
	if (rnd(2))
		s->yanked = RESOLVE_YANKED_ROOT_EXACT_PIN;
}

/* Is there any valid resolution? Each package: absent or one version. */
static bool brute(const struct scen *s, struct resolve_pin *pins, size_t i, size_t n)
{
	if (i == s->npkgs) {
		struct ab_buf why = AB_BUF_INIT;
		bool ok = scen_valid(s, pins, n, &why);
		ab_buf_release(&why);
		return ok;
	}
	if (brute(s, pins, i + 1, n))
		return true;
	for (size_t j = 0; j < s->pkgs[i].n; j++) {
		pins[n] = (struct resolve_pin){ s->pkgs[i].name, s->pkgs[i].vs[j].cand.version_str };
		if (brute(s, pins, i + 1, n + 1))
			return true;
	}
	return false;
}

static void dump(const struct scen *s)
{
	fprintf(stderr, "root:");
	for (size_t i = 0; i < s->nreqs; i++)
		fprintf(stderr, " '%s'", s->reqs[i]);
	fprintf(stderr, " yanked=%d prereleases=%d\n", (int)s->yanked, (int)s->prereleases);
	for (size_t i = 0; i < s->npkgs; i++)
		for (size_t j = 0; j < s->pkgs[i].n; j++) {
			const struct scen_version *v = &s->pkgs[i].vs[j];
			fprintf(stderr, "  %s %s%s%s:", s->pkgs[i].name, v->cand.version_str,
				v->cand.yanked ? " yanked" : "", v->cand.usable ? "" : " nofile");
			for (size_t k = 0; k < v->nrequires; k++)
				fprintf(stderr, " '%s'", v->requires[k]);
			fprintf(stderr, "\n");
		}
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 3000;
	rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 12345;
	unsigned long solved = 0, unsat = 0, wrong = 0;
	for (unsigned long it = 0; it < iters; it++) {
		struct scen s;
		build(&s);
		struct ab_err err = AB_ERR_INIT;
		if (scen_finish(&s, &err) < 0) {
			fprintf(stderr, "fuzz_resolve: %s\n", err.msg.buf);
			return 1;
		}
		struct resolve_provider p;
		struct resolve_options o;
		scen_provider(&s, &p);
		scen_options(&s, &o);
		struct resolve_result res = RESOLVE_RESULT_INIT;
		int r = resolve_run(&p, &o, s.reqs, s.nreqs, s.cons, s.ncons, &res, &err);
		struct resolve_pin pins[8];
		if (r == 0) {
			struct ab_buf why = AB_BUF_INIT;
			if (!scen_valid(&s, res.pins, res.n, &why)) {
				wrong++;
				fprintf(stderr, "case %lu: invalid answer: %s\n", it, why.buf);
				dump(&s);
			}
			ab_buf_release(&why);
			solved++;
		} else if (r == -AB_E_RESOLVE) {
			unsat++;
			if (brute(&s, pins, 0, 0)) {
				wrong++;
				fprintf(stderr, "case %lu: said unsatisfiable, but a solution exists\n%s\n",
					it, res.explanation);
				dump(&s);
			}
		} else {
			wrong++;
			fprintf(stderr, "case %lu: error %d: %s\n", it, r, err.msg.buf);
			dump(&s);
		}
		resolve_result_release(&res);
		ab_err_release(&err);
		scen_release(&s);
	}
	printf("fuzz_resolve: %lu cases, %lu solved, %lu unsatisfiable, %lu wrong\n", iters, solved,
	       unsat, wrong);
	return wrong ? 1 : 0;
}
