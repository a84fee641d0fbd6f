"""Validators shared by forms, the API and imports; messages are translated."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.be import vat as be_enterprise
from stdnum.exceptions import ValidationError as StdnumError

# Belgium's bounding box (with a small margin): coordinates outside are a typo or a swap.
BELGIUM_LAT = (Decimal("49.45"), Decimal("51.55"))
BELGIUM_LON = (Decimal("2.50"), Decimal("6.45"))


def normalize_enterprise_number(value: str) -> str:
    """Validate a KBO/BCE enterprise number and return it as ``0123.456.789``."""
    try:
        digits = be_enterprise.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid Belgian enterprise number (KBO/BCE): %(reason)s"),
            code="invalid_enterprise_number",
            params={"value": value, "reason": _reason(exc)},
        ) from exc
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def normalize_vat_number(value: str) -> str:
    """Validate a Belgian VAT number and return it as ``BE0123456789``."""
    try:
        digits = be_enterprise.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid Belgian VAT number: %(reason)s"),
            code="invalid_vat_number",
            params={"value": value, "reason": _reason(exc)},
        ) from exc
    return f"BE{digits}"


def _reason(exc: StdnumError) -> str:
    from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

    if isinstance(exc, InvalidChecksum):
        return str(_("the check digits do not match"))
    if isinstance(exc, InvalidLength):
        return str(_("it must have 10 digits"))
    if isinstance(exc, InvalidFormat):
        return str(_("it may only contain digits"))
    return str(_("it is not well formed"))


def validate_in_belgium(latitude: Decimal | float, longitude: Decimal | float) -> None:
    lat, lon = Decimal(str(latitude)), Decimal(str(longitude))
    if not (BELGIUM_LAT[0] <= lat <= BELGIUM_LAT[1] and BELGIUM_LON[0] <= lon <= BELGIUM_LON[1]):
        raise ValidationError(
            _(
                "The coordinates (%(lat)s, %(lon)s) are outside Belgium. Check that latitude and "
                "longitude are not swapped."
            ),
            code="coordinates_outside_belgium",
            params={"lat": lat, "lon": lon},
        )
