#!/usr/bin/env bash
# Build Backprop Lab as a one-folder application with PyInstaller, then check the binary:
# it lists the examples, trains one headless, exports ONNX, and runs `selftest` (opens every
# example in the window, offscreen, and trains it).  Prints the folder's size and the start-up
# time.  The build happens in a virtual environment of its own (build/pyinstaller-venv) from a
# regular install of this checkout; the result is dist/backprop-lab/backprop-lab.
#   packaging/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=$root/build/pyinstaller
venv=$root/build/pyinstaller-venv
python=${PYTHON:-python3}

$python -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "$root" "pyinstaller>=6.10"
cd "$here"
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --workpath "$work" --distpath "$root/dist" backprop-lab.spec

app=$root/dist/backprop-lab/backprop-lab
check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
cd "$check"  # not the checkout: the binary must carry its own examples
export QT_QPA_PLATFORM=offscreen HOME=$check
"$app" examples
"$app" train xor --steps 200 --export "$check/xor.onnx"
test -s "$check/xor.onnx"
"$app" selftest
echo "size: $(du -sh "$root/dist/backprop-lab" | cut -f1) in $root/dist/backprop-lab"
for run in 1 2 3; do
  /usr/bin/time -f "cold start to a trained selftest, run $run: %e s wall" "$app" selftest >/dev/null
done
