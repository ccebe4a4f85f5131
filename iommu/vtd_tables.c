// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's VT-d translation tables, read from guest RAM (docs/vvtd.md,
 * "Tables"): scalable-mode root and context entries, the PASID directory
 * and table, and first-stage (x86-64 format) page tables.
 *
 * Pure functions: no state, no locks, no fault recording (the model does
 * that with the reason returned). Every table read is one gmem_read(), so
 * a pointer outside guest RAM is a fault reason, never an access outside
 * RAM. The walks have a fixed depth (4 or 5 levels), so a guest cannot
 * make them loop; a tree that aliases its own tables could still make a
 * range walk enormous, so a walk visits at most as many tables as guest
 * RAM has pages (a tree without aliasing never needs more) and ends with
 * -ELOOP beyond that.
 */
#include <errno.h>
#include <string.h>

#include "vtd-priv.h"

/* Fault reasons, scalable mode (VT-d spec 7.1.3). */
enum {
	FR_RTADDR = 0x30,          /* RTADDR_REG.TTM is not scalable mode */
	FR_ROOT_ACCESS = 0x38,     /* root entry outside RAM */
	FR_ROOT_NP = 0x39,
	FR_ROOT_RSVD = 0x3a,
	FR_CTX_ACCESS = 0x40,
	FR_CTX_NP = 0x41,
	FR_CTX_RSVD = 0x42,
	FR_CTX_RID_PASID = 0x48,   /* RID_PASID beyond the PASID directory (PDTS) */
	FR_PDE_ACCESS = 0x50,
	FR_PDE_NP = 0x51,
	FR_PDE_RSVD = 0x52,
	FR_PASID_ACCESS = 0x58,
	FR_PASID_NP = 0x59,
	FR_PASID_RSVD = 0x5a,
	FR_PASID_INVALID = 0x5b,   /* PGTT or FSPM the model does not offer */
	FR_FS_ACCESS = 0x70,       /* a first-stage entry below the top level outside RAM */
	FR_FS_NP = 0x71,
	FR_FS_RSVD = 0x72,
	FR_FS_TOP_ACCESS = 0x73,   /* the table FSPTPTR names outside RAM */
	FR_NON_CANONICAL = 0x80,
	FR_FS_US = 0x81,           /* U/S clear: requests without PASID are user requests */
	FR_WRITE = 0x85,
};

/*
 * Guest-physical addresses in the tables have at most 48 bits (the
 * model's host address width): skiff's guest RAM lies far below 256 TiB.
 * Bits 51:48 of an entry's address field are therefore reserved.
 */
#define HAW 48
#define ADDR_MASK (((1ULL << HAW) - 1) & ~0xfffULL)
#define ABOVE_HAW (~((1ULL << HAW) - 1))
#define PAGE_4K 4096ULL

#define RTADDR_TTM(v) (((v) >> 10) & 3)
#define TTM_SCALABLE 1

/* First-stage entry bits (x86-64 paging). */
#define FS_P (1ULL << 0)
#define FS_RW (1ULL << 1)
#define FS_US (1ULL << 2)
#define FS_PS (1ULL << 7)
/* Bits 51:HAW of a first-stage entry; 62:52 are ignored and 63 is XD (execute only). */
#define FS_ABOVE_HAW (((1ULL << 52) - 1) & ABOVE_HAW)

#define PGTT_FIRST_STAGE 1
#define PGTT_PASSTHROUGH 4

static void blocked(struct vtd_dev_state *st, uint8_t reason)
{
	memset(st, 0, sizeof(*st));
	st->mode = VTD_DEV_BLOCKED;
	st->fault_reason = reason;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int read_qwords(const struct gmem *mem, gpa_t gpa, uint64_t *q, unsigned n)
{
	uint8_t buf[64];

	if (gmem_read(mem, gpa, buf, n * 8u))
		return -EFAULT;
	for (unsigned i = 0; i < n; i++)
		q[i] = le64(buf + 8 * i);
	return 0;
}

/*
 * Root entry, then the scalable-mode context entry of rid: 0 and the
 * context entry's low and high qwords, or a fault reason.
 */
static int context_entry(const struct gmem *mem, uint64_t rtaddr, uint16_t rid, uint64_t ctx[2])
{
	unsigned devfn = rid & 0xff;
	uint64_t root[2], half, c[4];

	if (RTADDR_TTM(rtaddr) != TTM_SCALABLE)
		return FR_RTADDR;
	/* 256 root entries of 128 bits: the low half serves devfn 0-127, the high half 128-255. */
	if (read_qwords(mem, (rtaddr & ADDR_MASK) + (uint64_t)(rid >> 8) * 16, root, 2))
		return FR_ROOT_ACCESS;
	half = root[devfn >> 7];
	if (!(half & 1))
		return FR_ROOT_NP;
	if (half & (0xffeULL | ABOVE_HAW))
		return FR_ROOT_RSVD;
	/* 128 context entries of 256 bits per half. */
	if (read_qwords(mem, (half & ADDR_MASK) + (uint64_t)(devfn & 0x7f) * 32, c, 4))
		return FR_CTX_ACCESS;
	if (!(c[0] & 1))
		return FR_CTX_NP;
	/* Bits 8:5 and the address above HAW; 127:85 (RID_PASID is 83:64, RID_PRIV 84). */
	if ((c[0] & (0x1e0ULL | ABOVE_HAW)) || (c[1] & ~0x1fffffULL))
		return FR_CTX_RSVD;
	ctx[0] = c[0];
	ctx[1] = c[1];
	return 0;
}

/* The PASID-table entry of pasid under the context entry: 0 and its 8 qwords, or a fault reason. */
static int pasid_entry(const struct gmem *mem, const uint64_t ctx[2], uint32_t pasid, uint64_t pe[8])
{
	unsigned pdts = (ctx[0] >> 9) & 7;
	uint64_t dir_index = pasid >> 6, pde;

	/* The directory has 2^(PDTS + 7) entries, each naming a table of 64 PASID entries. */
	if (dir_index >= 1ULL << (pdts + 7))
		return FR_CTX_RID_PASID;
	if (read_qwords(mem, (ctx[0] & ADDR_MASK) + dir_index * 8, &pde, 1))
		return FR_PDE_ACCESS;
	if (!(pde & 1))
		return FR_PDE_NP;
	if (pde & (0xffcULL | ABOVE_HAW))
		return FR_PDE_RSVD;
	if (read_qwords(mem, (pde & ADDR_MASK) + (uint64_t)(pasid & 63) * 64, pe, 8))
		return FR_PASID_ACCESS;
	if (!(pe[0] & 1))
		return FR_PASID_NP;
	return 0;
}

/* Decode a present PASID entry into st: 0, or a fault reason. */
static int decode_pasid_entry(const uint64_t pe[8], struct vtd_dev_state *st)
{
	unsigned pgtt = (pe[0] >> 6) & 7, fspm = (pe[2] >> 2) & 3;

	memset(st, 0, sizeof(*st));
	st->did = (uint16_t)(pe[1] & 0xffff);
	if (pgtt == PGTT_PASSTHROUGH) {
		st->mode = VTD_DEV_PASSTHROUGH;
		return 0;
	}
	/* Second-stage (010b) and nested (011b) need second-stage tables the model does not offer. */
	if (pgtt != PGTT_FIRST_STAGE || fspm > 1)
		return FR_PASID_INVALID;
	if (pe[2] & ABOVE_HAW)
		return FR_PASID_RSVD;
	st->mode = VTD_DEV_FIRST_STAGE;
	st->fs_root = pe[2] & ADDR_MASK;
	st->levels = fspm ? 5 : 4;
	st->write_protect_ok = pe[2] & (1ULL << 4); /* WPE */
	return 0;
}

void vtd_tables_device_state(const struct gmem *mem, uint64_t rtaddr, bool translation_enabled, uint16_t rid,
			     struct vtd_dev_state *st)
{
	uint64_t ctx[2], pe[8];
	int fr;

	if (!translation_enabled) {
		memset(st, 0, sizeof(*st));
		st->mode = VTD_DEV_OFF;
		return;
	}
	fr = context_entry(mem, rtaddr, rid, ctx);
	if (!fr)
		fr = pasid_entry(mem, ctx, (uint32_t)(ctx[1] & 0xfffff), pe);
	if (!fr)
		fr = decode_pasid_entry(pe, st);
	if (fr)
		blocked(st, (uint8_t)fr);
}

/* ---- first-stage page tables -------------------------------------------- */

static unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static unsigned input_bits(const struct vtd_dev_state *st)
{
	return st->levels == 5 ? 57 : 48;
}

/* Reserved bits of a present first-stage entry at level (1: PTE ... 5: PML5E). */
static uint64_t fs_reserved(uint64_t e, unsigned level)
{
	if (level >= 4)
		return e & (FS_ABOVE_HAW | FS_PS);
	if (level == 3 && (e & FS_PS))
		return e & (FS_ABOVE_HAW | 0x3fffe000ULL); /* 1 GiB page: bits 29:13 (12 is PAT) */
	if (level == 2 && (e & FS_PS))
		return e & (FS_ABOVE_HAW | 0x1fe000ULL);   /* 2 MiB page: bits 20:13 */
	return e & FS_ABOVE_HAW;
}

static bool fs_is_leaf(uint64_t e, unsigned level)
{
	return level == 1 || (e & FS_PS);
}

/* Whether an entry the walk reads translates at all (what a lookup would not fault on). */
static bool fs_usable(uint64_t e, unsigned level)
{
	return (e & FS_P) && !fs_reserved(e, level) && (e & FS_US);
}

/* iova sign-extended from bit (bits - 1) equals iova. */
static bool canonical(uint64_t iova, unsigned bits)
{
	uint64_t upper = iova >> (bits - 1);

	return upper == 0 || upper == UINT64_MAX >> (bits - 1);
}

static int fs_lookup(const struct gmem *mem, const struct vtd_dev_state *st, uint64_t iova, bool write,
		     struct vtd_leaf *leaf)
{
	gpa_t table = st->fs_root & ADDR_MASK;
	bool writable = true;
	uint64_t e = 0;
	unsigned level;

	if (!canonical(iova, input_bits(st)))
		return FR_NON_CANONICAL;
	for (level = st->levels; level >= 1; level--) {
		uint64_t index = (iova >> level_shift(level)) & 511;

		if (read_qwords(mem, table + index * 8, &e, 1))
			return level == st->levels ? FR_FS_TOP_ACCESS : FR_FS_ACCESS;
		if (!(e & FS_P))
			return FR_FS_NP;
		if (fs_reserved(e, level))
			return FR_FS_RSVD;
		if (!(e & FS_US))
			return FR_FS_US;
		writable = writable && (e & FS_RW);
		if (fs_is_leaf(e, level))
			break;
		table = e & ADDR_MASK;
	}
	if (write && !writable)
		return FR_WRITE;
	leaf->size = 1ULL << level_shift(level);
	leaf->iova = iova & ~(leaf->size - 1);
	leaf->gpa = e & ADDR_MASK & ~(leaf->size - 1);
	leaf->writable = writable;
	return 0;
}

int vtd_tables_lookup(const struct gmem *mem, const struct vtd_dev_state *st, uint64_t iova, bool write,
		      struct vtd_leaf *leaf)
{
	switch (st->mode) {
	case VTD_DEV_OFF:
	case VTD_DEV_PASSTHROUGH:
		leaf->iova = iova & ~(PAGE_4K - 1);
		leaf->gpa = leaf->iova;
		leaf->size = PAGE_4K;
		leaf->writable = true;
		return 0;
	case VTD_DEV_FIRST_STAGE:
		if (st->levels != 4 && st->levels != 5)
			return FR_PASID_INVALID;
		return fs_lookup(mem, st, iova, write, leaf);
	case VTD_DEV_BLOCKED:
	default:
		return st->fault_reason ? st->fault_reason : FR_PASID_INVALID;
	}
}

/* ---- range walk ----------------------------------------------------------- */

struct walker {
	const struct gmem *mem;
	int (*fn)(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable);
	void *opaque;
	unsigned bits;           /* input address width: 48 or 57 */
	uint64_t tables_left;    /* the aliasing bound (top of the file) */
};

/* A table address (bits - 1 .. 0) as the canonical IOVA it translates. */
static uint64_t sign_extend(uint64_t a, unsigned bits)
{
	return a & (1ULL << (bits - 1)) ? a | ~((1ULL << bits) - 1) : a;
}

/*
 * The entries of the table at level that cover [first, last] (table
 * addresses, inside the table's span), in order: leaves reported clipped,
 * lower tables entered with the range clipped to their span.
 */
static int walk_table(struct walker *w, gpa_t table, unsigned level, uint64_t first, uint64_t last,
		      bool writable)
{
	unsigned shift = level_shift(level);
	unsigned i = (first >> shift) & 511, end = (last >> shift) & 511;
	uint64_t span_mask = (1ULL << shift) - 1;
	uint64_t base = first & ~((1ULL << (shift + 9)) - 1); /* the table's first address */
	uint8_t chunk[64 * 8];

	if (w->tables_left == 0)
		return -ELOOP;
	w->tables_left--;
	while (i <= end) {
		unsigned n = end - i + 1 < 64 ? end - i + 1 : 64;

		if (gmem_read(w->mem, table + (uint64_t)i * 8, chunk, n * 8u))
			return -EFAULT;
		for (unsigned k = 0; k < n; k++, i++) {
			uint64_t e = le64(chunk + 8 * k);
			uint64_t start = base | (uint64_t)i << shift;
			uint64_t s = start > first ? start : first;
			uint64_t l = start + span_mask < last ? start + span_mask : last;
			bool wr = writable && (e & FS_RW);
			int r;

			if (!fs_usable(e, level))
				continue;
			if (fs_is_leaf(e, level))
				r = w->fn(w->opaque, sign_extend(s, w->bits),
					  (e & ADDR_MASK & ~span_mask) + (s - start), l - s + 1, wr);
			else
				r = walk_table(w, e & ADDR_MASK, level - 1, s, l, wr);
			if (r)
				return r;
		}
	}
	return 0;
}

int vtd_tables_walk(const struct gmem *mem, const struct vtd_dev_state *st, uint64_t iova, uint64_t len,
		    int (*fn)(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable), void *opaque)
{
	struct walker w = { .mem = mem, .fn = fn, .opaque = opaque };
	uint64_t last, half, mask;
	int r = 0;

	if (st->mode == VTD_DEV_BLOCKED)
		return 0;
	/* Identity has no leaves to list; the caller handles OFF and PASSTHROUGH itself. */
	if (st->mode != VTD_DEV_FIRST_STAGE || (st->levels != 4 && st->levels != 5))
		return -EINVAL;
	if (len == 0)
		return 0;
	last = iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;
	w.bits = input_bits(st);
	w.tables_left = mem->size / PAGE_4K;
	half = 1ULL << (w.bits - 1);
	mask = (1ULL << w.bits) - 1;
	/* Canonical IOVAs: the low half [0, half), then the high half [2^64 - half, 2^64). */
	if (iova < half)
		r = walk_table(&w, st->fs_root & ADDR_MASK, st->levels, iova, last < half ? last : half - 1, true);
	if (!r && last >= 0 - half)
		r = walk_table(&w, st->fs_root & ADDR_MASK, st->levels, (iova > 0 - half ? iova : 0 - half) & mask,
			       last & mask, true);
	return r;
}
