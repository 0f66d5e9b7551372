// SPDX-License-Identifier: GPL-2.0
/*
 * LUO files: the file handlers, and the files a session preserves.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <kunit/visibility.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kexec_handover.h>
#include <linux/module.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "luo_internal.h"

/**
 * DOC: LUO files
 *
 * A file handler tells LUO how to preserve one kind of file. PRESERVE_FD
 * gives a file to the first registered handler whose can_preserve() takes
 * it; the handler's preserve() returns a 64-bit handle of the data it
 * handed over. A file is preserved at most once across all sessions,
 * identified by the handler's get_id() or else by its &struct file; LUO
 * keeps a reference to the file while it is preserved.
 *
 * At reboot each file of each outgoing session, oldest first, gets its
 * handler's freeze() and is written as a record with the handler's
 * compatible string, the handle and the token. In the next kernel the
 * records of a session become files waiting to be retrieved; the first
 * RETRIEVE_FD of a token calls the handler's retrieve(), whose result,
 * success or failure, is kept, except -ENOMEM: then the next RETRIEVE_FD
 * calls retrieve() again. FINISH, or closing the session, calls
 * finish() for every file, newest first, retrieved or not.
 *
 * A token is looked up in one hash table of every session's files, keyed
 * by the session and the token, so PRESERVE_FD and RETRIEVE_FD cost the
 * same whether a session holds ten files or a hundred thousand.
 */

/**
 * struct luo_file_key - what a file is looked up by
 * @fs:    the files of its session
 * @token: userspace's name for the file, unique in the session
 */
struct luo_file_key {
	const struct luo_file_set *fs;
	u64 token;
};

/**
 * struct luo_file - one preserved file
 * @list:            link in &luo_file_set.files, in preservation order
 * @fh:              its handler
 * @file:            the file; incoming files: set once retrieved
 * @serialized_data: the handler's handle of its data
 * @private_data:    the handler's pointer: outgoing files from preserve(),
 *                   incoming ones from a retrieve() that ran out of memory
 * @retrieve_status: incoming files: 0 before the first retrieve, 1 after a
 *                   successful one, or the error it failed with
 * @key:             its session and token
 * @node:            link in luo_files_by_token
 * @id:              outgoing files: the key in luo_preserved_files
 * @flbs:            the FLBs it depends on, NULL if none
 * @mutex:           serializes the handler's callbacks on the file
 */
struct luo_file {
	struct list_head list;
	struct liveupdate_file_handler *fh;
	struct file *file;
	u64 serialized_data;
	void *private_data;
	int retrieve_status;
	struct luo_file_key key;
	struct rhash_head node;
	unsigned long id;
	struct luo_flb_deps *flbs;
	struct mutex mutex;	/* serializes the handler's callbacks */
};

DECLARE_RWSEM(luo_handlers_rwsem);
static LIST_HEAD(luo_handlers);

/* Every preserved file, by identity, so that none is preserved twice. */
static DEFINE_XARRAY(luo_preserved_files);

/*
 * Every file of every session, by session and token. Sessions look up
 * concurrently: the lock keeps a lookup from walking past a file another
 * session is freeing, so files are freed at once (their memory is charged
 * to a cgroup, which gets it back on close) rather than after a grace
 * period.
 */
static DEFINE_SPINLOCK(luo_files_lock);
static struct rhashtable luo_files_by_token;
static const struct rhashtable_params luo_file_params = {
	.key_len = sizeof(struct luo_file_key),
	.key_offset = offsetof(struct luo_file, key),
	.head_offset = offsetof(struct luo_file, node),
	.automatic_shrinking = true,
};

/**
 * luo_file_init() - set up the lookup of files by token
 *
 * Return: 0 or -ENOMEM.
 */
int __init luo_file_init(void)
{
	return rhashtable_init(&luo_files_by_token, &luo_file_params);
}

static struct list_head *luo_handler_list(struct liveupdate_file_handler *fh)
{
	return &ACCESS_PRIVATE(fh, list);
}

/* Called with luo_handlers_rwsem held. */
static struct liveupdate_file_handler *luo_handler_find(const char *compatible)
{
	struct liveupdate_file_handler *fh;

	list_for_each_entry(fh, &luo_handlers, __private list)
		if (!strcmp(fh->compatible, compatible))
			return fh;
	return NULL;
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * luo_handler_compatibles() - the compatible string of every handler
 * @fn:  called with each registered handler's string, under the handlers'
 *       lock, until it returns non-zero
 * @arg: passed to @fn
 *
 * For KUnit, which checks this kernel's image table against them.
 *
 * Return: what @fn returned last, or 0.
 */
int luo_handler_compatibles(int (*fn)(const char *compatible, void *arg),
			    void *arg)
{
	struct liveupdate_file_handler *fh;
	int ret = 0;

	down_read(&luo_handlers_rwsem);
	list_for_each_entry(fh, &luo_handlers, __private list) {
		ret = fn(fh->compatible, arg);
		if (ret)
			break;
	}
	up_read(&luo_handlers_rwsem);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(luo_handler_compatibles);
#endif

/**
 * luo_file_set_compatibles() - what the next kernel must read of some files
 * @fs:      the files of an outgoing session
 * @session: the session's name, passed on to @fn
 * @fn:      called for each file with its handler's compatible string, and
 *           for each FLB the file depends on with the FLB's
 * @arg:     passed to @fn
 *
 * Called with luo_state_rwsem held, so no file comes or goes meanwhile.
 */
void luo_file_set_compatibles(struct luo_file_set *fs, const char *session,
			      luo_compat_fn fn, void *arg)
{
	const char *flb;
	struct luo_file *f;
	unsigned int i;

	list_for_each_entry(f, &fs->files, list) {
		fn(session, f->key.token, f->fh->compatible, arg);
		for (i = 0; (flb = luo_flb_dep_compatible(f->flbs, i)); i++)
			fn(session, f->key.token, flb, arg);
		cond_resched();
	}
}

/* Called with luo_handlers_rwsem held. */
bool luo_handler_registered(struct liveupdate_file_handler *fh)
{
	struct liveupdate_file_handler *it;

	list_for_each_entry(it, &luo_handlers, __private list)
		if (it == fh)
			return true;
	return false;
}

/**
 * liveupdate_register_file_handler() - let LUO preserve a kind of file
 * @fh: the handler; stays registered until unregistered
 *
 * Register before userspace first opens /dev/liveupdate: incoming files
 * whose handler is not registered then are refused with their session.
 *
 * Return: 0; -EOPNOTSUPP if LUO is off; -EINVAL if a mandatory callback is
 * missing or the compatible string is empty or not terminated; -EEXIST if
 * a handler with the same compatible string is registered.
 */
int liveupdate_register_file_handler(struct liveupdate_file_handler *fh)
{
	const struct liveupdate_file_ops *ops = fh->ops;
	int err = 0;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	if (!ops || !ops->can_preserve || !ops->preserve || !ops->unpreserve ||
	    !ops->retrieve || !ops->finish ||
	    !luo_string_ok(fh->compatible, sizeof(fh->compatible)))
		return -EINVAL;

	down_write(&luo_handlers_rwsem);
	if (luo_handler_find(fh->compatible)) {
		err = -EEXIST;
	} else {
		INIT_LIST_HEAD(&ACCESS_PRIVATE(fh, flb_list));
		list_add_tail(luo_handler_list(fh), &luo_handlers);
	}
	up_write(&luo_handlers_rwsem);
	return err;
}

/**
 * liveupdate_unregister_file_handler() - undo liveupdate_register_file_handler()
 * @fh: the handler
 *
 * Also unregisters the FLBs registered with it. Files it preserved keep
 * their handler's module pinned, so a handler in use by a module is not
 * unregistered before they are gone.
 */
void liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh)
{
	down_write(&luo_handlers_rwsem);
	if (luo_handler_registered(fh)) {
		luo_flb_unregister_all(fh);
		list_del_init(luo_handler_list(fh));
	}
	up_write(&luo_handlers_rwsem);
}

void luo_file_set_init(struct luo_file_set *fs)
{
	INIT_LIST_HEAD(&fs->files);
	fs->count = 0;
	kho_block_set_init(&fs->blocks, sizeof(struct luo_file_ser));
}

static struct luo_file *luo_file_find(struct luo_file_set *fs, u64 token)
{
	struct luo_file_key key = { .fs = fs, .token = token };
	struct luo_file *lf;

	spin_lock(&luo_files_lock);
	lf = rhashtable_lookup_fast(&luo_files_by_token, &key, luo_file_params);
	spin_unlock(&luo_files_lock);
	return lf;
}

/* Makes @lf findable by its token; rhashtable's own errors mean ENOMEM. */
static int luo_file_add(struct luo_file_set *fs, struct luo_file *lf,
			u64 token)
{
	int err;

	lf->key.fs = fs;
	lf->key.token = token;
	spin_lock(&luo_files_lock);
	err = rhashtable_lookup_insert_fast(&luo_files_by_token, &lf->node,
					    luo_file_params);
	spin_unlock(&luo_files_lock);
	return err ? -ENOMEM : 0;
}

static void luo_file_remove(struct luo_file *lf)
{
	spin_lock(&luo_files_lock);
	rhashtable_remove_fast(&luo_files_by_token, &lf->node, luo_file_params);
	spin_unlock(&luo_files_lock);
}

static struct liveupdate_file_handler *luo_handler_for(struct file *file)
{
	struct liveupdate_file_handler *fh, *found = NULL;

	down_read(&luo_handlers_rwsem);
	list_for_each_entry(fh, &luo_handlers, __private list) {
		if (fh->ops->can_preserve(fh, file)) {
			found = fh;
			break;
		}
	}
	up_read(&luo_handlers_rwsem);
	return found;
}

/**
 * luo_file_preserve() - preserve a file in an outgoing session
 * @fs:    the session's files
 * @token: userspace's name for the file, unique in the session
 * @file:  the file, NULL for a bad descriptor; LUO takes its own reference
 *
 * Called with the session mutex held.
 *
 * Return: 0; -EEXIST for a token in use; -EBADF for no file; -ENOENT if no handler takes the
 * file; -EBUSY if it is preserved already; -ENODEV if its handler is going
 * away; -ENOMEM; or the error of an FLB's or the handler's preserve().
 */
int luo_file_preserve(struct luo_file_set *fs, u64 token, struct file *file)
{
	struct liveupdate_file_op_args args = { };
	struct liveupdate_file_handler *fh;
	struct luo_file *lf;
	int err;

	if (luo_file_find(fs, token))
		return -EEXIST;
	err = kho_block_set_grow(&fs->blocks, fs->count + 1);
	if (err)
		return err;

	err = -EBADF;
	if (!file)
		goto err_shrink;
	fh = luo_handler_for(file);
	if (!fh) {
		err = -ENOENT;
		goto err_shrink;
	}
	lf = kzalloc(sizeof(*lf), KHO_GFP);
	if (!lf) {
		err = -ENOMEM;
		goto err_shrink;
	}
	lf->id = fh->ops->get_id ? fh->ops->get_id(file) : (unsigned long)file;
	err = xa_insert(&luo_preserved_files, lf->id, lf, KHO_GFP);
	if (err)
		goto err_free;
	if (!try_module_get(fh->ops->owner)) {
		err = -ENODEV;
		goto err_erase;
	}
	/* The token is free (checked above, under the session mutex). */
	err = luo_file_add(fs, lf, token);
	if (err)
		goto err_module;
	err = luo_flb_file_preserve(fh, &lf->flbs);
	if (err)
		goto err_remove;

	args.handler = fh;
	args.file = file;
	err = fh->ops->preserve(&args);
	if (err)
		goto err_flbs;

	lf->fh = fh;
	lf->file = get_file(file);
	lf->serialized_data = args.serialized_data;
	lf->private_data = args.private_data;
	mutex_init(&lf->mutex);
	list_add_tail(&lf->list, &fs->files);
	fs->count++;
	return 0;

err_flbs:
	luo_flb_file_unpreserve(lf->flbs);
	kfree(lf->flbs);
err_remove:
	luo_file_remove(lf);
err_module:
	module_put(fh->ops->owner);
err_erase:
	xa_erase(&luo_preserved_files, lf->id);
err_free:
	kfree(lf);
err_shrink:
	kho_block_set_shrink(&fs->blocks, fs->count);
	return err;
}

static void luo_file_args(struct luo_file *lf,
			  struct liveupdate_file_op_args *args)
{
	*args = (struct liveupdate_file_op_args) {
		.handler = lf->fh,
		.retrieve_status = lf->retrieve_status,
		.file = lf->file,
		.serialized_data = lf->serialized_data,
		.private_data = lf->private_data,
	};
}

static void luo_file_free(struct luo_file_set *fs, struct luo_file *lf)
{
	luo_file_remove(lf);
	list_del(&lf->list);
	fs->count--;
	if (lf->file)
		fput(lf->file);
	module_put(lf->fh->ops->owner);
	mutex_destroy(&lf->mutex);
	kfree(lf->flbs);
	kfree(lf);
}

/*
 * An outgoing session goes away before the kexec: every file is given up,
 * newest first, and nothing of the session is handed over.
 */
void luo_file_unpreserve_all(struct luo_file_set *fs)
{
	struct luo_file *lf, *tmp;

	list_for_each_entry_safe_reverse(lf, tmp, &fs->files, list) {
		struct liveupdate_file_op_args args;

		luo_file_args(lf, &args);
		lf->fh->ops->unpreserve(&args);
		luo_flb_file_unpreserve(lf->flbs);
		xa_erase(&luo_preserved_files, lf->id);
		luo_file_free(fs, lf);
		cond_resched();
	}
	kho_block_set_destroy(&fs->blocks);
}

/* Unfreezes the files from @last back to the first, @last included. */
static void luo_file_unfreeze_from(struct luo_file_set *fs,
				   struct luo_file *last)
{
	struct luo_file *lf = last;

	list_for_each_entry_from_reverse(lf, &fs->files, list) {
		struct liveupdate_file_op_args args;

		if (!lf->fh->ops->unfreeze)
			continue;
		luo_file_args(lf, &args);
		mutex_lock(&lf->mutex);
		lf->fh->ops->unfreeze(&args);
		mutex_unlock(&lf->mutex);
		cond_resched();
	}
}

/*
 * Freezes the files of an outgoing session, oldest first, and writes their
 * records. On failure the files frozen so far are unfrozen, newest first.
 */
int luo_file_freeze(struct luo_file_set *fs, struct luo_file_set_ser *ser)
{
	struct kho_block_set_it it;
	struct luo_file *lf;
	int err = 0;

	kho_block_set_clear(&fs->blocks);
	kho_block_set_it_init(&it, &fs->blocks);
	list_for_each_entry(lf, &fs->files, list) {
		struct luo_file_ser *rec = kho_block_set_it_reserve_entry(&it);
		struct liveupdate_file_op_args args;

		/* Capacity follows the files; running out is a LUO bug. */
		if (WARN_ON_ONCE(!rec)) {
			err = -ENOSPC;
			break;
		}
		if (lf->fh->ops->freeze) {
			luo_file_args(lf, &args);
			mutex_lock(&lf->mutex);
			err = lf->fh->ops->freeze(&args);
			mutex_unlock(&lf->mutex);
			if (err) {
				pr_err("freezing file %#llx failed: %pe\n",
				       lf->key.token, ERR_PTR(err));
				break;
			}
			lf->serialized_data = args.serialized_data;
		}
		kho_compat_store(rec->compatible, sizeof(rec->compatible),
				 lf->fh->compatible);
		rec->data = lf->serialized_data;
		rec->token = lf->key.token;
		cond_resched();
	}
	if (err) {
		if (!list_is_first(&lf->list, &fs->files))
			luo_file_unfreeze_from(fs, list_prev_entry(lf, list));
		kho_block_set_clear(&fs->blocks);
		return err;
	}
	ser->files = kho_block_set_head_pa(&fs->blocks);
	ser->count = fs->count;
	return 0;
}

/* Unfreezes every file of a session that froze completely. */
void luo_file_unfreeze(struct luo_file_set *fs)
{
	if (!list_empty(&fs->files))
		luo_file_unfreeze_from(fs, list_last_entry(&fs->files,
							   struct luo_file,
							   list));
	kho_block_set_clear(&fs->blocks);
}

/* An incoming file for @rec, findable by its token; NULL: out of memory. */
static struct luo_file *luo_file_incoming(struct luo_file_set *fs,
					  struct liveupdate_file_handler *fh,
					  const struct luo_file_ser *rec)
{
	struct luo_file *lf = kzalloc(sizeof(*lf), KHO_GFP);

	if (!lf)
		return NULL;
	lf->flbs = luo_flb_deps_of(fh);
	if (IS_ERR(lf->flbs)) {
		kfree(lf);
		return NULL;
	}
	if (luo_file_add(fs, lf, rec->token)) {
		kfree(lf->flbs);
		kfree(lf);
		return NULL;
	}
	lf->fh = fh;
	lf->serialized_data = rec->data;
	mutex_init(&lf->mutex);
	list_add_tail(&lf->list, &fs->files);
	fs->count++;
	return lf;
}

/*
 * Builds the incoming files of a session from its records. The records are
 * input from the previous kernel: a chain the block layer refuses, a record
 * without a registered handler, a token that appears twice or a count that
 * disagrees with the chain refuses the session's files, and the data they
 * name stays preserved. The chain is only taken once every file is built,
 * so -ENOMEM leaves it preserved and the session can be built again.
 * Returns 0 or the reason, already logged.
 */
int luo_file_deserialize(struct luo_file_set *fs,
			 const struct luo_file_set_ser *ser)
{
	struct kho_block_set in;
	struct kho_block_set_it it;
	struct luo_file_ser *rec;
	const char *why = NULL;
	int err;

	kho_block_set_init(&in, sizeof(struct luo_file_ser));
	err = kho_block_set_peek(&in, ser->files);
	if (err) {
		if (err != -ENOMEM)
			pr_err("the file records are corrupted\n");
		return err;
	}

	down_read(&luo_handlers_rwsem);
	kho_block_set_it_init(&it, &in);
	while (!why && (rec = kho_block_set_it_read_entry(&it))) {
		struct liveupdate_file_handler *fh = NULL;

		if (luo_string_ok(rec->compatible, sizeof(rec->compatible)))
			fh = luo_handler_find(rec->compatible);
		if (!fh) {
			why = "a file has no registered handler";
			err = -ENOENT;
		} else if (luo_file_find(fs, rec->token)) {
			why = "a token appears twice";
			err = -EINVAL;
		} else if (!try_module_get(fh->ops->owner)) {
			why = "a handler is going away";
			err = -ENODEV;
		} else if (!luo_file_incoming(fs, fh, rec)) {
			module_put(fh->ops->owner);
			err = -ENOMEM;
			break;
		}
		cond_resched();
	}
	up_read(&luo_handlers_rwsem);
	if (!err && fs->count != ser->count) {
		why = "the file count disagrees with the records";
		err = -EINVAL;
	}
	if (!err)
		err = kho_block_set_claim(&in);
	kho_block_set_destroy(&in);
	if (err) {
		if (why)
			pr_err("%s\n", why);
		luo_file_discard(fs);
		return err;
	}
	return 0;
}

/* Forgets incoming files without finishing them: their data stays. */
void luo_file_discard(struct luo_file_set *fs)
{
	struct luo_file *lf, *tmp;

	list_for_each_entry_safe_reverse(lf, tmp, &fs->files, list) {
		luo_file_free(fs, lf);
		cond_resched();
	}
}

/* Called with the session mutex held. */
int luo_file_retrieve(struct luo_file_set *fs, u64 token, struct file **filep)
{
	struct luo_file *lf = luo_file_find(fs, token);
	int err = 0;

	if (!lf)
		return -ENOENT;
	mutex_lock(&lf->mutex);
	if (!lf->retrieve_status) {
		struct liveupdate_file_op_args args;

		luo_file_args(lf, &args);
		args.file = NULL;
		err = lf->fh->ops->retrieve(&args);
		if (!err && !args.file)
			err = -EINVAL;
		lf->private_data = args.private_data;
		if (err == -ENOMEM) {
			/* Not final: the next RETRIEVE_FD calls retrieve() again. */
		} else if (err) {
			lf->retrieve_status = err;
		} else {
			lf->file = args.file;
			lf->retrieve_status = 1;
		}
	} else if (lf->retrieve_status < 0) {
		err = lf->retrieve_status;
	}
	if (!err)
		*filep = get_file(lf->file);
	mutex_unlock(&lf->mutex);
	return err;
}

/*
 * Finishes every incoming file of a session, newest first, unless one of
 * them cannot finish yet (-EBUSY, nothing changes).
 */
int luo_file_finish(struct luo_file_set *fs)
{
	struct luo_file *lf, *tmp;

	list_for_each_entry(lf, &fs->files, list) {
		struct liveupdate_file_op_args args;
		bool ok;

		if (!lf->fh->ops->can_finish)
			continue;
		luo_file_args(lf, &args);
		mutex_lock(&lf->mutex);
		ok = lf->fh->ops->can_finish(&args);
		mutex_unlock(&lf->mutex);
		if (!ok)
			return -EBUSY;
		cond_resched();
	}
	list_for_each_entry_safe_reverse(lf, tmp, &fs->files, list) {
		struct liveupdate_file_op_args args;

		luo_file_args(lf, &args);
		mutex_lock(&lf->mutex);
		lf->fh->ops->finish(&args);
		mutex_unlock(&lf->mutex);
		luo_flb_file_finish(lf->flbs);
		luo_file_free(fs, lf);
		cond_resched();
	}
	return 0;
}
