"""python -m simulate: the same command line as python main.py."""
import sys

from .cli import main

sys.exit(main())
