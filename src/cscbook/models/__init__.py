"""The models layer: indicators, benchmarking, breaks, forecasts and their backtests, the panel model, the
event study, capacity, scenarios, the forecast ledger and the claims the pages make. Imports only
:mod:`cscbook.data.tables` and :mod:`cscbook.core`; draws nothing."""
