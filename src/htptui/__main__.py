"""Allow ``python -m htptui``."""

from htptui.cli import main

if __name__ == "__main__":
    main()
