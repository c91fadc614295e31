"""The A4 printer: a CUPS queue driven with lp / lpstat / ipptool (see ``cups.py``).

Its simulator is a real private cupsd with a cups-pdf queue (``sim_cupsd.py``): jobs go through
the real scheduler and filters and come out as PDF files.
"""
from drivers.a4_printer.cups import A4Printer
from drivers.a4_printer.errors import PrinterError
from drivers.a4_printer.ipp import JobState, PrinterState

__all__ = ["A4Printer", "JobState", "PrinterError", "PrinterState"]
