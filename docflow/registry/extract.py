"""Text extraction from attachments, in a separate, capped process (engineering-notes §5).

`extract_text(path, content_type)` runs this module (`python -I .../extract.py <path> --type <ct>`,
the same as `python -m docflow.registry.extract`) in a fresh interpreter with
a wall-clock timeout (EXTRACT_TIMEOUT_S, default 30 s); the child caps its own address space with
RLIMIT_AS (EXTRACT_MEMORY_MB, default 1024) and its CPU time, then prints one JSON line:
{"status": "done"|"none"|"failed", "text": ..., "reason": ...}.

- PDF: pypdf (its built-in decompression caps stop flate bombs); an encrypted PDF that does not open
  with the empty password gives "none".
- DOCX: python-docx, XLSX: openpyxl read-only, ODT: content.xml text; each only after `zip_check`
  (total uncompressed <= 100 MB, <= 1000 entries, ratio < 100).
- JPG/PNG scans, and the pages of a PDF whose text layer is (nearly) empty (a scanned letter):
  OCR with Tesseract's Vietnamese model (Debian `tesseract-ocr` + `tesseract-ocr-vie`, driven by
  pytesseract). PDF pages are not rendered: a scan's page is an image, which pypdf hands over as a
  Pillow image. At most OcrSettings.max_pages pages are read; tesseract runs as a grandchild with
  the child's limits (RLIMIT_AS and RLIMIT_CPU are inherited), a timeout of the time left, and one
  thread. Where tesseract or the model is missing: "none", reason "OCR unavailable: ...".
- Anything else (ZIP): "none".
Text is NFC, without NUL characters (PostgreSQL refuses them), at most MAX_TEXT_CHARS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
JPEG = "image/jpeg"
PNG = "image/png"

MAX_TEXT_CHARS = 2_000_000
ZIP_MAX_TOTAL = 100 * 1024 * 1024
ZIP_MAX_ENTRIES = 1000
ZIP_MAX_RATIO = 100

TESSERACT_CMD = "tesseract"
OCR_LANG = "vie"
OCR_MAX_PAGES = 20
#: larger images are refused before they are decoded (A4 at 600 DPI is 35 million pixels)
OCR_MAX_PIXELS = 60_000_000
#: images with a side shorter than this are not read (icons, a 1x1 pixel, a stamp's fragment)
OCR_MIN_SIDE = 32
#: a PDF page whose text layer has fewer letters and digits than this is taken for a scan
PDF_PAGE_MIN_CHARS = 16
#: at most this many images of one scanned PDF page are read (scanners that cut pages in strips)
PDF_PAGE_MAX_IMAGES = 12


class ZipRejected(Exception):
    """The archive is unreadable or looks like a decompression bomb."""


def zip_check(path_or_file, *, max_total: int = ZIP_MAX_TOTAL, max_entries: int = ZIP_MAX_ENTRIES,
              max_ratio: float = ZIP_MAX_RATIO) -> list[zipfile.ZipInfo]:
    """Read only the central directory and refuse bombs before anything is decompressed."""
    try:
        with zipfile.ZipFile(path_or_file) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ZipRejected(f"not a readable zip archive: {exc}") from None
    if len(infos) > max_entries:
        raise ZipRejected(f"{len(infos)} entries (at most {max_entries})")
    total = sum(i.file_size for i in infos)
    if total > max_total:
        raise ZipRejected(f"{total} bytes uncompressed (at most {max_total})")
    compressed = sum(i.compress_size for i in infos)
    if total and total / max(compressed, 1) >= max_ratio:
        raise ZipRejected(f"compression ratio {total / max(compressed, 1):.0f} (under {max_ratio} allowed)")
    for info in infos:
        if info.file_size and info.file_size / max(info.compress_size, 1) >= max_ratio:
            raise ZipRejected(f"entry {info.filename!r} has compression ratio >= {max_ratio}")
    return infos


def clean_text(text: str | None, limit: int = MAX_TEXT_CHARS) -> str:
    text = unicodedata.normalize("NFC", text or "").replace("\x00", "")
    return text[:limit]


#: Tesseract's vie model reads Đ as the Icelandic eth Ð (U+00D0), which never occurs in Vietnamese
_OCR_FIXES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111", "\x0c": "\n"})


#: ... and sometimes gives both, "QĐÐ-UBND": an eth next to a Đ is the same letter read twice
_OCR_DOUBLED = re.compile("\u0110\u00d0|\u00d0\u0110|\u0111\u00f0|\u00f0\u0111")


def clean_ocr_text(text: str | None) -> str:
    """OCR output: NFC, Ð/ð -> Đ/đ, no form feeds, no trailing blank lines."""
    text = unicodedata.normalize("NFC", text or "")
    text = _OCR_DOUBLED.sub(lambda m: m.group(0)[0] if m.group(0)[0] in "\u0110\u0111" else m.group(0)[1], text)
    return text.translate(_OCR_FIXES).strip()


@dataclass
class OcrSettings:
    cmd: str = TESSERACT_CMD
    lang: str = OCR_LANG
    max_pages: int = OCR_MAX_PAGES
    timeout_s: float = 30  # the time the whole extraction has; OCR stops before it is up


class OcrUnavailable(Exception):
    """tesseract (or its language model, or pytesseract) is not installed."""


class OcrTimeout(Exception):
    pass


class ImageTooLarge(Exception):
    pass


class _Ocr:
    """OCR in the child: checks tesseract once, reads images until the time is up."""

    #: the time kept for starting up and reporting (the parent's timeout covers the whole child)
    MARGIN_S = 1.0

    def __init__(self, settings: OcrSettings | None = None):
        self.settings = settings or OcrSettings()
        self.deadline = time.monotonic() + max(self.settings.timeout_s - self.MARGIN_S, 0.1)
        self.pages = 0
        self._ready = False
        self._unavailable: str | None = None
        self._tesseract = None

    def check(self) -> None:
        if self._unavailable:
            raise OcrUnavailable(self._unavailable)
        if self._ready:
            return
        try:
            self._check()
        except OcrUnavailable as exc:
            self._unavailable = str(exc)
            raise
        self._ready = True

    def _check(self) -> None:
        try:
            import pytesseract  # lazy: only the child, and only for a scan, needs it
        except ImportError:
            raise OcrUnavailable("pytesseract not installed") from None
        pytesseract.pytesseract.tesseract_cmd = self.settings.cmd
        self._tesseract = pytesseract
        try:
            languages = pytesseract.get_languages()
        except pytesseract.TesseractNotFoundError:
            raise OcrUnavailable("tesseract not installed") from None
        except OSError as exc:
            raise OcrUnavailable(f"tesseract does not run: {exc}") from None
        if self.settings.lang not in languages:
            raise OcrUnavailable(f"tesseract has no {self.settings.lang!r} model "
                                 f"(Debian: tesseract-ocr-{self.settings.lang})")

    def read(self, image, dpi: float) -> str:
        """The text of one Pillow image. Raises OcrUnavailable, OcrTimeout."""
        self.check()
        pytesseract = self._tesseract
        if min(image.size) < OCR_MIN_SIDE:
            return ""
        left = self.deadline - time.monotonic()
        if left <= 0.05:
            raise OcrTimeout
        image = _for_ocr(image)
        dpi = int(min(max(dpi, 70), 1200))
        try:
            text = pytesseract.image_to_string(image, lang=self.settings.lang, config=f"--dpi {dpi}",
                                               timeout=left)
        except RuntimeError as exc:
            if "timeout" in str(exc).lower():
                raise OcrTimeout from None
            raise
        except pytesseract.TesseractNotFoundError:
            raise OcrUnavailable("tesseract not installed") from None
        return clean_ocr_text(text)


def _for_ocr(image):
    """Greyscale on white (transparency flattened), a fresh image without a file format."""
    from PIL import Image  # lazy: the child's image library, for scans only (see _pdf)

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    image = image.convert("L")  # also "1", "I;16", "CMYK", ...: tesseract takes 8-bit grey best
    image.format = None  # pytesseract saves it as PNG
    return image


def _open_image(path_or_file):
    """Open with Pillow, refusing pixel bombs before decoding; EXIF orientation applied."""
    from PIL import Image, ImageOps  # lazy: the child's image library, for scans only (see _pdf)

    Image.MAX_IMAGE_PIXELS = OCR_MAX_PIXELS  # Pillow warns above it (an error here), refuses above twice
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path_or_file)
            image.load()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageTooLarge(str(exc)) from None
    return ImageOps.exif_transpose(image)


class _Collector:
    """Collects text up to the limit, then stops the extractor early."""

    class Full(Exception):
        pass

    def __init__(self, limit: int = MAX_TEXT_CHARS):
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.note: str | None = None  # said with a "done" result (e.g. only some pages were OCRed)

    def add(self, text: str | None) -> None:
        if not text:
            return
        self.parts.append(text)
        self.size += len(text)
        if self.size >= self.limit:
            raise self.Full

    def text(self) -> str:
        return "\n".join(self.parts)


# ---- extractors (run in the child process) ---------------------------------------------------------

def _pdf(path: str, out: _Collector, ocr: _Ocr) -> str | None:
    # lazy, here and in _docx/_xlsx/_odt/_image: the capped child loads only its file type's parser, and
    # the app, which imports this module for extract_text, loads none of them
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                return "encrypted"
        except Exception:
            return "encrypted"
    scanned = skipped = 0
    note = None
    for page in reader.pages:
        text = page.extract_text() or ""
        if sum(ch.isalnum() for ch in text) >= PDF_PAGE_MIN_CHARS:
            out.add(text)
            continue
        scanned += 1
        if note:  # OCR is unavailable or out of time: the text layer is all there is
            out.add(text)
            continue
        if ocr.pages >= ocr.settings.max_pages:
            skipped += 1
            out.add(text)
            continue
        try:
            out.add(_ocr_pdf_page(page, ocr) or text)
        except OcrUnavailable as exc:
            note = f"OCR unavailable: {exc}"
            out.add(text)
        except OcrTimeout:
            note = f"OCR stopped at the time limit after {ocr.pages} page(s)"
            out.add(text)
    if note and not out.size:
        return note if note.startswith("OCR unavailable") else "timeout"
    if skipped:
        out.note = f"OCR of the first {ocr.settings.max_pages} scanned pages only ({scanned} scanned)"
    elif note:
        out.note = note
    return None


def _ocr_pdf_page(page, ocr: _Ocr) -> str:
    """OCR the images of a scanned page (each is what the scanner saw; no rendering needed)."""
    images = page.images
    if not len(images):  # lists the page's image XObjects without decoding them
        return ""
    ocr.check()  # before decoding any image
    width_in = float(page.mediabox.width) / 72 or 8.27
    rotate = int(page.get("/Rotate", 0) or 0) % 360
    if rotate in (90, 270):
        width_in = float(page.mediabox.height) / 72 or 11.69
    parts = []
    read = undecodable = 0
    for image_file in images:
        if read >= PDF_PAGE_MAX_IMAGES:
            break
        try:
            image = image_file.image
        except MemoryError:
            raise
        except Exception:  # an image pypdf cannot decode (e.g. JBIG2 without jbig2dec): skip it
            undecodable += 1
            continue
        if image is None or min(image.size) < OCR_MIN_SIDE:
            continue
        if image.width * image.height > OCR_MAX_PIXELS:
            continue
        if rotate:
            image = image.rotate(-rotate, expand=True)
        read += 1
        parts.append(ocr.read(image, dpi=image.width / width_in))
    if read or undecodable:
        ocr.pages += 1
    return "\n".join(p for p in parts if p)


def _image(path: str, out: _Collector, ocr: _Ocr) -> str | None:
    ocr.check()  # before decoding: "unavailable" is the answer even for a broken image
    image = _open_image(path)
    dpi = image.info.get("dpi")
    try:
        dpi = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        dpi = 0.0
    if not 150 <= dpi <= 1200:  # none, or a camera's nominal 72: assume the long side is an A4's
        dpi = max(image.size) / 11.69
    try:
        out.add(ocr.read(image, dpi=dpi))
    except OcrTimeout:
        return "timeout"
    return None


def _docx(path: str, out: _Collector, ocr: _Ocr | None = None) -> str | None:
    zip_check(path)
    import docx  # lazy: the child's parser for this type only (see _pdf)

    document = docx.Document(path)
    for para in document.paragraphs:
        out.add(para.text)
    for table in document.tables:
        for row in table.rows:
            out.add("\t".join(cell.text for cell in row.cells))
    return None


def _xlsx(path: str, out: _Collector, ocr: _Ocr | None = None) -> str | None:
    zip_check(path)
    from openpyxl import load_workbook  # lazy: the child's parser for this type only (see _pdf)

    fh = open(path, "rb")  # a file object: openpyxl refuses paths without an .xlsx extension
    wb = load_workbook(fh, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                values = [str(v) for v in row if v is not None and str(v).strip()]
                if values:
                    out.add("\t".join(values))
    finally:
        wb.close()
        fh.close()
    return None


def _odt(path: str, out: _Collector, ocr: _Ocr | None = None) -> str | None:
    zip_check(path)
    from lxml import etree  # lazy: the child's parser for this type only (see _pdf)

    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    with zipfile.ZipFile(path) as zf, zf.open("content.xml") as fh:
        for _event, el in etree.iterparse(fh, events=("end",), resolve_entities=False, no_network=True):
            if el.tag in (f"{{{text_ns}}}p", f"{{{text_ns}}}h"):
                out.add("".join(el.itertext()))
                el.clear()
    return None


EXTRACTORS = {PDF: _pdf, DOCX: _docx, XLSX: _xlsx, ODT: _odt, JPEG: _image, PNG: _image}


def extract_here(path: str, content_type: str, ocr: OcrSettings | None = None) -> dict:
    """Extract in this process (the child). Never raises: failures become a status."""
    fn = EXTRACTORS.get(content_type)
    if fn is None:
        return {"status": "none", "text": None, "reason": "no text extractor for this type"}
    out = _Collector()
    try:
        refused = fn(path, out, _Ocr(ocr))
    except _Collector.Full:
        refused = None
    except OcrUnavailable as exc:
        return {"status": "none", "text": None, "reason": f"OCR unavailable: {exc}"}
    except ZipRejected as exc:
        return {"status": "failed", "text": None, "reason": f"zip check: {exc}"}
    except MemoryError:
        return {"status": "failed", "text": None, "reason": "memory limit"}
    except ImageTooLarge as exc:
        return {"status": "failed", "text": None, "reason": f"image too large: {str(exc)[:200]}"}
    except RecursionError:
        return {"status": "failed", "text": None, "reason": "recursion limit"}
    except Exception as exc:  # malformed files raise all kinds of parser errors
        return {"status": "failed", "text": None, "reason": f"{type(exc).__name__}: {str(exc)[:300]}"}
    if refused == "timeout" and not out.size:
        return {"status": "failed", "text": None, "reason": "OCR timed out"}
    if refused and refused != "timeout":
        return {"status": "none", "text": None, "reason": refused}
    text = clean_text(out.text())
    if not text.strip():
        return {"status": "none", "text": None, "reason": "no text"}
    return {"status": "done", "text": text, "reason": out.note}


def _limit_resources(memory_mb: int, cpu_s: int) -> None:
    try:
        import resource  # here: POSIX only; where it is missing the ImportError below leaves no cap

        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if cpu_s > 0:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # pragma: no cover - non-POSIX or limit not lowerable
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docflow.registry.extract")
    parser.add_argument("path")
    parser.add_argument("--type", dest="content_type", default=PDF)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--cpu-s", type=int, default=0)
    parser.add_argument("--timeout-s", type=float, default=30)
    parser.add_argument("--tesseract-cmd", default=TESSERACT_CMD)
    parser.add_argument("--ocr-lang", default=OCR_LANG)
    parser.add_argument("--ocr-max-pages", type=int, default=OCR_MAX_PAGES)
    args = parser.parse_args(argv)
    _limit_resources(args.memory_mb, args.cpu_s)
    ocr = OcrSettings(cmd=args.tesseract_cmd, lang=args.ocr_lang, max_pages=args.ocr_max_pages,
                      timeout_s=args.timeout_s)
    result = extract_here(args.path, args.content_type, ocr)
    sys.stdout.write(json.dumps(result, ensure_ascii=True))
    sys.stdout.flush()
    return 0


# ---- the parent side ---------------------------------------------------------------------------------

@dataclass
class Extracted:
    status: str  # done, none, failed
    text: str | None
    reason: str | None = None


def extract_text(path, content_type: str, *, timeout_s: float = 30, memory_mb: int = 1024,
                 ocr: OcrSettings | None = None) -> Extracted:
    """Run the extractor in a fresh interpreter with a timeout; never raises for bad files."""
    if content_type not in EXTRACTORS:
        return Extracted("none", None, "no text extractor for this type")
    ocr = ocr or OcrSettings()
    # The module is run by its file path in isolated mode (-I): a fresh interpreter that imports
    # neither the docflow package (Flask, the app) nor anything from the environment or the cwd.
    # `python -m docflow.registry.extract <path>` is the same program, for use by hand.
    cmd = [sys.executable, "-I", str(Path(__file__).resolve()), str(path), "--type", content_type,
           "--memory-mb", str(int(memory_mb)), "--cpu-s", str(int(timeout_s) + 1), "--timeout-s", str(timeout_s),
           "--tesseract-cmd", ocr.cmd, "--ocr-lang", ocr.lang, "--ocr-max-pages", str(int(ocr.max_pages))]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR", "TESSDATA_PREFIX")}
    env["PYTHONIOENCODING"] = "utf-8"
    env["OMP_THREAD_LIMIT"] = "1"  # tesseract: one thread (the job shares the machine with the app)
    try:
        # its own process group: a timeout ends the child and what it started (tesseract) together
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                 cwd=tempfile.gettempdir(), env=env, start_new_session=True)
    except OSError as exc:
        return Extracted("failed", None, f"could not start the extractor: {exc}")
    try:
        stdout, stderr = child.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        return Extracted("failed", None, f"timed out after {timeout_s} s")
    except BaseException:
        _kill_group(child)
        raise
    finally:
        _kill_group(child, only_leftovers=True)
    proc = subprocess.CompletedProcess(cmd, child.returncode, stdout, stderr)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return Extracted("failed", None, f"extractor exited with {proc.returncode}: {err[-1] if err else ''}"[:500])
    try:
        data = json.loads(proc.stdout.decode("utf-8"))
    except ValueError:
        return Extracted("failed", None, "extractor gave no result")
    status = data.get("status") if data.get("status") in ("done", "none", "failed") else "failed"
    text = clean_text(data.get("text")) if status == "done" else None
    return Extracted(status, text or None, data.get("reason"))


def _kill_group(child: subprocess.Popen, *, only_leftovers: bool = False) -> None:
    """SIGKILL the child's process group (the child, and tesseract if it still runs)."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    if not only_leftovers:
        try:
            child.communicate(timeout=5)
        except (subprocess.TimeoutExpired, ValueError, OSError):
            pass


if __name__ == "__main__":
    sys.exit(main())
