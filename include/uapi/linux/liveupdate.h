/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Live Update Orchestrator: the userspace interface of /dev/liveupdate and
 * of the session file descriptors it hands out. See
 * Documentation/userspace-api/liveupdate.rst.
 */
#ifndef _UAPI_LINUX_LIVEUPDATE_H
#define _UAPI_LINUX_LIVEUPDATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: Live Update ioctls
 *
 * Every argument structure starts with ``__u32 size``, which the caller
 * sets to the size of the structure it was built with. The kernel accepts
 * a larger structure if the bytes it does not know are zero (else
 * ``E2BIG``) and refuses one smaller than the fields the ioctl needs
 * (``EINVAL``); on success it writes back as many bytes as both sides
 * know. The ioctl numbers carry no size or direction.
 *
 * Errors common to all ioctls: ``EINVAL`` for an ioctl number beyond the
 * ones the descriptor has, ``ENOTTY`` for one that matches a known number
 * but not its encoding (size or direction bits set), ``E2BIG``
 * for non-zero bytes in an unknown tail, ``EOPNOTSUPP`` for a known field
 * with a value this kernel does not support, ``EINVAL`` for a field that is
 * not correct, ``ENOENT`` for a token or name that is not there,
 * ``ENOMEM`` and ``EOVERFLOW``.
 */

#define LIVEUPDATE_IOCTL_TYPE		0xBA

/* Session names are 1 to 63 bytes and a NUL. */
#define LIVEUPDATE_SESSION_NAME_LENGTH	64

/* ioctls of /dev/liveupdate */
enum {
	LIVEUPDATE_CMD_BASE = 0x00,
	LIVEUPDATE_CMD_CREATE_SESSION = LIVEUPDATE_CMD_BASE,
	LIVEUPDATE_CMD_RETRIEVE_SESSION = 0x01,
};

/* ioctls of a session file descriptor */
enum {
	LIVEUPDATE_CMD_SESSION_BASE = 0x40,
	LIVEUPDATE_CMD_SESSION_PRESERVE_FD = LIVEUPDATE_CMD_SESSION_BASE,
	LIVEUPDATE_CMD_SESSION_RETRIEVE_FD = 0x41,
	LIVEUPDATE_CMD_SESSION_FINISH = 0x42,
	LIVEUPDATE_CMD_SESSION_GET_NAME = 0x43,
};

/**
 * struct liveupdate_ioctl_create_session - LIVEUPDATE_IOCTL_CREATE_SESSION
 * @size: sizeof(struct liveupdate_ioctl_create_session)
 * @fd:   out: the new session's file descriptor (close-on-exec)
 * @name: in: the session's name, NUL-terminated, unique among the sessions
 *        this kernel will hand over
 *
 * Creates an outgoing session. Closing its descriptor before the kexec
 * gives up everything preserved in it.
 */
struct liveupdate_ioctl_create_session {
	__u32 size;
	__s32 fd;
	__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_CREATE_SESSION					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_CREATE_SESSION)

/**
 * struct liveupdate_ioctl_retrieve_session - LIVEUPDATE_IOCTL_RETRIEVE_SESSION
 * @size: sizeof(struct liveupdate_ioctl_retrieve_session)
 * @fd:   out: the session's file descriptor (close-on-exec)
 * @name: in: the name the session had in the previous kernel
 *
 * Takes a session the previous kernel handed over; each session once.
 */
struct liveupdate_ioctl_retrieve_session {
	__u32 size;
	__s32 fd;
	__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_RETRIEVE_SESSION				\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_RETRIEVE_SESSION)

/**
 * struct liveupdate_session_preserve_fd - LIVEUPDATE_SESSION_PRESERVE_FD
 * @size:  sizeof(struct liveupdate_session_preserve_fd)
 * @fd:    in: the file descriptor to preserve
 * @token: in: the caller's name for it, unique within the session
 *
 * Preserves the file behind @fd for the next kernel (outgoing sessions
 * only). A file can be preserved once, in one session.
 */
struct liveupdate_session_preserve_fd {
	__u32 size;
	__s32 fd;
	__aligned_u64 token;
};

#define LIVEUPDATE_SESSION_PRESERVE_FD					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_PRESERVE_FD)

/**
 * struct liveupdate_session_retrieve_fd - LIVEUPDATE_SESSION_RETRIEVE_FD
 * @size:  sizeof(struct liveupdate_session_retrieve_fd)
 * @fd:    out: a new file descriptor (close-on-exec) for the file
 * @token: in: the token the file was preserved with
 *
 * Incoming sessions only. The first call restores the file; later calls
 * return new descriptors of the same file. A failed restore stays failed:
 * every later call returns the same error.
 */
struct liveupdate_session_retrieve_fd {
	__u32 size;
	__s32 fd;
	__aligned_u64 token;
};

#define LIVEUPDATE_SESSION_RETRIEVE_FD					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_RETRIEVE_FD)

/**
 * struct liveupdate_session_finish - LIVEUPDATE_SESSION_FINISH
 * @size:     sizeof(struct liveupdate_session_finish)
 * @reserved: must be 0
 *
 * Incoming sessions only: ends the live update of every file of the
 * session, retrieved or not; preserved data of files never retrieved is
 * freed.
 */
struct liveupdate_session_finish {
	__u32 size;
	__u32 reserved;
};

#define LIVEUPDATE_SESSION_FINISH					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_FINISH)

/**
 * struct liveupdate_session_get_name - LIVEUPDATE_SESSION_GET_NAME
 * @size:     sizeof(struct liveupdate_session_get_name)
 * @reserved: must be 0
 * @name:     out: the session's name, NUL-terminated
 */
struct liveupdate_session_get_name {
	__u32 size;
	__u32 reserved;
	__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_SESSION_GET_NAME					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_GET_NAME)

#endif /* _UAPI_LINUX_LIVEUPDATE_H */
