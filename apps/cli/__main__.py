"""``python -m autobound.apps.cli`` (and ``python -m autobound``, which runs this module)."""

from autobound.apps.cli import main

if __name__ == "__main__":
    main()
