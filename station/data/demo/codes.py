"""Check digits of the codes printed on parcels: GS1 (GTINs, SSCC-18), UPS 1Z and UPU S10 numbers."""
from stdnum import ean


def gs1_check(digits):
    """GS1 mod-10 check digit (GTIN-8/12/13/14, SSCC-18)."""
    return ean.calc_check_digit(digits)


def sscc(serial, company="6901234", extension="0"):
    """An SSCC-18: extension digit, GS1 company prefix, serial reference, check digit."""
    body = extension + company + str(serial).zfill(16 - len(company))
    return body + gs1_check(body)


def ups(shipper, service, package):
    """A UPS 1Z tracking number: 1Z + shipper(6) + service(2) + package(7) + check digit."""
    body = f"{shipper}{service:02d}{package:07d}"
    total = sum((int(c) if c.isdigit() else (ord(c) - 63) % 10) * (2 if i % 2 else 1) for i, c in enumerate(body))
    return f"1Z{body}{(10 - total % 10) % 10}"


def s10(service, number, country):
    """A UPU S10 item id, e.g. RR123456785CN: service letters, 8 digits, check digit, country."""
    digits = f"{number:08d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7))) % 11
    return f"{service}{digits}{ {10: 0, 11: 5}.get(check, check)}{country}"
