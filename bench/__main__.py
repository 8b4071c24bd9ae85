"""`python -m bench [--quick]`: the one command that runs the whole benchmark."""

import sys

if __name__ == "__main__":  # guarded: spawned load-client processes import this module
    from bench.cli import main

    sys.exit(main())
