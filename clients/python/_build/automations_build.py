"""A minimal in-tree PEP 517 build backend (standard library only).

pip's usual backend, setuptools, needs the 'wheel' package and build isolation needs a package index to fetch them;
a training machine may have neither. This builds the pure-Python wheel of the 'automations' package directly:
the package files, METADATA, WHEEL, entry_points.txt and RECORD, as the wheel format (PEP 427) specifies.
"""

import base64
import hashlib
import os
import tarfile
import zipfile

NAME = "automations_client"
DIST = "automations-client"
VERSION = "1.0.0"
PACKAGE = "automations"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

METADATA = f"""Metadata-Version: 2.1
Name: {DIST}
Version: {VERSION}
Summary: Python client for Automations: log artifact versions, move aliases, manage automations, verify webhooks
Requires-Python: >=3.9
License: MIT
"""

WHEEL = """Wheel-Version: 1.0
Generator: automations_build
Root-Is-Purelib: true
Tag: py3-none-any
"""

ENTRY_POINTS = """[console_scripts]
automations = automations.cli:main
"""


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def _package_files():
    base = os.path.join(ROOT, PACKAGE)
    for directory, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py") or name == "py.typed":
                full = os.path.join(directory, name)
                yield full, os.path.relpath(full, ROOT).replace(os.sep, "/")


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = f"{NAME}-{VERSION}-py3-none-any.whl"
    dist_info = f"{NAME}-{VERSION}.dist-info"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        def add(path, data):
            wheel.writestr(path, data)
            records.append(_record_line(path, data))

        for full, relative in _package_files():
            with open(full, "rb") as f:
                add(relative, f.read())
        add(f"{dist_info}/METADATA", METADATA.encode())
        add(f"{dist_info}/WHEEL", WHEEL.encode())
        add(f"{dist_info}/entry_points.txt", ENTRY_POINTS.encode())
        records.append(f"{dist_info}/RECORD,,")
        wheel.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return filename


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{VERSION}"
    filename = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as sdist:
        for name in ("pyproject.toml", "README.md"):
            sdist.add(os.path.join(ROOT, name), f"{base}/{name}")
        sdist.add(os.path.join(ROOT, "_build", "automations_build.py"), f"{base}/_build/automations_build.py")
        for full, relative in _package_files():
            sdist.add(full, f"{base}/{relative}")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        data = METADATA.encode()
        info.size = len(data)
        import io
        sdist.addfile(info, io.BytesIO(data))
    return filename
