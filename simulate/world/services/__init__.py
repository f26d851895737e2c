"""The five simulated services, one module each, on a shared base (span, log line, wait,
error).  A service never imports another: it holds clients typed by their interfaces."""
