"""api/fastdump.py: a compiled dump gives exactly what the schema's own dump gives, on real documents and
history entries, with every optional field empty or filled; a schema it cannot follow is dumped by the
schema itself."""

from datetime import date, timedelta

from marshmallow import Schema, fields, post_dump

from docflow.api import fastdump
from docflow.api.incoming import (
    DOCUMENT,
    HISTORY_ENTRY_DUMP,
    REGISTERED,
    REGISTERED_DUMP,
    DocumentSchema,
    HistorySchema,
)
from docflow.incoming import services as incoming
from docflow.registry.history import history_of


def _letters(users):
    day = date.today()
    bare = incoming.register_incoming({"sender_name": "Bộ Tài chính", "number_symbol": "1/BTC",
                                       "issued_date": (day - timedelta(days=3)).isoformat(), "subject": "Một"},
                                      actor=users["clerk"])
    full = incoming.register_incoming({"sender_name": "Sở Nội vụ", "number_symbol": "22/SNV-TCBC",
                                       "issued_date": (day - timedelta(days=1)).isoformat(),
                                       "received_date": day.isoformat(), "subject": "Hai: đủ mọi trường",
                                       "signer": "Nguyễn Văn A", "urgency": "urgent", "pages": 3, "copies": 2,
                                       "medium": "electronic", "due_date": (day + timedelta(days=9)).isoformat(),
                                       "notes": "Ghi chú", "confidentiality": "confidential"},
                                      actor=users["clerk"])
    incoming.present(full, actor=users["clerk"], leader_id=users["leader"].id)
    return [bare, full]


def test_the_registration_answer_and_history_dump_as_the_schemas_do(db, users):
    docs = _letters(users)
    db.session.flush()
    for doc in docs:
        assert REGISTERED_DUMP(doc) == REGISTERED.dump(doc)
        assert fastdump.compiled(DOCUMENT)(doc) == DOCUMENT.dump(doc)
        entries = history_of(doc)
        assert entries
        for entry in entries:
            assert HISTORY_ENTRY_DUMP(entry) == HistorySchema().dump(entry)
    assert REGISTERED_DUMP(docs[0])["signer"] is None and REGISTERED_DUMP(docs[1])["pages"] == 3


def test_what_it_cannot_follow_is_the_schemas_own_dump():
    class Hooked(Schema):
        a = fields.Int()

        @post_dump
        def shout(self, data, **_kwargs):
            return {k.upper(): v for k, v in data.items()}

    class Nested(Schema):
        inner = fields.Nested(DocumentSchema)

    class Defaulted(Schema):
        a = fields.Int(dump_default=7)

    for schema in (Hooked(), Nested(), Defaulted(), DocumentSchema(many=True)):
        assert fastdump.compiled(schema) == schema.dump


def test_missing_attributes_mappings_and_values_follow_marshmallow():
    class Plain(Schema):
        n = fields.Int(allow_none=True)
        s = fields.Str(data_key="text")
        d = fields.Date(allow_none=True)
        raw = fields.Raw(attribute="other")
        f = fields.Function(lambda o: "f")

    class Obj:
        n, s, d, other = "12", b"b\xc3\xa1o c\xc3\xa1o", None, {"x": [1]}

    class Sparse:
        n = None

    dump = fastdump.compiled(Plain())
    for obj in (Obj(), Sparse(), {"n": 3, "s": "x", "other": 1}):
        assert dump(obj) == Plain().dump(obj)
    assert dump(Obj()) == {"n": 12, "text": "báo cáo", "d": None, "raw": {"x": [1]}, "f": "f"}
    assert dump(Sparse()) == {"n": None, "f": "f"}
