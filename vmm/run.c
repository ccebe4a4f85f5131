// SPDX-License-Identifier: Apache-2.0
/*
 * Running the VM. Thread model: one thread per vCPU runs KVM_RUN and
 * dispatches port/MMIO exits to the device buses; the main thread runs an
 * epoll loop for console input, signals (through a signalfd) and stop
 * requests. SIGTERM, SIGINT and SIGHUP stop the VM at once; SIGPWR presses
 * the guest's ACPI power button so it can shut down by itself. To stop, the main thread sets immediate_exit in each vCPU's
 * kvm_run and interrupts it with SIGUSR1, then joins the threads.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vm-internal.h"

#define VCPU_KICK_SIGNAL SIGUSR1
#define CONSOLE_ESCAPE 0x01  /* Ctrl-A, then 'x' quits */

static void vcpu_kick_handler(int sig)
{
	(void)sig;  /* only here to make KVM_RUN return -EINTR */
}

static void vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;

	if (run->io.data_offset >= v->vm->run_size || bytes > v->vm->run_size - run->io.data_offset)
		return;
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		bool claimed;

		if (run->io.direction == KVM_EXIT_IO_OUT)
			claimed = bus_write(&v->vm->pio, run->io.port, data, run->io.size);
		else
			claimed = bus_read(&v->vm->pio, run->io.port, data, run->io.size);
		if (!claimed && log_enabled(LOG_DEBUG))
			log_debug("vcpu %u: unclaimed port %s %#x", v->index,
				  run->io.direction == KVM_EXIT_IO_OUT ? "write" : "read", run->io.port);
	}
}

static void vcpu_handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len : sizeof(run->mmio.data);

	if (run->mmio.is_write)
		bus_write(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
}

/* Returns true while the vCPU should keep running. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT:
		return true;
	case KVM_EXIT_SHUTDOWN:
		log_info("vcpu %u: triple fault", v->index);
		vm_request_stop(v->vm, VM_STOP_TRIPLE_FAULT);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request_stop(v->vm, VM_STOP_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request_stop(v->vm, VM_STOP_REBOOT);
			break;
		default:
			vm_request_stop(v->vm, VM_STOP_PANIC);
		}
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		log_error("vcpu %u: KVM could not enter the guest (hardware reason %#llx)", v->index,
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		log_error("vcpu %u: KVM internal error, suberror %u", v->index, run->internal.suberror);
		break;
	default:
		log_error("vcpu %u: unexpected KVM exit reason %u", v->index, run->exit_reason);
	}
	vm_request_stop(v->vm, VM_STOP_ERROR);
	return false;
}

static void *vcpu_thread(void *opaque)
{
	struct vcpu *v = opaque;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	while (!atomic_load(&v->vm->stopping)) {
		int r = kvm_run(v->fd);

		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r < 0) {
			log_error("vcpu %u: KVM_RUN: %s", v->index, strerror(-r));
			vm_request_stop(v->vm, VM_STOP_ERROR);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	return NULL;
}

static void on_stop_event(void *opaque, int fd, uint32_t events)
{
	struct evloop *loop = opaque;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("vm: stop eventfd read: %s", strerror(errno));
	evloop_stop(loop);
}

static void on_panic_timer(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("vm: panic timer read: %s", strerror(errno));
	vm_request_stop(vm, VM_STOP_PANIC);
}

struct run_ctx {
	struct vm *vm;
	struct evloop loop;
	int sigfd;
	bool stdin_is_tty;
};

static void on_signal(void *opaque, int fd, uint32_t events)
{
	struct run_ctx *ctx = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	/* SIGPWR asks the guest to shut down itself: its ACPI power button. */
	if (si.ssi_signo == SIGPWR && ctx->vm->ged_ready) {
		log_info("received %s, pressing the guest's power button", strsignal((int)si.ssi_signo));
		ged_raise(&ctx->vm->ged, ACPI_GED_EVT_POWER_BUTTON);
		return;
	}
	log_info("received %s, stopping the VM", strsignal((int)si.ssi_signo));
	vm_request_stop(ctx->vm, VM_STOP_SIGNAL);
}

/* Console input. On a terminal, Ctrl-A x stops the VM (Ctrl-A Ctrl-A sends one Ctrl-A). */
static void on_stdin(void *opaque, int fd, uint32_t events)
{
	struct run_ctx *ctx = opaque;
	struct vm *vm = ctx->vm;
	uint8_t buf[512], out[512];
	size_t nout = 0;
	ssize_t n;

	(void)events;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			evloop_del(&ctx->loop, fd);  /* EOF: the guest just gets no more input */
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (ctx->stdin_is_tty && vm->escape_pending) {
			vm->escape_pending = false;
			if (buf[i] == 'x') {
				vm_request_stop(vm, VM_STOP_SIGNAL);
				return;
			}
			if (buf[i] != CONSOLE_ESCAPE)
				out[nout++] = CONSOLE_ESCAPE;
		} else if (ctx->stdin_is_tty && buf[i] == CONSOLE_ESCAPE) {
			vm->escape_pending = true;
			continue;
		}
		out[nout++] = buf[i];
	}
	vm_console_input(vm, out, nout);
}

static int run_setup_loop(struct run_ctx *ctx)
{
	struct vm *vm = ctx->vm;
	sigset_t sigs;
	int r;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGPWR);
	ctx->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ctx->sigfd < 0)
		return -errno;
	r = evloop_add(&ctx->loop, vm->stop_efd, EPOLLIN, on_stop_event, &ctx->loop);
	if (!r)
		r = evloop_add(&ctx->loop, ctx->sigfd, EPOLLIN, on_signal, ctx);
	if (!r && vm->panic_timer_fd >= 0)
		r = evloop_add(&ctx->loop, vm->panic_timer_fd, EPOLLIN, on_panic_timer, vm);
	if (r || !vm_console_input(vm, NULL, 0) || vm->cfg->serial_mode != SERIAL_STDIO)
		return r;
	ctx->stdin_is_tty = isatty(STDIN_FILENO);
	r = evloop_add(&ctx->loop, STDIN_FILENO, EPOLLIN, on_stdin, ctx);
	if (r == -EPERM) {
		/* Regular files and /dev/null cannot be polled; the guest gets no input then. */
		log_debug("stdin cannot be polled (a regular file or /dev/null); console input is ignored");
		r = 0;
	}
	return r;
}

static int vm_start_vcpus(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	/* No SA_RESTART: the kick must interrupt KVM_RUN. */
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		int r = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);

		if (r)
			return -r;
		vm->vcpus[i].thread_started = true;
	}
	return 0;
}

static void vm_stop_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->thread_started)
			continue;
		v->run->immediate_exit = 1;
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].thread_started = false;
	}
}

int vm_run(struct vm *vm, enum vm_stop_reason *ret_reason)
{
	struct run_ctx ctx = { .vm = vm, .sigfd = -1 };
	sigset_t block;
	int r;

	/* Signals are taken by the signalfd; vCPU threads inherit this mask and unblock the kick. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPWR);
	sigaddset(&block, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = evloop_init(&ctx.loop);
	if (r)
		return r;
	r = run_setup_loop(&ctx);
	if (!r)
		r = vm_arch_start(vm);
	if (!r)
		r = vm_start_vcpus(vm);
	if (!r)
		r = evloop_run(&ctx.loop);
	if (r)
		vm_request_stop(vm, VM_STOP_ERROR);
	vm_stop_vcpus(vm);
	vm_arch_stop(vm);
	evloop_destroy(&ctx.loop);
	if (ctx.sigfd >= 0)
		close(ctx.sigfd);
	pthread_mutex_lock(&vm->stop_lock);
	*ret_reason = vm->stop_reason;
	pthread_mutex_unlock(&vm->stop_lock);
	return r;
}
