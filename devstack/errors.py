class StackError(RuntimeError):
    """Something the stack needs is wrong; the message is one line an operator can act on."""
