"""Hostile and broken envelopes (issue 8/9): an external entity, entity expansion, a 200 MB upload, a zip
bomb, bad base64, not XML, the wrong namespace, missing Code/Subject/From, an impossible date — each
refused with a problem naming what is wrong (413 for size), reading no file, expanding nothing, and
leaving no row and no stored file behind."""

import base64
import time
from datetime import date

import pytest
from lxml import etree

from docflow.exchange import edxml
from tests.exchange.conftest import counts, stored_files
from tests.exchange.envelopes import envelope, status_envelope, zipped

XXE = ('<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>\n")


def with_prolog(prolog: str, body: bytes, entity: str) -> bytes:
    """The envelope with a DTD prolog and its Subject replaced by an entity reference."""
    text = body.decode("utf-8").split("?>", 1)[1].replace("ENTITY-HERE", entity)
    return (prolog + text).encode("utf-8")


class CountingStream:
    """A 200 MB body produced lazily: it counts what is read and never holds more than a chunk."""

    def __init__(self, size: int):
        self.size, self.read_bytes, self.pos = size, 0, 0

    def read(self, n: int = -1) -> bytes:
        n = max(0, min(64 * 1024 if n is None or n < 0 else n, self.size - self.pos))
        self.read_bytes += n
        self.pos += n
        return b" " * n

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.size + offset if whence == 2 else self.pos + offset
        return self.pos

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


def hostile_cases(files) -> list[tuple[str, bytes, int, set]]:
    pdf = files["pdf"]
    bomb = zipped([("bomb.pdf", b"\0" * (20 * 1024 * 1024))])
    return [
        ("external entity", with_prolog(XXE, envelope(subject="ENTITY-HERE"), "&xxe;"), 422, {"envelope"}),
        ("billion laughs", with_prolog(LAUGHS, envelope(subject="ENTITY-HERE"), "&lol9;"), 422, {"envelope"}),
        ("utf-16 doctype", with_prolog(XXE, envelope(subject="ENTITY-HERE"), "&xxe;").decode().replace(
            'version="1.0"?>', 'version="1.0" encoding="UTF-16"?>').encode("utf-16"), 422, {"envelope"}),
        ("zip bomb", envelope(raw_attachments=[("vb.zip", "application/zip",
                                                base64.b64encode(bomb).decode())]), 422, {"Attachment"}),
        ("bad base64", envelope(raw_attachments=[("a.pdf", "application/pdf", "%%not*base64!!")]), 422, {"Attachment"}),
        ("a file of no accepted type after a good one", envelope(files=[("a.pdf", pdf), ("b.exe", b"MZ\x90\0" * 50)]),
         422, {"Attachment"}),
        ("not xml", b"PK\x03\x04 this is no envelope", 422, {"envelope"}),
        ("empty", b"   ", 422, {"envelope"}),
        ("wrong namespace", envelope(namespace="http://example.com/not-edxml"), 422, {"envelope"}),
        ("missing Code, Subject and From", envelope(omit=("Code", "Subject", "From"), files=[("a.pdf", pdf)]), 422,
         {"Code", "Subject", "From"}),
        ("impossible date", envelope(issued="2025/02/30"), 422, {"PromulgationDate"}),
        ("impossible dd/MM date", envelope(issued="31/04/2025"), 422, {"PromulgationDate"}),
        ("a date in the future", envelope(issued="2999/01/01", files=[("a.pdf", pdf)]), 422, {"PromulgationDate"}),
        ("a bad OrganId", envelope(organ_id="G22"), 422, {"From"}),
        ("priority 9", envelope(priority=9), 422, {"Priority"}),
        ("a status message about no document of ours",
         status_envelope(about_code="1/XX", about_date=date(2025, 1, 2)), 422, {"ResponseFor"}),
        ("a status message with no code", status_envelope(code="", about_code="1/XX", about_date=date(2025, 1, 2)),
         422, {"StatusCode"}),
    ]


def test_hostile_envelopes_are_refused_and_leave_nothing(app, db, api, users, files):
    as_clerk = api(users["clerk"])
    before = counts()
    for name, data, status, elements in hostile_cases(files):
        started = time.monotonic()
        answer = as_clerk.post("/incoming/edxml", data=data, content_type="application/xml")
        text = answer.get_data(as_text=True)
        assert answer.status_code == status, (name, text)
        assert answer.mimetype == "application/problem+json", name
        assert elements <= set(answer.get_json()["errors"]), (name, answer.get_json())
        assert "root:" not in text, name  # /etc/passwd was not read
        assert time.monotonic() - started < 5, name  # nothing was expanded
        assert counts() == before, name
        assert stored_files(app) == [], name


def test_the_parser_itself_resolves_no_entity_and_reads_no_file():
    """Even past the DOCTYPE refusal, the parser lxml is given expands nothing and reads no file."""
    root = etree.fromstring(with_prolog(XXE, envelope(subject="ENTITY-HERE"), "&xxe;"), parser=edxml._parser())
    assert "root:" not in etree.tostring(root, encoding="unicode")
    try:  # libxml2 refuses the amplification outright, or leaves the entity unexpanded
        root = etree.fromstring(with_prolog(LAUGHS, envelope(subject="ENTITY-HERE"), "&lol9;"),
                                parser=edxml._parser())
        assert "lollol" not in etree.tostring(root, encoding="unicode")
    except etree.XMLSyntaxError:
        pass
    with pytest.raises(edxml.EnvelopeError) as caught:
        edxml.parse_envelope(with_prolog(XXE, envelope(subject="ENTITY-HERE"), "&xxe;"))
    assert "DOCTYPE" in caught.value.errors["envelope"][0]


def test_a_200_mb_envelope_is_refused_by_its_size_before_it_is_read(app, db, api, users, client, token_for, tmp_path):
    before = counts()
    body = CountingStream(200 * 1024 * 1024)
    answer = client.post("/api/v1/incoming/edxml", input_stream=body, content_length=body.size,
                         content_type="application/xml",
                         headers={"Authorization": f"Bearer {token_for(users['clerk'])}"})
    assert answer.status_code == 413 and answer.mimetype == "application/problem+json"
    assert "envelope" in answer.get_json()["errors"]
    assert body.read_bytes == 0  # refused by its declared size: not a byte was read
    # a body whose length is not declared is read in chunks and refused once past the limit
    app.config["EXCHANGE_MAX_ENVELOPE_MB"] = 1
    stream = CountingStream(200 * 1024 * 1024)
    with pytest.raises(edxml.EnvelopeTooLarge):
        edxml.read_limited(stream)
    assert stream.read_bytes <= 1024 * 1024 + edxml.CHUNK
    with pytest.raises(edxml.EnvelopeTooLarge):
        edxml.parse_envelope(b" " * (1024 * 1024 + 1))  # bytes in hand: the size checked before parsing
    over = api(users["clerk"]).post("/incoming/edxml", data=envelope() + b" " * (1024 * 1024),
                                    content_type="application/xml")
    assert over.status_code == 413
    # the CLI refuses a 200 MB file by its size (a sparse file: nothing is written to disk)
    big = tmp_path / "big.edxml"
    with big.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)
    result = app.test_cli_runner().invoke(args=["docflow", "exchange", "import", str(big), "--as",
                                                users["clerk"].username])
    assert result.exit_code == 1 and "refused (413)" in result.output
    assert counts() == before and stored_files(app) == []
