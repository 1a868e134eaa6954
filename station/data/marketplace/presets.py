"""The built-in mappings: which column of a platform's report holds what the station needs.

A mapping names its target (what kind of rows the file holds: `orders`, `returns`, `fba_returns`,
`removals`; station/data/marketplace/targets.py), the columns per field (the first non-empty one
of the names listed wins, so a preset can read the variants a platform has shipped over the
years) and options: the channel, the date style, how prices are given, status words.

Headers are matched without regard to case, spaces, hyphens or underscores (`Order ID`,
`order-id` and `order_id` are one column), so a preset holds each name once.

Each preset cites the public page its columns came from (also in the README). A preset's title is
marked for the catalog (the Imports screen shows it translated).
"""
from station.languages import N_

AMAZON_ORDERS = {
    "name": "amazon-orders",
    "title": N_("Amazon order report (seller-fulfilled orders, or All Orders)"),
    "target": "orders",
    "sources": [
        "https://developer-docs.amazon.com/sp-api/docs/order-reports-attributes",
        "https://developer-docs.amazon.com/sp-api/docs/order-tracking-reports-attributes",
    ],
    "columns": {
        "order_no": ["order-id", "amazon-order-id"],
        "line_key": ["order-item-id"],
        "placed_at": ["purchase-date"],
        "sku": ["sku"],
        "product_name": ["product-name"],
        "qty": ["quantity-purchased", "quantity", "quantity-shipped"],
        "line_total": ["item-price"],
        "currency": ["currency"],
        "customer_key": ["buyer-email"],
        "customer_name": ["buyer-name", "recipient-name"],
        "email": ["buyer-email"],
        "phone": ["buyer-phone-number", "ship-phone-number"],
        "country": ["ship-country"],
        "status": ["order-status"],
        "line_status": ["item-status"],
        "fulfilment": ["fulfillment-channel"],
    },
    "options": {"channel": "amazon", "dates": "amazon", "status": {
        "shipped": "shipped", "pending": "awaiting_stock", "unshipped": "awaiting_stock",
        "partiallyshipped": "shipped", "shipping": "shipped", "cancelled": "cancelled", "canceled": "cancelled"},
        "default_status": "shipped", "placeholder_name": "Amazon customer"},
}

AMAZON_RETURNS = {
    "name": "amazon-returns",
    "title": N_("Amazon returns report (seller-fulfilled)"),
    "target": "returns",
    "sources": ["https://developer-docs.amazon.com/sp-api/docs/returns-reports-attributes"],
    "columns": {
        "order_no": ["Order ID"],
        "placed_at": ["Order date"],
        "created_at": ["Return request date"],
        "rma_no": ["Amazon RMA ID", "Merchant RMA ID"],
        "label_cost": ["Label cost"],
        "currency": ["Currency code"],
        "carrier": ["Return carrier"],
        "return_tracking_no": ["Tracking ID"],
        "label_paid_by": ["Label to be paid by"],
        "sku": ["Merchant SKU"],
        "product_name": ["Item Name"],
        "qty": ["Return quantity"],
        "reason_code": ["Return Reason"],
        "order_amount": ["Order Amount"],
        "order_qty": ["Order quantity"],
        "request_status": ["Return request status"],
    },
    "options": {"channel": "amazon", "dates": "amazon", "placeholder_name": "Amazon customer",
                "label_payers": {"seller": "seller", "customer": "customer", "amazon": "marketplace"},
                "skip_status": ["rejected", "cancelled", "canceled", "closed - not received"]},
}

AMAZON_FBA_RETURNS = {
    "name": "amazon-fba-returns",
    "title": N_("Amazon FBA customer returns report"),
    "target": "fba_returns",
    "sources": ["https://developer-docs.amazon.com/sp-api/docs/fba-customer-concessions-reports-attributes",
                "https://sellercentral.amazon.com/help/hub/reference/external/G200453320"],
    "columns": {
        "created_at": ["return-date"],
        "order_no": ["order-id", "amazon-order-id"],
        "sku": ["sku"],
        "product_name": ["product-name"],
        "qty": ["quantity"],
        "disposition": ["detailed-disposition"],
        "reason_code": ["reason"],
        "return_status": ["status"],
        "lpn": ["license-plate-number"],
        "fulfilment_centre": ["fulfillment-center-id"],
    },
    "options": {"channel": "amazon", "dates": "amazon", "placeholder_name": "Amazon customer"},
}

AMAZON_REMOVALS = {
    "name": "amazon-removals",
    "title": N_("Amazon FBA removal shipment detail report"),
    "target": "removals",
    "sources": ["https://developer-docs.amazon.com/sp-api/docs/fba-removals-reports-attributes",
                "https://sellercentral.amazon.com/help/hub/reference/external/G200989100"],
    "columns": {
        "requested_at": ["request-date"],
        "removal_id": ["order-id"],
        "shipped_at": ["shipment-date"],
        "sku": ["sku"],
        "disposition": ["disposition"],
        "qty": ["shipped-quantity"],
        "carrier": ["carrier"],
        "tracking_no": ["tracking-number"],
        "removal_type": ["removal-order-type", "order-type"],
    },
    "options": {"channel": "amazon", "dates": "amazon"},
}

EBAY_ORDERS = {
    "name": "ebay-orders",
    "title": N_("eBay Seller Hub orders report (download)"),
    "target": "orders",
    # eBay publishes no page for this download; the columns are those of the file as Seller Hub
    # writes it (US and UK wordings), see the README.
    "sources": ["https://www.ebay.com/help/selling/managing-orders/downloading-orders-reports?id=4679"],
    "columns": {
        "order_no": ["Order Number", "Sales Record Number"],
        "placed_at": ["Sale Date", "Paid On Date"],
        "sku": ["Custom Label", "Item Number"],
        "product_name": ["Item Title"],
        "qty": ["Quantity"],
        "unit_price": ["Sold For"],
        "customer_key": ["Buyer Username", "Buyer User ID"],
        "customer_name": ["Buyer Name", "Ship To Name", "Post To Name"],
        "email": ["Buyer Email"],
        "phone": ["Ship To Phone", "Post To Phone"],
        "country": ["Ship To Country", "Post To Country", "Buyer Country"],
        "shipped_at": ["Shipped On Date", "Dispatched On Date"],
        "tracking_no": ["Tracking Number"],
        "carrier": ["Shipping Service", "Delivery Service"],
        "item_number": ["Item Number"],
    },
    "options": {"channel": "ebay", "dates": "ebay", "default_status": "shipped", "placeholder_name": "eBay buyer",
                "summary_rows": True},
}

SHOPIFY_ORDERS = {
    "name": "shopify-orders",
    "title": N_("Shopify orders export"),
    "target": "orders",
    "sources": ["https://help.shopify.com/en/manual/fulfillment/managing-orders/exporting-orders"],
    "columns": {
        "order_no": ["Name"],
        "placed_at": ["Created at", "Paid at"],
        # a shop that keeps no SKUs: the line item's name is its key (a saved mapping can do better)
        "sku": ["Lineitem sku", "Lineitem name"],
        "product_name": ["Lineitem name"],
        "qty": ["Lineitem quantity"],
        "unit_price": ["Lineitem price"],
        "currency": ["Currency"],
        "customer_key": ["Email"],
        "customer_name": ["Shipping Name", "Billing Name"],
        "email": ["Email"],
        "phone": ["Shipping Phone", "Phone", "Billing Phone"],
        "country": ["Shipping Country", "Billing Country"],
        "status": ["Fulfillment Status"],
        "shipped_at": ["Fulfilled at"],
        "cancelled_at": ["Cancelled at"],
    },
    "options": {"channel": "shopify", "dates": "shopify", "default_status": "shipped",
                "placeholder_name": "Shopify customer",
                "status": {"fulfilled": "shipped", "partial": "shipped", "unfulfilled": "awaiting_stock",
                           "restocked": "cancelled"}},
}

PRESETS = {p["name"]: p for p in (AMAZON_ORDERS, AMAZON_RETURNS, AMAZON_FBA_RETURNS, AMAZON_REMOVALS,
                                  EBAY_ORDERS, SHOPIFY_ORDERS)}


def header_key(name):
    """A column name as it is matched: `Order ID`, `order-id` and `order_id` are one."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())
