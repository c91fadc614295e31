"""The queue-ticket printer: ESC/POS over USB, serial, network, a device file or the virtual printer.

Use ``drivers.registry.open_ticket_printer(settings)`` to get a ``TicketPrinter`` for the configured
device, then ``submit(TicketContent.from_ticket(ticket, settings))`` — it never blocks.
"""
from drivers.ticket_printer.content import TicketContent
from drivers.ticket_printer.jobs import PrintJob
from drivers.ticket_printer.worker import TicketPrinter, render_ticket

__all__ = ["PrintJob", "TicketContent", "TicketPrinter", "render_ticket"]
