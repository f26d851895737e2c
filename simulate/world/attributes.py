"""The span attribute keys that are ours, beside the semantic conventions.

``order.id`` and ``payment.amount`` are the names the seed's own code uses
(关键特性 3), so they stay as the seed writes them rather than under an ``app.``
prefix; the other business keys follow their namespaces.  ``user.id`` is a
semantic-convention key (the ``user`` registry, still incubating) and comes
from the semconv package.  Everything else on our spans comes from
opentelemetry-semantic-conventions too.
"""
# The semconv package publishes not-yet-stable conventions under ``_incubating``:
# that is its documented home for them, not a private API.
from opentelemetry.semconv._incubating.attributes.user_attributes import USER_ID as USER_ID

ORDER_ID = "order.id"
PAYMENT_AMOUNT = "payment.amount"
PAYMENT_CURRENCY = "payment.currency"
PAYMENT_TRANSACTION_ID = "payment.transaction_id"
PAYMENT_GATEWAY_DECISION = "payment.gateway.decision"
PAYMENT_GATEWAY_RESPONSE_CODE = "payment.gateway.response_code"
INVENTORY_ITEM_ID = "inventory.item_id"
INVENTORY_QUANTITY = "inventory.quantity_requested"
INVENTORY_AVAILABLE = "inventory.quantity_available"
INVENTORY_CACHE_HIT = "inventory.cache.hit"

OWN_KEYS = (ORDER_ID, PAYMENT_AMOUNT, PAYMENT_CURRENCY, PAYMENT_TRANSACTION_ID,
            PAYMENT_GATEWAY_DECISION, PAYMENT_GATEWAY_RESPONSE_CODE, INVENTORY_ITEM_ID,
            INVENTORY_QUANTITY, INVENTORY_AVAILABLE, INVENTORY_CACHE_HIT)
