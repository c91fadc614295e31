"""The virtual ESC/POS ticket printer (TCP and pseudo-terminal), used by tests and ``make run``."""
from drivers.ticket_printer.virtual.decoder import DecodedTicket, EscPosDecoder
from drivers.ticket_printer.virtual.printer import Faults, VirtualPrinter

__all__ = ["DecodedTicket", "EscPosDecoder", "Faults", "VirtualPrinter"]
