"""The validation suite: the one check runner (`runner`), the report, and the check catalogues by
subject (contract, signal, delay, speed; the non-realtime and native catalogues).
"""
