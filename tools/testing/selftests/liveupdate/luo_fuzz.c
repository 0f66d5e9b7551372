// SPDX-License-Identifier: GPL-2.0
/*
 * luo_fuzz: random use of /dev/liveupdate and session descriptors, across
 * live updates, reproducible from its seed.
 *
 * Every generation runs for kt.secs seconds (default 15) on a stream of
 * operations drawn from kt.seed (default: from the clock; it is printed,
 * and "make fuzz SEED=... SECS=..." replays it):
 * - CREATE_SESSION with fresh, duplicate, empty and unterminated names;
 *   PRESERVE_FD of memfds (sparse or not), test files, and of descriptors
 *   no handler takes (/dev/null, a pipe, a socket, an eventfd, an epoll
 *   instance, a directory, /dev/liveupdate, a session), of O_PATH, closed
 *   and negative descriptors, with fresh and duplicate tokens; GET_NAME,
 *   RETRIEVE_FD and FINISH on the wrong kind of session; writes into
 *   preserved memfds; closing sessions;
 * - every argument with a valid, short, long-with-zero-tail,
 *   long-with-garbage-tail size and a valid, NULL or unmapped pointer, and
 *   ioctl numbers that are none of LUO's;
 * - meanwhile a thread keeps duplicating session descriptors, using and
 *   closing the duplicates, and forked children create and close sessions
 *   of their own and use the inherited ones.
 * Each result must be the one the documented rules give, in their order
 * (EFAULT, EINVAL for a short argument, E2BIG, then the command's own),
 * or ENOMEM/EMFILE. What is preserved at the reboot is listed in a memfd
 * preserved in a session of its own, the manifest. The next generation
 * fuzzes the retrieve side the same way (unknown, repeated and malformed
 * names and tokens, PRESERVE_FD into incoming sessions, FINISH with
 * reserved bits) and checks every byte of every file in the manifest,
 * then preserves new ones for the generation after it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/liveupdate.h>

#include "kexec_stage.h"
#include "luo_util.h"
#include "memfd_util.h"

#define NAME_LEN	LIVEUPDATE_SESSION_NAME_LENGTH
#define MAX_SESSIONS	48
#define MAX_FILES	12
#define MANIFEST	"luo-fuzz-manifest"
#define MANIFEST_TOKEN	1
#define ARG_ROOM	256

struct fz_file {
	uint64_t token;
	int fd;			/* -1 once the session went away */
	bool test_file;		/* else a memfd */
	bool sparse;		/* only every other page written */
	off_t size;
	uint64_t seed;		/* memfd stream, or the test file's value */
	bool checked;
};

struct fz_session {
	char name[NAME_LEN];
	int fd;
	bool incoming;
	bool finished;
	int nr_files;
	struct fz_file files[MAX_FILES];
};

static struct fz_session sessions[MAX_SESSIONS];
static int nr_sessions;
static int luo_fd;
static uint64_t rng;
static unsigned long ops, created, preserved, refused;
static void *unmapped;
static int racer_stop;	/* __atomic: the racer thread reads it */
static int junk_fds[16], nr_junk;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static unsigned int pick(unsigned int n)
{
	return rnd() % n;
}

/*
 * How an argument is passed: its size and where it is. The last member
 * of every LUO argument ends the structure, so the minimum size is the
 * structure's.
 */
struct fz_arg {
	unsigned char buf[ARG_ROOM];
	size_t len;		/* the structure's size */
	size_t size;		/* what the size field says */
	size_t min;		/* the command's minimum */
	void *ptr;
	int expect;		/* the error the shape gives, 0 if none */
};

/* Gives @a a random shape; @a->buf holds the structure already. */
static void shape(struct fz_arg *a)
{
	unsigned int how = pick(16);

	a->size = a->len;
	a->ptr = a->buf;
	a->expect = 0;
	memset(a->buf + a->len, 0, sizeof(a->buf) - a->len);
	if (how == 0) {
		a->ptr = NULL;
		a->expect = -EFAULT;
	} else if (how == 1) {
		a->ptr = unmapped;
		a->expect = -EFAULT;
	} else if (how == 2) {
		a->size = pick(a->min);
		a->expect = -EINVAL;
	} else if (how == 3) {
		a->size = a->len + 1 + pick(sizeof(a->buf) - a->len - 1);
	} else if (how == 4) {
		a->size = a->len + 1 + pick(sizeof(a->buf) - a->len - 1);
		a->buf[a->len + pick(a->size - a->len)] = 1 + pick(255);
		a->expect = -E2BIG;
	}
	memcpy(a->buf, &(uint32_t){ a->size }, sizeof(uint32_t));
}

static int do_ioctl(int fd, unsigned long cmd, struct fz_arg *a)
{
	return ioctl(fd, cmd, a->ptr) < 0 ? -errno : 0;
}

/* Whether @got is the expected @want, or a resource error. */
static int check(const char *what, int got, int want)
{
	ops++;
	if (got == want || got == -ENOMEM || got == -EMFILE)
		return 0;
	return kt_fail("op %lu, %s: got %d (%s), want %d (%s)", ops, what, got,
		       got ? strerror(-got) : "success", want,
		       want ? strerror(-want) : "success");
}

static struct fz_session *find_session(const char *name, bool incoming)
{
	int i;

	for (i = 0; i < nr_sessions; i++)
		if (sessions[i].incoming == incoming &&
		    !strncmp(sessions[i].name, name, NAME_LEN))
			return &sessions[i];
	return NULL;
}

/* A random session that has a descriptor, or NULL. */
static struct fz_session *pick_session(void)
{
	struct fz_session *s;

	if (!nr_sessions)
		return NULL;
	s = &sessions[pick(nr_sessions)];
	return s->fd < 0 ? NULL : s;
}

/*
 * The kernel checks the pointer (EFAULT), then the kind of session
 * (EINVAL), then the size: what a command on the wrong kind of session
 * gives for argument shape @expect.
 */
static int wrong_kind(int expect)
{
	return expect == -EFAULT ? expect : -EINVAL;
}

static void forget_session(struct fz_session *s)
{
	*s = sessions[--nr_sessions];
}

/* A new memfd or test file of random shape, its contents in @f. */
static int new_file(struct fz_file *f)
{
	off_t off;
	int err;

	memset(f, 0, sizeof(*f));
	f->seed = rnd() | 1;
	f->test_file = !pick(5);
	if (f->test_file) {
		f->fd = luo_test_file(f->seed);
		return f->fd < 0 ? f->fd : 0;
	}
	f->size = pick(5) ? (off_t)pick(64) * MFD_PAGE + pick(MFD_PAGE) : 0;
	f->sparse = !pick(3);
	f->fd = mfd_create("luo_fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING, f->size);
	if (f->fd < 0)
		return f->fd;
	for (off = 0; off < f->size; off += MFD_PAGE) {
		if (f->sparse && (off / MFD_PAGE) % 2)
			continue;
		err = mfd_write(f->fd, off, f->size - off < (off_t)MFD_PAGE ?
				f->size - off : (off_t)MFD_PAGE, f->seed);
		if (err)
			return err;
	}
	return 0;
}

static int check_file(const char *where, struct fz_file *f, int fd)
{
	struct stat st;
	uint64_t value;
	off_t off, bad;
	int err;

	if (f->test_file) {
		if (luo_test_value(fd, &value) || value != f->seed)
			return kt_fail("%s: test file %#llx holds the wrong value", where,
				       (unsigned long long)f->token);
		return 0;
	}
	if (fstat(fd, &st) || st.st_size != f->size)
		return kt_fail("%s: memfd %#llx has size %lld, not %lld", where,
			       (unsigned long long)f->token, (long long)st.st_size,
			       (long long)f->size);
	for (off = 0; off < f->size; off += MFD_PAGE) {
		off_t len = f->size - off < (off_t)MFD_PAGE ? f->size - off : (off_t)MFD_PAGE;
		bool hole = f->sparse && (off / MFD_PAGE) % 2;

		err = mfd_check(fd, off, len, hole ? 0 : f->seed, &bad);
		if (err)
			return kt_fail("%s: memfd %#llx, byte %lld: %s", where,
				       (unsigned long long)f->token, (long long)bad,
				       err < 0 ? strerror(-err) : "differs");
	}
	return 0;
}

static void random_name(char *name, bool child)
{
	snprintf(name, NAME_LEN, "%s%llx", child ? "c" : "p",
		 (unsigned long long)(rnd() & 0xffffffffff));
	/* Sometimes a name of the largest length. */
	if (!pick(6))
		memset(name + strlen(name), 'n', NAME_LEN - 1 - strlen(name));
}

static int op_create(bool child)
{
	struct liveupdate_ioctl_create_session *c;
	struct fz_arg a = { .len = sizeof(*c), .min = sizeof(*c) };
	struct fz_session *dup = NULL;
	unsigned int kind = pick(8);
	int want, err;

	c = (void *)a.buf;
	memset(c, 0, sizeof(*c));
	if (kind == 0) {
		/* empty */
	} else if (kind == 1) {
		memset(c->name, 'u', NAME_LEN);
	} else if (kind == 2 && nr_sessions && !child) {
		dup = &sessions[pick(nr_sessions)];
		memcpy(c->name, dup->name, NAME_LEN);
		if (dup->incoming)
			dup = NULL;	/* incoming names do not count */
	} else {
		random_name((char *)c->name, child);
	}
	c->fd = -1;
	shape(&a);
	want = a.expect ? a.expect : kind < 2 ? -EINVAL : dup ? -EEXIST : 0;
	if (!want && (nr_sessions >= MAX_SESSIONS || find_session((char *)c->name, false)))
		return 0;
	err = do_ioctl(luo_fd, LIVEUPDATE_IOCTL_CREATE_SESSION, &a);
	if (check("CREATE_SESSION", err, want))
		return -1;
	if (!err) {
		struct fz_session *s = &sessions[nr_sessions++];

		memset(s, 0, sizeof(*s));
		memcpy(s->name, c->name, NAME_LEN);
		s->fd = c->fd;
		created++;
	}
	return 0;
}

/* A descriptor no handler takes, or a bad one, and what PRESERVE_FD says. */
static int junk_fd(int *want)
{
	unsigned int i = pick(nr_junk + 3);

	if (i < (unsigned int)nr_junk) {
		*want = -ENOENT;
		return junk_fds[i];
	}
	*want = -EBADF;
	if (i == (unsigned int)nr_junk)
		return -1;
	if (i == (unsigned int)nr_junk + 1)
		return 100000;	/* beyond RLIMIT_NOFILE */
	*want = nr_sessions ? -ENOENT : -EBADF;
	return nr_sessions ? sessions[pick(nr_sessions)].fd : -1;
}

static int op_preserve(void)
{
	struct liveupdate_session_preserve_fd *p;
	struct fz_arg a = { .len = sizeof(*p), .min = sizeof(*p) };
	struct fz_session *s;
	struct fz_file f = { .fd = -1 }, *same = NULL;
	unsigned int kind = pick(10);
	int want, err;

	s = pick_session();
	if (!s)
		return 0;
	p = (void *)a.buf;
	memset(p, 0, sizeof(*p));
	p->token = rnd();
	if (kind < 5) {
		if (s->incoming || s->nr_files >= MAX_FILES)
			return 0;
		err = new_file(&f);
		if (err)
			return check("creating a file", err, 0);
		p->fd = f.fd;
		f.token = p->token;
		want = 0;
	} else if (kind < 7) {
		p->fd = junk_fd(&want);
	} else {
		/* A file preserved already, in any session, or its token. */
		struct fz_session *o = &sessions[pick(nr_sessions)];

		if (!o->nr_files)
			return 0;
		same = &o->files[pick(o->nr_files)];
		if (same->fd < 0)
			return 0;
		p->fd = same->fd;
		want = -EBUSY;
		if (o == s && !pick(2))
			p->token = same->token;
	}
	if (s->nr_files && !pick(4))
		p->token = s->files[pick(s->nr_files)].token;
	shape(&a);
	if (s->incoming) {
		want = wrong_kind(a.expect);
	} else if (a.expect) {
		want = a.expect;
	} else {
		int i;

		for (i = 0; i < s->nr_files; i++)
			if (s->files[i].token == p->token)
				want = -EEXIST;
	}
	err = do_ioctl(s->fd, LIVEUPDATE_SESSION_PRESERVE_FD, &a);
	if (check("PRESERVE_FD", err, want))
		return -1;
	if (!err) {
		s->files[s->nr_files++] = f;
		preserved++;
	} else {
		refused++;
		if (f.fd >= 0)
			close(f.fd);
	}
	return 0;
}

static int op_name(void)
{
	struct liveupdate_session_get_name *g;
	struct fz_arg a = { .len = sizeof(*g), .min = sizeof(*g) };
	struct fz_session *s;
	int want, err;

	s = pick_session();
	if (!s)
		return 0;
	g = (void *)a.buf;
	memset(g, 0, sizeof(*g));
	g->reserved = pick(4) ? 0 : 1U << pick(32);
	shape(&a);
	want = a.expect ? a.expect : g->reserved ? -EINVAL : 0;
	err = do_ioctl(s->fd, LIVEUPDATE_SESSION_GET_NAME, &a);
	if (check("GET_NAME", err, want))
		return -1;
	if (!err && memcmp(g->name, s->name, NAME_LEN))
		return kt_fail("GET_NAME: '%.64s' for session '%.64s'", g->name, s->name);
	return 0;
}

/* RETRIEVE_FD and FINISH on outgoing sessions, and numbers LUO has not. */
static int op_wrong(void)
{
	struct liveupdate_session_retrieve_fd *r;
	struct fz_arg a = { .len = sizeof(*r), .min = sizeof(*r) };
	struct fz_session *s;
	unsigned long cmd;
	int fd, err;

	s = pick_session();
	if (!s)
		return 0;
	fd = pick(2) ? s->fd : luo_fd;
	r = (void *)a.buf;
	memset(r, 0, sizeof(*r));
	if (!s->incoming && fd == s->fd && pick(2)) {
		r->token = rnd();
		shape(&a);
		err = do_ioctl(fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &a);
		return check("RETRIEVE_FD (outgoing)", err, wrong_kind(a.expect));
	}
	/* A number of another type, direction or size than LUO's. */
	/* Types no VFS-wide ioctl (FIOCLEX, FIGETBSZ, ...) uses. */
	cmd = _IOC(pick(4), LIVEUPDATE_IOCTL_TYPE - 1 + pick(3), pick(0x60), pick(64));
	if (cmd == LIVEUPDATE_IOCTL_CREATE_SESSION || cmd == LIVEUPDATE_IOCTL_RETRIEVE_SESSION ||
	    cmd == LIVEUPDATE_SESSION_PRESERVE_FD || cmd == LIVEUPDATE_SESSION_RETRIEVE_FD ||
	    cmd == LIVEUPDATE_SESSION_FINISH || cmd == LIVEUPDATE_SESSION_GET_NAME)
		return 0;
	shape(&a);
	err = do_ioctl(fd, cmd, &a);
	ops++;
	if (err != -ENOTTY && err != -EINVAL && err != -EFAULT)
		return kt_fail("ioctl %#lx: %d (%s)", cmd, err, strerror(-err));
	return 0;
}

static int op_write(void)
{
	struct fz_session *s;
	struct fz_file *f;
	int err;

	if (!nr_sessions)
		return 0;
	s = &sessions[pick(nr_sessions)];
	if (s->incoming || !s->nr_files)
		return 0;
	f = &s->files[pick(s->nr_files)];
	if (f->test_file || f->sparse || !f->size)
		return 0;
	/* Pages that exist may be written while preserved. */
	f->seed = rnd() | 1;
	err = mfd_write(f->fd, 0, f->size, f->seed);
	return check("writing a preserved memfd", err, 0);
}

static int op_close(void)
{
	struct fz_session *s;
	int i;

	if (!nr_sessions)
		return 0;
	s = &sessions[pick(nr_sessions)];
	if (s->incoming)
		return 0;	/* see fuzz_incoming() */
	for (i = 0; i < s->nr_files; i++)
		close(s->files[i].fd);
	ops++;
	if (close(s->fd))
		return kt_fail("closing session '%.64s': %s", s->name, strerror(errno));
	forget_session(s);
	return 0;
}

/* Duplicates of session descriptors, used and closed under the fuzzer. */
static void *racer(void *unused)
{
	struct liveupdate_session_get_name g = { .size = sizeof(g) };

	while (!__atomic_load_n(&racer_stop, __ATOMIC_RELAXED)) {
		int n = nr_sessions, fd;

		if (!n) {
			usleep(1000);
			continue;
		}
		fd = dup(sessions[rnd() % n].fd);
		if (fd < 0)
			continue;
		ioctl(fd, LIVEUPDATE_SESSION_GET_NAME, &g);
		close(fd);
	}
	return unused;
}

/* A child: sessions of its own, and the inherited ones, then exit. */
static int child_ops(void)
{
	int i;

	nr_sessions = 0;	/* its copies of the parent's stay untouched */
	for (i = 0; i < 200; i++) {
		unsigned int op = pick(4);
		int err = op == 0 ? op_create(true) : op == 1 ? op_preserve() :
			  op == 2 ? op_name() : op_close();

		if (err)
			return err;
	}
	return 0;
}

static pid_t child;

/* Waits for the child started last, if any; it must have passed. */
static int reap_child(void)
{
	int status;

	if (!child)
		return 0;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return kt_fail("a forked child failed (status %#x)", status);
	child = 0;
	return 0;
}

/* A child that runs next to this process until the next op_fork(). */
static int op_fork(void)
{
	if (reap_child())
		return -1;
	fflush(stdout);
	child = fork();
	if (child < 0)
		return kt_fail("fork: %s", strerror(errno));
	if (!child) {
		rng ^= getpid();
		_exit(child_ops() ? 1 : 0);
	}
	return 0;
}

static int fuzz_outgoing(double secs)
{
	double end = kt_now() + secs;
	pthread_t thread;
	int err = 0;

	__atomic_store_n(&racer_stop, 0, __ATOMIC_RELAXED);
	if (pthread_create(&thread, NULL, racer, NULL))
		return kt_fail("pthread_create");
	while (!err && kt_now() < end) {
		unsigned int op = pick(100);

		if (op < 20)
			err = op_create(false);
		else if (op < 60)
			err = op_preserve();
		else if (op < 70)
			err = op_name();
		else if (op < 85)
			err = op_wrong();
		else if (op < 95)
			err = op_write();
		else if (op < 98)
			err = op_close();
		else
			err = op_fork();
	}
	__atomic_store_n(&racer_stop, 1, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	return reap_child() ? -1 : err;
}

/* The outgoing sessions and their files, as text, in a preserved memfd. */
static int write_manifest(void)
{
	size_t room = 1 << 20, len = 0;
	char *text = malloc(room);
	int i, j, s, fd, err;

	if (!text)
		return kt_fail("malloc");
	for (i = 0; i < nr_sessions; i++) {
		if (sessions[i].incoming)
			continue;
		len += snprintf(text + len, room - len, "S %s\n", sessions[i].name);
		for (j = 0; j < sessions[i].nr_files; j++) {
			struct fz_file *f = &sessions[i].files[j];

			len += snprintf(text + len, room - len, "F %llu %d %d %lld %llu\n",
					(unsigned long long)f->token, f->test_file, f->sparse,
					(long long)f->size, (unsigned long long)f->seed);
		}
	}
	fd = mfd_create("manifest", MFD_CLOEXEC, 0);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return kt_fail("writing the manifest");
	free(text);
	s = luo_create_session(luo_fd, MANIFEST);
	if (s < 0)
		return kt_fail("CREATE_SESSION %s: %s", MANIFEST, strerror(-s));
	err = luo_preserve_fd(s, fd, MANIFEST_TOKEN);
	if (err)
		return kt_fail("PRESERVE_FD of the manifest: %s", strerror(-err));
	for (i = 0, j = 0; i < nr_sessions; i++)
		j += sessions[i].nr_files;
	kt_diag("%d sessions with %d files preserved for the next kernel", nr_sessions, j);
	kt_diag("  %lu ops: %lu sessions created, %lu files preserved, %lu refused",
		ops, created, preserved, refused);
	return 0;
}

/* The previous generation's sessions, from its manifest, as incoming. */
static int read_manifest(void)
{
	char *text = malloc(1 << 20), *line, *save;
	struct fz_session *s = NULL;
	int ms, fd;
	ssize_t n;

	ms = luo_retrieve_session(luo_fd, MANIFEST);
	if (ms < 0)
		return kt_fail("RETRIEVE_SESSION %s: %s", MANIFEST, strerror(-ms));
	fd = luo_retrieve_fd(ms, MANIFEST_TOKEN);
	if (fd < 0 || !text)
		return kt_fail("RETRIEVE_FD of the manifest: %s", strerror(-fd));
	n = pread(fd, text, (1 << 20) - 1, 0);
	if (n < 0)
		return kt_fail("reading the manifest");
	text[n] = 0;
	nr_sessions = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == 'S') {
			s = &sessions[nr_sessions++];
			memset(s, 0, sizeof(*s));
			snprintf(s->name, NAME_LEN, "%s", line + 2);
			s->incoming = true;
			s->fd = -1;
		} else if (s) {
			struct fz_file *f = &s->files[s->nr_files++];
			unsigned long long token, seed;
			long long size;
			int test_file, sparse;

			if (sscanf(line, "F %llu %d %d %lld %llu", &token, &test_file,
				   &sparse, &size, &seed) != 5)
				return kt_fail("manifest line '%s'", line);
			*f = (struct fz_file){ .token = token, .fd = -1, .test_file = test_file,
					       .sparse = sparse, .size = size, .seed = seed };
		}
	}
	free(text);
	close(fd);
	luo_finish(ms);
	close(ms);
	return 0;
}

/* Retrieves file @f of @s (or a wrong token) and checks it. */
static int retrieve_file(struct fz_session *s, struct fz_file *f)
{
	struct liveupdate_session_retrieve_fd *r;
	struct fz_arg a = { .len = sizeof(*r), .min = sizeof(*r) };
	int err, want = 0;

	r = (void *)a.buf;
	memset(r, 0, sizeof(*r));
	r->token = f ? f->token : rnd();
	if (!f && r->token == MANIFEST_TOKEN)
		return 0;
	shape(&a);
	want = a.expect ? a.expect : f && !s->finished ? 0 : -ENOENT;
	if (!f) {
		int i;

		for (i = 0; i < s->nr_files; i++)
			if (s->files[i].token == r->token)
				return 0;
	}
	err = do_ioctl(s->fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &a);
	if (check("RETRIEVE_FD", err, want))
		return -1;
	if (err || !f || s->finished)
		return 0;
	err = check_file(s->name, f, r->fd);
	close(r->fd);
	f->checked = true;
	return err;
}

static int retrieve_session(struct fz_session *s, bool garbage)
{
	struct liveupdate_ioctl_retrieve_session *r;
	struct fz_arg a = { .len = sizeof(*r), .min = sizeof(*r) };
	int err, want;

	r = (void *)a.buf;
	memset(r, 0, sizeof(*r));
	if (garbage) {
		if (pick(2))
			memset(r->name, 'x', pick(NAME_LEN + 1));
		else
			random_name((char *)r->name, false);
		if (find_session((char *)r->name, true))
			return 0;
	} else {
		memcpy(r->name, s->name, NAME_LEN);
	}
	/* @s may be NULL for garbage. */
	r->fd = -1;
	shape(&a);
	want = a.expect ? a.expect : garbage ? -ENOENT : s->fd >= 0 ? -EINVAL : 0;
	err = do_ioctl(luo_fd, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &a);
	if (check("RETRIEVE_SESSION", err, want))
		return -1;
	if (!err)
		s->fd = r->fd;
	return 0;
}

static bool all_checked(struct fz_session *s)
{
	int i;

	for (i = 0; i < s->nr_files; i++)
		if (!s->files[i].checked)
			return false;
	return true;
}

static int finish_session(struct fz_session *s)
{
	struct liveupdate_session_finish *f;
	struct fz_arg a = { .len = sizeof(*f), .min = sizeof(*f) };
	int err;

	f = (void *)a.buf;
	memset(f, 0, sizeof(*f));
	f->reserved = pick(3) ? 0 : 1U << pick(32);
	shape(&a);
	err = do_ioctl(s->fd, LIVEUPDATE_SESSION_FINISH, &a);
	if (check("FINISH", err, a.expect ? a.expect : f->reserved ? -EINVAL : 0))
		return -1;
	s->finished |= !err;
	return 0;
}

/* Random retrieve-side operations, then every file checked. */
static int fuzz_incoming(double secs)
{
	double end = kt_now() + secs;
	int err = 0, i, j, total = nr_sessions;
	unsigned long files = 0;

	while (!err && kt_now() < end) {
		struct fz_session *s;
		unsigned int op = pick(10);

		if (!nr_sessions) {
			/* Names no session has, and numbers LUO has not. */
			err = retrieve_session(NULL, true);
			continue;
		}
		s = &sessions[pick(nr_sessions)];
		if (!s->incoming) {
			continue;
		} else if (op < 2 || s->fd < 0) {
			err = retrieve_session(s, op == 0);
		} else if (op < 6) {
			err = retrieve_file(s, pick(4) && s->nr_files ?
					    &s->files[pick(s->nr_files)] : NULL);
		} else if (op < 7) {
			err = op_preserve();	/* EINVAL into incoming ones */
		} else if (op < 8) {
			err = op_name();
		} else if (all_checked(s)) {
			err = finish_session(s);
			if (!err && !pick(8)) {
				close(s->fd);
				forget_session(s);
			}
		}
	}
	/* Whatever the dice left: every file of every session. */
	for (i = 0; !err && i < nr_sessions; i++) {
		struct fz_session *s = &sessions[i];

		if (!s->incoming)
			continue;
		if (s->fd < 0)
			err = retrieve_session(s, false);
		for (j = 0; !err && j < s->nr_files; j++)
			if (!s->files[j].checked)
				while (!err && !s->files[j].checked)
					err = retrieve_file(s, &s->files[j]);
		files += s->nr_files;
	}
	for (i = nr_sessions - 1; !err && i >= 0; i--) {
		if (!sessions[i].incoming)
			continue;
		err = luo_finish(sessions[i].fd);
		if (err)
			return kt_fail("FINISH '%.64s': %s", sessions[i].name, strerror(-err));
		close(sessions[i].fd);
		forget_session(&sessions[i]);
	}
	if (!err)
		kt_diag("%d incoming sessions, every byte of their files checked (%lu ops)",
			total, ops);
	return err;
}

static void open_junk(void)
{
	int p[2], sv[2];

	nr_junk = 0;
	junk_fds[nr_junk++] = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (!pipe(p)) {
		junk_fds[nr_junk++] = p[0];
		junk_fds[nr_junk++] = p[1];
	}
	if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		junk_fds[nr_junk++] = sv[0];
	junk_fds[nr_junk++] = eventfd(0, EFD_CLOEXEC);
	junk_fds[nr_junk++] = epoll_create1(EPOLL_CLOEXEC);
	junk_fds[nr_junk++] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	junk_fds[nr_junk++] = luo_fd;
}

static int fuzz_generation(void)
{
	const char *seed = kt_param("seed"), *secs = kt_param("secs");
	int stage = kt_stage_nr(), last = kt_param("stages") ? atoi(kt_param("stages")) : 3;
	double fuzz_secs = secs ? atof(secs) : 15;
	char value[32];
	int err;

	if (seed) {
		rng = strtoull(seed, NULL, 0);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		rng = ((uint64_t)ts.tv_sec << 32 ^ ts.tv_nsec) | 1;
		snprintf(value, sizeof(value), "%#llx", (unsigned long long)rng);
		kt_set_next_param("seed", value);
	}
	kt_diag("seed %#llx, %.0f s a generation (replay: make fuzz SEED=%#llx SECS=%.0f)",
		(unsigned long long)rng, fuzz_secs, (unsigned long long)rng, fuzz_secs);
	rng += stage * 0x9e3779b97f4a7c15ULL;
	if (luo_ensure_nofile(4096))
		return kt_fail("RLIMIT_NOFILE");
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	luo_fd = luo_open();
	if (luo_fd < 0)
		return kt_fail("open %s: %s", LUO_DEVICE, strerror(-luo_fd));
	open_junk();
	if (stage > 1) {
		err = read_manifest();
		if (!err)
			err = fuzz_incoming(fuzz_secs / 2);
		if (err)
			return err;
	}
	if (stage >= last)
		return 0;
	err = fuzz_outgoing(stage > 1 ? fuzz_secs / 2 : fuzz_secs);
	return err ? err : write_manifest();
}

static const struct kt_stage stages[] = {
	{ "fuzzing the outgoing side", fuzz_generation },
	{ "fuzzing the incoming side, every byte back; the outgoing side again", fuzz_generation },
	{ "fuzzing the incoming side, every byte back", fuzz_generation },
};

int main(void)
{
	return kt_main("luo_fuzz", stages, ARRAY_SIZE(stages));
}
