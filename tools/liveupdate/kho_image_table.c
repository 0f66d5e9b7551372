// SPDX-License-Identifier: GPL-2.0
/*
 * kho_image_table: make, show or check the table of compatible strings a
 * kernel image reads (include/linux/kho/abi/image_table.h).
 *
 *   kho_image_table gen STRINGS TABLE
 *	STRINGS holds the strings, each ended by a NUL (NULs after the last
 *	are ignored), as the build extracts them from an object; TABLE gets
 *	the table: header and strings, with its checksum.
 *   kho_image_table show IMAGE
 *	finds the table in a kernel image file as the kernel does, checks it
 *	and prints its strings, one a line.
 *   kho_image_table check IMAGE [QUERY]
 *	says whether IMAGE would accept what the running kernel would hand
 *	over now. QUERY is a copy of /sys/kernel/debug/liveupdate/image
 *	(standard input when omitted or "-"); its "session", "root" and
 *	"subtree" lines name the outgoing items, each looked up in IMAGE's
 *	table, as reboot() would after IMAGE is loaded. Prints the items
 *	with "ok" or "refused" and a verdict line in the query's format.
 *
 * Exit status: 0 (check: accepted); 1 if the image has no table; 2 if its
 * table is malformed (the reason on stderr); 3 on a usage or I/O error;
 * 4 (check) if an item is refused.
 *
 * The kernel's build makes this program from scripts/, for the tables it
 * puts in its images; on its own, "make -C tools/liveupdate" builds it. A
 * host program: the layout is restated here from the ABI header, which is
 * the reference, since host code does not include kernel headers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_MAGIC	"KHOCOMPT"
#define MAGIC_LEN	8
#define TABLE_VERSION	1
#define TABLE_ALIGN	8
#define HEADER_SIZE	24
#define MAX_COUNT	256
#define MAX_SIZE	16384
#define MAX_STRING	128

/* zlib's CRC-32, as crc32_le(~0, ...) ^ ~0 in the kernel. */
static uint32_t crc32(const unsigned char *p, size_t len)
{
	uint32_t crc = ~0U;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}

static uint32_t get_le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Reads all of @path into a new buffer; its length in *@len. */
static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f) {
		fprintf(stderr, "kho_image_table: %s: %s\n", path,
			strerror(errno));
		exit(3);
	}
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf) {
				fprintf(stderr, "kho_image_table: out of memory\n");
				exit(3);
			}
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	fclose(f);
	return buf;
}

static int gen(const char *in, const char *out)
{
	unsigned char header[HEADER_SIZE] = TABLE_MAGIC;
	size_t len, size, off, count = 0;
	unsigned char *strings = read_file(in, &len);
	FILE *f;

	/* The NULs after the last string are padding, not empty strings. */
	for (size = len; size && !strings[size - 1]; size--)
		;
	if (size)
		size++;
	for (off = 0; off < size; off += strlen((char *)strings + off) + 1) {
		size_t n = strlen((char *)strings + off);

		if (!n || n > MAX_STRING) {
			fprintf(stderr, "kho_image_table: %s: string %zu is %s\n",
				in, count, n ? "too long" : "empty");
			return 2;
		}
		count++;
	}
	if (count > MAX_COUNT || size > MAX_SIZE) {
		fprintf(stderr, "kho_image_table: %s: too many strings\n", in);
		return 2;
	}
	put_le32(header + 8, TABLE_VERSION);
	put_le32(header + 12, count);
	put_le32(header + 16, size);
	put_le32(header + 20, crc32(strings, size));
	f = fopen(out, "wb");
	if (!f || fwrite(header, 1, sizeof(header), f) != sizeof(header) ||
	    fwrite(strings, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "kho_image_table: %s: %s\n", out, strerror(errno));
		return 3;
	}
	free(strings);
	return 0;
}

/* What is wrong with the table at @t (@avail bytes to the end), or NULL. */
static const char *check(const unsigned char *t, size_t avail)
{
	uint32_t count = get_le32(t + 12), size = get_le32(t + 16), n = 0;
	const char *s = (const char *)t + HEADER_SIZE;
	size_t off = 0, len;

	if (get_le32(t + 8) != TABLE_VERSION)
		return "unknown version";
	if (count > MAX_COUNT || size > MAX_SIZE)
		return "count or size beyond the limits";
	if (size > avail - HEADER_SIZE)
		return "strings beyond the end of the image";
	if (crc32(t + HEADER_SIZE, size) != get_le32(t + 20))
		return "checksum mismatch";
	while (off < size) {
		len = strnlen(s + off, size - off < MAX_STRING + 1 ?
				       size - off : MAX_STRING + 1);
		if (!len)
			return "an empty string";
		if (len > MAX_STRING)
			return "a string too long";
		if (off + len == size)
			return "a string without NUL";
		off += len + 1;
		n++;
	}
	return n == count ? NULL : "count does not match the strings";
}

/*
 * The valid table of the image at @path, or NULL with *@status set to the
 * exit status for an image without one (the reason printed).
 */
static const unsigned char *find_table(const char *path, int *status)
{
	size_t len, off;
	unsigned char *image = read_file(path, &len);

	for (off = 0; len >= HEADER_SIZE && off <= len - HEADER_SIZE;
	     off += TABLE_ALIGN) {
		const unsigned char *t = image + off;
		const char *why;

		if (memcmp(t, TABLE_MAGIC, MAGIC_LEN))
			continue;
		why = check(t, len - off);
		if (why) {
			fprintf(stderr, "%s: malformed table at %#zx: %s\n",
				path, off, why);
			*status = 2;
			return NULL;
		}
		return t;
	}
	fprintf(stderr, "%s: no compatibility table\n", path);
	*status = 1;
	return NULL;
}

/* The string after @s in table @t, or its first string for NULL. */
static const char *next_string(const unsigned char *t, const char *s)
{
	const char *end = (const char *)t + HEADER_SIZE + get_le32(t + 16);

	s = s ? s + strlen(s) + 1 : (const char *)t + HEADER_SIZE;
	return s < end ? s : NULL;
}

static int reads(const unsigned char *t, const char *compatible)
{
	const char *s = NULL;

	while ((s = next_string(t, s)))
		if (!strcmp(s, compatible))
			return 1;
	return 0;
}

static int show(const char *path)
{
	const unsigned char *t;
	const char *s = NULL;
	int status;

	t = find_table(path, &status);
	if (!t)
		return status;
	printf("# %s: table version %u, %u strings\n", path, get_le32(t + 8),
	       get_le32(t + 12));
	while ((s = next_string(t, s)))
		printf("%s\n", s);
	return 0;
}

/*
 * An item line of the query ("session <name> token <token> <compatible>",
 * "root <compatible>" or "subtree <name> <compatible>", then ": " and the
 * kernel's verdict), cut after its compatible string, the last word (a
 * session name may hold spaces, a compatible string does not); NULL if
 * @line is not one.
 */
static char *item_of(char *line)
{
	char *colon = strrchr(line, ':');

	if (!colon || (strncmp(line, "session ", 8) &&
		       strncmp(line, "root ", 5) && strncmp(line, "subtree ", 8)))
		return NULL;
	*colon = '\0';
	return line;
}

static int check_query(const char *path, const char *query)
{
	unsigned long items = 0, refused = 0;
	const unsigned char *t;
	char line[512], *item;
	FILE *f = stdin;
	int status;

	t = find_table(path, &status);
	if (!t) {
		if (status == 1)
			fprintf(stderr, "%s: refused unless liveupdate.accept_unchecked_image=1\n",
				path);
		return status;
	}
	if (query && strcmp(query, "-"))
		f = fopen(query, "r");
	if (!f) {
		fprintf(stderr, "kho_image_table: %s: %s\n", query,
			strerror(errno));
		return 3;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		item = item_of(line);
		if (!item)
			continue;
		items++;
		if (reads(t, strrchr(item, ' ') + 1)) {
			printf("%s: ok\n", item);
		} else {
			printf("%s: refused\n", item);
			refused++;
		}
	}
	if (f != stdin)
		fclose(f);
	if (refused)
		printf("verdict: refused (%lu items)\n", refused);
	else if (!items)
		printf("verdict: accepted (nothing to hand over)\n");
	else
		printf("verdict: accepted\n");
	return refused ? 4 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "show"))
		return show(argv[2]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "check"))
		return check_query(argv[2], argc == 4 ? argv[3] : NULL);
	fprintf(stderr, "usage: kho_image_table gen STRINGS TABLE\n"
			"       kho_image_table show IMAGE\n"
			"       kho_image_table check IMAGE [QUERY]\n");
	return 3;
}
