"""The one exception type the command line turns into a clear one-line message."""


class CSCBookError(Exception):
    """A problem with the user's input or the data, with a message that says how to fix it.

    The CLI prints ``str(error)`` on one line and exits non-zero; it never shows a traceback.
    """


class DataSchemaError(CSCBookError):
    """An input table does not have the expected shape (names the file, column and row)."""


class UnknownCouncilError(CSCBookError):
    """A council name or code that is not in the register."""
