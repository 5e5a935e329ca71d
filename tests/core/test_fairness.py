"""Fair by construction: no genre, style, ethnicity, nationality, religion or demographics in
the data model or the scorer's vocabulary."""

import dataclasses

import pytest

from eventrisk import model
from eventrisk.fairness import banned_terms_in
from eventrisk.fields import FIELDS_BY_KIND
from eventrisk.scoring.catalogue import CATALOGUE
from eventrisk.scoring.rules import default_ruleset
from tests.conftest import columns_of

FORBIDDEN_FIELD_WORDS = ("genre", "style", "music", "ethnic", "race", "racial", "nationality",
                         "religio", "demographic", "audience", "dress", "origin", "birth", "dob")


def _forbidden(name: str) -> bool:
    """Whether any word of a snake_case name starts with a forbidden word."""
    return any(token.startswith(w) for token in name.lower().split("_")
               for w in FORBIDDEN_FIELD_WORDS)


def test_no_feature_name_or_description_uses_a_banned_term():
    for feature in CATALOGUE.values():
        assert banned_terms_in(f"{feature.name} {feature.description}") == [], feature.name
        assert not _forbidden(feature.name), feature.name


def test_no_model_field_or_column_records_demographics(db):
    names = set()
    for cls in (model.Venue, model.Promoter, model.Submission, model.Incident, model.User):
        names |= {f.name for f in dataclasses.fields(cls)}
    for fields in FIELDS_BY_KIND.values():
        names |= {f.name for f in fields}
    for columns in columns_of(db).values():
        names |= columns
    bad = [n for n in names if _forbidden(n)]
    assert bad == []


def test_no_enumeration_value_is_a_genre():
    for enum in (model.EventType, model.Ticketing, model.SearchRegime, model.IncidentCategory):
        for member in enum:
            assert banned_terms_in(f"{member.value} {member.label}") == []


def test_the_default_rules_use_only_catalogue_features_and_no_banned_terms():
    for rule in default_ruleset().rules:
        assert rule.when.features <= set(CATALOGUE)
        assert banned_terms_in(" ".join([rule.title, rule.evidence, rule.measure,
                                         rule.rationale])) == []


@pytest.mark.parametrize("text", ["Music genre of the night", "ethnicity of attendees",
                                  "Target audience", "dress code: smart", "Drill night"])
def test_the_guard_catches_proxies(text):
    assert banned_terms_in(text)


def test_performers_are_stage_names_only():
    fields = {f.name for f in dataclasses.fields(model.Submission)}
    assert "performers" in fields
    assert not {"performer_address", "performer_dob", "date_of_birth"} & fields
