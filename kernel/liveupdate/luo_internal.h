/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the Live Update Orchestrator share; not an API.
 */
#ifndef _KERNEL_LIVEUPDATE_LUO_INTERNAL_H
#define _KERNEL_LIVEUPDATE_LUO_INTERNAL_H

#include <linux/kho/block.h>
#include <linux/liveupdate.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/rwsem.h>
#include <linux/string.h>

/**
 * struct luo_file_set - the preserved files of a session
 * @files:  &struct luo_file, in preservation order
 * @count:  number of files on @files
 * @blocks: outgoing sessions: the records the files are written into at
 *          reboot; sized with the files as they come and go
 */
struct luo_file_set {
	struct list_head files;
	u64 count;
	struct kho_block_set blocks;
};

/**
 * struct luo_session - a session, outgoing or incoming
 * @name:      its name, NUL-padded
 * @list:      link in the outgoing or incoming list
 * @node:      link in the table of that list, by name
 * @incoming:  handed over by the previous kernel
 * @retrieved: incoming: userspace has a descriptor for it
 * @finished:  incoming: its files are finished
 * @mutex:     serializes operations on the session
 * @file_set:  its files
 */
struct luo_session {
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	struct list_head list;
	struct rhash_head node;
	bool incoming;
	bool retrieved;
	bool finished;
	struct mutex mutex;	/* serializes operations on the session */
	struct luo_file_set file_set;
};

/*
 * A name or compatible string in a fixed-size field: 1 to @size - 1 bytes
 * and a NUL, from userspace, a subsystem or the previous kernel alike.
 */
static inline bool luo_string_ok(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	return len && len < size;
}

/**
 * struct luo_incoming - what became of the previous kernel's state
 * @refused:          why all of it was refused, or NULL
 * @sessions_refused: why all sessions were refused, or NULL
 * @flbs_refused:     why all FLB data was refused, or NULL
 * @received:         a &struct luo_ser was accepted
 * @built:            the sessions were built (first open of /dev/liveupdate)
 * @sessions:         sessions built
 * @sessions_bad:     session records refused, each on its own
 * @flbs:             FLB records accepted
 * @flbs_bad:         FLB records refused, each on its own
 *
 * Shown in /sys/kernel/debug/liveupdate/status.
 */
struct luo_incoming {
	const char *refused;
	const char *sessions_refused;
	const char *flbs_refused;
	bool received;
	bool built;
	u64 sessions;
	u64 sessions_bad;
	u64 flbs;
	u64 flbs_bad;
};

extern struct luo_incoming luo_incoming;

/*
 * Readers: every operation on sessions and files. Writer: liveupdate_reboot(),
 * which keeps it after a successful serialization, so nothing can change
 * what is about to be handed over.
 */
extern struct rw_semaphore luo_state_rwsem;

/* luo_core.c */
extern u64 luo_liveupdate_num;
const char *luo_ser_bad(const struct luo_ser *ser, size_t size);
struct luo_ser *luo_ser_outgoing(void);

/**
 * struct luo_ioctl_op - what LUO knows of one ioctl's argument
 * @cmd:      the full ioctl number
 * @size:     size of the argument structure this kernel knows
 * @min_size: the least a caller must pass: up to the last field used
 */
struct luo_ioctl_op {
	unsigned int cmd;
	size_t size;
	size_t min_size;
};

#define LUO_IOCTL_OP(_cmd, type, _last) {				\
	.cmd = (_cmd),							\
	.size = sizeof(type),						\
	.min_size = offsetofend(type, _last),				\
}

/**
 * struct luo_ucmd - one ioctl call in progress
 * @op:        its &struct luo_ioctl_op
 * @ubuf:      the caller's argument
 * @user_size: the size the caller put in the argument
 * @arg:       the argument, as this kernel knows it
 * @new_file:  a file to install as a new descriptor once the reply is out
 * @new_fd:    the descriptor reserved for @new_file
 * @abandon:   optional; called before @new_file is put when it cannot be
 *             handed out, so that putting it changes nothing
 * @buf:       storage for @arg
 */
struct luo_ucmd {
	const struct luo_ioctl_op *op;
	void __user *ubuf;
	u32 user_size;
	void *arg;
	struct file *new_file;
	int new_fd;
	void (*abandon)(struct file *file);
	union {
		struct liveupdate_ioctl_create_session create;
		struct liveupdate_ioctl_retrieve_session retrieve;
		struct liveupdate_session_preserve_fd preserve_fd;
		struct liveupdate_session_retrieve_fd retrieve_fd;
		struct liveupdate_session_finish finish;
		struct liveupdate_session_get_name get_name;
	} buf;
};

int luo_ucmd_begin(struct luo_ucmd *ucmd, const struct luo_ioctl_op *op,
		   unsigned int cmd, void __user *ubuf);
int luo_ucmd_read(struct luo_ucmd *ucmd);
int luo_ucmd_new_fd(struct luo_ucmd *ucmd, struct file *file, __s32 *fdp);
long luo_ucmd_end(struct luo_ucmd *ucmd, int err);

/*
 * Called with an item the next kernel must read: a file's handler or an
 * FLB it depends on, by compatible string, with its session and token.
 */
typedef void (*luo_compat_fn)(const char *session, u64 token,
			      const char *compatible, void *arg);

/* luo_session.c */
unsigned long luo_session_compatibles(luo_compat_fn fn, void *arg);
int luo_session_init(void);
int luo_session_create(const char *name, struct file **filep);
int luo_session_retrieve(const char *name, struct file **filep);
void luo_session_abandon(struct file *file);
int luo_session_serialize(u64 *sessions_pa);
int luo_session_setup_incoming(u64 sessions_pa);
int luo_session_deserialize(void);

/* luo_file.c */
/* Protects the list of file handlers and, for writing, their FLB lists. */
extern struct rw_semaphore luo_handlers_rwsem;
bool luo_handler_registered(struct liveupdate_file_handler *fh);
int luo_file_init(void);
void luo_file_set_init(struct luo_file_set *fs);
int luo_file_preserve(struct luo_file_set *fs, u64 token, struct file *file);
void luo_file_unpreserve_all(struct luo_file_set *fs);
int luo_file_freeze(struct luo_file_set *fs, struct luo_file_set_ser *ser);
void luo_file_set_compatibles(struct luo_file_set *fs, const char *session,
			      luo_compat_fn fn, void *arg);
void luo_file_unfreeze(struct luo_file_set *fs);
int luo_file_deserialize(struct luo_file_set *fs,
			 const struct luo_file_set_ser *ser);
int luo_file_retrieve(struct luo_file_set *fs, u64 token,
		      struct file **filep);
int luo_file_finish(struct luo_file_set *fs);
void luo_file_discard(struct luo_file_set *fs);

#if IS_ENABLED(CONFIG_KUNIT)
int luo_handler_compatibles(int (*fn)(const char *compatible, void *arg),
			    void *arg);
int luo_flb_compatibles(int (*fn)(const char *compatible, void *arg),
			void *arg);
#endif

/* luo_image.c */
int luo_image_check(void);
void luo_image_debugfs(struct dentry *dir);

/* luo_flb.c */
struct luo_flb_deps;
struct luo_flb_deps *luo_flb_deps_of(struct liveupdate_file_handler *fh);
const char *luo_flb_dep_compatible(const struct luo_flb_deps *deps,
				   unsigned int i);
void luo_flb_unregister_all(struct liveupdate_file_handler *fh);
int luo_flb_file_preserve(struct liveupdate_file_handler *fh,
			  struct luo_flb_deps **depsp);
void luo_flb_file_unpreserve(struct luo_flb_deps *deps);
void luo_flb_file_finish(struct luo_flb_deps *deps);
u64 luo_flb_serialize(void);
int luo_flb_setup_incoming(u64 flbs_pa);
void luo_flb_forget_incoming(void);

#endif /* _KERNEL_LIVEUPDATE_LUO_INTERNAL_H */
