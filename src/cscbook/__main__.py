import sys

from cscbook.cli import main

if __name__ == "__main__":  # not when a worker process started with "spawn" imports this module again
    sys.exit(main())
