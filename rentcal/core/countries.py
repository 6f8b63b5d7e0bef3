"""ISO 3166-1 alpha-2 country codes: the country of an invoice's parties (issue #23).

EN 16931 (BT-40, BT-55) requires the code of an address's country and checks it
against this list; a typo ("DU" for "DE") would make every invoice refused by the
receiving software. The list is ISO 3166-1 (as the IANA time-zone database's
``iso3166.tab`` has it) plus ``XK`` (Kosovo), which the EN 16931 code list adds.
Data, not logic: kept here so the core needs no package for it.
"""

from __future__ import annotations

from rentcal.core.wording import quote
from rentcal.errors import InvalidRequest

_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS XK YE YT ZA ZM ZW"
)
ISO_3166 = frozenset(_CODES.split())


def check_country(value: object, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code in any case (``"de"`` -> ``"DE"``).

    Raises:
        InvalidRequest: not text, or not a country code (naming the value).
    """
    if not isinstance(value, str):
        raise InvalidRequest(
            f"{field} {quote(value)} must be text", field=field, value=value, reason="wrong-type"
        )
    code = value.strip().upper()
    if code not in ISO_3166:
        raise InvalidRequest(
            f"{field} {quote(value)} is not an ISO 3166 country code (DE, FR, AT, CH, ...)",
            field=field,
            value=value,
            reason="unknown-country",
        )
    return code


__all__ = ["ISO_3166", "check_country"]
