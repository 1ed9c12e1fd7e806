/* vec.h - the vector runner: feeds the files of ../shared/vectors (computed by
 * the reference implementations) to the C implementations.
 *
 * Each checker walks one section of one file and calls vec_pass()/vec_fail()
 * per case; main.c prints the per-file counts. Never copy vectors into C. */
#ifndef VEC_H
#define VEC_H

#include <jansson.h>
#include <stdbool.h>

struct vec_run {
	const char *file;
	unsigned passed, failed;
	unsigned shown; /* failures printed so far (capped unless VEC_VERBOSE) */
};

void vec_pass(struct vec_run *r);
/* Record a failure; prints "file: case: message" for the first few. */
void vec_fail(struct vec_run *r, const char *casename, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Helpers for reading cases: NULL when absent or JSON null. */
const char *vec_str(json_t *obj, const char *key);
/* A JSON integer or a decimal string (big integers) as a string; caller frees. */
char *vec_num_str(json_t *v);
/* -1 for null/absent, 0 false, 1 true */
int vec_tristate(json_t *obj, const char *key);

/* The checkers, one per (file, section). `root` is the parsed file. */
void vec_versions(json_t *root, struct vec_run *r);       /* versions.json */
void vec_version_order(json_t *root, struct vec_run *r);  /* version_order.json */
void vec_specifiers(json_t *root, struct vec_run *r);     /* specifiers.json */
void vec_requirements(json_t *root, struct vec_run *r);   /* requirements.json */
void vec_markers(json_t *root, struct vec_run *r);        /* markers.json */
void vec_names(json_t *root, struct vec_run *r);          /* names.json cases[] */
void vec_distfiles(json_t *root, struct vec_run *r);      /* names.json wheel_ and sdist_filenames[] */
void vec_tags(json_t *root, struct vec_run *r);           /* tags.json */
void vec_metadata(json_t *root, struct vec_run *r);       /* metadata.json */
void vec_reqfiles(json_t *root, struct vec_run *r);       /* requirements_files.json */

#endif
