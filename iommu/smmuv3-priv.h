/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the vSMMUv3 model (iommu/smmuv3*.c): register layout, the unit's
 * state, and what the register model (smmuv3.c), the command queue
 * (smmuv3_cmdq.c) and the table decoder (smmuv3_tables.c) share.
 * docs/vsmmuv3.md describes the model.
 */
#ifndef SKIFF_SMMUV3_PRIV_H
#define SKIFF_SMMUV3_PRIV_H

#include <pthread.h>

#include "iommu.h"

#define SMMU_BIT(n) (1ull << (n))
#define SMMU_MASK(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))
#define SMMU_FIELD(v, hi, lo) (((v) & SMMU_MASK(hi, lo)) >> (lo))

/* Register page 0 (page 1 holds EVENTQ_PROD/CONS at the same offsets + 64 KiB). */
enum {
	SMMU_IDR0 = 0x00, SMMU_IDR1 = 0x04, SMMU_IDR2 = 0x08, SMMU_IDR3 = 0x0c,
	SMMU_IDR4 = 0x10, SMMU_IDR5 = 0x14, SMMU_IIDR = 0x18, SMMU_AIDR = 0x1c,
	SMMU_CR0 = 0x20, SMMU_CR0ACK = 0x24, SMMU_CR1 = 0x28, SMMU_CR2 = 0x2c,
	SMMU_STATUSR = 0x40, SMMU_GBPA = 0x44, SMMU_AGBPA = 0x48,
	SMMU_IRQ_CTRL = 0x50, SMMU_IRQ_CTRLACK = 0x54,
	SMMU_GERROR = 0x60, SMMU_GERRORN = 0x64,
	SMMU_GERROR_IRQ_CFG0 = 0x68, SMMU_GERROR_IRQ_CFG1 = 0x70, SMMU_GERROR_IRQ_CFG2 = 0x74,
	SMMU_STRTAB_BASE = 0x80, SMMU_STRTAB_BASE_CFG = 0x88,
	SMMU_CMDQ_BASE = 0x90, SMMU_CMDQ_PROD = 0x98, SMMU_CMDQ_CONS = 0x9c,
	SMMU_EVENTQ_BASE = 0xa0, SMMU_EVENTQ_PROD = 0xa8, SMMU_EVENTQ_CONS = 0xac,
	SMMU_EVENTQ_IRQ_CFG0 = 0xb0, SMMU_EVENTQ_IRQ_CFG1 = 0xb8, SMMU_EVENTQ_IRQ_CFG2 = 0xbc,
};

/* IDR fields the model offers. */
#define IDR0_S1P SMMU_BIT(1)
#define IDR0_TTF_AARCH64 (2u << 2)
#define IDR0_COHACC SMMU_BIT(4)
#define IDR0_ATS SMMU_BIT(10)
#define IDR0_ASID16 SMMU_BIT(12)
#define IDR0_MSI SMMU_BIT(13)
#define IDR0_CD2L SMMU_BIT(19)
#define IDR0_TTENDIAN_LE (2u << 21)
#define IDR0_STALL_TERM_ONLY (1u << 24)
#define IDR0_ST_LVL_2LVL (1u << 27)
#define SMMU_SID_BITS 16u
#define SMMU_QUEUE_MAX_SHIFT 19u      /* IDR1.CMDQS and EVENTQS */
#define IDR5_OAS_48 5u
#define IDR5_GRAN4K SMMU_BIT(4)
#define IDR5_GRAN64K SMMU_BIT(6)
#define SMMU_OAS_MASK SMMU_MASK(47, 0)
#define SMMU_AIDR_V3_0 0u

#define CR0_SMMUEN SMMU_BIT(0)
#define CR0_EVENTQEN SMMU_BIT(2)
#define CR0_CMDQEN SMMU_BIT(3)
#define CR0_ATSCHK SMMU_BIT(4)
#define CR1_MASK 0xfffu
#define CR2_MASK 0x6u                 /* RECINVSID, PTM (E2H needs IDR0.HYP) */
#define GBPA_UPDATE SMMU_BIT(31)
#define GBPA_ABORT SMMU_BIT(20)
#define GBPA_MASK 0x0f103f1fu         /* INSTCFG PRIVCFG ABORT SHCFG ALLOCCFG MTCFG MEMATTR */
#define GBPA_RESET 0x00001000u        /* SHCFG = use incoming, no abort: bypass */
#define IRQ_CTRL_GERROR_IRQEN SMMU_BIT(0)
#define IRQ_CTRL_EVENTQ_IRQEN SMMU_BIT(2)
#define GERROR_CMDQ_ERR SMMU_BIT(0)
#define GERROR_EVTQ_ABT_ERR SMMU_BIT(2)
#define GERROR_MSI_CMDQ_ABT_ERR SMMU_BIT(4)
#define GERROR_MSI_EVTQ_ABT_ERR SMMU_BIT(5)
#define GERROR_MSI_GERROR_ABT_ERR SMMU_BIT(7)
#define GERROR_MASK 0xb5u
#define IRQ_CFG0_ADDR_MASK SMMU_MASK(47, 2)
#define IRQ_CFG2_MASK 0x3fu

#define STRTAB_BASE_MASK (SMMU_MASK(47, 6) | SMMU_BIT(62))
#define STRTAB_CFG_MASK (SMMU_MASK(17, 16) | SMMU_MASK(10, 6) | SMMU_MASK(5, 0))
#define Q_BASE_MASK (SMMU_MASK(47, 5) | SMMU_MASK(4, 0) | SMMU_BIT(62))
#define Q_IDX_MASK SMMU_MASK(19, 0)   /* RD/WR: index plus wrap bit */
#define CMDQ_CONS_ERR_SHIFT 24
#define EVENTQ_OVFLG SMMU_BIT(31)

/* Command opcodes (word 0 bits [7:0]). */
enum {
	CMD_PREFETCH_CONFIG = 0x01, CMD_PREFETCH_ADDR = 0x02, CMD_CFGI_STE = 0x03, CMD_CFGI_STE_RANGE = 0x04,
	CMD_CFGI_CD = 0x05, CMD_CFGI_CD_ALL = 0x06, CMD_TLBI_NH_ALL = 0x10, CMD_TLBI_NH_ASID = 0x11,
	CMD_TLBI_NH_VA = 0x12, CMD_TLBI_NH_VAA = 0x13, CMD_TLBI_NSNH_ALL = 0x30, CMD_ATC_INV = 0x40,
	CMD_SYNC = 0x46,
};
#define CMD_SSEC SMMU_BIT(10)
#define CMD_SYNC_CS_NONE 0u
#define CMD_SYNC_CS_IRQ 1u
#define CMD_SYNC_CS_SEV 2u

/* A queue's geometry from its BASE register. */
struct smmuv3_queue {
	uint64_t base;                /* the BASE register */
	uint32_t prod, cons;          /* PROD/CONS registers as last written (CONS: ERR too) */
};

/* What decoding needs, snapshotted under the lock. */
struct smmuv3_tabcfg {
	const struct gmem *mem;
	bool enabled;                 /* SMMUEN as applied */
	bool gbpa_abort;              /* GBPA.ABORT as applied */
	uint64_t strtab_base;
	uint32_t strtab_cfg;
	unsigned ssid_bits;
};

struct smmuv3_stream {
	uint32_t sid;
	bool known;                   /* last holds what the backend was told */
	struct smmuv3_ste last;
};

struct smmuv3 {
	char name[24];
	struct smmuv3_env env;
	struct smmuv3_params p;
	const struct smmuv3_backend_ops *backend;
	int kick_fd;
	pthread_mutex_t lock;         /* registers, stats */
	pthread_mutex_t drain_lock;   /* one drain at a time */

	/* registers */
	uint32_t idr[6];
	uint32_t cr0, cr0ack, cr1, cr2, gbpa, irq_ctrl, gerror, gerrorn;
	uint64_t gerror_irq_cfg0, eventq_irq_cfg0;
	uint32_t gerror_irq_cfg1, gerror_irq_cfg2, eventq_irq_cfg1, eventq_irq_cfg2;
	uint64_t strtab_base;
	uint32_t strtab_cfg;
	struct smmuv3_queue cmdq, eventq;

	/* SMMUEN/GBPA.ABORT as last applied to the backend's streams (drain thread) */
	bool applied_en, applied_abort;

	unsigned nr_streams;
	struct smmuv3_stream streams[SMMUV3_MAX_STREAMS];

	/* the drain's batch (under drain_lock) */
	struct smmuv3_cmd batch[SMMUV3_BATCH_MAX];
	uint32_t batch_pos[SMMUV3_BATCH_MAX];  /* queue index (with wrap) of each */
	unsigned nr_batch;
	bool warned_flush, warned_ste;

	struct smmuv3_stats stats;
};

/* ---- smmuv3.c: shared helpers ---- */
/* Deliver an MSI: a 32-bit write into guest RAM, else env->msi. addr 0: none. */
void smmuv3_send_msi(struct smmuv3 *s, uint64_t addr, uint32_t data);
/* Raise a global error (lock held); returns true if the GERROR MSI must be sent. */
bool smmuv3_raise_gerror_locked(struct smmuv3 *s, uint32_t bit);
void smmuv3_gerror_msi(struct smmuv3 *s);
void smmuv3_tabcfg_locked(const struct smmuv3 *s, struct smmuv3_tabcfg *tc);
/* Report sid's state to the backend if it differs from the last report (drain thread, no lock). */
void smmuv3_report_stream(struct smmuv3 *s, struct smmuv3_stream *st, const struct smmuv3_tabcfg *tc);
struct smmuv3_stream *smmuv3_find_stream(struct smmuv3 *s, uint32_t sid);

/* Queue index helpers: shift = log2 of the number of entries. */
static inline unsigned smmuv3_q_shift(uint64_t base)
{
	unsigned sh = (unsigned)(base & 0x1f);
	return sh > SMMU_QUEUE_MAX_SHIFT ? SMMU_QUEUE_MAX_SHIFT : sh;
}
static inline uint32_t smmuv3_q_wrap_idx(uint32_t v, unsigned shift)
{
	return v & (uint32_t)((2ull << shift) - 1);   /* index plus the wrap bit above it */
}
static inline gpa_t smmuv3_q_addr(uint64_t base, unsigned shift, unsigned ent_size)
{
	/* The SMMU aligns the base to the queue's size (at least 32 bytes). */
	uint64_t size = (uint64_t)ent_size << shift;
	if (size < 32)
		size = 32;
	return base & SMMU_MASK(47, 5) & ~(size - 1);
}

/* ---- smmuv3_cmdq.c ---- */
void smmuv3_cmdq_drain(struct smmuv3 *s);

/* ---- smmuv3_tables.c: pure functions over guest RAM ----
 * Every read bounds-checked through gmem_read(); anything the guest got
 * wrong becomes the architected event code in the result.
 */
void smmuv3_tables_ste(const struct smmuv3_tabcfg *tc, uint32_t sid, struct smmuv3_ste *ret);
void smmuv3_tables_cd(const struct smmuv3_tabcfg *tc, const struct smmuv3_ste *ste, uint32_t ssid,
		      struct smmuv3_cd *ret);
/* Same effective configuration (what the backend must hear about when it changes). */
bool smmuv3_ste_equal(const struct smmuv3_ste *a, const struct smmuv3_ste *b);

#endif
