/*
 * The libgit2 functions appbuild calls, loaded from libgit2.so.1.5 on first
 * use (formats/lazy/lazy.h says how and why).
 */
#include <git2.h>

#include "formats/lazy/lazy_impl.h"

/* git_oid_tostr() always yields a string; without libgit2, an empty one */
static char *empty(char *out, size_t n)
{
	if (out && n)
		out[0] = 0;
	return out;
}

/* what git_error_last() returns when libgit2 cannot be loaded */
static const git_error *load_error(void);

#define R git_repository *
#define FAIL (-1)

#define FUNCS(F, V, D)                                                                      \
	F(int, git_libgit2_init, (void), (), FAIL)                                        \
	F(int, git_libgit2_shutdown, (void), (), 0)                                       \
	F(const git_error *, git_error_last, (void), (), load_error())                    \
	F(int, git_checkout_head, (R r, const git_checkout_options *o), (r, o), FAIL)     \
	F(int, git_checkout_options_init, (git_checkout_options * o, unsigned v), (o, v), FAIL) \
	V(git_commit_free, (git_commit * c), (c))                                         \
	F(int, git_commit_lookup, (git_commit * *c, R r, const git_oid *id), (c, r, id), FAIL) \
	F(const git_oid *, git_commit_parent_id, (const git_commit *c, unsigned n), (c, n), NULL) \
	F(unsigned, git_commit_parentcount, (const git_commit *c), (c), 0)                \
	F(const git_oid *, git_commit_tree_id, (const git_commit *c), (c), NULL)          \
	F(git_time_t, git_commit_time, (const git_commit *c), (c), 0)                     \
	F(int, git_credential_ssh_key_from_agent, (git_credential * *out, const char *u), \
	  (out, u), FAIL)                                                                 \
	F(int, git_credential_username_new, (git_credential * *out, const char *u), (out, u), \
	  FAIL)                                                                           \
	F(int, git_credential_userpass_plaintext_new,                                     \
	  (git_credential * *out, const char *u, const char *p), (out, u, p), FAIL)       \
	F(int, git_fetch_options_init, (git_fetch_options * o, unsigned v), (o, v), FAIL) \
	F(int, git_indexer_append,                                                        \
	  (git_indexer * ix, const void *data, size_t n, git_indexer_progress *st),       \
	  (ix, data, n, st), FAIL)                                                        \
	F(int, git_indexer_commit, (git_indexer * ix, git_indexer_progress *st), (ix, st), FAIL) \
	V(git_indexer_free, (git_indexer * ix), (ix))                                     \
	F(int, git_indexer_new,                                                           \
	  (git_indexer * *out, const char *path, unsigned mode, git_odb *db,              \
	   git_indexer_options *o),                                                       \
	  (out, path, mode, db, o), FAIL)                                                 \
	V(git_object_free, (git_object * o), (o))                                         \
	F(const git_oid *, git_object_id, (const git_object *o), (o), NULL)               \
	F(int, git_object_lookup, (git_object * *o, R r, const git_oid *id, git_object_t t), \
	  (o, r, id, t), FAIL)                                                            \
	F(int, git_object_peel, (git_object * *out, const git_object *o, git_object_t t), \
	  (out, o, t), FAIL)                                                              \
	F(git_object_t, git_object_type, (const git_object *o), (o), GIT_OBJECT_INVALID) \
	F(int, git_odb_add_disk_alternate, (git_odb * db, const char *path), (db, path), FAIL) \
	F(int, git_odb_exists, (git_odb * db, const git_oid *id), (db, id), 0)            \
	V(git_odb_free, (git_odb * db), (db))                                             \
	F(int, git_odb_open, (git_odb * *out, const char *dir), (out, dir), FAIL)        \
	F(int, git_odb_refresh, (git_odb * db), (db), FAIL)                               \
	F(int, git_odb_write,                                                             \
	  (git_oid * out, git_odb *db, const void *data, size_t n, git_object_t t),      \
	  (out, db, data, n, t), FAIL)                                                    \
	F(int, git_oid_cpy, (git_oid * out, const git_oid *src), (out, src), FAIL)        \
	F(int, git_oid_fromstr, (git_oid * out, const char *s), (out, s), FAIL)           \
	F(char *, git_oid_tostr, (char *out, size_t n, const git_oid *id), (out, n, id),  \
	  empty(out, n))                                                                  \
	F(int, git_remote_connect,                                                        \
	  (git_remote * rem, git_direction d, const git_remote_callbacks *cb,             \
	   const git_proxy_options *px, const git_strarray *hd),                          \
	  (rem, d, cb, px, hd), FAIL)                                                     \
	F(int, git_remote_create_anonymous, (git_remote * *out, R r, const char *url),    \
	  (out, r, url), FAIL)                                                            \
	F(int, git_remote_disconnect, (git_remote * rem), (rem), FAIL)                    \
	F(int, git_remote_download,                                                       \
	  (git_remote * rem, const git_strarray *refspecs, const git_fetch_options *o),   \
	  (rem, refspecs, o), FAIL)                                                       \
	F(int, git_reference_create,                                                      \
	  (git_reference * *out, R r, const char *name, const git_oid *id, int force,     \
	   const char *msg),                                                              \
	  (out, r, name, id, force, msg), FAIL)                                           \
	V(git_reference_free, (git_reference * ref), (ref))                               \
	V(git_remote_free, (git_remote * rem), (rem))                                     \
	F(int, git_remote_init_callbacks, (git_remote_callbacks * o, unsigned v), (o, v), FAIL) \
	F(int, git_remote_ls, (const git_remote_head ***out, size_t *n, git_remote *rem), \
	  (out, n, rem), FAIL)                                                            \
	F(int, git_remote_update_tips,                                                    \
	  (git_remote * rem, const git_remote_callbacks *cb, int fh,                      \
	   git_remote_autotag_option_t tags, const char *msg),                            \
	  (rem, cb, fh, tags, msg), FAIL)                                                 \
	V(git_repository_free, (R r), (r))                                                \
	F(int, git_repository_init, (R * out, const char *path, unsigned bare), (out, path, bare), \
	  FAIL)                                                                           \
	F(int, git_repository_is_bare, (const git_repository *r), (r), 0)                 \
	F(int, git_repository_odb, (git_odb * *out, R r), (out, r), FAIL)                 \
	F(const char *, git_repository_path, (const git_repository *r), (r), NULL)       \
	F(int, git_repository_open, (R * out, const char *path), (out, path), FAIL)       \
	F(int, git_repository_open_bare, (R * out, const char *path), (out, path), FAIL)  \
	F(int, git_repository_open_ext,                                                   \
	  (R * out, const char *path, unsigned int fl, const char *ceil), (out, path, fl, ceil), \
	  FAIL)                                                                           \
	F(int, git_repository_set_head, (R r, const char *ref), (r, ref), FAIL)           \
	F(int, git_repository_set_head_detached, (R r, const git_oid *id), (r, id), FAIL) \
	F(int, git_repository_wrap_odb, (R * out, git_odb * db), (out, db), FAIL)         \
	F(int, git_revparse_single, (git_object * *out, R r, const char *spec), (out, r, spec), \
	  FAIL)                                                                           \
	F(int, git_submodule_foreach, (R r, git_submodule_cb cb, void *payload),          \
	  (r, cb, payload), FAIL)                                                         \
	F(const git_oid *, git_submodule_index_id, (git_submodule * s), (s), NULL)        \
	F(const char *, git_submodule_path, (git_submodule * s), (s), NULL)               \
	F(const char *, git_submodule_url, (git_submodule * s), (s), NULL)                \
	F(size_t, git_status_list_entrycount, (git_status_list * l), (l), 0)              \
	V(git_status_list_free, (git_status_list * l), (l))                               \
	F(int, git_status_list_new, (git_status_list * *out, R r, const git_status_options *o), \
	  (out, r, o), FAIL)                                                              \
	F(int, git_status_options_init, (git_status_options * o, unsigned v), (o, v), FAIL) \
	F(const git_oid *, git_tag_target_id, (const git_tag *t), (t), NULL)              \
	F(const git_tree_entry *, git_tree_entry_byindex, (const git_tree *t, size_t i), (t, i), \
	  NULL)                                                                           \
	F(const git_oid *, git_tree_entry_id, (const git_tree_entry *e), (e), NULL)       \
	F(git_object_t, git_tree_entry_type, (const git_tree_entry *e), (e), GIT_OBJECT_INVALID) \
	F(size_t, git_tree_entrycount, (const git_tree *t), (t), 0)

#define ALL(F, V, D) FUNCS(F, V, D)

LAZY_TABLE(ALL, git2, "libgit2.so.1.5")
LAZY_STUBS(FUNCS)

static const git_error *load_error(void)
{
	static git_error e;
	e.message = (char *)failmsg();
	e.klass = GIT_ERROR_OS;
	return &e;
}
