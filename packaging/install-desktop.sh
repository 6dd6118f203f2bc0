#!/usr/bin/env bash
# Install Backprop Lab's desktop entry, icon and AppStream metainfo for the current user, so it
# appears in the desktop's application menu.  Run after `pip install .` (it needs the
# backprop-lab command on PATH).  --uninstall removes them again.
#   packaging/install-desktop.sh [--uninstall]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
icons=$here/../resources/icons
id=org.backproplab.BackpropLab
data=${XDG_DATA_HOME:-$HOME/.local/share}
targets=(
  "$data/applications/$id.desktop"
  "$data/metainfo/$id.metainfo.xml"
  "$data/icons/hicolor/scalable/apps/$id.svg"
)
for size in 16 32 48 64 128 256 512; do
  targets+=("$data/icons/hicolor/${size}x${size}/apps/$id.png")
done

refresh() {
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
}

if [[ ${1:-} == "--uninstall" ]]; then
  rm -f "${targets[@]}"
  refresh
  echo "Backprop Lab's desktop entry, icons and metainfo removed from $data"
  exit 0
fi
[[ $# -eq 0 ]] || { echo "usage: $0 [--uninstall]" >&2; exit 2; }
command -v backprop-lab >/dev/null || echo "note: backprop-lab is not on PATH yet (pip install . first); the menu entry needs it" >&2

install -Dm644 "$here/$id.desktop" "$data/applications/$id.desktop"
install -Dm644 "$here/$id.metainfo.xml" "$data/metainfo/$id.metainfo.xml"
install -Dm644 "$icons/backprop-lab.svg" "$data/icons/hicolor/scalable/apps/$id.svg"
for size in 16 32 48 64 128 256 512; do
  install -Dm644 "$icons/backprop-lab-$size.png" "$data/icons/hicolor/${size}x${size}/apps/$id.png"
done
refresh
echo "Backprop Lab installed in the application menu (files under $data)"
