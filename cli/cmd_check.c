/* cmd_check.c - `appbuild check [DIR] [--json]`: validate an app directory.
 *
 * main.c has loaded the app (app_load) and reported every problem before
 * this runs; what is left is to say what was found, as a summary or JSON. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/core/mem.h"

struct check_opts {
	bool json;
};

static const struct cli_option check_options[] = {
	{ "json", 0, OPT_BOOL, offsetof(struct check_opts, json), NULL,
	  "print the parsed app as JSON on stdout", NULL, NULL },
	OPT_END,
};

const struct cmd_spec check_spec = {
	check_options,
	sizeof(struct check_opts),
	"[DIR]",
	"check an app directory without building anything",
	"Check the app in DIR (default: the current directory): dependencies.txt and the\n"
	"files it includes, external-dependencies.txt (optional), appbuild.yaml (optional),\n"
	"and that bin/wsgiapp defines a module-level 'application' (read, never run).\n"
	"Every problem is reported as file:line:col: error: message; the exit status is\n"
	"that of the first (3 parse error, 4 invalid app, 5 I/O error).",
};

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strlist(const struct reqfile_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *buf_json(struct ab_buf *b)
{
	json_t *s = json_stringn(b->buf, b->len);
	ab_buf_reset(b);
	return s;
}

static const char *req_kind_name(enum reqfile_req_kind k)
{
	switch (k) {
	case REQFILE_REQ_PEP508:
		return "pep508";
	case REQFILE_REQ_URL:
		return "url";
	case REQFILE_REQ_VCS:
		return "vcs";
	case REQFILE_REQ_PATH:
		return "path";
	default:
		return "none";
	}
}

static json_t *requirement_json(const struct reqfile_line *l)
{
	struct ab_buf b = AB_BUF_INIT;
	json_t *o = json_object();
	json_t *extras = json_array(), *hashes = json_array();
	const struct pep508_req *req = l->req;
	const struct marker *marker = req ? req->marker : l->marker;
	if (req) {
		pep440_specset_format(&req->spec, &b);
		for (size_t i = 0; i < req->nextras; i++)
			json_array_append_new(extras, json_string(req->extras[i]));
	}
	json_object_set_new(o, "file", json_string(l->file));
	json_object_set_new(o, "line", json_integer(l->lineno));
	json_object_set_new(o, "name", str_or_null(req ? req->canonical : l->egg));
	json_object_set_new(o, "specifier", buf_json(&b));
	json_object_set_new(o, "extras", extras);
	if (marker)
		marker_format(marker, &b);
	json_object_set_new(o, "marker", marker ? buf_json(&b) : json_null());
	json_object_set_new(o, "url", str_or_null(req ? req->url : l->url));
	for (size_t i = 0; i < l->opts.nhashes; i++) {
		ab_buf_addf(&b, "%s:%s", l->opts.hashes[i].algo, l->opts.hashes[i].hex);
		json_array_append_new(hashes, buf_json(&b));
	}
	json_object_set_new(o, "hashes", hashes);
	json_object_set_new(o, "requirement", str_or_null(l->requirement));
	json_object_set_new(o, "kind", json_string(req_kind_name(l->req_kind)));
	json_object_set_new(o, "editable", json_boolean(l->kind == REQFILE_EDITABLE));
	ab_buf_release(&b);
	return o;
}

static json_t *index_json(const struct reqfile_finder *f)
{
	json_t *o = json_object(), *hosts = json_array();
	json_object_set_new(o, "index_urls", strlist(&f->index_urls));
	json_object_set_new(o, "find_links", strlist(&f->find_links));
	json_object_set_new(o, "no_index", json_boolean(f->no_index));
	json_object_set_new(o, "pre", json_boolean(f->allow_all_prereleases));
	json_object_set_new(o, "prefer_binary", json_boolean(f->prefer_binary));
	json_object_set_new(o, "require_hashes", json_boolean(f->require_hashes));
	json_object_set_new(o, "no_binary", strlist(&f->format_control.no_binary));
	json_object_set_new(o, "only_binary", strlist(&f->format_control.only_binary));
	for (size_t i = 0; i < f->ntrusted_hosts; i++) {
		const struct reqfile_trusted_host *h = &f->trusted_hosts[i];
		json_array_append_new(hosts, h->port >= 0 ? json_sprintf("%s:%d", h->host, h->port)
							  : json_string(h->host));
	}
	json_object_set_new(o, "trusted_hosts", hosts);
	return o;
}

static json_t *extdeps_json(const struct extdeps *d)
{
	struct ab_buf b = AB_BUF_INIT;
	json_t *a = json_array();
	for (size_t i = 0; i < d->n; i++) {
		const struct extdeps_entry *e = &d->entries[i];
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(e->name));
		for (size_t k = 0; k < e->nclauses; k++)
			ab_buf_addf(&b, "%s%s%s", k ? ", " : "", extdeps_op_str(e->clauses[k].op),
				    e->clauses[k].version);
		json_object_set_new(o, "specifier", buf_json(&b));
		if (e->marker)
			marker_format(e->marker, &b);
		json_object_set_new(o, "marker", e->marker ? buf_json(&b) : json_null());
		json_object_set_new(o, "line", json_integer(e->line));
		json_array_append_new(a, o);
	}
	ab_buf_release(&b);
	return a;
}

static json_t *package_json(const struct appconfig_package *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "summary", str_or_null(p->summary));
	json_object_set_new(o, "description", str_or_null(p->description));
	json_object_set_new(o, "license", str_or_null(p->license));
	json_object_set_new(o, "maintainer", str_or_null(p->maintainer));
	json_object_set_new(o, "url", str_or_null(p->url));
	json_object_set_new(o, "vendor", str_or_null(p->vendor));
	return o;
}

static json_t *app_json(const struct app *app)
{
	const struct appconfig *c = &app->config;
	json_t *o = json_object(), *reqs = json_array(), *cons = json_array();
	json_t *procs = json_array(), *files = json_object(), *wsgi = json_object();
	struct ab_buf b = AB_BUF_INIT;

	json_object_set_new(o, "name", json_string(app->name));
	json_object_set_new(o, "version", json_string(app->version));
	json_object_set_new(o, "directory", json_string(app->dir));
	json_object_set_new(files, "dependencies", json_string(app->deps_path));
	json_object_set_new(files, "external_dependencies", str_or_null(app->extdeps_path));
	json_object_set_new(files, "wsgi", json_string(app->wsgi_path));
	json_object_set_new(files, "config", str_or_null(app->config_path));
	json_object_set_new(o, "files", files);
	if (c->python)
		pep440_specset_format(&c->python_spec, &b);
	json_object_set_new(o, "python", c->python ? buf_json(&b) : json_null());
	json_object_set_new(o, "supervisor",
			    json_string(appconfig_supervisor_name(c->supervisor)));
	for (size_t i = 0; i < c->nprocesses; i++)
		json_array_append_new(procs, json_pack("{s:s, s:s, s:i}", "name",
						       c->processes[i].name, "command",
						       c->processes[i].command, "count",
						       (int)c->processes[i].count));
	json_object_set_new(o, "processes", procs);
	json_object_set_new(o, "package", package_json(&c->package));
	json_object_set_new(wsgi, "file", json_string(app->wsgi_path));
	json_object_set_new(wsgi, "line", json_integer(app->wsgi.line));
	json_object_set_new(wsgi, "col", json_integer(app->wsgi.col));
	json_object_set_new(wsgi, "kind", json_string(pyscan_kind_name(app->wsgi.kind)));
	json_object_set_new(o, "wsgi", wsgi);
	for (size_t i = 0; i < app->reqs.nlines; i++) {
		const struct reqfile_line *l = &app->reqs.lines[i];
		if (reqfile_line_is_requirement(l))
			json_array_append_new(l->constraint ? cons : reqs, requirement_json(l));
	}
	json_object_set_new(o, "requirements", reqs);
	json_object_set_new(o, "constraints", cons);
	json_object_set_new(o, "index", index_json(&app->reqs.finder));
	json_object_set_new(o, "external_dependencies", extdeps_json(&app->extdeps));
	ab_buf_release(&b);
	return o;
}

static void summary(const struct app *app)
{
	size_t nreq = 0, ncons = 0;
	for (size_t i = 0; i < app->reqs.nlines; i++) {
		const struct reqfile_line *l = &app->reqs.lines[i];
		if (reqfile_line_is_requirement(l))
			*(l->constraint ? &ncons : &nreq) += 1;
	}
	printf("%s %s: ok\n", app->name, app->version);
	printf("  requirements:  %zu requirement%s, %zu constraint%s (%s)\n", nreq,
	       nreq == 1 ? "" : "s", ncons, ncons == 1 ? "" : "s", app->deps_path);
	if (app->extdeps_path)
		printf("  external:      %zu package%s (%s)\n", app->extdeps.n,
		       app->extdeps.n == 1 ? "" : "s", app->extdeps_path);
	printf("  wsgi:          %s:%u defines 'application' (%s)\n", app->wsgi_path,
	       app->wsgi.line, pyscan_kind_name(app->wsgi.kind));
	if (app->config.nprocesses) {
		printf("  processes:    ");
		for (size_t i = 0; i < app->config.nprocesses; i++)
			printf(" %s", app->config.processes[i].name);
		printf(" (%s)\n", appconfig_supervisor_name(app->config.supervisor));
	}
}

int cmd_check(struct cmd_ctx *ctx, struct ab_err *err)
{
	const struct check_opts *opts = ctx->opts;
	if (opts->json) {
		json_t *j = app_json(ctx->app);
		int r = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (r < 0)
			return ab_err_set(err, AB_E_IO, "cannot write the JSON output");
		putchar('\n');
		return 0;
	}
	if (ctx->cli->verbosity >= AB_OUT_INFO)
		summary(ctx->app);
	return 0;
}
