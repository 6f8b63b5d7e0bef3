"""``python -m rentcal``: the same as the ``rentcal`` command."""

from rentcal.cli import main

if __name__ == "__main__":
    main()
