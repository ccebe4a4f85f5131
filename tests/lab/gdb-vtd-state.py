# gdb -p PID -batch -x tests/lab/gdb-vtd-state.py: the state of each vVT-d
# unit of a running skiff (a test's diagnostic for a VM that hangs): the
# status and fault registers the guest polls, the queue's head and tail,
# what the drain thread owes (pending register work, a told WBF, an
# unflushed backend), and the unit's counters. Finds the units through the
# queue engine's thread (iq_thread's engine, each source's opaque).
import gdb
for t in gdb.selected_inferior().threads():
    t.switch()
    f = gdb.newest_frame()
    while f is not None and f.name() != 'iq_thread':
        f = f.older()
    if f is None:
        continue
    f.select()
    try:
        e = gdb.parse_and_eval('e').dereference()
    except gdb.error:
        try:
            e = gdb.parse_and_eval('arg').cast(gdb.lookup_type('struct iq_engine').pointer()).dereference()
        except gdb.error:
            print('iq engine: state optimized out')
            continue
    print('iq engine: thread %d, %d sources, multishot %d' % (t.num, int(e['nr']), int(e['multishot'])))
    unit_t = gdb.lookup_type('struct vm_viommu_unit').pointer()
    for i in range(int(e['nr'])):
        s = e['src'][i]
        drain = str(s['drain'])
        print('  source %d: fd %d armed %d fired %d dead %d drain %s' % (
            i, int(s['fd']), int(s['armed']), int(s['fired']), int(s['dead']), drain.split()[-1]))
        if 'viommu_drain' not in drain:
            continue
        v = s['opaque'].cast(unit_t).dereference()['vtd'].dereference()
        st = v['stats']
        print('  vtd %s: gsts %#x fsts %#x ics %#x iqh %#x iqt %#x iq_size %#x pending %#x draining %d '
              'drain_again %d unflushed %d wbf_told %d | stats: %s' % (
            v['name'].string(), int(v['gsts']), int(v['fsts']), int(v['ics']), int(v['iqh']), int(v['iqt']),
            int(v['iq_size']), int(v['pending']), int(v['draining']), int(v['drain_again']),
            int(v['unflushed']), int(v['wbf_told']), str(st).replace('\n', ' ')))
