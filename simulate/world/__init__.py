"""The simulated world: five services, their backends, and how time and calls behave.

profile (the seed's span tree and latencies), scenarios (the failure scenarios as
state), clock (real, scaled, virtual time), wire (the service boundary and the
generic client), messages (requests, replies, the service interfaces), errors,
attributes, log (a log line tied to its span), services/ and backends/, and
system (the wiring).  Nothing here renders or exports: it only records spans.
"""
