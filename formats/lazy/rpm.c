/*
 * The librpm, librpmio and librpmbuild functions appbuild calls, loaded on
 * first use (formats/lazy/lazy.h says how and why). librpmbuild.so.9 needs
 * the other two, and dlsym() on its handle searches them too.
 */
#include <rpm/rpmbuild.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmspec.h>
#include <rpm/rpmts.h>
#include <rpm/rpmver.h>

#include "formats/lazy/lazy_impl.h"

#define FUNCS(F, V, D)                                                                      \
	F(int, rpmReadConfigFiles, (const char *file, const char *target), (file, target), -1) \
	F(int, rpmPushMacro,                                                              \
	  (rpmMacroContext mc, const char *n, const char *o, const char *b, int level),   \
	  (mc, n, o, b, level), -1)                                                       \
	F(int, rpmPopMacro, (rpmMacroContext mc, const char *n), (mc, n), -1)             \
	F(rpmSpec, rpmSpecParse, (const char *f, rpmSpecFlags fl, const char *root),      \
	  (f, fl, root), NULL)                                                            \
	F(int, rpmSpecBuild, (rpmts ts, rpmSpec s, BTA_t args), (ts, s, args), 1)         \
	D(rpmSpec, rpmSpecFree, (rpmSpec s), (s), NULL)                                   \
	F(rpmts, rpmtsCreate, (void), (), NULL)                                           \
	D(rpmts, rpmtsFree, (rpmts ts), (ts), NULL)                                       \
	F(const char *, rpmlogRecMessage, (rpmlogRec r), (r), failmsg())                  \
	F(rpmlogLvl, rpmlogRecPriority, (rpmlogRec r), (r), RPMLOG_ERR)                   \
	F(rpmlogCallback, rpmlogSetCallback, (rpmlogCallback cb, rpmlogCallbackData d),   \
	  (cb, d), NULL)                                                                  \
	F(int, rpmlogSetMask, (int mask), (mask), 0)                                      \
	F(int, rpmvercmp, (const char *a, const char *b), (a, b), 0)

#define ALL(F, V, D) FUNCS(F, V, D)

LAZY_TABLE(ALL, rpm, "librpmbuild.so.9")
LAZY_STUBS(FUNCS)
