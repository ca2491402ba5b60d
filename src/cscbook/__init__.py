"""cscbook: an analytical report book for English children's social care.

Library code behind the book's chapters and the ``cscbook`` command line.
"""

__version__ = "0.1.0"
