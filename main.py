"""ordertrace: simulate an order through five microservices and trace it with OpenTelemetry.

Usage: python main.py [--fail inventory|payment] [--no-export] ...  (see --help)
"""
import sys

from simulate.cli import main

if __name__ == "__main__":
    sys.exit(main())
