/* pep517.c - PEP 517/518/660 builds of source trees through an isolated
 * environment: the project file, environments, hooks, the cache (see
 * pep517.h; sdists are in pep517_sdist.c). */
#include "builder/pep517.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/install.h"
#include "builder/interp.h"
#include "builder/pep517_priv.h"
#include "builder/resolve.h"
#include "builder/sdist.h"
#include "formats/core/mem.h"
#include "formats/distfile.h"
#include "formats/metadata.h"
#include "formats/names.h"
#include "formats/pep508.h"
#include "formats/pyproject.h"
#include "templates/templates.h"

extern char **environ;

const char pep517_runner_template[] = "pep517_hooks.py.in";

/* Lines of backend output kept in an error (pip shows all; a failed C build
 * can print thousands: the end is where the cause is). */
#define LOG_TAIL_LINES 200

/* ------------------------------------------------------------------ */
/* small helpers */

static char *canon(const char *name)
{
	return name ? name_canonical_dup(ab_str_from(name)) : NULL;
}

static void pins_free(struct resolve_pin *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)p[i].name);
		free((char *)p[i].version);
	}
	free(p);
}

int pep517_read_file(const char *path, struct ab_buf *out, struct ab_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		struct ab_loc loc = { path, 0, 0 };
		return ab_err_at(err, AB_E_IO, &loc, "cannot read '%s': %s", path, strerror(errno));
	}
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ab_buf_add(out, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		struct ab_loc loc = { path, 0, 0 };
		return ab_err_at(err, AB_E_IO, &loc, "cannot read '%s'", path);
	}
	return 0;
}

static int write_file(const char *path, const void *data, size_t n, struct ab_err *err)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		if (f)
			fclose(f);
		return ab_err_set(err, AB_E_IO, "cannot write '%s': %s", path, strerror(errno));
	}
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The builder's private directory, with the hook runner written into it. */
int pep517_ensure_tmp(struct pep517 *b, struct ab_err *err)
{
	if (b->tmp)
		return 0;
	const char *t = getenv("TMPDIR");
	struct ab_buf d = AB_BUF_INIT;
	ab_buf_addf(&d, "%s/appbuild-build-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(d.buf)) {
		int r = ab_err_set(err, AB_E_IO, "cannot create a directory in '%s': %s",
				   t && *t ? t : "/tmp", strerror(errno));
		ab_buf_release(&d);
		return r;
	}
	b->tmp = ab_buf_detach(&d);
	const struct template_file *tf = templates_embedded;
	while (tf->name && strcmp(tf->name, pep517_runner_template))
		tf++;
	if (!tf->name)
		return ab_err_set(err, AB_E_INTERNAL, "template '%s' is not embedded",
				  pep517_runner_template);
	struct ab_buf p = AB_BUF_INIT;
	ab_buf_addf(&p, "%s/pep517_hooks.py", b->tmp);
	int r = write_file(p.buf, tf->data, tf->len, err);
	b->runner = ab_buf_detach(&p);
	return r;
}

/* A fresh directory tmp/<what>-<n>. */
int pep517_new_dir(struct pep517 *b, const char *what, struct ab_buf *out, struct ab_err *err)
{
	int r = pep517_ensure_tmp(b, err);
	if (r < 0)
		return r;
	ab_buf_addf(out, "%s/%s-%u", b->tmp, what, ++b->seq);
	if (mkdir(out->buf, 0755) < 0)
		return ab_err_set(err, AB_E_IO, "cannot create '%s': %s", out->buf,
				  strerror(errno));
	return 0;
}

static int ensure_py(struct pep517 *b, struct ab_err *err)
{
	if (b->have_py)
		return 0;
	int r = interp_query(b->o.python ? b->o.python : "python3", &b->py, err);
	if (r < 0)
		return r;
	b->have_py = true;
	return 0;
}

/* The interpreter as cache keys name it: target_host_line() is itself
 * cached (keyed by the executable's path, size and mtime), so a warm
 * rebuild starts no interpreter. */
int pep517_host_line(struct pep517 *b, struct ab_err *err)
{
	if (b->host.len)
		return 0;
	return target_host_line(b->o.cache, b->o.python ? b->o.python : "python3", &b->host, err);
}

/* ------------------------------------------------------------------ */
/* cycle detection */

int pep517_push_build(struct pep517 *b, const char *name, struct ab_err *err)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < b->nstack; i++) {
		if (strcmp(b->stack[i], name))
			continue;
		struct ab_buf chain = AB_BUF_INIT;
		for (size_t k = i; k < b->nstack; k++)
			ab_buf_addf(&chain, "'%s' -> ", b->stack[k]);
		ab_buf_addf(&chain, "'%s'", name);
		int r = ab_err_set(err, AB_E_BUILD, "build-requirement cycle: %s", chain.buf);
		ab_err_note(err, "building '%s' from source needs '%s' built from source first",
			    b->stack[b->nstack - 1], name);
		ab_buf_release(&chain);
		return r;
	}
	AB_GROW(b->stack, b->cstack, b->nstack + 1);
	b->stack[b->nstack++] = ab_xstrdup(name);
	return 1;
}

void pep517_pop_build(struct pep517 *b, int pushed)
{
	if (pushed > 0)
		free(b->stack[--b->nstack]);
}

/* ------------------------------------------------------------------ */
/* the project's [build-system] */

/* `text` NULL: no pyproject.toml. pip 23 (pyproject.load_pyproject_toml):
 * neither pyproject.toml nor setup.py is not a project. */
int pep517_load_pyproject(struct job *j, const struct ab_buf *text, bool has_setup_py,
			  const char *file, struct ab_err *err)
{
	if (!text) {
		if (!has_setup_py)
			return ab_err_set(err, AB_E_BUILD,
					  "%s is not a Python project: it has neither "
					  "'pyproject.toml' nor 'setup.py'",
					  j->what);
		pyproject_default(&j->pp);
	} else {
		int r = pyproject_parse(ab_buf_str(text), file, &j->pp, err);
		if (r < 0)
			return r;
	}
	j->have_pp = true;
	for (size_t i = 0; i < j->pp.nrequires; i++)
		if (j->pp.requires[i].url)
			return ab_err_set(err, AB_E_UNSUPPORTED,
					  "build requirement '%s' of %s is a URL: not supported",
					  j->pp.requires[i].name, j->what);
	return 0;
}

static int load_pyproject_dir(struct job *j, const char *dir, struct ab_err *err)
{
	struct ab_buf path = AB_BUF_INIT, text = AB_BUF_INIT;
	ab_buf_addf(&path, "%s/pyproject.toml", dir);
	bool have = exists(path.buf);
	int r = have ? pep517_read_file(path.buf, &text, err) : 0;
	if (r >= 0) {
		ab_buf_reset(&path);
		ab_buf_addf(&path, "%s/setup.py", dir);
		bool setup = exists(path.buf);
		ab_buf_reset(&path);
		ab_buf_addf(&path, "%s/pyproject.toml", dir);
		r = pep517_load_pyproject(j, have ? &text : NULL, setup, path.buf, err);
	}
	ab_buf_release(&path);
	ab_buf_release(&text);
	return r;
}

/* pip 23.1+ (--config-settings): KEY=VALUE; a key given twice collects its
 * values in a list. */
static json_t *config_settings(const struct pep517_opts *o)
{
	if (!o->nconfig_settings)
		return NULL;
	json_t *cs = json_object();
	for (size_t i = 0; i < o->nconfig_settings; i++) {
		const char *kv = o->config_settings[i];
		const char *eq = strchr(kv, '=');
		char *k = eq ? ab_xstrndup(kv, (size_t)(eq - kv)) : ab_xstrdup(kv);
		json_t *v = json_string(eq ? eq + 1 : "");
		json_t *old = json_object_get(cs, k);
		if (!old)
			json_object_set_new(cs, k, v);
		else if (json_is_array(old))
			json_array_append_new(old, v);
		else {
			json_t *a = json_array();
			json_array_append(a, old);
			json_array_append_new(a, v);
			json_object_set_new(cs, k, a);
		}
		free(k);
	}
	return cs;
}

/* ------------------------------------------------------------------ */
/* build environments */

static void ensure_provider(struct pep517 *b)
{
	if (b->pi)
		return;
	const struct pep517_opts *o = &b->o;
	memset(&b->po, 0, sizeof(b->po));
	b->po.tags = &o->tgt->tags;
	b->po.python = o->tgt->python;
	b->po.requires_python = RESOLVE_RP_FULL;
	b->po.no_binary = o->no_binary;
	b->po.nno_binary = o->nno_binary;
	b->po.only_binary = o->only_binary;
	b->po.nonly_binary = o->nonly_binary;
	b->po.prefer_binary = o->prefer_binary;
	b->po.sdist_metadata = pep517_provider_metadata;
	b->po.sdist_data = b;
	b->pi = provider_index_new(o->ix, &b->po);
	provider_index_provider(b->pi, &b->prov);
}

/* Resolve `reqs` (PEP 508 strings) for the target: the pins, sorted. */
static int resolve_reqs(struct pep517 *b, struct job *j, const char *const *reqs, size_t n,
			struct resolve_pin **pins, size_t *npins, struct ab_err *err)
{
	*pins = NULL;
	*npins = 0;
	if (!n)
		return 0;
	if (!b->o.ix || !b->o.tgt)
		return ab_err_set(err, AB_E_BUILD,
				  "cannot install the build requirements of %s ('%s'): no index",
				  j->what, reqs[0]);
	ensure_provider(b);
	struct resolve_options ro;
	memset(&ro, 0, sizeof(ro));
	ro.env = &b->o.tgt->env;
	ro.prereleases = b->o.pre ? RESOLVE_PRE_ALLOW : RESOLVE_PRE_IF_NECESSARY;
	ro.yanked = RESOLVE_YANKED_LAST_RESORT;
	ro.requires_python = RESOLVE_RP_FULL;
	ro.root_name = j->what;
	struct resolve_result res = RESOLVE_RESULT_INIT;
	int r = resolve_run(&b->prov, &ro, reqs, n, NULL, 0, &res, err);
	if (r == -AB_E_RESOLVE && res.explanation)
		ab_err_note(err, "%s", res.explanation);
	if (r < 0) {
		ab_err_note(err, "while resolving the build requirements of %s", j->what);
		goto out;
	}
	*pins = ab_xcalloc(res.n + 1, sizeof(**pins));
	for (size_t i = 0; i < res.n; i++) {
		(*pins)[i].name = ab_xstrdup(res.pins[i].name);
		(*pins)[i].version = ab_xstrdup(res.pins[i].version);
	}
	*npins = res.n;
out:
	resolve_result_release(&res);
	return r;
}

static void pins_key(const struct resolve_pin *p, size_t n, struct ab_buf *out)
{
	for (size_t i = 0; i < n; i++)
		ab_buf_addf(out, "%s==%s\n", p[i].name, p[i].version);
}

/* The best installable file of a pin: the wheel with the lowest tag rank,
 * else an sdist (built first). As plan_best_file(). */
static const struct index_candidate *best_file(struct pep517 *b, const struct resolve_pin *pin)
{
	const struct index_candidate *const *c;
	size_t n = provider_index_files(b->pi, pin->name, pin->version, &c);
	const struct index_candidate *best = NULL, *sd = NULL;
	long best_rank = -1;
	for (size_t i = 0; i < n; i++) {
		if (!c[i]->wheel) {
			if (!sd)
				sd = c[i];
			continue;
		}
		long rank = tags_supported_rank(&b->o.tgt->tags, &c[i]->tags);
		if (rank >= 0 && (!best || rank < best_rank)) {
			best = c[i];
			best_rank = rank;
		}
	}
	return best ? best : sd;
}

/* The environment holding exactly `pins` (made once per builder). */
static int env_for(struct pep517 *b, struct job *j, const struct resolve_pin *pins, size_t npins,
		   struct benv **out, struct ab_err *err)
{
	struct ab_buf key = AB_BUF_INIT, dir = AB_BUF_INIT;
	struct install_wheel *w = NULL;
	struct pep517_wheel *built = NULL;
	char **paths = NULL;
	int r;
	pins_key(pins, npins, &key);
	for (size_t i = 0; i < b->nenvs; i++)
		if (!strcmp(b->envs[i].key, key.buf)) {
			*out = &b->envs[i];
			r = 0;
			goto out;
		}
	r = ensure_py(b, err);
	if (r < 0)
		goto out;
	w = ab_xcalloc(npins + 1, sizeof(*w));
	built = ab_xcalloc(npins + 1, sizeof(*built));
	paths = ab_xcalloc(npins + 1, sizeof(*paths));
	for (size_t i = 0; i < npins; i++) {
		const struct index_candidate *c = best_file(b, &pins[i]);
		if (!c) {
			r = ab_err_set(err, AB_E_BUILD,
				       "build requirement '%s' %s of %s has no installable file",
				       pins[i].name, pins[i].version, j->what);
			goto out;
		}
		if (c->wheel) {
			struct ab_buf p = AB_BUF_INIT;
			r = index_fetch_file(b->o.ix, c, NULL, 0, &p, err);
			paths[i] = ab_buf_detach(&p);
			w[i].path = paths[i];
			w[i].filename = c->filename;
		} else {
			r = pep517_sdist_wheel(b, c, NULL, 0, &built[i], err);
			w[i].path = built[i].path;
			w[i].filename = built[i].filename;
		}
		if (r < 0) {
			ab_err_note(err, "while installing the build requirements of %s", j->what);
			goto out;
		}
	}
	r = pep517_new_dir(b, "env", &dir, err);
	if (r < 0)
		goto out;
	struct install_opts io;
	memset(&io, 0, sizeof(io));
	io.py = &b->py;
	io.root = dir.buf;
	io.out = b->o.out;
	r = install_env_create(&io, err);
	if (r >= 0 && npins)
		r = install_wheels(&io, w, npins, err);
	if (r < 0) {
		ab_err_note(err, "while installing the build requirements of %s", j->what);
		goto out;
	}
	AB_GROW(b->envs, b->cenvs, b->nenvs + 1);
	struct benv *e = &b->envs[b->nenvs++];
	e->key = ab_buf_detach(&key);
	e->dir = ab_buf_detach(&dir);
	e->pins = ab_xcalloc(npins + 1, sizeof(*e->pins));
	for (size_t i = 0; i < npins; i++) {
		e->pins[i].name = ab_xstrdup(pins[i].name);
		e->pins[i].version = ab_xstrdup(pins[i].version);
	}
	e->npins = npins;
	b->st.envs++;
	*out = e;
out:
	for (size_t i = 0; paths && i < npins; i++)
		free(paths[i]);
	for (size_t i = 0; built && i < npins; i++)
		pep517_wheel_release(&built[i]);
	free(paths);
	free(built);
	free(w);
	ab_buf_release(&key);
	ab_buf_release(&dir);
	return r;
}

/* Is `req` met by the environment's pins (or not needed on the target)?
 * Extras are not tracked: a requirement with extras is never met here, so
 * the union is resolved again. */
static bool pins_satisfy(struct pep517 *b, const struct benv *e, const char *req)
{
	struct pep508_req q = PEP508_REQ_INIT;
	bool ok = false;
	if (pep508_parse(ab_str_from(req), &q, NULL) < 0)
		return false;
	if (q.marker && b->o.tgt) {
		int m = marker_evaluate(q.marker, &b->o.tgt->env, NULL);
		if (m == 0) {
			ok = true;
			goto out;
		}
	}
	if (q.nextras || q.url)
		goto out;
	for (size_t i = 0; e && i < e->npins; i++) {
		if (strcmp(e->pins[i].name, q.canonical))
			continue;
		struct pep440_version *v = pep440_version_new(e->pins[i].version);
		ok = v && pep440_specset_contains(&q.spec, v, 1);
		pep440_version_free(v);
		break;
	}
out:
	pep508_release(&q);
	return ok;
}

/* ------------------------------------------------------------------ */
/* running a hook */

static void add_log_notes(struct ab_err *err, const struct ab_buf *log, const char *mark)
{
	size_t lines = 0, start = 0;
	for (size_t i = log->len; i > 0; i--)
		if (log->buf[i - 1] == '\n' && i != log->len && ++lines == LOG_TAIL_LINES) {
			start = i;
			break;
		}
	if (start) {
		size_t skipped = 0;
		for (size_t i = 0; i < start; i++)
			skipped += log->buf[i] == '\n';
		ab_err_note(err, "%s (%zu earlier lines not shown)", mark, skipped);
	}
	const char *p = log->buf + start, *end = log->buf + log->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		ab_err_note(err, "%s %.*s", mark, (int)l, p);
		p += l + (nl != NULL);
	}
}

static void show_log(struct pep517 *b, const struct ab_buf *log)
{
	if (!b->o.out || b->o.out->verbosity < AB_OUT_DEBUG)
		return;
	const char *p = log->buf, *end = log->buf + log->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		ab_out_msg(b->o.out, AB_OUT_DEBUG, NULL, "backend| %.*s", (int)l, p);
		p += l + (nl != NULL);
	}
}

/* The environment for the child: as pip's BuildEnvironment, an isolated
 * build sees no PYTHONPATH, PYTHONHOME or user site; output unbuffered so
 * stdout and stderr interleave as printed. */
static char **child_env(bool isolated)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = ab_xcalloc(n + 3, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];
		if (!strncmp(e, "PYTHONUNBUFFERED=", 17) || !strncmp(e, "PYTHONNOUSERSITE=", 17))
			continue;
		if (isolated && (!strncmp(e, "PYTHONPATH=", 11) || !strncmp(e, "PYTHONHOME=", 11)))
			continue;
		env[k++] = (char *)e;
	}
	env[k++] = "PYTHONUNBUFFERED=1";
	if (isolated)
		env[k++] = "PYTHONNOUSERSITE=1";
	env[k] = NULL;
	return env;
}

/* Run `hook` with `args` (a JSON array, consumed) in j->s->dir. On success *ret is the
 * hook's return value and *wheel the fallback wheel (both owned, may be
 * NULL). */
static int run_hook(struct pep517 *b, struct job *j, const char *hook, json_t *args,
		    json_t **ret, char **wheel, struct ab_err *err)
{
	struct ab_buf dir = AB_BUF_INIT, in = AB_BUF_INIT, res = AB_BUF_INIT, logp = AB_BUF_INIT;
	struct ab_buf log = AB_BUF_INIT, text = AB_BUF_INIT;
	posix_spawn_file_actions_t fa;
	bool have_fa = false;
	char **env = NULL;
	json_t *req = NULL, *out = NULL;
	int r;

	*ret = NULL;
	*wheel = NULL;
	r = pep517_new_dir(b, "hook", &dir, err);
	if (r < 0) {
		json_decref(args);
		goto out;
	}
	req = json_object();
	json_object_set_new(req, "backend", json_string(j->pp.build_backend));
	json_t *bp = json_array();
	for (size_t i = 0; i < j->pp.nbackend_path; i++)
		json_array_append_new(bp, json_string(j->pp.backend_path[i]));
	json_object_set_new(req, "backend_path", bp);
	json_object_set_new(req, "hook", json_string(hook));
	json_object_set_new(req, "args", args);
	json_object_set(req, "config_settings", j->cs ? j->cs : json_null());
	ab_buf_addf(&in, "%s/in.json", dir.buf);
	ab_buf_addf(&res, "%s/result.json", dir.buf);
	ab_buf_addf(&logp, "%s/output.log", dir.buf);
	if (json_dump_file(req, in.buf, JSON_COMPACT) < 0) {
		r = ab_err_set(err, AB_E_IO, "cannot write '%s'", in.buf);
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	have_fa = true;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, logp.buf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addchdir_np(&fa, j->s->dir);
	env = child_env(!b->o.no_isolation);
	char *argv[] = { (char *)j->python, b->runner, in.buf, res.buf, NULL };
	pid_t pid;
	b->st.backend_runs++;
	int e = posix_spawn(&pid, j->python, &fa, NULL, argv, env);
	if (e) {
		r = ab_err_set(err, AB_E_BUILD, "cannot run '%s': %s", j->python, strerror(e));
		goto out;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			r = ab_err_set(err, AB_E_INTERNAL, "waitpid: %s", strerror(errno));
			goto out;
		}
	pep517_read_file(logp.buf, &log, NULL);
	json_error_t je;
	out = exists(res.buf) ? json_load_file(res.buf, 0, &je) : NULL;
	if (!out || !json_is_object(out)) {
		if (WIFEXITED(status))
			r = ab_err_set(err, AB_E_BUILD,
				       "building %s failed: the hook runner exited with status %d "
				       "in '%s'",
				       j->what, WEXITSTATUS(status), hook);
		else
			r = ab_err_set(err, AB_E_BUILD,
				       "building %s failed: the hook runner was killed by signal %d "
				       "in '%s'",
				       j->what, WTERMSIG(status), hook);
		add_log_notes(err, &log, "backend|");
		goto out;
	}
	if (!json_is_true(json_object_get(out, "ok"))) {
		const char *kind = json_string_value(json_object_get(out, "error"));
		const char *msg = json_string_value(json_object_get(out, "message"));
		const char *tb = json_string_value(json_object_get(out, "traceback"));
		kind = kind ? kind : "HookFailed";
		msg = msg ? msg : "";
		if (!strcmp(kind, "BackendUnavailable"))
			r = ab_err_set(err, AB_E_BUILD,
				       "building %s failed: backend '%s' is not available: %s",
				       j->what, j->pp.build_backend, msg);
		else if (!strcmp(kind, "BackendInvalid"))
			r = ab_err_set(err, AB_E_BUILD, "building %s failed: %s", j->what, msg);
		else if (!strcmp(kind, "HookMissing"))
			r = ab_err_set(err, AB_E_BUILD,
				       "building %s failed: backend '%s' has no hook '%s'", j->what,
				       j->pp.build_backend, hook);
		else
			r = ab_err_set(err, AB_E_BUILD,
				       "building %s failed: '%s' of backend '%s' raised %s", j->what,
				       hook, j->pp.build_backend, msg);
		if (log.len) {
			ab_err_note(err, "backend output:");
			add_log_notes(err, &log, "backend|");
		}
		if (tb && *tb) {
			ab_buf_adds(&text, tb);
			add_log_notes(err, &text, "traceback|");
		}
		goto out;
	}
	show_log(b, &log);
	*ret = json_incref(json_object_get(out, "return"));
	const char *wh = json_string_value(json_object_get(out, "wheel"));
	if (wh)
		*wheel = ab_xstrdup(wh);
	r = 0;
out:
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	free(env);
	json_decref(req);
	json_decref(out);
	ab_buf_release(&dir);
	ab_buf_release(&in);
	ab_buf_release(&res);
	ab_buf_release(&logp);
	ab_buf_release(&log);
	ab_buf_release(&text);
	return r;
}

/* ------------------------------------------------------------------ */
/* jobs */

void pep517_job_release(struct job *j)
{
	free(j->what);
	if (j->have_pp)
		pyproject_release(&j->pp);
	pins_free(j->pins, j->npins);
	free(j->pyown);
	json_decref(j->cs);
	memset(j, 0, sizeof(*j));
}

char *pep517_describe(const struct pep517_source *s)
{
	struct ab_buf d = AB_BUF_INIT;
	if (s->name)
		ab_buf_addf(&d, "'%s'", s->name);
	else
		ab_buf_addf(&d, "'%s'", s->dir);
	if (s->name && s->version)
		ab_buf_addf(&d, " %s", s->version);
	return ab_buf_detach(&d);
}

/* After the project file is loaded: pins of the static requirements, the
 * cache key. */
static int job_key(struct pep517 *b, struct job *j, struct ab_err *err)
{
	int r;
	if (j->key_done)
		return 0;
	j->key_done = true;
	j->cs = config_settings(&b->o);
	if (!b->o.no_isolation) {
		const char **reqs = ab_xcalloc(j->pp.nrequires + 1, sizeof(*reqs));
		struct ab_buf *fmt = ab_xcalloc(j->pp.nrequires + 1, sizeof(*fmt));
		for (size_t i = 0; i < j->pp.nrequires; i++) {
			fmt[i] = (struct ab_buf)AB_BUF_INIT;
			pep508_format(&j->pp.requires[i], &fmt[i]);
			reqs[i] = fmt[i].buf;
		}
		r = resolve_reqs(b, j, reqs, j->pp.nrequires, &j->pins, &j->npins, err);
		for (size_t i = 0; i < j->pp.nrequires; i++)
			ab_buf_release(&fmt[i]);
		free(fmt);
		free(reqs);
		if (r < 0)
			return r;
	}
	if (!j->s->key || !b->o.cache)
		return 0;
	r = pep517_host_line(b, err);
	if (r < 0)
		return r;
	struct ab_buf k = AB_BUF_INIT;
	ab_buf_addf(&k, "appbuild-pep517 1\nsource %s\npython %s\ninterpreter %s\n", j->s->key,
		    b->o.python ? b->o.python : "python3", b->host.buf);
	ab_buf_addf(&k, "isolation %d\nbackend %s\n", !b->o.no_isolation, j->pp.build_backend);
	if (j->cs) {
		char *dump = json_dumps(j->cs, JSON_COMPACT | JSON_SORT_KEYS);
		ab_buf_addf(&k, "config %s\n", dump);
		free(dump);
	}
	pins_key(j->pins, j->npins, &k);
	cache_sha256_hex(k.buf, k.len, j->key);
	j->keyed = true;
	ab_buf_release(&k);
	return 0;
}

static void use_env(struct job *j, struct benv *e)
{
	struct ab_buf py = AB_BUF_INIT;
	/* the environment's bin/python is a symlink: started by that path,
	 * Python finds pyvenv.cfg next to it and isolates itself (PEP 405) */
	ab_buf_addf(&py, "%s/bin/python", e->dir);
	free(j->pyown);
	j->pyown = ab_buf_detach(&py);
	j->python = j->pyown;
	j->env = e;
}

/* The environment with the static pins, then the dynamic requirements. */
static int job_env(struct pep517 *b, struct job *j, bool editable, struct ab_err *err)
{
	struct benv *e;
	json_t *ret = NULL;
	char *wheel = NULL;
	int r;
	if (b->o.no_isolation) {
		r = ensure_py(b, err);
		if (r >= 0)
			j->python = b->py.executable;
		return r;
	}
	r = env_for(b, j, j->pins, j->npins, &e, err);
	if (r < 0)
		return r;
	use_env(j, e);
	r = run_hook(b, j,
		     editable ? "get_requires_for_build_editable" : "get_requires_for_build_wheel",
		     json_array(), &ret, &wheel, err);
	free(wheel);
	if (r < 0)
		goto out;
	size_t n = json_array_size(ret);
	bool met = true;
	for (size_t i = 0; i < n && met; i++)
		met = pins_satisfy(b, j->env, json_string_value(json_array_get(ret, i)));
	if (met)
		goto out;
	/* resolve the static and dynamic requirements together (pip installs
	 * the dynamic ones into the same environment) */
	const char **reqs = ab_xcalloc(j->pp.nrequires + n + 1, sizeof(*reqs));
	struct ab_buf *fmt = ab_xcalloc(j->pp.nrequires + 1, sizeof(*fmt));
	size_t k = 0;
	for (size_t i = 0; i < j->pp.nrequires; i++) {
		fmt[i] = (struct ab_buf)AB_BUF_INIT;
		pep508_format(&j->pp.requires[i], &fmt[i]);
		reqs[k++] = fmt[i].buf;
	}
	for (size_t i = 0; i < n; i++)
		reqs[k++] = json_string_value(json_array_get(ret, i));
	struct resolve_pin *pins = NULL;
	size_t npins = 0;
	r = resolve_reqs(b, j, reqs, k, &pins, &npins, err);
	if (r >= 0)
		r = env_for(b, j, pins, npins, &e, err);
	if (r >= 0)
		use_env(j, e);
	pins_free(pins, npins);
	for (size_t i = 0; i < j->pp.nrequires; i++)
		ab_buf_release(&fmt[i]);
	free(fmt);
	free(reqs);
out:
	json_decref(ret);
	return r;
}

/* ------------------------------------------------------------------ */
/* the cache: records as page entries (atomic, verified, cleaned) */

static void record_url(const char *kind, const char *key, struct ab_buf *out)
{
	ab_buf_addf(out, "appbuild-%s:%s", kind, key);
}

/* 1 and the text when present. */
static int record_get(struct pep517 *b, const char *kind, const char *key, struct ab_buf *body)
{
	struct ab_buf url = AB_BUF_INIT;
	struct cache_meta m = CACHE_META_INIT;
	record_url(kind, key, &url);
	int r = cache_page_get(b->o.cache, url.buf, &m, body, NULL);
	cache_meta_release(&m);
	ab_buf_release(&url);
	return r > 0 ? 1 : 0;
}

static int record_put(struct pep517 *b, const char *kind, const char *key, const void *body,
		      size_t n, struct ab_err *err)
{
	struct ab_buf url = AB_BUF_INIT;
	struct cache_meta m = CACHE_META_INIT;
	record_url(kind, key, &url);
	m.url = url.buf;
	int r = cache_page_put(b->o.cache, &m, body, n, err);
	ab_buf_release(&url);
	return r;
}

/* A build record {"filename": ..., "sha256": ...} whose wheel is in the
 * cache: 1 with `out` filled. */
static int wheel_lookup(struct pep517 *b, const char *key, struct pep517_wheel *out)
{
	struct ab_buf body = AB_BUF_INIT, path = AB_BUF_INIT;
	json_t *rec = NULL;
	int found = 0;
	if (!record_get(b, "build", key, &body))
		goto out;
	rec = json_loadb(body.buf, body.len, 0, NULL);
	const char *fn = json_string_value(json_object_get(rec, "filename"));
	const char *sha = json_string_value(json_object_get(rec, "sha256"));
	if (!fn || !sha || !cache_is_sha256(sha) || strchr(fn, '/'))
		goto out;
	if (cache_file_lookup(b->o.cache, sha, true, &path, NULL) != 1)
		goto out;
	out->path = ab_buf_detach(&path);
	out->filename = ab_xstrdup(fn);
	memcpy(out->sha256, sha, 65);
	out->cached = true;
	found = 1;
out:
	json_decref(rec);
	ab_buf_release(&body);
	ab_buf_release(&path);
	return found;
}

/* Copy a built wheel into the cache and record it under `key`. */
static int wheel_store(struct pep517 *b, const char *key, const char *built, const char *filename,
		       struct pep517_wheel *out, struct ab_err *err)
{
	struct cache_writer w;
	struct ab_buf path = AB_BUF_INIT;
	char hex[65];
	int fd = -1, r = cache_writer_open(b->o.cache, &w, err);
	if (r < 0)
		return r;
	fd = open(built, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cache_writer_abort(&w);
		return ab_err_set(err, AB_E_IO, "cannot read '%s': %s", built, strerror(errno));
	}
	char chunk[65536];
	ssize_t got;
	while ((got = read(fd, chunk, sizeof(chunk))) > 0) {
		r = cache_writer_write(&w, chunk, (size_t)got, err);
		if (r < 0)
			break;
	}
	close(fd);
	if (r >= 0 && got < 0)
		r = ab_err_set(err, AB_E_IO, "cannot read '%s': %s", built, strerror(errno));
	if (r < 0) {
		cache_writer_abort(&w);
		return r;
	}
	r = cache_writer_commit(&w, NULL, &path, hex, err);
	if (r < 0)
		goto out;
	json_t *rec = json_pack("{s:s,s:s}", "filename", filename, "sha256", hex);
	char *dump = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(rec);
	r = record_put(b, "build", key, dump, strlen(dump), err);
	free(dump);
	if (r < 0)
		goto out;
	out->path = ab_buf_detach(&path);
	out->filename = ab_xstrdup(filename);
	memcpy(out->sha256, hex, 65);
	out->cached = false;
out:
	ab_buf_release(&path);
	return r;
}

/* The name and version built must be those asked for. */
static int check_identity(const struct job *j, const char *name, const struct pep440_version *v,
			  const char *vstr, const char *kind, struct ab_err *err)
{
	const struct pep517_source *s = j->s;
	bool bad = false;
	if (s->name && name && !name_eq(ab_str_from(s->name), ab_str_from(name)))
		bad = true;
	if (s->version && v) {
		struct pep440_version *want = pep440_version_new(s->version);
		bad = bad || (want && pep440_version_cmp(want, v) != 0);
		pep440_version_free(want);
	}
	if (!bad)
		return 0;
	return ab_err_set(err, AB_E_INVALID, "'%s' %s was requested but the %s builds '%s' %s",
			  s->name ? s->name : "?", s->version ? s->version : "", kind,
			  name ? name : "?", vstr ? vstr : "?");
}

/* What the job builds from, for messages. */
static const char *source_kind(const struct job *j)
{
	return j->s->key && strncmp(j->s->key, "git:", 4) && j->s->name ? "sdist" : "source tree";
}

int pep517_check_metadata(const struct job *j, const struct ab_buf *text, struct ab_err *err)
{
	struct metadata md;
	int r = metadata_parse(ab_buf_str(text), METADATA_SKIP_REQS, "METADATA", &md, err);
	if (r < 0)
		return r;
	if (!md.name_canonical || !md.version) {
		r = ab_err_set(err, AB_E_BUILD, "the metadata built for %s has no valid %s",
			       j->what, md.name_canonical ? "'Version'" : "'Name'");
		metadata_release(&md);
		return r;
	}
	char *vs = ab_str_dup(md.version_raw);
	char *nm = ab_str_dup(md.name);
	r = check_identity(j, nm, md.version, vs, source_kind(j), err);
	free(vs);
	free(nm);
	metadata_release(&md);
	return r;
}

static int check_wheel_name(const struct job *j, const char *filename, struct ab_err *err)
{
	struct distfile_wheel w;
	int r = distfile_wheel_parse(ab_str_from(filename), &w, err);
	if (r < 0) {
		ab_err_note(err, "the backend of %s built an invalid wheel name", j->what);
		return -AB_E_BUILD;
	}
	struct ab_buf vs = AB_BUF_INIT;
	pep440_version_format(w.version, &vs);
	r = check_identity(j, w.name, w.version, vs.buf, source_kind(j), err);
	ab_buf_release(&vs);
	distfile_wheel_release(&w);
	return r;
}

/* ------------------------------------------------------------------ */
/* the three builds */

/* Build a wheel in j->s->dir (environment ready). */
static int job_build(struct pep517 *b, struct job *j, bool editable, struct pep517_wheel *out,
		     struct ab_err *err)
{
	struct ab_buf dir = AB_BUF_INIT, path = AB_BUF_INIT;
	json_t *ret = NULL;
	char *fallback = NULL;
	int r = pep517_new_dir(b, "wheel", &dir, err);
	if (r < 0)
		goto out;
	json_t *args = json_pack("[s]", dir.buf);
	r = run_hook(b, j, editable ? "build_editable" : "build_wheel", args, &ret, &fallback,
		     err);
	if (r < 0)
		goto out;
	const char *fn = json_string_value(ret);
	ab_buf_addf(&path, "%s/%s", dir.buf, fn);
	if (strchr(fn, '/') || !exists(path.buf)) {
		r = ab_err_set(err, AB_E_BUILD, "building %s failed: the backend returned '%s', "
				       "which it did not write", j->what, fn);
		goto out;
	}
	r = check_wheel_name(j, fn, err);
	if (r < 0)
		goto out;
	b->st.builds++;
	if (j->keyed && !editable) {
		r = wheel_store(b, j->key, path.buf, fn, out, err);
	} else {
		out->path = ab_buf_detach(&path);
		out->filename = ab_xstrdup(fn);
		r = cache_sha256_file(out->path, out->sha256, err);
	}
out:
	json_decref(ret);
	free(fallback);
	ab_buf_release(&dir);
	ab_buf_release(&path);
	return r;
}

/* prepare_metadata_for_build_wheel (or the runner's fallback) in j->s->dir. */
static int job_metadata(struct pep517 *b, struct job *j, struct ab_buf *md, struct ab_err *err)
{
	struct ab_buf dir = AB_BUF_INIT, path = AB_BUF_INIT;
	json_t *ret = NULL;
	char *fallback = NULL;
	int r = pep517_new_dir(b, "metadata", &dir, err);
	if (r < 0)
		goto out;
	json_t *args = json_pack("[s]", dir.buf);
	r = run_hook(b, j, "prepare_metadata_for_build_wheel", args, &ret, &fallback, err);
	if (r < 0)
		goto out;
	const char *di = json_string_value(ret);
	ab_buf_addf(&path, "%s/%s/METADATA", dir.buf, di);
	if (strchr(di, '/') || !exists(path.buf)) {
		r = ab_err_set(err, AB_E_BUILD,
			       "building %s failed: the backend returned '%s', which holds no "
			       "METADATA",
			       j->what, di);
		goto out;
	}
	size_t start = md->len;
	r = pep517_read_file(path.buf, md, err);
	if (r < 0)
		goto out;
	struct ab_buf mine = AB_BUF_INIT;
	ab_buf_add(&mine, md->buf + start, md->len - start);
	r = pep517_check_metadata(j, &mine, err);
	if (r >= 0 && j->keyed)
		r = record_put(b, "metadata", j->key, mine.buf, mine.len, err);
	ab_buf_release(&mine);
	if (r >= 0 && fallback && j->keyed) {
		/* the runner built a wheel to get here: keep it */
		const char *slash = strrchr(fallback, '/');
		struct pep517_wheel w = PEP517_WHEEL_INIT;
		r = check_wheel_name(j, slash ? slash + 1 : fallback, err);
		if (r >= 0)
			r = wheel_store(b, j->key, fallback, slash ? slash + 1 : fallback, &w, err);
		b->st.builds++;
		pep517_wheel_release(&w);
	}
out:
	json_decref(ret);
	free(fallback);
	ab_buf_release(&dir);
	ab_buf_release(&path);
	return r;
}


/* Everything after the project file is read: key, cache, env, hook. */
int pep517_job_run(struct pep517 *b, struct job *j, enum want want, struct ab_buf *md,
		   struct pep517_wheel *w, struct ab_err *err)
{
	int lk = -1;
	int r = job_key(b, j, err);
	if (r < 0)
		return r;
	if (j->keyed && want != WANT_EDITABLE) {
		/* one build per key at a time across processes */
		struct ab_buf lkey = AB_BUF_INIT;
		ab_buf_addf(&lkey, "appbuild-building:%s", j->key);
		lk = cache_lock(b->o.cache, lkey.buf, NULL);
		ab_buf_release(&lkey);
		if ((want == WANT_WHEEL || want == WANT_PREPARE) && wheel_lookup(b, j->key, w)) {
			b->st.cache_hits++;
			r = 0;
			goto out;
		}
		if (want == WANT_METADATA && record_get(b, "metadata", j->key, md)) {
			b->st.cache_hits++;
			r = 0;
			goto out;
		}
	}
	if (want == WANT_PREPARE) {
		struct benv *e;
		r = b->o.no_isolation ? 0 : env_for(b, j, j->pins, j->npins, &e, err);
		r = r < 0 ? r : 1;
		goto out;
	}
	if (!j->s->dir) {
		r = 1; /* the caller unpacks, then calls again */
		goto out;
	}
	r = job_env(b, j, want == WANT_EDITABLE, err);
	if (r < 0)
		goto out;
	if (want == WANT_METADATA)
		r = job_metadata(b, j, md, err);
	else
		r = job_build(b, j, want == WANT_EDITABLE, w, err);
out:
	if (lk >= 0)
		cache_unlock(lk);
	return r;
}

static int tree(struct pep517 *b, const struct pep517_source *s, enum want want,
		struct ab_buf *md, struct pep517_wheel *w, struct ab_err *err)
{
	struct job j;
	memset(&j, 0, sizeof(j));
	j.s = s;
	j.what = pep517_describe(s);
	char *cn = canon(s->name);
	int pushed = pep517_push_build(b, cn, err);
	int r = pushed;
	if (r < 0)
		goto out;
	if (b->o.out)
		ab_out_msg(b->o.out, AB_OUT_DEBUG, NULL, "building %s in '%s'", j.what, s->dir);
	r = load_pyproject_dir(&j, s->dir, err);
	if (r >= 0)
		r = pep517_job_run(b, &j, want, md, w, err);
out:
	pep517_pop_build(b, pushed);
	free(cn);
	pep517_job_release(&j);
	return r < 0 ? r : 0;
}

int pep517_metadata(struct pep517 *b, const struct pep517_source *s, struct ab_buf *metadata,
		    struct ab_err *err)
{
	return tree(b, s, WANT_METADATA, metadata, NULL, err);
}

int pep517_wheel(struct pep517 *b, const struct pep517_source *s, struct pep517_wheel *out,
		 struct ab_err *err)
{
	return tree(b, s, WANT_WHEEL, NULL, out, err);
}

int pep517_editable(struct pep517 *b, const struct pep517_source *s, struct pep517_wheel *out,
		    struct ab_err *err)
{
	return tree(b, s, WANT_EDITABLE, NULL, out, err);
}

/* ------------------------------------------------------------------ */

struct pep517 *pep517_new(const struct pep517_opts *o)
{
	struct pep517 *b = ab_xcalloc(1, sizeof(*b));
	b->o = *o;
	b->host = (struct ab_buf)AB_BUF_INIT;
	return b;
}

void pep517_free(struct pep517 *b)
{
	if (!b)
		return;
	provider_index_free(b->pi);
	for (size_t i = 0; i < b->nenvs; i++) {
		free(b->envs[i].key);
		free(b->envs[i].dir);
		pins_free(b->envs[i].pins, b->envs[i].npins);
	}
	free(b->envs);
	for (size_t i = 0; i < b->nstack; i++)
		free(b->stack[i]);
	free(b->stack);
	for (size_t i = 0; i < b->nnames; i++)
		free(b->names[i]);
	free(b->names);
	if (b->tmp)
		sdist_remove_tree(b->tmp, NULL);
	free(b->tmp);
	free(b->runner);
	if (b->have_py)
		interp_release(&b->py);
	ab_buf_release(&b->host);
	free(b);
}

void pep517_wheel_release(struct pep517_wheel *w)
{
	free(w->path);
	free(w->filename);
	*w = (struct pep517_wheel)PEP517_WHEEL_INIT;
}

void pep517_get_stats(const struct pep517 *b, struct pep517_stats *st)
{
	*st = b->st;
}
