/* interp.c - query the target interpreter (see interp.h). */
#include "builder/interp.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/target.h"
#include "formats/core/mem.h"

extern char **environ;

/* Python 3.7+; printed as one JSON object. The layout comes from sysconfig
 * with a placeholder root, so every path is relative to the venv's root.
 * The tags follow packaging.tags (interpreter_name/_version, _cpython_abis,
 * _generic_abi) so the resolver's target is what pip would compute. */
const char interp_script[] =
	"import json,os,platform,sys,sysconfig\n"
	"from importlib.util import MAGIC_NUMBER\n"
	"R='/@appbuild-root'\n"
	"V=dict(base=R,platbase=R,installed_base=R,installed_platbase=R)\n"
	"S='venv' if 'venv' in sysconfig.get_scheme_names() else 'posix_prefix'\n"
	"P=sysconfig.get_paths(S,vars=V)\n"
	"def rel(x):\n"
	" r=os.path.relpath(x,R)\n"
	" return '' if r=='.' else r\n"
	"c=sysconfig.get_config_var\n"
	"n=sys.implementation.name\n"
	"nodot=c('py_version_nodot') or '%d%d'%sys.version_info[:2]\n"
	"it={'cpython':'cp','pypy':'pp','ironpython':'ip','jython':'jy'}.get(n,n)+nodot\n"
	"es=c('EXT_SUFFIX') or ''\n"
	"if n=='cpython':\n"
	" d='d' if c('Py_DEBUG') or hasattr(sys,'gettotalrefcount') else ''\n"
	" t='t' if c('Py_GIL_DISABLED') else ''\n"
	" m='m' if sys.version_info<(3,8) and c('WITH_PYMALLOC') else ''\n"
	" abi='cp'+nodot+t+d+m\n"
	"else:\n"
	" sa=es.split('.')[1] if es.count('.')>1 else (c('SOABI') or '')\n"
	" if sa.startswith('pypy'): sa='-'.join(sa.split('-')[:2])\n"
	" abi=sa.replace('.','_').replace('-','_') or 'none'\n"
	"lc=None;lv=None\n"
	"try:\n"
	" g=os.confstr('CS_GNU_LIBC_VERSION').split()\n"
	" lc,lv='glibc',g[1]\n"
	"except Exception:\n"
	" l=platform.libc_ver()\n"
	" if l[0]: lc,lv=l[0],l[1] or None\n"
	"be=os.path.abspath(getattr(sys,'_base_executable',None) or sys.executable)\n"
	"vs='%d.%d'%sys.version_info[:2]\n"
	"json.dump(dict(executable=os.path.abspath(sys.executable),base_executable=be,\n"
	" home=os.path.dirname(be),prefix=sys.prefix,base_prefix=sys.base_prefix,\n"
	" version=platform.python_version(),major=sys.version_info[0],minor=sys.version_info[1],\n"
	" micro=sys.version_info[2],implementation=n,\n"
	" cache_tag=sys.implementation.cache_tag,soabi=c('SOABI'),ext_suffix=es,\n"
	" interpreter_tag=it,abi_tag=abi,platform=sysconfig.get_platform(),\n"
	" machine=platform.machine(),libc=lc,libc_version=lv,\n"
	" pointer_bits=64 if sys.maxsize>2**32 else 32,\n"
	" purelib=rel(P['purelib']),platlib=rel(P['platlib']),scripts=rel(P['scripts']),\n"
	" data=rel(P['data']),headers=os.path.join('include','site','python'+vs),\n"
	" magic=MAGIC_NUMBER.hex()),\n"
	" sys.stdout)\n";

void interp_release(struct interp *p)
{
	char **fields[] = { &p->executable, &p->base_executable, &p->home,   &p->prefix,
			    &p->base_prefix, &p->version,	  &p->implementation,
			    &p->cache_tag,   &p->soabi,		  &p->ext_suffix,
			    &p->interpreter_tag, &p->abi_tag,	  &p->platform,
			    &p->machine,     &p->libc,		  &p->libc_version,
			    &p->purelib,     &p->platlib,	  &p->scripts,
			    &p->data,	     &p->headers,	  &p->magic };
	for (size_t i = 0; i < AB_ARRAY_SIZE(fields); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
	memset(p, 0, sizeof(*p));
}

/* A string member: required ones must be non-empty strings (data may be
 * ""), optional ones may be null or missing. */
static int get_str(json_t *o, const char *key, bool required, bool may_be_empty, char **out,
		   struct ab_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		return ab_err_set(err, AB_E_INVALID, "interpreter query: missing '%s'", key);
	}
	if (!json_is_string(v) || (!may_be_empty && !json_string_length(v)))
		return ab_err_set(err, AB_E_INVALID, "interpreter query: invalid '%s'", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return ab_err_set(err, AB_E_INVALID, "interpreter query: NUL in '%s'", key);
	*out = ab_xstrdup(json_string_value(v));
	return 0;
}

static int get_uint(json_t *o, const char *key, unsigned *out, struct ab_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000)
		return ab_err_set(err, AB_E_INVALID, "interpreter query: invalid '%s'", key);
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* A relative layout path must stay inside the environment. */
static bool rel_ok(const char *p)
{
	if (p[0] == '/')
		return false;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return false;
		s += n;
		if (*s)
			s++;
	}
	return true;
}

int interp_parse(const char *json, struct interp *out, struct ab_err *err)
{
	json_error_t je;
	int r = 0;

	memset(out, 0, sizeof(*out));
	json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		r = ab_err_set(err, AB_E_INVALID, "interpreter query: not a JSON object (%s)",
			       o ? "wrong type" : je.text);
		goto out;
	}
	struct {
		const char *key;
		char **dst;
		bool required, empty_ok;
	} strs[] = {
		{ "executable", &out->executable, true, false },
		{ "base_executable", &out->base_executable, true, false },
		{ "home", &out->home, true, false },
		{ "prefix", &out->prefix, true, false },
		{ "base_prefix", &out->base_prefix, true, false },
		{ "version", &out->version, true, false },
		{ "implementation", &out->implementation, true, false },
		{ "cache_tag", &out->cache_tag, false, false },
		{ "soabi", &out->soabi, false, false },
		{ "ext_suffix", &out->ext_suffix, true, true },
		{ "interpreter_tag", &out->interpreter_tag, true, false },
		{ "abi_tag", &out->abi_tag, true, false },
		{ "platform", &out->platform, true, false },
		{ "machine", &out->machine, true, true },
		{ "libc", &out->libc, false, false },
		{ "libc_version", &out->libc_version, false, false },
		{ "purelib", &out->purelib, true, false },
		{ "platlib", &out->platlib, true, false },
		{ "scripts", &out->scripts, true, false },
		{ "data", &out->data, true, true },
		{ "headers", &out->headers, true, false },
		{ "magic", &out->magic, false, false },
	};
	for (size_t i = 0; i < AB_ARRAY_SIZE(strs) && r == 0; i++)
		r = get_str(o, strs[i].key, strs[i].required, strs[i].empty_ok, strs[i].dst, err);
	if (r == 0)
		r = get_uint(o, "major", &out->major, err);
	if (r == 0)
		r = get_uint(o, "minor", &out->minor, err);
	if (r == 0)
		r = get_uint(o, "micro", &out->micro, err);
	if (r == 0)
		r = get_uint(o, "pointer_bits", &out->pointer_bits, err);
	if (r < 0)
		goto out;
	const char *rels[] = { out->purelib, out->platlib, out->scripts, out->data, out->headers };
	for (size_t i = 0; i < AB_ARRAY_SIZE(rels); i++) {
		if (!rel_ok(rels[i])) {
			r = ab_err_set(err, AB_E_INVALID,
				       "interpreter query: layout path '%s' is outside the environment",
				       rels[i]);
			goto out;
		}
	}
	if (out->major < 3 || (out->major == 3 && out->minor < 7))
		r = ab_err_set(err, AB_E_UNSUPPORTED,
			       "Python %s is not supported (3.7 or newer is required)", out->version);
out:
	json_decref(o);
	if (r < 0)
		interp_release(out);
	return r;
}

/* The query's JSON output into `json` (see interp_query). */
static int run_query(const char *python, struct ab_buf *json, struct ab_err *err)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct ab_buf se = AB_BUF_INIT;
	posix_spawn_file_actions_t fa;
	bool fa_init = false;
	pid_t pid = -1;
	int r = 0;

	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r = ab_err_set(err, AB_E_IO, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	fa_init = true;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	/* -I: no user site, no PYTHON* variables, no script directory on sys.path:
	 * the interpreter as it is, not as this shell happens to configure it */
	char *argv[] = { (char *)python, "-I", "-c", (char *)interp_script, NULL };
	int e = strchr(python, '/') ? posix_spawn(&pid, python, &fa, NULL, argv, environ)
				    : posix_spawnp(&pid, python, &fa, NULL, argv, environ);
	if (e) {
		struct ab_loc loc = { python, 0, 0 };
		r = ab_err_at(err, AB_E_IO, &loc, "cannot run the interpreter: %s", strerror(e));
		pid = -1;
		goto out;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	/* both pipes at once: a chatty stderr must not block the child */
	struct pollfd pf[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
	struct ab_buf *bufs[2] = { json, &se };
	int open_n = 2;
	while (open_n) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = ab_err_set(err, AB_E_IO, "poll: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			char tmp[8192];
			ssize_t n = read(pf[i].fd, tmp, sizeof(tmp));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				pf[i].fd = -1;
				open_n--;
				continue;
			}
			if (bufs[i]->len < (1u << 20))
				ab_buf_add(bufs[i], tmp, (size_t)n);
		}
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		/* the last non-empty stderr line: a traceback's exception */
		struct ab_str last = AB_STR_LIT("");
		for (size_t i = 0; i < se.len;) {
			size_t j = i;
			while (j < se.len && se.buf[j] != '\n')
				j++;
			struct ab_str l = ab_str_trim(ab_str_make(se.buf + i, j - i));
			if (l.len)
				last = l;
			i = j + 1;
		}
		struct ab_loc loc = { python, 0, 0 };
		if (WIFEXITED(st))
			r = ab_err_at(err, AB_E_INVALID, &loc,
				      "interpreter query failed (exit status %d)%s" AB_STR_FMT,
				      WEXITSTATUS(st), last.len ? ": " : "", AB_STR_ARG(last));
		else
			r = ab_err_at(err, AB_E_INVALID, &loc,
				      "interpreter query killed by signal %d", WTERMSIG(st));
		goto out;
	}
out:
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	ab_buf_release(&se);
	return r;
}

/* Run the query and parse its answer, kept in `json`. */
static int query(const char *python, struct ab_buf *json, struct interp *out, struct ab_err *err)
{
	memset(out, 0, sizeof(*out));
	int r = run_query(python, json, err);
	if (r == 0) {
		r = interp_parse(json->buf, out, err);
		if (r < 0)
			ab_err_locate(err, python, 0, 0);
	}
	return r;
}

int interp_query(const char *python, struct interp *out, struct ab_err *err)
{
	struct ab_buf json = AB_BUF_INIT;
	int r = query(python ? python : "python3", &json, out, err);
	ab_buf_release(&json);
	return r;
}

/* "size mtime" of a file, to tell a replaced interpreter; "-" when absent. */
static void file_stamp(const char *path, struct ab_buf *out)
{
	struct stat st;
	if (stat(path, &st) < 0)
		ab_buf_adds(out, "-");
	else
		ab_buf_addf(out, "%lld %lld.%09ld", (long long)st.st_size,
			    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void stamps(const struct interp *p, struct ab_buf *out)
{
	file_stamp(p->executable, out);
	ab_buf_addc(out, ' ');
	file_stamp(p->base_executable, out);
	ab_buf_addc(out, '\n');
}

int interp_query_cached(const struct cache *c, const char *python, struct interp *out,
			struct ab_err *err)
{
	if (!python)
		python = "python3";
	if (!c || c->disabled)
		return interp_query(python, out, err);
	struct ab_buf key = AB_BUF_INIT, body = AB_BUF_INIT, st = AB_BUF_INIT;
	struct cache_meta meta = CACHE_META_INIT;
	int r;
	ab_buf_addf(&key, "appbuild-interp:%s\n%s\n", python, interp_script);
	target_python_key(python, &key);
	/* body: the stamps of the executables, "\n", the query's JSON */
	if (cache_page_get(c, key.buf, &meta, &body, NULL) > 0) {
		const char *nl = memchr(body.buf, '\n', body.len);
		struct ab_err ignored = AB_ERR_INIT;
		if (nl && interp_parse(nl + 1, out, &ignored) == 0) {
			stamps(out, &st);
			if (st.len == (size_t)(nl + 1 - body.buf) &&
			    !memcmp(st.buf, body.buf, st.len)) {
				r = 0;
				ab_err_release(&ignored);
				goto out;
			}
			interp_release(out);
		}
		ab_err_release(&ignored);
	}
	ab_buf_reset(&body);
	r = query(python, &body, out, err);
	if (r < 0)
		goto out;
	ab_buf_reset(&st);
	stamps(out, &st);
	ab_buf_add(&st, body.buf, body.len);
	struct cache_meta put = CACHE_META_INIT;
	put.url = key.buf;
	/* a cache that cannot be written only costs the next run a query */
	cache_page_put(c, &put, st.buf, st.len, NULL);
out:
	cache_meta_release(&meta);
	ab_buf_release(&key);
	ab_buf_release(&body);
	ab_buf_release(&st);
	return r;
}
