/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live Update Orchestrator: what a subsystem implements so that files of
 * its kind can be preserved across a live update. See
 * Documentation/core-api/liveupdate.rst.
 */
#ifndef _LINUX_LIVEUPDATE_H
#define _LINUX_LIVEUPDATE_H

#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/kho/abi/luo.h>
#include <linux/list.h>
#include <linux/types.h>

struct file;
struct liveupdate_file_handler;
struct liveupdate_flb;
struct module;

/**
 * struct liveupdate_file_op_args - what a file handler callback gets
 * @handler:         the handler being called
 * @retrieve_status: can_finish() and finish() only: 0 if no retrieve was
 *                   attempted, 1 if it succeeded, or the error it failed
 *                   with
 * @file:            the file; set by retrieve(); NULL in can_finish() and
 *                   finish() unless the retrieve succeeded
 * @serialized_data: the handler's handle of its handed-over data: set by
 *                   preserve(), may be updated by freeze(), given to the
 *                   next kernel's callbacks
 * @private_data:    the handler's pointer for this file in this kernel, set
 *                   by preserve() and given back until the file is
 *                   unpreserved or handed over; in the next kernel, set by
 *                   a retrieve() that fails with -ENOMEM and given back to
 *                   the next retrieve() and to finish()
 */
struct liveupdate_file_op_args {
	struct liveupdate_file_handler *handler;
	int retrieve_status;
	struct file *file;
	u64 serialized_data;
	void *private_data;
};

/**
 * struct liveupdate_file_ops - callbacks of a file handler
 * @can_preserve: whether the handler takes @file; cheap, no side effects
 * @preserve:     preserve the file for the next kernel (PRESERVE_FD); on
 *                failure undo its own work
 * @unpreserve:   give up a preserved file (its outgoing session closed)
 * @freeze:       optional; last chance to update @serialized_data, in
 *                reboot(); on failure undo its own work
 * @unfreeze:     optional; undo a freeze when the reboot is aborted
 * @retrieve:     next kernel: recreate the file from @serialized_data.
 *                -ENOMEM is not final: the handler keeps what it built in
 *                @private_data and loses nothing, and LUO calls it again
 *                at the next RETRIEVE_FD; any other error is kept and
 *                returned from then on
 * @can_finish:   optional; next kernel: whether finishing may happen now
 * @finish:       next kernel: release the handed-over data; also called for
 *                files never retrieved
 * @get_id:       optional; what identifies a file for the rule that a file
 *                is preserved only once (default: the &struct file)
 * @owner:        module pinned while a file of this handler is preserved
 */
struct liveupdate_file_ops {
	bool (*can_preserve)(struct liveupdate_file_handler *handler,
			     struct file *file);
	int (*preserve)(struct liveupdate_file_op_args *args);
	void (*unpreserve)(struct liveupdate_file_op_args *args);
	int (*freeze)(struct liveupdate_file_op_args *args);
	void (*unfreeze)(struct liveupdate_file_op_args *args);
	int (*retrieve)(struct liveupdate_file_op_args *args);
	bool (*can_finish)(struct liveupdate_file_op_args *args);
	void (*finish)(struct liveupdate_file_op_args *args);
	unsigned long (*get_id)(struct file *file);
	struct module *owner;
};

/**
 * struct liveupdate_file_handler - a kind of file LUO can preserve
 * @ops:        the callbacks
 * @compatible: names the handler's data layout; the next kernel gives a
 *              file to the handler with exactly this string
 * @list:       private to LUO
 * @flb_list:   private to LUO
 */
struct liveupdate_file_handler {
	const struct liveupdate_file_ops *ops;
	const char compatible[LIVEUPDATE_HNDL_COMPAT_LENGTH];
	struct list_head __private list;
	struct list_head __private flb_list;
};

/**
 * struct liveupdate_flb_op_args - what an FLB callback gets
 * @flb:  the FLB being called
 * @data: the FLB's handle of its handed-over data: set by preserve(), given
 *        to unpreserve() and, in the next kernel, to retrieve() and finish()
 * @obj:  the FLB's object in this kernel: set by preserve() or retrieve(),
 *        given back to unpreserve() and finish()
 */
struct liveupdate_flb_op_args {
	struct liveupdate_flb *flb;
	u64 data;
	void *obj;
};

/**
 * struct liveupdate_flb_ops - callbacks of an FLB, all mandatory
 * @preserve:   the first file depending on the FLB is being preserved:
 *              hand the shared state over, set @data and @obj
 * @unpreserve: the last such file was given up before the kexec
 * @retrieve:   next kernel: take the state back from @data, set @obj
 * @finish:     next kernel: the last reference is gone, release the state
 * @owner:      module pinned while the FLB has preserved or retrieved state
 */
struct liveupdate_flb_ops {
	int (*preserve)(struct liveupdate_flb_op_args *args);
	void (*unpreserve)(struct liveupdate_flb_op_args *args);
	int (*retrieve)(struct liveupdate_flb_op_args *args);
	void (*finish)(struct liveupdate_flb_op_args *args);
	struct module *owner;
};

/**
 * struct luo_flb_private_state - one side of an FLB, private to LUO
 * @count:     outgoing: preserved files depending on it; incoming: the
 *             files recorded by the previous kernel not finished yet, plus
 *             the references taken with liveupdate_flb_get_incoming()
 * @data:      the handle of the handed-over state
 * @obj:       the object preserve() or retrieve() set
 * @retrieved: incoming: retrieve() succeeded
 * @finished:  incoming: finish() ran, or retrieve() failed
 */
struct luo_flb_private_state {
	long count;
	u64 data;
	void *obj;
	bool retrieved;
	bool finished;
};

/**
 * struct luo_flb_private - LUO's bookkeeping of an FLB
 * @list:        link in LUO's list of FLBs
 * @outgoing:    the state handed to the next kernel
 * @incoming:    the state the previous kernel handed over
 * @users:       handlers the FLB is registered with
 * @initialized: @list is set up
 */
struct luo_flb_private {
	struct list_head list;
	struct luo_flb_private_state outgoing;
	struct luo_flb_private_state incoming;
	int users;
	bool initialized;
};

/**
 * struct liveupdate_flb - File-Lifecycle-Bound data
 * @ops:        the callbacks
 * @compatible: names the FLB's data layout, unique among FLBs; the next
 *              kernel gives the data to the FLB with exactly this string
 * @private:    private to LUO
 *
 * State shared by all files of some kinds, such as a subsystem's global
 * tables, that must be handed over while any of those files is and only
 * then. It is registered with the handlers of those kinds of file.
 */
struct liveupdate_flb {
	const struct liveupdate_flb_ops *ops;
	const char compatible[LIVEUPDATE_FLB_COMPAT_LENGTH];
	struct luo_flb_private __private private;
};

#ifdef CONFIG_LIVEUPDATE

bool liveupdate_enabled(void);
int liveupdate_reboot(void);
int liveupdate_image_loaded(const void *buf, size_t len);
int liveupdate_register_file_handler(struct liveupdate_file_handler *fh);
void liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh);
int liveupdate_register_flb(struct liveupdate_file_handler *fh,
			    struct liveupdate_flb *flb);
void liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
			       struct liveupdate_flb *flb);
int liveupdate_flb_get_incoming(struct liveupdate_flb *flb, void **objp);
void liveupdate_flb_put_incoming(struct liveupdate_flb *flb);
int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb, void **objp);

#else /* CONFIG_LIVEUPDATE */

static inline bool liveupdate_enabled(void)
{
	return false;
}

static inline int liveupdate_reboot(void)
{
	return 0;
}

static inline int liveupdate_image_loaded(const void *buf, size_t len)
{
	return 0;
}

static inline int
liveupdate_register_file_handler(struct liveupdate_file_handler *fh)
{
	return -EOPNOTSUPP;
}

static inline void
liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh) { }

static inline int liveupdate_register_flb(struct liveupdate_file_handler *fh,
					  struct liveupdate_flb *flb)
{
	return -EOPNOTSUPP;
}

static inline void liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
					     struct liveupdate_flb *flb) { }

static inline int liveupdate_flb_get_incoming(struct liveupdate_flb *flb,
					      void **objp)
{
	return -EOPNOTSUPP;
}

static inline void liveupdate_flb_put_incoming(struct liveupdate_flb *flb) { }

static inline int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb,
					      void **objp)
{
	return -EOPNOTSUPP;
}

#endif /* CONFIG_LIVEUPDATE */

#endif /* _LINUX_LIVEUPDATE_H */
