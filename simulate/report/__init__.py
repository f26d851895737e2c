"""What is shown of finished spans: pure functions of them, and their rendering.

records (the span as the reports see it), analysis (self time, critical path,
suggestions, failure), view (tree and waterfall in the terminal), compare,
diagnosis, logs (the emoji and JSON log sinks) and load_report.
"""
