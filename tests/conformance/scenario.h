/* scenario.h - resolver scenarios (../shared/conformance/FORMAT.md) held in
 * memory: loaded from a scenario file or built by a generator, served to
 * builder/resolve through an in-memory struct resolve_provider, and used to
 * check any answer against FORMAT.md's rules of a valid resolution,
 * independently of the resolver. */
#ifndef AB_TESTS_SCENARIO_H
#define AB_TESTS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "builder/resolve.h"
#include "formats/core/arena.h"
#include "formats/core/buf.h"
#include "formats/tags.h"

struct scen_file {
	bool wheel;
	const char *tags; /* wheel: compressed tag set */
};

struct scen_version {
	struct resolve_candidate cand; /* cand.version owned (NULL: not PEP 440, skipped) */
	const char **requires;
	size_t nrequires;
	const char **extras;
	size_t nextras;
	struct scen_file *files;
	size_t nfiles;
};

struct scen_package {
	const char *name; /* normalized */
	struct scen_version *vs;
	size_t n;
};

struct scen_resolution {
	struct resolve_pin *pins;
	size_t n;
};

struct scen {
	const char *name, *source;
	struct marker_env env;
	unsigned py_major, py_minor;
	const char **platforms;
	size_t nplatforms;
	const char **reqs, **cons;
	size_t nreqs, ncons;
	enum resolve_prereleases prereleases;
	enum resolve_yanked yanked;
	enum resolve_requires_python requires_python;
	const char **no_binary, **only_binary;
	size_t nno_binary, nonly_binary;
	struct scen_package *pkgs; /* sorted by name */
	size_t npkgs;
	/* expected */
	bool has_expected;
	int satisfiable; /* 1, 0, -1 (null) */
	bool resolution_null, ambiguous;
	struct scen_resolution expected;
	struct scen_resolution *acceptable;
	size_t nacceptable;
	/* storage */
	struct ab_arena arena;
	struct tags_supported tags;
	void *json; /* json_t * of a loaded file */
	size_t metadata_reads;
};

/* Load a scenario file. Returns 0, or a negative AB_E_* with `err` set.
 * Release with scen_release() in every case. */
int scen_load(struct scen *s, const char *path, struct ab_err *err);
/* For generated scenarios: an empty scenario (CPython 3.11 on
 * manylinux_2_17_x86_64, default options) whose fields the caller fills
 * (strings and arrays from s->arena), then calls scen_finish(). */
void scen_init(struct scen *s);
/* Sort packages, parse versions, compute `usable` for every candidate. */
int scen_finish(struct scen *s, struct ab_err *err);
void scen_release(struct scen *s);

struct scen_package *scen_package(const struct scen *s, const char *name);

void scen_provider(struct scen *s, struct resolve_provider *p);
void scen_options(const struct scen *s, struct resolve_options *o);

/* FORMAT.md "what a valid resolution is", rules 1-5. Returns true, or
 * false with the first violation appended to `why`. */
bool scen_valid(const struct scen *s, const struct resolve_pin *pins, size_t n, struct ab_buf *why);

/* Same normalized names and PEP 440-equal versions. */
bool scen_same(const struct resolve_pin *a, size_t na, const struct resolve_pin *b, size_t nb);

#endif
