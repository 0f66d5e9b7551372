// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the Live Update Orchestrator: the lifecycle of files and
 * FLBs as a file handler sees it, and the deserializers fed records no sane
 * kernel writes.
 *
 * A handler of the suite's own logs every callback it gets, so each case
 * checks which callbacks ran and in which order. Incoming records are
 * built by hand in pages made to look handed over by a previous kernel
 * (kho_test_fake_incoming()), so they meet the checks they meet after a
 * kexec. Needs LUO on (liveupdate=on).
 */
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/liveupdate.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "../../kernel/liveupdate/kexec_handover_internal.h"
#include "../../kernel/liveupdate/luo_internal.h"

#define KUNIT_COMPATIBLE	"luo-kunit-v1"
#define KUNIT_FLB0		"luo-kunit-flb-v0"
#define KUNIT_FLB1		"luo-kunit-flb-v1"
#define KUNIT_FLB_INCOMPLETE	"luo-kunit-flb-incomplete-v1"
#define KUNIT_FLB_ABSENT	"luo-kunit-flb-absent-v1"
#define KUNIT_UNREGISTERED	"luo-kunit-unregistered-v1"

/* Every callback appends "<op><id> ": files are 1.., FLBs 0 and 1. */
static char cb_log[512];
/* Make freeze or retrieve of the file with this id fail; 0: never. */
static u64 fail_freeze_id, fail_retrieve_id;
static bool refuse_finish;

static void cb(char op, u64 id)
{
	size_t len = strlen(cb_log);

	snprintf(cb_log + len, sizeof(cb_log) - len, "%c%llu ", op, id);
}

/* The suite's file type, and one its handler does not take. */
static const struct file_operations kunit_fops = {
	.llseek = noop_llseek,
};

static const struct file_operations other_fops = {
	.llseek = default_llseek,
};

static u64 file_id(struct file *file)
{
	return (unsigned long)file->private_data;
}

static bool k_can_preserve(struct liveupdate_file_handler *fh,
			   struct file *file)
{
	return file->f_op == &kunit_fops;
}

static int k_preserve(struct liveupdate_file_op_args *args)
{
	cb('p', file_id(args->file));
	args->serialized_data = file_id(args->file) * 100;
	args->private_data = args->file->private_data;
	return 0;
}

static void k_unpreserve(struct liveupdate_file_op_args *args)
{
	cb('u', (unsigned long)args->private_data);
}

static int k_freeze(struct liveupdate_file_op_args *args)
{
	u64 id = (unsigned long)args->private_data;

	cb('f', id);
	if (id == fail_freeze_id)
		return -EAGAIN;
	args->serialized_data = id * 100 + 1;
	return 0;
}

static void k_unfreeze(struct liveupdate_file_op_args *args)
{
	cb('F', (unsigned long)args->private_data);
}

static int k_retrieve(struct liveupdate_file_op_args *args)
{
	u64 id = args->serialized_data / 100;
	struct file *file;

	cb('r', id);
	if (id == fail_retrieve_id)
		return -EIO;
	file = anon_inode_getfile("[luo_kunit]", &kunit_fops,
				  (void *)(unsigned long)id, O_RDWR);
	if (IS_ERR(file))
		return PTR_ERR(file);
	args->file = file;
	return 0;
}

static bool k_can_finish(struct liveupdate_file_op_args *args)
{
	return !refuse_finish;
}

static void k_finish(struct liveupdate_file_op_args *args)
{
	/* The id, and what the retrieve did: 0, 1 or its error. */
	cb('x', args->serialized_data / 100);
	cb('s', args->retrieve_status < 0 ? 9 : args->retrieve_status);
}

static const struct liveupdate_file_ops kunit_ops = {
	.can_preserve = k_can_preserve,
	.preserve = k_preserve,
	.unpreserve = k_unpreserve,
	.freeze = k_freeze,
	.unfreeze = k_unfreeze,
	.retrieve = k_retrieve,
	.can_finish = k_can_finish,
	.finish = k_finish,
};

static struct liveupdate_file_handler kunit_handler = {
	.ops = &kunit_ops,
	.compatible = KUNIT_COMPATIBLE,
};

static int flb_objs[2];

static int flb_index(struct liveupdate_flb *flb);

static int f_preserve(struct liveupdate_flb_op_args *args)
{
	int i = flb_index(args->flb);

	cb('P', i);
	args->data = 0xf0 + i;
	args->obj = &flb_objs[i];
	return 0;
}

static void f_unpreserve(struct liveupdate_flb_op_args *args)
{
	cb('U', flb_index(args->flb));
}

static int f_retrieve(struct liveupdate_flb_op_args *args)
{
	int i = flb_index(args->flb);

	cb('R', i);
	if (args->data != 0xf0 + i)
		return -EINVAL;
	args->obj = &flb_objs[i];
	return 0;
}

static void f_finish(struct liveupdate_flb_op_args *args)
{
	cb('X', flb_index(args->flb));
}

static const struct liveupdate_flb_ops kunit_flb_ops = {
	.preserve = f_preserve,
	.unpreserve = f_unpreserve,
	.retrieve = f_retrieve,
	.finish = f_finish,
};

static struct liveupdate_flb kunit_flbs[2] = {
	{ .ops = &kunit_flb_ops, .compatible = KUNIT_FLB0 },
	{ .ops = &kunit_flb_ops, .compatible = KUNIT_FLB1 },
};

static int flb_index(struct liveupdate_flb *flb)
{
	return flb - kunit_flbs;
}

/*
 * FLBs keep their private state between cases; start each one afresh,
 * unless a failed case left it listed with dependents.
 */
static void reset_flb(struct liveupdate_flb *flb)
{
	struct luo_flb_private *p = &ACCESS_PRIVATE(flb, private);

	if (!p->initialized || list_empty(&p->list))
		memset(p, 0, sizeof(*p));
}

static int luo_kunit_init(struct kunit *test)
{
	int i;

	if (!liveupdate_enabled())
		kunit_skip(test, "LUO is off (liveupdate=on, KHO on)");
	cb_log[0] = '\0';
	fail_freeze_id = 0;
	fail_retrieve_id = 0;
	refuse_finish = false;
	KUNIT_ASSERT_EQ(test, liveupdate_register_file_handler(&kunit_handler),
			0);
	for (i = 0; i < ARRAY_SIZE(kunit_flbs); i++) {
		reset_flb(&kunit_flbs[i]);
		KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&kunit_handler,
							      &kunit_flbs[i]),
				0);
	}
	return 0;
}

static void luo_kunit_exit(struct kunit *test)
{
	liveupdate_unregister_file_handler(&kunit_handler);
	luo_flb_forget_incoming();
}

static void file_put(void *file)
{
	fput(file);
}

static struct file *new_file(struct kunit *test,
			     const struct file_operations *fops, u64 id)
{
	struct file *file = anon_inode_getfile("[luo_kunit]", fops,
					       (void *)(unsigned long)id,
					       O_RDWR);

	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, file_put, file),
			0);
	return file;
}

/* Expects the callbacks logged since the last check. */
#define EXPECT_LOG(test, want) do {					\
	KUNIT_EXPECT_STREQ(test, cb_log, want);				\
	cb_log[0] = '\0';						\
} while (0)

static void luo_file_outgoing_lifecycle(struct kunit *test)
{
	struct file *f1 = new_file(test, &kunit_fops, 1);
	struct file *f2 = new_file(test, &kunit_fops, 2);
	struct file *f3 = new_file(test, &kunit_fops, 3);
	struct file *other = new_file(test, &other_fops, 9);
	struct luo_file_set_ser ser = { };
	struct kho_block_set_it it;
	struct luo_file_ser *rec;
	struct luo_file_set fs;
	u64 i;

	luo_file_set_init(&fs);
	KUNIT_ASSERT_EQ(test, luo_file_preserve(&fs, 10, f1), 0);
	KUNIT_EXPECT_EQ(test, luo_file_preserve(&fs, 10, f2), -EEXIST);
	KUNIT_EXPECT_EQ(test, luo_file_preserve(&fs, 11, f1), -EBUSY);
	KUNIT_EXPECT_EQ(test, luo_file_preserve(&fs, 11, NULL), -EBADF);
	KUNIT_EXPECT_EQ(test, luo_file_preserve(&fs, 11, other), -ENOENT);
	KUNIT_ASSERT_EQ(test, luo_file_preserve(&fs, 11, f2), 0);
	KUNIT_ASSERT_EQ(test, luo_file_preserve(&fs, 12, f3), 0);
	KUNIT_EXPECT_EQ(test, fs.count, 3);
	/* FLBs first, once; a refused file leaves no trace. */
	EXPECT_LOG(test, "P0 P1 p1 p2 p3 ");

	/* The second file fails: only the first is unfrozen. */
	fail_freeze_id = 2;
	KUNIT_EXPECT_EQ(test, luo_file_freeze(&fs, &ser), -EAGAIN);
	EXPECT_LOG(test, "f1 f2 F1 ");
	KUNIT_EXPECT_EQ(test, kho_block_set_count(&fs.blocks), 0);

	fail_freeze_id = 0;
	KUNIT_ASSERT_EQ(test, luo_file_freeze(&fs, &ser), 0);
	EXPECT_LOG(test, "f1 f2 f3 ");
	KUNIT_EXPECT_EQ(test, ser.count, 3);
	KUNIT_EXPECT_NE(test, ser.files, 0);
	KUNIT_EXPECT_EQ(test, ser.files, kho_block_set_head_pa(&fs.blocks));
	kho_block_set_it_init(&it, &fs.blocks);
	for (i = 1; (rec = kho_block_set_it_read_entry(&it)); i++) {
		KUNIT_EXPECT_STREQ(test, rec->compatible, KUNIT_COMPATIBLE);
		KUNIT_EXPECT_EQ(test, rec->data, i * 100 + 1);
		KUNIT_EXPECT_EQ(test, rec->token, 9 + i);
	}
	KUNIT_EXPECT_EQ(test, i, 4);

	/* A reboot that fails later unfreezes newest first. */
	luo_file_unfreeze(&fs);
	EXPECT_LOG(test, "F3 F2 F1 ");

	/* Closing the session: newest first, the FLBs after their last file. */
	luo_file_unpreserve_all(&fs);
	EXPECT_LOG(test, "u3 u2 u1 U1 U0 ");
	KUNIT_EXPECT_EQ(test, fs.count, 0);

	/* Given up, a file can be preserved again. */
	KUNIT_ASSERT_EQ(test, luo_file_preserve(&fs, 10, f1), 0);
	luo_file_unpreserve_all(&fs);
	EXPECT_LOG(test, "P0 P1 p1 u1 U1 U0 ");
}

static void luo_flb_outgoing_refcount(struct kunit *test)
{
	struct liveupdate_flb dup = {
		.ops = &kunit_flb_ops, .compatible = KUNIT_FLB0,
	};
	static const struct liveupdate_flb_ops incomplete_ops = {
		.preserve = f_preserve,
	};
	struct liveupdate_flb incomplete = {
		.ops = &incomplete_ops,
		.compatible = KUNIT_FLB_INCOMPLETE,
	};
	struct liveupdate_file_handler unregistered = {
		.ops = &kunit_ops, .compatible = KUNIT_UNREGISTERED,
	};
	struct file *f1 = new_file(test, &kunit_fops, 1);
	struct file *f2 = new_file(test, &kunit_fops, 2);
	struct luo_file_set a, b;
	void *obj;

	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&kunit_handler,
						      &kunit_flbs[0]), -EEXIST);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&kunit_handler, &dup),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&kunit_handler,
						      &incomplete), -EINVAL);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&unregistered,
						      &kunit_flbs[0]), -EINVAL);

	KUNIT_ASSERT_EQ(test, liveupdate_flb_get_outgoing(&kunit_flbs[0], &obj),
			0);
	KUNIT_EXPECT_NULL(test, obj);

	/* Two sessions, one dependent file each. */
	luo_file_set_init(&a);
	luo_file_set_init(&b);
	KUNIT_ASSERT_EQ(test, luo_file_preserve(&a, 1, f1), 0);
	KUNIT_ASSERT_EQ(test, luo_file_preserve(&b, 1, f2), 0);
	EXPECT_LOG(test, "P0 P1 p1 p2 ");
	KUNIT_ASSERT_EQ(test, liveupdate_flb_get_outgoing(&kunit_flbs[1], &obj),
			0);
	KUNIT_EXPECT_PTR_EQ(test, obj, (void *)&flb_objs[1]);

	luo_file_unpreserve_all(&a);
	EXPECT_LOG(test, "u1 ");
	KUNIT_ASSERT_EQ(test, liveupdate_flb_get_outgoing(&kunit_flbs[1], &obj),
			0);
	KUNIT_EXPECT_PTR_EQ(test, obj, (void *)&flb_objs[1]);

	/*
	 * Unregistered while a file depends on it, the FLB stays with that
	 * file; files preserved later do not depend on it.
	 */
	liveupdate_unregister_flb(&kunit_handler, &kunit_flbs[1]);
	KUNIT_ASSERT_EQ(test, luo_file_preserve(&a, 1, f1), 0);
	luo_file_unpreserve_all(&a);
	EXPECT_LOG(test, "p1 u1 ");
	luo_file_unpreserve_all(&b);
	EXPECT_LOG(test, "u2 U1 U0 ");
	KUNIT_ASSERT_EQ(test, liveupdate_flb_get_outgoing(&kunit_flbs[0], &obj),
			0);
	KUNIT_EXPECT_NULL(test, obj);
}

/*
 * One block of @nr records of @size bytes from @recs, made to look handed
 * over by the previous kernel; restoring it gives it back to the allocator.
 */
static u64 fake_records(struct kunit *test, const void *recs, size_t size,
			u64 nr)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct kho_block_header_ser *hdr;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_LE(test, nr, KHO_BLOCK_ENTRIES_PER_BLOCK(size));
	hdr = page_address(page);
	hdr->count = nr;
	memcpy(hdr + 1, recs, size * nr);
	kho_test_fake_incoming(page, 0);
	return page_to_phys(page);
}

static u64 fake_files(struct kunit *test, const struct luo_file_ser *recs,
		      u64 nr)
{
	return fake_records(test, recs, sizeof(*recs), nr);
}

#define FILE_REC(_compat, _id, _token) {				\
	.compatible = _compat, .data = (_id) * 100 + 1, .token = (_token), \
}

static void luo_file_incoming_lifecycle(struct kunit *test)
{
	const struct luo_file_ser recs[] = {
		FILE_REC(KUNIT_COMPATIBLE, 1, 1),
		FILE_REC(KUNIT_COMPATIBLE, 2, 2),
		FILE_REC(KUNIT_COMPATIBLE, 3, 3),
	};
	struct luo_file_set_ser ser = { .count = 3 };
	unsigned long totalram = totalram_pages();
	struct file *file, *again;
	struct luo_file_set fs;

	luo_file_set_init(&fs);
	ser.files = fake_files(test, recs, ARRAY_SIZE(recs));
	KUNIT_ASSERT_EQ(test, luo_file_deserialize(&fs, &ser), 0);
	KUNIT_EXPECT_EQ(test, fs.count, 3);
	/* The record blocks went back to the allocator. */
	KUNIT_EXPECT_EQ(test, totalram_pages(), totalram);

	KUNIT_ASSERT_EQ(test, luo_file_retrieve(&fs, 2, &file), 0);
	KUNIT_EXPECT_EQ(test, file_id(file), 2);
	KUNIT_ASSERT_EQ(test, luo_file_retrieve(&fs, 2, &again), 0);
	KUNIT_EXPECT_PTR_EQ(test, again, file);
	fput(again);
	fput(file);
	fail_retrieve_id = 3;
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 3, &file), -EIO);
	fail_retrieve_id = 0;
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 3, &file), -EIO);
	KUNIT_EXPECT_EQ(test, luo_file_retrieve(&fs, 9, &file), -ENOENT);
	/* Retrieved once each; a failure is final. */
	EXPECT_LOG(test, "r2 r3 ");

	refuse_finish = true;
	KUNIT_EXPECT_EQ(test, luo_file_finish(&fs), -EBUSY);
	EXPECT_LOG(test, "");
	KUNIT_EXPECT_EQ(test, fs.count, 3);
	refuse_finish = false;

	/* Newest first; the FLBs the previous kernel did not hand over stay. */
	KUNIT_ASSERT_EQ(test, luo_file_finish(&fs), 0);
	EXPECT_LOG(test, "x3 s9 x2 s1 x1 s0 ");
	KUNIT_EXPECT_EQ(test, fs.count, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&fs.files));
}

/*
 * A refused file chain is only read, never taken: its block must still be
 * waiting. Takes it back from the fake and frees it.
 */
static void expect_left_reserved(struct kunit *test, u64 phys)
{
	struct page *page = pfn_to_page(PHYS_PFN(phys));
	bool waiting = kho_test_unfake_incoming(page);

	KUNIT_EXPECT_TRUE_MSG(test, waiting, "the records of a refused session were taken");
	if (waiting)
		__free_page(page);
}

static void luo_file_incoming_refused(struct kunit *test)
{
	const struct luo_file_ser unknown[] = {
		FILE_REC(KUNIT_COMPATIBLE, 1, 1),
		FILE_REC("luo-kunit-v2", 2, 2),
	};
	const struct luo_file_ser dup_token[] = {
		FILE_REC(KUNIT_COMPATIBLE, 1, 7),
		FILE_REC(KUNIT_COMPATIBLE, 2, 7),
	};
	const struct luo_file_ser fine[] = {
		FILE_REC(KUNIT_COMPATIBLE, 1, 1),
		FILE_REC(KUNIT_COMPATIBLE, 2, 2),
	};
	struct luo_file_ser unterminated = FILE_REC(KUNIT_COMPATIBLE, 1, 1);
	unsigned long totalram = totalram_pages();
	struct luo_file_set_ser ser;
	struct kho_block_header_ser *hdr;
	struct luo_file_set fs;
	struct page *page;

	luo_file_set_init(&fs);
	ser = (struct luo_file_set_ser) {
		.files = fake_files(test, unknown, 2), .count = 2,
	};
	KUNIT_EXPECT_EQ(test, luo_file_deserialize(&fs, &ser), -ENOENT);
	KUNIT_EXPECT_EQ(test, fs.count, 0);
	expect_left_reserved(test, ser.files);

	memset(unterminated.compatible, 'l', sizeof(unterminated.compatible));
	ser = (struct luo_file_set_ser) {
		.files = fake_files(test, &unterminated, 1), .count = 1,
	};
	KUNIT_EXPECT_EQ(test, luo_file_deserialize(&fs, &ser), -ENOENT);
	expect_left_reserved(test, ser.files);

	ser = (struct luo_file_set_ser) {
		.files = fake_files(test, dup_token, 2), .count = 2,
	};
	KUNIT_EXPECT_EQ(test, luo_file_deserialize(&fs, &ser), -EINVAL);
	expect_left_reserved(test, ser.files);

	ser = (struct luo_file_set_ser) {
		.files = fake_files(test, fine, 2), .count = 3,
	};
	KUNIT_EXPECT_EQ(test, luo_file_deserialize(&fs, &ser), -EINVAL);
	expect_left_reserved(test, ser.files);
	ser = (struct luo_file_set_ser) { .files = 0, .count = 1 };
	KUNIT_EXPECT_EQ(test, luo_file_deserialize(&fs, &ser), -EINVAL);

	/* A block with no records, and a block never preserved. */
	ser = (struct luo_file_set_ser) {
		.files = fake_files(test, fine, 0), .count = 0,
	};
	KUNIT_EXPECT_LT(test, luo_file_deserialize(&fs, &ser), 0);
	expect_left_reserved(test, ser.files);
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, page);
	hdr = page_address(page);
	hdr->count = 1;
	ser = (struct luo_file_set_ser) {
		.files = page_to_phys(page), .count = 1,
	};
	KUNIT_EXPECT_LT(test, luo_file_deserialize(&fs, &ser), 0);
	__free_page(page);

	/* Nothing was built, no callback ran, no block was lost. */
	KUNIT_EXPECT_EQ(test, fs.count, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&fs.files));
	EXPECT_LOG(test, "");
	KUNIT_EXPECT_EQ(test, totalram_pages(), totalram);
}

static void luo_flb_incoming_refcount(struct kunit *test)
{
	const struct luo_flb_ser flbs[] = {
		{ .name = KUNIT_FLB0, .data = 0xf0, .count = 2 },
		{ .name = KUNIT_FLB1, .data = 0xf1, .count = 1 },
		{ .name = "", .data = 1, .count = 1 },
		{ .name = KUNIT_FLB_ABSENT, .data = 1, .count = 0 },
		{ .name = KUNIT_FLB1, .data = 1, .count = 1 },
	};
	const struct luo_file_ser recs[] = {
		FILE_REC(KUNIT_COMPATIBLE, 1, 1),
		FILE_REC(KUNIT_COMPATIBLE, 2, 2),
	};
	struct liveupdate_flb absent = {
		.ops = &kunit_flb_ops, .compatible = KUNIT_FLB_ABSENT,
	};
	struct luo_file_set_ser ser = { .count = 2 };
	u64 bad = luo_incoming.flbs_bad;
	struct luo_file_set fs;
	void *obj;

	/* Before the previous kernel's records are in: none at all. */
	luo_flb_forget_incoming();
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&kunit_flbs[0], &obj),
			-ENODATA);

	KUNIT_ASSERT_EQ(test, luo_flb_setup_incoming(fake_records(test, flbs,
								  sizeof(flbs[0]),
								  ARRAY_SIZE(flbs))),
			0);
	/* Empty name, no dependents, a name twice: three refused. */
	KUNIT_EXPECT_EQ(test, luo_incoming.flbs, 2);
	KUNIT_EXPECT_EQ(test, luo_incoming.flbs_bad, bad + 3);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&absent, &obj),
			-ENOENT);

	/* Early in boot: retrieved on the first get, kept after the put. */
	KUNIT_ASSERT_EQ(test, liveupdate_flb_get_incoming(&kunit_flbs[0], &obj),
			0);
	KUNIT_EXPECT_PTR_EQ(test, obj, (void *)&flb_objs[0]);
	liveupdate_flb_put_incoming(&kunit_flbs[0]);
	EXPECT_LOG(test, "R0 ");

	/*
	 * Two dependent files finished: FLB 1, recorded with one dependent,
	 * is retrieved and finished with the first; FLB 0 with the second.
	 */
	luo_file_set_init(&fs);
	ser.files = fake_files(test, recs, ARRAY_SIZE(recs));
	KUNIT_ASSERT_EQ(test, luo_file_deserialize(&fs, &ser), 0);
	KUNIT_ASSERT_EQ(test, luo_file_finish(&fs), 0);
	EXPECT_LOG(test, "x2 s0 R1 X1 x1 s0 X0 ");
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&kunit_flbs[0], &obj),
			-ENODATA);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&kunit_flbs[1], &obj),
			-ENODATA);
}

static void luo_flb_incoming_corrupted(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct kho_block_header_ser *hdr;
	void *obj;

	KUNIT_ASSERT_NOT_NULL(test, page);
	hdr = page_address(page);
	hdr->count = 1;
	/* Never handed over: the chain is refused, so is all FLB data. */
	luo_flb_forget_incoming();
	KUNIT_EXPECT_LT(test, luo_flb_setup_incoming(page_to_phys(page)), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&kunit_flbs[0], &obj),
			-ENODATA);
	__free_page(page);
	EXPECT_LOG(test, "");
}

static void luo_ser_checks(struct kunit *test)
{
	struct luo_ser *ser = kunit_kzalloc(test, 2 * sizeof(*ser), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ser);
	kho_compat_store(ser->compatible, sizeof(ser->compatible),
			 LUO_ABI_COMPATIBLE);
	KUNIT_EXPECT_NULL(test, luo_ser_bad(ser, sizeof(*ser)));
	/* Larger, with fields this kernel does not know: accepted. */
	KUNIT_EXPECT_NULL(test, luo_ser_bad(ser, 2 * sizeof(*ser)));
	KUNIT_EXPECT_NOT_NULL(test, luo_ser_bad(ser, sizeof(*ser) - 1));
	KUNIT_EXPECT_NOT_NULL(test, luo_ser_bad(ser, 0));

	/* Another version of LUO or of the block layout: refused. */
	kho_compat_store(ser->compatible, sizeof(ser->compatible),
			 "luo-state-v2-kho-block-v1");
	KUNIT_EXPECT_NOT_NULL(test, luo_ser_bad(ser, sizeof(*ser)));
	kho_compat_store(ser->compatible, sizeof(ser->compatible),
			 "luo-state-v1-kho-block-v2");
	KUNIT_EXPECT_NOT_NULL(test, luo_ser_bad(ser, sizeof(*ser)));
	kho_compat_store(ser->compatible, sizeof(ser->compatible),
			 LUO_COMPAT_BASE);
	KUNIT_EXPECT_NOT_NULL(test, luo_ser_bad(ser, sizeof(*ser)));
	memset(ser->compatible, 'l', sizeof(ser->compatible));
	KUNIT_EXPECT_NOT_NULL(test, luo_ser_bad(ser, sizeof(*ser)));
}

static struct kunit_case luo_cases[] = {
	KUNIT_CASE(luo_file_outgoing_lifecycle),
	KUNIT_CASE(luo_flb_outgoing_refcount),
	KUNIT_CASE(luo_file_incoming_lifecycle),
	KUNIT_CASE(luo_file_incoming_refused),
	KUNIT_CASE(luo_flb_incoming_refcount),
	KUNIT_CASE(luo_flb_incoming_corrupted),
	KUNIT_CASE(luo_ser_checks),
	{ }
};

static struct kunit_suite luo_suite = {
	.name = "luo",
	.init = luo_kunit_init,
	.exit = luo_kunit_exit,
	.test_cases = luo_cases,
};

kunit_test_suite(luo_suite);

MODULE_DESCRIPTION("KUnit tests for the Live Update Orchestrator");
MODULE_LICENSE("GPL");
