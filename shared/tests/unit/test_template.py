"""The template language: what campaigns accept is exactly what delivery can render."""

import pytest

from shared.template import TemplateError, parse_template, render


@pytest.mark.parametrize(
    ("template", "recipient", "expected"),
    [
        ("Hi {name}, here's 10% off!", {"name": "Zoë Ñandú"}, "Hi Zoë Ñandú, here's 10% off!"),
        ("Hi {first_name}!", {"name": "  राम शर्मा "}, "Hi राम!"),
        ("Hi {name|friend}!", {"name": "  "}, "Hi friend!"),
        ("Hi {name}!", {}, "Hi there!"),
        ("Hi {name|}!", {"name": None}, "Hi !"),
        ("{{literal}} {customer_id}", {"customer_id": "C-1"}, "{literal} C-1"),
        ("Mail: {email|none}", {"email": "a@b.in"}, "Mail: a@b.in"),
        ("No placeholders", {"name": "x"}, "No placeholders"),
    ],
)
def test_render(template: str, recipient: dict[str, str], expected: str) -> None:
    assert render(parse_template(template), recipient) == expected


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("Hi {nmae}", "unknown placeholder {nmae}"),
        ("Hi {name", "unclosed '{'"),
        ("Hi name}", "unmatched '}'"),
        ("{coupon} and {age}", "unknown placeholder {age}"),
    ],
)
def test_errors_name_the_problem(template: str, problem: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(template)
    assert any(problem in e for e in caught.value.errors)


def test_all_errors_are_collected() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template("{a} {b} }")
    assert len(caught.value.errors) == 3
