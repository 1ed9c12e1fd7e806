/* templates.h - the files of templates/ (launch.sh.in, ...), embedded into
 * the binary at build time by templates/embed.sh (a Makefile rule writes
 * build/templates.c), so an installed appbuild needs no data directory. An
 * app may override one with its own DIR/templates/NAME (cli/cmd_bundle.c). */
#ifndef AB_TEMPLATES_H
#define AB_TEMPLATES_H

#include <stddef.h>

struct template_file {
	const char *name; /* base name: "launch.sh.in" */
	const char *data; /* NUL-terminated */
	size_t len;
};

/* Ends with { NULL, NULL, 0 }. */
extern const struct template_file templates_embedded[];

#endif
