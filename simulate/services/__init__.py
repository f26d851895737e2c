"""The five simulated services, one module each, plus their shared base."""
