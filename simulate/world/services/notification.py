"""Notification Service: publishes the order-confirmation email job to Kafka, and
its email worker consumes it.

Teaches: a PRODUCER span (``send-notification``) with the messaging semantic
conventions and trace context written into the Kafka record's headers; and a
CONSUMER span (``process order-notifications``) that starts a trace of its own
with a *link* to the producer.  A link, not a parent: the order's request ended
long before the email goes out (and one poll may batch messages from many
orders), so the messaging conventions keep the two traces apart and connected.
A consumer that stalled finds a backlog before the order's message and works
through it in order: the order's consumer span starts that much later.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.semconv._incubating.attributes.messaging_attributes import (
    MESSAGING_CONSUMER_GROUP_NAME,
    MESSAGING_DESTINATION_NAME,
    MESSAGING_DESTINATION_PARTITION_ID,
    MESSAGING_KAFKA_MESSAGE_KEY,
    MESSAGING_KAFKA_OFFSET,
    MESSAGING_MESSAGE_BODY_SIZE,
    MESSAGING_MESSAGE_ID,
    MESSAGING_OPERATION_NAME,
    MESSAGING_OPERATION_TYPE,
    MESSAGING_SYSTEM,
    MessagingOperationTypeValues,
    MessagingSystemValues,
)

from .. import attributes as attr
from .. import wire
from ..backends.kafka import Backlog, Kafka, Record
from ..messages import OrderNotification
from ..profile import NOTIFICATION_SERVICE
from .base import Runtime, Service

TOPIC = "order-notifications"


class NotificationService(Service):
    service_name = NOTIFICATION_SERVICE
    display_name = "Notification Service"

    def __init__(self, runtime: Runtime, kafka: Kafka):
        super().__init__(runtime)
        self._kafka = kafka

    def order_created(self, note: OrderNotification, headers: Mapping[str, str]) -> None:
        with self.operation("send-notification", headers=headers, attributes={
                MESSAGING_SYSTEM: MessagingSystemValues.KAFKA.value,
                MESSAGING_OPERATION_TYPE: MessagingOperationTypeValues.SEND.value,
                MESSAGING_OPERATION_NAME: "send", MESSAGING_DESTINATION_NAME: TOPIC,
                MESSAGING_KAFKA_MESSAGE_KEY: note.order_id, attr.ORDER_ID: note.order_id}) as op:
            value = json.dumps({"template": "order-confirmation", "order_id": note.order_id,
                                "user_id": note.user_id}).encode()
            # The producer span's context travels in the record headers.
            record = self._kafka.produce(TOPIC, note.order_id, value, wire.inject())
            op.set({MESSAGING_DESTINATION_PARTITION_ID: str(record.partition),
                    MESSAGING_KAFKA_OFFSET: record.offset,
                    MESSAGING_MESSAGE_ID: f"{TOPIC}-{record.partition}-{record.offset}",
                    MESSAGING_MESSAGE_BODY_SIZE: len(value)})
            self.say("📧", f"Email sent for order {note.order_id}")


def stalled_backlog(kafka: Kafka, count: int) -> None:
    """``count`` earlier order emails still waiting on the topic (sent before tracing began:
    they carry no trace context), as a consumer group that stopped for a while finds them."""
    if not kafka.available:
        return
    for n in range(count):
        order_id = f"order-{n:04d}"
        kafka.produce(TOPIC, order_id, json.dumps({"template": "order-confirmation",
                                                   "order_id": order_id,
                                                   "user_id": f"user-{n % 97 + 1}"}).encode(), {})


class EmailWorker(Service):
    """The consumer side of the notification service: renders and sends the email."""

    service_name = NOTIFICATION_SERVICE
    display_name = "Email Worker"
    group = "email-workers"

    def __init__(self, runtime: Runtime, kafka: Kafka):
        super().__init__(runtime)
        self._kafka = kafka

    def backlog(self) -> Backlog:
        """Every notification published: consumed by this group, queued, or dropped."""
        return self._kafka.backlog(TOPIC, self.group)

    def poll(self, max_records: int = 1000) -> int:
        """Process the messages not yet seen by this consumer group (at most ``max_records``);
        return how many."""
        records = self._kafka.poll(TOPIC, self.group, max_records)
        for record in records:
            self._process(record)
        return len(records)

    def _process(self, record: Record) -> None:
        producer = trace.get_current_span(wire.extract(record.headers)).get_span_context()
        links = [trace.Link(producer)] if producer.is_valid else []
        body = json.loads(record.value)
        with self.operation("email.process", links=links,
                            attributes={
                MESSAGING_SYSTEM: MessagingSystemValues.KAFKA.value,
                MESSAGING_OPERATION_TYPE: MessagingOperationTypeValues.PROCESS.value,
                MESSAGING_OPERATION_NAME: "process", MESSAGING_DESTINATION_NAME: TOPIC,
                MESSAGING_CONSUMER_GROUP_NAME: self.group,
                MESSAGING_DESTINATION_PARTITION_ID: str(record.partition),
                MESSAGING_KAFKA_OFFSET: record.offset, MESSAGING_KAFKA_MESSAGE_KEY: record.key,
                MESSAGING_MESSAGE_ID: f"{TOPIC}-{record.partition}-{record.offset}",
                attr.ORDER_ID: body["order_id"]}):
            self.say("✉", f"Order confirmation for {body['order_id']} sent to {body['user_id']}",
                     detail=True)

