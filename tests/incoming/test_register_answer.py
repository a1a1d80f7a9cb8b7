"""POST /api/v1/incoming answers from what it wrote (bench/README.md): the answer must equal what
GET /api/v1/incoming/<id> reads back, field for field, in both languages."""

from datetime import timedelta

import pytest

from docflow.core.timeutil import today


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_registration_answer_equals_the_document_read_back(api, users, lang):
    clerk = api(users["clerk"])
    headers = {"Accept-Language": lang}
    body = {"sender_name": "Sở Tài chính", "number_symbol": "15/STC-NS", "doc_type": "CV",
            "issued_date": (today() - timedelta(days=1)).isoformat(), "subject": "Về việc dự toán",
            "signer": "Trần Văn B", "pages": 3, "copies": 1, "urgency": "urgent", "notes": "Bản  gốc"}
    posted = clerk.post("/incoming", json=body, headers=headers)
    assert posted.status_code == 201, posted.get_data(as_text=True)
    got = clerk.get(f"/incoming/{posted.get_json()['id']}", headers=headers)
    assert got.status_code == 200
    assert posted.get_json() == got.get_json()
    assert [h["action"] for h in posted.get_json()["history"]] == ["incoming.register"]
