"""An in-memory Kafka: topics with partitions, offsets, keys and record headers.

A broker that is down (``available=False``) refuses every record, as a real
producer sees it once its brokers are gone: the send fails, nothing is queued.
Retention is bounded (memory stays flat), so a consumer group that falls behind loses
records, as on a real broker: :meth:`Kafka.backlog` counts them, so that for every
group ``published = consumed + queued + dropped`` holds at any moment.
"""
from __future__ import annotations

import threading
import zlib
from collections import deque
from dataclasses import dataclass, field


class BrokerNotAvailableError(Exception):
    """The producer found no broker to take the record (Kafka's BROKER_NOT_AVAILABLE)."""


@dataclass(frozen=True)
class Backlog:
    """One consumer group on one topic: every record published is in exactly one count."""

    published: int = 0
    consumed: int = 0  # handed to the group by poll()
    queued: int = 0  # kept by the broker, not polled yet
    dropped: int = 0  # gone with retention before the group polled it

    def __add__(self, other: Backlog) -> Backlog:
        return Backlog(self.published + other.published, self.consumed + other.consumed,
                       self.queued + other.queued, self.dropped + other.dropped)


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
        self._skipped: dict[tuple[str, str, int], int] = {}  # records retention took before a poll
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
                committed = self._committed.get(key, 0)
                if log and committed < log[0].offset:  # retention was faster than this group
                    self._skipped[key] = self._skipped.get(key, 0) + log[0].offset - committed
                    self._committed[key] = committed = log[0].offset
                # Offsets in a partition are consecutive: index straight to the first unseen one,
                # counted from the end (a deque indexes its ends in O(1), its middle in O(n)).
                first = max(0, committed - log[0].offset) if log else 0
                take = min(len(log) - first, max_records - len(batch))
                fresh = [log[i - len(log)] for i in range(first, first + take)]
                if fresh:
                    self._committed[key] = fresh[-1].offset + 1
                    batch += fresh
        return batch

    def backlog(self, topic: str, group: str) -> Backlog:
        """Where every record of ``topic`` is for ``group``: consumed, queued or dropped."""
        total = Backlog()
        with self._lock:
            for (t, partition), log in self._logs.items():
                if t != topic:
                    continue
                key = (group, topic, partition)
                published = self._next_offset[(t, partition)]
                committed, skipped = self._committed.get(key, 0), self._skipped.get(key, 0)
                first = log[0].offset if log else published
                total += Backlog(published, committed - skipped, published - max(committed, first),
                                 skipped + max(0, first - committed))
        return total

    def records(self, topic: str) -> list[Record]:
        with self._lock:
            return sorted((r for (t, _), log in self._logs.items() if t == topic for r in log),
                          key=lambda r: (r.partition, r.offset))
