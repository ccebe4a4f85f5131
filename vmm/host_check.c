// SPDX-License-Identifier: Apache-2.0
/*
 * Recognising a /dev/kvm that answers the KVM API but cannot run a
 * standard Linux guest: a PVM-backed KVM (kvm_pvm module) runs real-mode
 * code, then a stock kernel stops in its decompressor with the vCPU thread
 * spinning. Saying so up front beats a silent hang.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"

static bool cpuinfo_has_virt_flag(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	bool found = false;

	if (!f)
		return true;  /* cannot tell: do not get in the way */
	while (!found && fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0)
			found = strstr(line, " vmx") || strstr(line, " svm");
	fclose(f);
	return found;
}

bool host_kvm_usable(char *why, size_t whylen)
{
	if (access("/sys/module/kvm_pvm", F_OK) == 0 && !cpuinfo_has_virt_flag()) {
		snprintf(why, whylen,
			 "this host's /dev/kvm is PVM-backed (kvm_pvm) and cannot boot a standard Linux "
			 "guest; run skiff inside the nested lab instead (tests/lab/lab-run, see docs/lab.md)");
		return false;
	}
	return true;
}
