"""The project's own span attribute keys (namespaces order.*, user.*, payment.*, inventory.*).

Everything else on our spans comes from opentelemetry-semantic-conventions.
"""
ORDER_ID = "order.id"
USER_ID = "user.id"
PAYMENT_AMOUNT = "payment.amount"
PAYMENT_CURRENCY = "payment.currency"
PAYMENT_TRANSACTION_ID = "payment.transaction_id"
PAYMENT_GATEWAY_DECISION = "payment.gateway.decision"
PAYMENT_GATEWAY_RESPONSE_CODE = "payment.gateway.response_code"
INVENTORY_ITEM_ID = "inventory.item_id"
INVENTORY_QUANTITY = "inventory.quantity_requested"
INVENTORY_AVAILABLE = "inventory.quantity_available"
INVENTORY_CACHE_HIT = "inventory.cache.hit"

OWN_NAMESPACES = ("order.", "user.", "payment.", "inventory.")
