"""``python -m autobound``: the ``autobound`` command line."""

from autobound.cli import main

if __name__ == "__main__":
    main()
