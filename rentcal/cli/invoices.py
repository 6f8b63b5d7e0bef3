"""``rentcal invoice settings show | set`` and ``rentcal invoice address``: what invoices
say about the organisation and about each member (issue #23)."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group

if TYPE_CHECKING:
    from rentcal.core.invoice_settings import BillingAddress, InvoiceSettings

invoice_app = group(
    "invoice",
    "Invoices: the organisation's invoice settings and the members' billing addresses.",
    "rentcal invoice settings show",
    "rentcal invoice address bob --line 'Feldweg 7' --postcode 85354 --city Freising --country DE",
)
settings_app = group(
    "settings",
    "What every invoice says about the organisation: name, address, tax ids, bank, VAT.",
    "rentcal invoice settings show",
    "rentcal invoice settings set --name 'Maschinenring Süd eG' --country DE --vat-rate 19",
)
invoice_app.add_typer(settings_app)

#: ``--clear`` names, by the library's keyword.
SETTING_CLEARS = {
    "address": "address_lines",
    "postcode": "postcode",
    "city": "city",
    "vat-id": "vat_id",
    "tax-number": "tax_number",
    "email": "email",
    "iban": "iban",
    "bic": "bic",
    "vat-note": "vat_note",
    "reminders": "reminder_days",
}
ADDRESS_CLEARS = {
    "name": "name",
    "address": "address_lines",
    "postcode": "postcode",
    "city": "city",
    "vat-id": "vat_id",
}


def _opt(flag: str, metavar: str, text: str) -> Any:
    return typer.Option(flag, metavar=metavar, help=text, show_default=False)


NameOpt = Annotated[str | None, _opt("--name", "NAME", "The organisation's legal name.")]
LineOpt = Annotated[
    list[str] | None,
    _opt("--line", "TEXT", "An address line (repeatable, up to 3; replaces the lines)."),
]
PostcodeOpt = Annotated[str | None, _opt("--postcode", "CODE", "Postcode.")]
CityOpt = Annotated[str | None, _opt("--city", "CITY", "City.")]
CountryOpt = Annotated[str | None, _opt("--country", "CC", "ISO 3166 country code: DE, AT, FR.")]
VatIdOpt = Annotated[str | None, _opt("--vat-id", "ID", "VAT id with its country: DE123456789.")]


def _clears(names: list[str] | None, known: dict[str, str]) -> dict[str, object]:
    """``--clear`` values as the library's keywords set to None."""
    from rentcal.errors import InvalidRequest

    found: dict[str, object] = {}
    for name in names or []:
        key = known.get(name.strip().lower())
        if key is None:
            raise InvalidRequest(
                f"--clear {name!r}: clear one of " + ", ".join(known), field="--clear"
            )
        found[key] = () if key in ("address_lines", "reminder_days") else None
    return found


def _given(values: dict[str, object], clears: dict[str, object]) -> dict[str, object]:
    """The options given (not None), refused when also cleared."""
    from rentcal.errors import InvalidRequest

    given = {k: v for k, v in values.items() if v is not None}
    both = sorted(set(given) & set(clears))
    if both:
        raise InvalidRequest(f"{both[0]} is both given and cleared: give one", field=both[0])
    return {**given, **clears}


def _settings_record(found: "InvoiceSettings", currency: str | None) -> list[tuple[str, object]]:
    missing = found.missing(currency)
    rate = "none" if found.vat_rate is None else f"{found.vat_rate.normalize():f} %"
    reminders = ", ".join(f"{d} days" for d in found.reminder_days) or "none"
    return [
        ("name", found.name or "-"),
        ("address", " / ".join(found.address_lines) or "-"),
        ("postcode", found.postcode or "-"),
        ("city", found.city or "-"),
        ("country", found.country or "-"),
        ("VAT id", found.vat_id or "-"),
        ("tax number", found.tax_number or "-"),
        ("email", found.email or "-"),
        ("IBAN", found.iban or "-"),
        ("BIC", found.bic or "-"),
        ("VAT rate", rate),
        ("VAT note", found.vat_note or "-"),
        ("currency", currency or "none (rentcal currency set EUR)"),
        ("payment terms", found.payment_terms),
        ("reminders", reminders),
        ("ready", "yes" if not missing else "no: set " + ", ".join(missing)),
    ]


def _emit_settings(found: "InvoiceSettings", currency: str | None, as_json: bool) -> None:
    if as_json:
        missing = found.missing(currency)
        render.emit_json({**found.as_dict(), "currency": currency, "missing": missing})
        return
    render.emit_record(_settings_record(found, currency))


@settings_app.command(
    "show",
    epilog=examples("rentcal invoice settings show", "rentcal invoice settings show --json"),
)
@cli_command
def settings_show(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show the invoice settings and whether invoices can be issued yet (READY)."""
    state = get_state(ctx)
    with state.connect() as cal:
        found, currency = cal.invoice_settings(), cal.currency()
    _emit_settings(found, currency, as_json)


@settings_app.command(
    "set",
    epilog=examples(
        "rentcal invoice settings set --name 'Maschinenring Süd eG' --country DE --vat-rate 19",
        "rentcal invoice settings set --line 'Hauptstraße 1' --postcode 80331 --city München"
        " --vat-id DE136500006 --iban 'DE89 3704 0044 0532 0130 00' --bic COBADEFFXXX",
        "rentcal invoice settings set --vat-rate none --vat-note 'Kein Ausweis von"
        " Umsatzsteuer gemäß § 19 UStG' --terms-days 30 --reminder-days 21,35 --json",
    ),
)
@cli_command
def settings_set(
    ctx: typer.Context,
    name: NameOpt = None,
    line: LineOpt = None,
    postcode: PostcodeOpt = None,
    city: CityOpt = None,
    country: CountryOpt = None,
    vat_id: VatIdOpt = None,
    tax_number: Annotated[
        str | None, _opt("--tax-number", "NUMBER", "Tax number (German Steuernummer).")
    ] = None,
    email: Annotated[str | None, _opt("--email", "ADDRESS", "E-mail shown on invoices.")] = None,
    iban: Annotated[str | None, _opt("--iban", "IBAN", "Account to pay into.")] = None,
    bic: Annotated[str | None, _opt("--bic", "BIC", "The bank's BIC.")] = None,
    vat_rate: Annotated[
        str | None, _opt("--vat-rate", "PERCENT", "VAT rate (19, 7.7) or 'none': no VAT.")
    ] = None,
    vat_note: Annotated[
        str | None, _opt("--vat-note", "TEXT", "Why invoices carry no VAT (the law's words).")
    ] = None,
    terms_days: Annotated[
        int | None,
        typer.Option("--terms-days", metavar="N", min=0, max=365, help="Days to pay (0-365)."),
    ] = None,
    reminder_days: Annotated[
        str | None,
        _opt("--reminder-days", "N,N", "Days after issue to remind of an unpaid invoice."),
    ] = None,
    clear: Annotated[
        list[str] | None,
        _opt("--clear", "FIELD", "Remove a value: " + ", ".join(SETTING_CLEARS) + "."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change the invoice settings (admins only; every change recorded who/when).

    Invoices already issued keep what they said; new ones take these.
    """
    days = None if reminder_days is None else _days(reminder_days)
    values: dict[str, object] = {
        "name": name,
        "address_lines": line,
        "postcode": postcode,
        "city": city,
        "country": country,
        "vat_id": vat_id,
        "tax_number": tax_number,
        "email": email,
        "iban": iban,
        "bic": bic,
        "vat_rate": vat_rate,
        "vat_note": vat_note,
        "terms_days": terms_days,
        "reminder_days": days,
    }
    changes = _given(values, _clears(clear, SETTING_CLEARS))
    if not changes:
        from rentcal.errors import InvalidRequest

        raise InvalidRequest(
            "nothing to change: give at least one option (rentcal invoice settings set --help)",
            field="fields",
            reason="nothing-to-change",
        )
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.set_invoice_settings(acting=state.acting, **changes)
        currency = cal.currency()
    _emit_settings(found, currency, as_json)


def _days(text: str) -> list[int]:
    """``21,35`` as days; ``none``: no reminders."""
    from rentcal.errors import InvalidRequest

    if text.strip().lower() == "none":
        return []
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise InvalidRequest(
            f"--reminder-days {text!r}: give days after issue like 21,35, or none",
            field="--reminder-days",
        ) from None


def _emit_address(found: "BillingAddress", as_json: bool) -> None:
    if as_json:
        render.emit_json(found.as_dict())
        return
    render.emit_record(
        [
            ("member", found.handle),
            ("name", found.name or "- (the member's name)"),
            ("address", " / ".join(found.address_lines) or "-"),
            ("postcode", found.postcode or "-"),
            ("city", found.city or "-"),
            ("country", found.country or "- (the organisation's)"),
            ("VAT id", found.vat_id or "-"),
        ]
    )


@invoice_app.command(
    "address",
    epilog=examples(
        "rentcal invoice address bob",
        "rentcal invoice address bob --line 'Feldweg 7' --postcode 85354 --city Freising"
        " --country DE",
        "rentcal --as bob invoice address bob --name 'Hof Baker GbR' --country DE --json",
    ),
)
@cli_command
def address(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(metavar="HANDLE", help="The member, e.g. bob.")],
    name: Annotated[
        str | None, _opt("--name", "NAME", "Name on invoices (a farm, a company).")
    ] = None,
    line: LineOpt = None,
    postcode: PostcodeOpt = None,
    city: CityOpt = None,
    country: CountryOpt = None,
    vat_id: VatIdOpt = None,
    clear: Annotated[
        list[str] | None,
        _opt("--clear", "FIELD", "Remove a value: " + ", ".join(ADDRESS_CLEARS) + "."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or change a member's billing address (their own, or anyone's for admins).

    Without options: show it. Invoices already issued keep the address they
    were issued with; every change is in the member's history.
    """
    values: dict[str, object] = {
        "name": name,
        "address_lines": line,
        "postcode": postcode,
        "city": city,
        "country": country,
        "vat_id": vat_id,
    }
    changes = _given(values, _clears(clear, ADDRESS_CLEARS))
    state = get_state(ctx)
    with state.connect() as cal:
        if changes:
            found = cal.set_billing_address(handle, acting=state.acting, **changes)  # type: ignore[arg-type]
        else:
            found = cal.billing_address(handle, acting=state.acting)
    _emit_address(found, as_json)


__all__ = ["invoice_app"]
