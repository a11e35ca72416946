"""Writes a valid sandbox package (format spark-promote-sandbox-package/1, see src/sandbox/package.rs) of about
exactly SIZE bytes: one service `source/payload` with one version whose file is random (incompressible) bytes,
stored without compression, so the ZIP is as large as its payload and every entry stays within the sandbox's
per-entry cap (its upload limit, 200 MiB by default).

Usage: make-package.py SIZE_BYTES OUT.zip
"""
import json
import os
import sys
import uuid
import zipfile

CHUNK = 1 << 20


def write(out: str, payload: int) -> None:
    version_id = str(uuid.uuid4())
    file = f'versions/{version_id}.bin'
    manifest = {
        'format': 'spark-promote-sandbox-package/1',
        'source_tenant': 'bench-source',
        'file_filter': 'migrate',
        'services': [
            {
                'folder': 'source',
                'service': 'payload',
                'service_id': str(uuid.uuid4()),
                'versions': [{'version': '1.0.0', 'version_id': version_id, 'file': file}],
            }
        ],
    }
    with zipfile.ZipFile(out, 'w', compression=zipfile.ZIP_STORED) as archive:
        with archive.open(zipfile.ZipInfo(file), 'w') as entry:
            left = payload
            while left > 0:
                entry.write(os.urandom(min(CHUNK, left)))
                left -= CHUNK
        archive.writestr('manifest.json', json.dumps(manifest, indent=2))


def main() -> None:
    size, out = int(sys.argv[1]), sys.argv[2]
    # The framing (headers, manifest) has a fixed length: measure it on a first try, then hit SIZE exactly.
    write(out + '.tmp', size)
    framing = os.path.getsize(out + '.tmp') - size
    write(out + '.tmp', size - framing)
    os.replace(out + '.tmp', out)


if __name__ == '__main__':
    main()
