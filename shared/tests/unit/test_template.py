"""Template parsing and rendering: placeholders, fallbacks, escapes, errors, Unicode."""

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.template import (
    FIELDS,
    Placeholder,
    Template,
    TemplateError,
    parse_template,
    render,
)

ZOE = {"customer_id": "c-1", "name": "Zoë Ñandú", "email": "zoe@example.in", "phone": None}


def rendered(text: str, recipient: Mapping[str, Any] = ZOE) -> str:
    return render(parse_template(text), recipient)


def errors_of(text: str) -> list[str]:
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    return caught.value.errors


def test_the_contract_example() -> None:
    text = "Hi {name}, here's 10% off on your next order!"
    assert rendered(text) == "Hi Zoë Ñandú, here's 10% off on your next order!"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("{name}", "Zoë Ñandú"),
        ("{first_name}", "Zoë"),
        ("{email}", "zoe@example.in"),
        ("{customer_id}", "c-1"),
        ("{phone}", ""),  # missing, no fallback: nothing
        ("{phone|no phone}", "no phone"),
        ("{ name }", "Zoë Ñandú"),  # spaces around the field name are forgiven
        ("no placeholders at all", "no placeholders at all"),
        ("", ""),
    ],
)
def test_each_field(text: str, want: str) -> None:
    assert rendered(text) == want


def test_unicode_names_are_kept_exactly() -> None:
    for name, first in [
        ("राम शर्मा", "राम"),
        ("Priya 🌸", "Priya"),
        ("Łukasz", "Łukasz"),
        ("O'Brien", "O'Brien"),
        ("Zoë\u00a0Ñandú", "Zoë"),  # no-break space still separates the first name
        ("  Rāmānujan  ", "Rāmānujan"),
    ]:
        recipient = {"customer_id": "x", "name": name}
        assert rendered("{name}", recipient) == name.strip()
        assert rendered("Hi {first_name}!", recipient) == f"Hi {first}!"


@pytest.mark.parametrize("missing", [None, "", "   ", "\t\n"])
def test_missing_or_blank_values_take_the_fallback(missing: object) -> None:
    recipient = {"customer_id": "c-2", "name": missing, "email": missing}
    assert rendered("Hi {name|there}!", recipient) == "Hi there!"
    assert rendered("Hi {first_name|friend}!", recipient) == "Hi friend!"
    assert rendered("{email}", recipient) == ""  # no fallback: nothing...
    assert rendered("Hi {name}!", recipient) == "Hi there!"  # ...but a name says "there"
    assert rendered("Hi {first_name}!", recipient) == "Hi there!"
    assert rendered("Hi {name|}!", recipient) == "Hi !"  # an empty fallback is allowed


def test_a_present_value_ignores_the_fallback() -> None:
    assert rendered("Hi {name|there}!") == "Hi Zoë Ñandú!"


def test_fallback_is_literal_text_including_spaces_and_bars() -> None:
    recipient = {"customer_id": "c"}
    assert rendered("{name| dear customer }", recipient) == " dear customer "
    assert rendered("{name|a|b}", recipient) == "a|b"
    assert rendered("{name|a{b}", recipient) == "a{b"  # the next "}" closes, as in shared
    assert rendered("{name|Zoë 🌸}", recipient) == "Zoë 🌸"


def test_double_braces_are_literal() -> None:
    assert rendered("{{name}}") == "{name}"
    assert rendered("{{{name}}}") == "{Zoë Ñandú}"
    assert rendered("}}{{") == "}{"
    assert rendered('JSON: {{"a": 1}}') == 'JSON: {"a": 1}'


def test_values_are_not_reinterpreted_as_templates() -> None:
    recipient = {"customer_id": "c", "name": "{email} }} {{"}
    assert rendered("Hi {name}", recipient) == "Hi {email} }} {{"


def test_missing_keys_and_non_string_values() -> None:
    assert rendered("{name|x}-{customer_id}", {"customer_id": 42}) == "x-42"


def test_unknown_placeholders_are_listed_with_positions() -> None:
    errors = errors_of("Hi {nmae}, {Name} and {first}")
    assert len(errors) == 3
    assert "unknown placeholder {nmae} at position 3" in errors[0]
    assert "{Name}" in errors[1] and "{first}" in errors[2]
    assert all("allowed: {name}" in e for e in errors)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Hi {name", "unclosed '{' at position 3"),
        ("Hi name}", "unmatched '}' at position 7"),
        ("Hi {}", "empty placeholder at position 3"),
        ("Hi { |x}", "empty placeholder"),
        ("Hi {na{me}", "unknown placeholder {na{me}"),
        ("{", "unclosed"),
        ("}", "unmatched"),
        ("{{name}", "unmatched '}'"),  # "{{" is a literal brace, the "}" is then alone
    ],
)
def test_unbalanced_braces(text: str, fragment: str) -> None:
    assert any(fragment in e for e in errors_of(text)), errors_of(text)


def test_all_problems_are_reported_together() -> None:
    errors = errors_of("} {bad} {name")
    assert len(errors) == 3


def test_template_error_message_joins_the_errors() -> None:
    with pytest.raises(TemplateError, match="unknown placeholder"):
        parse_template("{x}")


def test_parsed_structure() -> None:
    template = parse_template("Hi {first_name|there}, {{ok}}")
    assert template == Template(("Hi ", Placeholder("first_name", "there"), ", {ok}"))
    assert template.fields == {"first_name"}
    assert set(FIELDS) == {"name", "first_name", "email", "phone", "customer_id"}


def test_every_field_parses() -> None:
    for field in FIELDS:
        assert parse_template("{" + field + "}").fields == {field}


def escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@given(st.text())
def test_escaped_text_renders_to_itself(text: str) -> None:
    assert rendered(escape(text)) == text


@given(st.lists(st.sampled_from(["{", "}", "|", "a", " ", "name", "é", "{name}"])).map("".join))
def test_parse_fails_only_with_template_error(text: str) -> None:
    try:
        template = parse_template(text)
    except TemplateError as error:
        assert error.errors
    else:
        render(template, ZOE)  # whatever parses, renders


@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.characters(blacklist_characters="{}")),
            st.sampled_from(FIELDS).map(lambda f: "{" + f + "}"),
            st.tuples(
                st.sampled_from(FIELDS), st.text(alphabet=st.characters(blacklist_characters="{}"))
            ).map(lambda p: "{" + p[0] + "|" + p[1] + "}"),
        )
    ),
    st.one_of(st.none(), st.text(max_size=5)),
)
def test_rendering_matches_a_reference(pieces: list[str], name: str | None) -> None:
    recipient = {"customer_id": "c", "name": name}
    expected = []
    for piece in pieces:
        if piece.startswith("{"):
            field, bar, fallback = piece[1:-1].partition("|")
            if not bar:
                fallback = "there" if field in ("name", "first_name") else ""
            value = rendered("{" + field + "|}", recipient)
            expected.append(value if value else fallback)
        else:
            expected.append(piece)
    assert rendered("".join(pieces), recipient) == "".join(expected)


# --- The same language as shared.template, which campaigns validates with ------------------
