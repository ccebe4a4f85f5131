// SPDX-License-Identifier: Apache-2.0
#include "core.h"

int vm_stop_exit_status(enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_STOP_POWEROFF:
	case VM_STOP_REBOOT:
	case VM_STOP_SIGNAL:
		return 0;
	case VM_STOP_PANIC:
	case VM_STOP_TRIPLE_FAULT:
		return 3;
	case VM_STOP_ERROR:
		break;
	}
	return 1;
}

const char *vm_stop_reason_name(enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_STOP_POWEROFF: return "guest powered off";
	case VM_STOP_REBOOT: return "guest rebooted";
	case VM_STOP_SIGNAL: return "stopped by signal";
	case VM_STOP_PANIC: return "guest panicked";
	case VM_STOP_TRIPLE_FAULT: return "guest triple-faulted";
	case VM_STOP_ERROR: return "VMM error";
	}
	return "unknown";
}
