"""``python -m autobound``: the ``autobound`` command line.

The command line lives in the applications (``autobound.apps.cli``), which the engine never
imports: this entry point runs that package's ``__main__`` by name, and only when Python is
asked to run ``-m autobound``; ``import autobound`` does not execute this file.
"""

import runpy

if __name__ == "__main__":
    runpy.run_module("autobound.apps.cli", run_name="__main__", alter_sys=True)
