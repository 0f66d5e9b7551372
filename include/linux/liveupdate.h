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
 *                   unpreserved or handed over
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
 * @retrieve:     next kernel: recreate the file from @serialized_data
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

#ifdef CONFIG_LIVEUPDATE

bool liveupdate_enabled(void);
int liveupdate_reboot(void);
int liveupdate_register_file_handler(struct liveupdate_file_handler *fh);
void liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh);

#else /* CONFIG_LIVEUPDATE */

static inline bool liveupdate_enabled(void)
{
	return false;
}

static inline int liveupdate_reboot(void)
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

#endif /* CONFIG_LIVEUPDATE */

#endif /* _LINUX_LIVEUPDATE_H */
