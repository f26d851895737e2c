"""Notification Service: publishes the order-confirmation email job to Kafka.

Teaches: a PRODUCER span (``send-notification``) with the messaging semantic
conventions, and trace context written into the Kafka record's headers, so
whoever consumes the message can link back to this trace.
"""
from __future__ import annotations

import json
from typing import Mapping

from opentelemetry.semconv._incubating.attributes.messaging_attributes import (
    MESSAGING_DESTINATION_NAME, MESSAGING_DESTINATION_PARTITION_ID, MESSAGING_KAFKA_MESSAGE_KEY,
    MESSAGING_KAFKA_OFFSET, MESSAGING_MESSAGE_BODY_SIZE, MESSAGING_MESSAGE_ID,
    MESSAGING_OPERATION_NAME, MESSAGING_OPERATION_TYPE, MESSAGING_SYSTEM,
    MessagingOperationTypeValues, MessagingSystemValues)

from .. import attributes as attr
from .. import wire
from ..backends.kafka import Kafka
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


class NotificationClient:
    def __init__(self, server: NotificationService):
        self._server = server

    def order_created(self, note: OrderNotification) -> None:
        wire.call(self._server.order_created, note)
