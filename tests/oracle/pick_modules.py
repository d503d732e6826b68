#!/usr/bin/env python3
"""Write an oracle module list: the wanted modules plus their dependencies,
each after everything it depends on (depends= in .modinfo, as modprobe
orders them).

usage: pick_modules.py CORPUS_KERNEL_DIR WANTED_FILE > modules-ARCH.txt
WANTED_FILE: module names (file base names without .ko), separated by
white space, '#' comments. Output: paths relative to CORPUS_KERNEL_DIR, one per line.
Run by hand when the selection changes; the lists are committed so that the
boot's cache key and the compare see exactly the files listed."""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pylib'))
from kofile import modinfo  # noqa: E402


def main():
    root, wanted_file = sys.argv[1], sys.argv[2]
    files = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith('.ko'):
                p = os.path.relpath(os.path.join(d, f), root)
                files[f[:-3].replace('-', '_')] = p
    wanted = []
    with open(wanted_file) as f:
        for line in f:
            for name in line.split('#', 1)[0].split():
                wanted.append(name.replace('-', '_'))
    order, seen = [], set()

    def visit(name, chain):
        if name in seen:
            return
        if name in chain:
            sys.exit('pick_modules.py: dependency cycle: ' + ' -> '.join(chain + [name]))
        if name not in files:
            sys.exit('pick_modules.py: %s: no such module in %s' % (name, root))
        deps = modinfo(os.path.join(root, files[name])).get('depends', '')
        for dep in sorted(d for d in deps.split(',') if d):
            visit(dep.replace('-', '_'), chain + [name])
        seen.add(name)
        order.append(files[name])

    for name in wanted:
        visit(name, [])
    print('\n'.join(order))


if __name__ == '__main__':
    main()
