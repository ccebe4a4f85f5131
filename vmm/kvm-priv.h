/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SKIFF_KVM_PRIV_H
#define SKIFF_KVM_PRIV_H

/* ioctl() returning its result or -errno; retried on EINTR except for KVM_RUN (kvm.c). */
int kvm_ioctl(int fd, unsigned long req, const void *arg);

#endif
