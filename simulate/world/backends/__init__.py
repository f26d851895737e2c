"""The parts outside the five services: the database, the payment gateway, Kafka.

They are not traced themselves (like a real managed database or a third-party
API); the services that call them record CLIENT / PRODUCER spans.
"""
