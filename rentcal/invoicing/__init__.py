"""Invoices as files: the Factur-X (EN 16931) XML and the PDF that carries it (issue #23).

- :mod:`rentcal.invoicing.facturx_xml`: the CrossIndustryInvoice XML of an
  :class:`~rentcal.core.invoices.InvoiceDocument`, built and checked against the
  official XSD by the ``factur-x`` package.
- :mod:`rentcal.invoicing.pdf`: the A4 PDF (fpdf2) with that XML embedded as a
  Factur-X / ZUGFeRD e-invoice.
- :mod:`rentcal.invoicing.identifiers`: IBAN, BIC and VAT id checks (python-stdnum).

Values in, bytes out: no database, no clock. Every library here is imported
inside the functions (``pip install 'rentcal[invoices]'``), so importing this
package costs nothing and the rest of rentcal works without them.
"""
