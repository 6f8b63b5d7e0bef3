"""Money as people read it: ``€120.00``, ``CHF 120.00``, or ``120.00`` (pure).

The organisation's currency is an ISO 4217 code (an org setting, see
:mod:`rentcal.service.org_currency`) or None. Amounts stay ``Decimal`` from
the database to the text: two places, rounded half up, never through
``float``. A few currencies are written with their symbol before the
amount; every other code is written before it with a space (``CHF 120.00``),
which every reader understands. JSON keeps the bare amount (``"120.00"``).

>>> format_money(Decimal("120"), "EUR"), format_money(Decimal("120"), "CHF")
('€120.00', 'CHF 120.00')
>>> format_money(Decimal("-1234.5"), "USD"), format_money(Decimal("0.005"), None)
('-$1,234.50', '0.01')
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from rentcal.core.checks import text_or_none
from rentcal.core.wording import quote
from rentcal.errors import InvalidRequest

CENT = Decimal("0.01")
#: Written with a symbol right before the amount; other codes go before it with a space.
SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "ILS": "₪",
    "KRW": "₩",
    "NGN": "₦",
    "UAH": "₴",
    "VND": "₫",
}
#: The currencies of ISO 4217 in circulation (list one, 2026), without funds,
#: precious metals and testing codes: what an organisation prices its machines in.
_CODES = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD "
    "BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN "
    "ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD "
    "IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD "
    "MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD "
    "OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD "
    "UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG "
)
ISO_4217 = frozenset(_CODES.split())


def check_currency(code: object, field: str = "currency") -> str | None:
    """An ISO 4217 code in capitals (``"eur"`` reads as ``"EUR"``), or None for none.

    ``None``, ``""`` and ``"none"`` mean: prices without a currency.

    Raises:
        ArgumentTypeError: ``code`` is neither a str nor None.
        InvalidRequest: naming the value and why it is not a currency.
    """
    code = text_or_none(code, field)
    if code is None:
        return None
    text = code.strip().upper()
    if text in ("", "NONE"):
        return None
    if text not in ISO_4217:
        raise InvalidRequest(
            f"{field} {quote(code)} is not an ISO 4217 currency code "
            "(three letters like EUR, USD or CHF), or none",
            field=field,
            value=code,
            reason="unknown",
        )
    return text


def money_prefix(currency: str | None) -> str:
    """What comes before an amount: ``"€"``, ``"CHF "``, or nothing (a page script
    that multiplies a daily price writes it before its total)."""
    if currency is None:
        return ""
    return SYMBOLS.get(currency) or currency + " "


def format_money(amount: Decimal, currency: str | None) -> str:
    """``amount`` to the cent (half up) with thousands grouped, after the currency's
    symbol or code; a bare amount without a currency. A minus sign comes first."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    return f"{sign}{money_prefix(currency)}{abs(cents):,.2f}"


__all__ = ["CENT", "ISO_4217", "SYMBOLS", "check_currency", "format_money", "money_prefix"]
