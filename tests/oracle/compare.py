#!/usr/bin/env python3
"""Compare where a real kernel put modules (boot.sh's console output) with
where `modbed load --no-init` puts the same files in the same order.

usage: compare.py --arch A --boot LOG --modbed BIN [--list LIST --root DIR]
                  [--modbed-args "ARGS"] [--absolute | --absolute-classes C,..]
                  [--report-only] [--strict-rwx auto|yes|no]
LIST and DIR default to what boot.sh wrote next to LOG (LOG.modules,
LOG.root). The kernel config beside the booted kernel (LOG.kernel's
folder: config-VERSION) says whether it has STRICT_MODULE_RWX, and is
given to modbed as --kernel-config; a System.map there (kbuild's, beside
vmlinux) is given as --system-map, so modbed's kernel image ends at the
real _etext (ppc32's module_alloc window starts 32 MiB below it). Exit 77
when LOG is missing (the boot was skipped), 1 instead under
MODBED_REQUIRE_EVIDENCE=1.

Per module it compares every section the kernel lists in
/sys/module/NAME/sections: its mod_mem type and its offset from the base of
that type; the page-aligned size of each core type (and of init text); with
--absolute, every section's absolute address. It prints one table per run
and every differing section; exit 1 on any difference (or when modbed or the
boot output fails), 0 with --report-only whatever the numbers. Absolute
addresses are counted per kernel class and always printed; --absolute makes
a difference in any class fail, --absolute-classes only in those listed
(e.g. text,init_text on ppc32, whose data blocks share vmalloc with the
kernel's own allocations).

How the kernel's types and offsets are derived (Linux 6.1)
----------------------------------------------------------
6.1 reports only section addresses (/sys/module/*/sections), the core
block's base and size (/proc/modules: core_layout.size, init size is 0 once
init has run) and vmalloc areas. It allocates one core block per module,
[text | rodata | ro_after_init | data], and one init block, [init text |
init rodata | init data | .symtab .strtab], each class starting on a page
(strict_align() with CONFIG_STRICT_MODULE_RWX, which both Debian configs
set; without it, as in pmac32_defconfig, the classes follow each other
unaligned). Class boundaries are not printed, so:

1. Each section's class comes from what decides it in 6.1's
   layout_sections(): the section's flags in the file (the first of the
   masks EXECINSTR -> text, !WRITE -> rodata, RO_AFTER_INIT -> ro_after_init,
   WRITE -> data), the two names layout_and_allocate() marks
   SHF_RO_AFTER_INIT (.data..ro_after_init, __jump_table), the ".init" name
   prefix for the init block, .symtab/.strtab at the end of init
   (layout_symtab()), and the flags the arch's module_frob_arch_sections()
   forces (ARCH_FORCED_FLAGS). This is a reading of the file, not of
   modbed.
2. A class's base is its lowest section address: the first section of a
   class in file order sits at offset 0 (module_get_offset() aligns 0 to
   0), and sysfs lists every non-empty allocated section. Without
   STRICT_MODULE_RWX a class starts wherever the one before it in the same
   block ended, which no report shows (the arch's PLT sizes are not in the
   file), so offsets are counted from the block's base instead: its lowest
   section address, by the same argument. Class sizes are then not
   compared.
3. Step 1 is then checked against the kernel's addresses, so a wrong rule
   cannot pass silently: every class base is page-aligned (STRICT_MODULE_RWX,
   read from the config file next to the kernel), the text base is
   the /proc/modules base, core classes follow each other in the order
   above, and every section lies below the next class's base. A module that
   fails this is reported as "kernel layout not explained".
4. A class's page-aligned size is the distance to the next non-empty
   class's base in the same allocation; the last class of an allocation
   ends where its vmalloc area's guard page starts (so data includes the
   core kallsyms copy, as a mod_mem DATA allocation would). Init text's
   size is known when an init rodata/data class follows it; init areas are
   freed before the report.
5. The module's core vmalloc areas, one guard page off each, must add up to
   the /proc/modules size (counted and printed as a fact, not compared).
   With DATA_IN_VMALLOC (ppc32) 6.1 puts rodata, ro_after_init and data
   in a second block (data_layout; `m ? &data_layout : &core_layout` in
   layout_sections()), which step 4 handles as a second allocation.

modbed's side: a section's type and address come from --dump's
layout.json, the base and size of each type from --json. The offset is the
address minus that type's base, whatever allocation shape modbed uses.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pylib'))
from kofile import SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, sections  # noqa: E402

PAGE = 4096
CORE = ['text', 'rodata', 'ro_after_init', 'data']
INIT = ['init_text', 'init_rodata', 'init_data']
# Sections 6.1's module_frob_arch_sections() gives SHF_EXECINSTR|SHF_ALLOC.
ARCH_FORCED_FLAGS = {
    'arm64': {'.plt': SHF_EXECINSTR | SHF_ALLOC, '.init.plt': SHF_EXECINSTR | SHF_ALLOC,
              '.text.ftrace_trampoline': SHF_EXECINSTR | SHF_ALLOC},
}
RO_AFTER_INIT_NAMES = ('.data..ro_after_init', '__jump_table')


def kernel_class(arch, sec):
    """6.1's class of a section (step 1 above)."""
    if sec.name in ('.symtab', '.strtab'):
        return 'init_data'
    flags = ARCH_FORCED_FLAGS.get(arch, {}).get(sec.name, sec.flags)
    init = sec.name.startswith('.init')
    if flags & SHF_EXECINSTR:
        cls = 'text'
    elif not flags & SHF_WRITE:
        cls = 'rodata'
    elif sec.name in RO_AFTER_INIT_NAMES and not init:
        cls = 'ro_after_init'
    else:
        cls = 'data'
    return 'init_' + cls if init else cls


def parse_boot(path):
    """Modules in load order with their sections, /proc/modules line and load
    status, plus the vmallocinfo areas, from between the markers."""
    mods, order, vmalloc, loads = {}, [], [], {}
    inside = False
    cur = None
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n').rstrip('\r')
            if line.startswith('oracle: load '):
                p = line.split()
                loads[p[2]] = ' '.join(p[4:])
            if line == '=== MODBED ORACLE BEGIN ===':
                inside = True
                continue
            if line == '=== MODBED ORACLE END ===':
                return mods, order, vmalloc, loads, True
            if not inside:
                continue
            p = line.split()
            if not p:
                continue
            if p[0] == 'module':
                cur = {'name': p[1], 'path': p[2], 'sections': {}, 'base': None, 'size': None}
                mods[p[1]] = cur
                order.append(p[1])
            elif p[0] == 'section' and len(p) == 4:
                mods[p[1]]['sections'][p[2]] = int(p[3], 16)
            elif p[0] == 'procmodules':
                # NAME SIZE REFS DEPS STATE ADDR
                mods[p[1]]['size'] = int(p[2])
                mods[p[1]]['base'] = int(p[-1], 16)
            elif p[0] == 'vmalloc':
                m = re.match(r'0x([0-9a-f]+)-0x([0-9a-f]+)\s+(\d+)\s*(.*)', ' '.join(p[1:]))
                if m:
                    vmalloc.append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(3)), m.group(4)))
    return mods, order, vmalloc, loads, False


def derive_kernel(arch, kmod, kofile, vmalloc, strict):
    """Per section (class, offset from class base; from its block's base
    without STRICT_MODULE_RWX), per class base and page-aligned size, the
    classes of each block, the core allocations (vmalloc areas) and the
    problems found when checking (steps 1-5)."""
    secs = {s.name: s for s in sections(kofile)[0]}
    problems = []
    cls = {}
    for name in kmod['sections']:
        if name not in secs:
            problems.append('%s: listed by the kernel but not in the file' % name)
            continue
        cls[name] = kernel_class(arch, secs[name])
    base = {}
    for name, c in cls.items():
        a = kmod['sections'][name]
        base[c] = min(base.get(c, a), a)
    for c, b in base.items():
        if strict and b % PAGE:
            problems.append('%s starts at %#x, not on a page' % (c, b))
    if base.get('text') is not None and base['text'] != kmod['base']:
        problems.append('text base %#x is not the /proc/modules base %#x' % (base['text'], kmod['base']))

    # Core classes share a block per vmalloc area: one on x86_64/arm64, text
    # apart from rodata..data where DATA_IN_VMALLOC moves data_layout
    # (ppc32). The last class of a block ends where the area's guard page
    # starts; init areas are gone, so only inner init classes get a size.
    def area_of(addr):
        return next((v for v in vmalloc if v[0] <= addr < v[1]), None)

    size, areas = {}, []
    groups = {}
    for c in CORE:
        if c in base:
            v = area_of(base[c])
            if v is None:
                problems.append('%s at %#x is in no vmalloc area' % (c, base[c]))
                continue
            if v not in areas:
                areas.append(v)
            groups.setdefault(v, []).append(c)
    init_present = [c for c in INIT if c in base]
    blocks = [(present, v[1] - PAGE) for v, present in groups.items()] + [(init_present, None)]
    for present, end in blocks:
        for i, c in enumerate(present):
            nxt = base[present[i + 1]] if i + 1 < len(present) else end
            if nxt is None:
                continue
            if nxt <= base[c]:
                problems.append('%s at %#x is not below the next class (%#x)' % (c, base[c], nxt))
            if strict:
                size[c] = nxt - base[c]
            for name, sc in cls.items():
                a = kmod['sections'][name]
                if sc == c and a + secs[name].size > nxt:
                    problems.append('%s (%s) at %#x runs past the next class at %#x' % (name, c, a, nxt))
    for c in CORE:
        if strict:
            size.setdefault(c, 0)
    origin = dict(base)
    block_of = {}
    for present, _ in blocks:
        for c in present:
            block_of[c] = present
            if not strict:
                origin[c] = min(base[p] for p in present)
    out = {name: (c, kmod['sections'][name] - origin[c]) for name, c in cls.items() if c in origin}
    return out, base, size, block_of, areas, problems


def packed_from(secs, order, start):
    """Addresses of sections laid out one after the other from start, each
    at its own alignment (the kernel's and modbed's rule inside a class)."""
    pos, out = start, {}
    for name in order:
        a = max(secs[name].align, 1)
        pos = (pos + a - 1) // a * a
        out[name] = pos
        pos += secs[name].size
    return out


def base_explains(kofile, kmod, mmod, c, names):
    """True when a class's differences are only where it starts: the kernel's
    sections of class c are the packed layout from the kernel's class base,
    modbed's the same layout (same order) from modbed's page-aligned base,
    and the kernel's base is not a multiple of some section's alignment
    (6.1 without STRICT_MODULE_RWX starts a class where the previous one
    ended, e.g. data right after rodata in one allocation)."""
    secs = {s.name: s for s in sections(kofile)[0]}
    names = sorted(names, key=lambda n: kmod['sections'][n])
    if any(n not in secs or n not in mmod['sections'] for n in names):
        return False
    kbase = kmod['sections'][names[0]]
    mbase = mmod['types'][c][0]
    if sorted(names, key=lambda n: mmod['sections'][n][1]) != names:
        return False
    return (packed_from(secs, names, kbase) == {n: kmod['sections'][n] for n in names}
            and packed_from(secs, names, mbase) == {n: mmod['sections'][n][1] for n in names}
            and any(kbase % max(secs[n].align, 1) for n in names))


def kernel_facts(kmods, order, vmalloc):
    """What the kernel's placement looked like, for whoever models it: the
    first core's address, the vmalloc area that ends where it starts (the
    earlier user of the module area, e.g. x86_64's bpf_prog_pack), and how
    many cores went into ranges earlier modules' init blocks had used."""
    live = [kmods[n] for n in order if kmods[n]['base'] is not None]
    if not live:
        return []
    first = live[0]['base']
    facts = ['first module core at %#x' % first]
    before = [v for v in vmalloc if v[1] == first]
    for v in before:
        facts.append('before it: %#x-%#x (%d bytes with guard page) %s' % (v[0], v[1], v[2], v[3].split()[0]))
    reused, inits = 0, []
    for m in live:
        if any(lo <= m['base'] < hi for lo, hi in inits):
            reused += 1
        init = [a for n, a in m['sections'].items() if n.startswith('.init') or n in ('.symtab', '.strtab')]
        if init:
            inits.append((min(init) & ~(PAGE - 1), max(init) + 1))
    facts.append('cores placed where an earlier init block was: %d of %d' % (reused, len(live)))
    return facts


def strict_module_rwx(kernel):
    """CONFIG_STRICT_MODULE_RWX from the config beside the kernel (the
    corpus's config-VERSION, a kbuild folder's config-VERSION or .config),
    and the file it came from; True (both Debian configs) if there is none."""
    d = os.path.dirname(kernel)
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        path = os.path.join(d, name)
        if (name.startswith('config-') or name == '.config') and os.path.isfile(path):
            with open(path, errors='replace') as f:
                return 'CONFIG_STRICT_MODULE_RWX=y\n' in f.read(), path
    return True, None


def system_map(kernel):
    """The System.map beside the kernel (kbuild's System.map, or a
    distribution's System.map-VERSION), or None."""
    d = os.path.dirname(kernel)
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if name == 'System.map' or name.startswith('System.map-'):
            return os.path.join(d, name)
    return None


def modbed_origin(mmod, c, kblock, strict):
    """What modbed's offsets in class c count from: the type's base, or
    without STRICT_MODULE_RWX the base of the block the kernel put c in
    (the lowest base of modbed's non-empty types of those classes)."""
    if strict or c not in kblock:
        return mmod['types'][c][0]
    return min(mmod['types'][t][0] for t in kblock[c] + [c] if mmod['types'].get(t, (0, 0))[1])


def run_modbed(args, files, tmp):
    dump = os.path.join(tmp, 'dump')
    cmd = [args.modbed, 'load', '--no-init', '--json', '--dump', dump] + files + shlex.split(args.modbed_args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        return None, 'modbed exit %d: %s' % (p.returncode, p.stderr.strip()[:2000])
    summary = json.loads(p.stdout)
    with open(os.path.join(dump, 'layout.json')) as f:
        layout = json.load(f)
    mods = {}
    for m in summary['modules']:
        mods[m['name']] = {'path': m['path'],
                           'types': {t['type']: (int(t['base'], 16), int(t['size'], 16)) for t in m['types']}}
    for m in layout['modules']:
        mods[m['name']]['sections'] = {s['name']: (s['type'], int(s['addr'], 16), int(s['size'], 16))
                                       for s in m['sections']}
    return (summary, mods), None


def pct(n, m):
    return '%d of %d (%.1f %%)' % (n, m, 100.0 * n / m) if m else '0 of 0'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--arch', required=True)
    ap.add_argument('--boot', required=True, help="boot.sh's console output")
    ap.add_argument('--list', help='the module list booted (default: BOOT.modules)')
    ap.add_argument('--root', help='the folder the list is relative to (default: from BOOT.root)')
    ap.add_argument('--modbed', required=True)
    ap.add_argument('--modbed-args', default='', help='extra modbed options, e.g. "--kernel 6.1 --map M"')
    ap.add_argument('--absolute', action='store_true', help='also compare absolute addresses')
    ap.add_argument('--absolute-classes', default='',
                    help='compare absolute addresses of these kernel classes only (comma list)')
    ap.add_argument('--report-only', action='store_true', help='exit 0 whatever the differences')
    ap.add_argument('--strict-rwx', choices=('auto', 'yes', 'no'), default='auto',
                    help='CONFIG_STRICT_MODULE_RWX (auto: the config beside BOOT.kernel, '
                    'which modbed then gets as --kernel-config)')
    ap.add_argument('--max-list', type=int, default=400, help='differing sections listed at most')
    args = ap.parse_args()
    fail = 0 if args.report_only else 1
    if not os.path.exists(args.boot):
        if os.environ.get('MODBED_REQUIRE_EVIDENCE') == '1':
            print('compare.py: %s: MODBED_REQUIRE_EVIDENCE=1 but there is no boot output %s' % (args.arch, args.boot))
            return 1
        print('compare.py: %s: skipped: no boot output %s (boot skipped?)' % (args.arch, args.boot))
        return 77
    if args.list is None:
        args.list = args.boot + '.modules'
    try:
        if args.root is None:
            with open(args.boot + '.root') as f:
                args.root = f.read().strip()
        open(args.list).close()
    except OSError as e:
        print('compare.py: %s: %s (give --list and --root, or boot with boot.sh)' % (args.arch, e))
        return 1

    kmods, order, vmalloc, loads, complete = parse_boot(args.boot)
    if not complete:
        print('compare.py: %s: %s: no complete oracle report (end marker missing)' % (args.arch, args.boot))
        return 1
    kernel = ''
    if os.path.exists(args.boot + '.kernel'):
        with open(args.boot + '.kernel') as f:
            kernel = f.read().strip()
    smap = system_map(kernel) if kernel else None
    if smap:
        # the real kernel image: _etext decides ppc32's module text window
        args.modbed_args += ' --system-map ' + shlex.quote(smap)
    abs_classes = set(CORE + INIT) if args.absolute else set(c for c in args.absolute_classes.split(',') if c)
    if args.strict_rwx == 'auto':
        strict, config = strict_module_rwx(kernel) if kernel else (True, None)
    else:
        strict, config = args.strict_rwx == 'yes', None
    if config:
        # modbed models the kernel the boot ran: the same .config
        args.modbed_args += ' --kernel-config ' + shlex.quote(config)
    with open(args.list) as f:
        rel = [l.split('#', 1)[0].strip() for l in f]
    rel = [r for r in rel if r]
    files = [os.path.join(args.root, r) for r in rel]
    failed_k = [n for n, s in loads.items() if s != 'ok']

    with tempfile.TemporaryDirectory() as tmp:
        got, err = run_modbed(args, files, tmp)
    print('oracle %s: kernel report %s (%d modules, %d failed to load in the kernel)'
          % (args.arch, os.path.basename(args.boot), len(order), len(failed_k)))
    print('  modbed load --no-init %s' % args.modbed_args)
    print('  kernel classes page-aligned (STRICT_MODULE_RWX): %s%s'
          % ('yes' if strict else 'no, class sizes not compared', ' (%s)' % config if config else ''))
    for fact in kernel_facts(kmods, order, vmalloc):
        print('  kernel: %s' % fact)
    for n in failed_k:
        print('  kernel: %s failed to load: %s' % (n, loads[n]))
    if got is None:
        print('  modbed failed, nothing compared: %s' % err)
        return fail
    summary, mmods = got
    by_path = {os.path.normpath(m['path']): n for n, m in mmods.items()}

    diffs, problems = [], []
    nsec = nsec_eq = 0
    rel_eq = 0  # same class, same offset from the class's lowest section (any layout rule)
    explained = 0
    size_eq = {c: [0, 0] for c in CORE + ['init_text']}
    abs_eq = abs_n = 0
    abs_cls = {}  # kernel class: [modules all equal, modules with the class, sections equal, sections]
    vm_ok = 0
    for r, path in zip(rel, files):
        kname = next((n for n in order if kmods[n]['path'] == '/m/' + r), None)
        mname = by_path.get(os.path.normpath(path))
        if kname is None or mname is None:
            problems.append('%s: missing from the %s' % (r, 'kernel report' if kname is None else 'modbed output'))
            continue
        kmod, mmod = kmods[kname], mmods[mname]
        if kmod['base'] is None:
            problems.append('%s: not in /proc/modules (kernel: %s)' % (kname, loads.get(kname, '?')))
            continue
        ksec, kbase, ksize, kblock, kareas, kprob = derive_kernel(args.arch, kmod, path, vmalloc, strict)
        # 6.1 page-aligns each layout's size only with STRICT_MODULE_RWX;
        # vmalloc always rounds up to pages.
        tot = sum(v[2] - PAGE for v in kareas)
        if kareas and (tot == kmod['size'] if strict else kmod['size'] <= tot < kmod['size'] + PAGE * len(kareas)):
            vm_ok += 1
        problems += ['%s: kernel layout not explained: %s' % (kname, p) for p in kprob]
        all_abs = True
        cls_abs = {}
        ndiff0 = len(diffs)
        for name in sorted(ksec, key=lambda n: kmod['sections'][n]):
            kc, koff = ksec[name]
            nsec += 1
            m = mmod['sections'].get(name)
            if m is None:
                diffs.append((kname, name, '%s+%#x' % (kc, koff), 'not placed'))
                all_abs = False
                continue
            mc, maddr, _ = m
            moff = maddr - modbed_origin(mmod, mc, kblock, strict)
            if (mc, moff) == (kc, koff):
                nsec_eq += 1
            mlow = min((a for t, a, s in mmod['sections'].values() if t == mc and s), default=maddr)
            if (mc, maddr - mlow) == (kc, kmod['sections'][name] - kbase[kc]):
                rel_eq += 1
            else:
                diffs.append((kname, name, '%s+%#x' % (kc, koff), '%s+%#x' % (mc, moff)))
            same = maddr == kmod['sections'][name]
            cls_abs.setdefault(kc, []).append(same)
            if not same:
                all_abs = False
                if kc in abs_classes:
                    diffs.append((kname, name, 'at %#x' % kmod['sections'][name], 'at %#x' % maddr))
        # sysfs lists every allocated non-empty section: one modbed placed
        # that the kernel does not list is a difference too (and catches a
        # report that lost sections).
        for name, (mc, maddr, msize) in sorted(mmod['sections'].items(), key=lambda x: x[1][1]):
            if msize and name not in kmod['sections']:
                nsec += 1
                diffs.append((kname, name, 'not listed',
                              '%s+%#x' % (mc, maddr - modbed_origin(mmod, mc, kblock, strict))))
        # Offsets that differ only because of where the class starts.
        for c in sorted({d[2].split('+')[0] for d in diffs[ndiff0:] if '+' in d[2]}):
            mine = [d for d in diffs[ndiff0:] if d[2].startswith(c + '+') and d[3].startswith(c + '+')]
            if mine and base_explains(path, kmod, mmod, c, [n for n in ksec if ksec[n][0] == c]):
                explained += len(mine)
        abs_n += 1
        abs_eq += all_abs
        for c, same in cls_abs.items():
            a = abs_cls.setdefault(c, [0, 0, 0, 0])
            a[0] += all(same)
            a[1] += 1
            a[2] += sum(same)
            a[3] += len(same)
        for c in size_eq:
            ks = ksize.get(c)
            if ks is None:
                continue
            ms = mmod['types'].get(c, (0, 0))[1]
            size_eq[c][1] += 1
            if ks == ms:
                size_eq[c][0] += 1
            elif c in ('data', 'text', 'rodata', 'ro_after_init'):
                diffs.append((kname, '[%s size]' % c, '%#x' % ks, '%#x' % ms))

    nmod = abs_n
    print('  %-44s %s' % ('sections equal in type and offset' + ('' if strict else ' (in the block)'),
                          pct(nsec_eq, nsec)))
    print('  %-44s %s' % ('... offset from the class\'s first section', pct(rel_eq, nsec)))
    for c in CORE + ['init_text']:
        n, m = size_eq[c]
        print('  %-44s %s' % ('page-aligned %s size equal (modules)' % c, pct(n, m)))
    print('  %-44s %s%s' % ('absolute addresses equal (modules)', pct(abs_eq, nmod),
                            '' if args.absolute else '  [not a failure without --absolute]'))
    for c in CORE + INIT:
        if c in abs_cls:
            a = abs_cls[c]
            print('  %-44s %s; sections %s%s' % ('... %s: modules all equal' % c, pct(a[0], a[1]), pct(a[2], a[3]),
                                                 '' if c in abs_classes else '  [report only]'))
    print('  %-44s %d of %d' % ('kernel: core areas (+1 guard page each) fit size', vm_ok, nmod))
    for p in problems:
        print('  problem: %s' % p)
    print('  %-44s %d of %d' % ('differences only from the class base', explained,
                                  sum(1 for d in diffs if '+' in d[2] and '+' in d[3])))
    if diffs:
        print('  differing (module, section: kernel vs modbed), %d:' % len(diffs))
        for d in diffs[:args.max_list]:
            print('    %-20s %-28s %-24s %s' % d)
        if len(diffs) > args.max_list:
            print('    ... %d more' % (len(diffs) - args.max_list))
    bad = bool(problems) or nsec_eq != nsec or any(n != m for n, m in size_eq.values()) \
        or (args.absolute and abs_eq != nmod) \
        or any(abs_cls[c][2] != abs_cls[c][3] for c in abs_classes if c in abs_cls)
    return fail if bad else 0


if __name__ == '__main__':
    sys.exit(main())
