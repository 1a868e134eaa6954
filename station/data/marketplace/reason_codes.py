"""The platforms' published return reason codes and the station reason each one means by default.

A supervisor can change any of them on the Reason mappings screen (station/data/marketplace/reasons.py);
these are only the first values. The side (seller's fault or the customer's) follows from the
station reason (station/policy.py SELLER_FAULT / CUSTOMER_SIDE).

Sources:
- Amazon: the `reason` values of the FBA customer returns report and the `Return reason` values of
  the seller-fulfilled returns report (the same codes, there with a `CR-` prefix, and `AMZ-PG-*`
  for Amazon's own return-policy reasons), Seller Central help "FBA customer returns report"
  https://sellercentral.amazon.com/help/hub/reference/external/G200453120 and "Returns reports"
  https://sellercentral.amazon.com/help/hub/reference/external/G201721280 .
- eBay: ReturnReasonEnum of the Post-Order API,
  https://developer.ebay.com/devzone/post-order/types/ReturnReasonEnum.html .
- Shopify: the ReturnReason enum of the Admin GraphQL API,
  https://shopify.dev/docs/api/admin-graphql/latest/enums/ReturnReason .
"""

AMAZON = {
    # the customer's side
    "UNWANTED_ITEM": "no_longer_needed",
    "FOUND_BETTER_PRICE": "changed_mind",
    "ORDERED_WRONG_ITEM": "ordered_by_mistake",
    "UNAUTHORIZED_PURCHASE": "ordered_by_mistake",
    "NOT_COMPATIBLE": "ordered_by_mistake",
    "APPAREL_TOO_SMALL": "size_fit",
    "APPAREL_TOO_LARGE": "size_fit",
    "APPAREL_STYLE": "changed_mind",
    "DID_NOT_LIKE_FABRIC": "changed_mind",
    "DID_NOT_LIKE_COLOR": "changed_mind",
    "JEWELRY_TOO_SMALL": "size_fit",
    "JEWELRY_TOO_LARGE": "size_fit",
    "NO_REASON_GIVEN": "other",
    "UNDELIVERABLE_REFUSED": "changed_mind",
    # the seller's (or the carrier's) side
    "DEFECTIVE": "defective",
    "QUALITY_UNACCEPTABLE": "defective",
    "MISSING_PARTS": "defective",
    "PART_NOT_COMPATIBLE": "not_as_described",
    "NOT_AS_DESCRIBED": "not_as_described",
    "SWITCHEROO": "wrong_item_sent",
    "EXTRA_ITEM": "wrong_item_sent",
    "DAMAGED_BY_CARRIER": "damaged_in_transit",
    "DAMAGED_BY_FC": "damaged_in_transit",
    "CUSTOMER_DAMAGED": "other",
    "MISSED_ESTIMATED_DELIVERY": "arrived_late",
    "NEVER_ARRIVED": "arrived_late",
    "UNDELIVERABLE_UNKNOWN": "other",
    "UNDELIVERABLE_INSUFFICIENT_ADDRESS": "other",
    "UNDELIVERABLE_CARRIER_MISS_SORTED": "other",
    "UNDELIVERABLE_FAILED_DELIVERY_ATTEMPTS": "other",
    # Amazon's return-policy reasons (AMZ-PG-*), seller-fulfilled returns report
    "AMZ-PG-BAD-DESC": "not_as_described",
    "AMZ-PG-APP-TOO-SMALL": "size_fit",
    "AMZ-PG-APP-TOO-LARGE": "size_fit",
    "AMZ-PG-APP-STYLE": "changed_mind",
    "AMZ-PG-MISORDERED": "ordered_by_mistake",
    "AMZ-PG-BETTER-PRICE": "changed_mind",
    "AMZ-PG-NOT-COMPATIBLE": "ordered_by_mistake",
    "AMZ-PG-DEFECTIVE": "defective",
    "AMZ-PG-DAMAGED": "damaged_in_transit",
    "AMZ-PG-WRONG-ITEM": "wrong_item_sent",
    "AMZ-PG-LATE": "arrived_late",
}

EBAY = {
    "NO_LONGER_NEED_ITEM": "no_longer_needed",
    "CHANGED_MIND": "changed_mind",
    "FOUND_BETTER_PRICE": "changed_mind",
    "BUYER_CANCEL_ORDER": "changed_mind",
    "BUYER_RETURN_ORDER": "changed_mind",
    "RETURNING_GIFT": "no_longer_needed",
    "ORDERED_ACCIDENTALLY": "ordered_by_mistake",
    "ORDERED_DIFFERENT_ITEM": "ordered_by_mistake",
    "ORDERED_WRONG_ITEM": "ordered_by_mistake",
    "WRONG_SIZE": "size_fit",
    "DOESNT_FIT": "size_fit",
    "DOES_NOT_FIT": "size_fit",
    "NO_REASON": "other",
    "OTHER": "other",
    "NOT_AS_DESCRIBED": "not_as_described",
    "DIFFERENT_FROM_LISTING": "not_as_described",
    "FAKE_OR_COUNTERFEIT": "not_as_described",
    "DEFECTIVE_ITEM": "defective",
    "MISSING_PARTS": "defective",
    "EXPIRED_ITEM": "defective",
    "ARRIVED_DAMAGED": "damaged_in_transit",
    "ARRIVED_LATE": "arrived_late",
    "WRONG_ITEM": "wrong_item_sent",
}

SHOPIFY = {
    "UNWANTED": "no_longer_needed",
    "STYLE": "changed_mind",
    "COLOR": "changed_mind",
    "SIZE_TOO_SMALL": "size_fit",
    "SIZE_TOO_LARGE": "size_fit",
    "UNKNOWN": "other",
    "OTHER": "other",
    "DEFECTIVE": "defective",
    "NOT_AS_DESCRIBED": "not_as_described",
    "WRONG_ITEM": "wrong_item_sent",
}

DEFAULTS = {"amazon": AMAZON, "ebay": EBAY, "shopify": SHOPIFY}


def normalise(code):
    """A reason code as its key: upper case, spaces as underscores (`Unwanted item` from a hand-made export)."""
    return "_".join(code.strip().upper().split())
