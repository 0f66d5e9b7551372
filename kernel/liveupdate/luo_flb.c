// SPDX-License-Identifier: GPL-2.0
/*
 * LUO FLBs: state whose life is bound to the preserved files that depend
 * on it.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <kunit/visibility.h>
#include <linux/kexec_handover.h>
#include <linux/kho/block.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "luo_internal.h"

/**
 * DOC: LUO FLBs
 *
 * A File-Lifecycle-Bound object (FLB) is state that several preserved
 * files share, a subsystem's tables for instance, handed over while any of
 * them is and only then. A subsystem registers its &struct liveupdate_flb
 * with the file handlers whose files depend on it; one FLB may serve
 * several handlers, and its compatible string is unique among FLBs.
 *
 * In the outgoing kernel the first file preserved by one of those
 * handlers runs the FLB's preserve() before the handler's own preserve();
 * every further file takes a reference, and when the last of them is given
 * up the FLB's unpreserve() runs after the handler's unpreserve(). At
 * reboot every FLB with preserved dependents is written, with the handle
 * preserve() returned and the number of dependents, into a block chain
 * whose capacity followed the FLBs as they came and went, so there is no
 * limit on their number.
 *
 * The next kernel reads that chain at ``early_initcall``, so a subsystem
 * can reach its FLB's state early in boot, before any file is retrieved.
 * liveupdate_flb_get_incoming() runs the FLB's retrieve() on its first
 * call and takes a reference; liveupdate_flb_put_incoming() drops it. The
 * incoming count starts at the number of dependents recorded; each of
 * those files drops one when it is finished, retrieved or not, and the
 * last reference dropped runs the FLB's finish(). A record the next kernel
 * cannot trust refuses that FLB (an unterminated or duplicate name, no
 * dependents); a corrupted chain refuses all FLB data, and
 * liveupdate_flb_get_incoming() then reports that there is none. Sessions
 * are not affected either way.
 *
 * The FLB callbacks run under LUO's FLB lock and must not call the FLB
 * functions themselves.
 */

/**
 * struct luo_flb_link - an FLB registered with a file handler
 * @list: link in the handler's list of FLBs
 * @flb:  the FLB
 */
struct luo_flb_link {
	struct list_head list;
	struct liveupdate_flb *flb;
};

/**
 * struct luo_flb_deps - the FLBs a preserved file depends on
 * @nr:   how many
 * @flbs: the FLBs, as registered with the file's handler when it was
 *        preserved or handed over
 */
struct luo_flb_deps {
	unsigned int nr;
	struct liveupdate_flb *flbs[] __counted_by(nr);
};

/* Protects every FLB's private state and the lists below. */
static DEFINE_MUTEX(luo_flb_lock);
/* FLBs registered with a handler or with preserved dependents. */
static LIST_HEAD(luo_flbs);
/* FLBs with preserved dependents: the records the next reboot writes. */
static u64 luo_flb_active;
static struct kho_block_set luo_flb_blocks =
	KHO_BLOCK_SET_INIT(luo_flb_blocks, sizeof(struct luo_flb_ser));

/* The previous kernel's FLB records that were accepted. */
static struct luo_flb_ser *luo_flb_in;
static u64 luo_flb_in_count;
/* Whether the previous kernel's FLB records were received at all. */
static bool luo_flb_in_received;

static struct luo_flb_private *luo_flb_priv(struct liveupdate_flb *flb)
{
	struct luo_flb_private *p = &ACCESS_PRIVATE(flb, private);

	lockdep_assert_held(&luo_flb_lock);
	if (!p->initialized) {
		INIT_LIST_HEAD(&p->list);
		p->initialized = true;
	}
	return p;
}

static struct list_head *luo_flb_links(struct liveupdate_file_handler *fh)
{
	return &ACCESS_PRIVATE(fh, flb_list);
}

static struct luo_flb_link *luo_flb_link_find(struct liveupdate_file_handler *fh,
					      struct liveupdate_flb *flb)
{
	struct luo_flb_link *link;

	list_for_each_entry(link, luo_flb_links(fh), list)
		if (link->flb == flb)
			return link;
	return NULL;
}

static struct liveupdate_flb *luo_flb_find(const char *compatible)
{
	struct liveupdate_flb *flb;

	list_for_each_entry(flb, &luo_flbs, private.list)
		if (!strcmp(flb->compatible, compatible))
			return flb;
	return NULL;
}

/**
 * luo_flb_dep_compatible() - the compatible string of a file's FLB
 * @deps: the FLBs a preserved file depends on, or NULL for none
 * @i:    which of them
 *
 * Return: the string, or NULL when @i is past the last.
 */
const char *luo_flb_dep_compatible(const struct luo_flb_deps *deps,
				   unsigned int i)
{
	return deps && i < deps->nr ? deps->flbs[i]->compatible : NULL;
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * luo_flb_compatibles() - the compatible string of every registered FLB
 * @fn:  called with each, under the handlers' lock, until it returns
 *       non-zero
 * @arg: passed to @fn
 *
 * For KUnit, which checks this kernel's image table against them.
 *
 * Return: what @fn returned last, or 0.
 */
int luo_flb_compatibles(int (*fn)(const char *compatible, void *arg),
			void *arg)
{
	struct liveupdate_flb *flb;
	int ret = 0;

	down_read(&luo_handlers_rwsem);
	list_for_each_entry(flb, &luo_flbs, private.list) {
		ret = fn(flb->compatible, arg);
		if (ret)
			break;
	}
	up_read(&luo_handlers_rwsem);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(luo_flb_compatibles);
#endif

/**
 * liveupdate_register_flb() - make files of a handler depend on an FLB
 * @fh:  a registered file handler
 * @flb: the FLB; may already be registered with other handlers
 *
 * Files @fh preserves from now on depend on @flb.
 *
 * Return: 0; -EOPNOTSUPP if LUO is off; -EINVAL if a callback is missing,
 * the compatible string is empty or not terminated, or @fh is not
 * registered; -EEXIST if @flb is registered with @fh already or another
 * FLB has its compatible string; -ENOMEM.
 */
int liveupdate_register_flb(struct liveupdate_file_handler *fh,
			    struct liveupdate_flb *flb)
{
	const struct liveupdate_flb_ops *ops = flb->ops;
	struct liveupdate_flb *other;
	struct luo_flb_private *p;
	struct luo_flb_link *link;
	int err;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	if (!ops || !ops->preserve || !ops->unpreserve || !ops->retrieve ||
	    !ops->finish ||
	    !luo_string_ok(flb->compatible, sizeof(flb->compatible)))
		return -EINVAL;
	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return -ENOMEM;
	link->flb = flb;

	down_write(&luo_handlers_rwsem);
	mutex_lock(&luo_flb_lock);
	p = luo_flb_priv(flb);
	other = luo_flb_find(flb->compatible);
	if (!luo_handler_registered(fh)) {
		err = -EINVAL;
	} else if (luo_flb_link_find(fh, flb) || (other && other != flb)) {
		err = -EEXIST;
	} else {
		if (list_empty(&p->list))
			list_add_tail(&p->list, &luo_flbs);
		p->users++;
		list_add_tail(&link->list, luo_flb_links(fh));
		link = NULL;
		err = 0;
	}
	mutex_unlock(&luo_flb_lock);
	up_write(&luo_handlers_rwsem);
	kfree(link);
	return err;
}

/* Called with luo_handlers_rwsem held for writing and luo_flb_lock. */
static void luo_flb_unlink(struct luo_flb_link *link)
{
	struct luo_flb_private *p = luo_flb_priv(link->flb);

	list_del(&link->list);
	/* With preserved dependents it stays listed until they are gone. */
	if (!--p->users && !p->outgoing.count)
		list_del_init(&p->list);
	kfree(link);
}

/**
 * liveupdate_unregister_flb() - undo liveupdate_register_flb()
 * @fh:  the file handler
 * @flb: the FLB
 *
 * Files preserved already keep depending on @flb until they are given up,
 * handed over or finished; files preserved from now on do not.
 */
void liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
			       struct liveupdate_flb *flb)
{
	struct luo_flb_link *link;

	down_write(&luo_handlers_rwsem);
	mutex_lock(&luo_flb_lock);
	link = luo_flb_link_find(fh, flb);
	if (link)
		luo_flb_unlink(link);
	mutex_unlock(&luo_flb_lock);
	up_write(&luo_handlers_rwsem);
}

/* Called with luo_handlers_rwsem held for writing. */
void luo_flb_unregister_all(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *link, *tmp;

	mutex_lock(&luo_flb_lock);
	list_for_each_entry_safe(link, tmp, luo_flb_links(fh), list)
		luo_flb_unlink(link);
	mutex_unlock(&luo_flb_lock);
}

/* Called with luo_flb_lock held. */
static int luo_flb_get_outgoing_ref(struct liveupdate_flb *flb)
{
	struct luo_flb_private *p = luo_flb_priv(flb);
	struct liveupdate_flb_op_args args = { .flb = flb };
	int err;

	if (p->outgoing.count) {
		p->outgoing.count++;
		return 0;
	}
	if (!try_module_get(flb->ops->owner))
		return -ENODEV;
	err = kho_block_set_grow(&luo_flb_blocks, luo_flb_active + 1);
	if (err)
		goto err_module;
	err = flb->ops->preserve(&args);
	if (err)
		goto err_shrink;
	p->outgoing.data = args.data;
	p->outgoing.obj = args.obj;
	p->outgoing.count = 1;
	luo_flb_active++;
	return 0;

err_shrink:
	kho_block_set_shrink(&luo_flb_blocks, luo_flb_active);
err_module:
	module_put(flb->ops->owner);
	return err;
}

/* Called with luo_flb_lock held. */
static void luo_flb_put_outgoing_ref(struct liveupdate_flb *flb)
{
	struct luo_flb_private *p = luo_flb_priv(flb);
	struct liveupdate_flb_op_args args = {
		.flb = flb,
		.data = p->outgoing.data,
		.obj = p->outgoing.obj,
	};

	if (--p->outgoing.count)
		return;
	flb->ops->unpreserve(&args);
	p->outgoing.data = 0;
	p->outgoing.obj = NULL;
	kho_block_set_shrink(&luo_flb_blocks, --luo_flb_active);
	if (!p->users)
		list_del_init(&p->list);
	module_put(flb->ops->owner);
}

/* The FLBs registered with @fh now. Called with luo_handlers_rwsem held. */
struct luo_flb_deps *luo_flb_deps_of(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *link;
	struct luo_flb_deps *deps;
	unsigned int nr = 0;

	list_for_each_entry(link, luo_flb_links(fh), list)
		nr++;
	if (!nr)
		return NULL;
	deps = kmalloc(struct_size(deps, flbs, nr), KHO_GFP);
	if (!deps)
		return ERR_PTR(-ENOMEM);
	deps->nr = nr;
	nr = 0;
	list_for_each_entry(link, luo_flb_links(fh), list)
		deps->flbs[nr++] = link->flb;
	return deps;
}

/**
 * luo_flb_file_preserve() - a file of @fh is being preserved
 * @fh:    its handler
 * @depsp: the FLBs it now depends on, for luo_flb_file_unpreserve()
 *
 * Preserves every FLB of @fh that has no preserved dependent yet.
 *
 * Return: 0, or the error of the first FLB that failed; then nothing
 * changed.
 */
int luo_flb_file_preserve(struct liveupdate_file_handler *fh,
			  struct luo_flb_deps **depsp)
{
	struct luo_flb_deps *deps;
	unsigned int i;
	int err = 0;

	down_read(&luo_handlers_rwsem);
	deps = luo_flb_deps_of(fh);
	up_read(&luo_handlers_rwsem);
	if (IS_ERR(deps))
		return PTR_ERR(deps);

	mutex_lock(&luo_flb_lock);
	for (i = 0; deps && i < deps->nr; i++) {
		err = luo_flb_get_outgoing_ref(deps->flbs[i]);
		if (err) {
			pr_err("FLB '%s' failed to preserve: %pe\n",
			       deps->flbs[i]->compatible, ERR_PTR(err));
			while (i--)
				luo_flb_put_outgoing_ref(deps->flbs[i]);
			break;
		}
	}
	mutex_unlock(&luo_flb_lock);
	if (err) {
		kfree(deps);
		return err;
	}
	*depsp = deps;
	return 0;
}

/**
 * luo_flb_file_unpreserve() - a preserved file is given up
 * @deps: what luo_flb_file_preserve() returned for it; the caller frees it
 */
void luo_flb_file_unpreserve(struct luo_flb_deps *deps)
{
	unsigned int i;

	if (!deps)
		return;
	mutex_lock(&luo_flb_lock);
	for (i = deps->nr; i--; )
		luo_flb_put_outgoing_ref(deps->flbs[i]);
	mutex_unlock(&luo_flb_lock);
}

static const struct luo_flb_ser *luo_flb_in_find(const char *compatible)
{
	u64 i;

	for (i = 0; i < luo_flb_in_count; i++)
		if (!strcmp(luo_flb_in[i].name, compatible))
			return &luo_flb_in[i];
	return NULL;
}

/* Runs retrieve() once it succeeds. Called with luo_flb_lock held. */
static int luo_flb_retrieve(struct liveupdate_flb *flb)
{
	struct luo_flb_private *p = luo_flb_priv(flb);
	struct liveupdate_flb_op_args args = { .flb = flb };
	const struct luo_flb_ser *rec;
	int err;

	if (p->incoming.finished || !luo_flb_in_received)
		return -ENODATA;
	if (p->incoming.retrieved)
		return 0;
	rec = luo_flb_in_find(flb->compatible);
	if (!rec)
		return -ENOENT;
	if (!try_module_get(flb->ops->owner))
		return -ENODEV;
	args.data = rec->data;
	err = flb->ops->retrieve(&args);
	if (err) {
		module_put(flb->ops->owner);
		return err;
	}
	p->incoming.data = rec->data;
	p->incoming.obj = args.obj;
	p->incoming.count = rec->count;
	p->incoming.retrieved = true;
	return 0;
}

/* Called with luo_flb_lock held, for a retrieved, unfinished FLB. */
static void luo_flb_put_incoming_ref(struct liveupdate_flb *flb)
{
	struct luo_flb_private *p = luo_flb_priv(flb);
	struct liveupdate_flb_op_args args = {
		.flb = flb,
		.data = p->incoming.data,
		.obj = p->incoming.obj,
	};

	if (--p->incoming.count)
		return;
	flb->ops->finish(&args);
	p->incoming.obj = NULL;
	p->incoming.finished = true;
	module_put(flb->ops->owner);
}

/**
 * liveupdate_flb_get_incoming() - the FLB's state from the previous kernel
 * @flb:  the FLB; need not be registered yet, so early boot code can use it
 * @objp: where the object its retrieve() set goes
 *
 * The first call runs retrieve(); a failure is returned and the next call
 * tries again. Each successful call takes a reference, to be dropped with
 * liveupdate_flb_put_incoming().
 *
 * Return: 0; -ENODATA if the previous kernel handed over no FLB data or
 * this FLB is finished; -ENOENT if it handed over none for this FLB;
 * -ENODEV if the FLB's module is going away; -EOPNOTSUPP if LUO is off;
 * or the error of retrieve().
 */
int liveupdate_flb_get_incoming(struct liveupdate_flb *flb, void **objp)
{
	int err;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	mutex_lock(&luo_flb_lock);
	err = luo_flb_retrieve(flb);
	if (!err) {
		struct luo_flb_private *p = luo_flb_priv(flb);

		p->incoming.count++;
		*objp = p->incoming.obj;
	}
	mutex_unlock(&luo_flb_lock);
	return err;
}

/**
 * liveupdate_flb_put_incoming() - drop a reference of liveupdate_flb_get_incoming()
 * @flb: the FLB
 *
 * The last reference, of callers and dependent files alike, runs the FLB's
 * finish().
 */
void liveupdate_flb_put_incoming(struct liveupdate_flb *flb)
{
	struct luo_flb_private *p;

	mutex_lock(&luo_flb_lock);
	p = luo_flb_priv(flb);
	if (!WARN_ON_ONCE(!p->incoming.retrieved || p->incoming.finished))
		luo_flb_put_incoming_ref(flb);
	mutex_unlock(&luo_flb_lock);
}

/**
 * liveupdate_flb_get_outgoing() - the FLB's state for the next kernel
 * @flb:  the FLB
 * @objp: where the object its preserve() set goes; NULL while no file
 *        depending on it is preserved
 *
 * Return: 0, or -EOPNOTSUPP if LUO is off.
 */
int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb, void **objp)
{
	struct luo_flb_private *p;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	mutex_lock(&luo_flb_lock);
	p = luo_flb_priv(flb);
	*objp = p->outgoing.count ? p->outgoing.obj : NULL;
	mutex_unlock(&luo_flb_lock);
	return 0;
}

/**
 * luo_flb_file_finish() - a handed-over file is finished
 * @deps: the FLBs it depends on, from luo_flb_deps_of(); the caller frees it
 *
 * Drops the file's reference on each FLB the previous kernel handed over,
 * retrieving it first if nobody has; the last reference finishes it.
 */
void luo_flb_file_finish(struct luo_flb_deps *deps)
{
	unsigned int i;

	if (!deps)
		return;
	mutex_lock(&luo_flb_lock);
	for (i = deps->nr; i--; ) {
		struct liveupdate_flb *flb = deps->flbs[i];
		int err = luo_flb_retrieve(flb);

		if (!err)
			luo_flb_put_incoming_ref(flb);
		else if (err != -ENOENT && err != -ENODATA)
			pr_err("FLB '%s' cannot be retrieved to finish it: %pe\n",
			       flb->compatible, ERR_PTR(err));
	}
	mutex_unlock(&luo_flb_lock);
}

/**
 * luo_flb_serialize() - write every FLB with preserved dependents
 *
 * Called by liveupdate_reboot() with luo_state_rwsem held for writing,
 * after the sessions; allocates nothing.
 *
 * Return: the head of the FLB chain, 0 if there is none.
 */
u64 luo_flb_serialize(void)
{
	struct kho_block_set_it it;
	struct liveupdate_flb *flb;
	u64 head;

	mutex_lock(&luo_flb_lock);
	kho_block_set_clear(&luo_flb_blocks);
	kho_block_set_it_init(&it, &luo_flb_blocks);
	list_for_each_entry(flb, &luo_flbs, private.list) {
		struct luo_flb_private *p = luo_flb_priv(flb);
		struct luo_flb_ser *rec;

		if (!p->outgoing.count)
			continue;
		rec = kho_block_set_it_reserve_entry(&it);
		/* Capacity follows the FLBs; running out is a LUO bug. */
		if (WARN_ON_ONCE(!rec))
			break;
		kho_compat_store(rec->name, sizeof(rec->name), flb->compatible);
		rec->data = p->outgoing.data;
		rec->count = p->outgoing.count;
	}
	head = kho_block_set_head_pa(&luo_flb_blocks);
	mutex_unlock(&luo_flb_lock);
	return head;
}

/* Why an FLB record cannot be trusted, or NULL. */
static const char *luo_flb_record_bad(const struct luo_flb_ser *rec)
{
	if (!luo_string_ok(rec->name, sizeof(rec->name)))
		return "its name is empty or not terminated";
	if (!rec->count || rec->count > LONG_MAX)
		return "its count of dependent files is impossible";
	if (luo_flb_in_find(rec->name))
		return "its name appears twice";
	return NULL;
}

/**
 * luo_flb_setup_incoming() - take in the previous kernel's FLB records
 * @flbs_pa: the head of its FLB chain, from &struct luo_ser
 *
 * The records are copied and the chain freed. Each record is checked on
 * its own; a refused one is logged, counted in luo_incoming and left out.
 *
 * Return: 0, the error of kho_block_set_restore() for a corrupted chain
 * (then no FLB data is received), or -ENOMEM.
 */
int luo_flb_setup_incoming(u64 flbs_pa)
{
	struct kho_block_set in;
	struct kho_block_set_it it;
	const struct luo_flb_ser *rec;
	int err;

	kho_block_set_init(&in, sizeof(struct luo_flb_ser));
	err = kho_block_set_restore(&in, flbs_pa);
	if (err)
		return err;

	mutex_lock(&luo_flb_lock);
	luo_flb_in = kcalloc(max_t(u64, kho_block_set_count(&in), 1),
			     sizeof(*luo_flb_in), GFP_KERNEL);
	if (!luo_flb_in) {
		err = -ENOMEM;
		goto out;
	}
	kho_block_set_it_init(&it, &in);
	while ((rec = kho_block_set_it_read_entry(&it))) {
		const char *why = luo_flb_record_bad(rec);

		if (why) {
			pr_err("FLB record %llu refused: %s\n",
			       luo_flb_in_count + luo_incoming.flbs_bad, why);
			luo_incoming.flbs_bad++;
			continue;
		}
		luo_flb_in[luo_flb_in_count++] = *rec;
	}
	luo_incoming.flbs = luo_flb_in_count;
	luo_flb_in_received = true;
out:
	mutex_unlock(&luo_flb_lock);
	kho_block_set_destroy(&in);
	return err;
}

#if IS_ENABLED(CONFIG_LIVEUPDATE_KUNIT_TEST)
/* Forgets the incoming FLB records, so a test can set up its own. */
void luo_flb_forget_incoming(void)
{
	mutex_lock(&luo_flb_lock);
	kfree(luo_flb_in);
	luo_flb_in = NULL;
	luo_flb_in_count = 0;
	luo_flb_in_received = false;
	luo_incoming.flbs = 0;
	luo_incoming.flbs_bad = 0;
	mutex_unlock(&luo_flb_lock);
}
#endif
