"""The entry point PyInstaller freezes: the same as the installed `backprop-lab` command."""

import sys

from simulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
