/* elfscan.c - DT_NEEDED sonames of the ELF files of a tree (see elfscan.h). */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/elfscan.h"
#include "formats/core/fs.h"
#include "formats/core/mem.h"
#include "formats/extmap.h"

/* glibc's shared objects (glibc 2.36 `make install`: the libraries of
 * libc6 on Debian), matched by their name before ".so". libcrypt is not
 * here: glibc dropped it for libxcrypt (Debian's libcrypt1). */
static const char *const libc_stems[] = {
	"libBrokenLocale", "libanl",	   "libc",	     "libc_malloc_debug", "libdl",
	"libm",		   "libmemusage", "libmvec",	     "libnsl",		  "libnss_compat",
	"libnss_dns",	   "libnss_files", "libnss_hesiod", "libpcprofile",	  "libpthread",
	"libresolv",	   "librt",	   "libthread_db",  "libutil",
	/* not glibc, but libc6 depends on it and every manylinux policy
	 * allows it: the unwinder of C++ and Rust extensions */
	"libgcc_s",
};

/* The dynamic loaders (PT_INTERP targets, also in DT_NEEDED), per ABI. */
static const char *const loaders[] = {
	"ld-linux-x86-64.so.2", "ld-linux.so.2",	  "ld-linux-aarch64.so.1",
	"ld-linux-armhf.so.3",	"ld-linux-riscv64-lp64d.so.1", "ld64.so.1",
	"ld64.so.2",		"ld.so.1",
};

/* soname -> external-dependencies.txt name and Debian package: the soname
 * rows of the mapping table (templates/extmap.tsv.in, formats/extmap.h),
 * the same table `appbuild deb`/`appbuild rpm` map names with, checked
 * against ../shared/pyindex/NEEDED.txt by tests/unit/extmap_test.c. */
bool elfscan_lookup(const char *soname, const char **name, const char **debian)
{
	struct extmap_target deb;
	extmap_target_default(OSVER_DEB, &deb);
	const char *n = NULL;
	const char *pkg = extmap_package(extmap_builtin(), soname, &deb, &n);
	/* only soname rows: a plain name (elfscan_covered's job) is no soname */
	if (!pkg || !strstr(soname, ".so"))
		return false;
	*name = n;
	*debian = pkg;
	return true;
}

/* The length of the soname's stem: what precedes ".so" (the whole name
 * when it has none). */
static size_t stem_len(const char *soname)
{
	const char *so = strstr(soname, ".so");
	while (so && so[3] && so[3] != '.')
		so = strstr(so + 1, ".so");
	return so ? (size_t)(so - soname) : strlen(soname);
}

enum elfscan_provider elfscan_classify(const char *soname)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(loaders); i++)
		if (!strcmp(soname, loaders[i]))
			return ELFSCAN_LIBC;
	size_t n = stem_len(soname);
	for (size_t i = 0; i < AB_ARRAY_SIZE(libc_stems); i++)
		if (strlen(libc_stems[i]) == n && !strncmp(soname, libc_stems[i], n))
			return ELFSCAN_LIBC;
	if (!strncmp(soname, "libpython", 9))
		return ELFSCAN_PYTHON;
	return ELFSCAN_HOST;
}

const char *elfscan_provider_str(enum elfscan_provider p)
{
	switch (p) {
	case ELFSCAN_BUNDLE:
		return "bundle";
	case ELFSCAN_LIBC:
		return "libc";
	case ELFSCAN_PYTHON:
		return "python";
	case ELFSCAN_HOST:
		break;
	}
	return "host";
}

bool elfscan_covered(const struct elfscan_lib *lib, const struct extdeps *d)
{
	size_t sl = stem_len(lib->soname);
	for (size_t i = 0; d && i < d->n; i++) {
		const char *n = d->entries[i].name;
		if ((lib->name && !strcasecmp(n, lib->name)) ||
		    (lib->debian && !strcasecmp(n, lib->debian)) || !strcasecmp(n, lib->soname) ||
		    (strlen(n) == sl && !strncasecmp(n, lib->soname, sl)))
			return true;
	}
	return false;
}

/* One (soname, file) pair found while walking. */
struct need {
	char *soname; /* owned */
	size_t file;  /* index into walk.files */
};

struct walk {
	char **base;	    /* base names of every file and link (owned) */
	size_t nbase, capbase;
	char **files;	    /* relative paths of the ELF files (owned) */
	size_t nfiles, capfiles;
	struct need *needs;
	size_t nneeds, capneeds;
	struct ab_err *err;
};

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static bool elf_ok;

static void elf_init(void)
{
	elf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !memcmp(s + n - m, suf, m);
}

/* The DT_NEEDED entries of the ELF file open on fd (rel: its path below the
 * root). */
static int read_needed(struct walk *w, int fd, const char *rel, struct ab_err *err)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int r = 0;
	if (!e || elf_kind(e) != ELF_K_ELF) {
		r = ab_err_set(err, AB_E_PARSE, "cannot read ELF file '%s': %s", rel,
			       elf_errmsg(-1));
		goto out;
	}
	AB_GROW(w->files, w->capfiles, w->nfiles + 1);
	size_t fi = w->nfiles;
	w->files[w->nfiles++] = ab_xstrdup(rel);
	for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Dyn dyn;
			if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED)
				continue;
			const char *so = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			if (!so) {
				r = ab_err_set(err, AB_E_PARSE,
					       "bad DT_NEEDED string in ELF file '%s'", rel);
				goto out;
			}
			AB_GROW(w->needs, w->capneeds, w->nneeds + 1);
			w->needs[w->nneeds++] = (struct need){ ab_xstrdup(so), fi };
		}
	}
out:
	if (r < 0)
		ab_err_locate(err, rel, 0, 0);
	elf_end(e);
	return r;
}

static int scan_file(struct walk *w, const char *path, const char *rel, struct ab_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ab_io_fail(err, path, "open");
	unsigned char magic[4];
	int r = 0;
	ssize_t got = pread(fd, magic, sizeof(magic), 0);
	if (got == 4 && !memcmp(magic, ELFMAG, SELFMAG))
		r = read_needed(w, fd, rel, err);
	else if (got < 0)
		r = ab_io_fail(err, path, "read");
	close(fd);
	return r;
}

static int visit(const struct ab_walk_entry *e, void *ctx)
{
	struct walk *w = ctx;
	const struct stat *st = e->st;
	if (!S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode))
		return 0;
	AB_GROW(w->base, w->capbase, w->nbase + 1);
	w->base[w->nbase++] = ab_xstrdup(e->name);
	/* the bulk of an environment is Python source and bytecode: skip it
	 * unread */
	if (S_ISREG(st->st_mode) && st->st_size >= 4 && !has_suffix(e->name, ".py") &&
	    !has_suffix(e->name, ".pyc"))
		return scan_file(w, e->path, e->rel + 1, w->err);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* by soname, then by file path (ctx: the paths); qsort is not stable */
static int cmp_need(const void *a, const void *b, void *ctx)
{
	const struct need *x = a, *y = b;
	char *const *files = ctx;
	int c = strcmp(x->soname, y->soname);
	return c ? c : strcmp(files[x->file], files[y->file]);
}

static void group(struct walk *w, struct elfscan *s)
{
	if (!w->nneeds)
		return; /* qsort() wants a non-NULL array even when empty */
	qsort(w->base, w->nbase, sizeof(*w->base), cmp_str);
	qsort_r(w->needs, w->nneeds, sizeof(*w->needs), cmp_need, w->files);
	size_t cap = 0;
	for (size_t i = 0; i < w->nneeds;) {
		size_t j = i;
		while (j < w->nneeds && !strcmp(w->needs[j].soname, w->needs[i].soname))
			j++;
		AB_GROW(s->libs, cap, s->n + 1);
		struct elfscan_lib *l = &s->libs[s->n++];
		memset(l, 0, sizeof(*l));
		l->soname = w->needs[i].soname;
		w->needs[i].soname = NULL;
		l->provider = elfscan_classify(l->soname);
		if (l->provider == ELFSCAN_HOST &&
		    bsearch(&l->soname, w->base, w->nbase, sizeof(*w->base), cmp_str))
			l->provider = ELFSCAN_BUNDLE;
		if (!elfscan_lookup(l->soname, &l->name, &l->debian))
			l->name = l->debian = NULL;
		l->files = ab_xcalloc(j - i, sizeof(*l->files));
		for (size_t k = i; k < j; k++) {
			const char *f = w->files[w->needs[k].file];
			/* one file may name a soname twice */
			if (!l->nfiles || strcmp(l->files[l->nfiles - 1], f))
				l->files[l->nfiles++] = ab_xstrdup(f);
		}
		i = j;
	}
}

int elfscan_tree(const char *root, struct elfscan *s, struct ab_err *err)
{
	struct walk w;
	memset(&w, 0, sizeof(w));
	w.err = err;
	pthread_once(&elf_once, elf_init);
	if (!elf_ok)
		return ab_err_set(err, AB_E_INTERNAL, "libelf: %s", elf_errmsg(-1));
	int r = ab_walk(root, 0, visit, &w, err);
	if (r >= 0) {
		group(&w, s);
		s->nelf = w.nfiles;
	}
	for (size_t i = 0; i < w.nbase; i++)
		free(w.base[i]);
	for (size_t i = 0; i < w.nfiles; i++)
		free(w.files[i]);
	for (size_t i = 0; i < w.nneeds; i++)
		free(w.needs[i].soname);
	free(w.base);
	free(w.files);
	free(w.needs);
	return r;
}

void elfscan_release(struct elfscan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->libs[i].soname);
		for (size_t k = 0; k < s->libs[i].nfiles; k++)
			free(s->libs[i].files[k]);
		free(s->libs[i].files);
	}
	free(s->libs);
	*s = (struct elfscan)ELFSCAN_INIT;
}
