/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the vVT-d model (iommu/vtd*.c): what the register/queue model
 * and the table walker share. docs/vvtd.md describes the model.
 */
#ifndef SKIFF_VTD_PRIV_H
#define SKIFF_VTD_PRIV_H

#include <pthread.h>

#include "iommu.h"

/* ---- the guest's tables (vtd_tables.c): pure functions over guest RAM ----
 *
 * Scalable mode only (RTADDR_REG.TTM = 01b): root table -> scalable-mode
 * context entries (lower/upper halves) -> PASID directory -> PASID table
 * (512-bit entries) -> first-stage page tables (4 or 5 levels). Every
 * table read is bounds-checked through gmem_read(); any entry the guest
 * got wrong is a fault reason code (VT-d spec 7.1.3), never a crash.
 */

/* One first-stage leaf: the page holding the looked-up address. */
struct vtd_leaf {
	uint64_t iova;      /* page-aligned start */
	gpa_t gpa;          /* where it lands */
	uint64_t size;      /* 4 KiB, 2 MiB or 1 GiB */
	bool writable;
};

/*
 * How rid translates with the tables rooted at rtaddr (the RTADDR_REG
 * value), translation enabled or not, for requests without PASID
 * (RID_PASID 0 in the context entry... as the context entry's RID_PASID
 * field says).
 */
void vtd_tables_device_state(const struct gmem *mem, uint64_t rtaddr, bool translation_enabled, uint16_t rid,
			     struct vtd_dev_state *st);
/*
 * Look up iova for a read or write in a FIRST_STAGE state: 0 and *leaf,
 * or a positive fault reason (not present, write to read-only, table
 * outside RAM, reserved bits set). Other modes: OFF and PASSTHROUGH map
 * iova to itself (a 4 KiB leaf ... up to the end of the address space),
 * BLOCKED returns st->fault_reason.
 */
int vtd_tables_lookup(const struct gmem *mem, const struct vtd_dev_state *st, uint64_t iova, bool write,
		      struct vtd_leaf *leaf);
/* vtd_walk() over the tables, without the unit (same contract). */
int vtd_tables_walk(const struct gmem *mem, const struct vtd_dev_state *st, uint64_t iova, uint64_t len,
		    int (*fn)(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable), void *opaque);

/* ---- the unit (vtd.c registers and faults, vtd_qi.c the queue, vtd_iotlb.c caches) ----
 *
 * Register offsets and fields (VT-d spec chapter 11). Only what the model
 * offers; every other offset of the 4 KiB page reads 0 and ignores writes.
 */

#define VTD_VER_REG     0x00u
#define VTD_CAP_REG     0x08u
#define VTD_ECAP_REG    0x10u
#define VTD_GCMD_REG    0x18u   /* 32-bit, write-only (reads 0) */
#define VTD_GSTS_REG    0x1cu   /* 32-bit, read-only */
#define VTD_RTADDR_REG  0x20u
#define VTD_CCMD_REG    0x28u
#define VTD_FSTS_REG    0x34u
#define VTD_FECTL_REG   0x38u
#define VTD_FEDATA_REG  0x3cu
#define VTD_FEADDR_REG  0x40u
#define VTD_FEUADDR_REG 0x44u
#define VTD_IQH_REG     0x80u
#define VTD_IQT_REG     0x88u
#define VTD_IQA_REG     0x90u
#define VTD_ICS_REG     0x9cu
#define VTD_IECTL_REG   0xa0u
#define VTD_IEDATA_REG  0xa4u
#define VTD_IEADDR_REG  0xa8u
#define VTD_IEUADDR_REG 0xacu
#define VTD_IQER_REG    0xb0u
#define VTD_IVA_REG     0x200u  /* ECAP.IRO * 16; IOTLB_REG follows */
#define VTD_IOTLB_REG   0x208u
#define VTD_FRCD_REG    0x220u  /* CAP.FRO * 16; VTD_NFR records of 16 bytes */
#define VTD_NFR         8u

#define VTD_VERSION     0x30u
#define VTD_MAMV        18u     /* page-selective invalidation of up to 2^18 pages */   /* 3.0: the first version with scalable mode */

#define VTD_GCMD_TE     (1u << 31)
#define VTD_GCMD_SRTP   (1u << 30)
#define VTD_GCMD_QIE    (1u << 26)
#define VTD_GCMD_WBF    (1u << 27)
#define VTD_GSTS_TES    (1u << 31)
#define VTD_GSTS_RTPS   (1u << 30)
#define VTD_GSTS_QIES   (1u << 26)
#define VTD_GSTS_WBFS   (1u << 27)

#define VTD_FSTS_PFO    (1u << 0)
#define VTD_FSTS_PPF    (1u << 1)
#define VTD_FSTS_IQE    (1u << 4)
#define VTD_FSTS_ICE    (1u << 5)
#define VTD_FSTS_ITE    (1u << 6)
#define VTD_FSTS_FRI_SHIFT 8
/* Any of these pending: no new fault event, FECTL.IP stays until all are cleared. */
#define VTD_FSTS_EVENTS (VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)
#define VTD_CTL_IM      (1u << 31)  /* FECTL, IECTL: interrupt mask */
#define VTD_CTL_IP      (1u << 30)  /* FECTL, IECTL: interrupt pending */
#define VTD_ICS_IWC     (1u << 0)

#define VTD_IQA_DW      (1ull << 11)
#define VTD_IQA_QS      0x7ull
#define VTD_IQT_QT      0x7fff0ull  /* bits 18:4: byte offset into the queue */

#define VTD_CCMD_ICC    (1ull << 63)
#define VTD_IOTLB_IVT   (1ull << 63)

/* Fault recording register, high quadword. */
#define VTD_FRCD_F      (1ull << 63)
#define VTD_FRCD_T_READ (1ull << 62)
#define VTD_FRCD_FR_SHIFT 32

/* Invalidation descriptor types (qw0 bits 3:0). */
enum {
	VTD_DESC_CC = 1,        /* context-cache */
	VTD_DESC_IOTLB = 2,
	VTD_DESC_DEVTLB = 3,
	VTD_DESC_IEC = 4,       /* interrupt entry cache */
	VTD_DESC_WAIT = 5,
	VTD_DESC_PIOTLB = 6,    /* PASID-based IOTLB */
	VTD_DESC_PC = 7,        /* PASID-cache */
	VTD_DESC_PDEVTLB = 8,   /* PASID-based device-TLB */
};

/* A function mask (FM, context-cache invalidation): the requester-ID bits it ignores. */
static inline uint16_t vtd_fm_mask(uint64_t fm)
{
	static const uint16_t m[4] = { 0, 0x4, 0x6, 0x7 };

	return m[fm & 3];
}

/* IOTLB: direct-mapped, tagged with the domain (as the hardware's is). */
#define VTD_TLB_SLOTS 1024u
/* Device-state cache (the context and PASID caches), by requester ID. */
#define VTD_DEVC_SLOTS 64u

struct vtd_tlb_entry {
	uint64_t iova;          /* leaf start, aligned to 1 << shift */
	gpa_t gpa;
	uint16_t did;
	uint8_t shift;          /* 12, 21 or 30; 0: empty */
	bool writable;
};

struct vtd_devc_entry {
	bool valid;
	uint16_t rid;
	struct vtd_dev_state st;
};

/* iotlb_invalidate() calls between two flushes whose descriptor is remembered (more: logged only). */
#define VTD_TOLD_MAX 256u
#define VTD_TOLD_NONE UINT64_MAX

/* Work register writes leave for the drain thread's backend (struct vtd.pending). */
#define VTD_PEND_CONTEXT 1u     /* context_changed(-1): TE, SRTP, CCMD */
#define VTD_PEND_IOTLB   2u     /* iotlb_invalidate(-1, 0, 0): IOTLB_REG */
#define VTD_PEND_WBF     4u     /* the same for GCMD.WBF; GSTS.WBFS clears after the flush */

struct vtd {
	pthread_mutex_t lock;        /* everything below but the drain-only fields */
	pthread_cond_t wbf_done;     /* broadcast when the drain clears GSTS.WBFS */
	unsigned wbf_wait_ms;        /* vtd_params.wbf_wait_ms */
	char name[16];               /* "vvtd0" */
	struct vtd_env env;
	const struct vtd_backend_ops *backend;
	unsigned addr_width;
	uint8_t bus;
	bool nested;                 /* vtd_params.nested, host_cap, host_ecap */
	uint64_t host_cap, host_ecap;
	int kick_fd;

	/* registers */
	uint64_t cap, ecap;
	uint32_t gsts;
	uint64_t rtaddr;             /* RTADDR_REG as written */
	uint64_t rta_active;         /* latched by GCMD.SRTP: the tables in use */
	uint64_t ccmd;
	uint32_t fsts, fectl, fedata, feaddr, feuaddr;
	uint64_t iqh, iqt, iqa;      /* head and tail: byte offsets into the queue */
	uint32_t ics, iectl, iedata, ieaddr, ieuaddr;
	uint64_t iva, iotlb;
	uint64_t frcd[VTD_NFR][2];
	unsigned frcd_next;          /* the record the next fault goes to */

	/* the queue as latched by GCMD.QIE */
	gpa_t iq_base;
	uint64_t iq_size;            /* bytes */
	unsigned iq_dsz;             /* descriptor bytes: 16 or 32 */
	unsigned iq_gen;             /* bumped when the queue is enabled or disabled */
	unsigned pending;            /* VTD_PEND_* */
	bool draining;               /* a vtd_drain() is running */
	bool drain_again;            /* ... and another was asked for meanwhile */

	/* drain thread only */
	bool unflushed;              /* the backend was told something since its last flush() */
	/*
	 * Where each iotlb_invalidate() since the last flush came from (IQH
	 * of its descriptor, VTD_TOLD_NONE for a register write), so that a
	 * host failure the backend names (vtd_backend_failed) becomes an IQE
	 * at that descriptor; failed_nth is that call, -1: none.
	 */
	uint64_t told_pos[VTD_TOLD_MAX];
	unsigned nr_told;
	unsigned told_gen;           /* iq_gen when they were told */
	int failed_nth;
	bool wbf_told;               /* a write-buffer flush was told: clear WBFS after the flush */
	bool flush_err_logged;

	struct vtd_tlb_entry tlb[VTD_TLB_SLOTS];
	struct vtd_devc_entry devc[VTD_DEVC_SLOTS];
	struct vtd_stats stats;
};

/* vtd.c, with the lock held */
void vtd_kick(struct vtd *v);
/* A primary fault for rid at iova: recorded, overflow, fault event (VT-d spec 7.2). */
void vtd_record_fault(struct vtd *v, uint16_t rid, uint64_t iova, bool write, uint8_t reason);
/* Set FSTS.IQE (the head stays at the bad descriptor) and raise the fault event. */
void vtd_raise_iqe(struct vtd *v);
/* An invalidation wait with IF: ICS.IWC and the completion event. */
void vtd_completion_event(struct vtd *v);

/* vtd_iotlb.c, with the lock held */
void vtd_tlb_flush_all(struct vtd *v);
/* did < 0: every domain; len 0: the whole address space. */
void vtd_tlb_flush(struct vtd *v, int did, uint64_t iova, uint64_t len);
void vtd_devc_flush_all(struct vtd *v);
/* Every rid equal to rid outside the bits of mask. */
void vtd_devc_flush_rid(struct vtd *v, uint16_t rid, uint16_t mask);

#endif
