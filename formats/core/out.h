/* out.h - where library code sends warnings and progress.
 *
 * Below cli/ nothing prints: code that has something to say calls
 * ab_warn()/ab_info() on the `struct ab_out` it was given, and cli/ decides
 * how it looks (apk's apk_out, pkgconf's client handlers). */
#ifndef AB_OUT_H
#define AB_OUT_H

#include "formats/core/err.h"

enum ab_out_level { AB_OUT_ERROR, AB_OUT_WARN, AB_OUT_INFO, AB_OUT_DEBUG };

struct ab_out {
	int verbosity; /* messages above this level are dropped; default AB_OUT_INFO */
	/* Receives one formatted message (no trailing newline). NULL: dropped. */
	void (*emit)(struct ab_out *out, enum ab_out_level lvl, const struct ab_loc *loc,
		     const char *msg);
	void *data;
};

void ab_out_msg(struct ab_out *out, enum ab_out_level lvl, const struct ab_loc *loc,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define ab_warn(out, loc, ...) ab_out_msg((out), AB_OUT_WARN, (loc), __VA_ARGS__)
#define ab_info(out, ...) ab_out_msg((out), AB_OUT_INFO, NULL, __VA_ARGS__)

#endif
