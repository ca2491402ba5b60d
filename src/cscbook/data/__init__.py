"""The data layer: official tables and their releases, the council register, Ofsted judgements, source
documents and the timeline, monthly extracts and CIN census returns, and the edition an analyst asks for.
Imports only :mod:`cscbook.core`."""
