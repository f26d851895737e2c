"""An in-memory Kafka: topics with partitions, offsets, keys and record headers.

A broker that is down (``available=False``) refuses every record, as a real
producer sees it once its brokers are gone: the send fails, nothing is queued.
"""
from __future__ import annotations

import threading
import zlib
from collections import deque
from dataclasses import dataclass, field


class BrokerNotAvailableError(Exception):
    """The producer found no broker to take the record (Kafka's BROKER_NOT_AVAILABLE)."""


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Kafka:
    """A broker. Each partition keeps at most ``retention`` records (memory stays flat)."""

    def __init__(self, partitions: int = 3, retention: int = 10_000, available: bool = True):
        self.partitions = partitions
        self.available = available
        self._retention = retention
        self._logs: dict[tuple[str, int], deque[Record]] = {}
        self._next_offset: dict[tuple[str, int], int] = {}
        self._committed: dict[tuple[str, str, int], int] = {}  # (group, topic, partition) -> next offset
        self._lock = threading.Lock()

    def produce(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> Record:
        # Same key -> same partition, as Kafka's default partitioner guarantees.
        partition = zlib.crc32(key.encode()) % self.partitions
        if not self.available:
            raise BrokerNotAvailableError(f"Broker not available: no leader for {topic}-{partition}")
        with self._lock:
            slot = (topic, partition)
            offset = self._next_offset.get(slot, 0)
            self._next_offset[slot] = offset + 1
            record = Record(topic, partition, offset, key, value, dict(headers))
            self._logs.setdefault(slot, deque(maxlen=self._retention)).append(record)
            return record

    def poll(self, topic: str, group: str, max_records: int = 100) -> list[Record]:
        """Records this consumer group has not seen yet; their offsets are committed."""
        batch: list[Record] = []
        with self._lock:
            for (t, partition), log in sorted(self._logs.items()):
                if t != topic:
                    continue
                key = (group, topic, partition)
                # Offsets in a partition are consecutive: index straight to the first unseen one,
                # counted from the end (a deque indexes its ends in O(1), its middle in O(n)).
                first = max(0, self._committed.get(key, 0) - log[0].offset) if log else 0
                take = min(len(log) - first, max_records - len(batch))
                fresh = [log[i - len(log)] for i in range(first, first + take)]
                if fresh:
                    self._committed[key] = fresh[-1].offset + 1
                    batch += fresh
        return batch

    def records(self, topic: str) -> list[Record]:
        with self._lock:
            return sorted((r for (t, _), log in self._logs.items() if t == topic for r in log),
                          key=lambda r: (r.partition, r.offset))
