// SPDX-License-Identifier: Apache-2.0
/* The small platform devices through which a guest stops the VM. */
#include <string.h>

#include "devices.h"

static void zero_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	(void)opaque;
	(void)offset;
	memset(data, 0, len);
}

/* i8042 at 0x60 (data) .. 0x64 (command/status); only reset is implemented. */
#define I8042_CMD_OFFSET 4
#define I8042_CMD_RESET 0xfe

static void i8042_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct i8042 *dev = opaque;

	(void)len;
	if (offset == I8042_CMD_OFFSET && *(const uint8_t *)data == I8042_CMD_RESET)
		vm_control_stop(&dev->ctl, VM_STOP_REBOOT);
}

/* Status 0: output buffer empty, input buffer empty, so a guest never waits on us. */
const struct bus_device_ops i8042_ops = {
	.read = zero_read,
	.write = i8042_write,
};

/* pvpanic: reading returns the supported events, writing reports them. */
#define PVPANIC_PANICKED     (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1)

static void pvpanic_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	(void)opaque;
	(void)offset;
	memset(data, 0, len);
	*(uint8_t *)data = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
}

static void pvpanic_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct pvpanic *dev = opaque;
	uint8_t events = *(const uint8_t *)data;

	(void)offset;
	(void)len;
	if (events & PVPANIC_PANICKED)
		vm_control_stop(&dev->ctl, VM_STOP_PANIC);
	else if (events & PVPANIC_CRASH_LOADED)
		log_info("pvpanic: guest kernel crashed and loaded its crash kernel");
}

const struct bus_device_ops pvpanic_ops = {
	.read = pvpanic_read,
	.write = pvpanic_write,
};

/* ACPI hardware-reduced registers: +0 sleep control, +1 sleep status, +2 reset. */
#define ACPI_SLP_EN (1u << 5)
#define ACPI_SLP_TYP(v) (((v) >> 2) & 7u)

static void acpi_pm_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct acpi_pm *pm = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	if (offset == 0 && (v & ACPI_SLP_EN) && ACPI_SLP_TYP(v) == pm->s5_slp_typ)
		vm_control_stop(&pm->ctl, VM_STOP_POWEROFF);
	else if (offset == 0 && (v & ACPI_SLP_EN))
		log_warn("acpi: guest asked for sleep state type %u, which skiff does not offer", ACPI_SLP_TYP(v));
	else if (offset == 2 && v == pm->reset_value)
		vm_control_stop(&pm->ctl, VM_STOP_REBOOT);
}

const struct bus_device_ops acpi_pm_ops = {
	.read = zero_read,
	.write = acpi_pm_write,
};
