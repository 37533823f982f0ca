#!/usr/bin/env python3
"""Writes include/visa.h: the hand-written parts below plus the status and attribute macros
expanded from include/cppvisa/status_codes.def and attributes.def (the single tables).
Run from the repository root: python3 src/cabi/tools/gen_visa_h.py > include/visa.h
With --check FILE it writes nothing, compares its output with FILE (the committed include/visa.h)
and exits 1 with a unified diff when they differ: CTest's tools.gen_visa_h, so that a hand edit of
visa.h that the template lacks cannot come back."""
import difflib, re, sys, os

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
status_rows = re.findall(r'^CPPVISA_STATUS\((\w+),\s*(0x[0-9A-Fa-f]+),', open(f'{root}/include/cppvisa/status_codes.def').read(), re.M)
attr_rows = re.findall(r'^CPPVISA_ATTR\((\w+),\s*"(\w+)",\s*(0x[0-9A-Fa-f]+),', open(f'{root}/include/cppvisa/attributes.def').read(), re.M)

def status_lines():
    out = []
    for name, value in status_rows:
        v = int(value, 16)
        full = 'VI_' + name
        if name == 'SUCCESS':
            continue  # in visatype.h
        if v & 0x80000000:
            out.append(f'#define {full:<40} (_VI_ERROR+0x{v & 0x7FFFFFFF:08X}L)')
        else:
            out.append(f'#define {full:<40} (0x{v:08X}L)')
    out.append(f'#define {"VI_ERROR_INV_SESSION":<40} (_VI_ERROR+0x3FFF000EL)')
    return '\n'.join(out)

def attr_lines():
    out = []
    for _, vname, value in attr_rows:
        out.append(f'#define {vname:<44} (0x{int(value, 16):08X}UL)')
    return '\n'.join(out)

TEMPLATE = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'visa_h.in')).read()
header = TEMPLATE.replace('@STATUS_CODES@', status_lines()).replace('@ATTRIBUTES@', attr_lines())
if len(sys.argv) == 3 and sys.argv[1] == '--check':
    committed = open(sys.argv[2]).read()
    if committed == header:
        sys.exit(0)
    sys.stdout.writelines(difflib.unified_diff(header.splitlines(True), committed.splitlines(True),
                                               'generated', sys.argv[2]))
    print(f'{sys.argv[2]} differs from the output of {sys.argv[0]}: edit src/cabi/tools/visa_h.in '
          '(or the .def tables) and regenerate, never visa.h by hand', file=sys.stderr)
    sys.exit(1)
if len(sys.argv) != 1:
    sys.exit(f'usage: {sys.argv[0]} [--check include/visa.h]')
sys.stdout.write(header)
