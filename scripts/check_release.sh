#!/usr/bin/env bash
# Release checks: build the sdist and wheel, validate their metadata and contents, then install
# the wheel into a fresh venv WITHOUT test extras and generate one video against the emulator.
#
#   scripts/check_release.sh [PYTHON]     (default: .venv/bin/python; needs `build` and `twine`)
#
# Builds into a temporary directory (printed at the end); the working tree is left untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-.venv/bin/python}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/veowrap-release.XXXXXX")"
DIST="$WORK/dist"
fail() { echo "check_release: FAIL: $*" >&2; exit 1; }

echo "== build sdist and wheel into $DIST"
"$PYTHON" -m build --sdist --wheel --outdir "$DIST" . >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log"; fail "python -m build"; }
shopt -s nullglob
wheels=("$DIST"/veowrap-*.whl)
sdists=("$DIST"/veowrap-*.tar.gz)
[ ${#wheels[@]} -eq 1 ] || fail "expected one wheel, found ${#wheels[@]}"
[ ${#sdists[@]} -eq 1 ] || fail "expected one sdist, found ${#sdists[@]}"
WHEEL="${wheels[0]}"
SDIST="${sdists[0]}"
echo "   $(basename "$WHEEL")  $(basename "$SDIST")"

echo "== twine check (metadata, README rendering)"
"$PYTHON" -m twine check --strict "$DIST"/*

echo "== wheel and sdist contents"
"$PYTHON" - "$WHEEL" "$SDIST" <<'PY'
import os
import re
import sys
import tarfile
import zipfile

wheel, sdist = sys.argv[1], sys.argv[2]
names = zipfile.ZipFile(wheel).namelist()
problems = []
version = re.match(r"veowrap-([^-]+)-", os.path.basename(wheel)).group(1)
required = ["veowrap/__init__.py", "veowrap/py.typed", "veowrap/catalog.json"]
problems += [f"wheel lacks {name}" for name in required if name not in names]
assets = [n for n in names if re.fullmatch(r"veowrap/testing/assets/[^/]+\.mp4", n)]
if not assets:
    problems.append("wheel lacks the emulator assets veowrap/testing/assets/*.mp4")
for name in names:
    top = name.split("/")[0]
    if "__pycache__" in name or name.endswith((".pyc", ".pyo")):
        problems.append(f"wheel holds compiled file {name}")
    if top not in ("veowrap", f"veowrap-{version}.dist-info"):
        problems.append(f"wheel holds {name} outside the package (tests? examples?)")
metadata = zipfile.ZipFile(wheel).read(f"veowrap-{version}.dist-info/METADATA").decode()
for needed in ("Requires-Dist: google-genai", "License-Expression: Apache-2.0", "Typing :: Typed"):
    if needed not in metadata:
        problems.append(f"METADATA lacks {needed!r}")
members = tarfile.open(sdist).getnames()
for needed in ("src/veowrap/py.typed", "LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"):
    if not any(m.endswith("/" + needed) for m in members):
        problems.append(f"sdist lacks {needed}")
if any("__pycache__" in m for m in members):
    problems.append("sdist holds __pycache__")
if problems:
    sys.exit("\n".join(problems))
print(f"   wheel: {len(names)} files, {len(assets)} emulator assets; sdist: {len(members)} files")
PY

echo "== install the wheel into a fresh venv (no test extras) and smoke-test it"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "$WHEEL"
if "$WORK/venv/bin/python" -c "import pytest" 2>/dev/null; then
  fail "pytest is installed in the clean venv: a runtime dependency pulls in test tools"
fi
(cd "$WORK" && "$WORK/venv/bin/python" - "$WORK/smoke" <<'PY'
import sys
from pathlib import Path

import veowrap
from veowrap.testing import VeoEmulator, inspect_mp4

assert veowrap.__file__.startswith(sys.prefix), f"imported {veowrap.__file__}, not the wheel"
print(f"   veowrap {veowrap.__version__} from {Path(veowrap.__file__).parent}")
with VeoEmulator(latency=0.2) as emulator:
    generator = veowrap.VideoGenerator(
        client=emulator.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.05)
    )
    result = generator.generate("a paper boat", model="veo-3.1-generate-001", duration_seconds=8)
    (path,) = result.save(Path(sys.argv[1]) / "smoke.mp4")
info = inspect_mp4(path)
assert info.codec == "avc1" and info.duration_s > 0, info
print(f"   generated {path.name}: {info}")
PY
)
echo "== release checks passed; artifacts in $DIST"
