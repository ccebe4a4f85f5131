// SPDX-License-Identifier: Apache-2.0
/* Streaming AML encoder; see aml.h. Encodings follow ACPI 6.5 chapter 20 (AML)
 * and 6.4 (resource descriptors). */
#include "aml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* AML opcodes */
#define AML_ZERO_OP       0x00
#define AML_ONE_OP        0x01
#define AML_NAME_OP       0x08
#define AML_BYTE_PREFIX   0x0a
#define AML_WORD_PREFIX   0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE_OP      0x10
#define AML_BUFFER_OP     0x11
#define AML_PACKAGE_OP    0x12
#define AML_METHOD_OP     0x14
#define AML_DUAL_NAME     0x2e
#define AML_MULTI_NAME    0x2f
#define AML_EXT_OP        0x5b
#define AML_DEVICE_OP     0x82 /* after AML_EXT_OP */
#define AML_ROOT_CHAR     0x5c
#define AML_PARENT_CHAR   0x5e
#define AML_OP_REGION_OP  0x80 /* after AML_EXT_OP */
#define AML_FIELD_OP      0x81 /* after AML_EXT_OP */
#define AML_LOCAL0_OP     0x60
#define AML_ARG0_OP       0x68
#define AML_STORE_OP      0x70
#define AML_AND_OP        0x7b
#define AML_LEQUAL_OP     0x93
#define AML_NOTIFY_OP     0x86
#define AML_IF_OP         0xa0
#define AML_RETURN_OP     0xa4
#define AML_ONES_OP       0xff

/* Resource descriptor tags */
#define RS_IRQ_NOFLAGS    0x22 /* small, type 4, length 2 */
#define RS_IO             0x47 /* small, type 8, length 7 */
#define RS_END_TAG        0x79 /* small, type 0xf, length 1 */
#define RS_MEMORY32_FIXED 0x86
#define RS_EXT_IRQ        0x89
#define RS_DWORD_ADDR     0x87
#define RS_WORD_ADDR      0x88
#define RS_QWORD_ADDR     0x8a

#define RS_TYPE_MEMORY 0
#define RS_TYPE_IO     1
#define RS_TYPE_BUS    2

static void fail(struct aml_buf *b, int err)
{
	if (!b->err)
		b->err = err;
}

void aml_init(struct aml_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void aml_free(struct aml_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int aml_finish(struct aml_buf *b)
{
	if (!b->err && b->depth)
		fail(b, -EINVAL); /* unbalanced *_begin() / aml_end() */
	return b->err;
}

static bool reserve(struct aml_buf *b, size_t n)
{
	if (b->err)
		return false;
	if (n > SIZE_MAX - b->len) {
		fail(b, -E2BIG);
		return false;
	}
	if (b->len + n <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n) {
		if (cap > SIZE_MAX / 2) {
			fail(b, -E2BIG);
			return false;
		}
		cap *= 2;
	}
	uint8_t *p = realloc(b->data, cap);
	if (!p) {
		fail(b, -ENOMEM);
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void aml_bytes(struct aml_buf *b, const void *p, size_t n)
{
	if (!n || !reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void aml_byte(struct aml_buf *b, uint8_t v)
{
	aml_bytes(b, &v, 1);
}

static void le16(struct aml_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	aml_bytes(b, x, sizeof(x));
}

static void le32(struct aml_buf *b, uint32_t v)
{
	le16(b, (uint16_t)v);
	le16(b, (uint16_t)(v >> 16));
}

static void le64(struct aml_buf *b, uint64_t v)
{
	le32(b, (uint32_t)v);
	le32(b, (uint32_t)(v >> 32));
}

/* ---- PkgLength and open objects ----------------------------------------- */

unsigned aml_encode_pkglen(size_t body_len, uint8_t out[4])
{
	/* One byte holds 0..63; n > 1 bytes hold 4 + 8*(n-1) bits. The
	 * encoded length includes the PkgLength bytes themselves. */
	if (body_len + 1 <= 0x3f) {
		out[0] = (uint8_t)(body_len + 1);
		return 1;
	}
	for (unsigned n = 2; n <= 4; n++) {
		size_t total = body_len + n;
		if (total < ((size_t)1 << (4 + 8 * (n - 1)))) {
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
			for (unsigned i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

static void open_frame(struct aml_buf *b, enum aml_frame_kind kind)
{
	if (b->err)
		return;
	if (b->depth >= AML_MAX_DEPTH) {
		fail(b, -E2BIG);
		return;
	}
	b->frames[b->depth].start = b->len;
	b->frames[b->depth].kind = kind;
	b->depth++;
}

/* Shortest integer encoding into out (used for BufferSize); returns bytes. */
static unsigned encode_integer(uint64_t v, uint8_t out[9])
{
	unsigned n;

	if (v == 0) {
		out[0] = AML_ZERO_OP;
		return 1;
	}
	if (v == 1) {
		out[0] = AML_ONE_OP;
		return 1;
	}
	if (v == UINT64_MAX) {
		out[0] = AML_ONES_OP;
		return 1;
	}
	if (v <= UINT8_MAX) {
		out[0] = AML_BYTE_PREFIX;
		n = 1;
	} else if (v <= UINT16_MAX) {
		out[0] = AML_WORD_PREFIX;
		n = 2;
	} else if (v <= UINT32_MAX) {
		out[0] = AML_DWORD_PREFIX;
		n = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		n = 8;
	}
	for (unsigned i = 0; i < n; i++)
		out[1 + i] = (uint8_t)(v >> (8 * i));
	return n + 1;
}

void aml_end(struct aml_buf *b)
{
	if (b->err)
		return;
	if (!b->depth) {
		fail(b, -EINVAL);
		return;
	}
	struct aml_frame *f = &b->frames[b->depth - 1];

	if (f->kind == AML_FRAME_RESOURCE) {
		/* EndTag; checksum 0 means "treat as checksummed". */
		uint8_t end[2] = { RS_END_TAG, 0 };
		aml_bytes(b, end, sizeof(end));
		if (b->err)
			return;
	}

	/* Bytes to insert at f->start: PkgLength [+ BufferSize]. */
	uint8_t ins[4 + 9];
	unsigned nsize = 0;
	size_t body = b->len - f->start;
	if (f->kind != AML_FRAME_PKG)
		nsize = encode_integer(body, ins + 4);
	unsigned npl = aml_encode_pkglen(body + nsize, ins);
	if (!npl) {
		fail(b, -E2BIG);
		return;
	}
	if (nsize)
		memmove(ins + npl, ins + 4, nsize);
	unsigned nins = npl + nsize;

	if (!reserve(b, nins))
		return;
	memmove(b->data + f->start + nins, b->data + f->start, body);
	memcpy(b->data + f->start, ins, nins);
	b->len += nins;
	b->depth--;
}

/* ---- data objects ------------------------------------------------------- */

void aml_integer(struct aml_buf *b, uint64_t v)
{
	uint8_t x[9];
	aml_bytes(b, x, encode_integer(v, x));
}

void aml_byte_const(struct aml_buf *b, uint8_t v)
{
	aml_byte(b, AML_BYTE_PREFIX);
	aml_byte(b, v);
}

void aml_word_const(struct aml_buf *b, uint16_t v)
{
	aml_byte(b, AML_WORD_PREFIX);
	le16(b, v);
}

void aml_dword_const(struct aml_buf *b, uint32_t v)
{
	aml_byte(b, AML_DWORD_PREFIX);
	le32(b, v);
}

void aml_qword_const(struct aml_buf *b, uint64_t v)
{
	aml_byte(b, AML_QWORD_PREFIX);
	le64(b, v);
}

void aml_string(struct aml_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p > 0x7f) {
			fail(b, -EINVAL);
			return;
		}
	}
	aml_byte(b, AML_STRING_PREFIX);
	aml_bytes(b, s, strlen(s) + 1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void aml_eisaid(struct aml_buf *b, const char *id)
{
	if (strlen(id) != 7) {
		fail(b, -EINVAL);
		return;
	}
	uint32_t v = 0;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			fail(b, -EINVAL);
			return;
		}
		v = (v << 5) | (uint32_t)(id[i] - 0x40);
	}
	for (int i = 3; i < 7; i++) {
		int h = hexval(id[i]);
		if (h < 0) {
			fail(b, -EINVAL);
			return;
		}
		v = (v << 4) | (uint32_t)h;
	}
	/* The 32-bit compressed ID is stored big-endian (byte-swapped). */
	aml_dword_const(b, __builtin_bswap32(v));
}

void aml_buffer(struct aml_buf *b, const void *p, size_t n)
{
	aml_byte(b, AML_BUFFER_OP);
	open_frame(b, AML_FRAME_BUFFER);
	aml_bytes(b, p, n);
	aml_end(b);
}

void aml_package_begin(struct aml_buf *b, uint8_t nr_elements)
{
	aml_byte(b, AML_PACKAGE_OP);
	open_frame(b, AML_FRAME_PKG);
	aml_byte(b, nr_elements);
}

/* ---- names -------------------------------------------------------------- */

static bool lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_char(c) || (c >= '0' && c <= '9');
}

void aml_namestring(struct aml_buf *b, const char *path)
{
	const char *p = path;
	uint8_t segs[255][4];
	unsigned nsegs = 0;

	if (*p == '\\') {
		aml_byte(b, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == '^') {
			aml_byte(b, AML_PARENT_CHAR);
			p++;
		}
	}
	while (*p) {
		unsigned n = 0;
		if (nsegs == sizeof(segs) / sizeof(segs[0]) || !lead_char(*p)) {
			fail(b, -EINVAL);
			return;
		}
		while (*p && *p != '.') {
			if (n == 4 || !name_char(*p)) {
				fail(b, -EINVAL);
				return;
			}
			segs[nsegs][n++] = (uint8_t)*p++;
		}
		while (n < 4)
			segs[nsegs][n++] = '_';
		nsegs++;
		if (*p == '.') {
			p++;
			if (!*p) {
				fail(b, -EINVAL);
				return;
			}
		}
	}
	if (nsegs == 0) {
		aml_byte(b, 0x00); /* NullName */
		return;
	}
	if (nsegs == 2) {
		aml_byte(b, AML_DUAL_NAME);
	} else if (nsegs > 2) {
		aml_byte(b, AML_MULTI_NAME);
		aml_byte(b, (uint8_t)nsegs);
	}
	aml_bytes(b, segs, 4 * (size_t)nsegs);
}

void aml_name(struct aml_buf *b, const char *path)
{
	aml_byte(b, AML_NAME_OP);
	aml_namestring(b, path);
}

void aml_scope_begin(struct aml_buf *b, const char *path)
{
	aml_byte(b, AML_SCOPE_OP);
	open_frame(b, AML_FRAME_PKG);
	aml_namestring(b, path);
}

void aml_device_begin(struct aml_buf *b, const char *path)
{
	aml_byte(b, AML_EXT_OP);
	aml_byte(b, AML_DEVICE_OP);
	open_frame(b, AML_FRAME_PKG);
	aml_namestring(b, path);
}

void aml_method_begin(struct aml_buf *b, const char *path, unsigned nargs, bool serialized,
		      unsigned sync_level)
{
	if (nargs > 7 || sync_level > 15) {
		fail(b, -EINVAL);
		return;
	}
	aml_byte(b, AML_METHOD_OP);
	open_frame(b, AML_FRAME_PKG);
	aml_namestring(b, path);
	aml_byte(b, (uint8_t)(nargs | (serialized ? 0x08 : 0) | (sync_level << 4)));
}

void aml_return(struct aml_buf *b)
{
	aml_byte(b, AML_RETURN_OP);
}

/* ---- operation regions, fields, method bodies ------------------------------ */

void aml_op_region(struct aml_buf *b, const char *name, enum aml_region_space space,
		   uint64_t offset, uint64_t length)
{
	aml_byte(b, AML_EXT_OP);
	aml_byte(b, AML_OP_REGION_OP);
	aml_namestring(b, name);
	aml_byte(b, (uint8_t)space);
	aml_integer(b, offset);
	aml_integer(b, length);
}

void aml_field_dword(struct aml_buf *b, const char *region, const char *name, unsigned bits)
{
	if (bits == 0 || bits > 4095 || strlen(name) != 4 || strchr(name, '.')) {
		fail(b, -EINVAL);
		return;
	}
	aml_byte(b, AML_EXT_OP);
	aml_byte(b, AML_FIELD_OP);
	open_frame(b, AML_FRAME_PKG);
	aml_namestring(b, region);
	aml_byte(b, 0x03 | 0x40); /* DWordAcc, NoLock, WriteAsZeros */
	aml_namestring(b, name);
	/* The unit's bit length is a PkgLength-style value (not counting itself). */
	if (bits < 0x40) {
		aml_byte(b, (uint8_t)bits);
	} else {
		aml_byte(b, (uint8_t)(0x40 | (bits & 0x0f)));
		aml_byte(b, (uint8_t)(bits >> 4));
	}
	aml_end(b);
}

void aml_if_begin(struct aml_buf *b)
{
	aml_byte(b, AML_IF_OP);
	open_frame(b, AML_FRAME_PKG);
}

void aml_lequal(struct aml_buf *b)
{
	aml_byte(b, AML_LEQUAL_OP);
}

void aml_notify(struct aml_buf *b)
{
	aml_byte(b, AML_NOTIFY_OP);
}

void aml_and(struct aml_buf *b)
{
	aml_byte(b, AML_AND_OP);
}

void aml_store(struct aml_buf *b)
{
	aml_byte(b, AML_STORE_OP);
}

void aml_local(struct aml_buf *b, unsigned n)
{
	if (n > 7)
		fail(b, -EINVAL);
	else
		aml_byte(b, (uint8_t)(AML_LOCAL0_OP + n));
}

void aml_arg(struct aml_buf *b, unsigned n)
{
	if (n > 6)
		fail(b, -EINVAL);
	else
		aml_byte(b, (uint8_t)(AML_ARG0_OP + n));
}

/* ---- resource descriptors ----------------------------------------------- */

void aml_resource_begin(struct aml_buf *b)
{
	aml_byte(b, AML_BUFFER_OP);
	open_frame(b, AML_FRAME_RESOURCE);
}

static bool in_resource(struct aml_buf *b)
{
	if (b->err)
		return false;
	if (!b->depth || b->frames[b->depth - 1].kind != AML_FRAME_RESOURCE) {
		fail(b, -EINVAL);
		return false;
	}
	return true;
}

void aml_rs_io(struct aml_buf *b, bool decode16, uint16_t min, uint16_t max, uint8_t align,
	       uint8_t length)
{
	if (!in_resource(b))
		return;
	aml_byte(b, RS_IO);
	aml_byte(b, decode16 ? 1 : 0);
	le16(b, min);
	le16(b, max);
	aml_byte(b, align);
	aml_byte(b, length);
}

void aml_rs_irq_noflags(struct aml_buf *b, uint16_t irq_mask)
{
	if (!in_resource(b))
		return;
	aml_byte(b, RS_IRQ_NOFLAGS);
	le16(b, irq_mask);
}

void aml_rs_interrupt(struct aml_buf *b, bool consumer, bool level, bool active_low, bool shared,
		      uint32_t gsi)
{
	if (!in_resource(b))
		return;
	aml_byte(b, RS_EXT_IRQ);
	le16(b, 6);
	aml_byte(b, (uint8_t)((consumer ? 1 : 0) | (level ? 0 : 2) | (active_low ? 4 : 0) |
			      (shared ? 8 : 0)));
	aml_byte(b, 1);
	le32(b, gsi);
}

void aml_rs_memory32_fixed(struct aml_buf *b, bool read_write, uint32_t base, uint32_t length)
{
	if (!in_resource(b))
		return;
	aml_byte(b, RS_MEMORY32_FIXED);
	le16(b, 9);
	aml_byte(b, read_write ? 1 : 0);
	le32(b, base);
	le32(b, length);
}

static uint8_t general_flags(const struct aml_rs_addr *a)
{
	return (uint8_t)((a->producer ? 0 : 1) | (a->subtractive ? 2 : 0) | (a->min_fixed ? 4 : 0) |
			 (a->max_fixed ? 8 : 0));
}

/* Word (16-bit), DWord (32-bit) or QWord (64-bit) address space descriptor. */
static void addr_desc(struct aml_buf *b, const struct aml_rs_addr *a, unsigned width,
		      uint8_t type, uint8_t type_flags)
{
	if (!in_resource(b))
		return;
	uint64_t limit = width == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1;
	const uint64_t v[5] = { a->granularity, a->min, a->max, a->translation, a->length };
	for (int i = 0; i < 5; i++) {
		if (v[i] > limit) {
			fail(b, -EINVAL);
			return;
		}
	}
	uint8_t tag = width == 2 ? RS_WORD_ADDR : width == 4 ? RS_DWORD_ADDR : RS_QWORD_ADDR;
	aml_byte(b, tag);
	le16(b, (uint16_t)(3 + 5 * width));
	aml_byte(b, type);
	aml_byte(b, general_flags(a));
	aml_byte(b, type_flags);
	for (int i = 0; i < 5; i++) {
		if (width == 2)
			le16(b, (uint16_t)v[i]);
		else if (width == 4)
			le32(b, (uint32_t)v[i]);
		else
			le64(b, v[i]);
	}
}

static uint8_t mem_flags(enum aml_rs_cache cache, bool read_write)
{
	return (uint8_t)(((unsigned)cache & 3) << 1 | (read_write ? 1 : 0));
}

void aml_rs_qword_memory(struct aml_buf *b, const struct aml_rs_addr *a, enum aml_rs_cache cache,
			 bool read_write)
{
	addr_desc(b, a, 8, RS_TYPE_MEMORY, mem_flags(cache, read_write));
}

void aml_rs_dword_memory(struct aml_buf *b, const struct aml_rs_addr *a, enum aml_rs_cache cache,
			 bool read_write)
{
	addr_desc(b, a, 4, RS_TYPE_MEMORY, mem_flags(cache, read_write));
}

void aml_rs_word_io(struct aml_buf *b, const struct aml_rs_addr *a)
{
	addr_desc(b, a, 2, RS_TYPE_IO, 3 /* EntireRange */);
}

void aml_rs_dword_io(struct aml_buf *b, const struct aml_rs_addr *a)
{
	addr_desc(b, a, 4, RS_TYPE_IO, 3 /* EntireRange */);
}

void aml_rs_word_bus_number(struct aml_buf *b, const struct aml_rs_addr *a)
{
	addr_desc(b, a, 2, RS_TYPE_BUS, 0);
}
