/* out.h - where library code sends warnings and progress.
 *
 * Below cli/ nothing prints: code that has something to say calls
 * ab_warn()/ab_info() on the `struct ab_out` it was given, and cli/ decides
 * how it looks (apk's apk_out, pkgconf's client handlers). */
#ifndef AB_OUT_H
#define AB_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/core/err.h"

enum ab_out_level { AB_OUT_ERROR, AB_OUT_WARN, AB_OUT_INFO, AB_OUT_DEBUG };

/* Where long-running work stands (downloads): cli/ draws it as one updating
 * line on a terminal and a one-line summary otherwise. Counters are totals
 * since the work began (e.g. since the http_client was created). */
struct ab_progress {
	unsigned done;	 /* units finished (requests: successes and failures) */
	unsigned total;	 /* units known so far (grows as work is queued) */
	unsigned failed; /* of `done` */
	uint64_t bytes;	 /* bytes moved */
	double seconds;	 /* since the work began */
	bool final;	 /* the last report of a run of work (more may follow) */
};

struct ab_out {
	int verbosity; /* messages above this level are dropped; default AB_OUT_INFO */
	/* Receives one formatted message (no trailing newline). NULL: dropped. */
	void (*emit)(struct ab_out *out, enum ab_out_level lvl, const struct ab_loc *loc,
		     const char *msg);
	void *data;
	/* Receives progress reports (at most ~10 a second); NULL: dropped.
	 * Added last so positional initialisers stay valid. */
	void (*progress)(struct ab_out *out, const struct ab_progress *p);
};

void ab_out_msg(struct ab_out *out, enum ab_out_level lvl, const struct ab_loc *loc,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Pass a progress report to out->progress; a no-op when `out` or the hook
 * is NULL. */
void ab_out_progress(struct ab_out *out, const struct ab_progress *p);
#define ab_warn(out, loc, ...) ab_out_msg((out), AB_OUT_WARN, (loc), __VA_ARGS__)
#define ab_info(out, ...) ab_out_msg((out), AB_OUT_INFO, NULL, __VA_ARGS__)

#endif
