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
- Anything else (images, ZIP): "none".
Text is NFC, without NUL characters (PostgreSQL refuses them), at most MAX_TEXT_CHARS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

MAX_TEXT_CHARS = 2_000_000
ZIP_MAX_TOTAL = 100 * 1024 * 1024
ZIP_MAX_ENTRIES = 1000
ZIP_MAX_RATIO = 100


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


class _Collector:
    """Collects text up to the limit, then stops the extractor early."""

    class Full(Exception):
        pass

    def __init__(self, limit: int = MAX_TEXT_CHARS):
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

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

def _pdf(path: str, out: _Collector) -> str | None:
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                return "encrypted"
        except Exception:
            return "encrypted"
    for page in reader.pages:
        out.add(page.extract_text() or "")
    return None


def _docx(path: str, out: _Collector) -> str | None:
    zip_check(path)
    import docx

    document = docx.Document(path)
    for para in document.paragraphs:
        out.add(para.text)
    for table in document.tables:
        for row in table.rows:
            out.add("\t".join(cell.text for cell in row.cells))
    return None


def _xlsx(path: str, out: _Collector) -> str | None:
    zip_check(path)
    from openpyxl import load_workbook

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


def _odt(path: str, out: _Collector) -> str | None:
    zip_check(path)
    from lxml import etree

    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    with zipfile.ZipFile(path) as zf, zf.open("content.xml") as fh:
        for _event, el in etree.iterparse(fh, events=("end",), resolve_entities=False, no_network=True):
            if el.tag in (f"{{{text_ns}}}p", f"{{{text_ns}}}h"):
                out.add("".join(el.itertext()))
                el.clear()
    return None


EXTRACTORS = {PDF: _pdf, DOCX: _docx, XLSX: _xlsx, ODT: _odt}


def extract_here(path: str, content_type: str) -> dict:
    """Extract in this process (the child). Never raises: failures become a status."""
    fn = EXTRACTORS.get(content_type)
    if fn is None:
        return {"status": "none", "text": None, "reason": "no text extractor for this type"}
    out = _Collector()
    try:
        refused = fn(path, out)
    except _Collector.Full:
        refused = None
    except ZipRejected as exc:
        return {"status": "failed", "text": None, "reason": f"zip check: {exc}"}
    except MemoryError:
        return {"status": "failed", "text": None, "reason": "memory limit"}
    except RecursionError:
        return {"status": "failed", "text": None, "reason": "recursion limit"}
    except Exception as exc:  # malformed files raise all kinds of parser errors
        return {"status": "failed", "text": None, "reason": f"{type(exc).__name__}: {str(exc)[:300]}"}
    if refused:
        return {"status": "none", "text": None, "reason": refused}
    text = clean_text(out.text())
    if not text.strip():
        return {"status": "none", "text": None, "reason": "no text"}
    return {"status": "done", "text": text, "reason": None}


def _limit_resources(memory_mb: int, cpu_s: int) -> None:
    try:
        import resource

        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if cpu_s > 0:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # pragma: no cover - non-POSIX or limit not lowerable
        pass


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m docflow.registry.extract")
    parser.add_argument("path")
    parser.add_argument("--type", dest="content_type", default=PDF)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--cpu-s", type=int, default=0)
    args = parser.parse_args(argv)
    _limit_resources(args.memory_mb, args.cpu_s)
    result = extract_here(args.path, args.content_type)
    sys.stdout.write(json.dumps(result, ensure_ascii=True))
    sys.stdout.flush()
    return 0


# ---- the parent side ---------------------------------------------------------------------------------

@dataclass
class Extracted:
    status: str  # done, none, failed
    text: str | None
    reason: str | None = None


def extract_text(path, content_type: str, *, timeout_s: float = 30, memory_mb: int = 1024) -> Extracted:
    """Run the extractor in a fresh interpreter with a timeout; never raises for bad files."""
    if content_type not in EXTRACTORS:
        return Extracted("none", None, "no text extractor for this type")
    # The module is run by its file path in isolated mode (-I): a fresh interpreter that imports
    # neither the docflow package (Flask, the app) nor anything from the environment or the cwd.
    # `python -m docflow.registry.extract <path>` is the same program, for use by hand.
    cmd = [sys.executable, "-I", str(Path(__file__).resolve()), str(path), "--type", content_type,
           "--memory-mb", str(int(memory_mb)), "--cpu-s", str(int(timeout_s) + 1)]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
    env["PYTHONIOENCODING"] = "utf-8"
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, cwd=tempfile.gettempdir(), env=env,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return Extracted("failed", None, f"timed out after {timeout_s} s")
    except OSError as exc:
        return Extracted("failed", None, f"could not start the extractor: {exc}")
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


if __name__ == "__main__":
    sys.exit(main())
