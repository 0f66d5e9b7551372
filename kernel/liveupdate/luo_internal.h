/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the Live Update Orchestrator share; not an API.
 */
#ifndef _KERNEL_LIVEUPDATE_LUO_INTERNAL_H
#define _KERNEL_LIVEUPDATE_LUO_INTERNAL_H

#include <linux/kho/block.h>
#include <linux/liveupdate.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>

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
 * @name:      its name, NUL-terminated
 * @list:      link in the outgoing or incoming list
 * @incoming:  handed over by the previous kernel
 * @retrieved: incoming: userspace has a descriptor for it
 * @finished:  incoming: its files are finished
 * @mutex:     serializes operations on the session
 * @file_set:  its files
 */
struct luo_session {
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	struct list_head list;
	bool incoming;
	bool retrieved;
	bool finished;
	struct mutex mutex;	/* serializes operations on the session */
	struct luo_file_set file_set;
};

/*
 * Readers: every operation on sessions and files. Writer: liveupdate_reboot(),
 * which keeps it after a successful serialization, so nothing can change
 * what is about to be handed over.
 */
extern struct rw_semaphore luo_state_rwsem;

/* luo_core.c */
extern u64 luo_liveupdate_num;

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
 * @buf:       storage for @arg
 */
struct luo_ucmd {
	const struct luo_ioctl_op *op;
	void __user *ubuf;
	u32 user_size;
	void *arg;
	struct file *new_file;
	int new_fd;
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

/* luo_session.c */
int luo_session_create(const char *name, struct file **filep);
int luo_session_retrieve(const char *name, struct file **filep);
int luo_session_serialize(u64 *sessions_pa);
int luo_session_setup_incoming(u64 sessions_pa);
int luo_session_deserialize(void);

/* luo_file.c */
void luo_file_set_init(struct luo_file_set *fs);
int luo_file_preserve(struct luo_file_set *fs, u64 token, int fd);
void luo_file_unpreserve_all(struct luo_file_set *fs);
int luo_file_freeze(struct luo_file_set *fs, struct luo_file_set_ser *ser);
void luo_file_unfreeze(struct luo_file_set *fs);
int luo_file_deserialize(struct luo_file_set *fs,
			 const struct luo_file_set_ser *ser);
int luo_file_retrieve(struct luo_file_set *fs, u64 token,
		      struct file **filep);
int luo_file_finish(struct luo_file_set *fs);
void luo_file_discard(struct luo_file_set *fs);

#endif /* _KERNEL_LIVEUPDATE_LUO_INTERNAL_H */
