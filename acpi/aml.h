/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small streaming AML (ACPI Machine Language) encoder, private to acpi/.
 *
 * Terms are appended to a growable byte buffer in the order they appear in
 * the AML byte stream. Objects that carry a PkgLength (Scope, Device,
 * Method, Package, Buffer, ResourceTemplate) are opened with *_begin() and
 * closed with aml_end(); at aml_end() the builder computes the length of
 * what was emitted in between, encodes the PkgLength (1 to 4 bytes) and
 * inserts it in front of the body.
 *
 * Errors are sticky: the first failure (-ENOMEM, -EINVAL for a malformed
 * name or argument, -E2BIG for an object too large for PkgLength) is kept
 * in b->err, later calls do nothing, and aml_finish() reports it. So a
 * whole block can be emitted without checking every call.
 *
 * Example — Device (\_SB.COM1) with a _HID and a _CRS:
 *
 *	struct aml_buf b;
 *	aml_init(&b);
 *	aml_scope_begin(&b, "\\_SB");
 *	  aml_device_begin(&b, "COM1");
 *	    aml_name(&b, "_HID"); aml_eisaid(&b, "PNP0501");
 *	    aml_name(&b, "_CRS");
 *	    aml_resource_begin(&b);
 *	      aml_rs_io(&b, true, 0x3f8, 0x3f8, 1, 8);
 *	      aml_rs_irq_noflags(&b, 1u << 4);
 *	    aml_end(&b);
 *	  aml_end(&b);
 *	aml_end(&b);
 *	int err = aml_finish(&b);   // 0, or the first error
 *	... use b.data / b.len ...
 *	aml_free(&b);
 */
#ifndef SKIFF_ACPI_AML_H
#define SKIFF_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 16

enum aml_frame_kind {
	AML_FRAME_PKG,      /* opcode(s) already emitted; insert PkgLength */
	AML_FRAME_BUFFER,   /* BufferOp: insert PkgLength + BufferSize */
	AML_FRAME_RESOURCE, /* like BUFFER, and append an EndTag first */
};

struct aml_frame {
	size_t start;       /* offset where the PkgLength goes */
	enum aml_frame_kind kind;
};

struct aml_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err;
	unsigned depth;
	struct aml_frame frames[AML_MAX_DEPTH];
};

void aml_init(struct aml_buf *b);
void aml_free(struct aml_buf *b);
/* 0 if everything was emitted and every *_begin() was closed, else -errno. */
int aml_finish(struct aml_buf *b);

/* ---- raw bytes ---------------------------------------------------------- */
void aml_byte(struct aml_buf *b, uint8_t v);
void aml_bytes(struct aml_buf *b, const void *p, size_t n);

/*
 * PkgLength encoding of a body of body_len bytes (the PkgLength counts
 * itself): writes 1..4 bytes to out and returns how many, or 0 if the
 * length cannot be encoded (>= 2^28).
 */
unsigned aml_encode_pkglen(size_t body_len, uint8_t out[4]);

/* ---- data objects ------------------------------------------------------- */
/* Integer with the shortest encoding: ZeroOp, OneOp, OnesOp, Byte/Word/DWord/QWordConst. */
void aml_integer(struct aml_buf *b, uint64_t v);
/* Fixed-width constants (for fields that a consumer expects at a given width). */
void aml_byte_const(struct aml_buf *b, uint8_t v);
void aml_word_const(struct aml_buf *b, uint16_t v);
void aml_dword_const(struct aml_buf *b, uint32_t v);
void aml_qword_const(struct aml_buf *b, uint64_t v);
/* String: printable ASCII, NUL-terminated in the AML. */
void aml_string(struct aml_buf *b, const char *s);
/* EISA ID "ABC1234" compressed into a DWordConst, as ASL EisaId() does. */
void aml_eisaid(struct aml_buf *b, const char *id);
/* Buffer (n) {bytes}. */
void aml_buffer(struct aml_buf *b, const void *p, size_t n);
/* Package (nr_elements) { ... } — emit exactly nr_elements terms, then aml_end(). */
void aml_package_begin(struct aml_buf *b, uint8_t nr_elements);

/* ---- names and namespace modifiers -------------------------------------- */
/*
 * NameString: optional '\' or '^'... prefix, then 1..4-char segments
 * separated by '.', each padded with '_' ("\_SB.PCI0", "^^FOO", "_HID").
 * An empty string is the NullName.
 */
void aml_namestring(struct aml_buf *b, const char *path);
/* Name (path, <next term>) — the caller emits the value next. */
void aml_name(struct aml_buf *b, const char *path);
void aml_scope_begin(struct aml_buf *b, const char *path);
void aml_device_begin(struct aml_buf *b, const char *path);
/* Method (path, nargs 0..7, Serialized/NotSerialized, SyncLevel 0..15). */
void aml_method_begin(struct aml_buf *b, const char *path, unsigned nargs, bool serialized,
		      unsigned sync_level);
/* Return (<next term>) */
void aml_return(struct aml_buf *b);
/* Close the innermost open object. */
void aml_end(struct aml_buf *b);

/* ---- operation regions, fields and method bodies -------------------------- */
enum aml_region_space { AML_SYSTEM_MEMORY = 0, AML_SYSTEM_IO = 1 };
/* OperationRegion (name, space, offset, length) */
void aml_op_region(struct aml_buf *b, const char *name, enum aml_region_space space,
		   uint64_t offset, uint64_t length);
/*
 * Field (region, DWordAcc, NoLock, WriteAsZeros) { name, bits } — one
 * named field unit of 1..4095 bits starting at bit 0.
 */
void aml_field_dword(struct aml_buf *b, const char *region, const char *name, unsigned bits);
/* If (<next term>) { ... } — emit the predicate, the body, then aml_end(). */
void aml_if_begin(struct aml_buf *b);
/* Notify (<next term>, <next term>) */
void aml_notify(struct aml_buf *b);
/* And (<next term>, <next term>, <target>) — the target NullName is aml_namestring(b, ""). */
void aml_and(struct aml_buf *b);
/* LEqual (<next term>, <next term>), i.e. (a == b) */
void aml_lequal(struct aml_buf *b);
/* Store (<next term>, <next term>) */
void aml_store(struct aml_buf *b);
/* LocalN (0..7) / ArgN (0..6) */
void aml_local(struct aml_buf *b, unsigned n);
void aml_arg(struct aml_buf *b, unsigned n);

/* ---- ResourceTemplate and its descriptors ------------------------------- */
/* ResourceTemplate () { descriptors } — aml_end() appends the EndTag. */
void aml_resource_begin(struct aml_buf *b);

/* IO (Decode16/Decode10, min, max, alignment, length) */
void aml_rs_io(struct aml_buf *b, bool decode16, uint16_t min, uint16_t max, uint8_t align,
	       uint8_t length);
/* IRQNoFlags () {irqs in mask} — bit n of irq_mask is ISA IRQ n. */
void aml_rs_irq_noflags(struct aml_buf *b, uint16_t irq_mask);
/* Interrupt (ResourceConsumer/Producer, Level/Edge, ActiveLow/High, Shared/Exclusive) {gsi} */
void aml_rs_interrupt(struct aml_buf *b, bool consumer, bool level, bool active_low, bool shared,
		      uint32_t gsi);
/* Memory32Fixed (ReadWrite/ReadOnly, base, length) */
void aml_rs_memory32_fixed(struct aml_buf *b, bool read_write, uint32_t base, uint32_t length);

/* Address space descriptor flags. */
enum aml_rs_cache {
	AML_NON_CACHEABLE = 0,
	AML_CACHEABLE = 1,
	AML_WRITE_COMBINING = 2,
	AML_PREFETCHABLE = 3,
};

struct aml_rs_addr {
	bool producer;     /* ResourceProducer (a bridge decoding it) vs. ResourceConsumer */
	bool subtractive;  /* SubDecode vs. PosDecode */
	bool min_fixed;    /* MinFixed vs. MinNotFixed */
	bool max_fixed;    /* MaxFixed vs. MaxNotFixed */
	uint64_t granularity;
	uint64_t min;
	uint64_t max;
	uint64_t translation;
	uint64_t length;
};

/* QWordMemory / DWordMemory (..., cacheable, ReadWrite/ReadOnly, ...) */
void aml_rs_qword_memory(struct aml_buf *b, const struct aml_rs_addr *a, enum aml_rs_cache cache,
			 bool read_write);
void aml_rs_dword_memory(struct aml_buf *b, const struct aml_rs_addr *a, enum aml_rs_cache cache,
			 bool read_write);
/* WordIO / DWordIO (..., EntireRange, ...) */
void aml_rs_word_io(struct aml_buf *b, const struct aml_rs_addr *a);
void aml_rs_dword_io(struct aml_buf *b, const struct aml_rs_addr *a);
/* WordBusNumber (...) */
void aml_rs_word_bus_number(struct aml_buf *b, const struct aml_rs_addr *a);

#endif
