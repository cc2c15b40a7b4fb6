"""Rules for the identity numbers an agent must give."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import verhoeff
from domain.errors import InvalidValue
from domain.values import check_aadhaar, check_pan, mask
from tests.builders import aadhaar, pan


def test_a_pan_is_five_letters_four_digits_and_a_letter() -> None:
    assert check_pan("ABCDE1234F") == "ABCDE1234F"


@pytest.mark.parametrize(
    "bad", ["ABCD1234F", "ABCDE12345", "abcde1234f", "ABCDE1234", "1BCDE1234F"])
def test_a_malformed_pan_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_pan(bad)
    assert refused.value.field == "pan"


def test_an_aadhaar_with_a_valid_check_digit_is_accepted() -> None:
    assert check_aadhaar("234123412346") == "234123412346"


def test_an_aadhaar_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidValue, match="check digit"):
        check_aadhaar("234123412345")


@pytest.mark.parametrize("bad", ["12341234123", "034123412346", "134123412346", "2341234123AB"])
def test_an_aadhaar_must_be_twelve_digits_not_starting_with_0_or_1(bad: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_aadhaar(bad)
    assert refused.value.field == "aadhaar"


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_verhoeff_accepts_any_number_with_its_own_check_digit(digits: str) -> None:
    assert verhoeff.is_valid(digits + verhoeff.check_digit(digits))


@given(st.text(alphabet="0123456789", min_size=2, max_size=20), st.data())
def test_verhoeff_catches_every_single_digit_error(digits: str, data: st.DataObject) -> None:
    full = digits + verhoeff.check_digit(digits)
    i = data.draw(st.integers(0, len(full) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != full[i]]))
    assert not verhoeff.is_valid(full[:i] + wrong + full[i + 1:])


@given(st.integers(0, 10**9))
def test_test_builders_make_valid_identity_numbers(n: int) -> None:
    assert check_pan(pan(n))
    assert check_aadhaar(aadhaar(n))


def test_masks_keep_only_the_identifying_tail() -> None:
    assert mask("pan", "ABCDE1234F") == "XXXXX1234X"
    assert mask("aadhaar", "234123412346") == "XXXXXXXX2346"
    assert mask("bank_account", "123456789012") == "XXXXXXXX9012"
