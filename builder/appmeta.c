/* appmeta.c - templates, process list, appbuild.json, SBOM (see
 * appmeta.h); moved from cli/cmd_bundle.c unchanged in output. */
#include "builder/appmeta.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/fs.h"
#include "formats/core/mem.h"
#include "templates/templates.h"

/* A template: DIR/templates/NAME when the app has one, else the built-in. */
int appmeta_template(const struct app *app, const char *name, struct ab_buf *out,
		     struct ab_err *err)
{
	struct ab_buf p = AB_BUF_INIT;
	int r = 0;
	ab_buf_addf(&p, "%s/templates/%s", app->dir, name);
	if (access(p.buf, F_OK) == 0) {
		r = ab_read_file(p.buf, out, err);
		goto out;
	}
	for (const struct template_file *t = templates_embedded; t->name; t++)
		if (!strcmp(t->name, name)) {
			ab_buf_add(out, t->data, t->len);
			goto out;
		}
	r = ab_err_set(err, AB_E_INTERNAL, "no built-in template '%s'", name);
out:
	ab_buf_release(&p);
	return r;
}

/* Replace each @KEY@ of `kv` (pairs, NULL-terminated) in `in`; other '@'
 * are kept. */
void appmeta_render(const char *in, const char *const *kv, struct ab_buf *out)
{
	for (const char *p = in; *p;) {
		if (*p == '@') {
			bool done = false;
			for (size_t i = 0; kv[i] && !done; i += 2) {
				size_t l = strlen(kv[i]);
				if (!strncmp(p + 1, kv[i], l) && p[1 + l] == '@') {
					ab_buf_adds(out, kv[i + 1]);
					p += l + 2;
					done = true;
				}
			}
			if (done)
				continue;
		}
		ab_buf_addc(out, *p++);
	}
}

/* A YAML double-quoted scalar. */
static void yaml_quote(struct ab_buf *b, const char *s)
{
	ab_buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			ab_buf_addc(b, '\\');
		if (*s == '\n') {
			ab_buf_adds(b, "\\n");
			continue;
		}
		ab_buf_addc(b, *s);
	}
	ab_buf_addc(b, '"');
}

static bool lock_has(const struct lock *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->pkgs[i].name, name))
			return true;
	return false;
}

/* gunicorn on $BIND: the supervisor binds $BIND itself and hands the socket
 * to every instance (LISTEN_FDS, which gunicorn honours), and gunicorn's
 * sd_notify READY=1 says when an instance is up, so a rolling restart drops
 * no connection (SPEC.md, "Supervisor"). */
static void gunicorn_socket(struct ab_buf *y, const struct lock *l, const char *command)
{
	if (strncmp(command, "gunicorn ", 9) != 0 ||
	    !(strstr(command, "$BIND") || strstr(command, "${BIND}")))
		return;
	ab_buf_adds(y, "    listen: \"${BIND:-127.0.0.1:8000}\"\n");
	for (size_t i = 0; i < l->n; i++) { /* gunicorn sends READY=1 since 20.1 */
		char *end;
		long major = strtol(l->pkgs[i].version, &end, 10);
		long minor = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
		if (!strcmp(l->pkgs[i].name, "gunicorn") &&
		    (major > 20 || (major == 20 && minor >= 1)))
			ab_buf_adds(y, "    ready: {notify: true}\n");
	}
}

/* etc/supervisor.yaml's processes: appbuild.yaml's, else one `web` process:
 * gunicorn on $BIND when the lock pins it, else the standard library's
 * wsgiref (lib/appbuild_wsgiref.py). Every process runs in app/. */
void appmeta_processes(const struct app *app, const struct lock *l, struct ab_buf *y)
{
	const struct appconfig *c = &app->config;
	if (app->has_config && c->nprocesses) {
		for (size_t i = 0; i < c->nprocesses; i++) {
			ab_buf_addf(y, "  %s:\n    command: ", c->processes[i].name);
			yaml_quote(y, c->processes[i].command);
			ab_buf_addf(y, "\n    instances: %ld\n    directory: ../app\n",
				    c->processes[i].count);
			gunicorn_socket(y, l, c->processes[i].command);
		}
		return;
	}
	ab_buf_adds(y, "  web:\n    command: ");
	yaml_quote(y, lock_has(l, "gunicorn") ? "gunicorn --bind \"$BIND\" wsgiapp:application"
					      : "python -m appbuild_wsgiref");
	ab_buf_adds(y, "\n    directory: ../app\n");
	if (lock_has(l, "gunicorn"))
		gunicorn_socket(y, l, "gunicorn --bind \"$BIND\"");
}

static const char *const extdeps_ops[] = { "<", "<=", "==", "!=", ">=", ">", "~=" };

static char *extdeps_spec(const struct extdeps_entry *e)
{
	struct ab_buf b = AB_BUF_INIT;
	for (size_t i = 0; i < e->nclauses; i++)
		ab_buf_addf(&b, "%s%s%s", i ? "," : "", extdeps_ops[e->clauses[i].op],
			    e->clauses[i].version);
	return ab_buf_detach(&b);
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void dump_json(json_t *doc, struct ab_buf *out)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	ab_buf_adds(out, text);
	ab_buf_addc(out, '\n');
	free(text);
	json_decref(doc);
}

/* A direct reference's origin (builder/lock.h lock_direct): the URL the
 * lock pins and, for git, the commit (PEP 610's vcs_info fields). */
static json_t *direct_json(const struct lock_direct *dr)
{
	static const char *const kinds[] = { "archive", "vcs", "directory" };
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(kinds[dr->kind]));
	json_object_set_new(o, "url", json_string(dr->url));
	if (dr->kind == LOCK_DIRECT_VCS) {
		json_object_set_new(o, "vcs", json_string("git"));
		json_object_set_new(o, "commit_id", jstr(dr->commit));
		json_object_set_new(o, "requested_revision", jstr(dr->requested_revision));
	}
	if (dr->subdirectory)
		json_object_set_new(o, "subdirectory", json_string(dr->subdirectory));
	if (dr->editable)
		json_object_set_new(o, "editable", json_true());
	return o;
}

/* appbuild.json: what the bundle holds and what it was built for. */
void appmeta_manifest(const struct appmeta *b, struct ab_buf *out)
{
	const struct app *app = b->app;
	const struct interp *py = b->py;
	const struct lock *l = &b->plan->lock;
	json_t *doc = json_object();
	json_object_set_new(doc, "name", json_string(app->name));
	json_object_set_new(doc, "version", json_string(app->version));
	json_object_set_new(doc, "build_time", json_integer(b->mtime));
	json_object_set_new(doc, "source_commit", b->commit ? json_string(b->commit) : json_null());
	json_object_set_new(doc, "source_dirty", b->commit ? json_boolean(b->dirty) : json_null());
	json_t *ip = json_object();
	json_object_set_new(ip, "implementation", jstr(py->implementation));
	json_object_set_new(ip, "version", jstr(py->version));
	json_object_set_new(ip, "interpreter_tag", jstr(py->interpreter_tag));
	json_object_set_new(ip, "abi_tag", jstr(py->abi_tag));
	json_object_set_new(ip, "soabi", jstr(py->soabi));
	json_object_set_new(ip, "platform", jstr(py->platform));
	json_object_set_new(ip, "machine", jstr(py->machine));
	json_object_set_new(ip, "libc", jstr(py->libc));
	json_object_set_new(ip, "libc_version", jstr(py->libc_version));
	json_object_set_new(doc, "interpreter", ip);
	json_t *tgt = json_object();
	json_object_set_new(tgt, "description", json_string(b->plan->tgt.description));
	/* the tags of the installed wheels: what a host must support */
	json_t *tags = json_array();
	json_object_set_new(tgt, "wheel_tags", tags);
	json_object_set_new(doc, "target", tgt);
	json_t *dists = json_array();
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_pkg *pk = &l->pkgs[i];
		const struct index_candidate *c = plan_best_file(b->plan, pk->name, pk->version);
		json_t *d = json_object();
		json_object_set_new(d, "name", json_string(pk->name));
		json_object_set_new(d, "version", json_string(pk->version));
		json_object_set_new(d, "file", jstr(c ? c->filename : NULL));
		json_t *h = json_array();
		for (size_t k = 0; k < pk->nfiles; k++)
			if (pk->files[k].sha256) {
				struct ab_buf s = AB_BUF_INIT;
				ab_buf_addf(&s, "sha256:%s", pk->files[k].sha256);
				json_array_append_new(h, json_string(s.buf));
				ab_buf_release(&s);
			}
		json_object_set_new(d, "hashes", h);
		bool req = false;
		for (size_t k = 0; k < pk->nvia; k++)
			req = req || !strncmp(pk->via[k], "-r ", 3);
		json_object_set_new(d, "requested", json_boolean(req));
		if (pk->direct)
			json_object_set_new(d, "direct_url", direct_json(pk->direct));
		json_array_append_new(dists, d);
		if (c && c->wheel)
			for (size_t k = 0; k < c->tags.n; k++) {
				const struct tag *t = &c->tags.tags[k];
				struct ab_buf s = AB_BUF_INIT;
				ab_buf_addf(&s, "%s-%s-%s", t->interpreter, t->abi, t->platform);
				bool dup = false;
				for (size_t m = 0; m < json_array_size(tags) && !dup; m++)
					dup = !strcmp(json_string_value(json_array_get(tags, m)),
						      s.buf);
				if (!dup)
					json_array_append_new(tags, json_string(s.buf));
				ab_buf_release(&s);
			}
	}
	json_object_set_new(doc, "distributions", dists);
	json_t *ext = json_array();
	for (size_t i = 0; app->has_extdeps && i < app->extdeps.n; i++) {
		const struct extdeps_entry *e = &app->extdeps.entries[i];
		char *spec = extdeps_spec(e);
		json_t *x = json_object();
		json_object_set_new(x, "name", json_string(e->name));
		json_object_set_new(x, "specifier", json_string(spec));
		/* the scanned sonames it covers: what `bin/launch check` looks for */
		json_t *libs = json_array();
		struct extdeps one = { 1, (struct extdeps_entry *)e, 1 };
		for (size_t k = 0; k < b->libs->n; k++)
			if (b->libs->libs[k].provider == ELFSCAN_HOST &&
			    elfscan_covered(&b->libs->libs[k], &one))
				json_array_append_new(libs, json_string(b->libs->libs[k].soname));
		json_object_set_new(x, "libraries", libs);
		json_array_append_new(ext, x);
		free(spec);
	}
	json_object_set_new(doc, "external_dependencies", ext);
	json_t *needed = json_array();
	for (size_t i = 0; i < b->libs->n; i++) {
		const struct elfscan_lib *lb = &b->libs->libs[i];
		json_t *x = json_object();
		json_object_set_new(x, "soname", json_string(lb->soname));
		json_object_set_new(x, "provider", json_string(elfscan_provider_str(lb->provider)));
		json_object_set_new(x, "name", jstr(lb->name));
		json_object_set_new(x, "debian_package", jstr(lb->debian));
		json_t *by = json_array();
		for (size_t k = 0; k < lb->nfiles; k++) {
			struct ab_buf s = AB_BUF_INIT;
			ab_buf_addf(&s, "%s%s", b->env_prefix ? b->env_prefix : "", lb->files[k]);
			json_array_append_new(by, json_string(s.buf));
			ab_buf_release(&s);
		}
		json_object_set_new(x, "needed_by", by);
		json_array_append_new(needed, x);
	}
	json_object_set_new(doc, "needed_libraries", needed);
	dump_json(doc, out);
}

/* purl version: percent-encode what is not unreserved (a local version's
 * '+'), as the package-url spec asks. */
static void purl(struct ab_buf *out, const char *name, const char *version)
{
	ab_buf_addf(out, "pkg:pypi/%s@", name);
	for (const char *p = version; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(".-_~", *p))
			ab_buf_addc(out, *p);
		else
			ab_buf_addf(out, "%%%02X", (unsigned char)*p);
	}
}

/* sbom.cdx.json: CycloneDX 1.5, one library component per distribution. No
 * serialNumber (it would have to be random, and the bundle reproducible);
 * the timestamp is the bundle's build time. */
void appmeta_sbom(const struct appmeta *b, struct ab_buf *out)
{
	const struct lock *l = &b->plan->lock;
	char when[32];
	time_t t = (time_t)b->mtime;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *doc = json_object();
	json_object_set_new(doc, "bomFormat", json_string("CycloneDX"));
	json_object_set_new(doc, "specVersion", json_string("1.5"));
	json_object_set_new(doc, "version", json_integer(1));
	json_t *md = json_object();
	json_object_set_new(md, "timestamp", json_string(when));
	json_t *tool = json_object();
	json_object_set_new(tool, "type", json_string("application"));
	json_object_set_new(tool, "name", json_string("appbuild"));
	json_t *tools = json_object();
	json_t *tcomps = json_array();
	json_array_append_new(tcomps, tool);
	json_object_set_new(tools, "components", tcomps);
	json_object_set_new(md, "tools", tools);
	json_t *self = json_object();
	json_object_set_new(self, "type", json_string("application"));
	json_object_set_new(self, "bom-ref", json_string(b->app->name));
	json_object_set_new(self, "name", json_string(b->app->name));
	json_object_set_new(self, "version", json_string(b->app->version));
	json_object_set_new(md, "component", self);
	json_object_set_new(doc, "metadata", md);
	json_t *comps = json_array();
	json_t *deps = json_array();
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_pkg *pk = &l->pkgs[i];
		struct ab_buf p = AB_BUF_INIT;
		purl(&p, pk->name, pk->version);
		json_t *c = json_object();
		json_object_set_new(c, "type", json_string("library"));
		json_object_set_new(c, "bom-ref", json_string(p.buf));
		json_object_set_new(c, "name", json_string(pk->name));
		json_object_set_new(c, "version", json_string(pk->version));
		json_object_set_new(c, "purl", json_string(p.buf));
		json_t *h = json_array();
		for (size_t k = 0; k < pk->nfiles; k++)
			if (pk->files[k].sha256) {
				json_t *x = json_object();
				json_object_set_new(x, "alg", json_string("SHA-256"));
				json_object_set_new(x, "content", json_string(pk->files[k].sha256));
				json_array_append_new(h, x);
			}
		json_object_set_new(c, "hashes", h);
		json_array_append_new(comps, c);
		json_array_append_new(deps, json_string(p.buf));
		ab_buf_release(&p);
	}
	json_object_set_new(doc, "components", comps);
	json_t *root = json_object();
	json_object_set_new(root, "ref", json_string(b->app->name));
	json_object_set_new(root, "dependsOn", deps);
	json_t *dl = json_array();
	json_array_append_new(dl, root);
	json_object_set_new(doc, "dependencies", dl);
	dump_json(doc, out);
}
