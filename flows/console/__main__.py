"""`python -m flows.console [--host H] [--port N]`: what `skillsub stack up` starts (see flows/cli.py)."""

from flows.cli import app

if __name__ == "__main__":
    import sys

    app(["console", *sys.argv[1:]])
