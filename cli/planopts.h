/* planopts.h - the source and target options that every command which
 * resolves takes (`lock`, `bundle`, later `rpm`/`deb`), defined once.
 *
 * A command embeds `struct planopts` in its options struct and puts
 * PLANOPTS_TABLE(its struct, the member) in its option table; after parsing,
 * planopts_apply() copies the values into the builder's `struct plan_opts`. */
#ifndef CLI_PLANOPTS_H
#define CLI_PLANOPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "builder/plan.h"
#include "cli/options.h"

struct planopts {
	const char *index_url;
	struct opt_list extra_index_url;
	struct opt_list find_links;
	bool no_index;
	bool pre;
	struct opt_list only_binary;
	struct opt_list no_binary;
	bool prefer_binary;
	const char *python_version;
	struct opt_list platform;
	const char *cache_dir;
	bool offline;
	bool no_build_isolation;
	struct opt_list config_settings;
};

#define PLANOPT_(type, m, f) offsetof(type, m) + offsetof(struct planopts, f)

/* The option table entries, in --help order. */
#define PLANOPTS_TABLE(type, m)                                                                  \
	{ "index-url", 'i', OPT_STRING, PLANOPT_(type, m, index_url), "URL",                       \
	  "the primary index (default https://pypi.org/simple/)", NULL, NULL },                    \
	{ "extra-index-url", 0, OPT_LIST, PLANOPT_(type, m, extra_index_url), "URL",               \
	  "another index", NULL, NULL },                                                           \
	{ "find-links", 'f', OPT_LIST, PLANOPT_(type, m, find_links), "PATH",                      \
	  "a directory or HTML page of distributions", NULL, NULL },                               \
	{ "no-index", 0, OPT_BOOL, PLANOPT_(type, m, no_index), NULL,                              \
	  "use no index, only --find-links", NULL, NULL },                                         \
	{ "pre", 0, OPT_BOOL, PLANOPT_(type, m, pre), NULL,                                        \
	  "allow pre-releases and development versions", NULL, NULL },                             \
	{ "only-binary", 0, OPT_LIST, PLANOPT_(type, m, only_binary), "NAMES",                     \
	  "use no sdists of these (comma-separated, :all:, :none:)", NULL, NULL },                 \
	{ "no-binary", 0, OPT_LIST, PLANOPT_(type, m, no_binary), "NAMES",                         \
	  "use no wheels of these (comma-separated, :all:, :none:)", NULL, NULL },                 \
	{ "prefer-binary", 0, OPT_BOOL, PLANOPT_(type, m, prefer_binary), NULL,                    \
	  "prefer an older wheel to a newer sdist", NULL, NULL },                                  \
	{ "python-version", 0, OPT_STRING, PLANOPT_(type, m, python_version), "X.Y",               \
	  "the target python (default: the interpreter's)", NULL, NULL },                          \
	{ "platform", 0, OPT_LIST, PLANOPT_(type, m, platform), "TAG",                             \
	  "a target platform tag, best first (default: the host's)", NULL, NULL },                 \
	{ "cache-dir", 0, OPT_STRING, PLANOPT_(type, m, cache_dir), "DIR",                         \
	  "the cache (default $XDG_CACHE_HOME/appbuild)", NULL, NULL },                            \
	{ "offline", 0, OPT_BOOL, PLANOPT_(type, m, offline), NULL, "answer from the cache only", \
	  NULL, NULL },                                                                            \
	{ "no-build-isolation", 0, OPT_BOOL, PLANOPT_(type, m, no_build_isolation), NULL,          \
	  "build sdists with the interpreter's own packages", NULL, NULL },                        \
	{ "config-settings", 0, OPT_LIST, PLANOPT_(type, m, config_settings), "KEY=VALUE",         \
	  "a setting passed to the build backend", NULL, NULL }

/* Copy the parsed values into `po` (which the caller zeroed and may add to;
 * the strings stay owned by the options). */
void planopts_apply(const struct planopts *o, struct plan_opts *po);

#endif
