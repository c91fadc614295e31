"""Document pipeline (pure), scan storage and the copy service.

``pipeline`` / ``detect`` / ``warp`` / ``modes`` / ``idcard`` / ``pdf`` are pure functions over
images; ``storage`` keeps scan PDFs under ``data_dir``; ``copy_service`` joins camera, pipeline,
storage and the A4 printer.
"""
from ztc.documents.pipeline import Page, decode_image, pages_to_pdf, process_frame

__all__ = ["Page", "decode_image", "pages_to_pdf", "process_frame"]
