#include "builder/install.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/install_int.h"
#include "formats/core/mem.h"

/* ------------------------------------------------------------------ */
/* byte-compilation */

static int compile_dir(const struct install_opts *o, const char *rel, struct ab_err *err)
{
	const char *py = o->py->executable;
	struct ab_buf dir = AB_BUF_INIT;
	ab_buf_addf(&dir, "%s/%s", o->root, rel);
	/* -s: no user site; -d: the relative directory recorded as the source
	 * path (importlib fixes co_filename up at import anyway); PYTHONHASHSEED
	 * fixes the order of frozenset constants, so .pyc bytes are stable */
	char *argv[] = { (char *)py, "-s", "-m", "compileall", "-q", "-j0", "--invalidation-mode",
			 "unchecked-hash", "-d", (char *)rel, dir.buf, NULL };
	char *envp[] = { "PYTHONHASHSEED=0", "LC_ALL=C.UTF-8", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int r = 0, e = posix_spawn(&pid, py, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		struct ab_loc loc = { py, 0, 0 };
		r = ab_err_at(err, AB_E_IO, &loc, "cannot run compileall: %s", strerror(e));
		goto out;
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* compileall exits 1 when a file does not compile: pip ignores those */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		ab_warn(o->out, NULL, "some files in '%s' did not byte-compile", rel);
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		r = ab_err_set(err, AB_E_BUILD, "compileall failed on '%s'", rel);
out:
	ab_buf_release(&dir);
	return r;
}

int install_compile(const struct install_opts *o, struct ab_err *err)
{
	int r = compile_dir(o, o->py->purelib, err);
	if (r == 0 && strcmp(o->py->purelib, o->py->platlib))
		r = compile_dir(o, o->py->platlib, err);
	return r;
}

/* ------------------------------------------------------------------ */
/* byte-compilation of many wheels, remembered in the cache */

/* Python: compile the files named on stdin (NUL-separated, relative to
 * argv[1]) as `compileall -d REL --invalidation-mode unchecked-hash` does
 * (py_compile.compile with dfile = the path relative to the environment,
 * so co_filename holds no build path), in worker processes as `-j0` does.
 * Exit status 1 when a file did not compile (as compileall). */
static const char compile_script[] =
	"import os,sys,py_compile\n"
	"M=py_compile.PycInvalidationMode.UNCHECKED_HASH\n"
	"R=sys.argv[1]\n"
	"def c(r):\n"
	" try:\n"
	"  py_compile.compile(os.path.join(R,r),dfile=r,doraise=True,invalidation_mode=M)\n"
	"  return 0\n"
	" except Exception:\n"
	"  return 1\n"
	"F=[os.fsdecode(x) for x in sys.stdin.buffer.read().split(b'\\0') if x]\n"
	"n=min(os.cpu_count() or 1,8)\n"
	"if n>1 and len(F)>=64:\n"
	" import multiprocessing\n"
	" from concurrent.futures import ProcessPoolExecutor\n"
	" with ProcessPoolExecutor(n,mp_context=multiprocessing.get_context('fork')) as e:\n"
	"  bad=sum(e.map(c,F,chunksize=max(1,len(F)//(4*n))))\n"
	"else:\n"
	" bad=sum(map(c,F))\n"
	"sys.exit(1 if bad else 0)\n";

/* importlib.util.cache_from_source(rel) for optimization level 0. */
static void pyc_of(const struct interp *py, const char *rel, struct ab_buf *out)
{
	const char *slash = strrchr(rel, '/');
	const char *name = slash ? slash + 1 : rel;
	size_t stem = strlen(name) - 3; /* ".py" */
	if (slash)
		ab_buf_add(out, rel, (size_t)(slash - rel) + 1);
	ab_buf_adds(out, "__pycache__/");
	/* rpartition('.'): an empty stem keeps "py" */
	if (stem)
		ab_buf_add(out, name, stem);
	else
		ab_buf_adds(out, "py");
	ab_buf_addf(out, ".%s.pyc", py->cache_tag);
}

static int read_whole(const char *path, struct ab_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char tmp[65536];
	for (;;) {
		ssize_t k = read(fd, tmp, sizeof(tmp));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			close(fd);
			return k < 0 ? -1 : 0;
		}
		ab_buf_add(out, tmp, (size_t)k);
	}
}

/* The cached .pyc files of a wheel: a page whose body is, per file,
 * "REL\0SIZE\n" and SIZE bytes (REL relative to root, in the order of
 * ps->py). A file that did not compile is absent. Written into root when
 * every REL is the .pyc of one of the wheel's .py files; a malformed entry
 * is ignored (the wheel is compiled). */
int install_pyc_restore(const struct install_opts *o, const struct cache *c, const char *key,
			struct pyset *ps, struct install_mem *ms, struct ab_err *err)
{
	struct ab_buf want = AB_BUF_INIT, path = AB_BUF_INIT;
	struct cache_map map = CACHE_MAP_INIT;
	int r = 0;
	/* mapped, not read: the .pyc files are written from (or, with ms, kept
	 * in) the page itself */
	if (cache_page_map(c, key, true, &map, NULL) <= 0)
		goto out;
	/* check the whole body before writing anything */
	const char *body = map.body, *p = body, *end = body + map.n;
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++) {
		p = body;
		k = 0;
		while (p < end) {
			const char *nul = memchr(p, '\0', (size_t)(end - p));
			if (!nul)
				goto out;
			const char *q = nul + 1;
			uint64_t size = 0;
			while (q < end && *q >= '0' && *q <= '9' && size < ((uint64_t)1 << 40))
				size = size * 10 + (uint64_t)(*q++ - '0');
			if (q >= end || *q != '\n' || size > (uint64_t)(end - q - 1))
				goto out;
			q++;
			/* the next .py (in order) whose .pyc this is */
			bool found = false;
			for (; k < ps->n && !found; k++) {
				ab_buf_reset(&want);
				pyc_of(o->py, ps->py[k], &want);
				found = want.len == (size_t)(nul - p) && !memcmp(want.buf, p, want.len);
			}
			if (!found)
				goto out;
			if (pass == 1 && ms) {
				/* kept: the file points into the page, which ms keeps */
				AB_GROW(ms->files, ms->cap, ms->n + 1);
				struct install_memfile *f = &ms->files[ms->n++];
				f->path = ab_xstrndup(want.buf, want.len);
				f->data = (char *)q;
				f->size = (size_t)size;
				f->exec = false;
				f->owned = false;
			} else if (pass == 1) {
				ab_buf_reset(&path);
				ab_buf_addf(&path, "%s/%s", o->root, want.buf);
				r = install_mkdir_parent(path.buf, err);
				if (r == 0)
					r = install_write_file(path.buf, q, (size_t)size, 0644, err);
				if (r < 0)
					goto out;
			}
			p = q + size;
		}
	}
	ps->hit = true;
	if (ms) {
		AB_GROW(ms->maps, ms->mcap, ms->nmaps + 1);
		ms->maps[ms->nmaps++] = (struct install_memmap){ map.addr, map.len };
		map = (struct cache_map)CACHE_MAP_INIT;
	}
out:
	cache_unmap(&map);
	ab_buf_release(&want);
	ab_buf_release(&path);
	return r;
}

/* Keep the .pyc files compiled for a wheel. A cache that cannot be written
 * only costs the next run a compile. */
static void pyc_store(const struct install_opts *o, const struct cache *c, const char *key,
		      const struct pyset *ps)
{
	struct ab_buf body = AB_BUF_INIT, rel = AB_BUF_INIT, path = AB_BUF_INIT,
		      data = AB_BUF_INIT;
	for (size_t i = 0; i < ps->n; i++) {
		ab_buf_reset(&rel);
		pyc_of(o->py, ps->py[i], &rel);
		ab_buf_reset(&path);
		ab_buf_addf(&path, "%s/%s", o->root, rel.buf);
		ab_buf_reset(&data);
		if (read_whole(path.buf, &data) < 0)
			continue; /* did not compile */
		ab_buf_add(&body, rel.buf, rel.len + 1);
		ab_buf_addf(&body, "%zu\n", data.len);
		ab_buf_add(&body, data.buf, data.len);
	}
	struct cache_meta put = CACHE_META_INIT;
	put.url = (char *)key;
	cache_page_put(c, &put, body.buf, body.len, NULL);
	ab_buf_release(&body);
	ab_buf_release(&rel);
	ab_buf_release(&path);
	ab_buf_release(&data);
}

/* One interpreter run of compile_script over `files` (relative to root). */
static int compile_files(const struct install_opts *o, char *const *files, size_t n,
			 struct ab_err *err)
{
	const char *py = o->py->executable;
	posix_spawn_file_actions_t fa;
	int r = 0;
	if (!n)
		return 0;
	/* the list through an unnamed temporary file: no pipe to fill, no
	 * SIGPIPE when the interpreter dies early */
	FILE *list = tmpfile();
	if (!list)
		return install_io_err(err, "tmpfile", "create a temporary file");
	for (size_t i = 0; i < n; i++)
		fwrite(files[i], 1, strlen(files[i]) + 1, list);
	if (fflush(list) != 0 || fseek(list, 0, SEEK_SET) != 0) {
		r = install_io_err(err, "tmpfile", "write a temporary file");
		fclose(list);
		return r;
	}
	/* -s: no user site; PYTHONHASHSEED fixes the order of frozenset
	 * constants, so .pyc bytes are stable */
	char *argv[] = { (char *)py, "-s", "-c", (char *)compile_script, (char *)o->root, NULL };
	char *envp[] = { "PYTHONHASHSEED=0", "LC_ALL=C.UTF-8", NULL };
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fileno(list), 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int e = posix_spawn(&pid, py, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	fclose(list);
	if (e) {
		struct ab_loc loc = { py, 0, 0 };
		return ab_err_at(err, AB_E_IO, &loc, "cannot run the interpreter: %s", strerror(e));
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* a file that does not compile: pip ignores those */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		ab_warn(o->out, NULL, "some files did not byte-compile");
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		r = ab_err_set(err, AB_E_BUILD, "byte-compiling failed");
	return r;
}

/* The cache key of a wheel's .pyc files: what they are a function of. */
static char *pyc_key(const struct install_opts *o, const char *sha256)
{
	const struct interp *py = o->py;
	char script[65];
	cache_sha256_hex(compile_script, sizeof(compile_script) - 1, script);
	struct ab_buf k = AB_BUF_INIT;
	ab_buf_addf(&k, "appbuild-pyc:%s\n%s %s %s %s\n%s\n%s\n%s\n", sha256, py->implementation,
		    py->version, py->cache_tag, py->magic, py->purelib, py->platlib, script);
	return ab_buf_detach(&k);
}

int install_wheels_compile(const struct install_opts *o, const struct install_wheel *w,
			   const char *const *sha256, size_t n, const struct cache *c,
			   struct ab_err *err)
{
	return install_wheels_mem(o, w, sha256, n, c, NULL, err);
}

int install_wheels_mem(const struct install_opts *o, const struct install_wheel *w,
		       const char *const *sha256, size_t n, const struct cache *c,
		       struct install_mem *mem, struct ab_err *err)
{
	struct pool p = { .o = o, .w = w, .n = n };
	char **todo = NULL;
	size_t ntodo = 0, cap = 0;
	int r;
	if (!o->py->cache_tag)
		/* sys.implementation.cache_tag None: no .pyc files at all */
		return install_wheels(o, w, n, err);
	p.ps = ab_xcalloc(n + 1, sizeof(*p.ps));
	p.keys = ab_xcalloc(n + 1, sizeof(*p.keys));
	if (mem)
		p.ms = ab_xcalloc(n + 1, sizeof(*p.ms));
	p.cache = c;
	for (size_t i = 0; i < n; i++)
		if (c && !c->disabled && sha256 && sha256[i] && o->py->magic)
			p.keys[i] = pyc_key(o, sha256[i]);
	r = install_run_pool(&p, err);
	/* a wheel kept in memory whose .pyc files were not found: written, to
	 * be compiled with the others */
	for (size_t i = 0; r >= 0 && mem && i < n; i++)
		if (p.ps[i].mem && !p.ps[i].hit)
			r = install_mem_flush(o, &p.ms[i], err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; !p.ps[i].hit && k < p.ps[i].n; k++) {
			AB_GROW(todo, cap, ntodo + 1);
			todo[ntodo++] = p.ps[i].py[k];
		}
	r = compile_files(o, todo, ntodo, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!p.ps[i].hit && p.keys[i])
			pyc_store(o, c, p.keys[i], &p.ps[i]);
out:
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < p.ps[i].n; k++)
			free(p.ps[i].py[k]);
		free(p.ps[i].py);
		free(p.keys[i]);
		if (!p.ms)
			continue;
		/* wheel by wheel into mem: the files, then the blocks they point into */
		struct install_mem *m = &p.ms[i];
		for (size_t k = 0; r >= 0 && k < m->n; k++) {
			AB_GROW(mem->files, mem->cap, mem->n + 1);
			mem->files[mem->n++] = m->files[k];
		}
		for (size_t k = 0; r >= 0 && k < m->nmaps; k++) {
			AB_GROW(mem->maps, mem->mcap, mem->nmaps + 1);
			mem->maps[mem->nmaps++] = m->maps[k];
		}
		if (r >= 0)
			m->n = m->nmaps = 0;
		install_mem_release(m);
	}
	free(p.ms);
	free(p.ps);
	free(p.keys);
	free(todo);
	return r;
}
