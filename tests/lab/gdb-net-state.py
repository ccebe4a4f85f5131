# gdb -p PID -batch -x tests/lab/gdb-net-state.py: the state of each
# virtio-net worker of a running skiff (a test's diagnostic for a VM that
# hangs): per queue pair whether the tap is polled, per queue the device's
# indexes and what the guest's rings say (avail/used idx, used_event,
# avail_event). Needs skiff's debug info (the default build has it).
import gdb
for t in gdb.selected_inferior().threads():
    t.switch()
    f = gdb.newest_frame()
    while f is not None and f.name() != 'net_worker':
        f = f.older()
    if f is None:
        continue
    f.select()
    n = None
    for name in ('n', 'arg'):
        try:
            v = gdb.parse_and_eval(name)
            n = v.cast(gdb.lookup_type('struct net_dev').pointer()) if name == 'arg' else v
            n.dereference()['name']
            break
        except gdb.error:
            n = None
    if n is None:
        print('net_worker: state optimized out')
        continue
    d = n.dereference()
    print('%s: thread %d nr_pairs %d ctrl_q %d' % (d['name'].string(), t.num, int(d['nr_pairs']), int(d['ctrl_q'])))
    for p in range(int(d['nr_pairs'])):
        pr = d['pairs'][p]
        print('  pair %d: tap %d vhost %d rx_blocked %d tx_blocked %d epoll events %#x' % (
            p, int(pr['tap']), int(pr['vhost']), int(pr['rx_blocked']), int(pr['tx_blocked']), int(pr['events'])))
    for q in range(int(d['vdev']['nr_queues'])):
        vq = d['vqs'][q]
        if not int(vq['size']):
            continue
        size = int(vq['size'])
        avail, used = vq['avail'], vq['used_hdr']
        avail_event = (vq['used_ring'] + size).cast(gdb.lookup_type('unsigned short').pointer()).dereference()
        print('  queue %d: ready %d last_avail %d used_idx %d signalled_used %d/%d notify %d | guest: avail idx %d '
              'flags %#x used_event %d | used idx %d avail_event %d' % (
            q, int(vq['ready']), int(vq['last_avail']), int(vq['used_idx']), int(vq['signalled_used']),
            int(vq['signalled_valid']), int(d['notify'][q]), int(avail[1]), int(avail[0]), int(avail[2 + size]),
            int(used[1]), int(avail_event)))
