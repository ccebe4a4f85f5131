/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Platform devices of the microVM (the PL011 for arm64, the rest x86). Each is reached through the
 * bus_device_ops it exports (offsets relative to its base) and talks back
 * to the VM only through struct irq_line and struct vm_control.
 * All register writes come from the guest and are treated as hostile.
 */
#ifndef SKIFF_DEVICES_H
#define SKIFF_DEVICES_H

#include <pthread.h>

#include "core.h"

/* ---- 16550A UART --------------------------------------------------------- */
#define SERIAL8250_RX_BUF 4096

struct serial8250 {
	pthread_mutex_t lock;     /* vCPU threads (registers) vs. main loop (input) */
	int out_fd;               /* transmitted bytes go here; -1 discards */
	struct irq_line irq;
	bool irq_high;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thr_irq_pending;     /* THR empty interrupt, cleared by IIR read or THR write */
	uint8_t rx[SERIAL8250_RX_BUF];
	unsigned rx_head, rx_count;
	bool rx_dropped_warned;
};

void serial8250_init(struct serial8250 *s, int out_fd, struct irq_line irq);
void serial8250_destroy(struct serial8250 *s);
/* Queue bytes for the guest to read; returns how many were accepted. */
size_t serial8250_push_input(struct serial8250 *s, const uint8_t *buf, size_t len);
extern const struct bus_device_ops serial8250_ops;

/* ---- ARM PL011 UART (arm64 console, ttyAMA0) ------------------------------ */
#define PL011_RX_BUF 4096
#define PL011_MMIO_SIZE 0x1000

struct pl011 {
	pthread_mutex_t lock;     /* vCPU threads (registers) vs. main loop (input) */
	int out_fd;               /* transmitted bytes go here; -1 discards */
	struct irq_line irq;      /* level: high while RIS & IMSC */
	uint8_t rx[PL011_RX_BUF];
	unsigned rx_head, rx_count;
	uint32_t ris_tx;          /* the TX bit of RIS (RX bits follow the buffer) */
	uint32_t imsc, cr, lcr_h, ibrd, fbrd, ifls, dmacr, ilpr;
	bool irq_high;
	bool rx_dropped_warned;
};

void pl011_init(struct pl011 *u, int out_fd, struct irq_line irq);
void pl011_destroy(struct pl011 *u);
/* Queue bytes for the guest to read; returns how many were accepted. */
size_t pl011_push_input(struct pl011 *u, const uint8_t *buf, size_t len);
extern const struct bus_device_ops pl011_ops;

/* ---- i8042: only the reset line (command 0xfe) ---------------------------- */
struct i8042 {
	struct vm_control ctl;
};
extern const struct bus_device_ops i8042_ops;

/* ---- pvpanic (ISA, one I/O port) ----------------------------------------- */
struct pvpanic {
	struct vm_control ctl;
};
extern const struct bus_device_ops pvpanic_ops;

/* ---- ACPI hardware-reduced sleep control/status and reset registers ------ */
struct acpi_pm {
	struct vm_control ctl;
	uint8_t s5_slp_typ;
	uint8_t reset_value;
};
/* Three consecutive ports: sleep control, sleep status, reset. */
extern const struct bus_device_ops acpi_pm_ops;

/* ---- CMOS RTC (MC146818): wall-clock time for the guest ------------------ */
struct cmos_rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t nvram[128];
};
void cmos_rtc_init(struct cmos_rtc *rtc);
void cmos_rtc_destroy(struct cmos_rtc *rtc);
extern const struct bus_device_ops cmos_rtc_ops;

/* ---- ACPI Generic Event Device register (power button) -------------------- */
struct ged {
	pthread_mutex_t lock;
	struct irq_line irq;
	uint32_t pending;
};
void ged_init(struct ged *g, struct irq_line irq);
void ged_destroy(struct ged *g);
/* Signal events (ACPI_GED_EVT_*) to the guest; any thread. */
void ged_raise(struct ged *g, uint32_t events);
extern const struct bus_device_ops ged_ops;

#endif
