#!/usr/bin/env python3
"""The ICU data `make dist` links into lmb: the toolchain's full ICU data package, less what lmb never reads.

Linked statically, Foundation brings ICU and all of its data (34 MB, 13 MB gzipped: every locale's names, collation,
calendars and units, converters for every code page, word-break dictionaries for Thai and Chinese). lmb's own text is
English and its dates and amounts are its own code's; what it reads through ICU is the root and English locale data
(date formats, time zones, calendars), Unicode properties and normalization, and the Shift_JIS and Windows-1252
converters for Amazon's documents. That is kept, with every item that is not per-locale; the rest is left out.

    scripts/icu_data.py ARCHIVE OUT.o    from the toolchain's lib_FoundationICU.a, an object holding the smaller
                                         package as __wrap_icudtNN_dat; prints icudtNN_dat, the symbol to link with
                                         `--wrap=icudtNN_dat` and OUT.o so that ICU reads it and never pulls in its own
"""
import fnmatch, os, re, struct, subprocess, sys, tempfile

# Locale bundles kept in every tree (the top level, coll/, curr/, zone/, …): the root and English ones, and the index.
LOCALES = {'root', 'en', 'en_US', 'en_US_POSIX', 'res_index'}
# Converters kept: Shift_JIS and Windows-31J (cp932) for Amazon Japan's documents, Windows-1252 for Europe's.
CONVERTERS = {'ibm-943_P15A-2003.cnv', 'ibm-943_P130-1999.cnv', 'ibm-5348_P100-1997.cnv', 'ibm-1252_P100-2000.cnv'}
LOCALE_BUNDLE = re.compile(r'^(?:[a-z]+/)?([a-z]{2,3}(?:_[A-Za-z0-9]*)*)\.res$')


def keep(item):
    """`item` is a name inside the package, such as `coll/root.res` or `ibm-943_P15A-2003.cnv`."""
    if item.endswith('.cnv'):
        return item in CONVERTERS
    if item.endswith('.dict'):   # word-break dictionaries for Chinese, Japanese, Thai, Lao, Khmer, Burmese
        return False
    bundle = LOCALE_BUNDLE.match(item)
    if bundle or item.startswith('coll/') and item.endswith('.res'):
        name = bundle.group(1) if bundle else item[len('coll/'):-len('.res')]
        return name in LOCALES
    return True


def read_package(blob):
    """The items of an ICU common data package (format CmnD): [(name, bytes)], in table-of-contents order."""
    header_size = struct.unpack_from('<H', blob, 0)[0]
    if blob[2:4] != b'\xda\x27' or blob[12:16] != b'CmnD':
        sys.exit('icu_data: not an ICU common data package')
    count = struct.unpack_from('<I', blob, header_size)[0]
    toc = [struct.unpack_from('<II', blob, header_size + 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_offset, data_offset) in enumerate(toc):
        name_start = header_size + name_offset
        name = blob[name_start:blob.index(b'\0', name_start)].decode('ascii')
        data_end = toc[i + 1][1] if i + 1 < count else len(blob) - header_size
        items.append((name, blob[header_size + data_offset:header_size + data_end]))
    return blob[:header_size], items


def write_package(header, items):
    """The package again, holding `items`: names sorted (ICU binary-searches them), each item 16-byte aligned."""
    items = sorted(items, key=lambda item: item[0].encode('ascii'))
    toc_size = 4 + 8 * len(items)
    names, name_offsets = b'', []
    for name, _ in items:
        name_offsets.append(toc_size + len(names))
        names += name.encode('ascii') + b'\0'
    data_start = (toc_size + len(names) + 15) & ~15
    data, data_offsets = b'', []
    for _, item in items:
        data_offsets.append(data_start + len(data))
        data += item + b'\0' * (-len(item) % 16)
    toc = struct.pack('<I', len(items)) + b''.join(struct.pack('<II', n, d) for n, d in zip(name_offsets, data_offsets))
    body = toc + names
    return header + body + b'\0' * (data_start - len(body)) + data


def main(archive, out):
    with tempfile.TemporaryDirectory() as work:
        member = 'icu_packaged_data.cpp.o'
        subprocess.run(['ar', 'x', os.path.abspath(archive), member], cwd=work, check=True)
        symbols = subprocess.run(['nm', os.path.join(work, member)], capture_output=True, text=True, check=True).stdout
        symbol = next(line.split()[-1] for line in symbols.splitlines() if re.search(r'\bicudt\d+_dat$', line))
        full = os.path.join(work, 'full.dat')
        subprocess.run(['objcopy', '-O', 'binary', '--only-section=.rodata', os.path.join(work, member), full], check=True)
        header, items = read_package(open(full, 'rb').read())
        prefix = items[0][0].split('/', 1)[0] + '/'   # icudt76l/
        kept = [(name, item) for name, item in items if keep(name[len(prefix):])]
        small = os.path.join(work, 'small.dat')
        open(small, 'wb').write(write_package(header, kept))
        # Read-only and aligned as ICU's own object has it. The linker, told --wrap=icudtNN_dat, sends ICU's one
        # reference to __wrap_icudtNN_dat, so that it never pulls in the full package's member of the archive.
        described = subprocess.run(['objdump', '-f', os.path.join(work, member)], capture_output=True, text=True, check=True).stdout
        file_format = re.search(r'file format (\S+)', described).group(1)          # elf64-x86-64
        architecture = re.search(r'architecture: ([^,\s]+)', described).group(1)   # i386:x86-64
        start = '_binary_' + re.sub(r'[^A-Za-z0-9]', '_', small) + '_start'
        subprocess.run(['objcopy', '-I', 'binary', '-O', file_format, '-B', architecture,
                        '--rename-section', '.data=.rodata,alloc,load,readonly,data,contents',
                        '--set-section-alignment', '.data=16', '--redefine-sym', f'{start}=__wrap_{symbol}',
                        '--strip-symbol', start.replace('_start', '_end'), '--strip-symbol', start.replace('_start', '_size'),
                        small, out], check=True)
        print(f'ICU data: {len(kept)} of {len(items)} items, {os.path.getsize(small)} of {os.path.getsize(full)} bytes',
              file=sys.stderr)
        print(symbol)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
