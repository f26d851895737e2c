"""ordertrace: a traced order flowing through five simulated microservices."""

__version__ = "0.1.0"
