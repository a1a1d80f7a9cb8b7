"""The forms' base: WTForms' own messages come out in the page's language (WTForms has no Vietnamese)."""

import pytest
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length

from docflow.core.forms import BaseForm


class _Form(BaseForm):
    class Meta:
        csrf = False

    name = StringField("name", validators=[DataRequired(), Length(max=5)])
    code = StringField("code", validators=[DataRequired()])
    count = IntegerField("count")


@pytest.mark.parametrize(("lang", "required", "too_long", "not_integer"), [
    ("vi", "Thông tin này là bắt buộc.", "Không được dài quá 5 ký tự.", "Nhập một số nguyên."),
    ("en", "This field is required.", "Field cannot be longer than 5 characters.", "Not a valid integer value."),
])
def test_wtforms_messages_follow_the_page_language(app, lang, required, too_long, not_integer):
    from flask import session
    from werkzeug.datastructures import MultiDict

    with app.test_request_context("/", method="POST"):
        session["lang"] = lang
        form = _Form(formdata=MultiDict({"name": "abcdefgh", "count": "x"}))
        assert not form.validate()
        assert form.name.errors == [too_long]
        assert form.code.errors == [required]
        assert form.count.errors == [not_integer]


def test_the_admin_user_form_says_its_required_field_in_vietnamese(client, users, login_as, office):
    login_as(users["admin"])
    with client.session_transaction() as session:
        session["lang"] = "vi"
    response = client.post("/admin/users/new", data={"username": "u" * 70, "full_name": "Trần Thị B",
                                                     "unit_id": office["KT"].id, "roles": ["clerk"],
                                                     "clearance": "normal"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Thông tin này là bắt buộc." in html  # the initial password
    assert "Không được dài quá 64 ký tự." in html  # the username
    assert "This field is required." not in html and "cannot be longer" not in html
    assert 'value="Trần Thị B"' in html  # what was typed stays
