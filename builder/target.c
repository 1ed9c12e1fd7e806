/* target.c - the target environment of a resolution. */
#include "builder/target.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "builder/cache.h"
#include "formats/core/mem.h"

/* platform.python_version() is what python_full_version is (PEP 508);
 * platform.libc_ver() is what packaging's manylinux detection falls back
 * to; mac_ver() gives the macOS version mac_platforms() starts from. */
const char target_host_query[] =
	"import sys,platform\n"
	"l=platform.libc_ver()\n"
	"if sys.platform=='darwin': l=('macos','.'.join(platform.mac_ver()[0].split('.')[:2]))\n"
	"print(platform.python_version(),sys.implementation.name,sys.platform,"
	"platform.machine() or '-',l[0] or '-',l[1] or '0')\n";

struct host {
	char *fields[6];
};

static void host_release(struct host *h)
{
	for (size_t i = 0; i < AB_ARRAY_SIZE(h->fields); i++)
		free(h->fields[i]);
}

static int host_parse(struct host *h, const char *line, struct ab_err *err)
{
	const char *p = line;
	for (size_t i = 0; i < AB_ARRAY_SIZE(h->fields); i++) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " \n");
		if (!n)
			return ab_err_set(err, AB_E_IO, "cannot read the host python's answer '%s'",
					  line);
		h->fields[i] = ab_xstrndup(p, n);
		p += n;
	}
	return 0;
}

static int run_query(const char *python, struct ab_buf *line, struct ab_err *err)
{
	struct ab_buf cmd = AB_BUF_INIT;
	/* the statement has no single quote inside double quotes: quote it for sh */
	ab_buf_addf(&cmd, "'%s' -c \"%s\" 2>/dev/null", python, target_host_query);
	int r = 0;
	FILE *f = popen(cmd.buf, "r");
	if (!f) {
		r = ab_err_set(err, AB_E_IO, "cannot run '%s'", python);
		goto out;
	}
	char chunk[512];
	size_t n;
	size_t start = line->len;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ab_buf_add(line, chunk, n);
	int st = pclose(f);
	if (st != 0 || line->len == start) {
		r = ab_err_set(err, AB_E_IO, "cannot ask '%s' for the target environment", python);
		ab_err_note(err, "give --python-version and --platform, or put python3 on PATH");
	}
out:
	ab_buf_release(&cmd);
	return r;
}

static void key_file(struct ab_buf *key, const char *what, const char *path)
{
	struct stat st;
	char real[4096];
	if (stat(path, &st) < 0)
		return;
	ab_buf_addf(key, "%s %s %lld %lld.%09ld\n", what, realpath(path, real) ? real : path,
		    (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

void target_python_key(const char *python, struct ab_buf *key)
{
	struct ab_buf path = AB_BUF_INIT;
	const char *env_path = getenv("PATH") ? getenv("PATH") : "";
	const char *pyenv = getenv("PYENV_VERSION");
	ab_buf_addf(key, "PATH=%s\nPYENV_VERSION=%s\n", env_path, pyenv ? pyenv : "");
	/* the executable `python` names, as execvp(3) would find it */
	if (strchr(python, '/'))
		key_file(key, "exe", python);
	else {
		const char *p = env_path;
		while (*p) {
			size_t l = strcspn(p, ":");
			ab_buf_reset(&path);
			ab_buf_addf(&path, "%.*s/%s", (int)l, l ? p : ".", python);
			if (access(path.buf, X_OK) == 0) {
				key_file(key, "exe", path.buf);
				break;
			}
			p += l + (p[l] == ':');
		}
	}
	/* pyenv: its global version file and the local .python-version */
	const char *root = getenv("PYENV_ROOT");
	ab_buf_reset(&path);
	if (root)
		ab_buf_addf(&path, "%s/version", root);
	else if (getenv("HOME"))
		ab_buf_addf(&path, "%s/.pyenv/version", getenv("HOME"));
	if (path.len)
		key_file(key, "pyenv", path.buf);
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd))) {
		for (;;) {
			ab_buf_reset(&path);
			ab_buf_addf(&path, "%s/.python-version", cwd);
			struct stat st;
			if (stat(path.buf, &st) == 0) {
				key_file(key, "local", path.buf);
				break;
			}
			char *slash = strrchr(cwd, '/');
			if (!slash || slash == cwd)
				break;
			*slash = 0;
		}
	}
	ab_buf_release(&path);
}

int target_host_line(const struct cache *c, const char *python, struct ab_buf *line,
		     struct ab_err *err)
{
	if (!c || c->disabled)
		return run_query(python, line, err);
	struct ab_buf key = AB_BUF_INIT, body = AB_BUF_INIT;
	ab_buf_addf(&key, "appbuild-host:%s\n", target_host_query);
	target_python_key(python, &key);
	struct cache_meta meta = CACHE_META_INIT;
	int r = cache_page_get(c, key.buf, &meta, &body, NULL);
	if (r > 0 && body.len) {
		ab_buf_add(line, body.buf, body.len);
		r = 0;
		goto out;
	}
	size_t start = line->len;
	r = run_query(python, line, err);
	if (r < 0)
		goto out;
	struct cache_meta put = CACHE_META_INIT;
	put.url = key.buf;
	/* a cache that cannot be written only costs the next run a query */
	cache_page_put(c, &put, line->buf + start, line->len - start, NULL);
out:
	cache_meta_release(&meta);
	ab_buf_release(&key);
	ab_buf_release(&body);
	return r;
}

/* "3.12" -> "3.12.0"; "3.12.1" as is. Anything else is a usage error. */
static int parse_python_version(const char *s, struct ab_buf *full, unsigned *maj, unsigned *min,
				struct ab_err *err)
{
	unsigned a, b, c;
	int used = 0;
	if (sscanf(s, "%u.%u.%u%n", &a, &b, &c, &used) == 3 && !s[used])
		ab_buf_addf(full, "%u.%u.%u", a, b, c);
	else if (used = 0, sscanf(s, "%u.%u%n", &a, &b, &used) == 2 && !s[used])
		ab_buf_addf(full, "%u.%u.0", a, b);
	else if (used = 0, sscanf(s, "%u%n", &a, &used) == 1 && !s[used] && strlen(s) >= 2 &&
				  a >= 20) {
		/* pip also takes "312" for 3.12 */
		b = (unsigned)atoi(s + 1);
		a = (unsigned)(s[0] - '0');
		ab_buf_addf(full, "%u.%u.0", a, b);
	} else
		return ab_err_set(err, AB_E_USAGE, "invalid python version '%s'", s);
	*maj = a;
	*min = b;
	return 0;
}

/* The marker view of a platform tag: sys_platform and platform_machine. */
static int platform_of_tag(const char *tag, const char **sys, char **machine, struct ab_err *err)
{
	static const struct {
		const char *prefix;
		int skip; /* '_'-separated fields before the arch */
		const char *sys;
	} kinds[] = {
		{ "manylinux_", 3, "linux" }, { "musllinux_", 3, "linux" },
		{ "manylinux", 1, "linux" },  { "linux_", 1, "linux" },
		{ "macosx_", 3, "darwin" },
	};
	if (!strcmp(tag, "win32")) {
		*sys = "win32";
		*machine = ab_xstrdup("x86");
		return 0;
	}
	if (!strncmp(tag, "win_", 4)) {
		*sys = "win32";
		*machine = ab_xstrdup(tag + 4);
		for (char *p = *machine; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		return 0;
	}
	for (size_t i = 0; i < AB_ARRAY_SIZE(kinds); i++) {
		if (strncmp(tag, kinds[i].prefix, strlen(kinds[i].prefix)))
			continue;
		const char *p = tag;
		for (int k = 0; k < kinds[i].skip && p; k++) {
			p = strchr(p, '_');
			if (p)
				p++;
		}
		if (!p || !*p)
			break;
		*sys = kinds[i].sys;
		*machine = ab_xstrdup(p);
		return 0;
	}
	return ab_err_set(err, AB_E_USAGE, "unknown platform tag '%s'", tag);
}

static bool valid_tag(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
			return false;
	return true;
}

int target_init(struct target *t, const struct target_spec *spec, struct ab_err *err)
{
	struct host h;
	memset(&h, 0, sizeof(h));
	memset(t, 0, sizeof(*t));
	t->env_storage = (struct ab_buf)AB_BUF_INIT;
	t->tags = (struct tags_supported)TAGS_SUPPORTED_INIT;
	struct ab_buf full = AB_BUF_INIT, desc = AB_BUF_INIT;
	int r = 0;
	bool need_host = !spec->python_version || !spec->nplatforms;
	if (need_host) {
		struct ab_buf line = AB_BUF_INIT;
		r = spec->host_line ? 0
				    : run_query(spec->python ? spec->python : "python3", &line, err);
		if (r >= 0)
			r = host_parse(&h, spec->host_line ? spec->host_line : line.buf, err);
		ab_buf_release(&line);
		if (r < 0)
			goto out;
	}
	if (spec->python_version) {
		r = parse_python_version(spec->python_version, &full, &t->py_major, &t->py_minor,
					 err);
		if (r < 0)
			goto out;
		t->python_full_version = ab_buf_detach(&full);
	} else {
		t->python_full_version = ab_xstrdup(h.fields[0]);
		if (sscanf(h.fields[0], "%u.%u", &t->py_major, &t->py_minor) != 2) {
			r = ab_err_set(err, AB_E_IO, "the host python has version '%s'",
				       h.fields[0]);
			goto out;
		}
	}
	t->python = pep440_version_new(t->python_full_version);
	if (!t->python) {
		r = ab_err_set(err, AB_E_USAGE, "invalid python version '%s'",
			       t->python_full_version);
		goto out;
	}
	t->implementation = ab_xstrdup(need_host ? h.fields[1] : "cpython");
	if (strcmp(t->implementation, "cpython") && strcmp(t->implementation, "pypy")) {
		r = ab_err_set(err, AB_E_USAGE, "unsupported python implementation '%s'",
			       t->implementation);
		goto out;
	}
	struct tags_target tt;
	memset(&tt, 0, sizeof(tt));
	tt.py_major = t->py_major;
	tt.py_minor = t->py_minor;
	tt.impl = !strcmp(t->implementation, "pypy") ? TAGS_IMPL_PYPY : TAGS_IMPL_CPYTHON;
	if (spec->nplatforms) {
		t->platforms = ab_xcalloc(spec->nplatforms, sizeof(*t->platforms));
		for (size_t i = 0; i < spec->nplatforms; i++) {
			if (!valid_tag(spec->platforms[i])) {
				r = ab_err_set(err, AB_E_USAGE, "invalid platform tag '%s'",
					       spec->platforms[i]);
				goto out;
			}
			t->platforms[i] = ab_xstrdup(spec->platforms[i]);
			for (char *p = t->platforms[i]; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			t->nplatforms++;
		}
		const char *sys = NULL;
		r = platform_of_tag(t->platforms[0], &sys, &t->machine, err);
		if (r < 0)
			goto out;
		t->sys_platform = ab_xstrdup(sys);
		t->libc = ab_xstrdup("");
		tt.platforms = (const char *const *)t->platforms;
		tt.nplatforms = t->nplatforms;
	} else {
		t->sys_platform = ab_xstrdup(h.fields[2]);
		t->machine = ab_xstrdup(strcmp(h.fields[3], "-") ? h.fields[3] : "");
		t->libc = ab_xstrdup(strcmp(h.fields[4], "-") ? h.fields[4] : "");
		sscanf(h.fields[5], "%u.%u", &t->libc_major, &t->libc_minor);
		tt.arch = t->machine;
		if (!strcmp(t->sys_platform, "darwin")) {
			tt.os = TAGS_OS_MACOS;
			tt.os_major = t->libc_major;
			tt.os_minor = t->libc_minor;
		} else if (!strcmp(t->sys_platform, "win32")) {
			tt.os = TAGS_OS_WINDOWS;
		} else {
			tt.os = TAGS_OS_LINUX;
			tt.libc = !strcmp(t->libc, "glibc") ? TAGS_LIBC_GLIBC
				  : !strcmp(t->libc, "musl") ? TAGS_LIBC_MUSL
							     : TAGS_LIBC_UNKNOWN;
			tt.os_major = t->libc_major;
			tt.os_minor = t->libc_minor;
		}
	}
	r = tags_supported(&tt, &t->tags, err);
	if (r < 0)
		goto out;
	struct marker_target mt = { t->python_full_version, t->implementation, t->sys_platform,
				    t->machine };
	marker_env_from_target(&t->env, &mt, &t->env_storage);
	ab_buf_addf(&desc, "%s %s, ", t->implementation, t->python_full_version);
	if (t->nplatforms) {
		ab_buf_adds(&desc, "platforms");
		for (size_t i = 0; i < t->nplatforms; i++)
			ab_buf_addf(&desc, " %s", t->platforms[i]);
	} else {
		ab_buf_addf(&desc, "%s %s", t->sys_platform, t->machine);
		if (*t->libc)
			ab_buf_addf(&desc, ", %s %u.%u", t->libc, t->libc_major, t->libc_minor);
	}
	t->description = ab_buf_detach(&desc);
out:
	host_release(&h);
	ab_buf_release(&full);
	ab_buf_release(&desc);
	return r;
}

void target_release(struct target *t)
{
	free(t->python_full_version);
	free(t->implementation);
	free(t->sys_platform);
	free(t->machine);
	free(t->libc);
	for (size_t i = 0; i < t->nplatforms; i++)
		free(t->platforms[i]);
	free(t->platforms);
	pep440_version_free(t->python);
	ab_buf_release(&t->env_storage);
	tags_supported_release(&t->tags);
	free(t->description);
	memset(t, 0, sizeof(*t));
}
