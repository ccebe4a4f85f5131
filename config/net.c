// SPDX-License-Identifier: Apache-2.0
/*
 * Firecracker's network-interfaces and vsock sections, plus skiff's keys
 * on them (vhost, queue_pairs, root_bus, slot).
 *   "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0",
 *                           "guest_mac": "06:00:ac:10:00:02"}]
 *   "vsock": {"guest_cid": 3, "uds_path": "/tmp/v.sock"}
 */
#include "config-priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NET_MAX_IFACES 8
#define IFNAME_MAX 15          /* IFNAMSIZ - 1 */
#define UDS_PATH_MAX 96        /* sun_path is 108 bytes; "_<port>" adds up to 11 */

static int parse_id(struct ctx *c, const struct jpath *p, json_t *v, char **dst)
{
	int rc = cfg_get_string(c, p, v, false, dst);

	if (rc < 0)
		return rc;
	for (const char *q = *dst; *q; q++)
		if (!(isalnum((unsigned char)*q) || *q == '_'))
			return cfg_fail(c, p, "must contain only letters, digits and '_', got \"%s\"", *dst);
	if (strlen(*dst) > 64)
		return cfg_fail(c, p, "must be at most 64 characters");
	return 0;
}

static int parse_iface_id(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return parse_id(c, p, v, &((struct skiff_net *)out)->iface_id);
}

static int parse_host_dev_name(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_net *n = out;
	int rc = cfg_get_string(c, p, v, false, &n->host_dev_name);

	if (rc < 0)
		return rc;
	if (strlen(n->host_dev_name) > IFNAME_MAX)
		return cfg_fail(c, p, "must be at most %d characters (a Linux interface name), got \"%s\"",
				IFNAME_MAX, n->host_dev_name);
	for (const char *q = n->host_dev_name; *q; q++)
		if (*q == '/' || *q == ':' || isspace((unsigned char)*q) || !isprint((unsigned char)*q))
			return cfg_fail(c, p, "\"%s\" is not a valid interface name", n->host_dev_name);
	return 0;
}

/* "06:00:ac:10:00:02": six hex pairs, unicast, not all zero. */
static bool mac_parse(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return false;
	for (unsigned i = 0; i < 6; i++) {
		const char *h = s + 3 * i;

		if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]) || (i < 5 && h[2] != ':'))
			return false;
		mac[i] = (uint8_t)strtoul((char[3]){ h[0], h[1], 0 }, NULL, 16);
	}
	return true;
}

static int parse_guest_mac(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_net *n = out;
	char *s = NULL;
	int rc;

	if (json_is_null(v)) {
		n->has_mac = false;
		return 0;
	}
	rc = cfg_get_string(c, p, v, false, &s);
	if (rc < 0)
		return rc;
	if (!mac_parse(s, n->guest_mac))
		rc = cfg_fail(c, p, "must be a MAC address like \"06:00:ac:10:00:02\", got \"%s\"", s);
	else if (n->guest_mac[0] & 1)
		rc = cfg_fail(c, p, "%s is a multicast address; the guest needs a unicast one", s);
	else if (!(n->guest_mac[0] | n->guest_mac[1] | n->guest_mac[2] | n->guest_mac[3] | n->guest_mac[4] |
		   n->guest_mac[5]))
		rc = cfg_fail(c, p, "must not be all zeros");
	free(s);
	n->has_mac = rc == 0;
	return rc;
}

static int parse_net_vhost(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_bool(c, p, v, &((struct skiff_net *)out)->vhost);
}

static int parse_queue_pairs(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, 1, 7, &n);

	if (rc == 0)
		((struct skiff_net *)out)->queue_pairs = (unsigned)n;
	return rc;
}

static int parse_net_root_bus(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, 0, 15, &n);

	if (rc == 0)
		((struct skiff_net *)out)->root_bus = (int)n;
	return rc;
}

static int parse_net_slot(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, 0, 31, &n);

	if (rc == 0)
		((struct skiff_net *)out)->slot = (int)n;
	return rc;
}

static const struct field net_fields[] = {
	{ "iface_id", parse_iface_id, true },
	{ "host_dev_name", parse_host_dev_name, true },
	{ "guest_mac", parse_guest_mac, false },
	{ "rx_rate_limiter", cfg_parse_null_only, false },
	{ "tx_rate_limiter", cfg_parse_null_only, false },
	{ "vhost", parse_net_vhost, false },
	{ "queue_pairs", parse_queue_pairs, false },
	{ "root_bus", parse_net_root_bus, false },
	{ "slot", parse_net_slot, false },
};

void cfg_net_free(struct skiff_net *n, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++) {
		free(n[i].iface_id);
		free(n[i].host_dev_name);
	}
	free(n);
}

/* Across entries: ids, taps and MACs are unique. */
static int net_check(struct ctx *c, const struct jpath *p, const struct skiff_net *n, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++) {
		const struct jpath elem = { .parent = p, .index = i };

		for (unsigned j = 0; j < i; j++) {
			const struct jpath id = { .parent = &elem, .key = "iface_id" };
			const struct jpath tap = { .parent = &elem, .key = "host_dev_name" };
			const struct jpath mac = { .parent = &elem, .key = "guest_mac" };

			if (!strcmp(n[i].iface_id, n[j].iface_id))
				return cfg_fail(c, &id, "duplicate id \"%s\" (also network-interfaces[%u])",
						n[i].iface_id, j);
			if (!strcmp(n[i].host_dev_name, n[j].host_dev_name))
				return cfg_fail(c, &tap, "tap \"%s\" is already used by network-interfaces[%u]",
						n[i].host_dev_name, j);
			if (n[i].has_mac && n[j].has_mac && !memcmp(n[i].guest_mac, n[j].guest_mac, 6))
				return cfg_fail(c, &mac, "the same MAC as network-interfaces[%u]", j);
		}
	}
	return 0;
}

static void net_defaults(void *elem)
{
	struct skiff_net *d = elem;

	d->root_bus = d->slot = -1;
	d->queue_pairs = 1;
}

int cfg_parse_net(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_config *cfg = out;
	void *elems;
	size_t n;
	int rc;

	rc = cfg_parse_object_array(c, p, v, NET_MAX_IFACES, "network interfaces", net_fields,
				    ARRAY_LEN(net_fields), sizeof(struct skiff_net), net_defaults,
				    &elems, &n);
	if (rc == 0 && n)
		rc = net_check(c, p, elems, (unsigned)n);
	if (rc < 0 || n == 0) {
		cfg_net_free(elems, (unsigned)n);
		return rc;
	}
	cfg_net_free(cfg->net, cfg->nr_net);
	cfg->net = elems;
	cfg->nr_net = (unsigned)n;
	return 0;
}

/* ---- vsock (Firecracker) ---------------------------------------------------- */

static int parse_vsock_id(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	char *id = NULL;
	int rc;

	(void)out;  /* Firecracker's deprecated name for the device; nothing refers to it */
	if (json_is_null(v))
		return 0;
	rc = parse_id(c, p, v, &id);
	free(id);
	return rc;
}

static int parse_guest_cid(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc;

	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < 3)
		return cfg_fail(c, p, "must be 3 or more (0-2 are reserved: hypervisor, local, host), got %lld",
				(long long)json_integer_value(v));
	rc = cfg_get_int_range(c, p, v, 3, 0xfffffffeLL, &n);
	if (rc == 0)
		((struct skiff_vsock *)out)->guest_cid = (uint32_t)n;
	return rc;
}

static int parse_uds_path(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_vsock *s = out;
	int rc = cfg_get_string(c, p, v, false, &s->uds_path);

	if (rc == 0 && strlen(s->uds_path) > UDS_PATH_MAX)
		return cfg_fail(c, p, "must be at most %d characters (a Unix socket path plus \"_<port>\")",
				UDS_PATH_MAX);
	return rc;
}

static int parse_vsock_vhost(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_bool(c, p, v, &((struct skiff_vsock *)out)->vhost);
}

static const struct field vsock_fields[] = {
	{ "vsock_id", parse_vsock_id, false },
	{ "guest_cid", parse_guest_cid, true },
	{ "uds_path", parse_uds_path, true },
	{ "vhost", parse_vsock_vhost, false },
};

int cfg_parse_vsock(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_config *cfg = out;
	struct skiff_vsock s = { 0 };
	int rc;

	if (json_is_null(v))
		return 0;
	rc = cfg_parse_object(c, p, v, vsock_fields, ARRAY_LEN(vsock_fields), &s);
	if (rc < 0) {
		free(s.uds_path);
		return rc;
	}
	free(cfg->vsock.uds_path);
	s.enabled = true;
	cfg->vsock = s;
	return 0;
}
