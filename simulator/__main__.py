import sys

from simulator.cli import main

# Guarded: worker processes started with "spawn" (Compare, the loss landscape) import the
# main module again, as __mp_main__, and must not start a second app.
if __name__ == "__main__":
    sys.exit(main())
